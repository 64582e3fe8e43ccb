"""The CreateFleet request and the reading of its response, without EC2."""

from __future__ import annotations

from spotwise.aws.fleet import TAG_CLIENT_TOKEN, Placement, fleet_request, parse_fleet_response
from spotwise.aws.template_ref import LaunchTemplateRef, reserved_template_name, template_name
from spotwise.model.allocation import OnDemandAllocationStrategy, SpotAllocationStrategy
from spotwise.model.instance_type import Architecture, CapacityType
from spotwise.ports.cloud import (
    TAG_CAPACITY_RESERVATION,
    ErrorKind,
    LaunchRequest,
    OfferingError,
    Override,
)

SPOT = CapacityType.SPOT
ON_DEMAND = CapacityType.ON_DEMAND
TEMPLATE = LaunchTemplateRef("tpl-general")
OVERRIDES = (
    Override("m6i.large", "us-east-1a", "subnet-a"),
    Override("m5.large", "us-east-1a", "subnet-a"),
    Override("m6i.large", "us-east-1b", "subnet-b"),
)
ZONES = {"subnet-a": "us-east-1a", "subnet-b": "us-east-1b"}


def request(capacity_type: CapacityType = SPOT, **fields) -> LaunchRequest:
    return LaunchRequest(
        client_token="tok-1",
        cluster="prod",
        pool="general",
        node_name="general-abc12",
        capacity_type=capacity_type,
        overrides=fields.pop("overrides", OVERRIDES),
        tags={"team": "web"},
        **fields,
    )


def placements(req: LaunchRequest) -> list[Placement]:
    return [Placement(o, o.subnet_id or "") for o in req.overrides]


def test_one_instant_fleet_of_one_with_every_override_and_the_tags() -> None:
    req = request()
    params = fleet_request(req, TEMPLATE, placements(req))
    assert params["Type"] == "instant"
    assert params["ClientToken"] == "tok-1"
    assert params["TargetCapacitySpecification"] == {
        "TotalTargetCapacity": 1,
        "DefaultTargetCapacityType": "spot",
    }
    assert params["SpotOptions"] == {"AllocationStrategy": "price-capacity-optimized"}
    assert params["OnDemandOptions"] == {"AllocationStrategy": "lowest-price"}
    (config,) = params["LaunchTemplateConfigs"]
    assert config["LaunchTemplateSpecification"] == {
        "LaunchTemplateName": "tpl-general",
        "Version": "$Latest",
    }
    # No priorities: price-capacity-optimized ignores them.
    assert config["Overrides"] == [
        {"InstanceType": "m6i.large", "SubnetId": "subnet-a", "AvailabilityZone": "us-east-1a"},
        {"InstanceType": "m5.large", "SubnetId": "subnet-a", "AvailabilityZone": "us-east-1a"},
        {"InstanceType": "m6i.large", "SubnetId": "subnet-b", "AvailabilityZone": "us-east-1b"},
    ]
    instance, volume = params["TagSpecifications"]
    assert (instance["ResourceType"], volume["ResourceType"]) == ("instance", "volume")
    tags = {t["Key"]: t["Value"] for t in instance["Tags"]}
    assert tags == {
        **req.all_tags(),
        "Name": "general-abc12",
        TAG_CLIENT_TOKEN: "tok-1",
    }
    assert tags["team"] == "web"
    assert volume["Tags"] == instance["Tags"]


def test_prioritized_strategies_send_priorities_in_override_order() -> None:
    req = request(ON_DEMAND, on_demand_strategy=OnDemandAllocationStrategy.PRIORITIZED)
    params = fleet_request(req, TEMPLATE, placements(req))
    assert params["TargetCapacitySpecification"]["DefaultTargetCapacityType"] == "on-demand"
    assert params["OnDemandOptions"] == {"AllocationStrategy": "prioritized"}
    assert [o["Priority"] for o in params["LaunchTemplateConfigs"][0]["Overrides"]] == [0, 1, 2]

    given = (Override("c6i.large", "us-east-1a", "subnet-a", priority=7.5),)
    req = request(
        spot_strategy=SpotAllocationStrategy.CAPACITY_OPTIMIZED_PRIORITIZED, overrides=given
    )
    params = fleet_request(req, TEMPLATE, placements(req))
    assert params["SpotOptions"] == {"AllocationStrategy": "capacity-optimized-prioritized"}
    assert params["LaunchTemplateConfigs"][0]["Overrides"][0]["Priority"] == 7.5


