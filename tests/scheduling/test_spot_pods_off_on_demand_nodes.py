"""Pods that may run on spot do not fill a new node that must be on-demand.

A node opened for pods that need on-demand grows at on-demand prices; pods that could run
on spot for a third of that get a spot node of their own instead, even when they would
fit in the on-demand node's spare room.
"""

from scheduling.builders import pod_list, pool, spec
from spotwise.decisions.scheduling.packer import PackInput, pack
from spotwise.model.instance_type import CapacityType
from spotwise.model.labels import KARPENTER_CAPACITY_TYPE
from spotwise.model.labelset import LabelSet

ON_DEMAND_ONLY = LabelSet({KARPENTER_CAPACITY_TYPE: "on-demand"})
PAYMENTS = spec("1500m", "2Gi", labels={"app": "payments"}, node_selector=ON_DEMAND_ONLY)
WEB = spec("100m", "128Mi", labels={"app": "web"})
PODS = (*pod_list(PAYMENTS, 1, prefix="pay"), *pod_list(WEB, 2, prefix="web"))


def test_spot_pods_get_a_spot_node_beside_an_on_demand_one():
    plan = pack(PackInput(PODS, (), (pool(),)))
    assert not plan.unschedulable
    where = {pod: n.capacity_type for n in plan.nodes for pod in n.pods}
    # The on-demand node has room for both web pods; they go to spot all the same.
    assert where == {
        "default/pay-0": CapacityType.ON_DEMAND,
        "default/web-0": CapacityType.SPOT,
        "default/web-1": CapacityType.SPOT,
    }


def test_spot_pods_share_an_on_demand_node_when_the_pool_has_no_spot():
    plan = pack(PackInput(PODS, (), (pool(capacity_types=("on-demand",)),)))
    # Nothing cheaper to be had: the spare room of the on-demand node takes them.
    (only,) = plan.nodes
    assert len(only.pods) == 3 and only.capacity_type is CapacityType.ON_DEMAND
