"""Small pure parts of the core: the status → error mapper, the egress proxy rule, token lifetimes, zones."""

from __future__ import annotations

import pytest
from yarl import URL

from lp_toolbelt.auth.oauth2 import token_ttl
from lp_toolbelt.clients.context_wire import CONTEXT_STATUS_ERRORS
from lp_toolbelt.clients.salesforce_wire import SALESFORCE_STATUS_ERRORS
from lp_toolbelt.config import context_zone_host
from lp_toolbelt.errors import (
    AuthenticationError,
    ConfigurationError,
    ErrorCodes,
    HttpStatusError,
    NotFoundError,
    SalesforceAuthError,
    SalesforceError,
    StatusErrors,
    ToolbeltError,
)
from lp_toolbelt.transport.proxy import EgressProxy
from lp_toolbelt.transport.retry import RetryPolicy


# ------------------------------------------------------------------------------------------------ status → error
@pytest.mark.parametrize(
    ("mapper", "status", "code", "cls"),
    [
        (StatusErrors("C", "c.other"), 404, "c.other", HttpStatusError),
        (StatusErrors("C", "c.other", auth_statuses=frozenset({401, 403})), 403, "c.other", AuthenticationError),
        (StatusErrors("C", "c.other", cls=ToolbeltError), 500, "c.other", ToolbeltError),
        (CONTEXT_STATUS_ERRORS, 403, ErrorCodes.CONTEXT_AUTHORIZATION_INVALID, AuthenticationError),
        (CONTEXT_STATUS_ERRORS, 404, ErrorCodes.CONTEXT_DATA_DOES_NOT_EXIST, NotFoundError),
        (CONTEXT_STATUS_ERRORS, 503, ErrorCodes.CONTEXT_INTERNAL_SERVER_ERROR, HttpStatusError),
        (CONTEXT_STATUS_ERRORS, 401, ErrorCodes.CONTEXT_UNKNOWN, HttpStatusError),
        (SALESFORCE_STATUS_ERRORS, 401, ErrorCodes.SALESFORCE_AUTH_FAILED, SalesforceAuthError),
        (SALESFORCE_STATUS_ERRORS, 400, ErrorCodes.SALESFORCE_REQUEST_FAILED, SalesforceError),
    ],
)
def test_one_mapper_per_component(mapper: StatusErrors, status: int, code: str, cls: type[ToolbeltError]) -> None:
    err = mapper.error(status, "it answered", details={"body": "x"})
    assert type(err) is cls
    assert (err.component, err.code, err.status, err.message, err.details) == (
        mapper.component,
        code,
        status,
        "it answered",
        {"body": "x"},
    )


def test_by_status_wins_over_auth_statuses() -> None:
    mapper = StatusErrors("C", "c.x", auth_statuses=frozenset({403}), by_status={403: ("c.y", NotFoundError)})
    assert type(mapper.error(403, "m")) is NotFoundError


# ------------------------------------------------------------------------------------------------ egress proxy
ENV = {"HTTPS_PROXY": "http://user:pw@proxy.internal:3128", "HTTP_PROXY": "http://plain.internal:8080"}


def test_proxy_by_scheme_and_no_proxy() -> None:
    proxy = EgressProxy.from_env({**ENV, "NO_PROXY": "localhost, .example.org,10.0.0.1:8443"})
    assert proxy is not None
    assert proxy.for_url(URL("https://va.msghist.liveperson.net/x")) == URL("http://user:pw@proxy.internal:3128")
    assert proxy.for_url(URL("http://crm.example.com/x")) == URL("http://plain.internal:8080")
    for bypassed in (
        "http://localhost:9000/",
        "https://example.org/",
        "https://a.b.example.org/",
        "https://10.0.0.1:8443/",
    ):
        assert proxy.for_url(URL(bypassed)) is None, bypassed
    assert proxy.for_url(URL("https://10.0.0.1:9443/")) is not None  # another port
    assert proxy.for_url(URL("https://notexample.org/")) is not None  # a suffix, not a domain
    assert "pw" not in repr(proxy)
    assert "user" not in repr(proxy)


def test_lower_case_wins_explicit_wins_and_star_bypasses_all() -> None:
    proxy = EgressProxy.from_env({**ENV, "https_proxy": "http://lower.internal:1"})
    assert proxy is not None
    assert proxy.for_url(URL("https://x.example/")) == URL("http://lower.internal:1")
    explicit = EgressProxy.from_env(ENV, "http://explicit.internal:2")
    assert explicit is not None
    assert explicit.for_url(URL("http://x.example/")) == URL("http://explicit.internal:2")
    star = EgressProxy.from_env({**ENV, "NO_PROXY": "*"})
    assert star is not None
    assert star.for_url(URL("https://x.example/")) is None
    assert EgressProxy.from_env({}) is None
    with pytest.raises(ValueError):
        EgressProxy.from_env({"HTTPS_PROXY": "ftp://proxy"})


# ------------------------------------------------------------------------------------------------ small rules
def test_token_lifetimes() -> None:
    assert token_ttl("3600") == 3540.0
    assert token_ttl(100) == 50.0  # short tokens: half their life, never 0 (no fetch on every call)
    for unusable in (None, "", "abc", "nan", "inf", 0, -1, [1]):
        assert token_ttl(unusable) == 60.0


def test_context_zones() -> None:
    assert [context_zone_host(z) for z in ("z1", "Z2 ", "z3", "z1-a")] == [
        "z1.context.liveperson.net",
        "z2.context.liveperson.net",
        "z3.context.liveperson.net",
        "z1-a.context.liveperson.net",
    ]
    for bad in ("", "z1.evil.com/", "a b"):
        with pytest.raises(ConfigurationError):
            context_zone_host(bad)


def test_retry_policy_pause_rules() -> None:
    assert RetryPolicy(step=0.1).delay(2, None, lambda: 0.5) == pytest.approx(0.3)
    assert RetryPolicy(step=0.1).delay(2, 5.0, lambda: 0.5) == 5.0
    assert RetryPolicy(step=0.1, honour_retry_after=False).delay(0, 5.0, lambda: 0.5) == pytest.approx(0.1)
    policy = RetryPolicy(always_statuses=frozenset({429, 500}), statuses=frozenset())
    assert policy.retryable_status(500, retry_safe=False)
    assert not policy.retryable_status(503, retry_safe=True)
