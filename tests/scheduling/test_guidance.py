"""The assignment LP that guides which types each group goes to."""

import subprocess
import sys

import pytest

from spotwise.decisions.scheduling import guidance
from spotwise.model.resources import Resources

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


def test_a_group_that_fits_nowhere_makes_the_lp_infeasible():
    # Another group fits, so there are columns, but the LP cannot assign the big pod.
    small, big = Resources(1000, GIB, 1), Resources(6000, GIB, 1)
    prices = [{0: 1.0, 1: 1.0, 2: 1.6}, {0: 1.0, 1: 1.0, 2: 1.6}]
    assert guidance.solve([small, big], [1, 1], prices, [A, B, M]) is None


def test_the_bound_is_the_fractional_optimum_by_hand():
    # 10 pods of 1 CPU: on A (4 CPU at 1.0) that is 2.5 nodes, 2.5/h; on M (5 CPU at 1.6),
    # 2 nodes, 3.2/h; B holds one pod per node at 1.0. The LP buys 2.5 A.
    found = guidance.solve([Resources(1000, GIB, 1)], [10], [{0: 1.0, 1: 1.0, 2: 1.6}], [A, B, M])
    assert found is not None
    assert found.bound == pytest.approx(2.5)
    assert found.types_by_group == {0: (0,)}


def test_a_dearer_price_moves_the_group_and_the_bound():
    # The same pods with A on-demand at 3.0: M at 1.6 per 5 pods (0.32 a pod) beats B (1.0 a
    # pod) and A (0.75 a pod), so 2 M nodes, 3.2/h.
    found = guidance.solve([Resources(1000, GIB, 1)], [10], [{0: 3.0, 1: 1.0, 2: 1.6}], [A, B, M])
    assert found is not None
    assert found.bound == pytest.approx(3.2)
    assert found.types_by_group == {0: (2,)}


def test_solving_prints_nothing_in_another_process():
    """HiGHS writes a banner and a log to the process's stdout unless told not to first.

    It does so once per process, so only a fresh process shows it; `spotwise plan -o json`
    writes its JSON there.
    """
    code = (
        "from spotwise.model.resources import Resources as R\n"
        "from spotwise.decisions.scheduling import guidance\n"
        "found = guidance.solve([R(1000, 2**30, 1)], [3], [{0: 1.0}], [R(4000, 2**32, 110)])\n"
        "assert found is not None\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout == ""
    assert done.stderr == ""


def test_ephemeral_storage_is_a_row_when_pods_ask_for_it():
    # Two types with the same 17 GiB of disk: the big one holds eight times the CPU for
    # four times the price. On CPU and memory alone 0.8 big nodes ($3.20) carry all the
    # pods; but 64 GiB of scratch needs 64/17 nodes' disk, whatever their type.
    small = Resources(2000, 8 * GIB, 110, ephemeral_bytes=17 * GIB)
    big = Resources(16000, 64 * GIB, 110, ephemeral_bytes=17 * GIB)
    cpu_bound = Resources(1500, 3 * GIB, 1)
    scratch = Resources(100, GIB // 8, 1, ephemeral_bytes=8 * GIB)
    prices = [{0: 1.0, 1: 4.0}, {0: 1.0, 1: 4.0}]
    found = guidance.solve([cpu_bound, scratch], [8, 8], prices, [small, big])
    assert found is not None
    # Cheapest with the disk row: 0.376 big nodes and 3.39 small ones, $4.89.
    assert found.bound == pytest.approx(3.765 + 3 * 0.3765, abs=0.01)
