"""Ec2Cloud against the moto server, with EC2's capacity errors injected through botocore hooks.

moto launches the first override whatever the strategy, never runs out of capacity and
ignores ClientToken; the hooks make the responses real EC2 would give.
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError

from aws.conftest import CLUSTER, Hooks, Network
from spotwise.aws import Ec2Cloud, LaunchTemplateRef
from spotwise.aws.ec2_cloud import NO_SUBNET_CODE
from spotwise.aws.fleet import TAG_CLIENT_TOKEN
from spotwise.model.allocation import OnDemandAllocationStrategy
from spotwise.model.instance_type import Architecture, CapacityType
from spotwise.ports.cloud import (
    TAG_CAPACITY_RESERVATION,
    CloudError,
    ErrorKind,
    InstanceState,
    LaunchRequest,
    OfferingError,
    Override,
)
from spotwise.provisioning.launcher.outcome import falls_through, judge

SPOT = CapacityType.SPOT
ON_DEMAND = CapacityType.ON_DEMAND
PER_POOL = LaunchTemplateRef.per_pool(CLUSTER)


@pytest.fixture
def templates(ec2: Any) -> None:
    """The per-pool templates of pool ``general``, as LaunchTemplates would make them."""
    for capacity_type in ("spot", "on-demand"):
        ec2.create_launch_template(
            LaunchTemplateName=f"spotwise-{CLUSTER}-general-{capacity_type}",
            LaunchTemplateData={"ImageId": "ami-12345678"},
        )


def make_cloud(session: boto3.Session, endpoint: str, network: Network | None, **kw) -> Ec2Cloud:
    return Ec2Cloud(
        session,
        region="us-east-1",
        cluster=kw.pop("cluster", CLUSTER),
        launch_template=kw.pop("launch_template", PER_POOL),
        subnets=network.subnets if network is not None else None,
        endpoint_url=endpoint,
        **kw,
    )


@pytest.fixture
def cloud(cloud_session: boto3.Session, aws_endpoint: str, network: Network, templates: None):
    return make_cloud(cloud_session, aws_endpoint, network)


def request(token: str = "tok-1", capacity_type: CapacityType = SPOT, **fields) -> LaunchRequest:
    return LaunchRequest(
        client_token=token,
        cluster=fields.pop("cluster", CLUSTER),
        pool="general",
        node_name=f"general-{token}",
        capacity_type=capacity_type,
        overrides=fields.pop(
            "overrides",
            (Override("m6i.large", "us-east-1b"), Override("m5.large", "us-east-1a")),
        ),
        tags={"team": "web"},
        **fields,
    )


def capture(hooks: Hooks, operation: str) -> list[dict]:
    """The parameters of every call of ``operation`` made by the code under test."""
    seen: list[dict] = []
    hooks.register(
        f"provide-client-params.ec2.{operation}", lambda params, **_: seen.append(params)
    )
    return seen


def tags_in_moto(ec2: Any, instance_id: str) -> dict[str, str]:
    (reservation,) = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"]
    return {t["Key"]: t["Value"] for t in reservation["Instances"][0]["Tags"]}


def test_launch_spot_sends_one_fleet_and_describes_the_tagged_instance(
    cloud: Ec2Cloud, ec2: Any, network: Network, hooks: Hooks
) -> None:
    sent = capture(hooks, "CreateFleet")
    req = request()
    result = cloud.launch(req)

    (params,) = sent
    assert params["Type"] == "instant"
    assert params["ClientToken"] == "tok-1"
    assert params["TargetCapacitySpecification"]["DefaultTargetCapacityType"] == "spot"
    (config,) = params["LaunchTemplateConfigs"]
    assert (
        config["LaunchTemplateSpecification"]["LaunchTemplateName"] == "spotwise-prod-general-spot"
    )
    assert config["Overrides"] == [
        {
            "InstanceType": "m6i.large",
            "SubnetId": network.subnets["us-east-1b"],
            "AvailabilityZone": "us-east-1b",
        },
        {
            "InstanceType": "m5.large",
            "SubnetId": network.subnets["us-east-1a"],
            "AvailabilityZone": "us-east-1a",
        },
    ]

    assert result.errors == ()
    instance = result.instance
    assert instance is not None
    # moto takes the first override.
    assert (instance.instance_type, instance.zone) == ("m6i.large", "us-east-1b")
    assert instance.capacity_type is SPOT
    assert instance.state in (InstanceState.PENDING, InstanceState.RUNNING)
    assert instance.launch_time > 0
    assert instance.private_dns_name
    assert instance.provider_id == f"aws:///us-east-1b/{instance.instance_id}"
    tags = tags_in_moto(ec2, instance.instance_id)
    assert (
        tags.items()
        >= {**req.all_tags(), "Name": "general-tok-1", TAG_CLIENT_TOKEN: "tok-1"}.items()
    )
    assert instance.tags == tags


def test_launch_on_demand_prioritized(cloud: Ec2Cloud, hooks: Hooks) -> None:
    sent = capture(hooks, "CreateFleet")
    req = request(
        capacity_type=ON_DEMAND, on_demand_strategy=OnDemandAllocationStrategy.PRIORITIZED
    )
    instance = cloud.launch(req).instance
    assert instance is not None
    assert instance.capacity_type is ON_DEMAND
    (config,) = sent[0]["LaunchTemplateConfigs"]
    assert config["LaunchTemplateSpecification"]["LaunchTemplateName"] == (
        "spotwise-prod-general-on-demand"
    )
    assert [o["Priority"] for o in config["Overrides"]] == [0, 1]
    assert sent[0]["OnDemandOptions"] == {"AllocationStrategy": "prioritized"}


def test_the_same_client_token_returns_the_same_instance(
    cloud: Ec2Cloud, cloud_session: boto3.Session, aws_endpoint: str, network: Network, hooks: Hooks
) -> None:
    sent = capture(hooks, "CreateFleet")
    first = cloud.launch(request("tok-1")).instance
    # Also from a restarted controller: the token is on the instance, not in memory.
    again = make_cloud(cloud_session, aws_endpoint, network).launch(request("tok-1")).instance
    other = cloud.launch(request("tok-2")).instance
    assert first is not None and again is not None and other is not None
    assert again.instance_id == first.instance_id
    assert other.instance_id != first.instance_id
    assert len(sent) == 2
    assert len(cloud.owned_instances(CLUSTER)) == 2


def test_a_terminated_instance_does_not_satisfy_its_token(cloud: Ec2Cloud) -> None:
    first = cloud.launch(request("tok-1")).instance
    assert first is not None
    cloud.terminate([first.instance_id])
    second = cloud.launch(request("tok-1")).instance
    assert second is not None and second.instance_id != first.instance_id


def insufficient(override: dict, code: str = "InsufficientInstanceCapacity") -> dict:
    return {
        "LaunchTemplateAndOverrides": {
            "LaunchTemplateSpecification": {"LaunchTemplateName": "spotwise-prod-general-spot"},
            "Overrides": override,
        },
        "Lifecycle": "spot",
        "ErrorCode": code,
        "ErrorMessage": f"{code} for {override.get('InstanceType')}",
    }


def answer(hooks: Hooks, operation: str, respond: Any) -> list[dict]:
    """Answer every ``operation`` call with ``respond(params)`` instead of moto."""
    sent: list[dict] = capture(hooks, operation)
    hooks.register(
        f"before-call.ec2.{operation}",
        lambda **_: (AWSResponse("", 200, {}, None), respond(sent[-1])),
    )
    return sent


def test_no_capacity_anywhere_returns_every_error_and_no_instance(
    cloud: Ec2Cloud, network: Network, hooks: Hooks
) -> None:
    def no_capacity(params: dict) -> dict:
        (config,) = params["LaunchTemplateConfigs"]
        first = config["Overrides"][0]
        # The second override fails by subnet only, and on the account's spot quota.
        second = {"InstanceType": "m5.large", "SubnetId": network.subnets["us-east-1a"]}
        errors = [insufficient(first), insufficient(second, "MaxSpotInstanceCountExceeded")]
        return {"FleetId": "fleet-1", "Errors": errors, "Instances": []}

    answer(hooks, "CreateFleet", no_capacity)
    result = cloud.launch(request())
    assert result.instance is None
    assert result.errors == (
        OfferingError(
            "m6i.large",
            "us-east-1b",
            SPOT,
            "InsufficientInstanceCapacity",
            "InsufficientInstanceCapacity for m6i.large",
        ),
        OfferingError(
            "m5.large",
            "us-east-1a",
            SPOT,
            "MaxSpotInstanceCountExceeded",
            "MaxSpotInstanceCountExceeded for m5.large",
        ),
    )
    assert [e.kind for e in result.errors] == [ErrorKind.UNAVAILABLE, ErrorKind.QUOTA]
    assert cloud.owned_instances(CLUSTER) == ()


def test_errors_before_a_success_come_with_the_instance(cloud: Ec2Cloud, hooks: Hooks) -> None:
    def add_error(parsed: dict, **_: Any) -> None:
        # EC2 tried the first override, found no capacity, then launched another.
        parsed["Errors"] = [
            insufficient({"InstanceType": "c5.large", "AvailabilityZone": "us-east-1a"})
        ]

    hooks.register("after-call.ec2.CreateFleet", add_error)
    result = cloud.launch(request())
    assert result.instance is not None
    assert [(e.instance_type, e.zone, e.kind) for e in result.errors] == [
        ("c5.large", "us-east-1a", ErrorKind.UNAVAILABLE)
    ]


def test_a_launched_instance_not_yet_listed_is_reported_pending(
    cloud: Ec2Cloud, hooks: Hooks
) -> None:
    def not_listed_yet(parsed: dict, **_: Any) -> None:
        parsed["Reservations"] = []  # DescribeInstances is eventually consistent

    hooks.register("after-call.ec2.DescribeInstances", not_listed_yet)
    req = request()
    instance = cloud.launch(req).instance
    assert instance is not None
    assert instance.state is InstanceState.PENDING
    assert (instance.instance_type, instance.zone, instance.capacity_type) == (
        "m6i.large",
        "us-east-1b",
        SPOT,
    )
    assert instance.tags[TAG_CLIENT_TOKEN] == "tok-1"
    assert instance.instance_id.startswith("i-")


def test_owned_instances_survive_a_restart_and_leave_out_others(
    cloud: Ec2Cloud, cloud_session: boto3.Session, aws_endpoint: str, network: Network, ec2: Any
) -> None:
    kept = cloud.launch(request("tok-1")).instance
    gone = cloud.launch(request("tok-2", ON_DEMAND)).instance
    assert kept is not None and gone is not None
    cloud.terminate([gone.instance_id])
    # Another cluster's instance, and an instance nobody manages.
    other = make_cloud(
        cloud_session,
        aws_endpoint,
        network,
        cluster="staging",
        launch_template=LaunchTemplateRef("spotwise-prod-general-spot"),
    )
    assert other.launch(request("tok-3", cluster="staging")).instance is not None
    ec2.run_instances(ImageId="ami-12345678", MinCount=1, MaxCount=1)

    restarted = make_cloud(cloud_session, aws_endpoint, network)
    owned = restarted.owned_instances(CLUSTER)
    assert [i.instance_id for i in owned] == [kept.instance_id]
    assert owned[0].tags["spotwise.io/node-name"] == "general-tok-1"
    assert len(restarted.owned_instances("staging")) == 1


def test_terminate_is_idempotent_and_ignores_unknown_ids(cloud: Ec2Cloud) -> None:
    first = cloud.launch(request("tok-1")).instance
    second = cloud.launch(request("tok-2")).instance
    assert first is not None and second is not None
    cloud.terminate([first.instance_id])
    cloud.terminate([first.instance_id])
    # One unknown ID must not stop the others from being terminated.
    cloud.terminate(["i-0123456789abcdef0", second.instance_id])
    cloud.terminate(["i-0123456789abcdef0"])
    cloud.terminate([])
    states = {
        i.instance_id: i.state for i in cloud.describe([first.instance_id, second.instance_id])
    }
    assert states == {
        first.instance_id: InstanceState.TERMINATED,
        second.instance_id: InstanceState.TERMINATED,
    }
    assert cloud.owned_instances(CLUSTER) == ()


def test_describe_keeps_the_order_asked_and_leaves_out_unknown_ids(cloud: Ec2Cloud) -> None:
    first = cloud.launch(request("tok-1")).instance
    second = cloud.launch(request("tok-2")).instance
    assert first is not None and second is not None
    ids = [second.instance_id, "i-0123456789abcdef0", first.instance_id, second.instance_id]
    assert [i.instance_id for i in cloud.describe(ids)] == [second.instance_id, first.instance_id]
    assert cloud.describe([]) == ()


def test_subnets_are_discovered_by_the_cluster_tag_when_not_given(
    cloud_session: boto3.Session,
    aws_endpoint: str,
    network: Network,
    templates: None,
    calls: list[str],
    hooks: Hooks,
) -> None:
    cloud = make_cloud(cloud_session, aws_endpoint, None)
    sent = capture(hooks, "CreateFleet")
    assert cloud.launch(request("tok-1")).instance is not None
    assert cloud.launch(request("tok-2")).instance is not None
    subnets = [o["SubnetId"] for o in sent[0]["LaunchTemplateConfigs"][0]["Overrides"]]
    assert subnets == [network.subnets["us-east-1b"], network.subnets["us-east-1a"]]
    assert calls.count("ec2:DescribeSubnets") == 1  # discovered once, then remembered


def test_an_override_without_a_subnet_is_a_configuration_error(
    cloud: Ec2Cloud, hooks: Hooks
) -> None:
    sent = capture(hooks, "CreateFleet")
    nowhere = (Override("m5.large", "us-east-1c"),)
    result = cloud.launch(request(overrides=nowhere))
    assert result.instance is None
    (error,) = result.errors
    assert (error.instance_type, error.zone, error.code) == (
        "m5.large",
        "us-east-1c",
        NO_SUBNET_CODE,
    )
    assert error.kind is ErrorKind.CONFIGURATION
    assert sent == []  # nothing to launch into, so no call
    # With a placeable override too, the fleet is tried and the error still reported.
    result = cloud.launch(
        request("tok-2", overrides=(*nowhere, Override("m5.large", "us-east-1a")))
    )
    assert result.instance is not None
    assert [e.code for e in result.errors] == [NO_SUBNET_CODE]


def test_call_failures_are_cloud_errors(
    cloud_session: boto3.Session, aws_endpoint: str, network: Network, templates: None, hooks: Hooks
) -> None:
    missing = make_cloud(
        cloud_session, aws_endpoint, network, launch_template=LaunchTemplateRef("no-such-template")
    )
    with pytest.raises(
        CloudError, match=r"ec2:CreateFleet in us-east-1 failed: InvalidLaunchTemplateName"
    ):
        missing.launch(request())

    def denied(**_: Any) -> None:
        raise ClientError(
            {"Error": {"Code": "UnauthorizedOperation", "Message": "not allowed"}},
            "TerminateInstances",
        )

    hooks.register("before-call.ec2.TerminateInstances", denied)
    with pytest.raises(CloudError, match=r"grant ec2:TerminateInstances .*iam-policy.json"):
        missing.terminate(["i-0123456789abcdef0"])


def test_missing_credentials_are_a_cloud_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any, aws_endpoint: str
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    cloud = make_cloud(boto3.Session(region_name="us-east-1"), aws_endpoint, None)
    with pytest.raises(CloudError, match="no AWS credentials found"):
        cloud.owned_instances(CLUSTER)


def test_a_request_for_another_cluster_is_refused(cloud: Ec2Cloud) -> None:
    with pytest.raises(ValueError, match="staging"):
        cloud.launch(request(cluster="staging"))


RESERVATIONS = ("cr-0123456789abcdef0", "cr-0123456789abcdef1")


@pytest.fixture
def reserved_templates(ec2: Any, templates: None) -> None:
    """The reserved templates of pool ``general``, as LaunchTemplates would make them."""
    for reservation in RESERVATIONS:
        ec2.create_launch_template(
            LaunchTemplateName=f"spotwise-{CLUSTER}-general-reserved-{reservation}",
            LaunchTemplateData={
                "ImageId": "ami-12345678",
                "CapacityReservationSpecification": {
                    "CapacityReservationPreference": "capacity-reservations-only",
                    "CapacityReservationTarget": {"CapacityReservationId": reservation},
                },
            },
        )


def reserved_request(token: str = "tok-r") -> LaunchRequest:
    return request(token, ON_DEMAND, capacity_reservations=RESERVATIONS)


def template_of(params: dict) -> str:
    (config,) = params["LaunchTemplateConfigs"]
    return str(config["LaunchTemplateSpecification"]["LaunchTemplateName"])


def reservation_full(parsed: dict, **_: Any) -> None:
    """EC2's answer when the targeted reservation has no room for any override."""
    parsed["Instances"] = []
    parsed["Errors"] = [
        {
            "LaunchTemplateAndOverrides": {
                "Overrides": {"InstanceType": "m6i.large", "AvailabilityZone": "us-east-1b"}
            },
            "Lifecycle": "on-demand",
            "ErrorCode": "InsufficientInstanceCapacity",
            "ErrorMessage": "the capacity reservation has no room",
        }
    ]


