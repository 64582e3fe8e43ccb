"""The Launcher's Events, written as Kubernetes Events through the Cluster port."""

from __future__ import annotations

from spotwise.ports.cluster import Cluster, ClusterEvent
from spotwise.provisioning.events import Event, EventType


class ClusterEventSink:
    """An `EventSink` that records each Event on its object through `Cluster.emit`."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster

    def emit(self, event: Event) -> None:
        """Record the Event (the port never fails the caller)."""
        involved = event.involved
        name = f"{involved.namespace}/{involved.name}" if involved.namespace else involved.name
        self.cluster.emit(
            ClusterEvent(
                involved.kind,
                name,
                event.reason.value,
                event.message,
                warning=event.type is EventType.WARNING,
            )
        )
