"""Bad arguments are refused as ToolbeltErrors before anything is sent; credentials never follow a redirect to
another origin; a rejected config value is never repeated in an error, chained or not."""

from __future__ import annotations

import traceback
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from multidict import CIMultiDict
from pydantic import ValidationError
from yarl import URL

from lp_toolbelt import LpServices, Toolbelt, ToolbeltConfig
from lp_toolbelt.auth.oauth1 import OAuth1Credentials, OAuth1Signer
from lp_toolbelt.emulator import Emulator
from lp_toolbelt.errors import ConfigurationError, ErrorCodes, InvalidArgumentError
from lp_toolbelt.transport.middlewares import signing_middleware
from lp_toolbelt.transport.send import Request

BAD_HTTP_ARGUMENTS: list[dict[str, Any]] = [
    {"headers": {"X-Number": 1}},
    {"headers": {"X-None": None}},
    {"headers": {"X-Split": "a\r\nInjected: yes"}},
    {"json": {"a": object()}},
    {"data": 123},
    {"timeout": "5"},
    {"timeout": 0},
]


@pytest.mark.parametrize("kwargs", BAD_HTTP_ARGUMENTS)
async def test_http_client_refuses_bad_arguments_before_sending(
    emu: Emulator, tb: Toolbelt, kwargs: dict[str, Any]
) -> None:
    url = f"{emu.base_url}/api/account/{emu.state.account_id}/echo"
    with pytest.raises(InvalidArgumentError) as info:
        await tb.http_client().post(url, **kwargs)
    assert info.value.code == ErrorCodes.HTTP_INVALID_ARGUMENT
    assert isinstance(info.value, ValueError)
    assert emu.state.requests == []


@pytest.mark.parametrize("kwargs", BAD_HTTP_ARGUMENTS)
async def test_lp_client_refuses_bad_arguments_before_any_io(
    emu: Emulator, tb: Toolbelt, kwargs: dict[str, Any]
) -> None:
    path = f"/api/account/{emu.state.account_id}/echo"
    with pytest.raises(InvalidArgumentError):
        await tb.lp_client()(LpServices.ACCOUNT_CONFIG_READ_ONLY, path, method="POST", **kwargs)
    with pytest.raises(InvalidArgumentError):
        await tb.lp_client()(None, path)  # type: ignore[arg-type]
    # Arguments are checked before any I/O; a JSON body that does not serialize is found when aiohttp builds the
    # request (after the CSDS lookup): either way the API itself receives nothing.
    assert emu.state.count("echo") == 0


class _Hosts:
    """Two loopback servers: ``a`` redirects to a path on itself or on ``b``; both record what they received."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, CIMultiDict[str]]] = []
        self.b_url = URL()

    def app(self, name: str) -> web.Application:
        async def handle(request: web.Request) -> web.StreamResponse:
            self.seen.append((f"{name}{request.path}", request.headers.copy()))
            if request.path == "/cross":
                raise web.HTTPFound(str(self.b_url / "landed"))
            if request.path == "/same":
                raise web.HTTPFound("/landed")
            return web.json_response({"ok": True})

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", handle)
        return app


@pytest.fixture
async def hosts() -> AsyncIterator[tuple[_Hosts, URL]]:
    state = _Hosts()
    runners = []
    urls = []
    for name in ("a", "b"):
        runner = web.AppRunner(state.app(name))
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        port = runner.addresses[0][1]
        urls.append(URL(f"http://127.0.0.1:{port}"))
    state.b_url = urls[1]
    try:
        yield state, urls[0]
    finally:
        for runner in runners:
            await runner.cleanup()


def _toolbelt(a: URL, b: URL) -> Toolbelt:
    return Toolbelt(ToolbeltConfig(allowlist=(f"127.0.0.1:{a.port}", f"127.0.0.1:{b.port}")))


async def test_credentials_do_not_follow_a_cross_origin_redirect(hosts: tuple[_Hosts, URL]) -> None:
    state, a = hosts
    signer = OAuth1Signer(OAuth1Credentials("ck", "cs", "tok", "ts"))
    async with _toolbelt(a, state.b_url) as tb:
        headers = {"Authorization": "Bearer USERTOKEN", "maven-api-key": "MAVENKEY", "X-Keep": "yes"}
        resp = await tb.http_client().get(a / "cross", headers=headers)
        assert resp.status == 200
        signed = Request("GET", a / "cross", middlewares=(signing_middleware(signer),))
        assert (await tb.transport.send(signed)).status == 200
    (_, first), (where, landed), (_, signed_first), (_, signed_landed) = state.seen
    assert where == "b/landed"
    assert first["Authorization"] == "Bearer USERTOKEN"
    assert "Authorization" not in landed
    assert "maven-api-key" not in landed
    assert landed["X-Keep"] == "yes"
    assert "X-Request-Id" in landed
    assert signed_first["Authorization"].startswith("OAuth ")
    assert "Authorization" not in signed_landed


async def test_credentials_follow_a_same_origin_redirect(hosts: tuple[_Hosts, URL]) -> None:
    state, a = hosts
    async with _toolbelt(a, state.b_url) as tb:
        resp = await tb.http_client().get(a / "same", headers={"Authorization": "Bearer USERTOKEN"})
    assert resp.status == 200
    assert [path for path, _ in state.seen] == ["a/same", "a/landed"]
    assert state.seen[1][1]["Authorization"] == "Bearer USERTOKEN"


def test_rejected_config_values_are_never_repeated() -> None:
    secret = "TOPSECRETVALUE"
    with pytest.raises(ConfigurationError) as info:
        ToolbeltConfig(secrets=[("k", secret)])  # type: ignore[arg-type]
    text = "".join(traceback.format_exception(info.value))
    assert secret not in text
    with pytest.raises(ValidationError) as raw:
        ToolbeltConfig.model_validate({"redis_url": {"x": secret}})
    assert secret not in str(raw.value)
