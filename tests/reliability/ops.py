"""The client calls the reliability suite drives: one ``Op`` per (client, operation), parametrized everywhere.

Adding a client to the fault suite and the secret scan is one ``Op(...)`` entry in :data:`OPS`. An op names the
emulator route its main request hits (where faults are armed), its retry policy (may that request be replayed after
an ambiguous failure; which answers are retried) and the error code a caller gets for each class of failure.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from lp_toolbelt import ErrorCodes, LpServices, Toolbelt
from lp_toolbelt.clients.context import ContextServiceClient
from lp_toolbelt.emulator import Emulator
from lp_toolbelt.emulator.routes.msghist import FIXTURE_CONVERSATION_ID, add_conversation
from lp_toolbelt.emulator.state import SALESFORCE_ACCESS_TOKEN, SALESFORCE_REFRESH_TOKEN

E = ErrorCodes
OAUTH2_APP = "lp-faas-oauth2-app"


@dataclass(frozen=True)
class Codes:
    """The ``code`` of the ToolbeltError a caller sees, per class of failure."""

    timeout: str  # the call's deadline passed
    network: str  # reset / truncated answer, not (or no longer) retried
    status: str  # an error status answered (5xx after retries, 500, 401 ...)
    rate_limited: str  # 429 after retries
    format: str  # a 2xx answer that is not the documented JSON
    too_large: str  # a body above the 64 MiB cap


def _codes(code: str, **overrides: str) -> Codes:
    return replace(Codes(*(code,) * 6), **overrides)


HTTP_CODES = Codes(
    timeout=E.HTTP_TIMEOUT,
    network=E.HTTP_OP_FAILED,
    status=E.HTTP_STATUS,
    rate_limited=E.HTTP_RATE_LIMITED,
    format=E.HTTP_INVALID_JSON,
    too_large=E.HTTP_RESPONSE_TOO_LARGE,
)
CSDS_CODES = _codes(E.CSDS_OP_FAILED)
# An LP call's own deadline covers its CSDS lookup: a stalled CSDS ends the call with the call's timeout.
LP_CSDS_CODES = _codes(E.CSDS_OP_FAILED, timeout=E.HTTP_TIMEOUT)
TOKEN_CODES = replace(HTTP_CODES, status=E.LP_CLIENT_AUTH_FAILED, format=E.LP_CLIENT_AUTH_FAILED)
CONVERSATION_CODES = replace(
    HTTP_CODES, status=E.CONVERSATION_UNEXPECTED_RESPONSE, format=E.CONVERSATION_UNEXPECTED_RESPONSE
)
SDE_CODES = replace(HTTP_CODES, status=E.SDES_UNEXPECTED_RESPONSE)
GDPR_CODES = _codes(E.GDPR_REPLACE_FILE_FAILED)
GDPR_AUTH_CODES = _codes(E.GDPR_AUTH_FAILED)
CONTEXT_CODES = _codes(E.CONTEXT_UNKNOWN, timeout=E.CONTEXT_RESPONSE_TIMEOUT)
CONTEXT_STATUS = {500: E.CONTEXT_INTERNAL_SERVER_ERROR, 503: E.CONTEXT_INTERNAL_SERVER_ERROR}
SALESFORCE_CODES = replace(HTTP_CODES, status=E.SALESFORCE_REQUEST_FAILED, format=E.SALESFORCE_REQUEST_FAILED)


@dataclass(frozen=True)
class Op:
    """One client call. ``run`` makes it and consumes the result the way a caller would (parses the JSON)."""

    name: str
    route: str  # the emulator route of the request faults are armed on
    run: Callable[[Toolbelt, Emulator], Awaitable[Any]]
    retry_safe: bool  # may that request be replayed after an ambiguous failure (reset, cut body)
    codes: Codes
    network_attempts: int | None = None  # attempts on network errors (None: max_retries + 1 if retry_safe, else 1)
    retries_status: bool | None = None  # 502/503/504 retried (None: when retry_safe)
    retries_429: bool = True
    renews_on_401: bool = False  # a 401 is answered by renewing credentials and sending once more
    parses_body: bool = True  # a 2xx body that is not JSON is an error (False: the body is not used)
    status_codes: Mapping[int, str] = field(default_factory=dict)  # per-status overrides of codes.status
    follow_ups: int = 0  # further requests on the same route after a successful one (e.g. PATCH then GET)
    ok_status: int = 200  # the status of the route's successful answer


# --------------------------------------------------------------------------------------------------- calls
def _csds_url(emu: Emulator) -> str:
    return str((emu.base_url / "api/account" / emu.state.account_id / "service/baseURI.json").with_query(version="1.0"))


def _token_url(emu: Emulator) -> str:
    return str((emu.base_url / "sentinel/api/v2/account" / emu.state.account_id / "app/token").with_query(v="2.0"))


def _skills_path(emu: Emulator) -> str:
    return f"/api/account/{emu.state.account_id}/configuration/le-users/skills"


async def http_get(tb: Toolbelt, emu: Emulator) -> Any:
    resp = await tb.http_client().get(_csds_url(emu), raise_for_status=True)
    return resp.json()


async def http_post(tb: Toolbelt, emu: Emulator) -> Any:
    app = emu.state.secrets[OAUTH2_APP]
    form = {"client_id": app["client_id"], "client_secret": app["client_secret"], "grant_type": "client_credentials"}
    resp = await tb.http_client().post(_token_url(emu), data=form, raise_for_status=True)
    return resp.json()


async def csds_get(tb: Toolbelt, emu: Emulator) -> Any:
    return await tb.csds_client().get(LpServices.MSG_HIST)


async def lp_oauth1_get(tb: Toolbelt, emu: Emulator) -> Any:
    resp = await tb.lp_client()(LpServices.ACCOUNT_CONFIG_READ_ONLY, _skills_path(emu), raise_for_status=True)
    return resp.json()


async def lp_oauth1_post(tb: Toolbelt, emu: Emulator) -> Any:
    path = f"/api/account/{emu.state.account_id}/echo"
    resp = await tb.lp_client()(
        LpServices.ACCOUNT_CONFIG_READ_WRITE, path, method="POST", json={"n": 1}, raise_for_status=True
    )
    return resp.json()


async def lp_oauth2_get(tb: Toolbelt, emu: Emulator) -> Any:
    resp = await tb.lp_client()(
        LpServices.ACCOUNT_CONFIG_READ_ONLY, _skills_path(emu), app_key_secret_name=OAUTH2_APP, raise_for_status=True
    )
    return resp.json()


async def conversation_get(tb: Toolbelt, emu: Emulator) -> Any:
    return await tb.conversation_util().get_conversation_by_id(FIXTURE_CONVERSATION_ID)


async def sde_add(tb: Toolbelt, emu: Emulator) -> Any:
    sdes = [{"type": "ctmrinfo", "info": {"customerId": "c-42", "ctype": "vip"}}]
    await tb.sde_util(timeout=tb.config.timeout).add_sdes(sdes, "visitor-1", "session-1")
    return True


async def gdpr_replace(tb: Toolbelt, emu: Emulator) -> Any:
    conv_id = add_conversation(emu.state, ["hello", {"caption": "receipt", "content": b"original"}])
    conv = await tb.conversation_util().get_conversation_by_id(conv_id)
    user, key = next(iter(emu.state.swift_credentials.items()))
    replaced = await tb.gdpr_util().replace_conversation_files(conv, {"username": user, "password": key})
    assert len(replaced) == 1
    return replaced


def context_client(tb: Toolbelt, emu: Emulator) -> ContextServiceClient:
    """The Context Session Store client with the config's timeout as its per-request deadline (spec: 10 s)."""
    api_key = min(emu.state.context_api_keys)
    return ContextServiceClient(tb.transport, tb.config, tb.csds_client(), api_key, timeout=tb.config.timeout)


