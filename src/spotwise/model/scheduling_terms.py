"""The Kubernetes scheduling vocabulary: selectors, affinities, taints, spread constraints.

Values mirror the Kubernetes API objects field by field, frozen and hashable, so that
pods with the same constraints compare equal and can be grouped.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass


class Operator(enum.StrEnum):
    """Node selector and label selector operators."""

    IN = "In"
    NOT_IN = "NotIn"
    EXISTS = "Exists"
    DOES_NOT_EXIST = "DoesNotExist"
    GT = "Gt"
    LT = "Lt"


@dataclass(frozen=True, slots=True)
class Requirement:
    """One ``matchExpressions`` item: ``key operator values``."""

    key: str
    operator: Operator
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether a label set satisfies the requirement, with Kubernetes' semantics.

        NotIn and DoesNotExist match a missing key; Gt and Lt need an integer label and
        exactly one integer value, else they do not match.
        """
        value = labels.get(self.key)
        op = self.operator
        if op is Operator.IN:
            return value is not None and value in self.values
        if op is Operator.NOT_IN:
            return value is None or value not in self.values
        if op is Operator.EXISTS:
            return value is not None
        if op is Operator.DOES_NOT_EXIST:
            return value is None
        if value is None or len(self.values) != 1:
            return False
        try:
            have, bound = int(value), int(self.values[0])
        except ValueError:
            return False
        return have > bound if op is Operator.GT else have < bound


@dataclass(frozen=True, slots=True)
class NodeSelectorTerm:
    """Requirements that must all hold (expressions are ANDed); an empty term matches nothing."""

    requirements: tuple[Requirement, ...]

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether every requirement holds; Kubernetes treats an empty term as matching no node."""
        return bool(self.requirements) and all(r.matches(labels) for r in self.requirements)


@dataclass(frozen=True, slots=True)
class PreferredTerm:
    """A preferred node-affinity term with its weight (1-100)."""

    weight: int
    term: NodeSelectorTerm


@dataclass(frozen=True, slots=True)
class LabelSelector:
    """A label selector (``matchLabels`` and ``matchExpressions``, ANDed).

    An empty selector matches every pod, as in Kubernetes; a missing one (None where it
    is used) matches none.
    """

    match_labels: tuple[tuple[str, str], ...] = ()
    requirements: tuple[Requirement, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether a pod's labels satisfy the selector."""
        return all(labels.get(k) == v for k, v in self.match_labels) and all(
            r.matches(labels) for r in self.requirements
        )


class TaintEffect(enum.StrEnum):
    """What a taint does to pods that do not tolerate it."""

    NO_SCHEDULE = "NoSchedule"
    PREFER_NO_SCHEDULE = "PreferNoSchedule"
    NO_EXECUTE = "NoExecute"


@dataclass(frozen=True, slots=True)
class Taint:
    """A node taint ``key=value:effect``."""

    key: str
    value: str
    effect: TaintEffect

    def __str__(self) -> str:
        value = f"={self.value}" if self.value else ""
        return f"{self.key}{value}:{self.effect.value}"


class TolerationOperator(enum.StrEnum):
    """How a toleration compares values."""

    EQUAL = "Equal"
    EXISTS = "Exists"


@dataclass(frozen=True, slots=True)
class Toleration:
    """A pod toleration.

    An empty key with Exists tolerates every taint; an empty effect matches every effect.
    """

    key: str = ""
    operator: TolerationOperator = TolerationOperator.EQUAL
    value: str = ""
    effect: TaintEffect | None = None

    def tolerates(self, taint: Taint) -> bool:
        """Whether this toleration tolerates ``taint`` (k8s.io/api/core/v1 ToleratesTaint)."""
        if self.effect is not None and self.effect is not taint.effect:
            return False
        if self.key and self.key != taint.key:
            return False
        if self.operator is TolerationOperator.EXISTS:
            return True
        # Equal with an empty key is invalid in the API; it tolerates nothing here.
        return bool(self.key) and self.value == taint.value


def with_extended_resource_tolerations(
    tolerations: tuple[Toleration, ...], resources: Iterable[str]
) -> tuple[Toleration, ...]:
    """``tolerations`` plus what the ExtendedResourceToleration admission plugin adds.

    EKS (since 1.19) runs that plugin: a pod requesting an extended resource such as
    ``nvidia.com/gpu`` tolerates ``<resource>:NoSchedule``, so GPU nodes can be tainted
    with their resource and keep every other pod off. The pods read from manifests have
    not been admitted yet, so spotwise adds what admission would.
    """
    added = tuple(
        Toleration(name, TolerationOperator.EXISTS, "", TaintEffect.NO_SCHEDULE)
        for name in sorted(resources)
    )
    return tolerations + tuple(t for t in added if t not in tolerations)


@dataclass(frozen=True, slots=True)
class PodAffinityTerm:
    """An inter-pod (anti-)affinity term: pods matching ``selector`` in ``namespaces``, per domain.

    ``namespaces`` empty means the pod's own namespace (namespaceSelector is not modelled).
    """

    selector: LabelSelector
    topology_key: str
    namespaces: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class WeightedPodAffinityTerm:
    """A preferred inter-pod (anti-)affinity term."""

    weight: int
    term: PodAffinityTerm


class WhenUnsatisfiable(enum.StrEnum):
    """What a topology spread constraint does when it cannot be met."""

    DO_NOT_SCHEDULE = "DoNotSchedule"
    SCHEDULE_ANYWAY = "ScheduleAnyway"


@dataclass(frozen=True, slots=True)
class TopologySpreadConstraint:
    """A topology spread constraint over pods matching ``selector`` in the pod's namespace."""

    max_skew: int
    topology_key: str
    when_unsatisfiable: WhenUnsatisfiable
    selector: LabelSelector
    min_domains: int = 1


@dataclass(frozen=True, slots=True)
class HostPort:
    """A host port a container binds; two pods with the same one cannot share a node.

    An empty or ``0.0.0.0`` host IP conflicts with every IP, as kube-scheduler's
    NodePorts plugin decides.
    """

    port: int
    protocol: str = "TCP"
    host_ip: str = ""

    def conflicts(self, other: HostPort) -> bool:
        """Whether two bindings collide on one node."""
        if self.port != other.port or self.protocol != other.protocol:
            return False
        wildcard = ("", "0.0.0.0")
        return (
            self.host_ip in wildcard or other.host_ip in wildcard or self.host_ip == other.host_ip
        )
