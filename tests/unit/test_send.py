from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aioresponses import CallbackResult, aioresponses
from yarl import URL

from lp_toolbelt.errors import (
    ErrorCodes,
    ForbiddenHostError,
    InvalidArgumentError,
    RateLimitedError,
    RequestTimeoutError,
    TransportError,
)
from lp_toolbelt.transport.allowlist import Allowlist
from lp_toolbelt.transport.retry import RetryPolicy
from lp_toolbelt.transport.send import Request, Transport
from tests.unit.fakes import CountingLimiter, FakeClock

BASE = "https://api.liveperson.net"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def transport(clock: FakeClock) -> AsyncIterator[Transport]:
    t = Transport(
        allowlist=Allowlist(["api.liveperson.net", "*.msghist.liveperson.net"]),
        limiter=CountingLimiter(),
        retry=RetryPolicy(max_retries=3, backoff_base=0.5, backoff_cap=4.0),
        timeout=30.0,
        clock=clock,
        sleep=clock.sleep,
        rand=lambda: 1.0,
        wall_clock=lambda: 1_700_000_000.0,
    )
    yield t
    await t.aclose()


def get(path: str = "/x", method: str = "GET", **kw: object) -> Request:
    return Request(method, URL(BASE + path), **kw)  # type: ignore[arg-type]


async def test_forbidden_host_opens_no_connection(transport: Transport) -> None:
    with aioresponses() as m:
        with pytest.raises(ForbiddenHostError) as info:
            await transport.send(Request("GET", URL("https://evil.com/x")))
        assert not m.requests
    assert info.value.status == 403
    assert "You do not have access" in str(info.value)
    assert isinstance(transport.limiter, CountingLimiter)
    assert transport.limiter.acquired == 0


async def test_relative_url_refused(transport: Transport) -> None:
    with pytest.raises(InvalidArgumentError):
        await transport.send(Request("GET", URL("/x")))


async def test_retries_503_for_get_with_backoff(transport: Transport, clock: FakeClock) -> None:
    with aioresponses() as m:
        m.get(BASE + "/x", status=503)
        m.get(BASE + "/x", status=502)
        m.get(BASE + "/x", status=200, body=b"done")
        resp = await transport.send(get())
    assert resp.status == 200
    assert resp.content == b"done"
    assert clock.sleeps == [0.5, 1.0]  # full jitter with rand()=1.0: base*2**attempt
    assert isinstance(transport.limiter, CountingLimiter)
    assert transport.limiter.acquired == 3  # every attempt goes through the limiter


async def test_post_not_retried_on_503(transport: Transport, clock: FakeClock) -> None:
    with aioresponses() as m:
        m.post(BASE + "/x", status=503)
        m.post(BASE + "/x", status=200)
        resp = await transport.send(get(method="POST", json={"a": 1}))
    assert resp.status == 503
    assert clock.sleeps == []


async def test_post_marked_safe_is_retried(transport: Transport) -> None:
    with aioresponses() as m:
        m.post(BASE + "/x", status=504)
        m.post(BASE + "/x", status=200)
        resp = await transport.send(get(method="POST", json={}, retry_safe=True))
    assert resp.status == 200


async def test_429_honours_retry_after_for_any_method(transport: Transport, clock: FakeClock) -> None:
    with aioresponses() as m:
        m.post(BASE + "/x", status=429, headers={"Retry-After": "2"})
        m.post(BASE + "/x", status=429, headers={"Retry-After": "Tue, 14 Nov 2023 22:13:23 GMT"})
        m.post(BASE + "/x", status=201)
        resp = await transport.send(get(method="POST"))
    assert resp.status == 201
    assert clock.sleeps[0] == 2.0
    assert clock.sleeps[1] == pytest.approx(3.0, abs=1.0)  # HTTP-date relative to the injected wall clock


async def test_429_exhausted_raises_rate_limited(transport: Transport) -> None:
    with aioresponses() as m:
        for _ in range(4):
            m.get(BASE + "/x", status=429, headers={"Retry-After": "0"})
        with pytest.raises(RateLimitedError) as info:
            await transport.send(get())
    assert info.value.status == 429
    assert info.value.code == ErrorCodes.HTTP_RATE_LIMITED


