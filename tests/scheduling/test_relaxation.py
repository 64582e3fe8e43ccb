"""Preferences are dropped one at a time, in Karpenter's order, until none is left."""

from __future__ import annotations

from scheduling.builders import spec
from spotwise.decisions.scheduling.constraints import Constraints
from spotwise.model.scheduling_terms import (
    LabelSelector,
    NodeSelectorTerm,
    Operator,
    PodAffinityTerm,
    PreferredTerm,
    Requirement,
    TopologySpreadConstraint,
    WeightedPodAffinityTerm,
    WhenUnsatisfiable,
)

WEB = LabelSelector((("app", "web"),))
ZONE, HOST, ARCH = "topology.kubernetes.io/zone", "kubernetes.io/hostname", "kubernetes.io/arch"


def _term(key: str, value: str) -> NodeSelectorTerm:
    return NodeSelectorTerm((Requirement(key, Operator.IN, (value,)),))


def _spread(key: str, when: WhenUnsatisfiable) -> TopologySpreadConstraint:
    return TopologySpreadConstraint(1, key, when, WEB)


REQUIRED_AFFINITY = PodAffinityTerm(WEB, "rack")
NEAR_CACHE = PodAffinityTerm(LabelSelector((("app", "cache"),)), ZONE)
NEAR_DB = PodAffinityTerm(LabelSelector((("app", "db"),)), ZONE)
AWAY = PodAffinityTerm(WEB, HOST)
ARM, ZONE_A, ZONE_B = _term(ARCH, "arm64"), _term(ZONE, "a"), _term(ZONE, "b")
HARD = _spread(ZONE, WhenUnsatisfiable.DO_NOT_SCHEDULE)
SOFT_ZONE = _spread(ZONE, WhenUnsatisfiable.SCHEDULE_ANYWAY)
SOFT_HOST = _spread(HOST, WhenUnsatisfiable.SCHEDULE_ANYWAY)


def _everything() -> Constraints:
    return Constraints.strict(
        spec(
            affinity=(REQUIRED_AFFINITY,),
            preferred_affinity=(
                WeightedPodAffinityTerm(10, NEAR_DB),
                WeightedPodAffinityTerm(50, NEAR_CACHE),
            ),
            preferred_anti_affinity=(WeightedPodAffinityTerm(1, AWAY),),
            preferred_node_terms=(
                PreferredTerm(5, ZONE_B),
                PreferredTerm(80, ARM),
                PreferredTerm(20, ZONE_A),
            ),
            spread=(HARD, SOFT_ZONE, SOFT_HOST),
        )
    )


def test_strict_honours_every_preference_heaviest_first() -> None:
    c = _everything()
    assert c.affinity == (REQUIRED_AFFINITY, NEAR_CACHE, NEAR_DB)
    assert c.anti_affinity == (AWAY,)
    assert c.preferred_node_term == ARM
    assert c.spread == (HARD, SOFT_ZONE, SOFT_HOST)
    assert c.avoid_prefer_no_schedule and c.relaxed == ()


def test_relaxation_drops_one_preference_at_a_time_in_order() -> None:
    steps = []
    c: Constraints | None = _everything()
    while c is not None:
        steps.append(c)
        c = c.relax()
    assert [s.relaxed[-1] if s.relaxed else None for s in steps] == [
        None,
        "preferred pod affinity",
        "preferred pod affinity",
        "preferred pod anti-affinity",
        "preferred node affinity",
        "preferred node affinity",
        "preferred node affinity",
        f"ScheduleAnyway spread on {HOST}",
        f"ScheduleAnyway spread on {ZONE}",
        "PreferNoSchedule taints",
    ]
    # The lightest preference goes first; required terms are never dropped.
    assert [s.affinity for s in steps[:3]] == [
        (REQUIRED_AFFINITY, NEAR_CACHE, NEAR_DB),
        (REQUIRED_AFFINITY, NEAR_CACHE),
        (REQUIRED_AFFINITY,),
    ]
    assert steps[3].anti_affinity == () and steps[2].anti_affinity == (AWAY,)
    # Node preferences fall to the next heaviest term, then to none.
    assert [s.preferred_node_term for s in steps[3:7]] == [ARM, ZONE_A, ZONE_B, None]
    assert [s.spread for s in steps[6:9]] == [
        (HARD, SOFT_ZONE, SOFT_HOST),
        (HARD, SOFT_ZONE),
        (HARD,),
    ]
    assert [s.avoid_prefer_no_schedule for s in steps[8:]] == [True, False]
    assert steps[-1].relaxed == tuple(s.relaxed[-1] for s in steps[1:])
    assert steps[-1].spec == steps[0].spec


def test_a_pod_without_preferences_has_nothing_to_relax_but_prefer_no_schedule() -> None:
    plain = Constraints.strict(spec())
    relaxed = plain.relax()
    assert relaxed is not None and relaxed.relaxed == ("PreferNoSchedule taints",)
    assert relaxed.relax() is None
