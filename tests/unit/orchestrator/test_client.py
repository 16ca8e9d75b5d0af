"""``OrchestratorClient.invoke`` through the transport with a fake LivePerson behind the Sender seam and a fake clock:
the wire, every retry path, the app key and bad arguments."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from lp_toolbelt import (
    ConfigurationError,
    ErrorCodes,
    ErrorStrategy,
    HttpStatusError,
    InvalidArgumentError,
    Invocation,
    RequestTimeoutError,
    Toolbelt,
    ToolbeltError,
    TransportError,
)
from lp_toolbelt.transport.request import Request
from lp_toolbelt.transport.wire import WireResponse
from tests.unit.fake_lp import APP_KEY, FakeLivePerson, bearer, network, toolbelt
from tests.unit.fakes import CountingLimiter, FakeClock

CONTINUE = ErrorStrategy.CONTINUE_ON_ERROR


# ------------------------------------------------------------------------------------------------ success
async def test_invocations_run_one_after_another_and_results_keep_the_order(tb: Toolbelt, fake: FakeLivePerson) -> None:
    fake.script("a", (200, {"n": 1}, {"X-Trace": "t1"}))
    fake.script("b", (200, "plain text"))
    results = await tb.orchestrator_client().invoke(
        [Invocation(uuid="a", payload={"q": 1}, headers={"k": "v"}), Invocation(uuid="b")], json=True
    )
    assert [r.uuid for r in results] == ["a", "b"]
    assert results[0].status_code == 200
    assert results[0].body == {"n": 1}
    assert results[0].headers["X-Trace"] == "t1"
    assert results[1].body == "plain text"  # json=True parses only what parses
    assert [r.url.path.split("/")[5] for r in fake.sent] == ["a", "b"]
    first = fake.sent[0]
    assert first.json["payload"] == {"q": 1}
    assert first.json["headers"] == [{"key": "k", "value": "v"}]
    assert isinstance(first.json["timestamp"], int)
    assert bearer(first) == "Bearer tok-1"
    assert fake.tokens_issued == 1  # one token for every invocation


async def test_without_json_the_body_is_text(tb: Toolbelt, fake: FakeLivePerson) -> None:
    fake.script("a", (200, {"n": 1}))
    [result] = await tb.orchestrator_client().invoke([Invocation(uuid="a")])
    assert result.body == '{"n": 1}'


async def test_no_invocations_no_request(tb: Toolbelt, fake: FakeLivePerson) -> None:
    assert await tb.orchestrator_client().invoke([]) == []
    assert fake.sent == []


async def test_repeated_response_headers_are_joined(tb: Toolbelt, fake: FakeLivePerson) -> None:
    async def two_cookies(request: Request) -> WireResponse:
        from multidict import CIMultiDict, CIMultiDictProxy

        headers = CIMultiDict([("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")])
        return WireResponse(200, CIMultiDictProxy(headers), b"{}", None)

    fake.script("a", two_cookies)
    [result] = await tb.orchestrator_client().invoke([Invocation(uuid="a")])
    assert result.headers["Set-Cookie"] == "a=1, b=2"


# ------------------------------------------------------------------------------------------------ retries
@pytest.mark.parametrize("status", [429, 500, 502, 504])
async def test_retryable_statuses_are_retried_with_pauses_of_100_ms_steps(
    tb: Toolbelt, fake: FakeLivePerson, clock: FakeClock, status: int
) -> None:
    fake.script("a", (status, "busy"), (status, "busy"), (200, "done"))
    [result] = await tb.orchestrator_client().invoke([Invocation(uuid="a")])
    assert result.body == "done"
    assert len(fake.sent_to("a")) == 3
    assert clock.sleeps == pytest.approx([0.1, 0.2])


@pytest.mark.parametrize("status", [400, 401, 404, 503, 901])
async def test_other_statuses_are_the_functions_answer_and_never_retried(
    tb: Toolbelt, fake: FakeLivePerson, status: int
) -> None:
    fake.script("a", (status, {"code": "boom"}, {"X-Why": "w"}))
    with pytest.raises(HttpStatusError) as info:
        await tb.orchestrator_client().invoke([Invocation(uuid="a")], json=True)
    err = info.value
    assert (err.code, err.status, err.component) == (ErrorCodes.ORCHESTRATOR_STATUS_CODE_ERROR, status, "Orchestrator")
    assert err.details["body"] == {"code": "boom"}
    assert err.details["headers"]["X-Why"] == "w"
    assert err.details["uuid"] == "a"
    # a 401 is retried once with a renewed token (the transport's authorization hook), never with the same one
    expected = 2 if status == 401 else 1
    assert len(fake.sent_to("a")) == expected


async def test_a_401_is_retried_with_a_fresh_token_not_the_old_one(tb: Toolbelt, fake: FakeLivePerson) -> None:
    fake.script("a", (401, "expired"), (200, "ok"))
    [result] = await tb.orchestrator_client().invoke([Invocation(uuid="a")])
    assert result.body == "ok"
    assert [bearer(r) for r in fake.sent_to("a")] == ["Bearer tok-1", "Bearer tok-2"]


async def test_attempts_run_out_on_a_retryable_status(tb: Toolbelt, fake: FakeLivePerson) -> None:
    fake.script("a", (500, "down"))
    results = await tb.orchestrator_client().invoke([Invocation(uuid="a", retries=2)], error_strategy=CONTINUE)
    assert len(fake.sent_to("a")) == 2
    assert results[0].status_code == 500
    assert results[0].body == "down"
    assert results[0].error is not None
    assert results[0].error.code == ErrorCodes.ORCHESTRATOR_STATUS_CODE_ERROR


async def test_one_attempt_only_with_retries_1(tb: Toolbelt, fake: FakeLivePerson) -> None:
    fake.script("a", (502, "bad gateway"), (200, "never"))
    with pytest.raises(HttpStatusError):
        await tb.orchestrator_client().invoke([Invocation(uuid="a", retries=1)])
    assert len(fake.sent_to("a")) == 1


async def test_429_after_the_retries_is_a_status_code_error(tb: Toolbelt, fake: FakeLivePerson) -> None:
    fake.script("a", (429, "slow down"))
    with pytest.raises(HttpStatusError) as info:
        await tb.orchestrator_client().invoke([Invocation(uuid="a")])
    assert (info.value.code, info.value.status) == (ErrorCodes.ORCHESTRATOR_STATUS_CODE_ERROR, 429)
    assert len(fake.sent_to("a")) == 3


@pytest.mark.parametrize("kind", ["connect", "io"])
async def test_network_failures_are_retried_even_for_the_post(tb: Toolbelt, fake: FakeLivePerson, kind: str) -> None:
    fake.script("a", network(kind), (200, "ok"))
    [result] = await tb.orchestrator_client().invoke([Invocation(uuid="a")])
    assert result.body == "ok"
    assert len(fake.sent_to("a")) == 2


async def test_network_failures_until_the_attempts_run_out(tb: Toolbelt, fake: FakeLivePerson) -> None:
    fake.script("a", network("io"))
    with pytest.raises(TransportError) as info:
        await tb.orchestrator_client().invoke([Invocation(uuid="a")])
    assert info.value.code == ErrorCodes.ORCHESTRATOR_GENERAL
    assert not isinstance(info.value, RequestTimeoutError)
    assert len(fake.sent_to("a")) == 3


async def test_a_per_attempt_timeout_is_retried_then_is_an_invoke_timeout(tb: Toolbelt, fake: FakeLivePerson) -> None:
    never = asyncio.Event()

    async def hang(request: Request) -> WireResponse:
        await never.wait()
        raise AssertionError("unreachable")

    fake.script("a", hang)
    seen: list[BaseException | None] = []

    def retry_timeouts(status: int | None, error: BaseException | None) -> bool:
        seen.append(error)
        return isinstance(error, TimeoutError)

    with pytest.raises(RequestTimeoutError) as info:
        await tb.orchestrator_client().invoke([Invocation(uuid="a", retry_if=retry_timeouts)], timeout=0.05)
    assert info.value.code == ErrorCodes.ORCHESTRATOR_TIMEOUT
    assert len(fake.sent_to("a")) == 3
    assert len(seen) == 2
    assert all(isinstance(e, TimeoutError) for e in seen)


async def test_retry_if_decides_alone(tb: Toolbelt, fake: FakeLivePerson) -> None:
    fake.script("a", (503, "unavailable"), (418, "teapot"), (200, "never"))
    with pytest.raises(HttpStatusError) as info:
        await tb.orchestrator_client().invoke([Invocation(uuid="a", retry_if=lambda status, error: status == 503)])
    assert info.value.status == 418
    assert len(fake.sent_to("a")) == 2


async def test_a_raising_retry_if_fails_its_invocation_only(tb: Toolbelt, fake: FakeLivePerson) -> None:
    def broken(status: int | None, error: BaseException | None) -> bool:
        raise RuntimeError("bug")

    fake.script("a", (500, "x"))
    results = await tb.orchestrator_client().invoke(
        [Invocation(uuid="a", retry_if=broken), Invocation(uuid="b")], error_strategy=CONTINUE
    )
    assert results[0].error is not None
    assert results[0].error.code == ErrorCodes.ORCHESTRATOR_GENERAL
    assert results[1].ok


async def test_every_attempt_goes_through_the_shared_limiter(fake: FakeLivePerson) -> None:
    limiter = CountingLimiter()
    fake.script("a", (500, "x"), (200, "ok"))
    async with toolbelt(fake, limiter=limiter) as tb:
        await tb.orchestrator_client().invoke([Invocation(uuid="a"), Invocation(uuid="b")], parallel=True)
    # CSDS + Sentinel + 2 attempts of a + 1 of b
    assert limiter.acquired == 5


# ------------------------------------------------------------------------------------------------ app key
async def test_the_app_key_must_be_an_app_installation(fake: FakeLivePerson) -> None:
    oauth1 = {"consumerKey": "a", "consumerSecret": "b", "token": "c", "tokenSecret": "d"}
    async with toolbelt(fake, secrets={"LIVEPERSON_DEFAULT_APP_KEY": oauth1}) as tb:
        with pytest.raises(ToolbeltError) as info:
            await tb.orchestrator_client().invoke([Invocation(uuid="a")])
        results = await tb.orchestrator_client().invoke([Invocation(uuid="a")], error_strategy=CONTINUE)
    assert info.value.code == ErrorCodes.ORCHESTRATOR_CREDENTIALS_WRONG_FORMAT
    assert results[0].error is not None
    assert results[0].error.code == ErrorCodes.ORCHESTRATOR_CREDENTIALS_WRONG_FORMAT
    assert fake.sent == []


async def test_no_app_key_is_a_get_credentials_failure(fake: FakeLivePerson) -> None:
    async with toolbelt(fake, secrets={}) as tb:
        with pytest.raises(ToolbeltError) as info:
            await tb.orchestrator_client().invoke([Invocation(uuid="a")])
    assert info.value.code == ErrorCodes.ORCHESTRATOR_GET_CREDENTIALS_FAILURE
    assert "LIVEPERSON_DEFAULT_APP_KEY" in info.value.message
    assert "lp-faas-orchestrator-app-key" in info.value.message


async def test_the_documented_orchestrator_app_key_is_the_fallback(fake: FakeLivePerson) -> None:
    async with toolbelt(fake, secrets={"lp-faas-orchestrator-app-key": APP_KEY}) as tb:
        [result] = await tb.orchestrator_client().invoke([Invocation(uuid="a")])
    assert result.ok


async def test_a_named_app_key_is_used(fake: FakeLivePerson) -> None:
    async with toolbelt(fake, secrets={"my-app": APP_KEY}) as tb:
        [result] = await tb.orchestrator_client(app_key_secret_name="my-app").invoke([Invocation(uuid="a")])
    assert result.ok


async def test_sentinel_refusing_the_app_key_is_a_general_error(fake: FakeLivePerson) -> None:
    fake.sentinel_status = 401
    async with toolbelt(fake) as tb:
        with pytest.raises(ToolbeltError) as info:
            await tb.orchestrator_client().invoke([Invocation(uuid="a")])
    assert info.value.code == ErrorCodes.ORCHESTRATOR_GENERAL


async def test_the_token_is_shared_with_the_lp_client(tb: Toolbelt, fake: FakeLivePerson) -> None:
    await tb.orchestrator_client().invoke([Invocation(uuid="a")])
    assert tb.token_cache.peek(("LIVEPERSON_DEFAULT_APP_KEY", APP_KEY["client_id"])) == "Bearer tok-1"


# ------------------------------------------------------------------------------------------------ bad arguments
@pytest.mark.parametrize(
    "kwargs",
    [
        {"invocations": "a"},
        {"invocations": [{"uuid": "a"}]},
        {"invocations": Invocation(uuid="a")},
        {"deadline": 0},
        {"timeout": -1},
        {"json": "yes"},
        {"parallel": 1},
        {"error_strategy": "Whatever"},
    ],
)
async def test_bad_arguments_are_refused_before_any_request(
    tb: Toolbelt, fake: FakeLivePerson, kwargs: dict[str, Any]
) -> None:
    args: dict[str, Any] = {"invocations": [Invocation(uuid="a")], **kwargs}
    with pytest.raises(InvalidArgumentError) as info:
        await tb.orchestrator_client().invoke(**args)
    assert info.value.code == ErrorCodes.ORCHESTRATOR_GENERAL
    assert fake.sent == []
    assert fake.tokens_issued == 0


async def test_no_account_is_a_configuration_error(fake: FakeLivePerson) -> None:
    async with toolbelt(fake, account_id=None) as tb:
        with pytest.raises(ConfigurationError):
            await tb.orchestrator_client().invoke([Invocation(uuid="a")])
