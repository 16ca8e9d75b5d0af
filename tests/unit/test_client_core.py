"""Pure parts of the HTTP, CSDS and LP clients."""

from __future__ import annotations

from typing import Any

import pytest
from aioresponses import aioresponses

from lp_toolbelt import ErrorCodes, Toolbelt, ToolbeltConfig, ToolbeltError
from lp_toolbelt._constants import OAUTH2_FALLBACK_TTL
from lp_toolbelt.auth.oauth1 import OAuth1Credentials
from lp_toolbelt.auth.oauth2 import OAuth2Credentials, parse_token_response, token_request
from lp_toolbelt.clients.csds import csds_request, parse_csds_response
from lp_toolbelt.clients.http import build_request
from lp_toolbelt.clients.lp import parse_credentials
from lp_toolbelt.errors import InvalidArgumentError

CSDS = "https://api.liveperson.net/api/account/123/service/baseURI.json?version=1.0"


def test_csds_request_and_parse() -> None:
    req = csds_request(ToolbeltConfig(csds_domain="127.0.0.1:9"), "123")
    assert str(req.url) == "https://127.0.0.1:9/api/account/123/service/baseURI.json?version=1.0"
    payload = {
        "baseURIs": [
            {"service": "msgHist", "account": "123", "baseURI": "va.msghist.liveperson.net"},
            {"service": "broken"},
        ]
    }
    assert parse_csds_response(payload) == {"msgHist": "va.msghist.liveperson.net"}
    with pytest.raises(ValueError):
        parse_csds_response({"nope": []})


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "GE T", "url": "https://a.b/"}, "method"),
        ({"method": "GET", "url": "/relative"}, "absolute"),
        ({"method": "GET", "url": "ftp://a.b/"}, "absolute"),
        ({"method": "GET", "url": "https://a.b/", "json": {}, "data": b"x"}, "not both"),
        ({"method": "GET", "url": "https://a.b/", "params": {"a": object()}}, "query parameter"),
        ({"method": "GET", "url": "https://a.b/", "params": "a=b"}, "mapping"),
        ({"method": "GET", "url": "https://a.b/", "params": [("a", "b", "c")]}, "pairs"),
    ],
)
def test_build_request_refuses_bad_arguments(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        build_request(**kwargs)


def test_build_request_params() -> None:
    req = build_request("post", "https://a.b/x", params={"n": 1, "f": True}, json={"a": 1})
    assert req.method == "POST"
    assert req.url.raw_query_string == "n=1&f=true"
    assert req.json == {"a": 1}


def test_parse_credentials() -> None:
    oauth1 = parse_credentials({"consumerKey": "a", "consumerSecret": "b", "token": "c", "tokenSecret": "d"})
    assert oauth1 == OAuth1Credentials("a", "b", "c", "d")
    oauth2 = parse_credentials({"client_id": "id", "client_secret": "s"})
    assert oauth2 == OAuth2Credentials("id", "s")
    bads: list[object] = [{"consumerKey": "a"}, "str", None, {"client_id": "id", "client_secret": ""}]
    for bad in bads:
        with pytest.raises(ToolbeltError) as info:
            parse_credentials(bad)
        assert info.value.code == ErrorCodes.LP_CLIENT_CREDENTIALS_WRONG_FORMAT


def test_token_request_and_parse() -> None:
    req = token_request("https", "sy.sentinel.liveperson.net", "123", OAuth2Credentials("id", "sec"))
    assert str(req.url) == "https://sy.sentinel.liveperson.net/sentinel/api/v2/account/123/app/token?v=2.0"
    assert req.data == {"client_id": "id", "client_secret": "sec", "grant_type": "client_credentials"}
    assert req.retry_safe is True
    header, ttl = parse_token_response({"access_token": "t", "token_type": "Bearer", "expires_in": "3600"})
    assert (header, ttl) == ("Bearer t", 3540.0)
    assert parse_token_response({"access_token": "t", "expires_in": 30})[1] == 15.0  # half a short lifetime
    # Without a usable expires_in the token is still kept a short, documented time (not fetched on every call).
    for unusable in ("soon", None, 0, -5, "nan"):
        assert parse_token_response({"access_token": "t", "expires_in": unusable})[1] == OAUTH2_FALLBACK_TTL
    assert parse_token_response({"access_token": "t"})[1] == OAUTH2_FALLBACK_TTL
    bad_payloads: list[object] = [{}, {"access_token": ""}, {"access_token": "t", "token_type": 5}, []]
    for bad in bad_payloads:
        with pytest.raises(ValueError):
            parse_token_response(bad)


async def test_csds_errors_and_cache_through_toolbelt() -> None:
    cfg = ToolbeltConfig(account_id="123")
    async with Toolbelt(cfg) as tb:
        csds = tb.csds_client()
        with aioresponses() as m:
            m.get(CSDS, status=500)
            with pytest.raises(ToolbeltError) as failed:
                await csds.get("msgHist")
            assert failed.value.code == ErrorCodes.CSDS_OP_FAILED
            assert failed.value.status == 500
            m.get(CSDS, body=b"not json")
            with pytest.raises(ToolbeltError) as garbled:
                await csds.get("msgHist")
            assert garbled.value.code == ErrorCodes.CSDS_OP_FAILED
            m.get(CSDS, payload={"baseURIs": [{"service": "msgHist", "baseURI": "va.msghist.liveperson.net"}]})
            assert await csds.get("msgHist") == "va.msghist.liveperson.net"
            assert await tb.csds_client().get_all() == {"msgHist": "va.msghist.liveperson.net"}
            with pytest.raises(ToolbeltError) as missing:
                await csds.get("nope")
            assert missing.value.code == ErrorCodes.CSDS_DOMAIN_NOT_FOUND
            assert len(m.requests) == 1  # one key: (GET, url); three calls recorded under it
            assert len(next(iter(m.requests.values()))) == 3


async def test_no_account_is_a_configuration_error() -> None:
    async with Toolbelt(ToolbeltConfig()) as tb:
        with pytest.raises(ToolbeltError) as info:
            await tb.csds_client().get("msgHist")
    assert info.value.code == ErrorCodes.CONFIG_INVALID
