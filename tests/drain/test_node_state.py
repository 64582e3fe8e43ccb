"""Marking an interrupted node, reading it back, and undoing only what spotwise did."""

from __future__ import annotations

import dataclasses

from spotwise.decisions.interruption.node_state import (
    EXCLUDE_LB_LABEL,
    in_progress,
    mark,
    taint,
    unmark,
)
from spotwise.model.labelset import LabelSet
from spotwise.model.node import Node
from spotwise.model.resources import Resources
from spotwise.model.scheduling_terms import Taint, TaintEffect
from spotwise.ports.cluster import NodePatch

DEADLINE = 1_764_864_000.0  # 2025-12-04T16:00:00Z


def apply(node: Node, patch: NodePatch) -> Node:
    """A patch applied as the Cluster port's implementations do."""
    labels = dict(node.labels)
    for key, value in patch.labels.items():
        if value is None:
            labels.pop(key, None)
        else:
            labels[key] = value
    annotations = dict(node.annotations)
    for key, value in patch.annotations.items():
        if value is None:
            annotations.pop(key, None)
        else:
            annotations[key] = value
    gone = {(t.key, t.effect) for t in (*patch.add_taints, *patch.remove_taints)}
    taints = (*(t for t in node.taints if (t.key, t.effect) not in gone), *patch.add_taints)
    cordon = node.unschedulable if patch.unschedulable is None else patch.unschedulable
    return dataclasses.replace(
        node, labels=LabelSet(labels), annotations=annotations, taints=taints, unschedulable=cordon
    )


def node(**changes: object) -> Node:
    base = Node("n1", LabelSet({"team": "a"}), (), Resources(2000, 2**33, 29))
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_a_marked_node_reads_back_its_interruption() -> None:
    marked = apply(node(), mark(node(), "spot-interruption", "abc", DEADLINE))
    assert marked.unschedulable and marked.labels[EXCLUDE_LB_LABEL] == "true"
    assert taint("spot-interruption") in marked.taints
    progress = in_progress(marked)
    assert progress is not None
    assert (progress.kind, progress.interruption_id, progress.deadline) == (
        "spot-interruption",
        "abc",
        DEADLINE,
    )
    assert marked.annotations["spotwise.io/interruption-deadline"] == "2025-12-04T16:00:00Z"


def test_no_deadline_reads_back_as_none_and_an_unmarked_node_as_nothing() -> None:
    marked = apply(node(), mark(node(), "rebalance-recommendation", "r1", None))
    progress = in_progress(marked)
    assert progress is not None and progress.deadline is None
    assert in_progress(node()) is None


def test_undo_leaves_the_cordon_label_and_taints_others_set() -> None:
    theirs = Taint("team", "ml", TaintEffect.NO_SCHEDULE)
    before = node(labels=LabelSet({EXCLUDE_LB_LABEL: "true"}), unschedulable=True, taints=(theirs,))
    marked = apply(before, mark(before, "scheduled-maintenance", "m", DEADLINE))
    undone = apply(marked, unmark(marked))
    assert undone.unschedulable and undone.labels[EXCLUDE_LB_LABEL] == "true"
    assert undone.taints == (theirs,) and undone.annotations == {}


def test_undo_takes_off_everything_spotwise_put_on() -> None:
    marked = apply(node(), mark(node(), "scheduled-maintenance", "m", DEADLINE))
    clean = apply(marked, unmark(marked))
    assert not clean.unschedulable and EXCLUDE_LB_LABEL not in clean.labels
    assert clean.annotations == {} and clean.taints == ()


def test_a_canceled_interruption_leaves_a_consolidation_under_way():
    from spotwise.decisions.interruption.node_state import DISRUPTED_TAINT_KEY

    plain = node()
    consolidated = apply(plain, mark(plain, "delete", "c-1", None, DEADLINE, voluntary=True))
    both = apply(consolidated, mark(consolidated, "scheduled-maintenance", "m-1", DEADLINE))
    left = apply(both, unmark(both))  # the maintenance is canceled
    assert [t.key for t in left.taints] == [DISRUPTED_TAINT_KEY]
    assert left.unschedulable  # the cordon stays: the node still goes
    state = in_progress(left)
    assert state is not None and state.voluntary and state.deadline is None
