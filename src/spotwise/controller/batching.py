"""When to plan: pending pods are batched, as Karpenter batches them.

Planning each pod as it appears would launch a node per pod when a Deployment scales up
by a hundred. The window closes `idle_seconds` after the last new pending pod, or
`max_seconds` after the first, whichever comes first; a round also runs every
`resync_seconds` while anything is pending, so that refused launches and nodes that did
not register are retried without new pods.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field


@dataclass(slots=True)
class Batcher:
    """Decides, from the pending pods seen over time, when a provisioning round runs.

    Attributes:
        idle_seconds: The window closes this long after the last new pending pod.
        max_seconds: ... or this long after the first, at most.
        resync_seconds: A round runs at least this often while pods are pending.
    """

    idle_seconds: float = 1.0
    max_seconds: float = 10.0
    resync_seconds: float = 30.0
    _seen: frozenset[str] = field(default=frozenset(), init=False)
    _first_new: float | None = field(default=None, init=False)
    _last_new: float | None = field(default=None, init=False)
    _last_round: float | None = field(default=None, init=False)

    def observe(self, now: float, pending: Collection[str]) -> bool:
        """Note the pods pending at ``now``; True when a round should run now.

        Args:
            now: The time.
            pending: Keys of the pods pending now.
        """
        keys = frozenset(pending)
        if keys - self._seen:
            if self._first_new is None:
                self._first_new = now
            self._last_new = now
        self._seen = keys
        if self._first_new is not None and self._last_new is not None:
            idle = now - self._last_new >= self.idle_seconds
            full = now - self._first_new >= self.max_seconds
            return idle or full
        due = self._last_round is None or now - self._last_round >= self.resync_seconds
        return bool(keys) and due

    def ran(self, now: float) -> None:
        """A round ran at ``now``: the window is closed."""
        self._first_new = self._last_new = None
        self._last_round = now
