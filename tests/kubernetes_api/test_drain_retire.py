"""After the drain, against the API test server (and moto for Auto Scaling).

A drained node is counted once; spotwise's own waits for its volumes to detach (bounded
by the deadline) before its instance goes; a node held by a lifecycle hook is kept alive
with heartbeats while it drains and released once drained; a node of a reboot-only
maintenance is unmarked once it is back with a new boot id.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import boto3
from kubernetes import client
from prometheus_client import CollectorRegistry

from aws.groups import HOOK, auto_scaling_group
from spotwise.aws.autoscaling import AwsAutoScaling
from spotwise.decisions.interruption.node_state import in_progress, mark
from spotwise.interruption.drainer import Drainer
from spotwise.interruption.metrics import InterruptionMetrics
from spotwise.kubernetes.api.cluster import KubernetesCluster
from spotwise.model.provider_id import provider_id
from spotwise.ports.autoscaling import LifecycleAction
from spotwise.ports.clock import ManualClock
from spotwise.ports.cloud import CloudError
from spotwise.testing import moto_lifecycle

from kubeapi.helpers import pod, run_pod  # isort: skip
from .test_cluster import ec2_node  # isort: skip
from .test_drainer import TerminatingCloud  # isort: skip

CaughtUp = Callable[[], None]
POOL = {"spotwise.io/node-pool": "general"}


def attach(storage: client.StorageV1Api, node: str, volume: str) -> None:
    storage.create_volume_attachment(
        {
            "metadata": {"name": f"{volume}-{node}"},
            "spec": {
                "attacher": "ebs.csi.aws.com",
                "nodeName": node,
                "source": {"persistentVolumeName": volume},
            },
            "status": {"attached": True},
        }
    )


def mark_node(cluster: KubernetesCluster, name: str, deadline: float | None, now: float, **kw: Any):
    (node,) = [n for n in cluster.snapshot().nodes if n.name == name]
    cluster.patch_node(name, mark(node, "spot-interruption", f"id-{name}", deadline, now, **kw))


def test_spotwise_node_waits_for_its_volumes_then_goes_and_is_counted_once(
    cluster: KubernetesCluster, api: client.ApiClient, core: client.CoreV1Api, caught_up: CaughtUp
) -> None:
    storage = client.StorageV1Api(api)
    core.create_node(ec2_node("doomed", **POOL))
    attach(storage, "doomed", "pv-data")
    caught_up()
    clock = ManualClock(time.time())
    mark_node(cluster, "doomed", clock.now() + 120, clock.now())
    caught_up()
    cloud, registry = TerminatingCloud(), CollectorRegistry()
    drainer = Drainer(cluster, cloud, clock, metrics=InterruptionMetrics(registry))

    first = drainer.run()
    caught_up()
    again = drainer.run()
    assert first.finished == ["doomed"] and again.finished == []  # counted once
    assert again.waiting == {"doomed": "waiting for 1 volumes to detach"}
    assert (
        cloud.terminated == []
        and registry.get_sample_value("spotwise_drain_duration_seconds_count") == 1
    )
    # The test server answers a delete with a Status, as it does for every kind.
    storage.delete_volume_attachment("pv-data-doomed", _preload_content=False)
    caught_up()
    assert drainer.run().retired == ["doomed"]
    assert cloud.terminated == ["i-doomed"]
    assert [n.metadata.name for n in core.list_node().items] == []


def test_the_volume_wait_ends_before_the_deadline(
    cluster: KubernetesCluster, api: client.ApiClient, core: client.CoreV1Api, caught_up: CaughtUp
) -> None:
    core.create_node(ec2_node("doomed", **POOL))
    attach(client.StorageV1Api(api), "doomed", "pv-stuck")
    caught_up()
    clock = ManualClock(time.time())
    mark_node(cluster, "doomed", clock.now() + 60, clock.now())
    caught_up()
    cloud = TerminatingCloud()
    drainer = Drainer(cluster, cloud, clock)
    drainer.run()
    caught_up()
    clock.advance(54)  # the deadline less the 5 s margin is 55 s away
    assert drainer.run().retired == [] and cloud.terminated == []
    caught_up()
    clock.advance(1)
    assert drainer.run().retired == ["doomed"] and cloud.terminated == ["i-doomed"]


def node_info(boot_id: str) -> dict[str, str]:
    """A kubelet's ``status.nodeInfo`` (the client requires every field)."""
    fields = ("architecture", "containerRuntimeVersion", "kernelVersion", "kubeProxyVersion")
    more = ("kubeletVersion", "machineID", "operatingSystem", "osImage", "systemUUID")
    return {**dict.fromkeys((*fields, *more), "x"), "bootID": boot_id}