async def context_get(tb: Toolbelt, emu: Emulator) -> Any:
    await context_client(tb, emu).get_all_properties_in_session("custom", "s-1")
    return True


async def context_set(tb: Toolbelt, emu: Emulator) -> Any:
    return await context_client(tb, emu).set_properties_in_namespace("custom", {"step": 2}, "s-1")


def salesforce(tb: Toolbelt, emu: Emulator) -> Any:
    """A connection with the org's (first) access and refresh tokens and, when the org checks them, its client."""
    org = emu.state.salesforce
    return tb.sf_client().connect_to_salesforce(
        login_url=str(emu.base_url),
        access_token=SALESFORCE_ACCESS_TOKEN
        if SALESFORCE_ACCESS_TOKEN in org.access_tokens
        else min(org.access_tokens),
        refresh_token=SALESFORCE_REFRESH_TOKEN
        if SALESFORCE_REFRESH_TOKEN in org.refresh_tokens
        else min(org.refresh_tokens),
        client_id=org.client_id or "emulator-sf-connected-app",
        client_secret=org.client_secret,
        instance_url=str(emu.base_url),
    )


async def sf_query(tb: Toolbelt, emu: Emulator) -> Any:
    return await salesforce(tb, emu).query("SELECT Id, Name FROM Account")


