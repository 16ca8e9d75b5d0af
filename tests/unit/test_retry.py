from __future__ import annotations

import email.utils

import pytest

from lp_toolbelt.transport.retry import RetryPolicy, backoff_delay, is_retry_safe, parse_retry_after


def test_parse_retry_after_seconds_and_dates() -> None:
    assert parse_retry_after("3", 0.0) == 3.0
    assert parse_retry_after(" 0 ", 0.0) == 0.0
    now = 1_700_000_000.0
    date = email.utils.formatdate(now + 7, usegmt=True)
    assert parse_retry_after(date, now) == pytest.approx(7.0, abs=1.0)
    past = email.utils.formatdate(now - 100, usegmt=True)
    assert parse_retry_after(past, now) == 0.0


@pytest.mark.parametrize("value", [None, "", "soon", "nan", "inf", "Mon, 99 Foo 2020"])
def test_parse_retry_after_rejects_garbage(value: str | None) -> None:
    assert parse_retry_after(value, 0.0) is None


def test_negative_seconds_clamped() -> None:
    assert parse_retry_after("-5", 0.0) == 0.0


def test_backoff_full_jitter_bounds() -> None:
    assert backoff_delay(0, 0.25, 8.0, lambda: 0.999) == pytest.approx(0.24975)
    assert backoff_delay(3, 0.25, 8.0, lambda: 1.0) == 2.0
    assert backoff_delay(10, 0.25, 8.0, lambda: 1.0) == 8.0  # capped
    assert backoff_delay(5, 0.25, 8.0, lambda: 0.0) == 0.0
    assert backoff_delay(10_000, 0.25, 8.0, lambda: 0.5) == 4.0  # no overflow


def test_retry_safety() -> None:
    for method in ("GET", "head", "PUT", "DELETE", "OPTIONS"):
        assert is_retry_safe(method)
    for method in ("POST", "PATCH"):
        assert not is_retry_safe(method)
    assert is_retry_safe("POST", True)
    assert not is_retry_safe("GET", False)


def test_policy_statuses() -> None:
    policy = RetryPolicy(max_retries=2)
    assert policy.retryable_status(429, retry_safe=False)
    assert policy.retryable_status(503, retry_safe=True)
    assert not policy.retryable_status(503, retry_safe=False)
    assert not policy.retryable_status(500, retry_safe=True)
    assert not policy.retryable_status(404, retry_safe=True)
    assert policy.delay(0, 4.5, lambda: 0.0) == 4.5
    assert policy.delay(1, None, lambda: 1.0) == 0.5
