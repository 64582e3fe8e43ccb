"""deploy/interruption-queue.yaml as a document: valid CloudFormation, and what moto skips.

moto's CloudFormation has no AWS::SQS::QueuePolicy (it warns and leaves it out), and its
EventBridge delivers to SQS whatever the queue's policy says: the policy is checked here,
by structure. Everything else is also created in moto (test_queue_events.py).
"""

from __future__ import annotations

import copy
import json
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import yaml
from cfnlint.api import lint
from queue_stack import TEMPLATE, load_template

POLICY = Path(__file__).resolve().parents[2] / "deploy" / "iam-policy.json"
QUEUE_ARN = {"Fn::GetAtt": ["InterruptionQueue", "Arn"]}
# (source, detail-type) of each event kind spotwise handles, and nothing else.
KINDS = {
    ("aws.ec2", "EC2 Spot Instance Interruption Warning"),
    ("aws.ec2", "EC2 Instance Rebalance Recommendation"),
    ("aws.ec2", "EC2 Instance State-change Notification"),
    ("aws.health", "AWS Health Event"),
    ("aws.autoscaling", "EC2 Instance-terminate Lifecycle Action"),
    ("aws.ec2", "EC2 Capacity Reservation Instance Interruption Warning"),
}


def resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def lint_errors(template: dict[str, Any]) -> list[str]:
    return [str(m) for m in lint(json.dumps(template), regions=["us-east-1"])]


def test_the_loader_reads_short_tags_as_long_form() -> None:
    text = "A: !Ref Queue\nB: !GetAtt Queue.Arn\nC: !Sub spotwise-${X}\nD: !Join [-, [a, b]]\n"
    assert load_template(text) == {
        "A": {"Ref": "Queue"},
        "B": {"Fn::GetAtt": ["Queue", "Arn"]},
        "C": {"Fn::Sub": "spotwise-${X}"},
        "D": {"Fn::Join": ["-", ["a", "b"]]},
    }


def test_the_template_is_plain_yaml_and_valid_cloudformation() -> None:
    # Plain YAML: the tests of deploy/ and any YAML tool read it without CloudFormation's tags.
    template = yaml.safe_load(TEMPLATE.read_text())
    assert template == load_template()
    assert lint_errors(template) == []


def test_cfn_lint_would_catch_a_broken_template() -> None:
    broken = copy.deepcopy(load_template())
    broken["Resources"]["InterruptionQueue"]["Properties"]["MessageRetentionPeriod"] = "soon"
    del broken["Resources"]["SpotInterruptionRule"]["Properties"]["Targets"][0]["Arn"]
    errors = " ".join(lint_errors(broken))
    assert "'soon' is not of type 'integer'" in errors
    assert "'Arn' is a required property" in errors


def test_the_queue_policy_lets_only_eventbridge_and_sqs_send_to_the_queue() -> None:
    (policy,) = resources(load_template(), "AWS::SQS::QueuePolicy").values()
    assert policy["Properties"]["Queues"] == [{"Ref": "InterruptionQueue"}]
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Principal"] == {"Service": ["events.amazonaws.com", "sqs.amazonaws.com"]}
    assert statement["Action"] == "sqs:SendMessage"
    assert statement["Resource"] == QUEUE_ARN


def test_exactly_one_rule_per_event_kind_each_sending_to_the_queue() -> None:
    rules = resources(load_template(), "AWS::Events::Rule").values()
    caught = []
    for rule in rules:
        properties = rule["Properties"]
        pattern = properties["EventPattern"]
        (source,) = pattern["source"]
        (detail_type,) = pattern["detail-type"]
        caught.append((source, detail_type))
        assert properties["State"] == "ENABLED"
        assert [t["Arn"] for t in properties["Targets"]] == [QUEUE_ARN]
    assert sorted(caught) == sorted(KINDS)


def test_the_queue_is_encrypted_short_lived_and_redriven_after_five_receipts() -> None:
    template = load_template()
    queue = template["Resources"]["InterruptionQueue"]["Properties"]
    dead = template["Resources"]["DeadLetterQueue"]["Properties"]
    assert queue["SqsManagedSseEnabled"] is dead["SqsManagedSseEnabled"] is True
    assert queue["MessageRetentionPeriod"] == {"Ref": "MessageRetentionSeconds"}
    assert template["Parameters"]["MessageRetentionSeconds"]["Default"] == 300
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]},
        "maxReceiveCount": 5,
    }
    # SQS keeps the first enqueue time on a redrive: a short retention would drop it at once.
    assert dead["MessageRetentionPeriod"] == 14 * 24 * 3600
    assert set(template["Outputs"]) >= {"QueueUrl", "QueueArn", "QueueName"}


def test_the_iam_policy_grants_the_queue_the_template_names_and_not_its_dead_letters() -> None:
    template = load_template()

    def arn(logical_id: str) -> str:
        name = template["Resources"][logical_id]["Properties"]["QueueName"]["Fn::Sub"]
        return "arn:aws:sqs:us-east-1:123456789012:" + name.replace("${ClusterName}", "prod")

    statements = json.loads(POLICY.read_text())["Statement"]
    (granted,) = [s for s in statements if s["Sid"] == "ReadTheClustersInterruptionQueue"]
    pattern = granted["Resource"].replace("${CLUSTER_NAME}", "prod")
    assert fnmatchcase(arn("InterruptionQueue"), pattern)
    assert not fnmatchcase(arn("DeadLetterQueue"), pattern)
    assert not fnmatchcase(arn("InterruptionQueue").replace("prod", "staging"), pattern)
