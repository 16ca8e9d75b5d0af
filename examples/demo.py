"""``make demo``: every toolbelt capability, end to end, against an in-process LivePerson emulator.

It starts the emulator on a free 127.0.0.1 port, runs the example handlers with a Toolbelt pointed at it (real
HTTP: CSDS lookups, OAuth signatures checked server-side, the proxy allowlist and its 20 requests/s cap), checks
what each step did against the emulator's state, and prints one line per step::

    ✓ secrets.read         read 'demo-secret': 1 field (value not printed)
    ...
    demo: 13 passed, 0 failed

The exit status is 1 when any step fails. Run it with ``make demo`` or ``python -m examples.demo``.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import io
import sys
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from lp_toolbelt import ToolbeltError
from lp_toolbelt.emulator import Emulator, MtlsCertificate
from lp_toolbelt.emulator.routes.msghist import add_conversation
from lp_toolbelt.emulator.state import (
    DEFAULT_CONTEXT_API_KEY,
    DEFAULT_SWIFT_KEY,
    DEFAULT_SWIFT_USER,
    SALESFORCE_ACCESS_TOKEN,
)
from lp_toolbelt.local import emulator_toolbelt
from lp_toolbelt.toolbelt import Toolbelt
from lp_toolbelt.utils.gdpr import DEFAULT_REPLACEMENT_FILE

from . import _partner, mtls_partner, orchestration, secrets_and_lp

CONTEXT_KEY_SECRET = "context-service-api-key"  # the secret examples/context_state.py reads its API key from
OAUTH2_APP_KEY = "LIVEPERSON_DEFAULT_APP_KEY"  # V2's system secret, OAuth 2.0 {client_id, client_secret}
LEGACY_APP_KEY = "lp-faas-default-app-key"  # V1's OAuth 1.0a API key (end of life 2026-05-31)
SALESFORCE_SECRET = "salesforce-credentials"  # the secret examples/salesforce_query.py reads its connection from
STEP_TIMEOUT = 60.0  # seconds; the SDE API may take long on the real platform, the emulator answers at once
OK_MARK = "✓"
FAIL_MARK = "✗"


class StepFailed(Exception):
    """A demo check did not hold."""


class NotAvailable(StepFailed):
    """The example this step runs is not there (yet)."""


@dataclass
class Demo:
    """What the steps share: the emulator, the Toolbelt (one per process, as in a function) and notes."""

    emulator: Emulator
    toolbelt: Toolbelt
    notes: dict[str, Any] = field(default_factory=dict)

    def fresh_toolbelt(self) -> Toolbelt:
        """A second Toolbelt on the same emulator: a new invocation that shares nothing in memory."""
        return emulator_toolbelt(self.emulator)


@dataclass(frozen=True)
class StepResult:
    """One line of the report."""

    name: str
    ok: bool
    summary: str
    seconds: float


Step = Callable[[Demo], Awaitable[str]]


def check(condition: object, message: str) -> None:
    """Fail the step with ``message`` unless ``condition`` holds."""
    if not condition:
        raise StepFailed(message)


def load_example(name: str) -> Any:
    """``examples.<name>``, or NotAvailable when that example does not exist."""
    try:
        return importlib.import_module(f"examples.{name}")
    except ModuleNotFoundError as err:
        if err.name in (f"examples.{name}", "examples"):
            raise NotAvailable(f"not available: examples/{name}.py does not exist") from err
        raise


def example_handler(module: str, attr: str = "handler") -> Callable[[Toolbelt, Mapping[str, Any]], Awaitable[Any]]:
    """``examples.<module>.<attr>``, or NotAvailable."""
    handler = getattr(load_example(module), attr, None)
    if handler is None:
        raise NotAvailable(f"not available: examples/{module}.py has no {attr}()")
    return handler  # type: ignore[no-any-return]


def plural(count: int, noun: str) -> str:
    """``"1 skill"``, ``"4 skills"``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


