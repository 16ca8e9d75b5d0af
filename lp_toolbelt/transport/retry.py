"""Pure retry policy: what may be retried, and how long to wait before the next attempt.

* 429 is retried for every method: the proxy refused the request before it reached the API.
* 502/503/504, timeouts and broken connections are retried only for retry-safe requests: idempotent methods
  (GET, HEAD, OPTIONS, PUT, DELETE) or requests a client marks safe (e.g. the read-only msgHist search POST).
* A connection that could not be opened at all is retried for every method (nothing was sent).
* The wait is ``Retry-After`` when the server gives one, else exponential backoff with full jitter:
  ``uniform(0, min(cap, base * 2**attempt))``.
"""

from __future__ import annotations

import email.utils
import math
from collections.abc import Callable
from dataclasses import dataclass

from .. import _constants as C

__all__ = ["RetryPolicy", "backoff_delay", "is_retry_safe", "parse_retry_after"]


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
    """Retry settings of one Toolbelt (see ToolbeltConfig.max_retries / retry_backoff_*)."""

    max_retries: int = C.DEFAULT_MAX_RETRIES
    backoff_base: float = C.RETRY_BACKOFF_BASE
    backoff_cap: float = C.RETRY_BACKOFF_CAP

    def retryable_status(self, status: int, retry_safe: bool) -> bool:
        """Whether an HTTP answer with ``status`` should be retried."""
        if status == 429:
            return True
        return retry_safe and status in C.RETRY_STATUSES

    def delay(self, attempt: int, retry_after: float | None, rand: Callable[[], float]) -> float:
        """How long to wait before retry number ``attempt``: Retry-After wins over backoff."""
        if retry_after is not None:
            return retry_after
        return backoff_delay(attempt, self.backoff_base, self.backoff_cap, rand)
