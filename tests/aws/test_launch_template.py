"""Launch templates: the pure data (user data, IMDS, disks, tags) and keeping EC2 in step."""

from __future__ import annotations

import base64
import email
from typing import Any

import boto3
import pytest
import yaml
from prometheus_client import CollectorRegistry

from aws.conftest import CLUSTER, Hooks, Network, new_session
from conftest import client
from spotwise.aws import ClusterJoin, Ec2Cloud, LaunchTemplateRef, LaunchTemplates, PoolTemplates
from spotwise.aws.launch_template import launch_template_data, reserved_template_data
from spotwise.catalog.bundled import load_bundled
from spotwise.config.nodepool import NodePool, parse_nodepool
from spotwise.decisions.scheduling.plan import NewNode
from spotwise.errors import UserError
from spotwise.model.instance_type import Architecture, CapacityType
from spotwise.model.labels import capacity_type_labels
from spotwise.model.resources import Resources
from spotwise.ports.clock import ManualClock
from spotwise.ports.cloud import TAG_CAPACITY_RESERVATION, LaunchRequest, Override
from spotwise.provisioning.launcher import Launched, Launcher, LaunchIntent, settings_for
from spotwise.provisioning.unavailable import UnavailableOfferings

SPOT = CapacityType.SPOT
ON_DEMAND = CapacityType.ON_DEMAND
JOIN = ClusterJoin(
    name=CLUSTER,
    api_server_endpoint="https://ABC.gr7.us-east-1.eks.amazonaws.com",
    certificate_authority="Q0VSVElGSUNBVEU=",
    cidr="172.20.0.0/16",
)
# moto refuses parameters under /aws/ (reserved for AWS), so the tests publish their own.
AMI_PARAMETER = (
    "/test/eks/optimized-ami/1.31/amazon-linux-2023/x86_64/standard/recommended/image_id"
)


def pool(name: str = "general", launch: dict | None = None, **spec: Any) -> NodePool:
    launch = {"instanceProfile": "NodeProfile", **(launch or {})}
    if "amiByArchitecture" not in launch:
        launch.setdefault("ami", {"id": "ami-0123456789abcdef0"})
    return parse_nodepool(
        {
            "apiVersion": "spotwise.io/v1alpha1",
            "kind": "NodePool",
            "metadata": {"name": name},
            "spec": {"launch": launch, **spec},
        }
    )


def data(p: NodePool, capacity_type: CapacityType = SPOT) -> dict:
    return launch_template_data(
        p,
        capacity_type,
        cluster=JOIN,
        image_id="ami-0123456789abcdef0",
        security_group_ids=["sg-1"],
    )


def mime_parts(launch_data: dict) -> list[email.message.Message]:
    message = email.message_from_string(base64.b64decode(launch_data["UserData"]).decode())
    assert message.get_content_type() == "multipart/mixed"
    return list(message.get_payload())


def node_config(launch_data: dict) -> dict:
    first = mime_parts(launch_data)[0]
    assert first.get_content_type() == "application/node.eks.aws"
    return yaml.safe_load(first.get_payload())


def kubelet_flags(config: dict) -> dict[str, str]:
    return dict(
        flag.removeprefix("--").split("=", 1) for flag in config["spec"]["kubelet"]["flags"]
    )


def test_user_data_joins_the_cluster_with_every_label_and_taint() -> None:
    p = pool(
        labels={"team": "web"},
        taints=[
            {"key": "spotInstance", "value": "true", "effect": "PreferNoSchedule"},
            {"key": "example.com/dedicated", "effect": "NoExecute"},
        ],
    )
    config = node_config(data(p))
    assert config["apiVersion"] == "node.eks.aws/v1alpha1"
    assert config["kind"] == "NodeConfig"
    assert config["spec"]["cluster"] == {
        "name": CLUSTER,
        "apiServerEndpoint": JOIN.api_server_endpoint,
        "certificateAuthority": JOIN.certificate_authority,
        "cidr": JOIN.cidr,
    }
    flags = kubelet_flags(config)
    labels = dict(pair.split("=", 1) for pair in flags["node-labels"].split(","))
    assert labels == {
        **capacity_type_labels(SPOT),
        "spotwise.io/node-pool": "general",
        "team": "web",
        # What drift is told by: the pool's settings when the node was launched.
        "spotwise.io/nodepool-hash": p.spec.settings_hash,
    }
    assert labels["lifecycle"] == "Ec2Spot"
    assert labels["karpenter.sh/capacity-type"] == "spot"
    assert labels["eks.amazonaws.com/capacityType"] == "SPOT"
    assert flags["register-with-taints"] == (
        "spotInstance=true:PreferNoSchedule,example.com/dedicated:NoExecute"
    )


