"""The one retry engine's policy (pure): what may be retried, and how long to wait before the next attempt.

A :class:`RetryPolicy` is a predicate plus a pause; the transport's send loop runs every client's retries with one,
so a client configures a policy instead of looping itself. The default policy (``Transport.retry``):

* 429 is retried for every method: the proxy refused the request before it reached the API;
* 502/503/504 and a connection broken after sending are retried only for retry-safe requests: idempotent methods
  (GET, HEAD, OPTIONS, PUT, DELETE) or requests a client marks safe (e.g. the read-only msgHist search POST);
* a connection that could not be opened at all is retried for every method (nothing was sent);
* TLS failures and oversized answers are never retried;
* the wait is ``Retry-After`` when the server gives one, else exponential backoff with full jitter:
  ``uniform(0, min(cap, base * 2**attempt))``.

Other policies: the Context Session Store retries network failures only (``statuses=frozenset(),
always_statuses=frozenset(), network="always"``); the Orchestrator retries 429/500/502/504 and network failures
with a pause of ``attempt × 0.1 s``, or whatever its ``retry_if`` predicate says.

Example::

    policy = RetryPolicy(max_retries=2, always_statuses=frozenset({429, 500}), network="always", step=0.1)
    policy.retryable_status(500, retry_safe=False)     # True
    policy.delay(1, None, random.random)               # 0.2
"""

from __future__ import annotations

import email.utils
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from .. import _constants as C

__all__ = [
    "NetworkRetry",
    "RetryIf",
    "RetryPolicy",
    "backoff_delay",
    "is_retry_safe",
    "parse_retry_after",
]

NetworkRetry = Literal["safe", "always", "never"]
"""When a network failure is retried: ``safe`` (retry-safe requests, or nothing sent), ``always``, ``never``."""

RetryIf = Callable[[int | None, BaseException | None], bool]
"""``(status, error) -> retry?``: a status for an HTTP answer (error ``None``), an error for a network failure."""

# Failures that no attempt can cure: a TLS handshake/certificate failure, an answer over the size cap.
_PERMANENT_KINDS = frozenset({"tls", "too-large"})


def is_retry_safe(method: str, marked_safe: bool | None = None) -> bool:
    """Whether a request may be replayed after an ambiguous failure."""
    if marked_safe is not None:
        return marked_safe
    return method.upper() in C.IDEMPOTENT_METHODS


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date); ``None`` if absent/bad.

    ``now`` is the current Unix time (injected, so this stays pure).

    >>> parse_retry_after("3", 0.0)
    3.0
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            return None
        seconds = float(when.timestamp()) - now
    if math.isnan(seconds) or math.isinf(seconds):
        return None
    return max(0.0, seconds)


def backoff_delay(attempt: int, base: float, cap: float, rand: Callable[[], float]) -> float:
    """Full-jitter exponential backoff for retry number ``attempt`` (0-based); ``rand()`` in [0, 1)."""
    ceiling = min(cap, base * (2.0 ** min(attempt, 30)))
    return ceiling * rand()


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """What one send retries and how long it waits (see the module docstring).

    Attributes:
        max_retries: retries after the first attempt (``0``: one attempt only).
        backoff_base, backoff_cap: the full-jitter exponential backoff, in seconds.
        statuses: answers retried when the request is retry-safe.
        always_statuses: answers retried for any request.
        network: when a network failure (refused, reset, dropped, per-attempt timeout) is retried.
        step: when set, the pause before retry ``n`` (0-based) is ``(n + 1) × step`` instead of the backoff.
        retry_if: when set, the whole decision for answers and network failures (TLS failures and oversized answers
            are never retried).
        honour_retry_after: wait what ``Retry-After`` says when the answer has one.
    """

    max_retries: int = C.DEFAULT_MAX_RETRIES
    backoff_base: float = C.RETRY_BACKOFF_BASE
    backoff_cap: float = C.RETRY_BACKOFF_CAP
    statuses: frozenset[int] = C.RETRY_STATUSES
    always_statuses: frozenset[int] = frozenset({429})
    network: NetworkRetry = "safe"
    step: float | None = None
    retry_if: RetryIf | None = None
    honour_retry_after: bool = True

    def retryable_status(self, status: int, retry_safe: bool) -> bool:
        """Whether an HTTP answer with ``status`` should be retried."""
        if self.retry_if is not None:
            return bool(self.retry_if(status, None))
        if status in self.always_statuses:
            return True
        return retry_safe and status in self.statuses

    def retryable_failure(self, failure: BaseException, *, kind: str, sent: bool, retry_safe: bool) -> bool:
        """Whether a network failure of ``kind`` should be retried (``sent``: the request may have arrived)."""
        if kind in _PERMANENT_KINDS:
            return False
        if self.retry_if is not None:
            return bool(self.retry_if(None, failure))
        if self.network == "always":
            return True
        if self.network == "never":
            return False
        return retry_safe or not sent

    def delay(self, attempt: int, retry_after: float | None, rand: Callable[[], float]) -> float:
        """How long to wait before retry number ``attempt`` (0-based): Retry-After wins, then the step or backoff."""
        if retry_after is not None and self.honour_retry_after:
            return retry_after
        if self.step is not None:
            return (attempt + 1) * self.step
        return backoff_delay(attempt, self.backoff_base, self.backoff_cap, rand)
