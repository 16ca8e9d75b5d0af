"""The Orchestrator's pure rules, from the contract's text: the deadline cap, the per-invocation timeout, the wire of
one invocation, the default retry predicate and pauses, and the models."""

from __future__ import annotations

import json
import math

import pytest
from pydantic import ValidationError

from lp_toolbelt import ErrorCodes, ErrorStrategy, InvalidArgumentError, Invocation, InvocationError, InvocationResult
from lp_toolbelt.clients.orchestrator import (
    ORCHESTRATOR_STATUS_ERRORS,
    Budget,
    failed_result,
    invocation_policy,
    invoke_request,
    plan_budget,
)
from lp_toolbelt.transport.wire import NetworkFailure


# ------------------------------------------------------------------------------------------------ deadline/timeout
def test_the_deadline_defaults_to_an_even_share_per_invocation() -> None:
    assert plan_budget(4, 25.0, None) == Budget(25.0, 6.25)


@pytest.mark.parametrize("deadline", [25.000001, 30, 1e9])
def test_a_deadline_over_25_seconds_is_replaced_by_25_with_a_note(deadline: float) -> None:
    budget = plan_budget(2, deadline, None)
    assert (budget.deadline, budget.timeout) == (25.0, 12.5)
    assert len(budget.notes) == 1
    assert "25s" in budget.notes[0]


def test_a_deadline_of_exactly_25_seconds_is_kept_without_a_note() -> None:
    assert plan_budget(1, 25, None) == Budget(25.0, 25.0)


def test_a_timeout_that_fits_the_deadline_is_kept() -> None:
    assert plan_budget(3, 9.0, 3.0) == Budget(9.0, 3.0)


def test_a_timeout_times_n_over_the_deadline_is_replaced_by_the_default() -> None:
    budget = plan_budget(3, 9.0, 3.5)
    assert budget.timeout == 3.0
    assert len(budget.notes) == 1
    assert "3.5s" in budget.notes[0]


def test_the_cap_applies_before_the_timeout_rule() -> None:
    budget = plan_budget(2, 40.0, 15.0)  # 15 × 2 fits 40, not the capped 25
    assert (budget.deadline, budget.timeout) == (25.0, 12.5)
    assert len(budget.notes) == 2


@pytest.mark.parametrize("bad", [0, -1, True, math.nan, "5", None])
def test_a_deadline_that_is_not_positive_seconds_is_refused(bad: object) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        plan_budget(1, bad, None)
    assert info.value.code == ErrorCodes.ORCHESTRATOR_GENERAL


@pytest.mark.parametrize("bad", [0, -0.5, False, "1"])
def test_a_timeout_that_is_not_positive_seconds_is_refused(bad: object) -> None:
    with pytest.raises(InvalidArgumentError):
        plan_budget(1, 10, bad)


# ------------------------------------------------------------------------------------------------ the wire
def test_the_invocation_request_follows_the_spec() -> None:
    invocation = Invocation(uuid="fn-1", payload={"a": [1, 2]}, headers={"x-one": "1", "x-two": "2"})
    request = invoke_request("https", "va.faasgw.liveperson.net", "4711", invocation, 1_700_000_000_123)
    assert request.method == "POST"
    assert str(request.url) == (
        "https://va.faasgw.liveperson.net/api/account/4711/lambdas/fn-1/invoke?v=1&externalSystem=fn-1_4711"
    )
    assert request.headers == {"Content-Type": "application/json"}
    assert request.json == {
        "timestamp": 1_700_000_000_123,
        "payload": {"a": [1, 2]},
        "headers": [{"key": "x-one", "value": "1"}, {"key": "x-two", "value": "2"}],
    }


def test_external_system_has_no_stray_brace() -> None:
    """LivePerson's Node client sends ``externalSystem={uuid}_{acc}}``; the contract says ``{uuid}_{acc}``."""
    request = invoke_request("https", "gw", "77", Invocation(uuid="abc"), 0)
    assert request.url.query["externalSystem"] == "abc_77"
    assert "}" not in str(request.url)


def test_a_payload_of_null_is_sent_as_null() -> None:
    assert invoke_request("https", "gw", "1", Invocation(uuid="a"), 0).json["payload"] is None


# ------------------------------------------------------------------------------------------------ retries
def test_retries_are_attempts() -> None:
    assert invocation_policy(Invocation(uuid="a")).max_retries == 2
    assert invocation_policy(Invocation(uuid="a", retries=1)).max_retries == 0