def test_a_reserved_launch_uses_the_reservations_template_only(
    cloud: Ec2Cloud, ec2: Any, hooks: Hooks, reserved_templates: None
) -> None:
    sent = capture(hooks, "CreateFleet")
    result = cloud.launch(reserved_request())
    (params,) = sent
    assert template_of(params) == f"spotwise-{CLUSTER}-general-reserved-{RESERVATIONS[0]}"
    # No use-capacity-reservations-first: that would continue with plain on-demand.
    assert params["OnDemandOptions"] == {"AllocationStrategy": "lowest-price"}
    assert params["TargetCapacitySpecification"]["DefaultTargetCapacityType"] == "on-demand"
    assert result.errors == ()
    instance = result.instance
    assert instance is not None
    assert instance.capacity_type is ON_DEMAND
    tags = tags_in_moto(ec2, instance.instance_id)
    assert tags[TAG_CAPACITY_RESERVATION] == RESERVATIONS[0]
    assert tags[TAG_CLIENT_TOKEN] == "tok-r"


def test_a_full_reservation_moves_on_to_the_next(
    cloud: Ec2Cloud, hooks: Hooks, reserved_templates: None
) -> None:
    sent = capture(hooks, "CreateFleet")
    calls = iter([reservation_full])
    hooks.register("after-call.ec2.CreateFleet", lambda **kw: next(calls, lambda **_: None)(**kw))
    result = cloud.launch(reserved_request())
    assert [template_of(p) for p in sent] == [
        f"spotwise-{CLUSTER}-general-reserved-{r}" for r in RESERVATIONS
    ]
    # Each reservation is its own call, under its own ClientToken.
    assert len({p["ClientToken"] for p in sent}) == 2
    assert result.instance is not None
    assert [(e.instance_type, e.capacity_type, e.kind) for e in result.errors] == [
        ("m6i.large", ON_DEMAND, ErrorKind.UNAVAILABLE)
    ]