async def sf_create(tb: Toolbelt, emu: Emulator) -> Any:
    return await salesforce(tb, emu).sobject("Account").create({"Name": "Acme"})


async def _seed_context(tb: Toolbelt, emu: Emulator) -> None:
    await context_client(tb, emu).set_properties_in_namespace("custom", {"seeded": True}, "s-1")


OPS: tuple[Op, ...] = (
    Op("http-get", "csds", http_get, retry_safe=True, codes=HTTP_CODES),
    Op("http-post", "sentinel", http_post, retry_safe=False, codes=HTTP_CODES),
    Op("csds", "csds", csds_get, retry_safe=True, codes=CSDS_CODES),
    Op("lp-csds-lookup", "csds", lp_oauth1_get, retry_safe=True, codes=LP_CSDS_CODES),
    Op("lp-oauth1-get", "skills", lp_oauth1_get, retry_safe=True, codes=HTTP_CODES, renews_on_401=True),
    Op("lp-oauth1-post", "echo", lp_oauth1_post, retry_safe=False, codes=HTTP_CODES, renews_on_401=True),
    Op("lp-oauth2-get", "skills", lp_oauth2_get, retry_safe=True, codes=HTTP_CODES, renews_on_401=True),
    Op("lp-oauth2-token", "sentinel", lp_oauth2_get, retry_safe=True, codes=TOKEN_CODES),
    Op("conversation", "msghist", conversation_get, retry_safe=True, codes=CONVERSATION_CODES, renews_on_401=True),
    # Reporting SDEs appends events: a replay would record them twice, so the PUT is not retry-safe.
    Op("sde-add", "smt", sde_add, retry_safe=False, codes=SDE_CODES, renews_on_401=True, parses_body=False),
    Op("gdpr-put", "swift_object", gdpr_replace, True, GDPR_CODES, renews_on_401=True, parses_body=False),
    Op("gdpr-auth", "swift_auth", gdpr_replace, retry_safe=True, codes=GDPR_AUTH_CODES, parses_body=False),
    # The Context Session Store client follows its spec: up to 3 attempts on network errors (its writes merge, so a
    # replay is harmless), no retry of any HTTP answer (429 included).
    Op(
        "context-get",
        "context-properties",
        context_get,
        retry_safe=True,
        codes=CONTEXT_CODES,
        network_attempts=3,
        retries_status=False,
        retries_429=False,
        status_codes=CONTEXT_STATUS,
    ),
    Op(
        "context-set",
        "context-properties",
        context_set,
        retry_safe=True,
        codes=CONTEXT_CODES,
        network_attempts=3,
        retries_status=False,
        retries_429=False,
        status_codes=CONTEXT_STATUS,
        parses_body=False,  # the PATCH answer is not read; the follow-up GET is not faulted
        follow_ups=1,
    ),
    Op("sf-query", "sf-query", sf_query, retry_safe=True, codes=SALESFORCE_CODES, renews_on_401=True),
    Op("sf-create", "sf-create", sf_create, False, SALESFORCE_CODES, renews_on_401=True, ok_status=201),
)
"""Every client call of the suite. One entry per (client, operation)."""

SETUP: dict[str, Callable[[Toolbelt, Emulator], Awaitable[None]]] = {"context-get": _seed_context}
"""Per-op state to create before the call (e.g. a session to read)."""
