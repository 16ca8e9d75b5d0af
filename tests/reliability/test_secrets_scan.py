"""No secret escapes: every client runs with distinctive secret values, through success and failure paths, and
every log record (caplog at DEBUG, all loggers), exception (str, repr, details, the whole chained traceback),
public object repr, exported span (OpenTelemetry SDK, in-memory exporter: names, attributes, events, statuses) and
metric data point is scanned for them — zero hits. Failures the caller receives as exceptions log nothing at WARNING
or above.

The scanned values: the API key's four parts, the app installation's client secret, a plain secret's value, the
Context Session Store API key, the Salesforce access/refresh tokens and client secret, the object storage
password, plus every token the emulator issued during the run (OAuth 2 bearer, Swift, refreshed Salesforce).
"""

from __future__ import annotations

import json
import logging
import time
import traceback
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any

import pytest
from yarl import URL

from lp_toolbelt import SecretEntry, Toolbelt, ToolbeltError
from lp_toolbelt.auth.oauth2 import OAuth2Credentials, token_request
from lp_toolbelt.clients.salesforce_wire import refresh_request
from lp_toolbelt.emulator import Emulator
from lp_toolbelt.transport.send import Request
from lp_toolbelt.utils.gdpr import swift_auth_request
from tests._otel import Otel, otel_sdk

from .ops import OAUTH2_APP, OPS, SETUP, Op, context_client, salesforce

APP_KEY = "lp-faas-default-app-key"
SECRET = {
    "consumerKey": "ck-Q7rX2SCAN0001",
    "consumerSecret": "cs-Q7rX2SCAN0002",
    "token": "tk-Q7rX2SCAN0003",
    "tokenSecret": "ts-Q7rX2SCAN0004",
    "client_secret": "csec-Q7rX2SCAN0005",
    "plain": "val-Q7rX2SCAN0006",
    "context_key": "mk-Q7rX2SCAN0007",
    "sf_access": "sfat-Q7rX2SCAN0008",
    "sf_refresh": "sfrt-Q7rX2SCAN0009",
    "sf_client_secret": "sfcs-Q7rX2SCAN0010",
    "swift_password": "swk-Q7rX2SCAN0011",
}
SETTINGS = {
    "secrets": [
        {"key": APP_KEY, "value": {k: SECRET[k] for k in ("consumerKey", "consumerSecret", "token", "tokenSecret")}},
        {"key": OAUTH2_APP, "value": {"client_id": "app-client-1", "client_secret": SECRET["client_secret"]}},
        {"key": "demo-secret", "value": {"greeting": SECRET["plain"]}},
    ],
    "whitelist": ["localhost"],  # the emulator's Context Session Store host: not on the default allowlist
}
FAULTS: list[tuple[str, dict[str, Any]]] = [
    ("status", {"status": 401, "times": None}),
    ("status", {"status": 500}),
    ("status", {"status": 503, "times": None, "body": "upstream down"}),
    ("reset_before_headers", {"times": None}),
    ("truncated_body", {"times": None}),
    ("malformed_json", {}),
    ("wrong_content_type", {}),
    ("rate_limited", {"retry_after": 0, "times": None}),
    ("oversized_body", {}),
    ("stall", {}),
]


class Scan:
    """Everything a user or an operator could see: texts collected from exceptions, reprs and log records."""

    def __init__(self) -> None:
        self.texts: list[tuple[str, str]] = []

    def error(self, where: str, err: BaseException) -> None:
        self.texts.append((where, "".join(traceback.format_exception(err))))
        seen: set[int] = set()
        current: BaseException | None = err
        while current is not None and id(current) not in seen:
            seen.add(id(current))
            self.texts.append((where, f"{current!s} {current!r} {current.args!r}"))
            if isinstance(current, ToolbeltError):
                self.texts.append((where, json.dumps(current.details, default=repr)))
            current = current.__cause__ or current.__context__

    def repr(self, where: str, *objects: object) -> None:
        for obj in objects:
            self.texts.append((where, f"{obj!r} {obj!s}"))

    def logs(self, records: Iterable[logging.LogRecord]) -> None:
        formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
        for record in records:
            self.texts.append((f"log {record.name}", formatter.format(record) + repr(record.__dict__)))

    def telemetry(self, otel: Otel) -> None:
        self.texts.extend(("telemetry", text) for text in otel.all_texts())

    def hits(self, secrets: Iterable[str]) -> list[tuple[str, str]]:
        return [(where, secret) for secret in secrets for where, text in self.texts if secret in text]


def seeded_emulator() -> Emulator:
    emu = Emulator(SETTINGS, rate_limit=None)
    emu.state.context_api_keys = {SECRET["context_key"]}
    emu.state.swift_credentials = {"swift-user": SECRET["swift_password"]}
    org = emu.state.salesforce
    org.access_tokens = {SECRET["sf_access"]: time.monotonic() + 3600}
    org.refresh_tokens = {SECRET["sf_refresh"]}
    org.client_id, org.client_secret = "sf-client-1", SECRET["sf_client_secret"]
    return emu