def test_on_demand_templates_carry_on_demand_labels_and_pool_labels_win() -> None:
    flags = kubelet_flags(node_config(data(pool(labels={"tier": "a"}), ON_DEMAND)))
    labels = dict(pair.split("=", 1) for pair in flags["node-labels"].split(","))
    assert labels["lifecycle"] == "OnDemand"
    assert labels["spotinst.io/node-lifecycle"] == "od"
    assert labels["eks.amazonaws.com/capacityType"] == "ON_DEMAND"
    assert "register-with-taints" not in flags
    own = kubelet_flags(node_config(data(pool(labels={"lifecycle": "mine"}), ON_DEMAND)))
    assert "lifecycle=mine" in own["node-labels"].split(",")


def test_imds_v2_with_hop_limit_two_by_default_and_as_configured() -> None:
    assert data(pool())["MetadataOptions"] == {
        "HttpTokens": "required",
        "HttpPutResponseHopLimit": 2,
        "HttpEndpoint": "enabled",
    }
    custom = pool(
        launch={"metadataOptions": {"httpPutResponseHopLimit": 1, "httpTokens": "optional"}}
    )
    assert data(custom)["MetadataOptions"]["HttpPutResponseHopLimit"] == 1
    assert data(custom)["MetadataOptions"]["HttpTokens"] == "optional"


def test_image_profile_groups_disks_and_tags() -> None:
    p = pool(
        launch={
            "blockDeviceMappings": [
                {
                    "deviceName": "/dev/xvda",
                    "ebs": {
                        "volumeSize": "100Gi",
                        "volumeType": "gp3",
                        "iops": 4000,
                        "throughput": 250,
                        "encrypted": True,
                        "kmsKeyId": "alias/nodes",
                    },
                },
                {
                    "deviceName": "/dev/xvdb",
                    "ebs": {"snapshotId": "snap-0123456789abcdef0", "deleteOnTermination": False},
                },
            ]
        }
    )
    d = data(p)
    assert d["ImageId"] == "ami-0123456789abcdef0"
    assert d["IamInstanceProfile"] == {"Name": "NodeProfile"}
    assert d["SecurityGroupIds"] == ["sg-1"]
    assert d["BlockDeviceMappings"] == [
        {
            "DeviceName": "/dev/xvda",
            "Ebs": {
                "VolumeSize": 100,
                "VolumeType": "gp3",
                "Iops": 4000,
                "Throughput": 250,
                "Encrypted": True,
                "KmsKeyId": "alias/nodes",
                "DeleteOnTermination": True,
            },
        },
        {
            "DeviceName": "/dev/xvdb",
            "Ebs": {"SnapshotId": "snap-0123456789abcdef0", "DeleteOnTermination": False},
        },
    ]
    instance, volume = d["TagSpecifications"]
    assert (instance["ResourceType"], volume["ResourceType"]) == ("instance", "volume")
    assert {t["Key"]: t["Value"] for t in instance["Tags"]} == {
        "spotwise.io/managed": "true",
        "spotwise.io/cluster": CLUSTER,
        "spotwise.io/node-pool": "general",
        "spotwise.io/capacity-type": "spot",
        f"kubernetes.io/cluster/{CLUSTER}": "owned",
    }
    arn = "arn:aws:iam::123456789012:instance-profile/NodeProfile"
    assert data(pool(launch={"instanceProfile": arn}))["IamInstanceProfile"] == {"Arn": arn}
    assert "BlockDeviceMappings" not in data(pool())


