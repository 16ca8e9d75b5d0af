"""The two fields the V2 clients added to ``Request`` (pure): ``tls`` (the mTLS client's SSL context) stays with the
request through authorization and every redirect hop; ``follow_redirects=False`` makes a 3xx final."""

from __future__ import annotations

import ssl

from yarl import URL

from lp_toolbelt.transport.auth import HeaderCredential
from lp_toolbelt.transport.request import Request, redirect


def request(**kwargs: object) -> Request:
    return Request("POST", URL("https://gw.example/mtls/account/1"), **kwargs)  # type: ignore[arg-type]


def test_the_context_survives_authorization_and_redirects() -> None:
    context = ssl.create_default_context()
    sent = request(tls=context, headers={"X": "1"}).with_auth(HeaderCredential("Authorization", "Bearer t"))
    assert sent.tls is context
    same_origin = redirect(sent, 307, "/elsewhere")
    other_origin = redirect(sent, 302, "https://other.example/x")
    assert same_origin is not None
    assert other_origin is not None
    assert same_origin.tls is context
    assert other_origin.tls is context
    assert other_origin.auth is None  # credentials stay behind on another origin, the TLS configuration does not
    assert (other_origin.method, other_origin.json) == ("GET", request().json)


def test_a_request_that_does_not_follow_redirects_takes_the_3xx_as_its_answer() -> None:
    for status in (301, 302, 303, 307, 308):
        assert redirect(request(follow_redirects=False), status, "https://other.example/") is None
    assert redirect(request(), 302, "https://other.example/") is not None


def test_the_gateway_override_header_is_a_credential() -> None:
    sent = request(headers={"LP-authorization-override": "Basic x", "X-Keep": "1"})
    hop = redirect(sent, 307, "https://other.example/")
    assert hop is not None
    assert hop.headers == {"X-Keep": "1"}


def test_the_context_is_not_in_the_repr() -> None:
    assert "SSLContext" not in repr(request(tls=ssl.create_default_context()))
