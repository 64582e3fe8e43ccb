"""deploy/iam-policy.json: valid JSON, no wildcard grants, writes held to the cluster's tag.

tests/aws/test_iam_policy.py checks that the policy grants exactly the calls spotwise
makes; this checks how: "*" as a resource only for calls that take no resource-level
permission (Describe*, pricing), and a spotwise.io/cluster condition on every write to a
resource EC2 can condition on tags (instances, launch templates, fleets, volumes...).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from .conftest import DEPLOY

POLICY = DEPLOY / "iam-policy.json"
# Calls that EC2, Auto Scaling (its Describe calls) or the Pricing API authorize on "*" only.
UNSCOPED_READS = ("ec2:Describe", "autoscaling:Describe", "pricing:GetProducts")
# Launch inputs that carry no tag of spotwise's (the AMI, subnet and security groups
# come from the pool's selectors, capacity reservations from the pool).
UNTAGGED_INPUTS = ("image/", "snapshot/", "subnet/", "security-group/", "capacity-reservation/")
CLUSTER_TAG = "spotwise.io/cluster"


def statements() -> list[dict[str, Any]]:
    policy = json.loads(POLICY.read_text(encoding="utf-8"))
    return list(policy["Statement"])


def listed(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


def conditioned_on_cluster(statement: dict[str, Any]) -> bool:
    return any(
        key.endswith(f"Tag/{CLUSTER_TAG}")
        for test in statement.get("Condition", {}).values()
        for key in test
    )


def problems(statement: dict[str, Any]) -> list[str]:
    found = []
    actions = listed(statement["Action"])
    resources = listed(statement["Resource"])
    if any(a == "*" or a.endswith(":*") for a in actions):
        found.append("a wildcard action")
    if "*" in resources and not all(a.startswith(UNSCOPED_READS) for a in actions):
        found.append('"Resource": "*" on a call that can be scoped')
    ec2_writes = [a for a in actions if a.startswith("ec2:") and not a.startswith("ec2:Describe")]
    taggable = [
        r
        for r in resources
        if r.startswith("arn:") and not any(f":{t}" in r for t in UNTAGGED_INPUTS)
    ]
    if ec2_writes and taggable and not conditioned_on_cluster(statement):
        found.append(f"no {CLUSTER_TAG} condition on {taggable}")
    return found


def test_the_policy_is_valid_json_of_allows() -> None:
    policy = json.loads(POLICY.read_text(encoding="utf-8"))
    assert policy["Version"] == "2012-10-17"
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow"
        assert "NotAction" not in statement and "NotResource" not in statement


@pytest.mark.parametrize("statement", statements(), ids=lambda s: s["Sid"])
def test_no_wildcard_and_every_taggable_write_is_held_to_the_cluster(
    statement: dict[str, Any],
) -> None:
    assert problems(statement) == []


def test_the_check_catches_a_wildcard_and_a_missing_condition() -> None:
    terminate = next(s for s in statements() if s["Sid"] == "TerminateTheClustersInstances")
    assert problems({**terminate, "Action": "ec2:*"}) == ["a wildcard action"]
    assert problems({**terminate, "Resource": "*"}) == [
        '"Resource": "*" on a call that can be scoped'
    ]
    unconditioned = {k: v for k, v in terminate.items() if k != "Condition"}
    assert problems(unconditioned) == [
        f"no {CLUSTER_TAG} condition on ['arn:aws:ec2:*:*:instance/*']"
    ]
