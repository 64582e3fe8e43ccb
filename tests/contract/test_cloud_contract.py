"""One suite for every implementation of the Cloud port (see spotwise.ports.cloud).

``sim`` is the simulated cloud over the bundled catalog; ``aws`` is ``Ec2Cloud`` against
the moto server, with refusals injected by rewriting CreateFleet's response in a botocore
hook (moto never runs out of capacity). Behaviour moto cannot show (allocation strategies,
pools running dry) is tested on the simulated cloud alone, in tests/sim.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from conftest import client
from spotwise.catalog.bundled import load_bundled
from spotwise.model.instance_type import Architecture, CapacityType
from spotwise.ports.clock import ManualClock
from spotwise.ports.cloud import (
    TAG_CLUSTER,
    Cloud,
    InstanceState,
    LaunchRequest,
    Override,
)
from spotwise.simulated.cloud import SimulatedCloud

CLUSTER = "contract"
ZONES = ("us-east-1a", "us-east-1b")
TYPES = ("m5.large", "c5.large")
POOL = "default"
ARCHITECTURES = (Architecture.X86_64, Architecture.ARM64)
UNKNOWN_ID = "i-0123456789abcdef0"
LIVE = {InstanceState.PENDING, InstanceState.RUNNING}


class SimWorld:
    """The simulated cloud; one object holds the state, so a 'fresh' one is the same."""

    def __init__(self) -> None:
        self.cloud = SimulatedCloud(load_bundled(), seed=3, clock=ManualClock(1_000.0))

    def fresh(self) -> Cloud:
        return self.cloud

    def override(
        self, instance_type: str, zone: str, architecture: Architecture | None = None
    ) -> Override:
        return Override(instance_type, zone, architecture=architecture)

    def refuse(self, overrides: Sequence[Override], capacity_type: CapacityType, code: str) -> None:
        for o in overrides:
            self.cloud.inject(o.instance_type, o.zone, capacity_type, code)


class AwsWorld:
    """Ec2Cloud against moto: a VPC, a subnet per zone and the pool's launch templates.

    One template per capacity type, and one per capacity type and architecture, as
    LaunchTemplates makes for a pool with one image or an image per architecture.
    """

    def __init__(self, session, endpoint: str) -> None:
        aws = pytest.importorskip("spotwise.aws")
        ec2 = client(session, "ec2", endpoint)
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        self.subnets = {
            zone: ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=zone)[
                "Subnet"
            ]["SubnetId"]
            for i, zone in enumerate(ZONES)
        }
        # A filter: listing all of moto's images takes over a second.
        wanted = [{"Name": "name", "Values": ["amzn2-ami-hvm-*"]}]
        image = ec2.describe_images(Filters=wanted)["Images"][0]["ImageId"]
        for capacity_type in CapacityType:
            for architecture in (None, *ARCHITECTURES):
                name = aws.template_name(CLUSTER, POOL, capacity_type, architecture)
                ec2.create_launch_template(
                    LaunchTemplateName=name, LaunchTemplateData={"ImageId": image}
                )
        self._refusal: tuple[Sequence[Override], CapacityType, str] | None = None
        # Registered before any client is made: botocore clients copy the session's hooks.
        session.events.register("after-call.ec2.CreateFleet", self._rewrite)

        def make() -> Cloud:
            return aws.Ec2Cloud(
                session,
                region="us-east-1",
                cluster=CLUSTER,
                launch_template=aws.LaunchTemplateRef.per_pool(CLUSTER),
                subnets=self.subnets,
                endpoint_url=endpoint,
            )

        self.fresh = make
        self.cloud = make()

    def override(
        self, instance_type: str, zone: str, architecture: Architecture | None = None
    ) -> Override:
        return Override(instance_type, zone, self.subnets[zone], architecture=architecture)

    def refuse(self, overrides: Sequence[Override], capacity_type: CapacityType, code: str) -> None:
        self._refusal = (overrides, capacity_type, code)

    def _rewrite(self, parsed, **kwargs) -> None:
        if self._refusal is None:
            return
        overrides, capacity_type, code = self._refusal
        parsed["Instances"] = []
        parsed["Errors"] = [
            {
                "LaunchTemplateAndOverrides": {
                    "LaunchTemplateSpecification": {
                        "LaunchTemplateName": f"spotwise-{CLUSTER}-{POOL}-{capacity_type.value}"
                    },
                    "Overrides": {
                        "InstanceType": o.instance_type,
                        "SubnetId": self.subnets[o.zone],
                        "AvailabilityZone": o.zone,
                    },
                },
                "Lifecycle": capacity_type.value,
                "ErrorCode": code,
                "ErrorMessage": "refused by the contract test",
            }
            for o in overrides
        ]


@pytest.fixture(params=["sim", "aws"])
def world(request):
    if request.param == "sim":
        return SimWorld()
    # Only the aws half needs moto: the fixtures are looked up here, not in the signature.
    return AwsWorld(
        request.getfixturevalue("boto_session"), request.getfixturevalue("aws_endpoint")
    )


def launch_request(world, token="contract-token-1", capacity_type=CapacityType.SPOT, node="n-0"):
    return LaunchRequest(
        client_token=token,
        cluster=CLUSTER,
        pool=POOL,
        node_name=node,
        capacity_type=capacity_type,
        overrides=tuple(world.override(t, z) for t in TYPES for z in ZONES),
        tags={"team": "contract"},
    )


@pytest.mark.parametrize("capacity_type", list(CapacityType))
def test_launch_returns_one_instance_from_the_overrides_with_the_requests_tags(
    world, capacity_type
):
    request = launch_request(world, capacity_type=capacity_type)
    result = world.cloud.launch(request)
    instance = result.instance
    assert instance is not None, result.errors
    assert (instance.instance_type, instance.zone) in {
        (o.instance_type, o.zone) for o in request.overrides
    }
    assert instance.capacity_type is capacity_type
    assert request.all_tags().items() <= dict(instance.tags).items()
    assert instance.state in LIVE
    assert instance.instance_id.startswith("i-")
    assert instance.provider_id == f"aws:///{instance.zone}/{instance.instance_id}"


def test_the_same_client_token_returns_the_same_instance(world):
    request = launch_request(world)
    first = world.cloud.launch(request).instance
    again = world.cloud.launch(request).instance
    assert first is not None and again is not None
    assert again.instance_id == first.instance_id
    assert [i.instance_id for i in world.cloud.owned_instances(CLUSTER)] == [first.instance_id]


def test_owned_instances_are_found_by_a_fresh_cloud_object(world):
    a = world.cloud.launch(launch_request(world, token="t-a", node="n-a")).instance
    b = world.cloud.launch(launch_request(world, token="t-b", node="n-b")).instance
    owned = world.fresh().owned_instances(CLUSTER)
    assert {i.instance_id for i in owned} == {a.instance_id, b.instance_id}
    assert all(i.tags[TAG_CLUSTER] == CLUSTER for i in owned)
    assert world.fresh().owned_instances("another-cluster") == ()


def test_terminate_removes_the_instance_from_owned_and_is_idempotent(world):
    kept = world.cloud.launch(launch_request(world, token="t-kept", node="n-kept")).instance
    gone = world.cloud.launch(launch_request(world, token="t-gone", node="n-gone")).instance
    world.cloud.terminate([gone.instance_id])
    world.cloud.terminate([gone.instance_id])  # already gone: not an error
    assert [i.instance_id for i in world.cloud.owned_instances(CLUSTER)] == [kept.instance_id]
    described = world.cloud.describe([gone.instance_id])
    assert all(i.state not in LIVE for i in described)


def test_terminating_an_unknown_instance_is_not_an_error(world):
    world.cloud.terminate([UNKNOWN_ID])


def test_describe_leaves_unknown_ids_out(world):
    instance = world.cloud.launch(launch_request(world)).instance
    assert world.cloud.describe([UNKNOWN_ID]) == ()
    described = world.cloud.describe([UNKNOWN_ID, instance.instance_id])
    assert [i.instance_id for i in described] == [instance.instance_id]


def test_a_launch_every_override_refuses_reports_one_error_per_override(world):
    request = launch_request(world)
    world.refuse(request.overrides, CapacityType.SPOT, "InsufficientInstanceCapacity")
    result = world.cloud.launch(request)
    assert result.instance is None
    assert sorted((e.instance_type, e.zone) for e in result.errors) == sorted(
        (o.instance_type, o.zone) for o in request.overrides
    )
    assert {(e.capacity_type, e.code) for e in result.errors} == {
        (CapacityType.SPOT, "InsufficientInstanceCapacity")
    }


MIXED = (("m5.large", Architecture.X86_64), ("m6g.large", Architecture.ARM64))


def mixed_request(world, capacity_type=CapacityType.SPOT, token="contract-mixed"):
    return LaunchRequest(
        client_token=token,
        cluster=CLUSTER,
        pool=POOL,
        node_name="n-mixed",
        capacity_type=capacity_type,
        overrides=tuple(world.override(t, z, a) for t, a in MIXED for z in ZONES),
    )


@pytest.mark.parametrize("capacity_type", list(CapacityType))
def test_overrides_spanning_architectures_launch_one_instance_of_them(world, capacity_type):
    request = mixed_request(world, capacity_type)
    result = world.cloud.launch(request)
    instance = result.instance
    assert instance is not None, result.errors
    assert (instance.instance_type, instance.zone) in {
        (o.instance_type, o.zone) for o in request.overrides
    }
    assert request.all_tags().items() <= dict(instance.tags).items()
    assert world.cloud.launch(request).instance.instance_id == instance.instance_id
    assert [i.instance_id for i in world.cloud.owned_instances(CLUSTER)] == [instance.instance_id]


def test_refusals_of_every_architecture_come_back_one_per_override(world):
    request = mixed_request(world)
    world.refuse(request.overrides, CapacityType.SPOT, "InsufficientInstanceCapacity")
    result = world.cloud.launch(request)
    assert result.instance is None
    assert sorted((e.instance_type, e.zone) for e in result.errors) == sorted(
        (o.instance_type, o.zone) for o in request.overrides
    )
