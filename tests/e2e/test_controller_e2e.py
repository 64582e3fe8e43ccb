"""End to end: pending pods -> instances in moto -> Nodes registered -> pods Running.

The controller runs as its own process (`spotwise controller`), against a moto server
for EC2 and the Kubernetes API test server; the test's kubelets and binder stand in for
the instances' kubelets and for kube-scheduler.
"""

from __future__ import annotations

import base64
import json
import signal
import time
import uuid
from pathlib import Path
from typing import Any

import boto3
import yaml
from kubernetes import client

from aws.conftest import CLUSTER
from aws.groups import HOOK, auto_scaling_group
from kubeapi.helpers import controller, node, pod, run_pod
from spotwise.model.provider_id import provider_id
from spotwise.simulated.queue import spot_warning
from spotwise.testing import moto_lifecycle

from .conftest import TYPES, ControllerProcess, wait_for


def create_pods(core: client.CoreV1Api, count: int, cpu: str = "500m") -> None:
    for namespace in ("spotwise", "shop"):
        core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=namespace)))
    for i in range(count):
        core.create_namespaced_pod(
            "shop",
            client.V1Pod(
                metadata=client.V1ObjectMeta(name=f"web-{i}", labels={"app": "web"}),
                spec=client.V1PodSpec(
                    containers=[
                        client.V1Container(
                            name="web",
                            image="nginx",
                            resources=client.V1ResourceRequirements(
                                requests={"cpu": cpu, "memory": "1Gi"}
                            ),
                        )
                    ]
                ),
            ),
        )


def instances(ec2: Any) -> list[dict[str, Any]]:
    found = ec2.describe_instances(
        Filters=[
            {"Name": "tag:spotwise.io/cluster", "Values": [CLUSTER]},
            {"Name": "instance-state-name", "Values": ["pending", "running"]},
        ]
    )
    return [i for r in found["Reservations"] for i in r["Instances"]]


def running_pods(core: client.CoreV1Api) -> list[str]:
    pods = core.list_namespaced_pod("shop").items
    return sorted(p.metadata.name for p in pods if p.status.phase == "Running")


def settle(kubelets: Any, binder: Any) -> bool:
    kubelets.sync()
    binder.bind_pending()
    kubelets.sync()
    return True


def test_pending_pods_launch_register_and_run(
    start_controller: Any, core: client.CoreV1Api, ec2: Any, kubelets: Any, binder: Any
) -> None:
    create_pods(core, 3)
    controller: ControllerProcess = start_controller()
    (instance,) = wait_for("an instance", lambda: instances(ec2))
    tags = {t["Key"]: t["Value"] for t in instance["Tags"]}
    assert tags["spotwise.io/managed"] == "true"
    assert tags["spotwise.io/node-pool"] == "general"
    assert instance["InstanceType"] in TYPES
    user_data = ec2.describe_instance_attribute(
        InstanceId=instance["InstanceId"], Attribute="userData"
    )["UserData"]["Value"]
    text = base64.b64decode(user_data).decode()
    assert "spotwise.io/node-pool=general" in text and "team=shop" in text

    def all_running() -> bool:
        settle(kubelets, binder)
        return running_pods(core) == ["web-0", "web-1", "web-2"]

    wait_for("the pods to run", all_running)
    (node,) = core.list_node().items
    zone = instance["Placement"]["AvailabilityZone"]
    assert node.spec.provider_id == f"aws:///{zone}/{instance['InstanceId']}"
    assert node.metadata.labels["team"] == "shop"
    # More rounds launch nothing more: the pods run on the node they asked for.
    rounds = controller.rounds()
    wait_for("more provisioning rounds", lambda: controller.rounds() >= rounds + 10)
    assert len(instances(ec2)) == 1
    assert controller.stop() == 0
    lease = client.CoordinationV1Api(core.api_client).read_namespaced_lease(
        "spotwise-controller", "spotwise"
    )
    assert not lease.spec.holder_identity  # released on SIGTERM


def holder(core: client.CoreV1Api) -> str:
    try:
        lease = client.CoordinationV1Api(core.api_client).read_namespaced_lease(
            "spotwise-controller", "spotwise"
        )
    except client.ApiException:
        return ""
    return lease.spec.holder_identity or ""


