from __future__ import annotations

import json

import boto3
import pytest

from conftest import client
from spotwise.catalog.bundled import load_bundled
from spotwise.decisions.selector.candidate import Candidate
from spotwise.decisions.selector.criteria import Criteria, Range
from spotwise.decisions.selector.emit_asg import (
    MAX_OVERRIDES,
    OnDemandAllocationStrategy,
    SpotAllocationStrategy,
    emit_asg,
    mixed_instances_policy,
)
from spotwise.decisions.selector.select import select
from spotwise.errors import UserError
from spotwise.model.instance_type import Architecture, CapacityType, InstanceType

SPOT = CapacityType.SPOT


def cand(name: str, spot: float | None, on_demand: float) -> Candidate:
    t = InstanceType(name, 2, 8192, (Architecture.X86_64,))
    prices = {} if spot is None else {"us-east-1a": spot}
    return Candidate(t, on_demand, prices, {}, None, ("us-east-1a",))


ROWS = [
    cand("m5.large", 0.040, 0.096),
    cand("m6i.large", 0.030, 0.097),
    cand("m7i.large", None, 0.090),
    cand("m6a.large", 0.035, 0.086),
]


def test_spot_policy_has_the_exact_api_shape_cheapest_spot_first() -> None:
    policy = mixed_instances_policy(ROWS, launch_template_name="nodes", usage_class=SPOT)
    assert policy == {
        "LaunchTemplate": {
            "LaunchTemplateSpecification": {"LaunchTemplateName": "nodes", "Version": "$Latest"},
            # A type without a spot price goes last rather than first.
            "Overrides": [
                {"InstanceType": "m6i.large"},
                {"InstanceType": "m6a.large"},
                {"InstanceType": "m5.large"},
                {"InstanceType": "m7i.large"},
            ],
        },
        "InstancesDistribution": {
            "OnDemandAllocationStrategy": "lowest-price",
            "OnDemandBaseCapacity": 0,
            "OnDemandPercentageAboveBaseCapacity": 0,
            "SpotAllocationStrategy": "price-capacity-optimized",
        },
    }


def test_on_demand_policy_defaults_to_all_on_demand_by_on_demand_price() -> None:
    policy = mixed_instances_policy(
        ROWS,
        launch_template_name="nodes",
        usage_class=CapacityType.ON_DEMAND,
        launch_template_version="3",
        on_demand_base=2,
        on_demand_allocation_strategy=OnDemandAllocationStrategy.PRIORITIZED,
        max_types=2,
    )
    template = policy["LaunchTemplate"]
    assert template["LaunchTemplateSpecification"]["Version"] == "3"
    assert template["Overrides"] == [{"InstanceType": "m6a.large"}, {"InstanceType": "m7i.large"}]
    distribution = policy["InstancesDistribution"]
    assert distribution["OnDemandBaseCapacity"] == 2
    assert distribution["OnDemandPercentageAboveBaseCapacity"] == 100
    assert distribution["OnDemandAllocationStrategy"] == "prioritized"


def test_emit_asg_prints_the_policy_as_json() -> None:
    text = emit_asg(ROWS, launch_template_name="nodes", usage_class=SPOT, on_demand_above_base=25)
    assert json.loads(text) == mixed_instances_policy(
        ROWS, launch_template_name="nodes", usage_class=SPOT, on_demand_above_base=25
    )
    assert text.endswith("}\n")


def test_more_than_40_types_is_a_user_error() -> None:
    rows = [cand(f"m{i}.large", 0.01 * i, 0.1) for i in range(1, MAX_OVERRIDES + 2)]
    with pytest.raises(UserError) as raised:
        mixed_instances_policy(rows, launch_template_name="nodes", usage_class=SPOT)
    assert "41 instance types" in raised.value.problem
    assert "--max-types 40" in raised.value.fix
    # Exactly 40 is fine, and --max-types keeps the cheapest.
    policy = mixed_instances_policy(
        rows, launch_template_name="nodes", usage_class=SPOT, max_types=40
    )
    overrides = policy["LaunchTemplate"]["Overrides"]
    assert len(overrides) == 40
    assert {"InstanceType": f"m{MAX_OVERRIDES + 1}.large"} not in overrides


@pytest.mark.parametrize(
    ("kwargs", "flag"),
    [
        ({"max_types": 41}, "--max-types"),
        ({"max_types": 0}, "--max-types"),
        ({"on_demand_above_base": -1}, "--on-demand-above-base"),
        ({"on_demand_base": -2}, "--on-demand-base"),
    ],
)
def test_bad_flags_are_user_errors(kwargs: dict, flag: str) -> None:
    with pytest.raises(UserError) as raised:
        mixed_instances_policy(ROWS, launch_template_name="nodes", usage_class=SPOT, **kwargs)
    assert raised.value.subject == flag


def test_no_candidates_is_a_user_error() -> None:
    with pytest.raises(UserError, match="no instance type"):
        mixed_instances_policy([], launch_template_name="nodes", usage_class=SPOT)


def test_auto_scaling_accepts_the_policy(aws_endpoint: str, boto_session: boto3.Session) -> None:
    criteria = Criteria(vcpus=Range.exactly(2), memory_mib=Range.exactly(8192), usage_class=SPOT)
    rows = list(select(load_bundled(), criteria))
    policy = mixed_instances_policy(
        rows,
        launch_template_name="spot-nodes",
        usage_class=SPOT,
        on_demand_base=1,
        on_demand_above_base=10,
        spot_allocation_strategy=SpotAllocationStrategy.CAPACITY_OPTIMIZED_PRIORITIZED,
        max_types=6,
    )
    ec2 = client(boto_session, "ec2", aws_endpoint)
    ec2.create_launch_template(
        LaunchTemplateName="spot-nodes", LaunchTemplateData={"ImageId": "ami-12c6146b"}
    )
    autoscaling = client(boto_session, "autoscaling", aws_endpoint)
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="spot-nodes",
        MixedInstancesPolicy=policy,
        MinSize=0,
        MaxSize=3,
        AvailabilityZones=["us-east-1a", "us-east-1b"],
    )
    (group,) = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["spot-nodes"])[
        "AutoScalingGroups"
    ]
    stored = group["MixedInstancesPolicy"]
    assert len(policy["LaunchTemplate"]["Overrides"]) == 6
    assert stored["LaunchTemplate"]["Overrides"] == policy["LaunchTemplate"]["Overrides"]
    template = stored["LaunchTemplate"]["LaunchTemplateSpecification"]
    assert template["LaunchTemplateName"] == "spot-nodes"
    assert stored["InstancesDistribution"] == policy["InstancesDistribution"]


@pytest.mark.parametrize("name", ["", "ab", "web nodes", "x" * 129, "nodes;rm"])
def test_launch_template_name_follows_ec2s_rule(name: str) -> None:
    with pytest.raises(UserError) as raised:
        mixed_instances_policy(ROWS, launch_template_name=name, usage_class=SPOT)
    assert raised.value.subject == "--launch-template"


def test_launch_template_name_accepts_ec2s_characters() -> None:
    policy = mixed_instances_policy(ROWS, launch_template_name="a/b_c-(1).2", usage_class=SPOT)
    assert policy["LaunchTemplate"]["LaunchTemplateSpecification"]["LaunchTemplateName"] == (
        "a/b_c-(1).2"
    )
