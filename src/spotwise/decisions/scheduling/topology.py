"""Counting pods per topology domain, for spread constraints and inter-pod (anti-)affinity.

A counter counts the pods that match one selector in some namespaces, per value of one
node label (the domain: a zone, a hostname...). Counters are registered before packing
from every constraint of every pod, seeded with the pods already bound, and advanced as
the packer places pods, so each check is a dictionary lookup.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from spotwise.model.labelset import LabelSet
from spotwise.model.pod import PodSpec
from spotwise.model.scheduling_terms import LabelSelector, PodAffinityTerm, TopologySpreadConstraint


@dataclass(frozen=True, slots=True)
class CounterKey:
    """Which pods a counter counts, and per which label."""

    namespaces: frozenset[str]
    selector: LabelSelector
    topology_key: str

    @classmethod
    def of_term(cls, term: PodAffinityTerm, namespace: str) -> CounterKey:
        """The counter of an affinity term of a pod in ``namespace``."""
        return cls(frozenset(term.namespaces or (namespace,)), term.selector, term.topology_key)

    @classmethod
    def of_spread(cls, constraint: TopologySpreadConstraint, namespace: str) -> CounterKey:
        """The counter of a spread constraint (it counts in the pod's own namespace)."""
        return cls(frozenset((namespace,)), constraint.selector, constraint.topology_key)

    def counts(self, spec: PodSpec) -> bool:
        """Whether a pod with ``spec`` is one of the pods this counter counts."""
        return spec.namespace in self.namespaces and self.selector.matches(spec.labels)


class TopologyCounts:
    """Pods per domain for every registered counter; holders of anti-affinity terms too.

    ``holders`` counts, per anti-affinity term, the pods that carry the term, so that an
    incoming pod can be kept away from pods whose anti-affinity it would violate (the
    symmetric half of Kubernetes' InterPodAffinity filter).
    """

    def __init__(self) -> None:
        self._counts: dict[CounterKey, defaultdict[str, int]] = {}
        self._matches: dict[tuple[CounterKey, PodSpec], bool] = {}
        self._counting: dict[PodSpec, tuple[CounterKey, ...]] = {}
        self._holding: dict[PodSpec, tuple[CounterKey, ...]] = {}
        self.holders: dict[CounterKey, defaultdict[str, int]] = {}

    def register(self, key: CounterKey) -> None:
        """Start counting for ``key`` (seeding happens through `add`)."""
        self._counts.setdefault(key, defaultdict(int))

    def register_holder(self, key: CounterKey) -> None:
        """Start counting the pods that carry anti-affinity term ``key``."""
        self.holders.setdefault(key, defaultdict(int))

    @property
    def keys(self) -> Iterable[CounterKey]:
        """Every registered counter."""
        return self._counts.keys()

    def counted_by(self, key: CounterKey, spec: PodSpec) -> bool:
        """Whether counter ``key`` counts pods of ``spec`` (cached)."""
        cache_key = (key, spec)
        found = self._matches.get(cache_key)
        if found is None:
            found = self._matches[cache_key] = key.counts(spec)
        return found

    def counters_of(self, spec: PodSpec) -> tuple[CounterKey, ...]:
        """The counters that count pods of ``spec`` (cached; register everything first)."""
        found = self._counting.get(spec)
        if found is None:
            found = tuple(k for k in self._counts if k.counts(spec))
            self._counting[spec] = found
        return found

    def holder_terms_against(self, spec: PodSpec) -> tuple[CounterKey, ...]:
        """The anti-affinity terms of other pods that pods of ``spec`` would violate."""
        found = self._holding.get(spec)
        if found is None:
            found = tuple(k for k in self.holders if k.counts(spec))
            self._holding[spec] = found
        return found

    def count(self, key: CounterKey, domain: str) -> int:
        """Pods counted by ``key`` in ``domain``."""
        return self._counts[key].get(domain, 0)

    def total(self, key: CounterKey) -> int:
        """Pods counted by ``key`` in every domain."""
        return sum(self._counts[key].values())

    def domains_with_pods(self, key: CounterKey) -> set[str]:
        """The domains where ``key`` counts at least one pod."""
        return {d for d, n in self._counts[key].items() if n > 0}

    def add(self, spec: PodSpec, labels: LabelSet, n: int, hostname: str) -> None:
        """Count ``n`` pods of ``spec`` placed on a node with ``labels``.

        The hostname domain is passed apart because new nodes have no hostname label yet.
        """
        for key in self.counters_of(spec):
            domain = domain_of(key.topology_key, labels, hostname)
            if domain is not None:
                self._counts[key][domain] += n
        for term in spec.anti_affinity:
            key = CounterKey.of_term(term, spec.namespace)
            if key in self.holders:
                domain = domain_of(key.topology_key, labels, hostname)
                if domain is not None:
                    self.holders[key][domain] += n


HOSTNAME_KEY = "kubernetes.io/hostname"


def domain_of(topology_key: str, labels: LabelSet, hostname: str) -> str | None:
    """The domain a node belongs to for ``topology_key``; None when it lacks the label."""
    if topology_key == HOSTNAME_KEY:
        return hostname
    return labels.get(topology_key)