def test_the_pools_user_data_follows_the_node_config() -> None:
    script = "#!/bin/bash\necho hello\n"
    parts = mime_parts(data(pool(launch={"userData": script})))
    assert [p.get_content_type() for p in parts] == [
        "application/node.eks.aws",
        "text/x-shellscript",
    ]
    assert parts[1].get_payload() == script

    extra = (
        "apiVersion: node.eks.aws/v1alpha1\nkind: NodeConfig\nspec:\n"
        "  kubelet:\n    config:\n      maxPods: 110\n"
    )
    parts = mime_parts(data(pool(launch={"userData": extra})))
    assert [p.get_content_type() for p in parts] == ["application/node.eks.aws"] * 2
    assert yaml.safe_load(parts[1].get_payload())["spec"]["kubelet"]["config"] == {"maxPods": 110}

    multipart = (
        'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="BOUNDARY"\n\n'
        "--BOUNDARY\nContent-Type: text/cloud-config\n\n#cloud-config\nruncmd: [true]\n"
        "--BOUNDARY\nContent-Type: text/x-shellscript\n\n#!/bin/sh\necho two\n"
        "--BOUNDARY--\n"
    )
    parts = mime_parts(data(pool(launch={"userData": multipart})))
    assert [p.get_content_type() for p in parts] == [
        "application/node.eks.aws",
        "text/cloud-config",
        "text/x-shellscript",
    ]
    assert "echo two" in parts[2].get_payload()


def test_the_same_pool_gives_the_same_data() -> None:
    # A fixed MIME boundary: an unchanged pool must not create a new template version.
    assert data(pool(labels={"a": "b"})) == data(pool(labels={"a": "b"}))


def test_a_pool_without_launch_cannot_get_a_template() -> None:
    bare = parse_nodepool(
        {"apiVersion": "spotwise.io/v1alpha1", "kind": "NodePool", "metadata": {"name": "bare"}}
    )
    with pytest.raises(UserError, match=r"pool bare: spec.launch: is missing"):
        data(bare)


# ---- against moto ----


@pytest.fixture
def templates(cloud_session: boto3.Session, aws_endpoint: str, network: Network) -> LaunchTemplates:
    return LaunchTemplates(
        cloud_session, region="us-east-1", cluster=JOIN, endpoint_url=aws_endpoint
    )


@pytest.fixture
def image_id(ec2: Any) -> str:
    """An AMI in moto, published under AMI_PARAMETER as EKS publishes its AMIs."""
    image = ec2.register_image(Name="eks-node", Architecture="x86_64", RootDeviceName="/dev/xvda")
    ssm = client(new_session(), "ssm", ec2.meta.endpoint_url)
    ssm.put_parameter(Name=AMI_PARAMETER, Value=image["ImageId"], Type="String")
    return str(image["ImageId"])


def version_of(ec2: Any, name: str) -> tuple[int, dict]:
    (version,) = ec2.describe_launch_template_versions(
        LaunchTemplateName=name, Versions=["$Latest"]
    )["LaunchTemplateVersions"]
    return version["VersionNumber"], version["LaunchTemplateData"]


def test_ensure_creates_a_template_per_capacity_type_from_the_ssm_image(
    templates: LaunchTemplates, ec2: Any, image_id: str, network: Network, calls: list[str]
) -> None:
    p = pool(launch={"ami": {"ssmParameter": AMI_PARAMETER}})
    refs = templates.ensure(p)
    assert refs == {
        SPOT: LaunchTemplateRef(f"spotwise-{CLUSTER}-general-spot", "1"),
        ON_DEMAND: LaunchTemplateRef(f"spotwise-{CLUSTER}-general-on-demand", "1"),
    }
    number, stored = version_of(ec2, f"spotwise-{CLUSTER}-general-spot")
    assert number == 1
    assert stored["ImageId"] == image_id
    # Security groups found by the cluster's discovery tag.
    assert stored["SecurityGroupIds"] == [network.security_group_id]
    assert stored["MetadataOptions"]["HttpTokens"] == "required"
    assert "ssm:GetParameter" in calls
    (template,) = ec2.describe_launch_templates(
        LaunchTemplateNames=[f"spotwise-{CLUSTER}-general-spot"]
    )["LaunchTemplates"]
    assert {t["Key"]: t["Value"] for t in template["Tags"]}["spotwise.io/cluster"] == CLUSTER