def test_a_standby_takes_over_without_launching_twice(
    start_controller: Any, core: client.CoreV1Api, ec2: Any, kubelets: Any, binder: Any
) -> None:
    create_pods(core, 3)
    first = start_controller(identity="spotwise-a")
    leader = wait_for("a leader", lambda: holder(core))
    second = start_controller(identity="spotwise-b")
    wait_for("an instance", lambda: instances(ec2))
    wait_for("the standby to be ready", lambda: second.said("serving probes"))
    dying, standby = (first, second) if leader == "spotwise-a" else (second, first)
    dying.stop(signal.SIGKILL)  # no release: the standby waits for the lease to expire
    wait_for("the takeover", lambda: holder(core) not in ("", leader))
    wait_for("the new leader to adopt", lambda: standby.said("adopted 1 instances"))
    # The new leader plans the same pending pods onto the instance in flight.
    wait_for("the pods to run", lambda: settle(kubelets, binder) and len(running_pods(core)) == 3)
    assert len(instances(ec2)) == 1
    assert standby.stop() == 0


def test_a_dry_run_changes_nothing(start_controller: Any, core: client.CoreV1Api, ec2: Any) -> None:
    create_pods(core, 3)
    before = core.list_namespaced_pod("shop").items
    controller = start_controller("--dry-run")
    wait_for("a decision", lambda: controller.said("would launch"))
    assert controller.stop() == 0
    assert instances(ec2) == []
    assert ec2.describe_launch_templates()["LaunchTemplates"] == []
    assert core.list_node().items == []
    assert holder(core) == ""
    assert client.CoreV1Api(core.api_client).list_event_for_all_namespaces().items == []
    after = core.list_namespaced_pod("shop").items
    assert [p.metadata.resource_version for p in after] == [
        p.metadata.resource_version for p in before
    ]


def test_nodepools_come_from_custom_resources_and_a_bad_one_is_left_out(
    start_controller: Any,
    core: client.CoreV1Api,
    ec2: Any,
    pools_file: Path,
) -> None:
    objects = client.CustomObjectsApi(core.api_client)
    good = yaml.safe_load(pools_file.read_text())
    bad = {**good, "metadata": {"name": "broken"}, "spec": {**good["spec"], "zones": ["mars-1a"]}}
    for document in (good, bad):
        objects.create_cluster_custom_object("spotwise.io", "v1alpha1", "nodepools", document)
    create_pods(core, 2)
    controller = start_controller("--no-config")
    (instance,) = wait_for("an instance", lambda: instances(ec2))
    tags = {t["Key"]: t["Value"] for t in instance["Tags"]}
    assert tags["spotwise.io/node-pool"] == "general"
    assert controller.said("NodePool broken: spec.zones[0]")
    assert controller.stop() == 0


def test_a_spot_warning_replaces_the_node_before_its_pods_move(
    start_controller: Any,
    core: client.CoreV1Api,
    ec2: Any,
    kubelets: Any,
    binder: Any,
    aws_endpoint: str,
) -> None:
    sqs = boto3.client("sqs", region_name="us-east-1", endpoint_url=aws_endpoint)
    url = sqs.create_queue(QueueName=f"spotwise-{CLUSTER}")["QueueUrl"]
    create_pods(core, 3)
    controller = start_controller("--interruption-queue", f"spotwise-{CLUSTER}")
    wait_for("the pods to run", lambda: settle(kubelets, binder) and len(running_pods(core)) == 3)
    (doomed,) = instances(ec2)
    zone = doomed["Placement"]["AvailabilityZone"]
    sqs.send_message(
        QueueUrl=url, MessageBody=spot_warning(doomed["InstanceId"], zone, "us-east-1", time.time())
    )

    def replaced() -> bool:
        settle(kubelets, binder)
        names = {n.metadata.name for n in core.list_node().items}
        # The instance is terminated, then its Node deleted.
        gone = doomed["InstanceId"] not in {i["InstanceId"] for i in instances(ec2)}
        return gone and doomed["PrivateDnsName"] not in names

    wait_for("the interrupted instance to be drained, terminated and its Node deleted", replaced)
    (replacement,) = instances(ec2)
    assert replacement["InstanceId"] != doomed["InstanceId"]
    assert controller.said("drain ")  # the handler's action, logged
    evictions = [e for e in controller.logs() if str(e.get("message", "")).startswith("evicted")]
    # Replacement first: every pod left once its new capacity was Ready.
    assert len(evictions) == 3 and all(e["replacement_ready"] for e in evictions)
    # The message was deleted once the node was marked: nothing left in the queue.
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "0"
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "0"
    assert controller.stop() == 0


def lifecycle_action(group: str, instance: str, at: float) -> str:
    """The EventBridge event of an Auto Scaling terminate lifecycle action."""
    return json.dumps(
        {
            "version": "0",
            "id": f"lifecycle-{instance}",
            "detail-type": "EC2 Instance-terminate Lifecycle Action",
            "source": "aws.autoscaling",
            "account": "123456789012",
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(at)),
            "region": "us-east-1",
            "resources": [],
            "detail": {
                "LifecycleActionToken": str(uuid.uuid5(uuid.NAMESPACE_OID, instance)),
                "AutoScalingGroupName": group,
                "LifecycleHookName": HOOK,
                "EC2InstanceId": instance,
                "LifecycleTransition": "autoscaling:EC2_INSTANCE_TERMINATING",
            },
        }
    )


