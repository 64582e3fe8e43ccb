"""Prometheus metrics of launches: attempts by result, fallbacks, and unavailable offerings.

Metrics live in a `CollectorRegistry` passed in (the global one by default), so that tests
and simulations each count in their own registry. A registry gets its metrics once and
every caller shares them, since prometheus_client refuses to register a name twice.
"""

from __future__ import annotations

import enum
from weakref import WeakKeyDictionary

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge

from spotwise.model.instance_type import CapacityType


class AttemptResult(enum.StrEnum):
    """The outcome of one launch attempt of one capacity type (label ``result``)."""

    LAUNCHED = "launched"
    UNAVAILABLE = "unavailable"  # every override refused for capacity or quota
    SKIPPED = "skipped"  # every offering already known to be unavailable: no call made
    MISCONFIGURED = "misconfigured"  # EC2 called the request wrong
    REJECTED = "rejected"  # refused for another reason
    CLOUD_ERROR = "cloud-error"  # the call itself failed


class MarkScope(enum.StrEnum):
    """What an unavailable mark covers (label ``scope``)."""

    OFFERING = "offering"
    CAPACITY_TYPE = "capacity-type"


class LaunchMetrics:
    """The launcher's metrics in one registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.launches = Counter(
            "spotwise_launches_total",
            "Launch attempts, by node pool, capacity type and result.",
            ("pool", "capacity_type", "result"),
            registry=registry,
        )
        self.fallbacks = Counter(
            "spotwise_launch_fallbacks_total",
            "Nodes launched as another capacity type than planned, because the planned one"
            " was unavailable.",
            ("pool", "from", "to"),
            registry=registry,
        )
        self.unavailable = Gauge(
            "spotwise_offerings_unavailable",
            "Unavailable marks in force: single offerings, or whole capacity types (quotas).",
            ("capacity_type", "scope"),
            registry=registry,
        )

    def attempt(self, pool: str, capacity_type: CapacityType, result: AttemptResult) -> None:
        """Count one launch attempt."""
        self.launches.labels(pool, capacity_type.value, result.value).inc()

    def fallback(self, pool: str, planned: CapacityType, launched: CapacityType) -> None:
        """Count one fallback."""
        self.fallbacks.labels(pool, planned.value, launched.value).inc()

    def set_unavailable(self, capacity_type: CapacityType, scope: MarkScope, count: int) -> None:
        """Set how many marks of a kind are in force."""
        self.unavailable.labels(capacity_type.value, scope.value).set(count)


_BY_REGISTRY: WeakKeyDictionary[CollectorRegistry, LaunchMetrics] = WeakKeyDictionary()


def launch_metrics(registry: CollectorRegistry | None = None) -> LaunchMetrics:
    """The launcher's metrics in ``registry`` (the global one by default), made once."""
    target = REGISTRY if registry is None else registry
    found = _BY_REGISTRY.get(target)
    if found is None:
        found = _BY_REGISTRY[target] = LaunchMetrics(target)
    return found