def test_ensure_adds_a_version_only_when_the_pool_changed(
    templates: LaunchTemplates, ec2: Any, calls: list[str]
) -> None:
    name = f"spotwise-{CLUSTER}-general-spot"
    templates.ensure(pool(capacityTypes=["spot"]))
    templates.ensure(pool(capacityTypes=["spot"]))
    assert version_of(ec2, name)[0] == 1
    assert "ec2:CreateLaunchTemplateVersion" not in calls
    refs = templates.ensure(pool(capacityTypes=["spot"], labels={"team": "web"}))
    assert refs[SPOT] == LaunchTemplateRef(name, "2")
    number, stored = version_of(ec2, name)
    assert number == 2
    user_data = base64.b64decode(stored["UserData"]).decode()
    assert "team=web" in user_data


def test_ec2_cloud_launches_from_the_ensured_template(
    templates: LaunchTemplates,
    cloud_session: boto3.Session,
    aws_endpoint: str,
    ec2: Any,
    image_id: str,
) -> None:
    p = pool(launch={"ami": {"ssmParameter": AMI_PARAMETER}})
    templates.ensure(p)
    cloud = Ec2Cloud(
        cloud_session,
        region="us-east-1",
        cluster=CLUSTER,
        launch_template=LaunchTemplateRef.per_pool(CLUSTER),
        subnets=templates.subnets(p),
        endpoint_url=aws_endpoint,
    )
    request = LaunchRequest(
        client_token="tok-1",
        cluster=CLUSTER,
        pool="general",
        node_name="general-1",
        capacity_type=ON_DEMAND,
        overrides=(Override("m5.large", "us-east-1a"),),
    )
    instance = cloud.launch(request).instance
    assert instance is not None
    (reservation,) = ec2.describe_instances(InstanceIds=[instance.instance_id])["Reservations"]
    assert reservation["Instances"][0]["ImageId"] == image_id


def test_the_newest_image_with_the_tags_and_the_pools_architecture_is_chosen(
    templates: LaunchTemplates, ec2: Any, hooks: Hooks
) -> None:
    (builder,) = ec2.run_instances(ImageId="ami-12345678", MinCount=1, MaxCount=1)["Instances"]

    def build(name: str, tags: dict[str, str]) -> str:
        # moto's images get their architecture (x86_64) from the instance they are made of.
        image_id = ec2.create_image(InstanceId=builder["InstanceId"], Name=name)["ImageId"]
        if tags:
            ec2.create_tags(
                Resources=[image_id], Tags=[{"Key": k, "Value": v} for k, v in tags.items()]
            )
        return str(image_id)

    old, new = build("old", {"role": "node"}), build("new", {"role": "node"})
    newest_untagged = build("untagged", {})
    dates = {
        old: "2024-01-01T00:00:00.000Z",
        new: "2025-01-01T00:00:00.000Z",
        newest_untagged: "2026-01-01T00:00:00.000Z",
    }

    def dated(parsed: dict, **_: Any) -> None:
        # moto dates every image now; give them the dates of successive builds.
        for image in parsed["Images"]:
            image["CreationDate"] = dates[image["ImageId"]]

    hooks.register("after-call.ec2.DescribeImages", dated)
    by_tags = {"ami": {"tags": {"role": "node"}}}
    templates.ensure(pool(launch=by_tags, capacityTypes=["spot"]))
    assert version_of(ec2, f"spotwise-{CLUSTER}-general-spot")[1]["ImageId"] == new
    templates.ensure(pool(launch=by_tags, architecture="x86_64", capacityTypes=["spot"]))
    assert version_of(ec2, f"spotwise-{CLUSTER}-general-spot")[1]["ImageId"] == new
    # The tagged images are x86_64: an arm64 pool must not boot them.
    with pytest.raises(UserError, match=r"spec.launch.ami.tags: no available image for arm64"):
        templates.ensure(pool(launch=by_tags, architecture="arm64"))


def test_what_cannot_be_found_is_a_user_error(templates: LaunchTemplates, ec2: Any) -> None:
    with pytest.raises(
        UserError, match=r"pool general: spec.launch.ami.ssmParameter: /nope does not exist"
    ):
        templates.ensure(pool(launch={"ami": {"ssmParameter": "/nope"}}))
    with pytest.raises(
        UserError, match=r"spec.launch.securityGroupSelector: no security group .*'team': 'x'"
    ):
        templates.ensure(pool(launch={"securityGroupSelector": {"team": "x"}}))


