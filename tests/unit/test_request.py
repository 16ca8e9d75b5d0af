"""The pure request module: query parameters, request building, redirect decisions — no server, no session."""

from __future__ import annotations

from typing import Any

import pytest
from multidict import MultiDict
from yarl import URL

from lp_toolbelt.errors import ErrorCodes, InvalidArgumentError
from lp_toolbelt.transport.auth import HeaderCredential
from lp_toolbelt.transport.request import (
    ABSENT,
    Request,
    build_request,
    check_body,
    check_headers,
    normalize_params,
    redirect,
    without_credentials,
)

BASE = URL("https://va.msghist.liveperson.net/x?v=2")


# ------------------------------------------------------------------------------------------------ query parameters
@pytest.mark.parametrize(
    "params",
    [
        {"k": ["1", "2"], "v": "3"},
        MultiDict([("k", "1"), ("k", "2"), ("v", "3")]),
        [("k", "1"), ("k", "2"), ("v", "3")],
        (("k", 1), ("k", 2), ("v", 3)),
        {"k": ("1", 2), "v": 3},
    ],
)
def test_every_repeated_value_goes_out_in_order(params: Any) -> None:
    assert normalize_params(params) == (("k", "1"), ("k", "2"), ("v", "3"))
    request = build_request("GET", "https://my.crm.example.com/items", params=params)
    assert request.url.raw_query_string == "k=1&k=2&v=3"


def test_params_extend_a_query_the_url_carries() -> None:
    request = build_request("GET", "https://a.example/p?a=0&k=x", params={"k": ["1", "2"]})
    assert request.url.raw_query_string == "a=0&k=x&k=1&k=2"
    assert request.url.query.getall("k") == ["x", "1", "2"]


def test_values_are_stringified_as_the_wire_wants() -> None:
    assert normalize_params({"t": True, "f": False, "i": 1, "x": 1.5}) == (
        ("t", "true"),
        ("f", "false"),
        ("i", "1"),
        ("x", "1.5"),
    )
    assert normalize_params(None) == ()
    assert normalize_params({}) == ()


@pytest.mark.parametrize(
    "params",
    ["k=v", b"k=v", 42, {"k": object()}, {"k": [object()]}, [("k",)], [("k", "v", "w")], [(1, "v")], {1: "v"}],
)
def test_bad_params_are_refused_with_a_code(params: Any) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        normalize_params(params, "SomeClient", "some.code")
    assert (info.value.component, info.value.code) == ("SomeClient", "some.code")


# ------------------------------------------------------------------------------------------------ building
def test_build_request_validates_and_freezes() -> None:
    request = build_request("post", "https://a.example/x", json={"a": None}, headers={"X-Trace": "1"})
    assert (request.method, str(request.url), request.json, request.data) == (
        "POST",
        "https://a.example/x",
        {"a": None},
        None,
    )
    assert request.headers == {"X-Trace": "1"}
    with pytest.raises(AttributeError):
        request.method = "GET"  # type: ignore[misc]
    assert build_request("GET", "https://a.example/").json is ABSENT  # json=None: no body at all
    form = build_request("POST", "https://a.example/", data={"a": "1"})
    assert (form.json, form.data) == (ABSENT, {"a": "1"})


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"method": "GE T", "url": "https://a.b/"}, "method"),
        ({"method": "GET", "url": "/relative"}, "absolute"),
        ({"method": "GET", "url": "ftp://a.b/"}, "absolute"),
        ({"method": "GET", "url": "https://a.b/", "json": {}, "data": b"x"}, "not both"),
        ({"method": "GET", "url": "https://a.b/", "data": object()}, "data must be"),
        ({"method": "GET", "url": "https://a.b/", "headers": {"X": "a\r\nb"}}, "CR/LF"),
        ({"method": "GET", "url": "https://a.b/", "headers": [("X", "1")]}, "mapping"),
    ],
)
def test_build_request_refuses_bad_arguments(kwargs: dict[str, Any], fragment: str) -> None:
    with pytest.raises(InvalidArgumentError, match=fragment) as info:
        build_request(**kwargs)
    assert info.value.code == ErrorCodes.HTTP_INVALID_ARGUMENT


def test_body_and_header_checks_alone() -> None:
    assert check_body(None, None) == (ABSENT, None)
    assert check_body([1], None) == ([1], None)
    assert check_headers(None) is None
    with pytest.raises(InvalidArgumentError):
        check_headers({"X": 1})


def test_the_credential_never_shows_in_a_repr() -> None:
    request = Request("GET", BASE, headers={"Authorization": "Bearer SECRET-1"}, json={"password": "SECRET-2"})
    authed = request.with_auth(HeaderCredential("Authorization", "Bearer SECRET-3"))
    for text in (repr(request), repr(authed)):
        assert "SECRET" not in text
        assert "va.msghist.liveperson.net" in text
    assert authed.url == request.url
    assert authed.headers == request.headers
    assert authed.auth is not None


# ------------------------------------------------------------------------------------------------ redirects
def test_a_final_answer_is_no_redirect() -> None:
    request = Request("GET", BASE)
    assert redirect(request, 200, "https://elsewhere.example/") is None
    assert redirect(request, 302, None) is None
    assert redirect(request, 304, "/x") is None


def test_same_origin_redirect_keeps_credentials_and_method() -> None:
    auth = HeaderCredential("Authorization", "Bearer t")
    request = Request("PUT", BASE, headers={"Authorization": "Bearer t"}, json={"a": 1}, auth=auth)
    hop = redirect(request, 307, "/y?z=1")
    assert hop is not None
    assert str(hop.url) == "https://va.msghist.liveperson.net/y?z=1"
    assert (hop.method, hop.json, hop.auth, hop.headers) == ("PUT", {"a": 1}, auth, {"Authorization": "Bearer t"})


def test_cross_origin_redirect_leaves_every_credential_behind() -> None:
    marker = HeaderCredential("X-Mark", "m")
    request = Request(
        "GET",
        BASE,
        headers={"Authorization": "a", "Cookie": "c", "maven-api-key": "k", "X-Auth-Token": "t", "X-Keep": "yes"},
        middlewares=(marker,),
        auth=HeaderCredential("Authorization", "Bearer t"),
    )
    for location in (
        "https://other.example/y",
        "http://va.msghist.liveperson.net/y",
        "https://va.msghist.liveperson.net:8443/y",
    ):
        hop = redirect(request, 302, location)
        assert hop is not None
        assert hop.auth is None
        assert hop.middlewares == ()
        assert hop.headers == {"X-Keep": "yes"}


@pytest.mark.parametrize(
    ("method", "status", "expected", "keeps_body"),
    [
        ("POST", 303, "GET", False),
        ("PUT", 303, "GET", False),
        ("HEAD", 303, "HEAD", False),
        ("POST", 301, "GET", False),
        ("POST", 302, "GET", False),
        ("PUT", 301, "PUT", True),
        ("POST", 307, "POST", True),
        ("POST", 308, "POST", True),
    ],
)
def test_redirect_methods(method: str, status: int, expected: str, keeps_body: bool) -> None:
    hop = redirect(Request(method, BASE, json={"a": 1}), status, "/next")
    assert hop is not None
    assert hop.method == expected
    assert hop.json == ({"a": 1} if keeps_body else ABSENT)


def test_without_credentials_is_case_insensitive() -> None:
    assert without_credentials({"AUTHORIZATION": "x", "Proxy-Authorization": "y", "Accept": "z"}) == {"Accept": "z"}
    assert without_credentials(None) is None