def group_node(core: client.CoreV1Api, name: str, instance: str) -> None:
    """The Node of an Auto Scaling group's instance, with a running pod on it."""
    body = node(name, {"topology.kubernetes.io/zone": "us-east-1a"})
    body["spec"]["providerID"] = provider_id("us-east-1a", instance)
    core.create_node(body)
    core.create_namespaced_pod("default", pod(f"{name}-app", name, {"app": name}))
    run_pod(core, f"{name}-app")


def test_interruptions_only_drains_managed_groups_nodes_and_releases_their_hooks(
    start_controller: Any, core: client.CoreV1Api, ec2: Any, aws_endpoint: str
) -> None:
    (managed,) = auto_scaling_group(
        aws_endpoint, "kops-nodes", tags={"aws-node-termination-handler/managed": "true"}
    )
    (unmanaged,) = auto_scaling_group(aws_endpoint, "someone-elses")
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="spotwise")))
    group_node(core, "managed", managed)
    group_node(core, "unmanaged", unmanaged)
    core.create_node(node("spare", {"topology.kubernetes.io/zone": "us-east-1a"}))
    sqs = boto3.client("sqs", region_name="us-east-1", endpoint_url=aws_endpoint)
    url = sqs.create_queue(QueueName=f"spotwise-{CLUSTER}")["QueueUrl"]
    controller = start_controller(
        "--no-config", "--interruptions-only", "--interruption-queue", f"spotwise-{CLUSTER}"
    )
    for group, instance in (("kops-nodes", managed), ("someone-elses", unmanaged)):
        moto_lifecycle.hold(group, instance, region="us-east-1")
        sqs.send_message(QueueUrl=url, MessageBody=lifecycle_action(group, instance, time.time()))

    def released() -> bool:
        return any(c.instance_id == managed for c in moto_lifecycle.calls)

    wait_for("the managed node's lifecycle action to be released", released)
    assert [(c.action, c.group, c.result) for c in moto_lifecycle.calls] == [
        ("CompleteLifecycleAction", "kops-nodes", "CONTINUE")
    ]
    # Released only once its pod was gone; the group's instance is terminated by the group.
    assert [p.metadata.name for p in core.list_namespaced_pod("default").items] == ["unmanaged-app"]
    state = ec2.describe_instances(InstanceIds=[managed])["Reservations"][0]["Instances"][0]
    assert state["State"]["Name"] in ("shutting-down", "terminated")
    # The other group's node is left alone, its message acknowledged and skipped.
    unmarked = core.read_node("unmanaged")
    assert not unmarked.spec.unschedulable and not unmarked.spec.taints
    wait_for(
        "both messages to be deleted",
        lambda: (
            sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"][
                "ApproximateNumberOfMessages"
            ]
            == "0"
        ),
    )
    assert not controller.said("provisioning")  # no provisioning loop in this mode
    assert controller.stop() == 0


def quick_consolidation(core: client.CoreV1Api, pools_file: Path, tmp_path: Path) -> Path:
    """The pool consolidating at once (1 s quiet, no minimum age), and the namespaces."""
    pools = yaml.safe_load(pools_file.read_text())
    pools["spec"]["disruption"] = {"consolidateAfter": "1s", "minNodeAge": "0s"}
    quick = tmp_path / "quick.yaml"
    quick.write_text(yaml.safe_dump(pools))
    for namespace in ("spotwise", "shop"):
        core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=namespace)))
    return quick


def shop_pod(core: client.CoreV1Api, name: str, cpu: str, owner: dict[str, Any], app: str) -> None:
    """A pod of ``owner`` in ``shop`` requesting ``cpu``."""
    manifest = pod(name, labels={"app": app}, owner=owner)
    manifest["spec"]["containers"][0]["resources"] = {"requests": {"cpu": cpu}}
    core.create_namespaced_pod("shop", manifest)