def test_subnets_follow_the_pools_selector(
    templates: LaunchTemplates, ec2: Any, network: Network
) -> None:
    assert templates.subnets(pool()) == network.subnets
    private = ec2.create_subnet(
        VpcId=network.vpc_id,
        CidrBlock="10.0.9.0/24",
        AvailabilityZone="us-east-1c",
        TagSpecifications=[
            {"ResourceType": "subnet", "Tags": [{"Key": "tier", "Value": "private"}]}
        ],
    )["Subnet"]["SubnetId"]
    assert templates.subnets(pool(launch={"subnetSelector": {"tier": "*"}})) == {
        "us-east-1c": private
    }


def test_prune_deletes_only_this_clusters_templates_no_pool_uses(
    templates: LaunchTemplates, ec2: Any
) -> None:
    keep, drop = pool("keep", capacityTypes=["spot"]), pool("drop")
    templates.ensure(keep)
    templates.ensure(drop)
    ec2.create_launch_template(
        LaunchTemplateName="someone-elses", LaunchTemplateData={"ImageId": "ami-12345678"}
    )
    assert templates.prune([keep]) == (
        f"spotwise-{CLUSTER}-drop-on-demand",
        f"spotwise-{CLUSTER}-drop-spot",
    )
    names = {t["LaunchTemplateName"] for t in ec2.describe_launch_templates()["LaunchTemplates"]}
    assert names == {f"spotwise-{CLUSTER}-keep-spot", "someone-elses"}
    assert templates.prune([keep]) == ()


RESERVATIONS = ["cr-0123456789abcdef0", "cr-0123456789abcdef1"]


def test_reserved_data_is_the_on_demand_data_targeting_the_reservation_only() -> None:
    p = pool(launch={"reservedCapacity": RESERVATIONS})
    on_demand = data(p, ON_DEMAND)
    reserved = reserved_template_data(on_demand, "cr-0123456789abcdef1")
    assert reserved["CapacityReservationSpecification"] == {
        "CapacityReservationPreference": "capacity-reservations-only",
        "CapacityReservationTarget": {"CapacityReservationId": "cr-0123456789abcdef1"},
    }
    assert {
        k: v
        for k, v in reserved.items()
        if k not in ("CapacityReservationSpecification", "TagSpecifications")
    } == {k: v for k, v in on_demand.items() if k != "TagSpecifications"}
    for spec in reserved["TagSpecifications"]:
        tags = {t["Key"]: t["Value"] for t in spec["Tags"]}
        assert tags[TAG_CAPACITY_RESERVATION] == "cr-0123456789abcdef1"
        assert tags["spotwise.io/capacity-type"] == "on-demand"
    # The on-demand data is left as it was.
    assert "CapacityReservationSpecification" not in on_demand
    assert TAG_CAPACITY_RESERVATION not in str(on_demand["TagSpecifications"])


def test_ensure_adds_a_template_per_reservation_and_prune_keeps_them(
    templates: LaunchTemplates, ec2: Any
) -> None:
    p = pool(launch={"reservedCapacity": RESERVATIONS}, capacityTypes=["spot"])
    ensured = templates.ensure_all(p)
    assert ensured.by_capacity_type == {
        SPOT: LaunchTemplateRef(f"spotwise-{CLUSTER}-general-spot", "1")
    }
    assert ensured.reserved == {
        r: LaunchTemplateRef(f"spotwise-{CLUSTER}-general-reserved-{r}", "1") for r in RESERVATIONS
    }
    # ensure() keeps its shape, and an unchanged pool adds no version.
    assert templates.ensure(p) == ensured.by_capacity_type
    for reservation in RESERVATIONS:
        number, stored = version_of(ec2, f"spotwise-{CLUSTER}-general-reserved-{reservation}")
        assert number == 1
        assert stored["CapacityReservationSpecification"] == {
            "CapacityReservationPreference": "capacity-reservations-only",
            "CapacityReservationTarget": {"CapacityReservationId": reservation},
        }
    assert templates.prune([p]) == ()
    fewer = pool(launch={"reservedCapacity": RESERVATIONS[:1]}, capacityTypes=["spot"])
    assert templates.prune([fewer]) == (f"spotwise-{CLUSTER}-general-reserved-{RESERVATIONS[1]}",)


