"""The emulator's server-side credential check (verify_lp_auth), on in-process mocked requests."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from oauthlib.oauth1 import Client
from yarl import URL

from lp_toolbelt.auth.oauth1 import OAuth1Credentials, OAuth1Signer
from lp_toolbelt.emulator.auth import verify_lp_auth
from lp_toolbelt.emulator.state import EmulatorState

HOST = "127.0.0.1:8088"
APP_KEY = "lp-faas-default-app-key"
OAUTH2_APP = "lp-faas-oauth2-app"
SKILLS_URL = f"http://{HOST}/api/account/12345678/configuration/le-users/skills?v=1&select=id,name"


@pytest.fixture
def state() -> EmulatorState:
    return EmulatorState.from_settings(None)


def creds(state: EmulatorState, name: str = APP_KEY) -> OAuth1Credentials:
    value: dict[str, str] = state.secrets[name]
    return OAuth1Credentials(value["consumerKey"], value["consumerSecret"], value["token"], value["tokenSecret"])


def request_for(method: str, url: str, authorization: str | None, *, host: str = HOST) -> web.Request:
    parsed = URL(url, encoded=True)
    headers = {"Host": host}
    if authorization is not None:
        headers["Authorization"] = authorization
    return make_mocked_request(method, str(parsed.relative()), headers=headers)


def signed_with_signer(
    state: EmulatorState, method: str, url: str, *, clock: float | None = None, nonce: str | None = None
) -> str:
    kwargs: dict[str, Any] = {}
    if clock is not None:
        kwargs["clock"] = lambda: clock
    if nonce is not None:
        kwargs["nonce"] = lambda: nonce
    return OAuth1Signer(creds(state), **kwargs).authorization(method, URL(url, encoded=True))


def signed_with_oauthlib(state: EmulatorState, method: str, url: str, **overrides: str) -> str:
    c = creds(state)
    values = {
        "client_secret": c.consumer_secret,
        "resource_owner_key": c.token,
        "resource_owner_secret": c.token_secret,
        **overrides,
    }
    client = Client(
        overrides.get("client_key", c.consumer_key),
        client_secret=values["client_secret"],
        resource_owner_key=values["resource_owner_key"],
        resource_owner_secret=values["resource_owner_secret"],
        signature_method=overrides.get("signature_method", "HMAC-SHA1"),
    )
    _, headers, _ = client.sign(url, http_method=method)
    return headers["Authorization"]


async def expect_401(state: EmulatorState, request: web.Request, reason: str) -> None:
    with pytest.raises(web.HTTPUnauthorized) as info:
        await verify_lp_auth(request, state)
    assert info.value.content_type == "application/json"
    assert info.value.text is not None
    body = json.loads(info.value.text)
    assert reason in body["error"]
    # Never echo credentials.
    c = creds(state)
    for secret in (c.consumer_key, c.consumer_secret, c.token, c.token_secret):
        assert secret not in info.value.text


# ---------------------------------------------------------------------------------------------- OAuth 1 accepted
@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", SKILLS_URL),
        ("POST", f"http://{HOST}/api/account/12345678/echo"),
        ("PUT", f"http://{HOST}/a%20b/c?q=hello%20world&q=2&empty=&unicode=%C3%A9t%C3%A9&plus=a%2Bb"),
        ("DELETE", f"http://{HOST}/x"),
    ],
)
async def test_oauth1_signer_is_accepted(state: EmulatorState, method: str, url: str) -> None:
    request = request_for(method, url, signed_with_signer(state, method, url))
    assert await verify_lp_auth(request, state) == f"oauth1:{APP_KEY}"


@pytest.mark.parametrize(
    "url",
    [SKILLS_URL, f"http://{HOST}/a%20b/c?q=hello%20world&q=2&empty=", f"http://{HOST}/"],
)
async def test_oauthlib_client_is_accepted(state: EmulatorState, url: str) -> None:
    request = request_for("GET", url, signed_with_oauthlib(state, "GET", url))
    assert await verify_lp_auth(request, state) == f"oauth1:{APP_KEY}"


async def test_api_key_stored_as_json_string(state: EmulatorState) -> None:
    signer = OAuth1Signer(creds(state))
    state.secrets[APP_KEY] = json.dumps(state.secrets[APP_KEY])
    request = request_for("GET", SKILLS_URL, signer.authorization("GET", URL(SKILLS_URL)))
    assert await verify_lp_auth(request, state) == f"oauth1:{APP_KEY}"


async def test_host_header_is_compared_case_insensitively(state: EmulatorState) -> None:
    url = "http://localhost:8088/x?a=1"
    request = request_for("GET", url, signed_with_signer(state, "GET", url), host="LOCALHOST:8088")
    assert await verify_lp_auth(request, state) == f"oauth1:{APP_KEY}"


# ---------------------------------------------------------------------------------------------- OAuth 1 refused
async def test_wrong_consumer_secret(state: EmulatorState) -> None:
    header = signed_with_oauthlib(state, "GET", SKILLS_URL, client_secret="not-the-secret")
    await expect_401(state, request_for("GET", SKILLS_URL, header), "invalid OAuth signature")


async def test_wrong_token_secret(state: EmulatorState) -> None:
    header = signed_with_oauthlib(state, "GET", SKILLS_URL, resource_owner_secret="not-the-secret")
    await expect_401(state, request_for("GET", SKILLS_URL, header), "invalid OAuth signature")


async def test_tampered_query(state: EmulatorState) -> None:
    header = signed_with_signer(state, "GET", SKILLS_URL)
    tampered = SKILLS_URL.replace("v=1", "v=2")
    await expect_401(state, request_for("GET", tampered, header), "invalid OAuth signature")


async def test_added_query_parameter(state: EmulatorState) -> None:
    header = signed_with_signer(state, "GET", SKILLS_URL)
    await expect_401(state, request_for("GET", SKILLS_URL + "&extra=1", header), "invalid OAuth signature")


async def test_tampered_method_path_and_host(state: EmulatorState) -> None:
    header = signed_with_signer(state, "GET", SKILLS_URL)
    await expect_401(state, request_for("DELETE", SKILLS_URL, header), "invalid OAuth signature")
    other_path = SKILLS_URL.replace("skills", "users")
    await expect_401(state, request_for("GET", other_path, header), "invalid OAuth signature")
    await expect_401(state, request_for("GET", SKILLS_URL, header, host="127.0.0.1:9999"), "invalid OAuth signature")


async def test_replayed_nonce(state: EmulatorState) -> None:
    header = signed_with_signer(state, "GET", SKILLS_URL)
    assert await verify_lp_auth(request_for("GET", SKILLS_URL, header), state)
    await expect_401(state, request_for("GET", SKILLS_URL, header), "nonce already used")


async def test_refused_signature_does_not_burn_the_nonce(state: EmulatorState) -> None:
    bad = signed_with_signer(state, "GET", SKILLS_URL, nonce="n-1")
    await expect_401(state, request_for("GET", SKILLS_URL + "&x=1", bad), "invalid OAuth signature")
    good = signed_with_signer(state, "GET", SKILLS_URL, nonce="n-1")
    assert await verify_lp_auth(request_for("GET", SKILLS_URL, good), state)


@pytest.mark.parametrize("skew", [-301.0, 301.0, -3600.0])
async def test_stale_or_future_timestamp(state: EmulatorState, skew: float) -> None:
    header = signed_with_signer(state, "GET", SKILLS_URL, clock=time.time() + skew)
    await expect_401(state, request_for("GET", SKILLS_URL, header), "timestamp")


async def test_timestamp_inside_window_is_accepted(state: EmulatorState) -> None:
    header = signed_with_signer(state, "GET", SKILLS_URL, clock=time.time() - 250)
    assert await verify_lp_auth(request_for("GET", SKILLS_URL, header), state)


async def test_unknown_consumer_key_and_token(state: EmulatorState) -> None:
    header = signed_with_oauthlib(state, "GET", SKILLS_URL, client_key="someone-else")
    await expect_401(state, request_for("GET", SKILLS_URL, header), "unknown consumer key")
    header = signed_with_oauthlib(state, "GET", SKILLS_URL, resource_owner_key="other-token")
    await expect_401(state, request_for("GET", SKILLS_URL, header), "unknown consumer key")


async def test_other_signature_method_refused(state: EmulatorState) -> None:
    header = signed_with_oauthlib(state, "GET", SKILLS_URL, signature_method="PLAINTEXT")
    await expect_401(state, request_for("GET", SKILLS_URL, header), "signature method")


@pytest.mark.parametrize(
    ("authorization", "reason"),
    [
        (None, "missing"),
        ("", "missing"),
        ("Basic dXNlcjpwYXNz", "unsupported"),
        ('OAuth oauth_consumer_key="x"', "parameters missing"),
        ("OAuth garbage", "malformed"),
        ("Bearer ", "invalid or expired"),
    ],
)
async def test_malformed_authorization(state: EmulatorState, authorization: str | None, reason: str) -> None:
    await expect_401(state, request_for("GET", SKILLS_URL, authorization), reason)


async def test_rotated_secret_is_read_on_every_request(state: EmulatorState) -> None:
    old = signed_with_signer(state, "GET", SKILLS_URL)
    state.secrets[APP_KEY]["consumerSecret"] = "rotated-consumer-secret"
    await expect_401(state, request_for("GET", SKILLS_URL, old), "invalid OAuth signature")
    fresh = signed_with_signer(state, "GET", SKILLS_URL)
    assert await verify_lp_auth(request_for("GET", SKILLS_URL, fresh), state) == f"oauth1:{APP_KEY}"


async def test_removed_secret_is_refused(state: EmulatorState) -> None:
    header = signed_with_signer(state, "GET", SKILLS_URL)
    saved = creds(state)
    del state.secrets[APP_KEY]
    state.secrets["unrelated"] = {"consumerKey": saved.consumer_key}  # not an API key shape
    with pytest.raises(web.HTTPUnauthorized) as info:
        await verify_lp_auth(request_for("GET", SKILLS_URL, header), state)
    assert "unknown consumer key" in (info.value.text or "")


# ---------------------------------------------------------------------------------------------- Bearer
def issue(state: EmulatorState) -> str:
    app = state.secrets[OAUTH2_APP]
    return state.issue_token(app["client_id"], app["client_secret"])


async def test_bearer_token_accepted(state: EmulatorState) -> None:
    token = issue(state)
    principal = await verify_lp_auth(request_for("GET", SKILLS_URL, f"Bearer {token}"), state)
    assert principal == f"bearer:{state.secrets[OAUTH2_APP]['client_id']}"


async def test_expired_bearer_token(state: EmulatorState) -> None:
    token = issue(state)
    state.expire_tokens()
    await expect_401(state, request_for("GET", SKILLS_URL, f"Bearer {token}"), "invalid or expired")


async def test_bearer_token_past_its_ttl(state: EmulatorState) -> None:
    state.token_ttl = 0
    token = issue(state)
    await expect_401(state, request_for("GET", SKILLS_URL, f"Bearer {token}"), "invalid or expired")


async def test_unknown_bearer_token(state: EmulatorState) -> None:
    issue(state)
    await expect_401(state, request_for("GET", SKILLS_URL, "Bearer not-a-token"), "invalid or expired")


async def test_bearer_token_dies_with_its_rotated_secret(state: EmulatorState) -> None:
    token = issue(state)
    state.secrets[OAUTH2_APP]["client_secret"] = "rotated"
    await expect_401(state, request_for("GET", SKILLS_URL, f"Bearer {token}"), "invalid or expired")