def test_full_reservations_launch_nothing_so_the_launcher_tries_spot_next(
    cloud: Ec2Cloud, hooks: Hooks, reserved_templates: None
) -> None:
    sent = capture(hooks, "CreateFleet")
    hooks.register("after-call.ec2.CreateFleet", reservation_full)
    result = cloud.launch(reserved_request())
    assert len(sent) == 2
    assert all("CapacityReservationOptions" not in p["OnDemandOptions"] for p in sent)
    assert result.instance is None
    assert result.errors == (
        OfferingError(
            "m6i.large",
            "us-east-1b",
            ON_DEMAND,
            "InsufficientInstanceCapacity",
            "the capacity reservation has no room",
        ),
    )
    # No capacity, so the launcher falls through to its next step (spot).
    assert falls_through(judge(result))


def test_a_fixed_template_is_used_once_for_a_reserved_launch(
    cloud_session: boto3.Session, aws_endpoint: str, network: Network, ec2: Any, hooks: Hooks
) -> None:
    ec2.create_launch_template(LaunchTemplateName="mine", LaunchTemplateData={"ImageId": "ami-1"})
    cloud = make_cloud(
        cloud_session, aws_endpoint, network, launch_template=LaunchTemplateRef("mine")
    )
    sent = capture(hooks, "CreateFleet")
    assert cloud.launch(reserved_request()).instance is not None
    assert [template_of(p) for p in sent] == ["mine"]
    assert sent[0]["OnDemandOptions"] == {"AllocationStrategy": "lowest-price"}


