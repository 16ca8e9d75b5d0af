"""One deadline per call: a call's ``timeout`` bounds all of it — the CSDS lookup and the token fetch it may need,
every attempt and every wait — even when the Toolbelt's default timeout is much longer."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from lp_toolbelt import ErrorCodes, LpServices, Toolbelt
from lp_toolbelt.emulator import Emulator
from lp_toolbelt.errors import RequestTimeoutError

from .ops import OAUTH2_APP

CALL_TIMEOUT = 0.3
CONFIG_TIMEOUT = 30.0
SLACK = 1.0

Call = Callable[[Toolbelt, Emulator], Awaitable[Any]]


def _skills(emu: Emulator) -> str:
    return f"/api/account/{emu.state.account_id}/configuration/le-users/skills"


async def _lp_oauth1(tb: Toolbelt, emu: Emulator) -> Any:
    return await tb.lp_client()(LpServices.ACCOUNT_CONFIG_READ_ONLY, _skills(emu), timeout=CALL_TIMEOUT)


async def _lp_oauth2(tb: Toolbelt, emu: Emulator) -> Any:
    lp = tb.lp_client()
    return await lp(
        LpServices.ACCOUNT_CONFIG_READ_ONLY, _skills(emu), app_key_secret_name=OAUTH2_APP, timeout=CALL_TIMEOUT
    )


async def _conversation(tb: Toolbelt, emu: Emulator) -> Any:
    return await tb.conversation_util().get_conversation_by_id(
        "e5c58e49-e4a5-40a8-8a18-d6580d1d5630", timeout=CALL_TIMEOUT
    )


async def _sde(tb: Toolbelt, emu: Emulator) -> Any:
    sdes = [{"type": "ctmrinfo", "info": {"customerId": "c-1"}}]
    return await tb.sde_util().add_sdes(sdes, "visitor-1", "session-1", timeout=CALL_TIMEOUT)


async def _http(tb: Toolbelt, emu: Emulator) -> Any:
    url = (emu.base_url / "api/account" / emu.state.account_id / "service/baseURI.json").with_query(version="1.0")
    return await tb.http_client().get(url, timeout=CALL_TIMEOUT)


CASES: list[tuple[str, Call, str]] = [
    ("lp-oauth1/csds", _lp_oauth1, "csds"),
    ("lp-oauth1/skills", _lp_oauth1, "skills"),
    ("lp-oauth2/csds", _lp_oauth2, "csds"),
    ("lp-oauth2/sentinel", _lp_oauth2, "sentinel"),
    ("lp-oauth2/skills", _lp_oauth2, "skills"),
    ("conversation/csds", _conversation, "csds"),
    ("conversation/msghist", _conversation, "msghist"),
    ("sde/csds", _sde, "csds"),
    ("sde/smt", _sde, "smt"),
    ("http/csds", _http, "csds"),
]


@pytest.mark.parametrize(("call", "route"), [(c, r) for _, c, r in CASES], ids=[name for name, _, _ in CASES])
async def test_call_timeout_bounds_every_step(call: Call, route: str, emu: Emulator) -> None:
    async with Toolbelt(emu.config(timeout=CONFIG_TIMEOUT)) as tb:
        emu.state.faults.add(route, "stall", times=None)
        started = time.monotonic()
        with pytest.raises(RequestTimeoutError) as info:
            async with asyncio.timeout(CALL_TIMEOUT + SLACK):  # a hang fails here as a plain TimeoutError
                await call(tb, emu)
        elapsed = time.monotonic() - started
        assert info.value.code == ErrorCodes.HTTP_TIMEOUT
        assert CALL_TIMEOUT * 0.9 <= elapsed <= CALL_TIMEOUT + SLACK
        # Leaving the Toolbelt cancels a shared CSDS/token fetch the timed-out call left running (no leak: conftest).
