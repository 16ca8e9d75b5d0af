"""The fast OAuth1Signer path (cached query parts spliced around the oauth_* block) against oauthlib's Client.sign."""

from __future__ import annotations

import re
from urllib.parse import quote, unquote

from hypothesis import given, settings
from hypothesis import strategies as st
from oauthlib.oauth1 import Client
from yarl import URL

from lp_toolbelt.auth import oauth1
from lp_toolbelt.auth.oauth1 import OAuth1Credentials, OAuth1Signer

CREDS = OAuth1Credentials("ck 1+é", "cs/+&secret", "tok=456", "ts=secret")

_names = st.one_of(
    st.sampled_from(
        ["v", "source", "a", "oauth", "oauth_", "oauth_x", "oauth_nonce", "oauthz", "oz", "oa", "Z", "~", "_", "o", "p"]
    ),
    st.text(min_size=1, max_size=6),
)
_values = st.text(max_size=8)
_queries = st.lists(st.tuples(_names, _values), max_size=5)
_nonces = st.one_of(st.just("abc123"), st.text(alphabet="abcXYZ019-._~ +/=é", min_size=1, max_size=12))


def _params(header: str) -> dict[str, str]:
    return {k: unquote(v) for k, v in re.findall(r'(\w+)="([^"]*)"', header)}


def _url(base: str, query: list[tuple[str, str]]) -> str:
    if not query:
        return base
    return base + "?" + "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in query)


def _oauthlib(method: str, url: str, nonce: str, timestamp: str) -> dict[str, str]:
    client = Client(
        CREDS.consumer_key,
        client_secret=CREDS.consumer_secret,
        resource_owner_key=CREDS.token,
        resource_owner_secret=CREDS.token_secret,
        nonce=nonce,
        timestamp=timestamp,
    )
    _, headers, _ = client.sign(url, http_method=method)
    return _params(headers["Authorization"])


@settings(max_examples=300, deadline=None)
@given(
    method=st.sampled_from(["GET", "POST", "put", "DELETE", "PATCH"]),
    base=st.sampled_from(
        [
            "https://va.msghist.liveperson.net/messaging_history/api/account/1/conversations/conversation/search",
            "http://127.0.0.1:8080/a%20b/c",
            "https://Host.Example:8443/x",
            "https://api.liveperson.net:443/",
        ]
    ),
    query=_queries,
    nonce=_nonces,
)
def test_signer_matches_oauthlib_for_any_query(
    method: str, base: str, query: list[tuple[str, str]], nonce: str
) -> None:
    url = _url(base, query)
    signer = OAuth1Signer(CREDS, clock=lambda: 1_700_000_000.0, nonce=lambda: nonce)
    ours = _params(signer.authorization(method, URL(url, encoded=True)))
    assert ours == _oauthlib(method, url, nonce, "1700000000")


def test_query_parts_are_cached_per_raw_query_and_oauth_names_take_the_general_path() -> None:
    oauth1._query_parts.clear()
    oauth1._url_parts.clear()
    signer = OAuth1Signer(CREDS, clock=lambda: 1.0, nonce=lambda: "n")
    url = "https://api.liveperson.net/x?b=2&a=1&z=%C3%A9"
    first = signer.authorization("GET", URL(url, encoded=True))
    assert oauth1._query_parts["b=2&a=1&z=%C3%A9"] == ("a%3D1%26b%3D2%26", "%26z%3D%25C3%25A9")
    assert signer.authorization("GET", URL(url, encoded=True)) == first  # same inputs, same header (cached path)
    assert _params(first) == _oauthlib("GET", url, "n", "1")

    odd = "https://api.liveperson.net/x?oauth_extra=1&a=2"
    assert _params(signer.authorization("GET", URL(odd, encoded=True))) == _oauthlib("GET", odd, "n", "1")
    assert oauth1._query_parts["oauth_extra=1&a=2"] is None


def test_long_secrets_are_hashed_into_the_hmac_key_as_rfc_2104_says() -> None:
    creds = OAuth1Credentials("ck", "c" * 70, "tok", "t" * 40)  # a signing key of more than 64 bytes
    signer = OAuth1Signer(creds, clock=lambda: 5.0, nonce=lambda: "n0nce")
    url = "https://api.liveperson.net/x?a=1"
    client = Client("ck", client_secret="c" * 70, resource_owner_key="tok", resource_owner_secret="t" * 40)
    client.nonce, client.timestamp = "n0nce", "5"
    _, headers, _ = client.sign(url)
    assert _params(signer.authorization("GET", URL(url, encoded=True))) == _params(headers["Authorization"])