def test_a_rebooted_node_comes_back_unmarked(
    cluster: KubernetesCluster, core: client.CoreV1Api, caught_up: CaughtUp
) -> None:
    body = ec2_node("rebooting")  # not spotwise's: an Auto Scaling group's node
    body["status"]["nodeInfo"] = node_info("boot-1")
    core.create_node(body)
    caught_up()
    clock = ManualClock(time.time())
    mark_node(cluster, "rebooting", clock.now() + 600, clock.now(), reboot=True)
    caught_up()
    drainer = Drainer(cluster, TerminatingCloud(), clock)
    assert drainer.run().finished == ["rebooting"]
    caught_up()
    assert drainer.run().waiting == {"rebooting": "waiting for the node to reboot"}
    core.patch_node_status("rebooting", {"status": {"nodeInfo": node_info("boot-2")}})
    caught_up()
    assert drainer.run().retired == ["rebooting"]
    caught_up()
    (node,) = cluster.snapshot().nodes
    assert in_progress(node) is None and not node.unschedulable and node.taints == ()


def asg_instance(aws_endpoint: str) -> str:
    """An instance of Auto Scaling group ``web``, held by its terminate hook."""
    (instance,) = auto_scaling_group(aws_endpoint, "web", timeout=60)
    moto_lifecycle.hold("web", instance, region="us-east-1")
    return instance


def test_a_lifecycle_hook_is_kept_alive_while_draining_then_released(
    cluster: KubernetesCluster,
    core: client.CoreV1Api,
    caught_up: CaughtUp,
    aws_endpoint: str,
    boto_session: boto3.Session,
) -> None:
    instance = asg_instance(aws_endpoint)
    body = ec2_node("asg-node")
    body["spec"]["providerID"] = provider_id("us-east-1a", instance)
    core.create_node(body)
    core.create_node({**ec2_node("spare"), "spec": {"unschedulable": True}})
    core.create_namespaced_pod("default", pod("web-0", "asg-node", {"app": "web"}))
    run_pod(core, "web-0")
    caught_up()
    clock = ManualClock(time.time())
    action = LifecycleAction("web", HOOK, instance)
    mark_node(cluster, "asg-node", clock.now() + 300, clock.now(), lifecycle=action)
    caught_up()
    autoscaling = AwsAutoScaling(boto_session, region="us-east-1", endpoint_url=aws_endpoint)
    drainer = Drainer(cluster, TerminatingCloud(), clock, autoscaling=autoscaling)

    assert drainer.run().heartbeats == []  # the hook's 60 s began at the mark
    clock.advance(30)
    waiting = drainer.run()
    assert waiting.heartbeats == [instance] and "replacement" in waiting.waiting["asg-node"]
    clock.advance(29)
    assert drainer.run().heartbeats == []  # half the timeout since the last one
    core.patch_node("spare", {"spec": {"unschedulable": False}})
    caught_up()
    assert [key for key, _ in drainer.run().evicted] == ["default/web-0"]
    for _ in range(50):  # the server's kubelet stand-in removes the evicted pod
        caught_up()
        report = drainer.run()
        if report.retired:
            break
        time.sleep(0.05)
    assert report.retired == ["asg-node"]
    assert [(c.action, c.instance_id, c.result) for c in moto_lifecycle.calls] == [
        ("RecordLifecycleActionHeartbeat", instance, ""),
        ("CompleteLifecycleAction", instance, "CONTINUE"),
    ]
    caught_up()
    node = next(n for n in cluster.snapshot().nodes if n.name == "asg-node")
    progress = in_progress(node)
    assert progress is not None and progress.lifecycle is None  # released once
    assert drainer.run().retired == []  # the group terminates it; the Node stays for now


class DenyingAutoScaling:
    """An Auto Scaling port whose lifecycle calls are refused (no permission on the group)."""

    def __init__(self) -> None:
        self.completions = 0

    def heartbeat_timeout(self, group: str, hook: str) -> float:
        return 300.0

    def record_heartbeat(self, action: LifecycleAction) -> None:
        raise CloudError("autoscaling:RecordLifecycleActionHeartbeat failed: AccessDenied")

    def complete(self, action: LifecycleAction) -> None:
        self.completions += 1
        raise CloudError("autoscaling:CompleteLifecycleAction failed: AccessDenied")


def test_a_refused_lifecycle_call_waits_before_it_is_tried_again(
    cluster: KubernetesCluster, core: client.CoreV1Api, caught_up: CaughtUp
) -> None:
    core.create_node(ec2_node("held"))
    caught_up()
    clock = ManualClock(time.time())
    action = LifecycleAction("theirs", "drain", "i-held")
    mark_node(cluster, "held", clock.now() + 300, clock.now(), lifecycle=action)
    caught_up()
    autoscaling = DenyingAutoScaling()
    drainer = Drainer(cluster, TerminatingCloud(), clock, autoscaling=autoscaling)  # type: ignore[arg-type]
    assert drainer.run().retired == []  # refused: not released, not retired
    caught_up()
    for _ in range(5):  # every second, as the drain loop runs: no call in between
        clock.advance(1)
        drainer.run()
    assert autoscaling.completions == 1
    clock.advance(30)
    drainer.run()
    assert autoscaling.completions == 2
