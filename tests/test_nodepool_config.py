from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from spotwise.config import NodePool, dump_nodepool, load_nodepools
from spotwise.errors import UserError
from spotwise.model.allocation import OnDemandAllocationStrategy, SpotAllocationStrategy
from spotwise.model.instance_type import Architecture, CapacityType
from spotwise.model.scheduling_terms import TaintEffect

FULL = """\
apiVersion: spotwise.io/v1alpha1
kind: NodePool
metadata:
  name: general
spec:
  instanceTypes: [m6i.large, m5.large]
  capacityTypes: [spot]
  zones: [us-east-1a, us-west-2-lax-1a]
  architecture: arm64
  labels:
    team: web
    example.com/tier: front-end
  taints:
    - {key: spotInstance, value: "true", effect: PreferNoSchedule}
    - {key: example.com/dedicated, effect: NoExecute}
  onDemandBase: 0
  spotAllocationStrategy: capacity-optimized-prioritized
  onDemandAllocationStrategy: prioritized
  maxInterruption: 10
  weight: 50
  limits: {cpu: 1500m, memory: 64Gi, nodes: 20, pricePerHour: 12.5}
---
apiVersion: spotwise.io/v1alpha1
kind: NodePool
metadata: {name: fallback}
spec:
  capacityTypes: [on-demand]
---
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pools.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def test_loads_every_field(tmp_path: Path) -> None:
    general, fallback = load_nodepools(write(tmp_path, FULL))
    spec = general.spec
    assert general.name == "general"
    assert spec.instance_types == ("m6i.large", "m5.large")
    assert spec.capacity_types == (CapacityType.SPOT,)
    assert spec.zones == ("us-east-1a", "us-west-2-lax-1a")
    assert spec.architecture is Architecture.ARM64
    assert spec.labels == {"team": "web", "example.com/tier": "front-end"}
    assert [(t.key, t.value, t.effect) for t in spec.taints] == [
        ("spotInstance", "true", TaintEffect.PREFER_NO_SCHEDULE),
        ("example.com/dedicated", "", TaintEffect.NO_EXECUTE),
    ]
    assert spec.on_demand_above_base == 0
    assert spec.spot_allocation_strategy is SpotAllocationStrategy.CAPACITY_OPTIMIZED_PRIORITIZED
    assert spec.on_demand_allocation_strategy is OnDemandAllocationStrategy.PRIORITIZED
    assert spec.max_interruption == 10
    assert spec.weight == 50
    assert spec.limits.cpu_millicores == 1500
    assert spec.limits.memory_bytes == 64 * 2**30
    assert spec.limits.nodes == 20
    assert spec.limits.price_per_hour == 12.5
    # Defaults, and the on-demand share implied by an on-demand-only pool.
    assert fallback.spec.capacity_types == (CapacityType.ON_DEMAND,)
    assert fallback.spec.on_demand_above_base == 100
    assert fallback.spec.instance_types == ()
    assert fallback.spec.spot_allocation_strategy is SpotAllocationStrategy.PRICE_CAPACITY_OPTIMIZED
    assert fallback.spec.limits.cpu_millicores is None
    diversity = (spec.min_instance_types, spec.min_families, spec.max_type_share)
    assert diversity == (10, 1, 25)  # the defaults: AWS's ten types, a quarter per type


def test_dump_reads_back_equal(tmp_path: Path) -> None:
    for pool in load_nodepools(write(tmp_path, FULL)):
        text = dump_nodepool(pool)
        assert text.startswith("apiVersion: spotwise.io/v1alpha1\nkind: NodePool\n")
        (back,) = load_nodepools(write(tmp_path, text))
        assert back == pool
        assert isinstance(back, NodePool)


POOL = """\
apiVersion: spotwise.io/v1alpha1
kind: NodePool
metadata:
  name: p