def test_the_spot_strategy_does_not_prioritize_an_on_demand_launch() -> None:
    req = request(ON_DEMAND, spot_strategy=SpotAllocationStrategy.CAPACITY_OPTIMIZED_PRIORITIZED)
    overrides = fleet_request(req, TEMPLATE, placements(req))["LaunchTemplateConfigs"][0]
    assert all("Priority" not in o for o in overrides["Overrides"])


def test_the_same_type_in_the_same_subnet_is_sent_once() -> None:
    twice = (*OVERRIDES, Override("m5.large", "us-east-1a", "subnet-a"))
    req = request(overrides=twice)
    params = fleet_request(req, TEMPLATE, placements(req))
    assert len(params["LaunchTemplateConfigs"][0]["Overrides"]) == 3


def error(code: str, **override: str) -> dict:
    item: dict = {"ErrorCode": code, "ErrorMessage": f"{code} here"}
    if override:
        item["LaunchTemplateAndOverrides"] = {
            "LaunchTemplateSpecification": {"LaunchTemplateName": "tpl-general"},
            "Overrides": override,
        }
    return item


def test_errors_are_read_per_override_and_classified() -> None:
    response = {
        "Errors": [
            {
                **error(
                    "InsufficientInstanceCapacity",
                    InstanceType="m6i.large",
                    AvailabilityZone="us-east-1a",
                ),
                "Lifecycle": "spot",
            },
            # Some errors name the subnet only.
            error("MaxSpotInstanceCountExceeded", InstanceType="m5.large", SubnetId="subnet-a"),
            # The same error again is reported once.
            error("MaxSpotInstanceCountExceeded", InstanceType="m5.large", SubnetId="subnet-a"),
            error("InvalidParameterValue", InstanceType="m6i.large", SubnetId="subnet-b"),
        ],
        "Instances": [],
    }
    outcome = parse_fleet_response(response, request(), ZONES)
    assert outcome.launched == ()
    assert outcome.errors == (
        OfferingError(
            "m6i.large",
            "us-east-1a",
            SPOT,
            "InsufficientInstanceCapacity",
            "InsufficientInstanceCapacity here",
        ),
        OfferingError(
            "m5.large",
            "us-east-1a",
            SPOT,
            "MaxSpotInstanceCountExceeded",
            "MaxSpotInstanceCountExceeded here",
        ),
        OfferingError(
            "m6i.large", "us-east-1b", SPOT, "InvalidParameterValue", "InvalidParameterValue here"
        ),
    )
    assert [e.kind for e in outcome.errors] == [
        ErrorKind.UNAVAILABLE,
        ErrorKind.QUOTA,
        ErrorKind.CONFIGURATION,
    ]


def test_lifecycle_of_an_error_wins_over_the_request() -> None:
    response = {
        "Errors": [
            {
                **error(
                    "VcpuLimitExceeded", InstanceType="m5.large", AvailabilityZone="us-east-1a"
                ),
                "Lifecycle": "on-demand",
            }
        ]
    }
    (found,) = parse_fleet_response(response, request(SPOT), ZONES).errors
    assert found.capacity_type is ON_DEMAND


def test_an_error_without_an_override_concerns_every_override_it_could() -> None:
    response = {"Errors": [error("UnfulfillableCapacity")]}
    found = parse_fleet_response(response, request(), ZONES).errors
    assert [(e.instance_type, e.zone) for e in found] == [
        (o.instance_type, o.zone) for o in OVERRIDES
    ]
    response = {"Errors": [error("InsufficientFreeAddressesInSubnet", SubnetId="subnet-b")]}
    (found_b,) = parse_fleet_response(response, request(), ZONES).errors
    assert (found_b.instance_type, found_b.zone) == ("m6i.large", "us-east-1b")
    assert found_b.kind is ErrorKind.UNAVAILABLE


