"""The one send path driven through its I/O seam: a fake Sender, a fake clock — no aiohttp, no server.

Retries (the one engine, configured by RetryPolicy), redirects, the authorization hook and the allowlist are all
decided by the transport's pure parts; these tests pin them without patching aiohttp.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from lp_toolbelt.errors import (
    ErrorCodes,
    ForbiddenHostError,
    InvalidArgumentError,
    RateLimitedError,
    RequestTimeoutError,
    ToolbeltError,
    TransportError,
)
from lp_toolbelt.transport.allowlist import Allowlist, ServiceAllowlist
from lp_toolbelt.transport.auth import HeaderCredential, StaticAuthorizer, TokenAuthorizer
from lp_toolbelt.transport.request import Request
from lp_toolbelt.transport.retry import RetryPolicy
from lp_toolbelt.transport.send import Transport
from lp_toolbelt.transport.wire import NetworkFailure, UnsendableRequest, WireResponse
from tests.unit.fakes import CountingLimiter, FakeClock

URL_A = URL("https://api.liveperson.net/x")


def answer(status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> WireResponse:
    return WireResponse(status, CIMultiDictProxy(CIMultiDict(headers or {})), body, None)


class FakeSender:
    """Plays a script: each item is a WireResponse to return or an exception to raise; records what was sent."""

    def __init__(self, *script: WireResponse | BaseException | Callable[[Request], WireResponse]) -> None:
        self.script = list(script)
        self.sent: list[Request] = []

    async def __call__(self, request: Request) -> WireResponse:
        self.sent.append(request)
        item = self.script.pop(0)
        if isinstance(item, BaseException):
            raise item
        if callable(item):
            return item(request)
        return item


def failure(kind: str) -> NetworkFailure:
    err = NetworkFailure(kind)  # type: ignore[arg-type]
    err.__cause__ = ConnectionResetError("reset")
    return err


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def make(clock: FakeClock) -> AsyncIterator[Callable[..., Transport]]:
    made: list[Transport] = []

    def build(sender: FakeSender, **kw: Any) -> Transport:
        transport = Transport(
            allowlist=kw.pop("allowlist", Allowlist(["api.liveperson.net", "*.example.org"])),
            limiter=CountingLimiter(),
            retry=kw.pop("retry", RetryPolicy(max_retries=3, backoff_base=0.5, backoff_cap=4.0)),
            sender=sender,
            clock=clock,
            sleep=clock.sleep,
            rand=lambda: 1.0,
            wall_clock=lambda: 1_700_000_000.0,
            **kw,
        )
        made.append(transport)
        return transport

    yield build
    for transport in made:
        await transport.aclose()


# ------------------------------------------------------------------------------------------------ the retry engine
async def test_default_policy_retries_503_for_get_not_for_post(
    make: Callable[..., Transport], clock: FakeClock
) -> None:
    sender = FakeSender(answer(503), answer(200, b"ok"))
    resp = await make(sender).send(Request("GET", URL_A))
    assert (resp.status, resp.content, clock.sleeps) == (200, b"ok", [0.5])
    sender = FakeSender(answer(503))
    assert (await make(sender).send(Request("POST", URL_A))).status == 503
    assert len(sender.sent) == 1


async def test_429_is_retried_for_any_method_with_retry_after(make: Callable[..., Transport], clock: FakeClock) -> None:
    sender = FakeSender(answer(429, headers={"Retry-After": "2"}), answer(200))
    assert (await make(sender).send(Request("POST", URL_A))).status == 200
    assert clock.sleeps == [2.0]
    sender = FakeSender(*[answer(429) for _ in range(4)])
    with pytest.raises(RateLimitedError) as info:
        await make(sender).send(Request("GET", URL_A))
    assert (info.value.status, len(sender.sent)) == (429, 4)


async def test_network_failures_follow_the_policy(make: Callable[..., Transport]) -> None:
    # "safe": a connect failure (nothing sent) is retried for a POST; a reset after sending is not.
    sender = FakeSender(failure("connect"), answer(200))
    assert (await make(sender).send(Request("POST", URL_A))).status == 200
    sender = FakeSender(failure("io"))
    with pytest.raises(TransportError) as info:
        await make(sender).send(Request("POST", URL_A))
    assert isinstance(info.value.__cause__, ConnectionResetError)
    # "always": the Context Session Store's rule; "never": one attempt.
    always = RetryPolicy(max_retries=2, statuses=frozenset(), always_statuses=frozenset(), network="always")
    sender = FakeSender(failure("io"), failure("io"), answer(503))
    assert (await make(sender, retry=always).send(Request("PATCH", URL_A))).status == 503
    assert len(sender.sent) == 3
    sender = FakeSender(failure("connect"))
    with pytest.raises(TransportError):
        await make(sender, retry=RetryPolicy(network="never")).send(Request("GET", URL_A))
    assert len(sender.sent) == 1


@pytest.mark.parametrize("kind", ["tls", "too-large"])
async def test_permanent_failures_are_never_retried(make: Callable[..., Transport], kind: str) -> None:
    sender = FakeSender(failure(kind))
    with pytest.raises(TransportError) as info:
        await make(sender, retry=RetryPolicy(network="always")).send(Request("GET", URL_A))
    assert len(sender.sent) == 1
    expected = ErrorCodes.HTTP_RESPONSE_TOO_LARGE if kind == "too-large" else ErrorCodes.HTTP_OP_FAILED
    assert info.value.code == expected


async def test_retry_if_decides_everything_and_the_step_paces(make: Callable[..., Transport], clock: FakeClock) -> None:
    seen: list[tuple[int | None, str | None]] = []

    def retry_if(status: int | None, error: BaseException | None) -> bool:
        seen.append((status, type(error).__name__ if error else None))
        return status == 500 or error is not None

    policy = RetryPolicy(max_retries=3, always_statuses=frozenset(), retry_if=retry_if, step=0.1)
    sender = FakeSender(answer(500), failure("io"), answer(404))
    assert (await make(sender, retry=policy).send(Request("POST", URL_A))).status == 404
    assert seen == [(500, None), (None, "NetworkFailure"), (404, None)]
    assert clock.sleeps == pytest.approx([0.1, 0.2])


async def test_a_retry_that_cannot_finish_in_time_is_a_timeout(
    make: Callable[..., Transport], clock: FakeClock
) -> None:
    class Slow(FakeSender):
        async def __call__(self, request: Request) -> WireResponse:
            self.sent.append(request)
            clock.now += 9.8  # the attempt used most of the 10 s deadline, then the connection dropped
            raise failure("io")

    sender = Slow()
    with pytest.raises(RequestTimeoutError) as info:
        await make(sender).send(Request("GET", URL_A), timeout=10)
    assert isinstance(info.value.__cause__, ConnectionResetError)
    assert len(sender.sent) == 1  # the 0.5 s backoff would pass the deadline: no second attempt


async def test_attempt_timeout_is_a_retryable_network_failure(make: Callable[..., Transport]) -> None:
    calls = 0

    class Stalling(FakeSender):
        async def __call__(self, request: Request) -> WireResponse:
            nonlocal calls
            calls += 1
            if calls == 1:
                await asyncio.sleep(10)
            return answer(200)

    transport = make(Stalling(), retry=RetryPolicy(max_retries=1, network="always", step=0.0))
    resp = await transport.send(Request("POST", URL_A), attempt_timeout=0.05)
    assert (resp.status, calls) == (200, 2)


async def test_an_unsendable_request_is_an_invalid_argument(make: Callable[..., Transport]) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        await make(FakeSender(UnsendableRequest("TypeError"))).send(Request("POST", URL_A))
    assert info.value.code == ErrorCodes.HTTP_INVALID_ARGUMENT


# ------------------------------------------------------------------------------------------------ redirects
async def test_redirects_are_followed_to_allowed_hosts_only(make: Callable[..., Transport]) -> None:
    sender = FakeSender(answer(302, headers={"Location": "https://a.example.org/y"}), answer(200, b"there"))
    resp = await make(sender).send(Request("GET", URL_A))
    assert (resp.content, str(resp.url)) == (b"there", "https://a.example.org/y")
    sender = FakeSender(answer(302, headers={"Location": "https://evil.example.com/y"}))
    with pytest.raises(ForbiddenHostError):
        await make(sender).send(Request("GET", URL_A))
    assert len(sender.sent) == 1
    loop = FakeSender(*[answer(302, headers={"Location": "/x"}) for _ in range(20)])
    with pytest.raises(TransportError, match="too many redirects"):
        await make(loop).send(Request("GET", URL_A))


# ------------------------------------------------------------------------------------------------ the auth hook
async def test_401_renews_once_and_sends_again(make: Callable[..., Transport]) -> None:
    fetched = iter(["t1", "t2", "t3"])

    async def fetch() -> str:
        return next(fetched)

    auth = TokenAuthorizer(lambda t: HeaderCredential("x-auth-token", t), fetch)
    sender = FakeSender(answer(401), answer(401))
    resp = await make(sender).send(Request("PUT", URL_A), auth=auth)
    assert resp.status == 401  # renewed once, then the second 401 is the answer
    assert [r.auth for r in sender.sent] == [HeaderCredentialMatcher("t1"), HeaderCredentialMatcher("t2")]
    sender = FakeSender(answer(200))
    await make(sender).send(Request("PUT", URL_A), auth=auth)
    assert sender.sent[0].auth == HeaderCredentialMatcher("t2")  # the renewed token is kept


async def test_concurrent_401s_share_one_renewal_and_max_refreshes_holds() -> None:
    fetches = 0

    async def fetch() -> str:
        nonlocal fetches
        fetches += 1
        await asyncio.sleep(0)
        return f"t{fetches}"

    auth = TokenAuthorizer(lambda t: HeaderCredential("x", t), fetch, max_refreshes=1)
    first = await auth.authorize(Request("GET", URL_A))
    again = await asyncio.gather(*(auth.reauthorize(first) for _ in range(5)))
    assert fetches == 2  # the first token, then one renewal for all five
    assert all(r is not None and r.auth == HeaderCredentialMatcher("t2") for r in again)
    assert again[0] is not None
    assert await auth.reauthorize(again[0]) is None  # renewals exhausted: the 401 stands


async def test_a_failed_renewal_is_kept_or_raised() -> None:
    async def broken() -> str:
        raise ToolbeltError("C", "c.fail", "refused")

    kept = TokenAuthorizer(lambda t: HeaderCredential("x", t), broken, token="t0", keep_errors=True)
    sent = await kept.authorize(Request("GET", URL_A))
    assert await kept.reauthorize(sent) is None
    assert kept.refresh_error is not None
    assert kept.refresh_error.code == "c.fail"
    raising = TokenAuthorizer(lambda t: HeaderCredential("x", t), broken, token="t0")
    with pytest.raises(ToolbeltError):
        await raising.reauthorize(await raising.authorize(Request("GET", URL_A)))


async def test_a_static_credential_is_never_renewed(make: Callable[..., Transport]) -> None:
    auth = StaticAuthorizer(HeaderCredential("maven-api-key", "KEY"))
    sender = FakeSender(answer(401))
    assert (await make(sender).send(Request("GET", URL_A), auth=auth)).status == 401
    assert len(sender.sent) == 1
    assert "KEY" not in repr(auth)
    assert "KEY" not in repr(sender.sent[0])


async def test_rebase_moves_a_refused_request() -> None:
    async def fetch() -> str:
        return "fresh"

    moved = URL("https://acme2.example.org/x")
    auth = TokenAuthorizer(
        lambda t: HeaderCredential("Authorization", t), fetch, token="old", rebase=lambda r: Request(r.method, moved)
    )
    again = await auth.reauthorize(await auth.authorize(Request("GET", URL_A)))
    assert again is not None
    assert again.url == moved
    assert again.auth == HeaderCredentialMatcher("fresh")


# ------------------------------------------------------------------------------------------------ the allowlist
async def test_the_csds_allowlist_is_resolved_once_and_then_decided_without_io() -> None:
    hosts: dict[str, str] | None = None
    fetches = 0

    async def fetch() -> dict[str, str]:
        nonlocal hosts, fetches
        fetches += 1
        await asyncio.sleep(0)
        hosts = {"msgHist": "va.msghist.liveperson.net", "auditLog": "va.auditlog.liveperson.net"}
        return hosts

    policy = ServiceAllowlist(Allowlist(["api.liveperson.net"]), {"msgHist"}, peek=lambda: hosts, fetch=fetch)
    msghist, audit = URL("https://va.msghist.liveperson.net/a"), URL("https://va.auditlog.liveperson.net/a")
    assert policy.allows(URL_A) is True  # static: no CSDS needed
    assert policy.allows(msghist) is None  # needs the account's CSDS answer
    assert await asyncio.gather(*(policy.resolve(msghist) for _ in range(20))) == [True] * 20
    assert policy.allows(audit) is False  # a host of a service outside the default list
    assert fetches >= 1
    assert policy.allows(msghist) is True
    assert ServiceAllowlist(Allowlist([]), enforced=False).allows(URL("https://anything.example/")) is True


class HeaderCredentialMatcher:
    """Equal to a HeaderCredential that sends ``value`` (without reading the secret out of it)."""

    def __init__(self, value: str) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, HeaderCredential) and other.matches(self.value)

    def __hash__(self) -> int:
        return hash(self.value)