async def test_retry_after_past_deadline_is_not_waited(transport: Transport, clock: FakeClock) -> None:
    with aioresponses() as m:
        m.get(BASE + "/x", status=429, headers={"Retry-After": "3600"})
        with pytest.raises(RateLimitedError):
            await transport.send(get(), timeout=10)
    assert clock.sleeps == []


async def test_connection_error_retried_even_for_post(transport: Transport) -> None:
    err = aiohttp.ClientConnectorError(
        aiohttp.client_reqrep.ConnectionKey("api.liveperson.net", 443, True, True, None, None, None),
        OSError(111, "refused"),
    )
    with aioresponses() as m:
        m.post(BASE + "/x", exception=err)
        m.post(BASE + "/x", status=200)
        resp = await transport.send(get(method="POST"))
    assert resp.status == 200


async def test_disconnect_not_replayed_for_post(transport: Transport) -> None:
    with aioresponses() as m:
        m.post(BASE + "/x", exception=aiohttp.ServerDisconnectedError())
        m.post(BASE + "/x", status=200)
        with pytest.raises(TransportError) as info:
            await transport.send(get(method="POST"))
    assert info.value.code == ErrorCodes.HTTP_OP_FAILED
    assert info.value.status is None


async def test_disconnect_retried_for_get_then_gives_up(transport: Transport) -> None:
    with aioresponses() as m:
        for _ in range(4):
            m.get(BASE + "/x", exception=aiohttp.ServerDisconnectedError())
        with pytest.raises(TransportError) as info:
            await transport.send(get())
    assert isinstance(info.value.__cause__, aiohttp.ServerDisconnectedError)


async def test_timeout_maps_to_request_timeout(transport: Transport) -> None:
    with aioresponses() as m:
        m.post(BASE + "/x", exception=TimeoutError())
        with pytest.raises(RequestTimeoutError) as info:
            await transport.send(get(method="POST"), timeout=5)
    assert isinstance(info.value, TimeoutError)
    assert info.value.code == ErrorCodes.HTTP_TIMEOUT


async def test_redirect_followed_to_allowed_host(transport: Transport) -> None:
    with aioresponses() as m:
        m.get(BASE + "/x", status=302, headers={"Location": "https://va.msghist.liveperson.net/y"})
        m.get("https://va.msghist.liveperson.net/y", status=200, body=b"moved")
        resp = await transport.send(get())
    assert resp.content == b"moved"
    assert resp.url.host == "va.msghist.liveperson.net"


async def test_redirect_to_forbidden_host_refused_before_connecting(transport: Transport) -> None:
    with aioresponses() as m:
        m.get(BASE + "/x", status=307, headers={"Location": "https://api.liveperson.net@evil.com/steal"})
        with pytest.raises(ForbiddenHostError):
            await transport.send(get())
        assert [key[1].host for key in m.requests] == ["api.liveperson.net"]


async def test_303_turns_post_into_get(transport: Transport) -> None:
    seen: list[str] = []

    def record(url: URL, **kwargs: object) -> CallbackResult:
        seen.append(str(kwargs.get("json")))
        return CallbackResult(status=200, body=b"ok")

    with aioresponses() as m:
        m.post(BASE + "/x", status=303, headers={"Location": "/result"})
        m.get(BASE + "/result", callback=record)
        resp = await transport.send(get(method="POST", json={"a": 1}))
    assert resp.method == "GET"
    assert seen == ["None"]


async def test_response_size_cap(clock: FakeClock) -> None:
    t = Transport(
        allowlist=Allowlist(["api.liveperson.net"]),
        limiter=CountingLimiter(),
        clock=clock,
        sleep=clock.sleep,
        max_response_bytes=10,
    )
    try:
        with aioresponses() as m:
            m.get(BASE + "/x", body=b"x" * 11)
            with pytest.raises(TransportError) as info:
                await t.send(get())
        assert info.value.code == ErrorCodes.HTTP_RESPONSE_TOO_LARGE
    finally:
        await t.aclose()


async def test_closed_transport_refuses(transport: Transport) -> None:
    await transport.aclose()
    with pytest.raises(TransportError):
        await transport.send(get())
