"""Deadlines with shared, coarse timers: ``asyncio.timeout`` semantics for a fraction of its cost.

``asyncio.timeout(delay)`` creates, schedules and cancels one ``TimerHandle`` per use, about as much work as the
rest of the transport's per-request path (measured in ``bench/README.md``). Here all the
deadlines of one event loop that fall into the same slot share one timer: a scope only adds itself to its slot's
set and removes itself on exit; the slot's timer, created by the first scope that needs it and never cancelled,
cancels whatever is still in the set when it fires. A deadline thus fires at most one slot late: 5 ms for
delays up to 1 s, 20 ms up to 10 s, 50 ms beyond (0.5 % of the delay at most), never early.

Cancellation semantics are ``asyncio.Timeout``'s: an expired scope turns the ``CancelledError`` it caused into
``TimeoutError`` when no other cancellation is pending (``Task.uncancel``), and lets any other cancellation through.

Example::

    timers = DeadlineTimers()
    async with timers.scope(2.5):
        await something()          # TimeoutError once 2.5 s have passed
"""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Final

__all__ = ["Deadline", "DeadlineTimers"]

_Slots = dict[int, set["Deadline"]]


def _step_ms(delay: float) -> int:
    """The slot width for a delay: the coarser, the fewer timers; never more than 0.5 % of the delay + 5 ms."""
    if delay <= 1.0:
        return 5
    if delay <= 10.0:
        return 20
    return 50


class DeadlineTimers:
    """The shared timers of one event loop (a new loop starts afresh). Cheap to create; one per Transport.

    Example::

        async with DeadlineTimers().scope(0.5):
            await asyncio.sleep(1)      # raises TimeoutError
    """

    __slots__ = ("_loop", "_slots")

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._slots: _Slots = {}

    def scope(self, delay: float) -> Deadline:
        """An async context manager that raises ``TimeoutError`` if its body runs longer than ``delay`` seconds."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._loop, self._slots = loop, {}
        return Deadline(loop, self._slots, loop.time() + delay, _step_ms(delay))

    def __repr__(self) -> str:
        return f"DeadlineTimers(slots={len(self._slots)})"


def _fire(slots: _Slots, key: int) -> None:
    scopes = slots.pop(key, None)
    if scopes:
        for scope in scopes:
            scope._expire()


class Deadline:
    """One deadline (see :meth:`DeadlineTimers.scope`). Single use."""

    __slots__ = ("_cancelling", "_expired", "_key", "_loop", "_slots", "_step", "_task", "_when")

    def __init__(self, loop: asyncio.AbstractEventLoop, slots: _Slots, when: float, step_ms: int) -> None:
        self._loop = loop
        self._slots = slots
        self._when: Final = when
        self._step = step_ms
        self._task: asyncio.Task[object] | None = None
        self._cancelling = 0
        self._key: int | None = None
        self._expired = False

    @property
    def expired(self) -> bool:
        """True once the deadline cancelled the body."""
        return self._expired

    def when(self) -> float:
        """The deadline, on the loop's clock."""
        return self._when

    async def __aenter__(self) -> Deadline:
        if self._task is not None:
            raise RuntimeError("a Deadline is single use")
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("a Deadline must be used inside a task")
        self._task = task
        self._cancelling = task.cancelling()
        if self._when <= self._loop.time():
            self._key = -1
            self._loop.call_soon(self._expire)  # as asyncio.timeout: the body starts, then is cancelled
            return self
        # The slot: the first multiple of the step strictly after the deadline (in ms of the loop's clock).
        step = self._step
        key = -(-(int(self._when * 1000) + 1) // step) * step
        scopes = self._slots.get(key)
        if scopes is None:
            scopes = self._slots[key] = set()
            self._loop.call_at(key / 1000, _fire, self._slots, key)
        scopes.add(self)
        self._key = key
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        key, self._key = self._key, None
        if key is not None and key >= 0:
            scopes = self._slots.get(key)
            if scopes is not None:
                scopes.discard(self)
        if self._expired:
            assert self._task is not None
            if (
                self._task.uncancel() <= self._cancelling
                and exc_type is not None
                and issubclass(exc_type, asyncio.CancelledError)
            ):
                raise TimeoutError from exc
        return None

    def _expire(self) -> None:
        if self._key is None:  # already left
            return
        self._key = None
        self._expired = True
        assert self._task is not None
        self._task.cancel()

    def __repr__(self) -> str:
        state = "expired" if self._expired else ("active" if self._key is not None else "pending")
        return f"<Deadline when={self._when:.3f} {state}>"
