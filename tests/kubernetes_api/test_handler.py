"""The interruption handler against the API test server: notices in, marked nodes out."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from kubernetes import client
from prometheus_client import CollectorRegistry

from interruption.samples import body
from spotwise.decisions.interruption.node_state import TAINT_KEY, in_progress
from spotwise.interruption.handler import Handler
from spotwise.interruption.metrics import InterruptionMetrics
from spotwise.kubernetes.api.cluster import KubernetesCluster
from spotwise.model.instance_type import CapacityType
from spotwise.ports.clock import ManualClock
from spotwise.ports.interruptions import RawMessage
from spotwise.provisioning.observed import ObservedInterruptions
from spotwise.provisioning.unavailable import UnavailableOfferings

from .test_cluster import ec2_node  # isort: skip

CaughtUp = Callable[[], None]
INSTANCE = "i-1234567890abcdef0"


class ListSource:
    """An InterruptionSource over a list: what is acknowledged is gone."""

    def __init__(self, *bodies: str) -> None:
        self.messages = [RawMessage(f"m{i}", b) for i, b in enumerate(bodies)]
        self.acked: list[str] = []

    def receive(self) -> list[RawMessage]:
        return [m for m in self.messages if m.message_id not in self.acked]

    def ack(self, message: RawMessage) -> None:
        self.acked.append(message.message_id)


def interrupted_node(core: client.CoreV1Api) -> None:
    node = ec2_node(
        "doomed",
        zone="us-east-1b",
        **{
            "spotwise.io/node-pool": "general",
            "karpenter.sh/capacity-type": "spot",
            "node.kubernetes.io/instance-type": "m5.large",
        },
    )
    node["spec"]["providerID"] = f"aws:///us-east-1b/{INSTANCE}"
    core.create_node(node)


def handler(cluster: KubernetesCluster, source: ListSource, **kwargs: Any) -> Handler:
    return Handler(cluster, source, UnavailableOfferings(), ManualClock(time.time()), **kwargs)


def test_a_spot_warning_marks_the_node_and_is_acknowledged_once(
    cluster: KubernetesCluster, core: client.CoreV1Api, caught_up: CaughtUp
) -> None:
    interrupted_node(core)
    caught_up()
    source = ListSource(body("spot_warning.json"), body("spot_warning.json"))
    registry = CollectorRegistry()
    h = handler(cluster, source, metrics=InterruptionMetrics(registry))
    report = h.run()
    assert report.acked == 2 and len(report.actions) == 1  # the duplicate acts once
    labels = {"kind": "spot-interruption", "action": "drain"}
    assert registry.get_sample_value("spotwise_interruption_events_total", labels) == 1
    assert registry.get_sample_value("spotwise_interruption_mark_latency_seconds_count") == 1
    caught_up()
    (node,) = cluster.snapshot().nodes
    progress = in_progress(node)
    assert progress is not None and progress.kind == "spot-interruption"
    assert progress.deadline == 1_796_400_120.0  # 2026-12-04T16:02:00Z
    assert node.unschedulable
    assert h.unavailable.is_unavailable("m5.large", "us-east-1b", CapacityType.SPOT, h.clock.now())
    events = core.list_namespaced_event("default").items
    assert [e.reason for e in events] == ["InterruptionDraining"]


def test_a_notice_for_another_clusters_instance_is_acknowledged_and_skipped(
    cluster: KubernetesCluster, core: client.CoreV1Api, caught_up: CaughtUp
) -> None:
    source = ListSource(body("spot_warning.json"))
    report = handler(cluster, source).run()
    assert report.acked == 1 and report.skipped and report.actions == []


def test_a_malformed_message_is_left_for_the_dead_letter_queue(
    cluster: KubernetesCluster, core: client.CoreV1Api, caught_up: CaughtUp
) -> None:
    source = ListSource("{not json", json.dumps({"detail-type": "Something Else"}))
    report = handler(cluster, source).run()
    assert report.malformed == 2 and report.acked == 0 and source.acked == []


def test_a_failed_mark_leaves_the_message_to_come_back(
    cluster: KubernetesCluster, core: client.CoreV1Api, caught_up: CaughtUp
) -> None:
    interrupted_node(core)
    caught_up()
    source = ListSource(body("spot_warning.json"))
    h = handler(cluster, source)

    def broken(name: str, patch: object) -> None:
        raise client.ApiException(status=503, reason="API server away")

    h.cluster = _Patching(cluster, broken)  # type: ignore[assignment]
    assert h.run().acked == 0 and source.acked == []
    h.cluster = cluster
    assert h.run().acked == 1
    caught_up()
    (node,) = cluster.snapshot().nodes
    assert in_progress(node) is not None  # handled the second time, not just acknowledged


class _Patching:
    """The cluster, with node patches failing as an API server that is away."""

    def __init__(self, cluster: KubernetesCluster, patch: Callable[[str, object], None]):
        self._cluster = cluster
        self.patch_node = patch

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cluster, name)


def test_rebalance_policies(
    cluster: KubernetesCluster, core: client.CoreV1Api, caught_up: CaughtUp
) -> None:
    from spotwise.decisions.interruption.response import RebalancePolicy

    interrupted_node(core)
    caught_up()
    ignore = handler(
        cluster,
        ListSource(body("rebalance.json")),
        rebalance_policy=lambda _: RebalancePolicy.IGNORE,
    )
    assert ignore.run().actions == []
    cordon = handler(
        cluster,
        ListSource(body("rebalance.json")),
        rebalance_policy=lambda _: RebalancePolicy.CORDON,
    )
    assert [a[1] for a in cordon.run().actions] == ["cordon"]
    caught_up()
    (node,) = cluster.snapshot().nodes
    assert node.unschedulable and in_progress(node) is None
    replace = handler(cluster, ListSource(body("rebalance.json")))
    assert [a[1] for a in replace.run().actions] == ["drain"]
    caught_up()
    (node,) = cluster.snapshot().nodes
    progress = in_progress(node)
    assert progress is not None and progress.deadline is None
    # The warning that follows brings a deadline: the node is marked again with it.
    warned = handler(cluster, ListSource(body("spot_warning.json"))).run()
    assert [a[1] for a in warned.actions] == ["drain"]
    caught_up()
    (node,) = cluster.snapshot().nodes
    assert [t.value for t in node.taints if t.key == TAINT_KEY] == ["spot-interruption"]


def test_a_canceled_maintenance_undoes_its_own_marks(
    cluster: KubernetesCluster, core: client.CoreV1Api, caught_up: CaughtUp
) -> None:
    from spotwise.decisions.interruption.parse import parse_notice

    interrupted_node(core)
    caught_up()
    source = ListSource(body("imds_maintenance_list.json"))
    h = handler(cluster, source, parse=lambda b: parse_notice(b, INSTANCE, "imds"))
    assert [a[1] for a in h.run().actions] == ["drain"]
    caught_up()
    (node,) = cluster.snapshot().nodes
    assert in_progress(node) is not None and node.unschedulable
    # The same maintenance, canceled: the same id, and the handler takes its marks off.
    h.source = ListSource(body("imds_maintenance_canceled.json"))
    assert [a[1] for a in h.run().actions] == ["undo"]
    caught_up()
    (node,) = cluster.snapshot().nodes
    assert in_progress(node) is None and not node.unschedulable


def test_each_interruption_acted_on_is_announced_once(
    cluster: KubernetesCluster, core: client.CoreV1Api, caught_up: CaughtUp
) -> None:
    from spotwise.interruption.webhook import Notice

    sent: list[Notice] = []

    class Recording:
        def send(self, notice: Notice) -> bool:
            sent.append(notice)
            return True

    interrupted_node(core)
    caught_up()
    source = ListSource(body("spot_warning.json"), body("spot_warning.json"))
    h = handler(cluster, source, webhook=Recording(), cluster_name="prod")
    h.run()
    (notice,) = sent
    assert (notice.cluster, notice.node, notice.action) == ("prod", "doomed", "drain")
    assert notice.deadline == "2026-12-04T16:02:00Z"


def test_a_warning_teaches_planning_and_a_rebalance_does_not(
    cluster: KubernetesCluster, core: client.CoreV1Api, caught_up: CaughtUp
) -> None:
    interrupted_node(core)
    caught_up()
    observed = ObservedInterruptions()
    h = handler(cluster, ListSource(body("rebalance.json")), observed=observed)
    assert [a[1] for a in h.run().actions] == ["drain"]  # replaced, but no interruption yet
    assert observed.snapshot(h.clock.now() + 300).counts == {}
    h.source = ListSource(body("spot_warning.json"), body("spot_warning.json"))
    h.run()
    counts = observed.snapshot(h.clock.now() + 300).counts
    assert list(counts) == [("m5.large", "us-east-1b")]  # counted once, the duplicate not
    assert 0.9 < counts[("m5.large", "us-east-1b")] <= 1.0


def test_workers_handle_a_batch_at_once_and_a_duplicate_still_acts_once(
    cluster: KubernetesCluster, core: client.CoreV1Api, caught_up: CaughtUp
) -> None:
    interrupted_node(core)
    caught_up()
    source = ListSource(*[body("spot_warning.json")] * 8)
    report = handler(cluster, source, workers=4).run()
    assert report.received == 8 and report.acked == 8
    assert len(report.actions) == 1


def lifecycle_notice() -> str:
    """The queue's lifecycle action for the test's instance (the sample names another)."""
    return body("asg_terminate_eventbridge.json").replace("i-0598c7d356eba48d7", INSTANCE)


def test_a_lifecycle_hook_is_kept_whichever_notice_marked_the_node_first(
    cluster: KubernetesCluster, core: client.CoreV1Api, caught_up: CaughtUp
) -> None:
    from spotwise.decisions.interruption.parse import parse_notice

    interrupted_node(core)
    caught_up()
    # The node agent marks first, from metadata, which names no hook.
    agent = handler(
        cluster,
        ListSource(body("imds_target_lifecycle_terminated.txt")),
        parse=lambda b: parse_notice(b, INSTANCE, "imds"),
    )
    assert [a[1] for a in agent.run().actions] == ["drain"]
    caught_up()
    (node,) = cluster.snapshot().nodes
    assert (progress := in_progress(node)) is not None and progress.lifecycle is None
    # The queue's event of the same termination names the hook: recorded, to be released.
    handler(cluster, ListSource(lifecycle_notice())).run()
    caught_up()
    (node,) = cluster.snapshot().nodes
    assert (progress := in_progress(node)) is not None and progress.lifecycle is not None
    assert (progress.lifecycle.group, progress.lifecycle.hook) == ("my-asg", "my-lifecycle-hook")
    # A spot warning with a sooner deadline marks the node again, and the hook stays.
    warned = handler(cluster, ListSource(body("spot_warning.json"))).run()
    assert [a[1] for a in warned.actions] == ["drain"]
    caught_up()
    (node,) = cluster.snapshot().nodes
    assert (progress := in_progress(node)) is not None and progress.kind == "spot-interruption"
    assert progress.lifecycle is not None and progress.lifecycle.instance_id == INSTANCE


@pytest.mark.parametrize("first", ["rebalance", "warning"])
def test_the_sooner_deadline_wins_whatever_the_order_in_one_receive(
    cluster: KubernetesCluster, core: client.CoreV1Api, caught_up: CaughtUp, first: str
) -> None:
    interrupted_node(core)
    caught_up()
    bodies = {"rebalance": body("rebalance.json"), "warning": body("spot_warning.json")}
    other = "warning" if first == "rebalance" else "rebalance"
    handler(cluster, ListSource(bodies[first], bodies[other]), workers=2).run()
    caught_up()
    (node,) = cluster.snapshot().nodes
    progress = in_progress(node)
    assert progress is not None and progress.kind == "spot-interruption"
    assert progress.deadline == 1_796_400_120.0  # the warning's, never erased


def test_a_lifecycle_hook_in_the_same_receive_as_a_warning_is_kept(
    cluster: KubernetesCluster, core: client.CoreV1Api, caught_up: CaughtUp
) -> None:
    interrupted_node(core)
    caught_up()
    handler(cluster, ListSource(body("spot_warning.json"), lifecycle_notice())).run()
    caught_up()
    (node,) = cluster.snapshot().nodes
    progress = in_progress(node)
    assert progress is not None and progress.deadline == 1_796_400_120.0
    assert progress.lifecycle is not None and progress.lifecycle.hook == "my-lifecycle-hook"
