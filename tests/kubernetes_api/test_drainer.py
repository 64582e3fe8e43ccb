"""The drain loop against the API test server: replacement first, budgets, the deadline."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from kubernetes import client
from prometheus_client import CollectorRegistry

from spotwise.decisions.interruption.node_state import mark
from spotwise.interruption.drainer import STALLED_SECONDS, Drainer
from spotwise.interruption.metrics import InterruptionMetrics
from spotwise.kubernetes.api.cluster import KubernetesCluster
from spotwise.ports.clock import ManualClock
from spotwise.ports.cloud import Instance
from spotwise.ports.cluster import Eviction
from spotwise.provisioning.provisioner import displaced_pods

from kubeapi.helpers import pod, run_pod  # isort: skip
from .test_cluster import ec2_node, pdb  # isort: skip

CaughtUp = Callable[[], None]


class TerminatingCloud:
    """A Cloud port that only records terminations (the drain makes no other call)."""

    def __init__(self) -> None:
        self.terminated: list[str] = []

    def terminate(self, instance_ids: Sequence[str]) -> None:
        self.terminated.extend(instance_ids)

    def launch(self, request: Any) -> Any:
        raise AssertionError("a drain launches nothing")

    def describe(self, instance_ids: Sequence[str]) -> tuple[Instance, ...]:
        return ()

    def owned_instances(self, cluster: str) -> tuple[Instance, ...]:
        return ()


def setup(core: client.CoreV1Api, policy: client.PolicyV1Api, room: bool) -> None:
    core.create_node(ec2_node("doomed", **{"spotwise.io/node-pool": "general"}))
    spare = ec2_node("spare")
    spare["spec"]["unschedulable"] = not room
    core.create_node(spare)
    for i in range(3):
        core.create_namespaced_pod("default", pod(f"web-{i}", "doomed", {"app": "web"}))
        run_pod(core, f"web-{i}")
    policy.create_namespaced_pod_disruption_budget("default", pdb("web", {"app": "web"}, 2))


def marked(
    cluster: KubernetesCluster,
    deadline: float | None,
    caught_up: CaughtUp,
    now: float,
    voluntary: bool = False,
) -> None:
    (node,) = [n for n in cluster.snapshot().nodes if n.name == "doomed"]
    kind = "underutilized" if voluntary else "spot-interruption"
    patch = mark(node, kind, "id-1", deadline, now, voluntary=voluntary)
    cluster.patch_node("doomed", patch)
    caught_up()


def test_pods_wait_for_room_then_leave_as_their_budget_allows(
    cluster: KubernetesCluster,
    core: client.CoreV1Api,
    policy: client.PolicyV1Api,
    caught_up: CaughtUp,
) -> None:
    setup(core, policy, room=False)
    caught_up()
    clock = ManualClock(time.time())
    marked(cluster, clock.now() + 3600, caught_up, clock.now())
    assert len(displaced_pods(cluster.snapshot().nodes)) == 3  # the provisioner's pending
    drainer = Drainer(cluster, TerminatingCloud(), clock)
    report = drainer.run()
    assert report.evicted == [] and "replacement" in report.waiting["doomed"]
    core.patch_node("spare", {"spec": {"unschedulable": False}})  # the replacement is Ready
    caught_up()
    report = drainer.run()
    # minAvailable 2 of 3: one goes, the others are refused and backed off.
    assert len(report.evicted) == 1 and report.evicted[0][1] is True
    assert len(report.blocked) == 2
    again = drainer.run()
    assert again.evicted == [] and again.blocked == []  # within the backoff: no hot loop


def test_a_voluntary_drain_none_of_whose_pods_can_leave_gives_up_and_the_node_serves_again(
    cluster: KubernetesCluster,
    core: client.CoreV1Api,
    policy: client.PolicyV1Api,
    caught_up: CaughtUp,
) -> None:
    setup(core, policy, room=False)  # no room ever comes up for the pods
    caught_up()
    clock = ManualClock(time.time())
    marked(cluster, None, caught_up, clock.now(), voluntary=True)
    drainer = Drainer(cluster, TerminatingCloud(), clock)
    assert drainer.run().abandoned == []
    clock.advance(STALLED_SECONDS - 1)
    assert drainer.run().abandoned == []
    clock.advance(1)
    assert drainer.run().abandoned == ["doomed"]
    caught_up()
    doomed = core.read_node("doomed")
    assert not doomed.spec.unschedulable and not doomed.spec.taints
    reasons = [e.reason for e in core.list_namespaced_event("default").items]
    assert "DisruptionAbandoned" in reasons
    assert core.read_node("doomed").metadata.annotations.get(
        "spotwise.io/disruption-abandoned-at"
    )  # consolidation leaves it alone for a while
    # A process that starts (or takes over) counts a drain's stall from when it sees it:
    # a drain marked long ago is not given up on its first passes.
    marked(cluster, None, caught_up, clock.now() - 2 * STALLED_SECONDS, voluntary=True)
    fresh = Drainer(cluster, TerminatingCloud(), clock)
    assert fresh.run().abandoned == [] and fresh.run().abandoned == []
    # An interruption never gives up: its instance goes anyway.
    marked(cluster, clock.now() + 3600, caught_up, clock.now())
    assert drainer.run().abandoned == []
    clock.advance(2 * STALLED_SECONDS)
    assert drainer.run().abandoned == []


def test_the_deadline_deletes_what_the_budget_holds_and_the_node_goes(
    cluster: KubernetesCluster,
    core: client.CoreV1Api,
    policy: client.PolicyV1Api,
    caught_up: CaughtUp,
) -> None:
    setup(core, policy, room=False)
    caught_up()
    clock = ManualClock(time.time())
    marked(cluster, clock.now() + 20, caught_up, clock.now())  # within a grace period
    cloud = TerminatingCloud()
    registry = CollectorRegistry()
    drainer = Drainer(cluster, cloud, clock, metrics=InterruptionMetrics(registry))
    report = drainer.run()
    assert sorted(k for k, _ in report.deleted) == [
        "default/web-0",
        "default/web-1",
        "default/web-2",
    ]
    caught_up()
    for _ in range(50):
        done = drainer.run().finished
        if done:
            break
        time.sleep(0.05)  # the server's kubelet stand-in removes the deleted pods
        caught_up()
    assert done == ["doomed"]
    assert registry.get_sample_value("spotwise_drain_pods_deleted_at_deadline_total") == 3
    assert registry.get_sample_value("spotwise_drain_duration_seconds_count") == 1
    assert cloud.terminated == ["i-doomed"]
    assert [n.metadata.name for n in core.list_node().items] == ["spare"]


class HangingCluster:
    """The adapter, except that evictions of ``hang``'s pods wait for ``release`` and those
    of ``fail``'s pods raise: an API call that hangs, and one that fails."""

    def __init__(self, cluster: KubernetesCluster, hang: str = "", fail: str = "") -> None:
        self.cluster = cluster
        self.hang, self.fail = hang, fail
        self.release = threading.Event()

    def evict(self, key: str) -> Eviction:
        if key.startswith(f"default/{self.fail}-"):
            raise ConnectionError("the API server is away")
        if key.startswith(f"default/{self.hang}-"):
            self.release.wait(30)
        return self.cluster.evict(key)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.cluster, name)