# ---- an image per architecture ----

X86 = Architecture.X86_64
ARM = Architecture.ARM64
ARM_PARAMETER = AMI_PARAMETER.replace("/x86_64/", "/arm64/")
BY_ARCHITECTURE = {
    "x86_64": {"ssmParameter": AMI_PARAMETER},
    "arm64": {"ssmParameter": ARM_PARAMETER},
}


def by_architecture(**launch: Any) -> NodePool:
    return pool(launch={"amiByArchitecture": BY_ARCHITECTURE, **launch}, capacityTypes=["spot"])


@pytest.fixture
def arm_image_id(ec2: Any) -> str:
    """An arm64 AMI in moto, published under ARM_PARAMETER."""
    image = ec2.register_image(Name="eks-node-arm", Architecture="arm64")
    ssm = client(new_session(), "ssm", ec2.meta.endpoint_url)
    ssm.put_parameter(Name=ARM_PARAMETER, Value=image["ImageId"], Type="String")
    return str(image["ImageId"])


def test_a_template_per_capacity_type_and_architecture_each_with_its_image(
    templates: LaunchTemplates, ec2: Any, image_id: str, arm_image_id: str, calls: list[str]
) -> None:
    p = pool(launch={"amiByArchitecture": BY_ARCHITECTURE})
    ensured = templates.ensure_all(p)
    assert (ensured.by_capacity_type, ensured.reserved) == ({}, {})
    assert templates.ensure(p) == {}  # the one-image view has nothing to show
    assert ensured.by_architecture == {
        arch: PoolTemplates(
            {
                ct: LaunchTemplateRef(f"spotwise-{CLUSTER}-general-{ct.value}-{arch.value}", "1")
                for ct in (SPOT, ON_DEMAND)
            }
        )
        for arch in (X86, ARM)
    }
    x86_data = version_of(ec2, f"spotwise-{CLUSTER}-general-spot-x86_64")[1]
    for arch, image in ((X86, image_id), (ARM, arm_image_id)):
        name = f"spotwise-{CLUSTER}-general-spot-{arch.value}"
        number, stored = version_of(ec2, name)
        assert (number, stored["ImageId"]) == (1, image)
        # The same data but the image, tagged as the templates of one image are.
        assert {k: v for k, v in stored.items() if k != "ImageId"} == {
            k: v for k, v in x86_data.items() if k != "ImageId"
        }
        (template,) = ec2.describe_launch_templates(LaunchTemplateNames=[name])["LaunchTemplates"]
        tags = {t["Key"]: t["Value"] for t in template["Tags"]}
        assert tags["spotwise.io/cluster"] == CLUSTER
        assert tags["spotwise.io/capacity-type"] == "spot"
    # An unchanged pool makes no template and no version; prune keeps every one it uses.
    calls.clear()
    assert templates.ensure_all(p) == ensured
    assert not {"ec2:CreateLaunchTemplate", "ec2:CreateLaunchTemplateVersion"} & set(calls)
    assert templates.prune([p]) == ()


def test_moving_between_one_image_and_one_per_architecture_prunes_the_old_templates(
    templates: LaunchTemplates, image_id: str, arm_image_id: str
) -> None:
    one = pool(launch={"ami": {"ssmParameter": AMI_PARAMETER}}, capacityTypes=["spot"])
    each = by_architecture()
    templates.ensure(one)
    templates.ensure_all(each)
    assert templates.prune([each]) == (f"spotwise-{CLUSTER}-general-spot",)
    templates.ensure(one)
    assert templates.prune([one]) == (
        f"spotwise-{CLUSTER}-general-spot-arm64",
        f"spotwise-{CLUSTER}-general-spot-x86_64",
    )


