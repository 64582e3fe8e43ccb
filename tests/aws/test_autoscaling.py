"""The Auto Scaling adapter against moto (with the lifecycle calls of `moto_lifecycle`)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from spotwise.aws.autoscaling import AwsAutoScaling
from spotwise.ports.autoscaling import LifecycleAction
from spotwise.ports.cloud import CloudError
from spotwise.testing import moto_lifecycle

from .conftest import Hooks, Network
from .groups import HOOK, auto_scaling_group


@pytest.fixture
def port(cloud_session: boto3.Session, aws_endpoint: str) -> AwsAutoScaling:
    return AwsAutoScaling(cloud_session, region="us-east-1", endpoint_url=aws_endpoint)


def state(ec2: Any, instance_id: str) -> str:
    found = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]
    return str(found["State"]["Name"])


def test_groups_and_tags_are_read_for_the_instances_asked(
    port: AwsAutoScaling, aws_endpoint: str, ec2: Any, network: Network
) -> None:
    ours = auto_scaling_group(aws_endpoint, "web", tags={"spotwise.io/managed": ""}, size=2)
    theirs = auto_scaling_group(aws_endpoint, "batch", tags={"team": "data"})
    groups = port.groups([*ours, theirs[0], "i-0000000000000000f"])
    assert groups == {ours[0]: "web", ours[1]: "web", theirs[0]: "batch"}
    assert port.tags(["web", "batch"]) == {
        "web": {"spotwise.io/managed": ""},
        "batch": {"team": "data"},
    }
    assert port.heartbeat_timeout("web", HOOK) == 300.0
    assert port.heartbeat_timeout("web", "no-such-hook") is None


def test_a_held_instance_is_kept_then_released_once(
    port: AwsAutoScaling, aws_endpoint: str, ec2: Any, network: Network, calls: list[str]
) -> None:
    instances = auto_scaling_group(aws_endpoint, "web")
    moto_lifecycle.hold("web", instances[0], region="us-east-1")
    action = LifecycleAction(
        "web", HOOK, instances[0], token="3f8a2c1e-1d2b-4c5a-9e7f-0a1b2c3d4e5f"
    )

    port.record_heartbeat(action)
    assert state(ec2, instances[0]) == "running"
    port.complete(action)
    assert state(ec2, instances[0]) in ("shutting-down", "terminated")
    assert [(c.action, c.result) for c in moto_lifecycle.calls] == [
        ("RecordLifecycleActionHeartbeat", ""),
        ("CompleteLifecycleAction", "CONTINUE"),
    ]
    # Done already (or timed out): not an error, and nothing more is recorded.
    port.complete(action)
    port.record_heartbeat(action)
    assert len(moto_lifecycle.calls) == 2
    assert "autoscaling:CompleteLifecycleAction" in calls


def test_other_failures_are_cloud_errors(
    port: AwsAutoScaling, aws_endpoint: str, ec2: Any, network: Network, hooks: Hooks
) -> None:
    instances = auto_scaling_group(aws_endpoint, "web")
    moto_lifecycle.hold("web", instances[0], region="us-east-1")

    def denied(**_: Any) -> None:
        raise ClientError(
            {"Error": {"Code": "AccessDenied", "Message": "not allowed"}},
            "CompleteLifecycleAction",
        )

    hooks.register("before-call.auto-scaling.CompleteLifecycleAction", denied)
    with pytest.raises(CloudError, match=r"grant autoscaling:CompleteLifecycleAction"):
        port.complete(LifecycleAction("web", HOOK, instances[0]))
    assert state(ec2, instances[0]) == "running"
