"""``tb.lp_mtls_client()`` against a small fake LivePerson written here from the contract's text (CSDS, Sentinel, the
mTLS gateway), not the emulator: the headers the gateway receives and every gateway outcome's code."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from lp_toolbelt import (
    AuthenticationError,
    ErrorCodes,
    HttpStatusError,
    InvalidArgumentError,
    RequestTimeoutError,
    Toolbelt,
    ToolbeltConfig,
    ToolbeltError,
    TransportError,
)
from tests.loopback import loopback

ACCOUNT = "70071234"
APP_KEY = {"client_id": "gw-client", "client_secret": "gw-secret-Q1"}
TARGET = "https://api.partner.example/orders/7"
Answer = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class FakeLivePerson:
    """CSDS (``mtlsGateway``, ``sentinel`` → this server), Sentinel (token ``t1``, ``t2``, ...) and the gateway, which
    records each request and plays ``answers`` (then answers 200 ``{"ok": true}``)."""

    host: str = ""
    gateway_host: str | None = None
    seen: list[dict[str, Any]] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)
    tokens: int = 0
    sentinel_status: int = 200

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/api/account/{acc}/service/baseURI.json", self.csds)
        app.router.add_post("/sentinel/api/v2/account/{acc}/app/token", self.sentinel)
        app.router.add_route("*", "/mtls/account/{acc}", self.gateway)
        return app

    async def csds(self, request: web.Request) -> web.Response:
        services = {"mtlsGateway": self.gateway_host or self.host, "sentinel": self.host}
        return web.json_response({"baseURIs": [{"service": k, "baseURI": v} for k, v in services.items()]})

    async def sentinel(self, request: web.Request) -> web.Response:
        form = await request.post()
        if self.sentinel_status != 200 or form.get("client_secret") != APP_KEY["client_secret"]:
            return web.json_response({"error": "invalid_client"}, status=self.sentinel_status or 401)
        self.tokens += 1
        return web.json_response({"access_token": f"t{self.tokens}", "token_type": "Bearer", "expires_in": "3600"})

    async def gateway(self, request: web.Request) -> web.StreamResponse:
        self.seen.append(
            {
                "method": request.method,
                "path": request.path,
                "account": request.match_info["acc"],
                "headers": request.headers.copy(),
                "body": await request.read(),
            }
        )
        if self.answers:
            return await self.answers.pop(0)(request)
        return web.json_response({"ok": True})


def answer(status: int, body: str = "", headers: dict[str, str] | None = None) -> Answer:
    async def respond(request: web.Request) -> web.Response:
        return web.Response(status=status, text=body, headers=headers)

    return respond


@pytest.fixture
async def lp() -> AsyncIterator[FakeLivePerson]:
    fake = FakeLivePerson()
    async with loopback(fake.app()) as host:
        fake.host = host
        yield fake


def config(lp: FakeLivePerson, secrets: dict[str, Any] | None = None, **overrides: Any) -> ToolbeltConfig:
    values: dict[str, Any] = {
        "account_id": ACCOUNT,
        "csds_domain": lp.host,
        "scheme": "http",
        "secrets": {"LIVEPERSON_DEFAULT_APP_KEY": APP_KEY} if secrets is None else secrets,
        "secrets_file": None,
        "rate_limit": 1000,
    }
    values.update(overrides)
    return ToolbeltConfig(**values)


@pytest.fixture
async def tb(lp: FakeLivePerson) -> AsyncIterator[Toolbelt]:
    async with Toolbelt(config(lp)) as toolbelt:
        yield toolbelt


# ------------------------------------------------------------------------------------------------ the request
async def test_the_gateway_gets_the_documented_headers(tb: Toolbelt, lp: FakeLivePerson) -> None:
    resp = await tb.lp_mtls_client().post(
        TARGET,
        params={"expand": "lines"},
        json={"qty": 2},
        headers={"Authorization": "Basic cGFydG5lcjpwdw==", "X-Partner-Tenant": "acme"},
    )
    assert resp.status == 200
    assert resp.json() == {"ok": True}
    [seen] = lp.seen
    headers = seen["headers"]
    assert (seen["method"], seen["path"], seen["account"]) == ("POST", f"/mtls/account/{ACCOUNT}", ACCOUNT)
    assert headers["LP-forward-url"] == f"{TARGET}?expand=lines"
    assert headers["LP-service-name"] == "FAAS"
    assert headers["LP-stop-if-certificate-not-found"] == "true"
    assert headers["Authorization"] == "Bearer t1"  # the Sentinel token, not the caller's
    assert headers["LP-authorization-override"] == "Basic cGFydG5lcjpwdw=="
    assert headers["X-Partner-Tenant"] == "acme"
    assert headers["Content-Type"] == "application/json"
    uuid.UUID(headers["X-Request-Id"])
    assert json.loads(seen["body"]) == {"qty": 2}


async def test_a_get_without_credentials_of_its_own(tb: Toolbelt, lp: FakeLivePerson) -> None:
    await tb.lp_mtls_client().get(TARGET)
    headers = lp.seen[0]["headers"]
    assert lp.seen[0]["method"] == "GET"
    assert "LP-authorization-override" not in headers
    assert "Content-Type" not in headers
    assert lp.seen[0]["body"] == b""


async def test_a_raw_body_goes_as_it_is(tb: Toolbelt, lp: FakeLivePerson) -> None:
    await tb.lp_mtls_client().post(TARGET, data=b"<order/>", headers={"Content-Type": "application/xml"})
    assert lp.seen[0]["body"] == b"<order/>"
    assert lp.seen[0]["headers"]["Content-Type"] == "application/xml"


@pytest.mark.parametrize("name", ["LP-forward-url", "lp-service-name", "LP-Stop-If-Certificate-Not-Found"])
async def test_a_header_named_like_the_gateways_is_refused_before_any_request(
    tb: Toolbelt, lp: FakeLivePerson, name: str
) -> None:
    with pytest.raises(InvalidArgumentError):
        await tb.lp_mtls_client().get(TARGET, headers={name: "x"})
    assert lp.seen == []
    assert lp.tokens == 0


@pytest.mark.parametrize("url", ["/relative", "ftp://x.example/", ""])
async def test_a_bad_target_is_refused_before_any_request(tb: Toolbelt, lp: FakeLivePerson, url: str) -> None:
    with pytest.raises(InvalidArgumentError):
        await tb.lp_mtls_client().get(url)
    assert lp.tokens == 0


# ------------------------------------------------------------------------------------------------ the outcomes
async def test_lp_message_from_transport_is_remote_threw_with_the_original_body(
    tb: Toolbelt, lp: FakeLivePerson
) -> None:
    lp.answers.append(answer(500, '{"fault": "stock service down"}', {"lp-message-from-transport": "upstream 500"}))
    with pytest.raises(HttpStatusError) as info:
        await tb.lp_mtls_client().post(TARGET, json={})
    err = info.value
    assert (err.code, err.status) == (ErrorCodes.MTLS_REMOTE_THREW, 500)
    assert err.details["body"] == '{"fault": "stock service down"}'
    assert "upstream 500" in err.message


async def test_lp_message_from_transport_wins_even_on_a_2xx(tb: Toolbelt, lp: FakeLivePerson) -> None:
    lp.answers.append(answer(200, "partial", {"lp-message-from-transport": "upstream reset"}))
    with pytest.raises(ToolbeltError) as info:
        await tb.lp_mtls_client().get(TARGET)
    assert info.value.code == ErrorCodes.MTLS_REMOTE_THREW


async def test_www_authenticate_is_invalid_request_after_one_renewal_with_a_fresh_token(
    tb: Toolbelt, lp: FakeLivePerson
) -> None:
    refused = answer(401, "", {"WWW-Authenticate": 'Bearer error="invalid_token"'})
    lp.answers.extend([refused, refused])
    with pytest.raises(AuthenticationError) as info:
        await tb.lp_mtls_client().get(TARGET)
    assert info.value.code == ErrorCodes.MTLS_INVALID_REQUEST
    assert [s["headers"]["Authorization"] for s in lp.seen] == ["Bearer t1", "Bearer t2"]


async def test_a_401_then_success_with_the_renewed_token(tb: Toolbelt, lp: FakeLivePerson) -> None:
    lp.answers.append(answer(401, "", {"WWW-Authenticate": "Bearer"}))
    resp = await tb.lp_mtls_client().get(TARGET)
    assert resp.status == 200
    assert [s["headers"]["Authorization"] for s in lp.seen] == ["Bearer t1", "Bearer t2"]


async def test_www_authenticate_on_another_status_is_invalid_request(tb: Toolbelt, lp: FakeLivePerson) -> None:
    lp.answers.append(answer(403, "", {"WWW-Authenticate": "Bearer"}))
    with pytest.raises(AuthenticationError) as info:
        await tb.lp_mtls_client().get(TARGET)
    assert (info.value.code, info.value.status) == (ErrorCodes.MTLS_INVALID_REQUEST, 403)


async def test_400_is_a_missing_certificate_mapping(tb: Toolbelt, lp: FakeLivePerson) -> None:
    lp.answers.append(answer(400, "no mapping"))
    with pytest.raises(HttpStatusError) as info:
        await tb.lp_mtls_client().post(TARGET, json={})
    assert (info.value.code, info.value.status) == (ErrorCodes.MTLS_MISSING_CONF, 400)
    assert "api.partner.example/orders/7" in info.value.message


async def test_other_answers_are_returned_as_they_are(tb: Toolbelt, lp: FakeLivePerson) -> None:
    lp.answers.append(answer(404, "no such order"))
    resp = await tb.lp_mtls_client().get(TARGET)
    assert (resp.status, resp.text()) == (404, "no such order")


async def test_a_redirect_is_the_gateways_answer_not_followed(tb: Toolbelt, lp: FakeLivePerson) -> None:
    lp.answers.append(answer(302, "", {"Location": f"http://{lp.host}/elsewhere"}))
    resp = await tb.lp_mtls_client().get(TARGET)
    assert resp.status == 302
    assert len(lp.seen) == 1


async def test_past_the_deadline_is_request_timeout(tb: Toolbelt, lp: FakeLivePerson) -> None:
    async def stall(request: web.Request) -> web.Response:
        await asyncio.sleep(30)
        return web.Response()

    lp.answers.append(stall)
    with pytest.raises(RequestTimeoutError) as info:
        await tb.lp_mtls_client().post(TARGET, json={}, timeout=0.2)
    assert info.value.code == ErrorCodes.MTLS_REQUEST_TIMEOUT


async def test_no_answer_is_a_general_issue(lp: FakeLivePerson) -> None:
    lp.gateway_host = "127.0.0.1:9"  # the discard port: nothing listens on loopback
    async with Toolbelt(config(lp, retry_backoff_base=0.001)) as tb:
        with pytest.raises(TransportError) as info:
            await tb.lp_mtls_client().post(TARGET, json={})
    assert info.value.code == ErrorCodes.MTLS_GENERAL_ISSUE


# ------------------------------------------------------------------------------------------------ the app key
@pytest.mark.parametrize(
    ("secret", "code", "says"),
    [
        ("LIVEPERSON_DEFAULT_APP_KEY", ErrorCodes.LP_MTLS_CREDENTIALS_WRONG_FORMAT, "client_id, client_secret"),
        ("lp-faas-default-app-key", ErrorCodes.LP_MTLS_GET_CREDENTIALS_FAILURE, "LIVEPERSON_DEFAULT_APP_KEY"),
    ],
)
async def test_the_app_key_is_v2s_app_installation(lp: FakeLivePerson, secret: str, code: str, says: str) -> None:
    """An OAuth 1.0 API key is refused as a V2 app key, and V1's default app key does not stand in for V2's."""
    api_key = {"consumerKey": "a", "consumerSecret": "b", "token": "c", "tokenSecret": "d"}
    async with Toolbelt(config(lp, {secret: api_key})) as tb:
        with pytest.raises(ToolbeltError) as info:
            await tb.lp_mtls_client().get(TARGET)
    assert info.value.code == code
    assert says in info.value.message
    assert lp.seen == []


async def test_a_named_app_key(lp: FakeLivePerson) -> None:
    async with Toolbelt(config(lp, {"partner-gateway-app": APP_KEY})) as tb:
        resp = await tb.lp_mtls_client(app_key_secret_name="partner-gateway-app").get(TARGET)
    assert resp.status == 200


async def test_sentinel_refusing_the_app_key_is_a_general_issue(lp: FakeLivePerson) -> None:
    lp.sentinel_status = 401
    async with Toolbelt(config(lp)) as tb:
        with pytest.raises(ToolbeltError) as info:
            await tb.lp_mtls_client().get(TARGET)
    assert info.value.code == ErrorCodes.MTLS_GENERAL_ISSUE
    assert lp.seen == []
