"""The memory of offerings EC2 refused, so that launches skip them for a while.

An offering refused for lack of capacity is skipped for a TTL (three minutes by default,
the common practice). One that keeps failing is skipped for longer each time: the TTL
doubles with every consecutive failure, up to a cap, so that a pool that is dry for hours
is not probed every three minutes. A launch that succeeds in an offering forgets its
failures. A quota error is not about one offering but about the account: it marks the whole
capacity type.

Time is passed in, never read, so the same calls give the same answers in the controller,
the simulator and tests; what comes out is frozen. The controller's loops share one
memory across threads (the launcher's, the interruption intake's workers), so every
call holds a lock.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TypeVar

from spotwise.model.instance_type import CapacityType
from spotwise.ports.cloud import ErrorKind, OfferingError

# An offering: (instance type, zone, capacity type), as `build_pools` takes them.
OfferingKey = tuple[str, str, CapacityType]
_K = TypeVar("_K", OfferingKey, CapacityType)


@dataclass(frozen=True, slots=True)
class BackoffPolicy:
    """How long refused offerings are skipped.

    Attributes:
        ttl_seconds: How long a first failure is remembered.
        cap_seconds: The longest a mark lasts, however many failures came before.
        forget_seconds: Failures count as consecutive only if the next comes within this
            long of the last mark's end; after a quiet spell the count starts over.
    """

    ttl_seconds: float = 180.0
    cap_seconds: float = 1800.0
    forget_seconds: float = 1800.0

    def ttl(self, failures: int) -> float:
        """How long the ``failures``-th consecutive failure is remembered."""
        # The exponent is bounded so that a pool failing for days cannot overflow a float.
        return min(self.ttl_seconds * 2.0 ** min(max(failures - 1, 0), 64), self.cap_seconds)


DEFAULT_POLICY = BackoffPolicy()


@dataclass(frozen=True, slots=True)
class Mark:
    """Why and until when something is unavailable.

    Attributes:
        until: The time it becomes available again.
        failures: Consecutive failures so far (1 for a first failure).
        code: The EC2 error code of the latest failure.
    """

    until: float
    failures: int
    code: str


@dataclass(frozen=True, slots=True)
class UnavailableSnapshot:
    """The marks in force at ``now``.

    Attributes:
        now: The time of the snapshot.
        offerings: Marks on single offerings.
        capacity_types: Marks on whole capacity types (account quotas).
    """

    now: float
    offerings: Mapping[OfferingKey, Mark] = field(default_factory=lambda: MappingProxyType({}))
    capacity_types: Mapping[CapacityType, Mark] = field(
        default_factory=lambda: MappingProxyType({})
    )

    def is_unavailable(self, instance_type: str, zone: str, capacity_type: CapacityType) -> bool:
        """Whether a launch should skip the offering."""
        return self.until(instance_type, zone, capacity_type) is not None

    def until(self, instance_type: str, zone: str, capacity_type: CapacityType) -> float | None:
        """When the offering becomes available again, or None when it is available now.

        Both its own mark and its capacity type's must have lapsed, so it is the later.
        """
        marks = [
            m
            for m in (
                self.offerings.get((instance_type, zone, capacity_type)),
                self.capacity_types.get(capacity_type),
            )
            if m is not None
        ]
        return max(m.until for m in marks) if marks else None


@dataclass(slots=True)
class _Entry:
    """What is remembered of one offering or capacity type (kept past its mark's end)."""

    failures: int
    until: float
    code: str


class UnavailableOfferings:
    """Offerings and capacity types EC2 refused recently, with exponential backoff."""

    def __init__(self, policy: BackoffPolicy = DEFAULT_POLICY) -> None:
        self.policy = policy
        self._offerings: dict[OfferingKey, _Entry] = {}
        self._capacity_types: dict[CapacityType, _Entry] = {}
        self._lock = threading.Lock()

    def mark(self, error: OfferingError, now: float) -> Mark | None:
        """Remember a refusal; returns the mark in force, or None for errors not marked.

        Capacity errors mark the offering; quota errors mark the capacity type.
        Configuration and unknown errors are not marked: skipping the offering would
        hide a mistake that retrying cannot fix.
        """
        with self._lock:
            self._prune(now)
            match error.kind:
                case ErrorKind.UNAVAILABLE:
                    key = (error.instance_type, error.zone, error.capacity_type)
                    return self._fail(self._offerings, key, error.code, now)
                case ErrorKind.QUOTA:
                    return self._fail(self._capacity_types, error.capacity_type, error.code, now)
                case ErrorKind.CONFIGURATION | ErrorKind.OTHER:
                    return None

    def mark_all(self, errors: Iterable[OfferingError], now: float) -> tuple[Mark, ...]:
        """Remember every refusal of one launch; returns the marks made."""
        return tuple(m for m in (self.mark(e, now) for e in errors) if m is not None)

    def mark_launched(
        self, instance_type: str, zone: str, capacity_type: CapacityType, now: float
    ) -> None:
        """Forget the failures of an offering (and of its capacity type) that launched."""
        del now  # kept for symmetry with `mark`: a success is an observation at a time
        with self._lock:
            self._offerings.pop((instance_type, zone, capacity_type), None)
            self._capacity_types.pop(capacity_type, None)

    def is_unavailable(
        self, instance_type: str, zone: str, capacity_type: CapacityType, now: float
    ) -> bool:
        """Whether a launch at ``now`` should skip the offering."""
        return self.snapshot(now).is_unavailable(instance_type, zone, capacity_type)

    def unavailable(
        self, now: float, offerings: Iterable[OfferingKey] = ()
    ) -> frozenset[OfferingKey]:
        """The offerings to skip at ``now``, as `build_pools` takes them.

        Args:
            now: The time.
            offerings: Every offering the caller knows (the catalog's); a capacity type
                marked as a whole expands to those of its offerings. Without them only
                offerings marked one by one are returned.
        """
        snapshot = self.snapshot(now)
        marked = set(snapshot.offerings)
        marked.update(k for k in offerings if k[2] in snapshot.capacity_types)
        return frozenset(marked)

    def snapshot(self, now: float) -> UnavailableSnapshot:
        """The marks in force at ``now``."""
        with self._lock:
            offerings = _active(self._offerings, now)
            capacity_types = _active(self._capacity_types, now)
        return UnavailableSnapshot(
            now, MappingProxyType(offerings), MappingProxyType(capacity_types)
        )

    def _fail(self, entries: dict[_K, _Entry], key: _K, code: str, now: float) -> Mark:
        entry = entries.get(key)
        if entry is not None and now < entry.until:
            # Refused again while still marked (a launch from an older snapshot, or one
            # quota error per override): the same shortage, not a new failure.
            entry.code = code
            return Mark(entry.until, entry.failures, code)
        failures = 1 if entry is None else entry.failures + 1
        until = now + self.policy.ttl(failures)
        entries[key] = _Entry(failures, until, code)
        return Mark(until, failures, code)

    def _prune(self, now: float) -> None:
        """Drop entries quiet for longer than the policy remembers consecutive failures."""
        horizon = now - self.policy.forget_seconds
        _forget(self._offerings, horizon)
        _forget(self._capacity_types, horizon)


def _active(entries: Mapping[_K, _Entry], now: float) -> dict[_K, Mark]:
    return {k: Mark(e.until, e.failures, e.code) for k, e in entries.items() if now < e.until}


def _forget(entries: dict[_K, _Entry], horizon: float) -> None:
    for key in [k for k, e in entries.items() if e.until < horizon]:
        del entries[key]
