"""The interruption handler's Prometheus metrics."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram


class InterruptionMetrics:
    """Notices by kind and action, how fast nodes are marked and drained, pods moved.

    Args:
        registry: Where the metrics are registered.
    """

    def __init__(self, registry: CollectorRegistry) -> None:
        self.events = Counter(
            "spotwise_interruption_events_total",
            "Interruptions received, by kind and the action taken (nothing, drain, cordon,"
            " undo, duplicate, not-ours).",
            ["kind", "action"],
            registry=registry,
        )
        self.mark_latency = Histogram(
            "spotwise_interruption_mark_latency_seconds",
            "From the notice's own time to the node marked (tainted and cordoned).",
            registry=registry,
            buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120),
        )
        self.drain_seconds = Histogram(
            "spotwise_drain_duration_seconds",
            "From a node marked to it drained (its pods gone).",
            registry=registry,
            buckets=(1, 5, 10, 30, 60, 90, 120, 300, 600, 1800),
        )
        self.pods_evicted = Counter(
            "spotwise_drain_pods_evicted_total",
            "Pods evicted by drains, by whether their replacement capacity was Ready.",
            ["replacement_ready"],
            registry=registry,
        )
        self.pods_deleted = Counter(
            "spotwise_drain_pods_deleted_at_deadline_total",
            "Pods deleted because their grace period would outlast the deadline.",
            registry=registry,
        )