def test_instances_are_read_with_their_override() -> None:
    response = {
        "Instances": [
            {
                "Lifecycle": "spot",
                "InstanceIds": ["i-0abc"],
                "InstanceType": "m5.large",
                "LaunchTemplateAndOverrides": {
                    "Overrides": {"InstanceType": "m5.large", "SubnetId": "subnet-b"}
                },
            }
        ]
    }
    (launched,) = parse_fleet_response(response, request(ON_DEMAND), ZONES).launched
    assert launched.instance_id == "i-0abc"
    assert launched.zone == "us-east-1b"
    assert launched.capacity_type is SPOT


def test_template_names_per_pool_and_capacity_type() -> None:
    ref = LaunchTemplateRef.per_pool("prod")
    assert ref.for_launch("general", SPOT) == LaunchTemplateRef("spotwise-prod-general-spot")
    assert template_name("prod", "general", ON_DEMAND) == "spotwise-prod-general-on-demand"
    # A fixed name is used as is.
    assert LaunchTemplateRef("mine", "3").for_launch("general", SPOT) == LaunchTemplateRef(
        "mine", "3"
    )
    long_a = template_name("c" * 100, "a" * 63, ON_DEMAND)
    long_b = template_name("c" * 100, "a" * 62 + "b", ON_DEMAND)
    assert len(long_a) == 128
    assert long_a != long_b


def test_a_launch_into_a_reservation_sets_no_usage_strategy() -> None:
    req = request(ON_DEMAND, capacity_reservations=("cr-0123456789abcdef0",))
    template = LaunchTemplateRef("spotwise-prod-general-reserved-cr-0123456789abcdef0", "2")
    params = fleet_request(req, template, placements(req), reservation="cr-0123456789abcdef0")
    assert params["TargetCapacitySpecification"]["DefaultTargetCapacityType"] == "on-demand"
    # The template targets the reservation only; the call sets no reservation option,
    # so EC2 cannot continue with ordinary on-demand.
    assert params["OnDemandOptions"] == {"AllocationStrategy": "lowest-price"}
    (config,) = params["LaunchTemplateConfigs"]
    assert config["LaunchTemplateSpecification"] == {
        "LaunchTemplateName": "spotwise-prod-general-reserved-cr-0123456789abcdef0",
        "Version": "2",
    }
    # Another call than the request's other launches, so another ClientToken (≤ 64).
    assert params["ClientToken"].startswith("tok-1-")
    assert params["ClientToken"] != fleet_request(req, template, placements(req))["ClientToken"]
    for spec in params["TagSpecifications"]:
        tags = {t["Key"]: t["Value"] for t in spec["Tags"]}
        assert tags[TAG_CAPACITY_RESERVATION] == "cr-0123456789abcdef0"
        assert tags[TAG_CLIENT_TOKEN] == "tok-1"


def test_reservations_are_left_out_of_spot_and_of_requests_without_them() -> None:
    spot = request(SPOT, capacity_reservations=("cr-0123456789abcdef0",))
    plain = request(ON_DEMAND)
    for req in (spot, plain):
        params = fleet_request(req, TEMPLATE, placements(req))
        assert params["OnDemandOptions"] == {"AllocationStrategy": "lowest-price"}
        assert params["ClientToken"] == "tok-1"


def test_reserved_template_names_per_pool_and_reservation() -> None:
    ref = LaunchTemplateRef.per_pool("prod")
    assert ref.for_reservation("general", "cr-0123456789abcdef0") == LaunchTemplateRef(
        "spotwise-prod-general-reserved-cr-0123456789abcdef0"
    )
    assert (
        reserved_template_name("prod", "general", "cr-0123456789abcdef0")
        == "spotwise-prod-general-reserved-cr-0123456789abcdef0"
    )
    # A fixed name cannot hold one target per reservation.
    assert LaunchTemplateRef("mine").for_reservation("general", "cr-0123456789abcdef0") is None
    long_a = reserved_template_name("c" * 100, "a" * 63, "cr-0123456789abcdef0")
    long_b = reserved_template_name("c" * 100, "a" * 63, "cr-0123456789abcdef1")
    assert len(long_a) == 128
    assert long_a != long_b