spec:
"""

BAD = [
    # (spec lines or whole text, field path in the message, words in the message)
    ("  taints: [{key: a, effect: NoSchedul}]", "spec.taints[0].effect", "'NoSchedule'"),
    (
        "  instanceType: [m5.large]",
        "spec.instanceType: is not a field here; use one of instanceTypes, capacityTypes",
        "limits",
    ),
    ("  instanceTypes: [m5large]", "spec.instanceTypes[0]", "not an EC2 instance type"),
    ("  instanceTypes: [m5.large, m5.large]", "spec.instanceTypes", "more than once"),
    ("  capacityTypes: []", "spec.capacityTypes", "at least 1"),
    ("  capacityTypes: [spot, reserved]", "spec.capacityTypes[1]", "'on-demand'"),
    ("  zones: [us-east-1]", "spec.zones[0]", "availability-zone"),
    ("  architecture: amd64", "spec.architecture", "'x86_64'"),
    ("  labels: {'bad key': x}", "spec.labels['bad key']", "not a label key"),
    ("  labels: {team: 'a b'}", "spec.labels.team", "not a label value"),
    ("  onDemandPercentageAboveBase: 101", "spec.onDemandPercentageAboveBase", "100"),
    ("  onDemandBase: -1", "spec.onDemandBase", "greater than or equal to 0"),
    ("  spotAllocationStrategy: cheapest", "spec.spotAllocationStrategy", "'lowest-price'"),
    ("  onDemandAllocationStrategy: random", "spec.onDemandAllocationStrategy", "'prioritized'"),
    ("  maxInterruption: 150", "spec.maxInterruption", "100"),
    ("  weight: 101", "spec.weight", "100"),
    ("  minInstanceTypes: 0", "spec.minInstanceTypes", "greater than or equal to 1"),
    ("  minInstanceTypes: 61", "spec.minInstanceTypes", "60"),
    ("  minFamilies: 0", "spec.minFamilies", "greater than or equal to 1"),
    ("  maxTypeShare: 0", "spec.maxTypeShare", "greater than or equal to 1"),
    ("  maxTypeShare: 101", "spec.maxTypeShare", "100"),
    ("  weight: yes", "spec.weight", "valid integer"),
    ("  onDemandBase: '2'", "spec.onDemandBase", "valid integer"),
    ("  on_demand_base: 2", "spec.on_demand_base: is not a field here", "onDemandBase"),
    ("  limits: {cpu: 2 cores}", "spec.limits.cpu", "not a Kubernetes quantity"),
    ("  limits: {memory: -1Gi}", "spec.limits.memory", "negative"),
    ("  limits: {memory: true}", "spec.limits.memory", "not a Kubernetes quantity"),
    (
        "  limits: {gpus: 1}",
        "spec.limits.gpus: is not a field here",
        "use one of cpu, memory, nodes, pricePerHour",
    ),
    (
        "  taints: [{key: a, effect: NoSchedule, operator: Exists}]",
        "spec.taints[0].operator",
        "use one of key, value, effect",
    ),
    (POOL.replace("kind: NodePool", "kind: NodePool\nstatus: {}") + "  {}", "status", "spec"),
    (
        "  capacityTypes: [on-demand]\n  onDemandPercentageAboveBase: 0",
        "document 1: spec:",
        "no spot",
    ),
    ("  capacityTypes: [spot]\n  onDemandBase: 2", "document 1: spec:", "no on-demand"),
    (POOL.replace("name: p", "name: Pool_1") + "  {}", "metadata.name", "not a DNS label"),
    (POOL.replace("kind: NodePool", "kind: InstanceGroup") + "  {}", "kind", "'NodePool'"),
    (POOL.replace("  name: p\n", "  {}\n") + "  {}", "metadata.name", "is required"),
]


@pytest.mark.parametrize(("body", "field", "words"), BAD)
def test_bad_pools_give_one_line_naming_file_document_and_field(
    tmp_path: Path, body: str, field: str, words: str
) -> None:
    text = body if body.startswith("apiVersion") else POOL + body
    path = write(
        tmp_path,
        "apiVersion: spotwise.io/v1alpha1\nkind: NodePool\nmetadata: {name: ok}\n---\n" + text,
    )
    with pytest.raises(UserError) as raised:
        load_nodepools(path)
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: document 2")
    assert field.replace("document 1", "document 2") in message
    assert words in message


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (POOL + "  weight: 1\n  weight: 2\n", "line 7: key 'weight' is given twice"),
        (POOL + "  labels: {a: [}\n", "is not valid YAML at line"),
        ("- a\n- b\n", "document 1: is not a mapping"),
        ("", "holds no NodePool document"),
        (POOL + "  {}\n---\n" + POOL + "  {}\n", "document 2: metadata.name: 'p' is already"),
    ],
)
def test_bad_files_give_one_line(tmp_path: Path, text: str, words: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(UserError) as raised:
        load_nodepools(path)
    assert "\n" not in str(raised.value)
    assert words in str(raised.value)


def test_missing_file_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="cannot be read"):
        load_nodepools(tmp_path / "nope.yaml")


def test_more_errors_are_counted(tmp_path: Path) -> None:
    path = write(tmp_path, POOL + "  weight: 500\n  onDemandBase: -1\n  zones: [x]\n")
    with pytest.raises(UserError, match=r"\(and 2 more errors\)"):
        load_nodepools(path)


EKS_AMI = "/aws/service/eks/optimized-ami/1.31/amazon-linux-2023/x86_64/standard/recommended"
LAUNCH = f"""\
apiVersion: spotwise.io/v1alpha1
kind: NodePool
metadata: {{name: general}}
spec:
  launch:
    ami: {{ssmParameter: {EKS_AMI}/image_id}}
    instanceProfile: KarpenterNodeInstanceProfile
    subnetSelector: {{karpenter.sh/discovery: prod}}
    securityGroupSelector: {{karpenter.sh/discovery: prod, tier: "*"}}
    blockDeviceMappings:
      - deviceName: /dev/xvda
        ebs: {{volumeSize: 100Gi, volumeType: gp3, iops: 4000, throughput: 250, encrypted: true,
              kmsKeyId: alias/nodes, deleteOnTermination: true}}
      - deviceName: /dev/xvdb
        ebs: {{snapshotId: snap-0123456789abcdef0}}
    metadataOptions: {{httpTokens: required, httpPutResponseHopLimit: 1, httpEndpoint: enabled}}
    userData: |
      #!/bin/bash
      echo hello
    reservedCapacity: [cr-0123456789abcdef0]