# ------------------------------------------------------------------------------------------- secrets + LP calls
async def step_read_secret(demo: Demo) -> str:
    """Read a secret through the secret client (examples/secrets_and_lp.py: read_secret)."""
    result = await secrets_and_lp.read_secret(demo.toolbelt, {"secret": "demo-secret"})
    check(result["key"] == "demo-secret", f"read the wrong key: {result['key']!r}")
    check(result["fields"], "the secret has no fields")
    return f"read {result['key']!r}: {plural(len(result['fields']), 'field')} (value not printed)"


async def step_update_secret(demo: Demo) -> str:
    """Update a secret, read it back uncached, check the emulator holds the new value."""
    greeting = f"hello from Python at {int(time.time())}"
    result = await secrets_and_lp.update_secret(
        demo.toolbelt, {"secret": "demo-secret", "update": {"greeting": greeting}}
    )
    check(result["verified"], "the value read back differs from the one stored")
    stored = demo.emulator.state.secrets["demo-secret"]
    check(stored.get("greeting") == greeting, "the emulator does not hold the new value")
    return f"updated {result['key']!r} ({', '.join(result['updated'])}) and read it back uncached"


def _last_skills_request(demo: Demo) -> str | None:
    skills = [r for r in demo.emulator.state.requests if r.route == "skills"]
    return skills[-1].auth_scheme if skills else None


async def step_lp_call_api_key(demo: Demo) -> str:
    """An LP API call signed with OAuth 1.0a (V1's API key, legacy: OAuth 1.0 keys reached end of life on
    2026-05-31, the live platform accepts OAuth 2.0 only); the emulator verifies the signature."""
    result = await secrets_and_lp.signed_lp_call(demo.toolbelt, {"app_key_secret_name": LEGACY_APP_KEY})
    check(result["status"] == 200 and result["skills"] > 0, f"unexpected answer: {result}")
    check(_last_skills_request(demo) == "OAuth", "the request was not OAuth 1.0a-signed")
    skills = plural(result["skills"], "skill")
    return f"GET skills signed with {LEGACY_APP_KEY} (legacy OAuth 1.0a, signature verified) → {skills}"


async def step_lp_call_oauth2(demo: Demo) -> str:
    """An LP API call as an OAuth 2.0 app installation (``LIVEPERSON_DEFAULT_APP_KEY``, what the live platform
    accepts since OAuth 1.0 keys reached end of life): a Sentinel token, then a Bearer request."""
    before = demo.emulator.state.count("sentinel")
    result = await secrets_and_lp.signed_lp_call(demo.toolbelt, {"app_key_secret_name": OAUTH2_APP_KEY})
    check(result["status"] == 200 and result["skills"] > 0, f"unexpected answer: {result}")
    check(_last_skills_request(demo) == "Bearer", "the request carried no bearer token")
    tokens = demo.emulator.state.count("sentinel") - before
    skills = plural(result["skills"], "skill")
    return f"GET skills with {OAUTH2_APP_KEY} (OAuth 2.0, {plural(tokens, 'Sentinel token')}, Bearer) → {skills}"


# ------------------------------------------------------------------------------------------- conversations
FLOW_VISITOR = "demo-visitor-1"
FLOW_MESSAGES: tuple[str | dict[str, str], ...] = (
    "Hi, my order arrived broken. I want a REFUND.",
    "Sorry to hear that! Could you send a photo?",
    {"caption": "photo of the broken item"},
    "Here is the receipt too",
    {"caption": "receipt for the refund"},
)


async def step_conversation(demo: Demo) -> str:
    """One invocation of examples/conversation_flow.py; the SDE and GDPR steps check the rest of its work."""
    flow = load_example("conversation_flow")
    state = demo.emulator.state
    state.secrets.setdefault(
        flow.DEFAULT_STORAGE_SECRET, {"username": DEFAULT_SWIFT_USER, "password": DEFAULT_SWIFT_KEY}
    )
    conversation_id = add_conversation(state, list(FLOW_MESSAGES), visitor_id=FLOW_VISITOR)
    originals = {path: state.swift_files[path] for path in state.swift_files if conversation_id in path}
    payload = {"conversationId": conversation_id, "visitorId": FLOW_VISITOR, "sessionId": "demo-session-1"}
    result = await flow.handler(demo.toolbelt, payload)
    demo.notes["flow"] = (conversation_id, originals, result)
    check(result["hits"], "no keyword hits in a conversation that asks for a refund")
    keywords = "/".join(flow.DEFAULT_KEYWORDS)
    return (
        f"fetched conversation {conversation_id[:8]}… ({plural(len(FLOW_MESSAGES), 'message')}), scanned for "
        f"{keywords} → {plural(len(result['hits']), 'hit')} ({', '.join(result['keywordsFound'])})"
    )