@pytest.mark.parametrize("status", [429, 500, 502, 504])
def test_the_default_predicate_retries_these_statuses_for_a_post(status: int) -> None:
    assert invocation_policy(Invocation(uuid="a")).retryable_status(status, retry_safe=False)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 408, 501, 503, 901])
def test_the_default_predicate_never_retries_other_statuses(status: int) -> None:
    assert not invocation_policy(Invocation(uuid="a")).retryable_status(status, retry_safe=True)


@pytest.mark.parametrize("kind", ["connect", "io", "timeout"])
def test_the_default_predicate_retries_network_failures_even_after_sending(kind: str) -> None:
    policy = invocation_policy(Invocation(uuid="a"))
    assert policy.retryable_failure(NetworkFailure(kind), kind=kind, sent=True, retry_safe=False)  # type: ignore[arg-type]


def test_the_pause_is_attempt_times_100_ms_and_retry_after_is_not_waited() -> None:
    policy = invocation_policy(Invocation(uuid="a", retries=4))
    assert [policy.delay(n, 9.0, lambda: 0.5) for n in range(3)] == pytest.approx([0.1, 0.2, 0.3])


def test_retry_if_replaces_the_rule_and_sees_the_network_error_itself() -> None:
    seen: list[tuple[int | None, BaseException | None]] = []

    def only_503(status: int | None, error: BaseException | None) -> bool:
        seen.append((status, error))
        return status == 503

    policy = invocation_policy(Invocation(uuid="a", retry_if=only_503))
    assert policy.retryable_status(503, retry_safe=False)
    assert not policy.retryable_status(500, retry_safe=False)
    failure = NetworkFailure("timeout")
    failure.__cause__ = TimeoutError()
    assert not policy.retryable_failure(failure, kind="timeout", sent=True, retry_safe=False)
    assert isinstance(seen[-1][1], TimeoutError)


def test_a_retry_if_that_raises_becomes_an_orchestrator_error() -> None:
    def broken(status: int | None, error: BaseException | None) -> bool:
        raise KeyError("oops")

    policy = invocation_policy(Invocation(uuid="a", retry_if=broken))
    with pytest.raises(InvalidArgumentError) as info:
        policy.retryable_status(500, retry_safe=False)
    assert info.value.code == ErrorCodes.ORCHESTRATOR_GENERAL
    assert "KeyError" in info.value.message


# ------------------------------------------------------------------------------------------------ models
def test_error_strategy_values_are_livepersons() -> None:
    assert [s.value for s in ErrorStrategy] == ["ExitOnError", "ContinueOnError"]


@pytest.mark.parametrize(
    "fields",
    [
        {"uuid": ""},
        {"uuid": "../other"},
        {"uuid": "a", "retries": 0},
        {"uuid": "a", "retries": "3"},
        {"uuid": "a", "payload": {"x": {1, 2}}},
        {"uuid": "a", "payload": math.inf},
        {"uuid": "a", "headers": {"k": 1}},
        {"uuid": "a", "retry_if": "not callable"},
        {"uuid": "a", "unknown": 1},
    ],
)
def test_a_bad_invocation_is_refused_when_built(fields: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Invocation(**fields)  # type: ignore[arg-type]


def test_a_result_dumps_with_livepersons_names() -> None:
    result = InvocationResult(uuid="a", status_code=500, body="x", error=InvocationError(code="c", message="m"))
    assert result.model_dump(by_alias=True) == {
        "uuid": "a",
        "statusCode": 500,
        "body": "x",
        "headers": {},
        "error": {"code": "c", "message": "m"},
    }
    assert not result.ok


def test_a_failed_result_keeps_the_answer_of_a_status_error() -> None:
    err = ORCHESTRATOR_STATUS_ERRORS.error(
        404, "m", details={"uuid": "a", "status": 404, "body": {"e": 1}, "headers": {"X": "1"}}
    )
    result = failed_result(Invocation(uuid="a"), err)
    assert (result.status_code, result.body, result.headers) == (404, {"e": 1}, {"X": "1"})
    assert result.error == InvocationError(code=ErrorCodes.ORCHESTRATOR_STATUS_CODE_ERROR, message="m")
    assert json.loads(result.model_dump_json(by_alias=True))["statusCode"] == 404
