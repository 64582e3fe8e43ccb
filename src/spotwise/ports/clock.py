"""Time, as a port: the controller uses the wall clock, the simulator a virtual one."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    """Now and sleep, in seconds since the epoch."""

    def now(self) -> float:
        """The current time."""
        ...

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` (a virtual clock just advances)."""
        ...


class WallClock:
    """The real clock."""

    def now(self) -> float:
        """Seconds since the epoch."""
        return time.time()

    def sleep(self, seconds: float) -> None:
        """Sleep for real."""
        time.sleep(seconds)


class ManualClock:
    """A clock that moves only when told to: for tests and the simulator."""

    def __init__(self, start: float = 0.0) -> None:
        self._now = start

    def now(self) -> float:
        """The virtual time."""
        return self._now

    def sleep(self, seconds: float) -> None:
        """Advance the virtual time."""
        self._now += max(seconds, 0.0)

    def advance(self, seconds: float) -> None:
        """Advance the virtual time (same as sleep; reads better in tests)."""
        self.sleep(seconds)
