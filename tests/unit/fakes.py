"""Fake clock/sleep and a counting limiter for driving the send path without real waiting."""

from __future__ import annotations


class FakeClock:
    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        self.sleeps.append(delay)
        self.now += delay


class CountingLimiter:
    def __init__(self) -> None:
        self.acquired = 0
        self.closed = False

    async def acquire(self) -> None:
        self.acquired += 1

    async def aclose(self) -> None:
        self.closed = True
