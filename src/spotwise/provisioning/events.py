"""Kubernetes-Event-shaped records of launch decisions a person should see.

The launcher speaks through the small `EventSink` protocol; the Kubernetes adapter posts
the records as Events (on the NodePool and the pods they name), the simulator and tests
keep them in a list.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol


class EventType(enum.StrEnum):
    """The Kubernetes Event ``type``."""

    NORMAL = "Normal"
    WARNING = "Warning"


class EventReason(enum.StrEnum):
    """The Kubernetes Event ``reason``: one per kind of decision."""

    SPOT_UNAVAILABLE_FALLBACK = "SpotUnavailableFallback"
    CAPACITY_UNAVAILABLE = "CapacityUnavailable"
    LAUNCH_FAILED = "LaunchFailed"


@dataclass(frozen=True, slots=True)
class ObjectRef:
    """The ``involvedObject`` (or a related object) of an Event."""

    kind: str
    name: str
    namespace: str = ""
    api_version: str = ""


@dataclass(frozen=True, slots=True)
class Event:
    """One Event.

    Attributes:
        type: Normal or Warning.
        reason: A CamelCase reason a person can filter on.
        message: What happened, in words.
        involved: The object the Event is about.
        related: Other objects it concerns (the pods the node was for).
        time: When it happened, in seconds since the epoch (the clock's time).
    """

    type: EventType
    reason: EventReason
    message: str
    involved: ObjectRef
    related: tuple[ObjectRef, ...] = ()
    time: float = 0.0


class EventSink(Protocol):
    """Where Events go."""

    def emit(self, event: Event) -> None:
        """Record or post one Event."""
        ...


class RecordingEventSink:
    """Keeps Events in a list: for the simulator and tests."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def emit(self, event: Event) -> None:
        """Append the Event."""
        self.events.append(event)


class NullEventSink:
    """Drops Events."""

    def emit(self, event: Event) -> None:
        """Do nothing."""


def pod_ref(pod: str) -> ObjectRef:
    """The reference of a pod named ``namespace/name`` (or a bare name, in ``default``)."""
    namespace, _, name = pod.rpartition("/")
    return ObjectRef("Pod", name, namespace or "default", "v1")