X86 = Architecture.X86_64
ARM = Architecture.ARM64
MIXED = (
    Override("m7g.large", "us-east-1a", "subnet-a", architecture=ARM),
    Override("m6i.large", "us-east-1a", "subnet-a", architecture=X86),
    Override("c7g.large", "us-east-1b", "subnet-b", architecture=ARM),
)


def per_architecture(architecture: Architecture | None) -> LaunchTemplateRef:
    return LaunchTemplateRef.per_pool("prod").for_launch("general", SPOT, architecture)


def test_template_names_per_architecture() -> None:
    ref = LaunchTemplateRef.per_pool("prod")
    assert ref.for_launch("general", SPOT, ARM) == LaunchTemplateRef(
        "spotwise-prod-general-spot-arm64"
    )
    assert template_name("prod", "general", ON_DEMAND, X86) == (
        "spotwise-prod-general-on-demand-x86_64"
    )
    assert ref.for_reservation("general", "cr-0123456789abcdef0", ARM) == LaunchTemplateRef(
        "spotwise-prod-general-reserved-cr-0123456789abcdef0-arm64"
    )
    assert reserved_template_name("prod", "general", "cr-0123456789abcdef0", X86) == (
        "spotwise-prod-general-reserved-cr-0123456789abcdef0-x86_64"
    )
    # Without an architecture, the names of a pool with one image, as before.
    assert ref.for_launch("general", SPOT, None) == ref.for_launch("general", SPOT)
    # A fixed name is used for every architecture; a long name keeps them apart.
    assert LaunchTemplateRef("mine").for_launch("general", SPOT, ARM) == LaunchTemplateRef("mine")
    long_x86 = template_name("c" * 100, "a" * 63, SPOT, X86)
    long_arm = template_name("c" * 100, "a" * 63, SPOT, ARM)
    assert len(long_x86) == len(long_arm) == 128
    assert long_x86 != long_arm


def test_each_architecture_gets_a_config_with_its_overrides_in_one_fleet() -> None:
    req = request(
        spot_strategy=SpotAllocationStrategy.CAPACITY_OPTIMIZED_PRIORITIZED, overrides=MIXED
    )
    params = fleet_request(req, per_architecture, placements(req))
    arm, x86 = params["LaunchTemplateConfigs"]
    assert arm["LaunchTemplateSpecification"]["LaunchTemplateName"] == (
        "spotwise-prod-general-spot-arm64"
    )
    assert x86["LaunchTemplateSpecification"]["LaunchTemplateName"] == (
        "spotwise-prod-general-spot-x86_64"
    )
    assert [(o["InstanceType"], o["Priority"]) for o in arm["Overrides"]] == [
        ("m7g.large", 0.0),
        ("c7g.large", 2.0),
    ]
    # Priorities are on one scale across the templates: EC2 compares them fleet-wide.
    assert [(o["InstanceType"], o["Priority"]) for o in x86["Overrides"]] == [("m6i.large", 1.0)]
    # One template given outright takes every override, whatever its architecture.
    (config,) = fleet_request(req, TEMPLATE, placements(req))["LaunchTemplateConfigs"]
    assert len(config["Overrides"]) == 3


def test_an_error_naming_only_a_template_concerns_that_templates_overrides() -> None:
    req = request(overrides=MIXED)
    by_template = {
        "spotwise-prod-general-spot-arm64": [MIXED[0], MIXED[2]],
        "spotwise-prod-general-spot-x86_64": [MIXED[1]],
    }
    item = {
        "ErrorCode": "InvalidAMIID.NotFound",
        "ErrorMessage": "the image of the template is gone",
        "LaunchTemplateAndOverrides": {
            "LaunchTemplateSpecification": {
                "LaunchTemplateName": "spotwise-prod-general-spot-arm64"
            }
        },
    }
    found = parse_fleet_response({"Errors": [item]}, req, ZONES, by_template).errors
    assert [(e.instance_type, e.zone) for e in found] == [
        ("m7g.large", "us-east-1a"),
        ("c7g.large", "us-east-1b"),
    ]
    # A template it was not told of: every override it could concern.
    assert len(parse_fleet_response({"Errors": [item]}, req, ZONES).errors) == 3