# ---- a pool with an image per architecture ----

X86 = Architecture.X86_64
ARM = Architecture.ARM64


@pytest.fixture
def images(ec2: Any) -> dict[Architecture, str]:
    """An image per architecture, and the per-architecture templates LaunchTemplates makes."""
    found = {
        arch: str(ec2.register_image(Name=f"node-{arch.value}")["ImageId"]) for arch in (X86, ARM)
    }
    for arch, image_id in found.items():
        names = [f"spotwise-{CLUSTER}-general-{ct}-{arch.value}" for ct in ("spot", "on-demand")]
        names += [f"spotwise-{CLUSTER}-general-reserved-{r}-{arch.value}" for r in RESERVATIONS]
        for name in names:
            ec2.create_launch_template(
                LaunchTemplateName=name, LaunchTemplateData={"ImageId": image_id}
            )
    return found


def mixed(first: Architecture = ARM) -> tuple[Override, ...]:
    arm = (
        Override("m7g.large", "us-east-1a", architecture=ARM),
        Override("c7g.large", "us-east-1b", architecture=ARM),
    )
    x86 = (Override("m6i.large", "us-east-1a", architecture=X86),)
    return (*arm, *x86) if first is ARM else (*x86, *arm)


def image_of(ec2: Any, instance_id: str) -> str:
    (reservation,) = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"]
    return str(reservation["Instances"][0]["ImageId"])


