"""Pods as the scheduler sees them: what they request and where they may run."""

from __future__ import annotations

from dataclasses import dataclass, field

from spotwise.model.disruption_hints import NO_HINTS, DisruptionHints
from spotwise.model.labelset import EMPTY_LABELS, LabelSet
from spotwise.model.resources import Resources
from spotwise.model.scheduling_terms import (
    HostPort,
    NodeSelectorTerm,
    PodAffinityTerm,
    PreferredTerm,
    Toleration,
    TopologySpreadConstraint,
    WeightedPodAffinityTerm,
)


@dataclass(frozen=True, slots=True)
class PodSpec:
    """Everything about a pod that decides where it can run. Equal specs schedule alike.

    Attributes:
        namespace: The pod's namespace (affinity and spread count within it).
        labels: The pod's labels (what other pods' selectors match).
        requests: Effective requests: max(sum of containers + sidecars, each init
            container) plus overhead; ``pods`` is 1.
        node_selector: ``spec.nodeSelector``.
        required_node_terms: Required node affinity terms (ORed); empty means none.
        preferred_node_terms: Preferred node affinity terms with weights.
        tolerations: The pod's tolerations.
        host_ports: Host ports its containers bind.
        affinity: Required inter-pod affinity terms.
        anti_affinity: Required inter-pod anti-affinity terms.
        preferred_affinity: Preferred inter-pod affinity terms.
        preferred_anti_affinity: Preferred inter-pod anti-affinity terms.
        spread: Topology spread constraints.
        zones: Zones the pod's volumes pin it to (None: any zone).
        node: An existing node its volume is attached to and that it must run on.
    """

    namespace: str
    labels: LabelSet = EMPTY_LABELS
    requests: Resources = field(default_factory=lambda: Resources(pods=1))
    node_selector: LabelSet = EMPTY_LABELS
    required_node_terms: tuple[NodeSelectorTerm, ...] = ()
    preferred_node_terms: tuple[PreferredTerm, ...] = ()
    tolerations: tuple[Toleration, ...] = ()
    host_ports: tuple[HostPort, ...] = ()
    affinity: tuple[PodAffinityTerm, ...] = ()
    anti_affinity: tuple[PodAffinityTerm, ...] = ()
    preferred_affinity: tuple[WeightedPodAffinityTerm, ...] = ()
    preferred_anti_affinity: tuple[WeightedPodAffinityTerm, ...] = ()
    spread: tuple[TopologySpreadConstraint, ...] = ()
    zones: frozenset[str] | None = None
    node: str | None = None
    _hash: int = field(default=0, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Specs key the scheduler's caches and are hashed millions of times a plan;
        # hashing a dozen nested tuples each time would dominate, so hash once.
        object.__setattr__(self, "_hash", hash(tuple(getattr(self, f) for f in _SPEC_FIELDS)))

    def __hash__(self) -> int:
        return self._hash

    def matches_node_affinity(self, labels: LabelSet) -> bool:
        """Whether a node's labels satisfy nodeSelector and required node affinity."""
        if any(labels.get(k) != v for k, v in self.node_selector.items()):
            return False
        terms = self.required_node_terms
        return not terms or any(t.matches(labels) for t in terms)


_SPEC_FIELDS = tuple(f for f in PodSpec.__dataclass_fields__ if f != "_hash")


@dataclass(frozen=True, slots=True)
class Pod:
    """A pod: its identity, its owner and its scheduling spec.

    Attributes:
        name: The pod's name.
        spec: What decides where it runs; shared between the replicas of a workload.
        owner: ``Kind/name`` of the workload that owns it, if any.
        volumes: Names of the PVCs it mounts, for explanations.
        grace_seconds: ``terminationGracePeriodSeconds``: how long it takes to stop.
        critical: Its priority class is ``system-cluster-critical`` or
            ``system-node-critical``: drains move it last.
        per_node: A DaemonSet or mirror (static) pod: it lives and dies with its node.
        terminating: Being deleted (``deletionTimestamp`` set).
        hints: What it says about voluntary disruption (annotations, local volumes).
        started_at: When it started (``status.startTime``), seconds since the epoch.
    """

    name: str
    spec: PodSpec
    owner: str = ""
    volumes: tuple[str, ...] = ()
    grace_seconds: float = 30.0
    critical: bool = False
    per_node: bool = False
    terminating: bool = False
    hints: DisruptionHints = NO_HINTS
    started_at: float | None = None

    @property
    def namespace(self) -> str:
        """The pod's namespace."""
        return self.spec.namespace

    @property
    def key(self) -> str:
        """``namespace/name``, how people and the plan's JSON refer to a pod."""
        return f"{self.spec.namespace}/{self.name}"