"""


def test_loads_the_launch_section(tmp_path: Path) -> None:
    (pool,) = load_nodepools(write(tmp_path, LAUNCH))
    launch = pool.spec.launch
    assert launch is not None
    assert launch.ami.ssm_parameter is not None and launch.ami.ssm_parameter.endswith("image_id")
    assert launch.ami.id is None and launch.ami.tags is None
    assert launch.instance_profile == "KarpenterNodeInstanceProfile"
    assert launch.subnet_selector == {"karpenter.sh/discovery": "prod"}
    assert launch.security_group_selector == {"karpenter.sh/discovery": "prod", "tier": "*"}
    root, data = launch.block_device_mappings
    assert root.device_name == "/dev/xvda"
    assert root.ebs.volume_size_gib == 100
    assert (root.ebs.volume_type, root.ebs.iops, root.ebs.throughput) == ("gp3", 4000, 250)
    assert (root.ebs.encrypted, root.ebs.kms_key_id) == (True, "alias/nodes")
    assert data.ebs.snapshot_id == "snap-0123456789abcdef0"
    assert data.ebs.volume_size_gib is None
    assert data.ebs.delete_on_termination is True
    assert launch.metadata_options.http_put_response_hop_limit == 1
    assert launch.user_data == "#!/bin/bash\necho hello\n"
    assert launch.reserved_capacity == ("cr-0123456789abcdef0",)
    # Round trip, and defaults: IMDSv2 only, hop limit 2, own images for a tag selector.
    (back,) = load_nodepools(write(tmp_path, dump_nodepool(pool)))
    assert back == pool
    minimal = POOL + "  launch: {ami: {tags: {role: node}}, instanceProfile: p}\n"
    (small,) = load_nodepools(write(tmp_path, minimal))
    assert small.spec.launch is not None
    assert small.spec.launch.metadata_options.http_tokens == "required"
    assert small.spec.launch.metadata_options.http_put_response_hop_limit == 2
    assert small.spec.launch.ami.image_owners == ("self",)
    (no_launch,) = load_nodepools(write(tmp_path, POOL + "  {}\n"))
    assert no_launch.spec.launch is None
    assert "launch" not in dump_nodepool(no_launch)


def launch(fields: str) -> str:
    if "instanceProfile" not in fields:
        fields = "instanceProfile: p\n" + fields
    return POOL + "  launch:\n" + "".join(f"    {line}\n" for line in fields.splitlines())


AMI = "ami: {id: ami-0123456789abcdef0}\n"
BAD_LAUNCH = [
    # (launch lines, field path in the message, words in the message)
    ("ami: {}", "spec.launch.ami", "exactly one of id, ssmParameter or tags"),
    (
        "ami: {id: ami-0123456789abcdef0, ssmParameter: /a/b}",
        "spec.launch.ami",
        "gives id and ssmParameter",
    ),
    ("ami: {id: ami-xyz}", "spec.launch.ami.id", "not an AMI ID"),
    ("ami: {ssmParameter: 'a b'}", "spec.launch.ami.ssmParameter", "not an SSM parameter"),
    ("ami: {tags: {}}", "spec.launch.ami.tags", "selects nothing"),
    ("ami: {id: ami-0123456789abcdef0, owners: [amazon]}", "spec.launch.ami", "owners only"),
    ("ami: {name: x}", "spec.launch.ami.name: is not a field here", "id, ssmParameter, tags"),
    ("instanceProfile: 'my profile'\n" + AMI, "spec.launch.instanceProfile", "instance profile"),
    (AMI + "subnetSelector: {}", "spec.launch.subnetSelector", "selects nothing"),
    (
        AMI + "blockDeviceMappings: [{deviceName: sda, ebs: {volumeSize: 8Gi}}]",
        "spec.launch.blockDeviceMappings[0].deviceName",
        "not a device name",
    ),
    (
        AMI + "blockDeviceMappings: [{deviceName: /dev/xvda, ebs: {volumeSize: 100}}]",
        "spec.launch.blockDeviceMappings[0].ebs.volumeSize",
        "write 100Gi",
    ),
    (
        AMI + "blockDeviceMappings: [{deviceName: /dev/xvda, ebs: {volumeSize: 8Gi, "
        "volumeType: gp2, throughput: 200}}]",
        "spec.launch.blockDeviceMappings[0].ebs",
        "gp3 volumes only",
    ),
    (
        AMI + "blockDeviceMappings: [{deviceName: /dev/xvda, ebs: {volumeSize: 8Gi, "
        "volumeType: io2}}]",
        "spec.launch.blockDeviceMappings[0].ebs",
        "io2 volumes need iops",
    ),
    (
        AMI + "blockDeviceMappings: [{deviceName: /dev/xvda, ebs: {volumeSize: 8Gi, kmsKeyId: k}}]",
        "spec.launch.blockDeviceMappings[0].ebs",
        "encrypted: true",
    ),
    (
        AMI + "blockDeviceMappings: [{deviceName: /dev/xvda, ebs: {encrypted: true}}]",
        "spec.launch.blockDeviceMappings[0].ebs",
        "volumeSize or a snapshotId",
    ),
    (
        AMI + "blockDeviceMappings: [{deviceName: /dev/xvda, ebs: {volumeSize: 8Gi}},"
        " {deviceName: /dev/xvda, ebs: {volumeSize: 8Gi}}]",
        "spec.launch.blockDeviceMappings",
        "/dev/xvda more than once",
    ),
    (
        AMI + "blockDeviceMappings: [{deviceName: /dev/xvda, ebs: {volumeSize: 8Gi, "
        "volumeType: gp4}}]",
        "spec.launch.blockDeviceMappings[0].ebs.volumeType",
        "'gp3'",
    ),
    (
        AMI + "metadataOptions: {httpPutResponseHopLimit: 0}",
        "spec.launch.metadataOptions.httpPutResponseHopLimit",
        "greater than or equal to 1",
    ),
    (
        AMI + "metadataOptions: {httpTokens: v2}",
        "spec.launch.metadataOptions.httpTokens",
        "'required'",
    ),
    (AMI + "userData: echo hi", "spec.launch.userData", "not a shell script"),
    (AMI + "reservedCapacity: [cr-1]", "spec.launch.reservedCapacity[0]", "capacity reservation"),
    (AMI + "subnets: [subnet-1]", "spec.launch.subnets: is not a field here", "subnetSelector"),
    (
        AMI + "amiByArchitecture: {arm64: {id: ami-0123456789abcdef0}}",
        "spec.launch.ami",
        "is given with amiByArchitecture",
    ),
    ("amiByArchitecture: {}", "spec.launch.amiByArchitecture", "gives no image"),
    (
        "amiByArchitecture: {amd64: {id: ami-0123456789abcdef0}}",
        "spec.launch.amiByArchitecture.amd64",
        "'amd64' is not x86_64 or arm64, the EC2 architecture names of an image; write x86_64",
    ),
    (
        "amiByArchitecture: {i386: {id: ami-0123456789abcdef0}}",
        "spec.launch.amiByArchitecture.i386",
        "is not x86_64 or arm64",
    ),
    ("amiByArchitecture: {arm64: {}}", "spec.launch.amiByArchitecture.arm64", "exactly one of"),
    (
        "amiByArchitecture: {arm64: {id: ami-xyz}}",
        "spec.launch.amiByArchitecture.arm64.id",
        "not an AMI ID",
    ),
]


@pytest.mark.parametrize(("fields", "field", "words"), BAD_LAUNCH)
def test_bad_launch_sections_give_one_line_naming_the_field(
    tmp_path: Path, fields: str, field: str, words: str
) -> None:
    with pytest.raises(UserError) as raised:
        load_nodepools(write(tmp_path, launch(fields)))
    message = str(raised.value)
    assert "\n" not in message
    assert f"document 1: {field}" in message
    assert words in message


def test_an_image_per_architecture_instead_of_one(tmp_path: Path) -> None:
    arm = f"{EKS_AMI}/image_id".replace("x86_64", "arm64")
    text = launch(
        "amiByArchitecture:\n"
        f"  x86_64: {{ssmParameter: {EKS_AMI}/image_id}}\n"
        f"  arm64: {{ssmParameter: {arm}}}"
    )
    (pool,) = load_nodepools(write(tmp_path, text))
    section = pool.spec.launch
    assert section is not None and section.ami is None
    images = section.images()
    assert list(images) == [Architecture.X86_64, Architecture.ARM64]
    assert images[Architecture.ARM64].ssm_parameter == arm
    assert section.image_field(Architecture.ARM64) == "spec.launch.amiByArchitecture.arm64"
    (back,) = load_nodepools(write(tmp_path, dump_nodepool(pool)))
    assert back == pool
    # The one-image form reads as before, as the image of no particular architecture.
    (single,) = load_nodepools(write(tmp_path, launch(AMI)))
    assert single.spec.launch is not None
    assert single.spec.launch.images() == {None: single.spec.launch.ami}
    assert single.spec.launch.image_field(None) == "spec.launch.ami"


def test_a_launch_section_needs_an_image_and_a_profile(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"spec.launch.ami: is required, unless amiByArch"):
        load_nodepools(write(tmp_path, POOL + "  launch: {instanceProfile: p}\n"))
    with pytest.raises(UserError, match=r"spec.launch.instanceProfile: is required"):
        load_nodepools(write(tmp_path, POOL + "  launch: {" + AMI.strip() + "}\n"))
