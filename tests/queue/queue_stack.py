"""What the interruption-queue tests share: the template, its stack in moto, sample events.

tests/queue has no __init__.py on purpose: a package named ``queue`` would shadow the
standard library's (urllib3 imports it). So there is no conftest here either (it would be
imported as a second top-level ``conftest``); the test modules import this one.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import yaml

TEMPLATE = Path(__file__).resolve().parents[2] / "deploy" / "interruption-queue.yaml"
CLUSTER = "prod"
INSTANCE = "i-1234567890abcdef0"
ARN = f"arn:aws:ec2:us-east-1:123456789012:instance/{INSTANCE}"


class CloudFormationLoader(yaml.SafeLoader):
    """A YAML loader that reads CloudFormation's short tags (!Ref X) as their long form."""


def _intrinsic(loader: yaml.Loader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if suffix == "GetAtt":  # !GetAtt Queue.Arn is [Queue, Arn] in long form
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


CloudFormationLoader.add_multi_constructor("!", _intrinsic)


def load_template(text: str | None = None) -> dict[str, Any]:
    """The template (or ``text``) parsed, short tags turned into their long form."""
    loaded = yaml.load(text if text is not None else TEMPLATE.read_text(), CloudFormationLoader)
    assert isinstance(loaded, dict)
    return loaded


def session() -> boto3.Session:
    return boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )


def recording_session(calls: list[str]) -> boto3.Session:
    """A session that appends each call it makes to ``calls``, as an IAM action."""
    recorded = session()

    def record(model: Any, **_: Any) -> None:
        calls.append(f"{model.service_model.signing_name}:{model.name}")

    recorded.events.register("before-call", record)
    return recorded


def create_stack(endpoint: str, **parameters: str) -> dict[str, str]:
    """Create the template's stack in moto for CLUSTER; its outputs by key."""
    cloudformation = session().client("cloudformation", endpoint_url=endpoint)
    values = {"ClusterName": CLUSTER, **parameters}
    name = f"spotwise-interruptions-{values['ClusterName']}"
    cloudformation.create_stack(
        StackName=name,
        TemplateBody=TEMPLATE.read_text(),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in values.items()],
    )
    stack = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack
    return {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}


def entry(source: str, detail_type: str, detail: dict[str, Any]) -> dict[str, Any]:
    """A PutEvents entry, as AWS would send the event."""
    return {
        "Source": source,
        "DetailType": detail_type,
        "Detail": json.dumps(detail),
        "Resources": [ARN],
    }


# One event of each kind the rules catch, in the shapes AWS documents.
DELIVERED: dict[str, dict[str, Any]] = {
    "spot-interruption": entry(
        "aws.ec2",
        "EC2 Spot Instance Interruption Warning",
        {"instance-id": INSTANCE, "instance-action": "terminate"},
    ),
    "rebalance-recommendation": entry(
        "aws.ec2", "EC2 Instance Rebalance Recommendation", {"instance-id": INSTANCE}
    ),
    "state-change": entry(
        "aws.ec2",
        "EC2 Instance State-change Notification",
        {"instance-id": INSTANCE, "state": "shutting-down"},
    ),
    "scheduled-maintenance": entry(
        "aws.health",
        "AWS Health Event",
        {
            "eventArn": (
                "arn:aws:health:us-east-1::event/EC2/AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED/1"
            ),
            "service": "EC2",
            "eventTypeCode": "AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED",
            "eventTypeCategory": "scheduledChange",
            "startTime": "Sat, 05 Jun 2027 15:10:09 GMT",
            "eventDescription": [{"language": "en_US", "latestDescription": "retirement"}],
            "affectedEntities": [{"entityValue": INSTANCE}],
        },
    ),
    "asg-termination": entry(
        "aws.autoscaling",
        "EC2 Instance-terminate Lifecycle Action",
        {
            "LifecycleActionToken": "87654321-4321-4321-4321-210987654321",
            "AutoScalingGroupName": "nodes",
            "LifecycleHookName": "drain",
            "EC2InstanceId": INSTANCE,
            "LifecycleTransition": "autoscaling:EC2_INSTANCE_TERMINATING",
            "Origin": "AutoScalingGroup",
            "Destination": "EC2",
        },
    ),
    "capacity-reservation-interruption": entry(
        "aws.ec2",
        "EC2 Capacity Reservation Instance Interruption Warning",
        {
            "instance-id": INSTANCE,
            "instance-action": "terminate",
            "instance-termination-time": "2027-06-05T15:10:09Z",
            "availability-zone-id": "use1-az1",
            "instance-lifecycle": "capacity-block",
        },
    ),
}

# Events of neighbouring kinds the rules must leave out.
NOT_DELIVERED: dict[str, dict[str, Any]] = {
    "state-change to running": entry(
        "aws.ec2",
        "EC2 Instance State-change Notification",
        {"instance-id": INSTANCE, "state": "running"},
    ),
    "health issue": entry(
        "aws.health",
        "AWS Health Event",
        {"service": "EC2", "eventTypeCategory": "issue", "eventTypeCode": "AWS_EC2_API_ISSUE"},
    ),
    "health change of another service": entry(
        "aws.health",
        "AWS Health Event",
        {"service": "RDS", "eventTypeCategory": "scheduledChange"},
    ),
    "asg launch lifecycle action": entry(
        "aws.autoscaling",
        "EC2 Instance-launch Lifecycle Action",
        {"EC2InstanceId": INSTANCE, "LifecycleTransition": "autoscaling:EC2_INSTANCE_LAUNCHING"},
    ),
    "spot request fulfilled": entry(
        "aws.ec2",
        "EC2 Spot Instance Request Fulfillment",
        {"spot-instance-request-id": "sir-1", "instance-id": INSTANCE},
    ),
    "capacity block expiration": entry(
        "aws.ec2",
        "Capacity Block Reservation Expiration Warning",
        {"capacity-reservation-id": "cr-1", "end-date": "2027-06-05T15:10:09Z"},
    ),
}


def drain(sqs: Any, url: str) -> Iterator[dict[str, Any]]:
    """Receive and delete every message visible in the queue: the events, parsed."""
    for _ in range(100):  # a bound, never reached: moto delivers at once
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get(
            "Messages", []
        )
        if not messages:
            return
        for message in messages:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            yield json.loads(message["Body"])
    raise AssertionError("the queue never emptied")
