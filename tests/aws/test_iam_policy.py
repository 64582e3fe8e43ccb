"""deploy/iam-policy.json grants exactly the calls spotwise makes, and scopes the writes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from spotwise.aws import Ec2Cloud, LaunchTemplateRef
from spotwise.aws.calls import AWS_CALLS, CATALOG_REFRESH_CALLS, IMPLIED_PERMISSIONS

POLICY = Path(__file__).parents[2] / "deploy" / "iam-policy.json"
NEEDED = AWS_CALLS | CATALOG_REFRESH_CALLS | IMPLIED_PERMISSIONS
WRITES = {
    "ec2:CreateFleet",
    "ec2:RunInstances",
    "ec2:CreateTags",
    "ec2:TerminateInstances",
    "ec2:CreateLaunchTemplate",
    "ec2:CreateLaunchTemplateVersion",
    "ec2:DeleteLaunchTemplate",
    "iam:PassRole",
}


@pytest.fixture(scope="module")
def statements() -> list[dict[str, Any]]:
    policy = json.loads(POLICY.read_text())
    assert policy["Version"] == "2012-10-17"
    assert isinstance(policy["Statement"], list)
    return list(policy["Statement"])


def actions(statement: dict[str, Any]) -> list[str]:
    value = statement["Action"]
    return [value] if isinstance(value, str) else list(value)


def test_every_statement_is_a_well_formed_allow(statements: list[dict[str, Any]]) -> None:
    sids = [s["Sid"] for s in statements]
    assert len(sids) == len(set(sids))
    for statement in statements:
        assert set(statement) <= {"Sid", "Effect", "Action", "Resource", "Condition"}
        assert statement["Effect"] == "Allow"
        assert statement["Resource"]
        # No wildcards in actions: the policy grants named calls only.
        assert all("*" not in action for action in actions(statement))


def test_the_policy_grants_exactly_the_calls_spotwise_makes(
    statements: list[dict[str, Any]],
) -> None:
    granted = {action for s in statements for action in actions(s)}
    assert granted == NEEDED


def test_lifecycle_actions_are_granted_only_on_groups_with_a_managed_tag(
    statements: list[dict[str, Any]],
) -> None:
    # The writes of the interruptions-only mode: held to groups that carry spotwise's or
    # NTH's managed tag, as the handler acts only on those.
    lifecycle = {
        "autoscaling:CompleteLifecycleAction",
        "autoscaling:RecordLifecycleActionHeartbeat",
    }
    writers = [s for s in statements if set(actions(s)) & lifecycle]
    assert {tuple(sorted(s["Condition"]["Null"])) for s in writers} == {
        ("aws:ResourceTag/spotwise.io/managed",),
        ("aws:ResourceTag/aws-node-termination-handler/managed",),
    }
    for statement in writers:
        assert set(actions(statement)) == lifecycle
        assert ":autoScalingGroup:" in statement["Resource"]
        assert set(statement["Condition"]["Null"].values()) == {"false"}


def test_sqs_is_granted_only_to_read_the_clusters_interruption_queue(
    statements: list[dict[str, Any]],
) -> None:
    # The interruption queue (deploy/interruption-queue.yaml names it spotwise-<cluster>):
    # receive, delete, extend and look up its URL; never send, purge or touch another queue.
    sqs = [s for s in statements if any(a.startswith("sqs:") for a in actions(s))]
    assert [s["Sid"] for s in sqs] == ["ReadTheClustersInterruptionQueue"]
    assert set(actions(sqs[0])) == {
        "sqs:GetQueueUrl",
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:ChangeMessageVisibility",
    }
    assert sqs[0]["Resource"] == "arn:aws:sqs:*:*:spotwise-${CLUSTER_NAME}"


def test_writes_are_scoped_by_tag_or_condition(statements: list[dict[str, Any]]) -> None:
    for statement in statements:
        for action in actions(statement):
            if action not in WRITES:
                continue
            launch_inputs = statement["Sid"] == "LaunchWithAnyImageSubnetAndSecurityGroup"
            assert launch_inputs or "Condition" in statement, (statement["Sid"], action)
            assert statement["Resource"] != "*", (statement["Sid"], action)
    by_action = {a: s for s in statements for a in actions(s)}
    tags = by_action["ec2:CreateTags"]["Condition"]["StringEquals"]
    assert set(tags["ec2:CreateAction"]) == {"CreateFleet", "RunInstances", "CreateLaunchTemplate"}
    terminate = by_action["ec2:TerminateInstances"]["Condition"]["StringEquals"]
    assert terminate["aws:ResourceTag/spotwise.io/cluster"] == "${CLUSTER_NAME}"
    passed = by_action["iam:PassRole"]["Condition"]["StringEquals"]
    assert passed == {"iam:PassedToService": "ec2.amazonaws.com"}
    assert by_action["ssm:GetParameter"]["Resource"].endswith(
        ":parameter/aws/service/eks/optimized-ami/*"
    )


def test_the_recorder_sees_the_calls_it_checks(
    calls: list[str], cloud_session: Any, aws_endpoint: str
) -> None:
    # cloud_session asserts that every call it recorded is in AWS_CALLS: make sure it records.
    cloud = Ec2Cloud(
        cloud_session,
        region="us-east-1",
        cluster="prod",
        launch_template=LaunchTemplateRef.per_pool("prod"),
        endpoint_url=aws_endpoint,
    )
    cloud.owned_instances("prod")
    cloud.terminate(["i-0123456789abcdef0"])
    assert calls == ["ec2:DescribeInstances", "ec2:TerminateInstances", "ec2:DescribeInstances"]