def issued_tokens(emu: Emulator) -> set[str]:
    """Credentials the emulator handed out during the run."""
    return {*emu.state.tokens, *emu.state.swift_tokens, *emu.state.salesforce.access_tokens}


@pytest.fixture
async def scan_emu() -> AsyncIterator[Emulator]:
    async with seeded_emulator() as emulator:
        yield emulator


@pytest.fixture
def otel() -> Iterator[Otel]:
    with otel_sdk() as rig:
        yield rig


def loud_records(records: Iterable[logging.LogRecord]) -> list[str]:
    """lp_toolbelt records at WARNING or above (the caller got these outcomes as exceptions: none is expected)."""
    return [r.getMessage() for r in records if r.name.startswith("lp_toolbelt") and r.levelno >= logging.WARNING]


async def _attempt(scan: Scan, where: str, tb: Toolbelt, emu: Emulator, op: Op) -> Any:
    try:
        result = await op.run(tb, emu)
    except ToolbeltError as err:
        scan.error(where, err)
        return None
    return result  # what the caller asked for (a token, for http-post): not scanned


@pytest.mark.parametrize("op", OPS, ids=[op.name for op in OPS])
async def test_no_secret_in_logs_errors_or_reprs(
    op: Op, scan_emu: Emulator, otel: Otel, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    emu, scan = scan_emu, Scan()
    async with Toolbelt(emu.config(timeout=0.5, max_retries=1, retry_backoff_base=0.0)) as tb:
        if op.name in SETUP:
            await SETUP[op.name](tb, emu)
        assert await _attempt(scan, f"{op.name} ok", tb, emu, op) is not None  # the happy path works
        for kind, options in FAULTS:
            emu.state.faults.add(op.route, kind, **options)
            await _attempt(scan, f"{op.name} {kind} {options}", tb, emu, op)
            emu.state.faults.clear()
            for cache in (tb.csds_cache, tb.token_cache):  # let fetches the timeout left running end
                for flight in list(cache._flights.values()):
                    await flight
        scan.repr(
            "objects",
            tb,
            tb.config,
            tb.transport,
            tb.http_client(),
            tb.csds_client(),
            tb.secret_client(),
            tb.lp_client(),
            tb.conversation_util(),
            tb.sde_util(),
            tb.gdpr_util(),
            context_client(tb, emu),
            tb.context_service_client(SECRET["context_key"]),
            tb.sf_client(),
            salesforce(tb, emu),
            await tb.secret_client().read_secret("demo-secret"),
            await tb.secret_client().read_secret(APP_KEY),
            emu,
            emu.state,  # the emulator's state shows up in users' assertion failures
        )
    scan.logs(caplog.records)
    scan.telemetry(otel)
    assert otel.spans(), "the scan saw no span"
    secrets = {*SECRET.values(), *issued_tokens(emu)}
    assert scan.hits(secrets) == []
    assert loud_records(caplog.records) == []


async def test_credential_failures_do_not_echo_credentials(
    scan_emu: Emulator, otel: Otel, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    emu, scan = scan_emu, Scan()
    wrong_shape = {"consumerKey": SECRET["consumerKey"], "consumerSecret": SECRET["consumerSecret"]}
    secrets = {
        APP_KEY: wrong_shape,  # not an API key, not an app installation
        OAUTH2_APP: {"client_id": "app-client-1", "client_secret": SECRET["client_secret"] + "-stale"},
        "demo-secret": {"greeting": SECRET["plain"]},
        "LIVEPERSON_DEFAULT_X": SECRET["plain"],
    }
    async with Toolbelt(emu.config(secrets=secrets, timeout=2.0)) as tb:
        lp = tb.lp_client()
        path = f"/api/account/{emu.state.account_id}/configuration/le-users/skills"
        calls: list[tuple[str, Any]] = [
            ("wrong-shape key", lambda: lp("accountConfigReadOnly", path)),
            ("refused client", lambda: lp("accountConfigReadOnly", path, app_key_secret_name=OAUTH2_APP)),
            ("missing secret", lambda: tb.secret_client().read_secret("no-such-secret")),
            (
                "oversized value",
                lambda: tb.secret_client().update_secret(SecretEntry(key="demo-secret", value=SECRET["plain"] * 3000)),
            ),
            (
                "system secret",
                lambda: tb.secret_client().update_secret(
                    SecretEntry(key="LIVEPERSON_DEFAULT_X", value=SECRET["plain"])
                ),
            ),
            ("bad gdpr password", lambda: _gdpr_with_password(tb, emu, SECRET["swift_password"] + "-wrong")),
            (
                "context key refused",
                lambda: tb.context_service_client(SECRET["context_key"] + "-x").get_list_of_sessions("custom"),
            ),
            ("sf refresh refused", lambda: _sf_refresh_refused(tb, emu)),
        ]
        for where, call in calls:
            with pytest.raises(ToolbeltError) as info:
                await call()
            scan.error(where, info.value)
    scan.logs(caplog.records)
    scan.telemetry(otel)
    extra = {SECRET["client_secret"] + "-stale", SECRET["swift_password"] + "-wrong", SECRET["context_key"] + "-x"}
    assert scan.hits({*SECRET.values(), *extra, *issued_tokens(emu)}) == []
    assert loud_records(caplog.records) == []


async def test_query_values_never_reach_spans_or_logs(
    scan_emu: Emulator, otel: Otel, caplog: pytest.LogCaptureFixture
) -> None:
    """A secret in a query string (an API taking ``?access_token=``), answered, retried and refused: the spans carry
    ``url.full`` with the value redacted, the logs name the host only."""
    caplog.set_level(logging.DEBUG)
    emu, scan = scan_emu, Scan()
    secret = SECRET["sf_access"]
    csds = emu.base_url / "api/account" / emu.state.account_id / "service/baseURI.json"
    async with Toolbelt(emu.config(retry_backoff_base=0.0)) as tb:
        http = tb.http_client()
        emu.state.faults.add("csds", "status", status=503, times=1)
        await http.get(csds, params={"version": "1.0", "access_token": secret})
        with pytest.raises(ToolbeltError) as info:
            await http.get(f"https://elsewhere.example.com/x?access_token={secret}")
        scan.error("refused", info.value)
    scan.logs(caplog.records)
    scan.telemetry(otel)
    urls = [str((s.attributes or {}).get("url.full")) for s in otel.spans() if "url.full" in (s.attributes or {})]
    assert any(u.endswith("?version=REDACTED&access_token=REDACTED") for u in urls), urls
    assert scan.hits([secret]) == []


async def _gdpr_with_password(tb: Toolbelt, emu: Emulator, password: str) -> None:
    conv = {
        "conversationHistoryRecords": [
            {
                "info": {"conversationId": "c-1"},
                "messageRecords": [
                    {
                        "type": "HOSTED_FILE",
                        "messageData": {"file": {"caption": "x", "relativePath": "/v1/AUTH_async-images/1/c-1/f.jpg"}},
                    }
                ],
            }
        ]
    }
    await tb.gdpr_util().replace_conversation_files(conv, {"username": "swift-user", "password": password})


async def _sf_refresh_refused(tb: Toolbelt, emu: Emulator) -> None:
    org = emu.state.salesforce
    con = tb.sf_client().connect_to_salesforce(
        login_url=str(emu.base_url),
        access_token=SECRET["sf_access"] + "-expired",
        refresh_token=SECRET["sf_refresh"],
        client_id=org.client_id,
        client_secret=SECRET["sf_client_secret"] + "-wrong",
        instance_url=str(emu.base_url),
    )
    await con.query("SELECT Id FROM Account")


def test_scan_finds_a_planted_secret() -> None:
    """The scanner itself works: a secret in a message, a cause, details or a log record is found."""
    scan = Scan()
    try:
        try:
            raise ValueError(f"token={SECRET['tokenSecret']}")
        except ValueError as inner:
            raise ToolbeltError("X", "c", "outer", details={"k": SECRET["plain"]}) from inner
    except ToolbeltError as err:
        scan.error("planted", err)
    record = logging.LogRecord("x", logging.DEBUG, __file__, 1, "key %s", (SECRET["context_key"],), None)
    scan.logs([record])
    assert {s for _, s in scan.hits(SECRET.values())} == {SECRET["tokenSecret"], SECRET["plain"], SECRET["context_key"]}


def test_request_values_hide_credentials() -> None:
    """Request values the clients build (the sans-I/O layer) never show credentials in their repr, so logging one
    (or a debugger/traceback showing it) cannot leak a token, a client secret or a password."""
    host = "api.liveperson.net"
    requests = [
        token_request("https", host, "1", OAuth2Credentials("app-client-1", SECRET["client_secret"])),
        swift_auth_request("https", host, {"username": "swift-user", "password": SECRET["swift_password"]}),
        refresh_request(URL("https://login.example.com"), SECRET["sf_refresh"], "sf", SECRET["sf_client_secret"]),
        Request("GET", URL(f"https://{host}/x"), headers={"Authorization": f"Bearer {SECRET['sf_access']}"}),
        Request("POST", URL(f"https://{host}/x"), json={"password": SECRET["plain"]}),
    ]
    scan = Scan()
    scan.repr("requests", *requests)
    assert scan.hits(SECRET.values()) == []
    assert all(str(r.url.host) in repr(r) for r in requests)  # the repr still says where the request goes
