"""Headroom placeholders: how many, how big, and where they may go."""

from __future__ import annotations

from spotwise.decisions.scheduling.headroom import NAMESPACE, headroom_pods, is_headroom
from spotwise.decisions.scheduling.pool import Headroom, Pool
from spotwise.model.labels import NODE_POOL
from spotwise.model.resources import Resources
from spotwise.model.scheduling_terms import Taint, TaintEffect, Toleration, TolerationOperator

GIB = 2**30
UNIT = Resources(1000, 2 * GIB)


def _pool(headroom: Headroom, taints: tuple[Taint, ...] = ()) -> Pool:
    return Pool("web", (), taints=taints, headroom=headroom)


def test_fixed_units_each_of_the_unit_size_pinned_to_the_pool() -> None:
    taint = Taint("dedicated", "web", TaintEffect.NO_SCHEDULE)
    pods = headroom_pods(_pool(Headroom(units=2, unit=UNIT), (taint,)), Resources())
    assert [p.name for p in pods] == ["headroom-web-0", "headroom-web-1"]
    assert {p.owner for p in pods} == {"NodePool/web"}
    spec = pods[0].spec
    assert spec.namespace == NAMESPACE and all(is_headroom(p) for p in pods)
    assert (spec.requests.cpu_milli, spec.requests.memory_bytes, spec.requests.pods) == (
        1000,
        2 * GIB,
        1,
    )
    assert dict(spec.node_selector) == {NODE_POOL: "web"}
    assert dict(spec.labels) == {"spotwise.io/headroom": "web"}
    assert spec.tolerations == (
        Toleration("dedicated", TolerationOperator.EXISTS, "", TaintEffect.NO_SCHEDULE),
    )


def test_a_percentage_adds_units_for_the_larger_of_cpu_and_memory() -> None:
    pool = _pool(Headroom(units=1, unit=UNIT, percent=50))
    # 50% of 3 CPU is 1.5 CPU: 2 units; 50% of 2 GiB is 1 GiB: 1 unit. The larger counts.
    assert len(headroom_pods(pool, Resources(3000, 2 * GIB))) == 1 + 2
    # Memory decides when it needs more units than CPU.
    assert len(headroom_pods(pool, Resources(1000, 9 * GIB))) == 1 + 3
    assert len(headroom_pods(pool, Resources())) == 1


def test_a_unit_of_only_cpu_or_only_memory_counts_by_that() -> None:
    cpu_only = _pool(Headroom(unit=Resources(500, 0), percent=100))
    assert len(headroom_pods(cpu_only, Resources(1200, 50 * GIB))) == 3
    memory_only = _pool(Headroom(unit=Resources(0, GIB), percent=25))
    assert len(headroom_pods(memory_only, Resources(64_000, 10 * GIB))) == 3


def test_no_headroom_no_placeholders() -> None:
    assert headroom_pods(_pool(Headroom()), Resources(8000, 8 * GIB)) == []
    # A percentage without a unit size has nothing to count in.
    assert headroom_pods(_pool(Headroom(percent=50)), Resources(8000, 8 * GIB)) == []