def two_marked_nodes(core: client.CoreV1Api, cluster: KubernetesCluster, caught_up: CaughtUp):
    core.create_node(
        {
            **ec2_node("spare"),
            "status": {"allocatable": {"cpu": "16", "memory": "64Gi", "pods": "110"}},
        }
    )
    for name in ("first", "second"):
        core.create_node(ec2_node(name, **{"spotwise.io/node-pool": "general"}))
        core.create_namespaced_pod("default", pod(f"{name}-0", name, {"app": name}))
        run_pod(core, f"{name}-0")
    caught_up()
    now = time.time()
    for node in cluster.snapshot().nodes:
        if node.name != "spare":
            cluster.patch_node(
                node.name, mark(node, "spot-interruption", node.name, now + 3600, now)
            )
    caught_up()


def test_one_stuck_drain_does_not_hold_up_the_others(
    cluster: KubernetesCluster, core: client.CoreV1Api, caught_up: CaughtUp
) -> None:
    two_marked_nodes(core, cluster, caught_up)
    hanging = HangingCluster(cluster, hang="first")
    drainer = Drainer(
        hanging, TerminatingCloud(), ManualClock(time.time()), workers=2, pass_wait_seconds=0.5
    )  # type: ignore[arg-type]
    report = drainer.run()
    assert [key for key, _ in report.evicted] == ["default/second-0"]  # not held up
    again = drainer.run()
    assert again.waiting["first"] == "still busy from an earlier pass"  # not started twice
    hanging.release.set()
    for _ in range(50):
        if "first" not in drainer._busy:
            break
        time.sleep(0.05)
    caught_up()
    assert "first" not in drainer.run().waiting  # free again once its call returned


def test_a_failing_drain_does_not_stop_the_pass(
    cluster: KubernetesCluster, core: client.CoreV1Api, caught_up: CaughtUp
) -> None:
    two_marked_nodes(core, cluster, caught_up)
    failing = HangingCluster(cluster, fail="first")
    drainer = Drainer(failing, TerminatingCloud(), ManualClock(time.time()))  # type: ignore[arg-type]
    report = drainer.run()
    assert [key for key, _ in report.evicted] == ["default/second-0"]
