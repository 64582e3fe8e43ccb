"""A node holds no more pods than its max-pods, however little they request.

An m5.large has 29 pod slots (its ENI limit): tiny pods run out of slots long before CPU or
memory, on existing nodes and on new ones alike.
"""

from collections import Counter

from scheduling.builders import node, pod_list, pool, spec
from spotwise.decisions.scheduling.packer import PackInput, pack

SLOTS = 29  # pods an m5.large takes
TINY = spec("10m", "16Mi")


def test_an_existing_node_takes_pods_up_to_its_free_slots():
    full_soon = node("n1", "m5.large", bound=tuple(pod_list(TINY, SLOTS - 4, prefix="old")))
    plan = pack(PackInput(tuple(pod_list(TINY, 10)), (full_soon,), (pool(types=("m5.large",)),)))
    assert Counter(p.node for p in plan.existing) == {"n1": 4}
    assert sum(len(n.pods) for n in plan.nodes) == 6 and not plan.unschedulable


def test_a_hundred_tiny_pods_need_four_new_nodes():
    plan = pack(PackInput(tuple(pod_list(TINY, 100)), (), (pool(types=("m5.large",)),)))
    assert not plan.unschedulable
    assert sorted(len(n.pods) for n in plan.nodes) == [13, SLOTS, SLOTS, SLOTS]
