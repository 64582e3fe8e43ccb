"""Why a pod has no place, word for word: the first thing that rules it out, per pool."""

from __future__ import annotations

from scheduling.builders import node, pod_list, pool, spec
from spotwise.catalog.bundled import load_bundled
from spotwise.decisions.scheduling.overhead import allocatable
from spotwise.decisions.scheduling.packer import PackInput, pack
from spotwise.model.labelset import LabelSet
from spotwise.model.pod import Pod
from spotwise.model.quantity import format_bytes
from spotwise.model.scheduling_terms import HostPort


def reason(pods, pools=None, nodes=()) -> str:
    plan = pack(
        PackInput(tuple(pods), tuple(nodes), tuple(pools if pools is not None else (pool(),)))
    )
    assert len(plan.unschedulable) >= 1
    return plan.unschedulable[0].reason


def _offered(name: str) -> tuple[str, str]:
    """CPU and memory a type offers to pods, as the reasons print them."""
    room = allocatable(load_bundled().instance_type(name))
    return f"{room.cpu_milli / 1000:g}", format_bytes(room.memory_bytes)


def test_without_pools_nothing_can_be_launched() -> None:
    assert reason(pod_list(spec(), 1), pools=()) == (
        "no existing node fits and no node pool is configured to launch one"
    )


def test_an_untolerated_taint_comes_first_and_names_the_taint() -> None:
    tainted = pool("db", taints=[{"key": "dedicated", "value": "db", "effect": "NoSchedule"}])
    huge = spec("500", "1Gi", node_selector=LabelSet({"kubernetes.io/arch": "arm64"}))
    assert reason(pod_list(huge, 1), pools=(tainted,)) == (
        "pool db: tolerates no taint of the pool (dedicated=db:NoSchedule)"
    )


def test_a_selector_no_type_matches() -> None:
    arm = spec(node_selector=LabelSet({"kubernetes.io/arch": "arm64"}))
    assert reason(pod_list(arm, 1)) == (
        "pool default: its node selector or affinity matches no instance type the pool allows"
    )


def test_too_many_cpus_names_the_largest_type() -> None:
    cpu, _ = _offered("m5.2xlarge")
    assert reason(pod_list(spec("64", "1Gi"), 1)) == (
        f"pool default: needs 64 CPU; the largest allowed type offers {cpu} to pods"
    )


def test_too_much_memory_names_the_largest_type() -> None:
    _, memory = _offered("r5.xlarge")
    assert reason(pod_list(spec("1", "300Gi"), 1)) == (
        f"pool default: needs 300 GiB of memory; the largest allowed type offers {memory} to pods"
    )


def test_cpu_and_memory_each_fit_but_not_together() -> None:
    # c5.2xlarge has the CPU, r5.xlarge the memory; neither has both.
    two = pool("two", types=("c5.2xlarge", "r5.xlarge"))
    assert reason(pod_list(spec("6", "20Gi"), 1), pools=(two,)) == (
        "pool two: no allowed type (c5.2xlarge, r5.xlarge...) has room for "
        "6 CPU, 20 GiB memory at once"
    )


def test_every_pool_gives_its_reason() -> None:
    small = pool("small", types=("m5.large",))
    cpu, _ = _offered("m5.large")
    assert reason(
        pod_list(spec("4", "1Gi"), 1), pools=(small, pool("arm", types=("m6g.large",)))
    ) == (
        # Pools in the packer's order: by weight, then name.
        f"pool arm: needs 4 CPU; the largest allowed type offers {_offered('m6g.large')[0]} "
        f"to pods; pool small: needs 4 CPU; the largest allowed type offers {cpu} to pods"
    )


def test_what_other_pods_or_limits_decide_is_said_last() -> None:
    one = pool("one", types=("m5.large",), limits={"nodes": 1})
    port = spec(host_ports=(HostPort(80),))
    assert reason(pod_list(port, 2), pools=(one,)) == (
        "pool one: its topology constraints (pod anti-affinity, affinity or spread) or host "
        "ports leave no node that can take it, or the pool's limits stop new nodes"
    )


def test_a_volume_on_a_node_that_is_gone() -> None:
    pinned = Pod("db-0", spec("1", "1Gi", node="gone"), volumes=("data-db-0",))
    assert reason([pinned]) == "data-db-0 is attached to node gone, which is not in the cluster"
    unnamed = Pod("db-1", spec("1", "1Gi", node="gone"))
    assert reason([unnamed]) == "its volume is attached to node gone, which is not in the cluster"


def test_a_volume_on_a_full_node_says_what_is_free() -> None:
    full = node("n1", "m5.large", bound=tuple(pod_list(spec("1500m", "1Gi"), 1, prefix="big")))
    room = full.allocatable
    pinned = Pod("db-0", spec("1", "1Gi", node="n1"), volumes=("data-db-0",))
    free_cpu = (room.cpu_milli - 1500) / 1000
    free_memory = format_bytes(room.memory_bytes - 2**30)
    assert reason([pinned], nodes=[full]) == (
        "data-db-0 is attached to node n1, which has no room (needs 1 CPU, 1 GiB memory; "
        f"{free_cpu:g} CPU, {free_memory} memory free)"
    )


def test_a_pod_pinned_to_a_node_by_its_volume_goes_there_and_nowhere_else() -> None:
    nodes = [node("n1", "m5.xlarge"), node("n2", "m5.xlarge")]
    pinned = Pod("db-0", spec("1", "1Gi", node="n2"), volumes=("data-db-0",))
    plan = pack(PackInput((pinned,), tuple(nodes), (pool(),)))
    assert [(p.pod, p.node) for p in plan.existing] == [("default/db-0", "n2")]
    assert not plan.nodes
