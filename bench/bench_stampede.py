"""4. Caches under a stampede: 1000 concurrent cold calls share one CSDS fetch and one OAuth2 token fetch.

A fresh Toolbelt (cold caches) fires 1000 ``lp_client()`` calls at once at the emulator's authenticated skills
route (another process; no proxy cap, the limiter far above the load):

* ``oauth2`` — app-installation secret: every call needs the CSDS domains *and* a Sentinel token;
* ``oauth1`` — the API key: every call needs the CSDS domains and the secret (one signer is built).

The emulator counts the CSDS and Sentinel requests; a counting wrapper around the secret store counts reads.
Goal: exactly 1 CSDS fetch and 1 token fetch, and all 1000 calls answered 200 (the server verified each one's
credentials).

Run alone: ``python -m bench.bench_stampede``.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import Any

from lp_toolbelt import LpServices, Toolbelt
from lp_toolbelt.secrets_store import SecretStore

from ._common import Section
from ._server import BenchServer

CALLS = 1000
OAUTH2_SECRET = "lp-faas-oauth2-app"
OAUTH1_SECRET = "lp-faas-default-app-key"


class CountingStore:
    """A secret store that counts reads (and delegates everything)."""

    def __init__(self, inner: SecretStore) -> None:
        self.inner = inner
        self.reads = 0

    async def get(self, key: str) -> Any:
        self.reads += 1
        return await self.inner.get(key)

    async def update(self, key: str, value: Any) -> Any:
        return await self.inner.update(key, value)

    async def keys(self) -> list[str]:
        return await self.inner.keys()


async def _stampede(server: BenchServer, secret: str) -> dict[str, Any]:
    server.reset()
    path = f"/api/account/{server.info['account_id']}/configuration/le-users/skills"
    async with Toolbelt(server.config(rate_limit=1e6)) as tb:
        store = CountingStore(tb.secret_store)
        tb.secret_store = store  # the clients handed out from now on read through it
        lp = tb.lp_client()
        start = time.perf_counter()
        results = await asyncio.gather(
            *(lp(LpServices.ACCOUNT_CONFIG_READ_ONLY, path, app_key_secret_name=secret) for _ in range(CALLS)),
            return_exceptions=True,
        )
        seconds = time.perf_counter() - start
    outcomes = Counter(str(getattr(r, "status", type(r).__name__)) for r in results)
    routes = server.stats()["by_route"]
    return {
        "seconds": round(seconds, 3),
        "outcomes": dict(outcomes),
        "csds_fetches": routes.get("csds", 0),
        "token_fetches": routes.get("sentinel", 0),
        "secret_reads": store.reads,
        "api_calls": routes.get("skills", 0),
    }


async def _measure() -> Section:
    section = Section("stampede", f"4. Caches under a stampede: {CALLS} concurrent cold lp_client() calls")
    with BenchServer(rate_limit=None) as server:
        for name, secret in (("oauth2", OAUTH2_SECRET), ("oauth1", OAUTH1_SECRET)):
            m = await _stampede(server, secret)
            section.metrics[name] = m
            section.row(
                f"{name}: CSDS / token fetches, secret reads",
                f"{m['csds_fetches']} / {m['token_fetches']} / {m['secret_reads']}",
            )
            section.row(f"{name}: outcomes, wall time", f"{m['outcomes']}, {m['seconds']:.2f} s")
            failures = CALLS - m["outcomes"].get("200", 0)
            section.goal(f"{name}: CSDS fetches", m["csds_fetches"], 1, exact=True)
            if name == "oauth2":
                section.goal("oauth2: token fetches", m["token_fetches"], 1, exact=True)
            section.goal(f"{name}: calls not answered 200", failures, 0)
    return section


def run(quick: bool = False) -> Section:
    return asyncio.run(_measure())


def main(argv: list[str] | None = None) -> int:
    from ._common import section_main

    return section_main(__doc__, run, argv, quick_help=None)


if __name__ == "__main__":
    raise SystemExit(main())