def _flow(demo: Demo) -> tuple[str, dict[str, tuple[bytes, str]], dict[str, Any]]:
    if "flow" not in demo.notes:
        raise StepFailed("skipped: the conversation step did not run")
    flow: tuple[str, dict[str, tuple[bytes, str]], dict[str, Any]] = demo.notes["flow"]
    return flow


async def step_sdes(demo: Demo) -> str:
    """Check the SDE the conversation flow reported: read back from the conversation and stored by the emulator."""
    _, _, result = _flow(demo)
    check(result["sdeReported"], "no SDE was reported")
    latest = result["latestSde"] or {}
    check(latest.get("sdeType") == "SERVICE_ACTIVITY", f"the latest SDE read back is {latest.get('sdeType')!r}")
    check(latest.get("isAuthenticated") is False, "an SDE reported through SMT must be listed as unauthenticated")
    stored = demo.emulator.state.visitor_sdes.get(FLOW_VISITOR, [])
    check(len(stored) == 1, f"the emulator holds {len(stored)} SDEs for the visitor")
    return f"added a SERVICE_ACTIVITY SDE to {FLOW_VISITOR!r}, read back from the conversation's unAuthSdes (1 event)"


async def step_gdpr(demo: Demo) -> str:
    """Check the conversation flow replaced every hosted file of the conversation in object storage."""
    _, originals, result = _flow(demo)
    replaced = result["replacedFiles"]
    check(sorted(replaced) == sorted(originals), f"replaced {replaced}, expected {sorted(originals)}")
    files = demo.emulator.state.swift_files
    check(all(files[path] == DEFAULT_REPLACEMENT_FILE for path in replaced), "a file still holds its old content")
    size = len(DEFAULT_REPLACEMENT_FILE[0])
    return f"replaced {plural(len(replaced), 'hosted file')} with a {size}-byte 1x1 PNG (checked in object storage)"


# ------------------------------------------------------------------------------------------- context store
CONTEXT_CONVERSATION = "demo-conversation-1"
CONTEXT_MESSAGES = ("I need help with my order", "It arrived damaged")


async def step_context_first(demo: Demo) -> str:
    """First invocation of examples/context_state.py: nothing remembered yet, state stored."""
    handler = example_handler("context_state")
    # As a developer would put it in functions/settings.json: the Context Session Store key of the emulator.
    demo.emulator.state.secrets.setdefault(CONTEXT_KEY_SECRET, DEFAULT_CONTEXT_API_KEY)
    result = await handler(demo.toolbelt, {"conversationId": CONTEXT_CONVERSATION, "message": CONTEXT_MESSAGES[0]})
    check(result["visit"] == 1, f"expected the first visit, got {result['visit']}")
    check(result["previousMessage"] is None, "a first invocation found a previous message")
    return f"invocation 1 stored visit 1 and its message in session {CONTEXT_CONVERSATION!r}"


async def step_context_second(demo: Demo) -> str:
    """Second invocation, on a fresh Toolbelt: the state stored by the first one is read back."""
    handler = example_handler("context_state")
    async with demo.fresh_toolbelt() as toolbelt:  # a new function run: nothing shared in memory
        result = await handler(toolbelt, {"conversationId": CONTEXT_CONVERSATION, "message": CONTEXT_MESSAGES[1]})
    check(result["visit"] == 2, f"expected the second visit, got {result['visit']}")
    check(result["previousMessage"] == CONTEXT_MESSAGES[0], f"read back {result['previousMessage']!r}")
    return f"invocation 2 (a fresh Toolbelt) read it back: visit {result['visit']}, previous {CONTEXT_MESSAGES[0]!r}"


