from __future__ import annotations

import re
from urllib.parse import unquote

import pytest
from oauthlib.oauth1 import Client
from yarl import URL

from lp_toolbelt.auth.oauth1 import OAuth1Credentials, OAuth1Signer, base_uri

CREDS = OAuth1Credentials("ck-123", "cs/+&secret", "tok-456", "ts=secret")


def _params(header: str) -> dict[str, str]:
    return {k: unquote(v) for k, v in re.findall(r'(\w+)="([^"]*)"', header)}


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", "https://va.msghist.liveperson.net/api/account/123/x?v=2&source=FaaS_Toolbelt"),
        ("POST", "https://va.msghist.liveperson.net/messaging_history/api/account/1/conversations/search?v=2"),
        ("PUT", "https://Host.Example:8443/a%20b/c?q=hello%20world&q=2&empty="),
        ("DELETE", "http://127.0.0.1:8080/x?unicode=%C3%A9t%C3%A9&plus=a%2Bb"),
        ("GET", "https://api.liveperson.net:443/path"),
    ],
)
def test_signature_matches_oauthlib_client(method: str, url: str) -> None:
    signer = OAuth1Signer(CREDS, clock=lambda: 1_700_000_000.0, nonce=lambda: "fixednonce")
    ours = _params(signer.authorization(method, URL(url, encoded=True)))
    client = Client(
        "ck-123",
        client_secret="cs/+&secret",
        resource_owner_key="tok-456",
        resource_owner_secret="ts=secret",
        nonce="fixednonce",
        timestamp="1700000000",
    )
    _, headers, _ = client.sign(url, http_method=method)
    theirs = _params(headers["Authorization"])
    assert ours["oauth_signature"] == theirs["oauth_signature"]
    assert ours == theirs


def test_fresh_nonce_and_timestamp_per_call() -> None:
    signer = OAuth1Signer(CREDS)
    a = _params(signer.authorization("GET", URL("https://api.liveperson.net/x")))
    b = _params(signer.authorization("GET", URL("https://api.liveperson.net/x")))
    assert a["oauth_nonce"] != b["oauth_nonce"]
    assert a["oauth_signature"] != b["oauth_signature"]


def test_query_is_signed() -> None:
    signer = OAuth1Signer(CREDS, clock=lambda: 1.0, nonce=lambda: "n")
    a = signer.authorization("GET", URL("https://api.liveperson.net/x?a=1"))
    b = signer.authorization("GET", URL("https://api.liveperson.net/x?a=2"))
    assert _params(a)["oauth_signature"] != _params(b)["oauth_signature"]


def test_base_uri_drops_default_port_and_lowercases() -> None:
    assert base_uri(URL("https://API.liveperson.net:443/A?x=1")) == "https://api.liveperson.net/A"
    assert base_uri(URL("http://127.0.0.1:8080/p")) == "http://127.0.0.1:8080/p"


def test_secrets_not_in_repr() -> None:
    assert "cs/+&secret" not in repr(CREDS)
    assert "ts=secret" not in repr(CREDS)
    assert "secret" not in repr(OAuth1Signer(CREDS)).replace("consumer_key", "")