def test_a_node_left_empty_by_a_scale_down_is_consolidated_away(
    start_controller: Any,
    core: client.CoreV1Api,
    ec2: Any,
    kubelets: Any,
    binder: Any,
    pools_file: Path,
    tmp_path: Path,
) -> None:
    """A Deployment's pods run, the Deployment scales to zero, and the node goes.

    The controller's consolidation loop proposes the empty node, confirms it 15 s later,
    and marks it; the drain loop then terminates its instance and deletes the Node.
    """
    quick = quick_consolidation(core, pools_file, tmp_path)
    owner = controller("ReplicaSet", "web-7d4b9", str(uuid.uuid4()))
    for i in range(2):
        shop_pod(core, f"web-{i}", "500m", owner, "web")
    process: ControllerProcess = start_controller(
        "--no-config", "--config", str(quick), "--consolidation-interval", "1"
    )

    def all_running() -> bool:
        settle(kubelets, binder)
        return running_pods(core) == ["web-0", "web-1"]

    wait_for("the pods to run", all_running)
    assert len(instances(ec2)) == 1
    for i in range(2):  # the Deployment scales to zero
        core.delete_namespaced_pod(f"web-{i}", "shop", grace_period_seconds=0)

    def gone() -> bool:
        kubelets.sync()
        return not instances(ec2) and not core.list_node().items

    wait_for("the empty node to be consolidated away", gone, timeout=90)
    messages = [e.get("message", "") for e in process.logs()]
    assert any(m.startswith("consolidation: 1 empty node") for m in messages), messages[-20:]
    assert process.stop() == 0


def test_an_underutilized_node_is_replaced_by_a_cheaper_one_within_its_pods_budget(
    start_controller: Any,
    core: client.CoreV1Api,
    ec2: Any,
    kubelets: Any,
    binder: Any,
    pools_file: Path,
    tmp_path: Path,
) -> None:
    """A batch pod and two web pods share a node; the batch ends and the node is too big.

    Consolidation replaces it by a cheaper one: the replacement is launched first, the
    drain moves the web pods one at a time as their PodDisruptionBudget (minAvailable 1)
    allows, and the old instance goes. The test stands in for the ReplicaSet (recreating
    evicted pods) and for the disruption controller (the budget's status).
    """
    quick = quick_consolidation(core, pools_file, tmp_path)
    policy = client.PolicyV1Api(core.api_client)
    policy.create_namespaced_pod_disruption_budget(
        "shop",
        {
            "metadata": {"name": "web"},
            "spec": {"selector": {"matchLabels": {"app": "web"}}, "minAvailable": 1},
        },
    )
    web = controller("ReplicaSet", "web-7d4b9", str(uuid.uuid4()))
    batch = controller("ReplicaSet", "batch-5c8f2", str(uuid.uuid4()))

    shop_pod(core, "batch-0", "2500m", batch, "batch")
    for i in range(2):
        shop_pod(core, f"web-{i}", "500m", web, "web")
    process: ControllerProcess = start_controller(
        "--no-config", "--config", str(quick), "--consolidation-interval", "1"
    )

    def budget_status(running: int) -> None:
        """Stand in for the disruption controller: the budget's status from its pods."""
        status = {
            "currentHealthy": running,
            "desiredHealthy": 1,
            "expectedPods": 2,
            "disruptionsAllowed": max(0, running - 1),
        }
        policy.patch_namespaced_pod_disruption_budget_status("web", "shop", {"status": status})

    def all_running() -> bool:
        settle(kubelets, binder)
        return running_pods(core) == ["batch-0", "web-0", "web-1"]

    wait_for("the pods to run", all_running)
    budget_status(2)
    (first,) = instances(ec2)
    core.delete_namespaced_pod("batch-0", "shop", grace_period_seconds=0)  # the batch ends
    fewest_running = 2
    made = 2

    def replaced() -> bool:
        nonlocal fewest_running, made
        settle(kubelets, binder)
        live = [
            p
            for p in core.list_namespaced_pod("shop", label_selector="app=web").items
            if p.metadata.deletion_timestamp is None
        ]
        running = [p for p in live if p.status.phase == "Running"]
        fewest_running = min(fewest_running, len(running))
        budget_status(len(running))
        for _ in range(2 - len(live)):  # the ReplicaSet recreates what was evicted
            shop_pod(core, f"web-{made}", "500m", web, "web")
            made += 1
        left = instances(ec2)
        moved = len(left) == 1 and left[0]["InstanceId"] != first["InstanceId"]
        return moved and len(running) == 2

    wait_for("the node to be replaced", replaced, timeout=120)
    (second,) = instances(ec2)
    assert made == 4  # both web pods moved, one at a time
    assert fewest_running >= 1  # the budget held: never fewer than minAvailable
    messages = [e.get("message", "") for e in process.logs()]
    moves = [m for m in messages if m.startswith("consolidation: ")]
    assert moves and "replaced by 1 cheaper node" in moves[0], messages[-20:]
    assert second["InstanceType"] != first["InstanceType"]
    assert process.stop() == 0
