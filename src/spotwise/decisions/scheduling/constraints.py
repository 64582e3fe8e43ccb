"""A pod group's effective constraints, with preferences first treated as required.

Karpenter's rule, which spotwise follows: a pod's preferences (preferred node and pod
affinities, ScheduleAnyway spread, PreferNoSchedule taints) are honoured as if they were
required; when a pod cannot be placed, they are dropped one at a time and placement is
tried again. `relax` returns the next, looser set, or None when nothing is left to drop.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from spotwise.model.labelset import LabelSet
from spotwise.model.pod import PodSpec
from spotwise.model.scheduling_terms import (
    NodeSelectorTerm,
    PodAffinityTerm,
    Taint,
    TaintEffect,
    TopologySpreadConstraint,
    WhenUnsatisfiable,
)


@dataclass(frozen=True, slots=True)
class Constraints:
    """What a group's pods must satisfy at the current level of relaxation.

    Attributes:
        spec: The pods' spec.
        preferred_node_term: The heaviest remaining preferred node-affinity term, required.
        affinity: Required pod-affinity terms plus the preferred ones still honoured.
        anti_affinity: Likewise for anti-affinity.
        spread: DoNotSchedule constraints plus the ScheduleAnyway ones still honoured.
        avoid_prefer_no_schedule: Whether PreferNoSchedule taints still repel the pods.
        relaxed: Human-readable notes of what was given up, in order.
    """

    spec: PodSpec
    preferred_node_term: NodeSelectorTerm | None
    affinity: tuple[PodAffinityTerm, ...]
    anti_affinity: tuple[PodAffinityTerm, ...]
    spread: tuple[TopologySpreadConstraint, ...]
    avoid_prefer_no_schedule: bool
    relaxed: tuple[str, ...] = ()

    @classmethod
    def strict(cls, spec: PodSpec) -> Constraints:
        """Every preference treated as required."""
        preferred = sorted(spec.preferred_node_terms, key=lambda t: -t.weight)
        return cls(
            spec=spec,
            preferred_node_term=preferred[0].term if preferred else None,
            affinity=spec.affinity
            + tuple(w.term for w in sorted(spec.preferred_affinity, key=lambda w: -w.weight)),
            anti_affinity=spec.anti_affinity
            + tuple(w.term for w in sorted(spec.preferred_anti_affinity, key=lambda w: -w.weight)),
            spread=spec.spread,
            avoid_prefer_no_schedule=True,
        )

    def matches_node(self, labels: LabelSet) -> bool:
        """nodeSelector, required node affinity and the preferred term still honoured."""
        if not self.spec.matches_node_affinity(labels):
            return False
        return self.preferred_node_term is None or self.preferred_node_term.matches(labels)

    def untolerated(self, taints: tuple[Taint, ...]) -> tuple[Taint, ...]:
        """The taints that keep these pods off a node."""
        tolerations = self.spec.tolerations
        return tuple(
            t
            for t in taints
            if (self.avoid_prefer_no_schedule or t.effect is not TaintEffect.PREFER_NO_SCHEDULE)
            and not any(tol.tolerates(t) for tol in tolerations)
        )

    def relax(self) -> Constraints | None:
        """The next looser constraints, dropping one preference; None when none is left."""
        spec = self.spec
        extra_affinity = len(self.affinity) - len(spec.affinity)
        if extra_affinity:
            return self._drop("preferred pod affinity", affinity=self.affinity[:-1])
        extra_anti = len(self.anti_affinity) - len(spec.anti_affinity)
        if extra_anti:
            return self._drop("preferred pod anti-affinity", anti_affinity=self.anti_affinity[:-1])
        if self.preferred_node_term is not None:
            remaining = sorted(spec.preferred_node_terms, key=lambda t: -t.weight)
            index = [p.term for p in remaining].index(self.preferred_node_term)
            following = remaining[index + 1].term if index + 1 < len(remaining) else None
            return self._drop("preferred node affinity", preferred_node_term=following)
        soft = [c for c in self.spread if c.when_unsatisfiable is WhenUnsatisfiable.SCHEDULE_ANYWAY]
        if soft:
            kept = tuple(c for c in self.spread if c is not soft[-1])
            return self._drop(f"ScheduleAnyway spread on {soft[-1].topology_key}", spread=kept)
        if self.avoid_prefer_no_schedule:
            return self._drop("PreferNoSchedule taints", avoid_prefer_no_schedule=False)
        return None

    def _drop(self, what: str, **changes: object) -> Constraints:
        return dataclasses.replace(self, relaxed=(*self.relaxed, what), **changes)  # type: ignore[arg-type]
