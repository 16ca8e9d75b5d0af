"""The client calls the reliability suite drives: one ``Op`` per (client, operation), parametrized everywhere.

Adding a client to the fault suite and the secret scan is one ``Op(...)`` line in :data:`OPS`. An op names the
emulator route its main request hits (where faults are armed), whether that request may be replayed after an
ambiguous failure, and the error code a caller gets for each class of failure.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any

from lp_toolbelt import ErrorCodes, LpServices, Toolbelt
from lp_toolbelt.emulator import Emulator

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


HTTP_CODES = Codes(
    timeout=E.HTTP_TIMEOUT,
    network=E.HTTP_OP_FAILED,
    status=E.HTTP_STATUS,
    rate_limited=E.HTTP_RATE_LIMITED,
    format=E.HTTP_INVALID_JSON,
    too_large=E.HTTP_RESPONSE_TOO_LARGE,
)
CSDS_CODES = Codes(*(E.CSDS_OP_FAILED,) * 6)
# An LP call's own deadline covers its CSDS lookup: a stalled CSDS ends the call with the call's timeout.
LP_CSDS_CODES = replace(CSDS_CODES, timeout=E.HTTP_TIMEOUT)
TOKEN_CODES = Codes(
    timeout=E.HTTP_TIMEOUT,
    network=E.HTTP_OP_FAILED,
    status=E.LP_CLIENT_AUTH_FAILED,
    rate_limited=E.HTTP_RATE_LIMITED,
    format=E.LP_CLIENT_AUTH_FAILED,
    too_large=E.HTTP_RESPONSE_TOO_LARGE,
)


@dataclass(frozen=True)
class Op:
    """One client call. ``run`` makes it and consumes the result the way a caller would (parses the JSON)."""

    name: str
    route: str  # the emulator route of the request faults are armed on
    run: Callable[[Toolbelt, Emulator], Awaitable[Any]]
    retry_safe: bool  # may that request be replayed after an ambiguous failure
    codes: Codes
    renews_on_401: bool = False  # a 401 is answered by renewing credentials and sending once more
    tags: frozenset[str] = field(default_factory=frozenset)


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


OPS: tuple[Op, ...] = (
    Op("http-get", "csds", http_get, retry_safe=True, codes=HTTP_CODES),
    Op("http-post", "sentinel", http_post, retry_safe=False, codes=HTTP_CODES),
    Op("csds", "csds", csds_get, retry_safe=True, codes=CSDS_CODES),
    Op("lp-csds-lookup", "csds", lp_oauth1_get, retry_safe=True, codes=LP_CSDS_CODES),
    Op("lp-oauth1-get", "skills", lp_oauth1_get, retry_safe=True, codes=HTTP_CODES, renews_on_401=True),
    Op("lp-oauth1-post", "echo", lp_oauth1_post, retry_safe=False, codes=HTTP_CODES, renews_on_401=True),
    Op("lp-oauth2-get", "skills", lp_oauth2_get, retry_safe=True, codes=HTTP_CODES, renews_on_401=True),
    Op("lp-oauth2-token", "sentinel", lp_oauth2_get, retry_safe=True, codes=TOKEN_CODES),
)
"""Every client call of the suite. One line per (client, operation)."""