def test_each_architecture_launches_from_its_template_in_one_fleet(
    cloud: Ec2Cloud, ec2: Any, hooks: Hooks, images: dict[Architecture, str]
) -> None:
    sent = capture(hooks, "CreateFleet")
    result = cloud.launch(request(overrides=mixed()))
    (params,) = sent
    configs = {
        c["LaunchTemplateSpecification"]["LaunchTemplateName"]: [
            (o["InstanceType"], o["AvailabilityZone"]) for o in c["Overrides"]
        ]
        for c in params["LaunchTemplateConfigs"]
    }
    assert configs == {
        f"spotwise-{CLUSTER}-general-spot-arm64": [
            ("m7g.large", "us-east-1a"),
            ("c7g.large", "us-east-1b"),
        ],
        f"spotwise-{CLUSTER}-general-spot-x86_64": [("m6i.large", "us-east-1a")],
    }
    # moto launches the first override: an arm64 type, booted from the arm64 image.
    instance = result.instance
    assert instance is not None and instance.instance_type == "m7g.large"
    assert image_of(ec2, instance.instance_id) == images[ARM]
    x86 = cloud.launch(request("tok-2", ON_DEMAND, overrides=mixed(X86))).instance
    assert x86 is not None and x86.instance_type == "m6i.large"
    assert image_of(ec2, x86.instance_id) == images[X86]


