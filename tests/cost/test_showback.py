"""Showback: a node's price split by requests, idle as its own line, lines adding up."""

from __future__ import annotations

import pytest

from spotwise.decisions.cost.showback import HEADROOM, IDLE, GroupBy, PricedNode, showback
from spotwise.model.pod import Pod, PodSpec
from spotwise.model.resources import Resources

GI = 2**30


def pod(name: str, namespace: str, cpu: int, memory_gib: int, owner: str = "") -> Pod:
    return Pod(name, PodSpec(namespace, requests=Resources(cpu, memory_gib * GI, 1)), owner=owner)


# 2 vCPU and 8 GiB weigh 2 x 0.031611 = 0.063222 and 8 x 0.004237 = 0.033896 at OpenCost's
# unit prices; a node priced at their sum splits into exactly those two parts.
PRICE = 0.063222 + 0.033896
ALLOCATABLE = Resources(2000, 8 * GI, 29)


def test_pods_pay_their_requests_share_and_the_rest_is_idle() -> None:
    node = PricedNode(
        "n1",
        PRICE,
        ALLOCATABLE,
        (
            pod("web-1", "shop", 1000, 2, "Deployment/web"),  # half the CPU, a quarter of memory
            pod("web-2", "shop", 500, 2, "Deployment/web"),
            pod("etl-1", "data", 250, 4, "Job/etl"),
        ),
    )
    by_namespace = {line.name: line for line in showback([node], GroupBy.NAMESPACE)}
    shop, data, idle = by_namespace["shop"], by_namespace["data"], by_namespace[IDLE]
    assert (shop.cpu, shop.memory, shop.pods) == pytest.approx((0.75 * 0.063222, 0.5 * 0.033896, 2))
    assert (data.cpu, data.memory) == pytest.approx((0.125 * 0.063222, 0.5 * 0.033896))
    assert (idle.cpu, idle.memory, idle.pods) == pytest.approx((0.125 * 0.063222, 0.0, 0))
    assert sum(line.total for line in by_namespace.values()) == pytest.approx(PRICE)
    assert list(by_namespace)[-1] == IDLE  # last, after the dearest-first lines


def test_workloads_are_namespaced_owners_and_bare_pods_stand_alone() -> None:
    node = PricedNode(
        "n1",
        PRICE,
        ALLOCATABLE,
        (pod("web-1", "shop", 1000, 2, "Deployment/web"), pod("debug", "shop", 100, 1)),
    )
    names = [line.name for line in showback([node], GroupBy.WORKLOAD)]
    assert names == ["shop/Deployment/web", "shop/Pod/debug", IDLE]


def test_an_empty_node_is_all_idle_and_gpus_get_their_part() -> None:
    gpu = Resources(8000, 32 * GI, 58, (("nvidia.com/gpu", 1),))
    node = PricedNode("g1", 1.0, gpu, (Pod("train", PodSpec("ml", requests=gpu), owner="Job/t"),))
    (line,) = [x for x in showback([node], GroupBy.NAMESPACE) if x.name == "ml"]
    weights = (8 * 0.031611, 32 * 0.004237, 0.95)
    assert line.gpu == pytest.approx(weights[2] / sum(weights))
    assert line.total == pytest.approx(1.0)  # it requests the whole node
    empty = PricedNode("n2", 0.5, ALLOCATABLE, ())
    assert [(x.name, round(x.total, 6)) for x in showback([empty], GroupBy.NAMESPACE)] == [
        (IDLE, 0.5)
    ]


def test_requests_beyond_allocatable_share_the_node_and_still_add_up() -> None:
    node = PricedNode("n1", 1.0, ALLOCATABLE, (pod("x", "a", 2000, 8), pod("y", "b", 1000, 0)))
    lines = showback([node], GroupBy.NAMESPACE)
    assert sum(line.total for line in lines) == pytest.approx(1.0)


def test_a_pod_pays_for_what_it_uses_beyond_its_request_and_for_its_request_below() -> None:
    greedy = pod("web-1", "shop", 500, 2, "Deployment/web")  # uses 1.5 vCPU, 1 GiB
    idle = pod("etl-1", "data", 500, 2, "Job/etl")  # uses almost nothing
    usage = {greedy.key: Resources(1500, 1 * GI), idle.key: Resources(10, GI // 8)}
    node = PricedNode("n1", PRICE, ALLOCATABLE, (greedy, idle), usage=usage)
    lines = {line.name: line for line in showback([node], GroupBy.NAMESPACE)}
    # max(request, usage): shop 1.5 vCPU and its 2 GiB request; data its requests.
    assert (lines["shop"].cpu, lines["shop"].memory) == pytest.approx(
        (0.75 * 0.063222, 0.25 * 0.033896)
    )
    assert lines["data"].cpu == pytest.approx(0.25 * 0.063222)
    assert lines[IDLE].cpu == pytest.approx(0.0)
    assert sum(line.total for line in lines.values()) == pytest.approx(PRICE)


def test_usage_beyond_the_node_shares_it_and_still_adds_up() -> None:
    a, b = pod("a", "x", 1000, 1), pod("b", "y", 1000, 1)
    usage = {a.key: Resources(3000, GI)}  # 4 vCPU charged on a 2-vCPU node
    node = PricedNode("n1", PRICE, ALLOCATABLE, (a, b), usage=usage)
    lines = {line.name: line for line in showback([node], GroupBy.NAMESPACE)}
    assert lines["x"].cpu == pytest.approx(0.75 * 0.063222)
    assert sum(line.total for line in lines.values()) == pytest.approx(PRICE)


def test_a_pools_headroom_is_its_own_line_taken_from_its_nodes_free_room() -> None:
    busy = PricedNode("n1", PRICE, ALLOCATABLE, (pod("web", "shop", 1000, 4),), pool="web")
    empty = PricedNode("n2", PRICE, ALLOCATABLE, (), pool="web")
    other = PricedNode("n3", PRICE, ALLOCATABLE, (), pool="batch")
    # The web pool keeps 1.5 vCPU and 6 GiB free: 1 vCPU and 4 GiB of n1, the rest of n2.
    headroom = {"web": Resources(1500, 6 * GI)}
    lines = {x.name: x for x in showback([busy, empty, other], GroupBy.NAMESPACE, headroom)}
    room = lines[HEADROOM]
    assert (room.cpu, room.memory, room.pods) == pytest.approx(
        (0.75 * 0.063222, 0.75 * 0.033896, 0)
    )
    assert list(lines)[-2:] == [HEADROOM, IDLE]
    assert sum(x.total for x in lines.values()) == pytest.approx(3 * PRICE)
