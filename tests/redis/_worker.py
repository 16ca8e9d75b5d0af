"""One worker process of the multi-process rate-cap tests (spawned by test_multiprocess.py).

Configured like a deployed function, from the environment (``ToolbeltConfig.from_env``: BRAND_ID,
X_LIVEPERSON_CSDS_DOMAIN, LP_TOOLBELT_SCHEME, LP_TOOLBELT_RATE_LIMIT, LP_TOOLBELT_SECRETS_FILE,
LP_TOOLBELT_REDIS_URL, LP_TOOLBELT_EXPECTED_WORKERS), plus WORKER_REQUESTS, WORKER_CONCURRENCY and
WORKER_APP_KEY_SECRET. Prints ``ready``, waits for a line on stdin (so every worker starts at once), sends
WORKER_REQUESTS LP calls from WORKER_CONCURRENCY tasks, and prints one JSON report line.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections import Counter
from typing import Any

from lp_toolbelt import Toolbelt, ToolbeltError
from lp_toolbelt.enums import LpServices


async def run() -> dict[str, Any]:
    total = int(os.environ["WORKER_REQUESTS"])
    concurrency = int(os.environ.get("WORKER_CONCURRENCY", "5"))
    secret = os.environ.get("WORKER_APP_KEY_SECRET") or None
    results: Counter[str] = Counter()
    async with Toolbelt() as tb:
        lp = tb.lp_client()
        path = f"/api/account/{tb.config.account_id}/configuration/le-users/skills"
        todo = list(range(total))

        async def user() -> None:
            while todo:
                todo.pop()
                try:
                    resp = await lp(LpServices.ACCOUNT_CONFIG_READ_ONLY, path, app_key_secret_name=secret)
                    results[str(resp.status)] += 1
                except ToolbeltError as err:
                    results[err.code] += 1

        await asyncio.gather(*(user() for _ in range(concurrency)))
        shared = tb.shared_cache
        return {
            "results": dict(results),
            "limiter": type(tb.limiter).__name__,
            "fallback_acquisitions": getattr(tb.limiter, "fallback_acquisitions", 0),
            "degraded": bool(getattr(tb.limiter, "degraded", False)),
            "shared_fetches": shared.fetches if shared is not None else None,
        }


def main() -> None:
    print("ready", flush=True)
    sys.stdin.readline()  # the start signal
    print(json.dumps(asyncio.run(run())), flush=True)


if __name__ == "__main__":
    main()