# ------------------------------------------------------------------------------------------- Salesforce
async def step_salesforce(demo: Demo) -> str:
    """examples/salesforce_query.py with small pages and an expired token: pages followed, token refreshed."""
    handler = example_handler("salesforce_query")
    state = demo.emulator.state
    # The demo seed has the secret: loginUrl "${EMULATOR_URL}" (the emulator plays Salesforce too), resolved at start.
    check(state.secrets[SALESFORCE_SECRET]["loginUrl"] == str(demo.emulator.base_url), "the seed's loginUrl")
    check(state.secrets[SALESFORCE_SECRET]["accessToken"] == SALESFORCE_ACCESS_TOKEN, "the seed's access token")
    state.salesforce.page_size = 2  # small pages, so the query has pages to follow
    state.salesforce.expire_access_tokens()  # and an expired token, so the client refreshes it
    limit = 5
    result = await handler(demo.toolbelt, {"limit": limit})
    expected = min(limit, len(state.salesforce.records.get("Account", {})))
    check(result["count"] == expected, f"expected {expected} accounts, got {result['count']}")
    check(result["tokenRefreshed"], "the expired access token was not refreshed")
    pages = -(-result["count"] // state.salesforce.page_size)
    names = ", ".join(str(a["name"]) for a in result["accounts"][:2])
    accounts = plural(result["count"], "account")
    return f"SOQL on Account, LIMIT {limit} → {accounts} in {plural(pages, 'page')} ({names}, ...); token refreshed"


# ------------------------------------------------------------------------------------------- Functions V2
async def step_orchestrator(demo: Demo) -> str:
    """examples/orchestration.py: two functions hosted by the emulator, invoked in parallel by a third handler."""
    state = demo.emulator.state
    demo.emulator.functions[orchestration.ENRICH_UUID] = orchestration.enrich
    demo.emulator.functions[orchestration.SCORE_UUID] = orchestration.score
    before = len(state.invocations)
    result = await orchestration.handler(demo.toolbelt, {"customerId": "c-1", "basket": [10, 20, 30]})
    check(result["failures"] == {}, f"failed invocations: {result['failures']}")
    check(result["customer"] == {"customerId": "c-1", "tier": "gold"}, f"enrich answered {result['customer']}")
    check(result["basket"] == {"items": 3, "score": 6.0}, f"score answered {result['basket']}")
    invoked = sorted(i.uuid for i in state.invocations[before:])
    check(invoked == sorted([orchestration.ENRICH_UUID, orchestration.SCORE_UUID]), f"invoked {invoked}")
    tier, score = result["customer"]["tier"], result["basket"]["score"]
    return f"invoked 2 local functions in parallel through faasGW (Sentinel token) → tier {tier!r}, score {score}"


async def step_mtls_own_certificate(demo: Demo) -> str:
    """examples/mtls_partner.py: a partner that requires a client certificate, called with the secret's own."""
    pki = _partner.PartnerPki()
    demo.emulator.state.secrets[mtls_partner.DEFAULT_SECRET] = {
        "cert": pki.cert_pem.decode(),
        "key": pki.key_pem.decode(),
        "ca": pki.ca_pem.decode(),
    }
    async with _partner.partner_server(pki.server_context()) as base:
        result = await mtls_partner.own_certificate(demo.toolbelt, {"url": f"{base}/orders/42"})
    answer = result["answer"]
    check(answer["client"] == _partner.CLIENT_NAME, f"the partner saw the client certificate {answer['client']!r}")
    check(answer["path"] == "/orders/42", f"the partner got {answer['path']!r}")
    return f"GET /orders/42 with the certificate of secret {mtls_partner.DEFAULT_SECRET!r} → the partner saw its CN"


async def step_lp_mtls_gateway(demo: Demo) -> str:
    """examples/mtls_partner.py through the emulator's mTLS gateway, which holds the partner's client certificate."""
    state = demo.emulator.state
    pki = _partner.PartnerPki()
    async with _partner.partner_server(pki.server_context()) as base:
        state.mtls_certificates[base] = MtlsCertificate(pki.cert_pem, pki.key_pem, ca=pki.ca_pem)
        before = state.count("mtls-gateway")
        payload = {"url": f"{base}/orders", "partnerToken": "demo-partner-token"}
        result = await mtls_partner.through_gateway(demo.toolbelt, payload)
    answer = result["answer"]
    check(state.count("mtls-gateway") == before + 1, "the call did not go through the gateway")
    check(answer["client"] == _partner.CLIENT_NAME, f"the partner saw the client certificate {answer['client']!r}")
    check(answer["headers"].get("Authorization") == "Bearer demo-partner-token", "the partner token was not passed on")
    return "POST /orders through the mTLS gateway (1 call): its certificate presented, the partner's token passed on"


# ------------------------------------------------------------------------------------------- the report
STEPS: list[tuple[str, Step]] = [
    ("secrets.read", step_read_secret),
    ("secrets.update", step_update_secret),
    ("lp.oauth2", step_lp_call_oauth2),
    ("lp.api-key", step_lp_call_api_key),
    ("conversation.keywords", step_conversation),
    ("sdes.add-and-read", step_sdes),
    ("gdpr.replace-files", step_gdpr),
    ("context.invocation-1", step_context_first),
    ("context.invocation-2", step_context_second),
    ("salesforce.query", step_salesforce),
    ("orchestrator.invoke", step_orchestrator),
    ("mtls.own-certificate", step_mtls_own_certificate),
    ("lp-mtls.gateway", step_lp_mtls_gateway),
]
"""(name, step) in the order they run."""


def _describe(err: BaseException) -> str:
    if isinstance(err, StepFailed):
        return str(err)
    if isinstance(err, ToolbeltError):
        return f"{err.code}: {err}"
    if isinstance(err, TimeoutError):
        return f"timed out after {STEP_TIMEOUT:g} s"
    return f"{type(err).__name__}: {err}"


async def run_steps(demo: Demo, steps: Sequence[tuple[str, Step]], out: TextIO) -> list[StepResult]:
    """Run ``steps`` in order (a failure does not stop the others) and print one line for each."""
    width = max((len(name) for name, _ in steps), default=0)
    results: list[StepResult] = []
    for name, step in steps:
        started = time.perf_counter()
        try:
            async with asyncio.timeout(STEP_TIMEOUT):
                summary = await step(demo)
            ok = True
        except Exception as err:  # noqa: BLE001 - the demo reports every failure and goes on
            summary, ok = _describe(err), False
        result = StepResult(name, ok, summary, time.perf_counter() - started)
        results.append(result)
        mark = OK_MARK if ok else FAIL_MARK
        print(f"{mark} {name:<{width}}  {summary}", file=out, flush=True)
    return results


async def run_demo(out: TextIO = sys.stdout, steps: Sequence[tuple[str, Step]] | None = None) -> list[StepResult]:
    """Start an emulator, run every step against it, print the report; return the results."""
    selected = STEPS if steps is None else steps
    async with Emulator() as emulator:
        print(
            f"lp-toolbelt demo: emulator on {emulator.base_url} (account {emulator.state.account_id}), "
            f"{plural(len(selected), 'step')}",
            file=out,
            flush=True,
        )
        async with emulator_toolbelt(emulator) as toolbelt:
            started = time.perf_counter()
            results = await run_steps(Demo(emulator, toolbelt), selected, out)
            elapsed = time.perf_counter() - started
    passed = sum(1 for r in results if r.ok)
    requests = len(emulator.state.requests)
    print(f"({plural(requests, 'HTTP request')} to the emulator in {elapsed:.2f} s)", file=out)
    print(f"demo: {passed} passed, {len(results) - passed} failed", file=out, flush=True)
    return results


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m examples.demo [--only NAME ...]``: 0 when every step passed, else 1."""
    parser = argparse.ArgumentParser(prog="python -m examples.demo", description=__doc__.splitlines()[0])
    names = [name for name, _ in STEPS]
    parser.add_argument("--only", nargs="+", metavar="STEP", choices=names, help=f"run only these: {', '.join(names)}")
    args = parser.parse_args(argv)
    steps = STEPS if not args.only else [(n, s) for n, s in STEPS if n in set(args.only)]
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(errors="replace")  # a non-UTF-8 terminal shows '?' instead of failing on ✓
    results = asyncio.run(run_demo(sys.stdout, steps))
    return 0 if results and all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
