"""The online checks against the moto server: facts gathered by AwsFacts, then judged."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from aws.conftest import Hooks, Network, new_session
from conftest import client
from spotwise.catalog.catalog import Catalog
from spotwise.config.nodepool import NodePool
from spotwise.model.instance_type import Architecture
from spotwise.ports.cloud import CloudError
from spotwise.validate import VALIDATE_CALLS, AwsFacts, Finding, Severity, online_findings
from spotwise.validate.facts import Image, InstanceProfile, Snapshot
from validate.conftest import FIVE_X86, make_pool

ERROR, WARNING = Severity.ERROR, Severity.WARNING
# moto refuses parameters under /aws/, so the tests publish the image under their own path.
AMI_PARAMETER = (
    "/test/eks/optimized-ami/1.31/amazon-linux-2023/x86_64/standard/recommended/image_id"
)
MISSING_AMI = "ami-0123456789abcdef0"
MISSING_SNAPSHOT = "snap-0123456789abcdef0"


@pytest.fixture
def image_id(ec2: Any) -> str:
    """An AMI in moto (root device /dev/sda1, no architecture: moto keeps neither as given)."""
    return str(ec2.register_image(Name="eks-node", RootDeviceName="/dev/xvda")["ImageId"])


@pytest.fixture
def iam(aws_endpoint: str) -> Any:
    return client(new_session(), "iam", aws_endpoint)


def make_profile(iam: Any, name: str = "NodeProfile", *, with_role: bool = True) -> None:
    iam.create_instance_profile(InstanceProfileName=name)
    if with_role:
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "ec2.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
        iam.create_role(RoleName=f"{name}Role", AssumeRolePolicyDocument=json.dumps(trust))
        iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=f"{name}Role")


def snapshot_of(ec2: Any, size_gib: int) -> str:
    volume = ec2.create_volume(AvailabilityZone="us-east-1a", Size=size_gib)["VolumeId"]
    return str(ec2.create_snapshot(VolumeId=volume)["SnapshotId"])


def good_pool(image_id: str, name: str = "general", **launch: Any) -> NodePool:
    return make_pool(
        name,
        launch={
            "ami": {"id": image_id},
            "blockDeviceMappings": [{"deviceName": "/dev/sda1", "ebs": {"volumeSize": "50Gi"}}],
            **launch,
        },
        instanceTypes=FIVE_X86,
        zones=["us-east-1a", "us-east-1b"],
    )


def check(facts: AwsFacts, pool: NodePool, catalog: Catalog) -> list[Finding]:
    return online_findings(pool, facts.pool_facts(pool), catalog)


def brief(findings: list[Finding]) -> list[tuple[Severity, str]]:
    return [(f.severity, f.field) for f in findings]


def test_a_pool_whose_launch_settings_exist_passes(
    facts: AwsFacts,
    catalog: Catalog,
    image_id: str,
    network: Network,
    iam: Any,
    calls: list[str],
) -> None:
    make_profile(iam)
    pool = good_pool(image_id)
    found = facts.pool_facts(pool)
    assert found.image == Image(image_id, "/dev/sda1", None)
    assert found.subnets is not None and dict(found.subnets.subnets) == network.subnets
    assert found.security_groups is not None
    assert found.security_groups.security_groups == (network.security_group_id,)
    assert found.instance_profile == InstanceProfile("NodeProfile", True, ("NodeProfileRole",))
    assert online_findings(pool, found, catalog) == []
    assert set(calls) <= VALIDATE_CALLS


def test_a_root_mapping_not_named_as_the_images_root_is_an_error(
    facts: AwsFacts, catalog: Catalog, image_id: str, network: Network, iam: Any
) -> None:
    make_profile(iam)
    # moto's images have the root /dev/sda1: /dev/xvda is another volume there.
    xvda = good_pool(
        image_id,
        blockDeviceMappings=[{"deviceName": "/dev/xvda", "ebs": {"volumeSize": "50Gi"}}],
    )
    (finding,) = check(facts, xvda, catalog)
    assert (finding.severity, finding.field, finding.fix) == (
        ERROR,
        "spec.launch.blockDeviceMappings[0].deviceName",
        "use /dev/sda1",
    )


def test_root_device_and_architecture_as_ec2_reports_them(
    facts: AwsFacts, catalog: Catalog, image_id: str, network: Network, iam: Any, hooks: Hooks
) -> None:
    make_profile(iam)

    def al2023_arm(parsed: dict, **_: Any) -> None:
        # What DescribeImages says of an AL2023 arm64 image; moto keeps neither field.
        for image in parsed.get("Images", ()):
            image.update(RootDeviceName="/dev/xvda", Architecture="arm64")

    hooks.register("after-call.ec2.DescribeImages", al2023_arm)
    pool = good_pool(
        image_id, blockDeviceMappings=[{"deviceName": "xvda", "ebs": {"volumeSize": "50Gi"}}]
    )
    findings = check(facts, pool, catalog)
    assert brief(findings) == [(ERROR, f"spec.instanceTypes[{i}]") for i in range(5)] + [
        (ERROR, "spec.launch.blockDeviceMappings[0].deviceName")
    ]
    assert "runs x86_64, but the pool's image" in findings[0].message
    assert findings[-1].fix == "use /dev/xvda"


def test_an_image_that_does_not_resolve_is_an_error(
    facts: AwsFacts, catalog: Catalog, image_id: str, network: Network, iam: Any, ec2: Any
) -> None:
    make_profile(iam)
    (finding,) = check(facts, good_pool(MISSING_AMI), catalog)
    assert (finding.severity, finding.field) == (ERROR, "spec.launch.ami.id")
    assert finding.message.startswith(f"image {MISSING_AMI} does not exist in us-east-1")

    (finding,) = check(facts, good_pool(image_id, ami={"ssmParameter": AMI_PARAMETER}), catalog)
    assert (finding.field, finding.message) == (
        "spec.launch.ami.ssmParameter",
        f"{AMI_PARAMETER} does not exist in us-east-1",
    )

    (finding,) = check(facts, good_pool(image_id, ami={"tags": {"role": "node"}}), catalog)
    assert finding.field == "spec.launch.ami.tags"
    assert "has the tags {'role': 'node'}" in finding.message


def test_a_parameter_naming_a_missing_image_is_an_error(
    facts: AwsFacts, catalog: Catalog, image_id: str, network: Network, iam: Any, ec2: Any
) -> None:
    make_profile(iam)
    ssm = client(new_session(), "ssm", ec2.meta.endpoint_url)
    ssm.put_parameter(Name=AMI_PARAMETER, Value=MISSING_AMI, Type="String")
    (finding,) = check(facts, good_pool(image_id, ami={"ssmParameter": AMI_PARAMETER}), catalog)
    assert finding.field == "spec.launch.ami.ssmParameter"
    assert finding.message.startswith(
        f"image {MISSING_AMI} (the value of {AMI_PARAMETER}) does not exist"
    )


def test_an_image_found_by_ssm_parameter_or_tags_passes(
    facts: AwsFacts, catalog: Catalog, image_id: str, network: Network, iam: Any, ec2: Any
) -> None:
    make_profile(iam)
    ssm = client(new_session(), "ssm", ec2.meta.endpoint_url)
    ssm.put_parameter(Name=AMI_PARAMETER, Value=image_id, Type="String")
    ec2.create_tags(Resources=[image_id], Tags=[{"Key": "role", "Value": "node"}])
    for ami in ({"ssmParameter": AMI_PARAMETER}, {"tags": {"role": "node"}}):
        pool = good_pool(image_id, ami=ami)
        assert facts.pool_facts(pool).image == Image(image_id, "/dev/sda1", None)
        assert check(facts, pool, catalog) == []


def test_snapshots_must_exist_and_fit(
    facts: AwsFacts, catalog: Catalog, image_id: str, network: Network, iam: Any, ec2: Any
) -> None:
    make_profile(iam)
    snapshot = snapshot_of(ec2, 20)
    pool = good_pool(
        image_id,
        blockDeviceMappings=[
            {"deviceName": "/dev/sda1", "ebs": {"volumeSize": "50Gi"}},
            {"deviceName": "/dev/xvdb", "ebs": {"snapshotId": MISSING_SNAPSHOT}},
            {"deviceName": "/dev/xvdc", "ebs": {"snapshotId": snapshot, "volumeSize": "10Gi"}},
            {"deviceName": "/dev/xvdd", "ebs": {"snapshotId": snapshot}},
        ],
    )
    found = facts.pool_facts(pool)
    assert found.snapshots == {
        MISSING_SNAPSHOT: Snapshot(MISSING_SNAPSHOT, exists=False),
        snapshot: Snapshot(snapshot, exists=True, size_gib=20),
    }
    findings = online_findings(pool, found, catalog)
    assert brief(findings) == [
        (ERROR, "spec.launch.blockDeviceMappings[1].ebs.snapshotId"),
        (ERROR, "spec.launch.blockDeviceMappings[2].ebs.volumeSize"),
    ]
    assert "InvalidSnapshot.NotFound" in findings[0].message


def test_subnets_per_zone_and_security_groups_must_be_found(
    facts: AwsFacts, catalog: Catalog, image_id: str, network: Network, iam: Any
) -> None:
    make_profile(iam)
    pool = make_pool(
        launch={
            "ami": {"id": image_id},
            "securityGroupSelector": {"team": "x"},
        },
        instanceTypes=FIVE_X86,
        zones=["us-east-1a", "us-east-1c"],
    )
    subnets, groups = check(facts, pool, catalog)
    assert (subnets.severity, subnets.field) == (ERROR, "spec.launch.subnetSelector")
    assert "in us-east-1c (only in us-east-1a, us-east-1b)" in subnets.message
    assert (groups.severity, groups.field) == (ERROR, "spec.launch.securityGroupSelector")


def test_the_instance_profile_must_exist_and_hold_a_role(
    facts: AwsFacts, catalog: Catalog, image_id: str, network: Network, iam: Any
) -> None:
    make_profile(iam, "Empty", with_role=False)
    (missing,) = check(facts, good_pool(image_id, instanceProfile="Nope"), catalog)
    assert (missing.severity, missing.field) == (ERROR, "spec.launch.instanceProfile")
    assert missing.message.startswith("Nope is not an instance profile of this account")
    (empty,) = check(facts, good_pool(image_id, instanceProfile="Empty"), catalog)
    assert "holds no role" in empty.message
    # An ARN is looked up by its name.
    make_profile(iam, "ByArn")
    arn = "arn:aws:iam::123456789012:instance-profile/nodes/ByArn"
    assert check(facts, good_pool(image_id, instanceProfile=arn), catalog) == []


def test_default_selectors_without_a_cluster_are_not_checked(
    validate_session: Any, aws_endpoint: str, catalog: Catalog, image_id: str, iam: Any
) -> None:
    make_profile(iam)
    no_cluster = AwsFacts(validate_session, region="us-east-1", endpoint_url=aws_endpoint)
    findings = check(no_cluster, good_pool(image_id), catalog)
    assert brief(findings) == [
        (WARNING, "spec.launch.subnetSelector"),
        (WARNING, "spec.launch.securityGroupSelector"),
    ]
    assert findings[0].message.startswith("not checked: the pool gives no selector")
    assert findings[0].fix == "pass --cluster NAME, or set the selector"


def test_a_refused_call_is_a_warning_and_the_other_checks_go_on(
    facts: AwsFacts, catalog: Catalog, image_id: str, network: Network, hooks: Hooks
) -> None:
    def denied(**_: Any) -> None:
        raise ClientError(
            {"Error": {"Code": "AccessDenied", "Message": "not allowed"}}, "GetInstanceProfile"
        )

    hooks.register("before-call.iam.GetInstanceProfile", denied)
    (finding,) = check(facts, good_pool(MISSING_AMI), catalog)[1:]
    assert (finding.severity, finding.field) == (WARNING, "spec.launch.instanceProfile")
    assert "not checked: iam:GetInstanceProfile in us-east-1 failed: AccessDenied" in (
        finding.message
    )


def test_other_failures_stop_the_run(
    facts: AwsFacts, image_id: str, network: Network, hooks: Hooks
) -> None:
    def broken(**_: Any) -> None:
        raise ClientError(
            {"Error": {"Code": "AuthFailure", "Message": "bad key"}}, "DescribeImages"
        )

    hooks.register("before-call.ec2.DescribeImages", broken)
    with pytest.raises(CloudError, match=r"ec2:DescribeImages in us-east-1 failed: AuthFailure"):
        facts.pool_facts(good_pool(image_id))


def test_each_value_is_looked_up_once(
    facts: AwsFacts, image_id: str, network: Network, iam: Any, calls: list[str]
) -> None:
    make_profile(iam)
    for name in ("a", "b"):
        facts.pool_facts(good_pool(image_id, name=name))
    assert sorted(calls) == [
        "ec2:DescribeImages",
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeSubnets",
        "iam:GetInstanceProfile",
    ]


def test_a_pool_without_launch_settings_needs_no_call(facts: AwsFacts, calls: list[str]) -> None:
    found = facts.pool_facts(make_pool())
    assert (found.image, found.subnets, found.instance_profile, calls) == (None, None, None, [])


# ---- an image per architecture ----

ARM_PARAMETER = AMI_PARAMETER.replace("/x86_64/", "/arm64/")


def per_architecture(images: dict[str, dict[str, str]], **launch: Any) -> NodePool:
    return make_pool(
        launch={
            "amiByArchitecture": images,
            "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"volumeSize": "50Gi"}}],
            **launch,
        },
        instanceTypes=["m6i.large", "m7g.large", "c7g.large"],
        zones=["us-east-1a", "us-east-1b"],
    )


def test_each_architectures_image_is_looked_up_and_must_be_of_that_architecture(
    facts: AwsFacts, catalog: Catalog, network: Network, iam: Any, ec2: Any, hooks: Hooks
) -> None:
    make_profile(iam)
    x86 = str(ec2.register_image(Name="node-x86")["ImageId"])
    arm = str(ec2.register_image(Name="node-arm")["ImageId"])
    reported = {x86: "x86_64", arm: "arm64"}

    def as_ec2_reports(parsed: dict, **_: Any) -> None:
        # moto keeps no architecture and roots every image at /dev/sda1; EC2 says these.
        for image in parsed.get("Images", ()):
            image.update(RootDeviceName="/dev/xvda", Architecture=reported[image["ImageId"]])

    hooks.register("after-call.ec2.DescribeImages", as_ec2_reports)
    pool = per_architecture({"x86_64": {"id": x86}, "arm64": {"id": arm}})
    found = facts.pool_facts(pool)
    assert found.image is None
    assert found.images_by_architecture == {
        Architecture.X86_64: Image(x86, "/dev/xvda", Architecture.X86_64),
        Architecture.ARM64: Image(arm, "/dev/xvda", Architecture.ARM64),
    }
    assert online_findings(pool, found, catalog) == []

    swapped = per_architecture({"x86_64": {"id": arm}, "arm64": {"id": x86}})
    findings = check(facts, swapped, catalog)
    assert brief(findings) == [
        (ERROR, "spec.launch.amiByArchitecture.x86_64"),
        (ERROR, "spec.launch.amiByArchitecture.arm64"),
    ]
    assert findings[1].message.startswith(f"image {x86} is x86_64, but it is given for arm64")

    # Each image's root device is checked too.
    xvdb_root = per_architecture(
        {"x86_64": {"id": x86}, "arm64": {"id": arm}},
        blockDeviceMappings=[{"deviceName": "xvda", "ebs": {"volumeSize": "50Gi"}}],
    )
    assert (
        brief(check(facts, xvdb_root, catalog))
        == [(ERROR, "spec.launch.blockDeviceMappings[0].deviceName")] * 2
    )


def test_an_architectures_image_that_does_not_resolve_is_an_error_on_its_key(
    facts: AwsFacts, catalog: Catalog, image_id: str, network: Network, iam: Any, ec2: Any
) -> None:
    make_profile(iam)
    pool = per_architecture(
        {"x86_64": {"id": image_id}, "arm64": {"ssmParameter": ARM_PARAMETER}},
        blockDeviceMappings=[],
    )
    (finding,) = check(facts, pool, catalog)
    assert (finding.severity, finding.field, finding.message) == (
        ERROR,
        "spec.launch.amiByArchitecture.arm64.ssmParameter",
        f"{ARM_PARAMETER} does not exist in us-east-1",
    )
    missing = per_architecture(
        {"x86_64": {"id": image_id}, "arm64": {"id": MISSING_AMI}}, blockDeviceMappings=[]
    )
    (finding,) = check(facts, missing, catalog)
    assert finding.field == "spec.launch.amiByArchitecture.arm64.id"
    assert finding.message.startswith(f"image {MISSING_AMI} does not exist in us-east-1")
    # A tag selector searches the images of the architecture it is given for.
    (builder,) = ec2.run_instances(ImageId="ami-12345678", MinCount=1, MaxCount=1)["Instances"]
    x86 = ec2.create_image(InstanceId=builder["InstanceId"], Name="node")["ImageId"]  # x86_64
    ec2.create_tags(Resources=[x86], Tags=[{"Key": "role", "Value": "node"}])
    tagged = per_architecture(
        {"x86_64": {"tags": {"role": "node"}}, "arm64": {"tags": {"role": "node"}}},
        blockDeviceMappings=[],
    )
    (finding,) = check(facts, tagged, catalog)
    assert finding.field == "spec.launch.amiByArchitecture.arm64.tags"
    assert finding.message.startswith("no available image for arm64")


def test_a_refused_image_lookup_is_not_checked_under_its_key(
    facts: AwsFacts, catalog: Catalog, image_id: str, network: Network, iam: Any, hooks: Hooks
) -> None:
    make_profile(iam)

    def denied(**_: Any) -> None:
        raise ClientError(
            {"Error": {"Code": "UnauthorizedOperation", "Message": "no"}}, "DescribeImages"
        )

    hooks.register("before-call.ec2.DescribeImages", denied)
    pool = per_architecture({"x86_64": {"id": image_id}, "arm64": {"id": MISSING_AMI}})
    assert brief(check(facts, pool, catalog)) == [
        (WARNING, "spec.launch.amiByArchitecture.x86_64"),
        (WARNING, "spec.launch.amiByArchitecture.arm64"),
    ]
