"""Kubernetes predicate semantics, case by case against upstream behaviour."""

import pytest

from spotwise.model.labelset import LabelSet
from spotwise.model.scheduling_terms import (
    HostPort,
    LabelSelector,
    NodeSelectorTerm,
    Operator,
    Requirement,
    Taint,
    TaintEffect,
    Toleration,
    TolerationOperator,
)

LABELS = LabelSet({"zone": "a", "size": "8", "gpu": "true"})
NS, PNS, NE = TaintEffect.NO_SCHEDULE, TaintEffect.PREFER_NO_SCHEDULE, TaintEffect.NO_EXECUTE


@pytest.mark.parametrize(
    ("op", "values", "expected"),
    [
        (Operator.IN, ("a", "b"), True),
        (Operator.IN, ("b",), False),
        (Operator.NOT_IN, ("b",), True),
        (Operator.NOT_IN, ("a",), False),
        (Operator.EXISTS, (), True),
        (Operator.DOES_NOT_EXIST, (), False),
    ],
)
def test_set_operators(op, values, expected):
    assert Requirement("zone", op, values).matches(LABELS) is expected


def test_missing_key_matches_not_in_and_does_not_exist_only():
    assert Requirement("rack", Operator.NOT_IN, ("x",)).matches(LABELS)
    assert Requirement("rack", Operator.DOES_NOT_EXIST).matches(LABELS)
    assert not Requirement("rack", Operator.IN, ("x",)).matches(LABELS)
    assert not Requirement("rack", Operator.EXISTS).matches(LABELS)
    assert not Requirement("rack", Operator.GT, ("1",)).matches(LABELS)


def test_gt_and_lt_compare_integers():
    assert Requirement("size", Operator.GT, ("4",)).matches(LABELS)
    assert not Requirement("size", Operator.GT, ("8",)).matches(LABELS)
    assert Requirement("size", Operator.LT, ("16",)).matches(LABELS)
    assert not Requirement("zone", Operator.GT, ("1",)).matches(LABELS)  # not an integer


def test_terms_and_expressions():
    both = NodeSelectorTerm(
        (Requirement("zone", Operator.IN, ("a",)), Requirement("gpu", Operator.EXISTS))
    )
    one_fails = NodeSelectorTerm(
        (Requirement("zone", Operator.IN, ("a",)), Requirement("gpu", Operator.DOES_NOT_EXIST))
    )
    assert both.matches(LABELS) and not one_fails.matches(LABELS)
    assert not NodeSelectorTerm(()).matches(LABELS)  # an empty term matches no node


@pytest.mark.parametrize(
    ("toleration", "taint", "expected"),
    [
        (Toleration("k", TolerationOperator.EQUAL, "v", NS), Taint("k", "v", NS), True),
        (Toleration("k", TolerationOperator.EQUAL, "w", NS), Taint("k", "v", NS), False),
        (Toleration("k", TolerationOperator.EXISTS, "", NS), Taint("k", "v", NS), True),
        (Toleration("k", TolerationOperator.EXISTS, "", NE), Taint("k", "v", NS), False),
        (Toleration("k", TolerationOperator.EQUAL, "v", None), Taint("k", "v", NE), True),
        (Toleration("", TolerationOperator.EXISTS, "", None), Taint("any", "x", NE), True),
        (Toleration("", TolerationOperator.EXISTS, "", PNS), Taint("any", "x", NS), False),
        (Toleration("other", TolerationOperator.EXISTS, "", None), Taint("k", "v", NS), False),
    ],
)
def test_tolerations(toleration, taint, expected):
    assert toleration.tolerates(taint) is expected


def test_host_ports_conflict_on_port_protocol_and_ip():
    assert HostPort(80).conflicts(HostPort(80))
    assert not HostPort(80).conflicts(HostPort(80, "UDP"))
    assert not HostPort(80).conflicts(HostPort(81))
    assert HostPort(80, "TCP", "10.0.0.1").conflicts(HostPort(80, "TCP", "0.0.0.0"))
    assert not HostPort(80, "TCP", "10.0.0.1").conflicts(HostPort(80, "TCP", "10.0.0.2"))


def test_label_selector():
    selector = LabelSelector((("app", "web"),), (Requirement("tier", Operator.NOT_IN, ("db",)),))
    assert selector.matches({"app": "web"})
    assert not selector.matches({"app": "web", "tier": "db"})
    assert LabelSelector().matches({"anything": "x"})