def test_a_reserved_launch_uses_each_architectures_reservation_template(
    cloud: Ec2Cloud, hooks: Hooks, images: dict[Architecture, str]
) -> None:
    sent = capture(hooks, "CreateFleet")
    req = request("tok-r", ON_DEMAND, capacity_reservations=RESERVATIONS, overrides=mixed())
    assert cloud.launch(req).instance is not None
    (params,) = sent
    assert [
        c["LaunchTemplateSpecification"]["LaunchTemplateName"]
        for c in params["LaunchTemplateConfigs"]
    ] == [
        f"spotwise-{CLUSTER}-general-reserved-{RESERVATIONS[0]}-arm64",
        f"spotwise-{CLUSTER}-general-reserved-{RESERVATIONS[0]}-x86_64",
    ]


def test_an_architecture_without_its_template_fails_the_call(cloud: Ec2Cloud) -> None:
    # Only the templates of one image exist (the `templates` fixture): EC2 refuses the
    # whole call rather than boot the arm64 types from another architecture's image.
    with pytest.raises(CloudError, match=r"InvalidLaunchTemplateName\.NotFoundException"):
        cloud.launch(request(overrides=mixed()))


def test_an_error_for_one_template_is_reported_against_its_overrides_only(
    cloud: Ec2Cloud, hooks: Hooks, images: dict[Architecture, str]
) -> None:
    def arm_image_gone(params: dict) -> dict:
        # EC2 reports a template whose image it cannot use once, naming no type.
        error = {
            "LaunchTemplateAndOverrides": {
                "LaunchTemplateSpecification": {
                    "LaunchTemplateName": f"spotwise-{CLUSTER}-general-spot-arm64"
                }
            },
            "Lifecycle": "spot",
            "ErrorCode": "InvalidAMIID.NotFound",
            "ErrorMessage": "the image does not exist",
        }
        return {"FleetId": "fleet-1", "Errors": [error], "Instances": []}

    answer(hooks, "CreateFleet", arm_image_gone)
    result = cloud.launch(request(overrides=mixed()))
    assert result.instance is None
    assert [(e.instance_type, e.zone, e.kind) for e in result.errors] == [
        ("m7g.large", "us-east-1a", ErrorKind.CONFIGURATION),
        ("c7g.large", "us-east-1b", ErrorKind.CONFIGURATION),
    ]
