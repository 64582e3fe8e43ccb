"""The assignment LP that guides which types each group goes to."""

import pytest

from spotwise.model.resources import Resources
from spotwise.scheduling import guidance

GIB = 2**30
A = Resources(4000, 4 * GIB, 110)  # compute
B = Resources(1000, 8 * GIB, 110)  # memory
M = Resources(5000, 20 * GIB, 110)  # mixed, and the cheapest home for both groups together


def test_groups_that_complement_each_other_share_a_type():
    cpu_heavy, memory_heavy = Resources(1000, GIB, 1), Resources(250, 4 * GIB, 1)
    prices = [{0: 1.0, 1: 1.0, 2: 1.6}, {0: 1.0, 1: 1.0, 2: 1.6}]
    found = guidance.solve([cpu_heavy, memory_heavy], [4, 4], prices, [A, B, M])
    assert found is not None
    assert found.bound == pytest.approx(1.6)
    assert found.types_by_group == {0: (2,), 1: (2,)}


def test_alone_each_group_takes_its_own_cheapest_type():
    cpu_heavy = Resources(1000, GIB, 1)
    found = guidance.solve([cpu_heavy], [8], [{0: 1.0, 1: 1.0, 2: 1.6}], [A, B, M])
    assert found is not None
    assert found.types_by_group == {0: (0,)}
    assert found.bound == pytest.approx(2.0)


def test_types_a_pod_does_not_fit_are_never_used():
    big = Resources(6000, GIB, 1)
    assert guidance.solve([big], [1], [{0: 1.0, 1: 1.0, 2: 1.6}], [A, B, M]) is None
