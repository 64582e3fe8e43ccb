"""Controller loops: one thread per concern, each with its own error handling.

A loop that fails (the API server away, a bug in one decision) logs, counts the error and
runs again at its next interval; it never stops the others. Loops act only while this
replica leads; a standby keeps its caches warm and waits.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from spotwise.controller.metrics import ControllerMetrics

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Loop:
    """One concern's loop.

    Attributes:
        name: The loop's name, in logs and metrics.
        interval_seconds: The pause between two runs.
        run: One run; what it returns is ignored.
        leader_only: Run only while this replica leads.
    """

    name: str
    interval_seconds: float
    run: Callable[[], object]
    leader_only: bool = True


class LoopRunner:
    """Runs loops on threads until stopped.

    Args:
        loops: The loops.
        metrics: Where durations and errors are counted.
        is_leader: Whether this replica leads now.
        stop: Set to stop every loop (they finish their current run first).
    """

    def __init__(
        self,
        loops: list[Loop],
        metrics: ControllerMetrics,
        is_leader: Callable[[], bool],
        stop: threading.Event,
    ) -> None:
        self.loops = loops
        self.metrics = metrics
        self.is_leader = is_leader
        self.stop = stop
        self.last_run: dict[str, float] = {}
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        """Start one daemon thread per loop."""
        for loop in self.loops:
            thread = threading.Thread(target=self._forever, args=(loop,), name=loop.name)
            thread.daemon = True
            thread.start()
            self._threads.append(thread)

    def join(self, timeout: float | None = None) -> None:
        """Wait for the loops to end (after `stop` is set)."""
        for thread in self._threads:
            thread.join(timeout)

    def run_once(self, loop: Loop) -> bool:
        """Run ``loop`` once, counting its duration and any error; True if it ran cleanly."""
        if loop.leader_only and not self.is_leader():
            return True
        started = time.monotonic()
        try:
            loop.run()
        except Exception:  # one concern failing must not stop the others
            self.metrics.loop_errors.labels(loop.name).inc()
            log.exception("loop %s failed; it runs again soon", loop.name)
            return False
        finally:
            self.metrics.loop_seconds.labels(loop.name).observe(time.monotonic() - started)
            self.last_run[loop.name] = time.monotonic()
        return True

    def _forever(self, loop: Loop) -> None:
        while not self.stop.is_set():
            self.run_once(loop)
            self.stop.wait(loop.interval_seconds)