def test_reservations_get_a_template_per_architecture(
    templates: LaunchTemplates, ec2: Any, image_id: str, arm_image_id: str
) -> None:
    p = by_architecture(reservedCapacity=RESERVATIONS[:1])
    ensured = templates.ensure_all(p)
    for arch, image in ((X86, image_id), (ARM, arm_image_id)):
        name = f"spotwise-{CLUSTER}-general-reserved-{RESERVATIONS[0]}-{arch.value}"
        assert ensured.by_architecture[arch].reserved == {
            RESERVATIONS[0]: LaunchTemplateRef(name, "1")
        }
        stored = version_of(ec2, name)[1]
        assert stored["ImageId"] == image
        assert stored["CapacityReservationSpecification"]["CapacityReservationTarget"] == {
            "CapacityReservationId": RESERVATIONS[0]
        }
    assert templates.prune([p]) == ()


def test_a_tag_selector_picks_an_image_of_the_architecture_it_is_given_for(
    templates: LaunchTemplates, ec2: Any
) -> None:
    (builder,) = ec2.run_instances(ImageId="ami-12345678", MinCount=1, MaxCount=1)["Instances"]
    # moto's images get their architecture (x86_64) from the instance they are made of.
    x86 = ec2.create_image(InstanceId=builder["InstanceId"], Name="node")["ImageId"]
    ec2.create_tags(Resources=[x86], Tags=[{"Key": "role", "Value": "node"}])
    tagged = {"tags": {"role": "node"}}
    templates.ensure_all(pool(launch={"amiByArchitecture": {"x86_64": tagged}}))
    assert version_of(ec2, f"spotwise-{CLUSTER}-general-spot-x86_64")[1]["ImageId"] == x86
    # The same tags under arm64 must not pick the x86_64 image.
    with pytest.raises(
        UserError,
        match=r"pool general: spec\.launch\.amiByArchitecture\.arm64\.tags: no available"
        r" image for arm64",
    ):
        templates.ensure_all(
            pool(launch={"amiByArchitecture": {"x86_64": tagged, "arm64": tagged}})
        )


def test_the_launcher_boots_each_type_with_its_architectures_image(
    templates: LaunchTemplates,
    cloud_session: boto3.Session,
    aws_endpoint: str,
    ec2: Any,
    image_id: str,
    arm_image_id: str,
) -> None:
    each = by_architecture()
    templates.ensure_all(each)
    cloud = Ec2Cloud(
        cloud_session,
        region="us-east-1",
        cluster=CLUSTER,
        launch_template=LaunchTemplateRef.per_pool(CLUSTER),
        subnets=templates.subnets(each),
        endpoint_url=aws_endpoint,
    )
    launcher = Launcher(
        cloud,
        cluster=CLUSTER,
        unavailable=UnavailableOfferings(),
        clock=ManualClock(1_000.0),
        registry=CollectorRegistry(),
    )

    def launch(p: NodePool, name: str, types: tuple[str, ...]) -> tuple[str, str]:
        node = NewNode(
            name=name,
            pool="general",
            capacity_type=SPOT,
            instance_types=types,
            zones=("us-east-1a",),
            pods=("shop/cart-1",),
            requested=Resources(1000, 2**30, 1),
            price_per_hour=0.05,
            on_demand_price_per_hour=0.1,
        )
        intent = LaunchIntent(node, allows_on_demand=False)
        outcome = launcher.launch(intent, settings_for(p, load_bundled()))
        assert isinstance(outcome, Launched), outcome
        (reservation,) = ec2.describe_instances(InstanceIds=[outcome.instance.instance_id])[
            "Reservations"
        ]
        return outcome.instance.instance_type, reservation["Instances"][0]["ImageId"]

    # moto launches the first override it is sent: each boots its architecture's image.
    assert launch(each, "new-general-0", ("m7g.large", "m6i.large")) == ("m7g.large", arm_image_id)
    assert launch(each, "new-general-1", ("m6i.large", "m7g.large")) == ("m6i.large", image_id)
    # With no arm64 image, the arm64 type is left out instead of booting the x86_64 image.
    only_x86 = pool(
        launch={"amiByArchitecture": {"x86_64": BY_ARCHITECTURE["x86_64"]}}, capacityTypes=["spot"]
    )
    templates.ensure_all(only_x86)
    assert launch(only_x86, "new-general-2", ("m7g.large", "m6i.large")) == (
        "m6i.large",
        image_id,
    )
