"""The ``spec.launch`` section of a NodePool: how its nodes are launched on EC2.

Image (one, or one per architecture), instance profile, network, disks, metadata options
and user data; docs/nodepool.md documents every field.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    StrictBool,
    StrictInt,
    ValidationInfo,
    field_validator,
    model_validator,
)

from spotwise.config.documents import DocumentModel, MemoryQuantity, matches, unique
from spotwise.model.instance_type import ARCHITECTURE_ALIASES, Architecture
from spotwise.model.quantity import parse_bytes

# EC2's own formats, checked here so that a typo fails when the file is read, not at launch.
_AMI_ID = re.compile(r"^ami-[0-9a-f]{8,17}$")
_SNAPSHOT_ID = re.compile(r"^snap-[0-9a-f]{8,17}$")
_CAPACITY_RESERVATION_ID = re.compile(r"^cr-[0-9a-f]{8,17}$")
_SSM_PARAMETER = re.compile(r"^(/[A-Za-z0-9_.-]+)+$|^[A-Za-z0-9_.-]+$")
_DEVICE_NAME = re.compile(r"^/dev/[a-z0-9]+$|^xvd[a-z0-9]+$")
_INSTANCE_PROFILE = re.compile(
    r"^[\w+=,.@-]{1,128}$|^arn:aws[\w-]*:iam::\d{12}:instance-profile/[\w+=,.@/-]{1,128}$"
)
_MIN_VOLUME_BYTES = 2**30  # EC2 sizes volumes in whole GiB
_MAX_VOLUME_BYTES = 64 * 2**40

TagKey = Annotated[str, Field(min_length=1, max_length=128)]
TagValue = Annotated[str, Field(max_length=256)]


def _non_empty_tags(tags: dict[str, str] | None) -> dict[str, str] | None:
    if tags is not None and not tags:
        raise ValueError("selects nothing when empty; give at least one tag or leave it out")
    return tags


TagSelector = Annotated[dict[TagKey, TagValue], AfterValidator(_non_empty_tags)]


def user_data_content_type(text: str) -> str:
    """The MIME content type of extra user data, judged by how it starts.

    Raises:
        ValueError: If the text is none of the formats cloud-init and nodeadm accept.
    """
    head = text.lstrip()
    if head.startswith("#cloud-config"):
        return "text/cloud-config"
    if head.startswith("#!"):
        return "text/x-shellscript"
    if head.lower().startswith("mime-version:"):
        return "multipart/mixed"
    if re.search(r"^apiVersion:\s*node\.eks\.aws/", head, re.MULTILINE) and re.search(
        r"^kind:\s*NodeConfig\s*$", head, re.MULTILINE
    ):
        return "application/node.eks.aws"
    raise ValueError(
        "is not a shell script (#!), #cloud-config, a nodeadm NodeConfig"
        " (apiVersion: node.eks.aws/v1alpha1) or a MIME multipart document"
    )


def _user_data(text: str) -> str:
    user_data_content_type(text)
    return text


class AmiSelector(DocumentModel):
    """Which image nodes boot: exactly one of an ID, an SSM parameter or a tag selector."""

    id: Annotated[str, AfterValidator(matches(_AMI_ID, "an AMI ID (ami-...)"))] | None = None
    ssm_parameter: (
        Annotated[str, AfterValidator(matches(_SSM_PARAMETER, "an SSM parameter name"))] | None
    ) = None
    tags: TagSelector | None = None
    owners: tuple[Annotated[str, Field(min_length=1)], ...] | None = None

    @model_validator(mode="after")
    def _exactly_one_way(self) -> Self:
        given = [
            w
            for w, v in (("id", self.id), ("ssmParameter", self.ssm_parameter), ("tags", self.tags))
            if v is not None
        ]
        if len(given) != 1:
            raise ValueError(
                f"gives {' and '.join(given) or 'no image'}; give exactly one of id,"
                " ssmParameter or tags"
            )
        if self.owners is not None and self.tags is None:
            raise ValueError("owners only narrows a tags selector; drop it or use tags")
        return self

    @property
    def image_owners(self) -> tuple[str, ...]:
        """Whose images a tag selector searches: as written, else the account's own."""
        return self.owners or ("self",)


# The architectures a pool may give an image for: those of the nodes spotwise launches.
IMAGE_ARCHITECTURES: tuple[Architecture, ...] = (Architecture.X86_64, Architecture.ARM64)


def _image_architecture(value: Any) -> Any:
    if value in {a.value for a in IMAGE_ARCHITECTURES}:
        return value
    alias = ARCHITECTURE_ALIASES.get(str(value))
    hint = f"; write {alias.value}" if alias is not None else ""
    raise ValueError(
        f"{value!r} is not x86_64 or arm64, the EC2 architecture names of an image{hint}"
    )


ImageArchitecture = Annotated[Architecture, BeforeValidator(_image_architecture)]


def _some_images(images: dict[Architecture, AmiSelector]) -> dict[Architecture, AmiSelector]:
    if not images:
        raise ValueError("gives no image; give one per architecture (x86_64, arm64)")
    return images


VolumeType = Literal["gp3", "gp2", "io1", "io2", "st1", "sc1", "standard"]


def _volume_size(value: Any) -> Any:
    size = parse_bytes(value)
    if not _MIN_VOLUME_BYTES <= size <= _MAX_VOLUME_BYTES:
        raise ValueError(
            f"{value!r} is not between 1Gi and 64Ti (a bare number is bytes; write 100Gi)"
        )
    return value


class Ebs(DocumentModel):
    """An EBS volume attached at launch; unset fields take EC2's defaults."""

    volume_size: Annotated[MemoryQuantity, AfterValidator(_volume_size)] | None = None
    volume_type: VolumeType | None = None
    iops: StrictInt | None = Field(default=None, ge=100, le=256_000)
    throughput: StrictInt | None = Field(default=None, ge=125, le=2000)
    encrypted: StrictBool | None = None
    kms_key_id: Annotated[str, Field(min_length=1, max_length=2048)] | None = None
    snapshot_id: (
        Annotated[str, AfterValidator(matches(_SNAPSHOT_ID, "a snapshot ID (snap-...)"))] | None
    ) = None
    delete_on_termination: StrictBool = True

    @model_validator(mode="after")
    def _options_fit_type(self) -> Self:
        if self.throughput is not None and self.volume_type != "gp3":
            raise ValueError("throughput is for gp3 volumes only; set volumeType: gp3")
        if self.iops is not None and self.volume_type not in ("gp3", "io1", "io2"):
            raise ValueError("iops is for gp3, io1 and io2 volumes; set volumeType")
        if self.volume_type in ("io1", "io2") and self.iops is None:
            raise ValueError(f"{self.volume_type} volumes need iops; add it")
        if self.kms_key_id is not None and self.encrypted is not True:
            raise ValueError("kmsKeyId encrypts the volume; add encrypted: true")
        if self.volume_size is None and self.snapshot_id is None:
            raise ValueError("a volume needs a volumeSize or a snapshotId; add one")
        return self

    @property
    def volume_size_gib(self) -> int | None:
        """The size in GiB, rounded up, as EC2 takes it."""
        if self.volume_size is None:
            return None
        return -(-parse_bytes(self.volume_size) // 2**30)


# The root device of the EKS-optimized AMIs (Amazon Linux 2 and 2023), where the kubelet
# keeps pods' ephemeral storage unless a volume says it is the root (Karpenter's rule).
ROOT_DEVICE = "/dev/xvda"


class BlockDeviceMapping(DocumentModel):
    """A volume of every node, such as the root volume ``/dev/xvda``.

    ``rootVolume: true`` marks the volume that holds the kubelet's ephemeral storage when it
    is not ``/dev/xvda`` (Bottlerocket's data volume ``/dev/xvdb``), as in Karpenter.
    """

    device_name: Annotated[
        str, AfterValidator(matches(_DEVICE_NAME, "a device name (such as /dev/xvda)"))
    ]
    ebs: Ebs
    root_volume: StrictBool = False


class MetadataOptions(DocumentModel):
    """The instance metadata service (IMDS) of every node.

    IMDSv2 only by default; a hop limit of 2 lets pods on a container network reach it
    (1 stops the reply one hop short of them).
    """

    http_tokens: Literal["required", "optional"] = "required"
    http_put_response_hop_limit: StrictInt = Field(default=2, ge=1, le=64)
    http_endpoint: Literal["enabled", "disabled"] = "enabled"


def _unique_devices(
    mappings: tuple[BlockDeviceMapping, ...],
) -> tuple[BlockDeviceMapping, ...]:
    unique(tuple(m.device_name for m in mappings))
    if sum(m.root_volume for m in mappings) > 1:
        raise ValueError("marks more than one volume rootVolume: true; keep one")
    return mappings


class Launch(DocumentModel):
    """How the pool's nodes are launched on EC2: image, role, network, disks, user data.

    The image is ``ami`` (one image, for a pool of one architecture) or
    ``amiByArchitecture`` (one per architecture, for a pool whose nodes may be x86_64 or
    arm64), never both.
    """

    # Before ami, whose validator reads it.
    ami_by_architecture: (
        Annotated[dict[ImageArchitecture, AmiSelector], AfterValidator(_some_images)] | None
    ) = None
    ami: AmiSelector | None = Field(default=None, validate_default=True)
    instance_profile: Annotated[
        str, AfterValidator(matches(_INSTANCE_PROFILE, "an instance profile name or ARN"))
    ]
    subnet_selector: TagSelector | None = None
    security_group_selector: TagSelector | None = None
    block_device_mappings: Annotated[
        tuple[BlockDeviceMapping, ...], AfterValidator(_unique_devices)
    ] = ()
    metadata_options: MetadataOptions = Field(default_factory=MetadataOptions)
    user_data: Annotated[str, AfterValidator(_user_data)] | None = None
    reserved_capacity: Annotated[
        tuple[
            Annotated[
                str,
                AfterValidator(
                    matches(_CAPACITY_RESERVATION_ID, "a capacity reservation ID (cr-...)")
                ),
            ],
            ...,
        ],
        AfterValidator(unique),
    ] = ()

    @field_validator("ami")
    @classmethod
    def _one_image_form(cls, ami: AmiSelector | None, info: ValidationInfo) -> AmiSelector | None:
        if "ami_by_architecture" not in info.data:
            return ami  # amiByArchitecture is wrong itself, and reported so
        by_architecture = info.data["ami_by_architecture"]
        if ami is None and by_architecture is None:
            raise ValueError(
                "is required, unless amiByArchitecture gives an image per architecture"
            )
        if ami is not None and by_architecture is not None:
            raise ValueError(
                "is given with amiByArchitecture: give one image (ami) or one per"
                " architecture (amiByArchitecture), not both"
            )
        return ami

    @property
    def root_volume_bytes(self) -> int | None:
        """The size of the volume pods' ephemeral storage lives on; None: the AMI's default.

        That volume is the one marked ``rootVolume``, else ``/dev/xvda``. A volume made from
        a snapshot alone has a size only EC2 knows, so it counts as the default too.
        """
        marked = [m for m in self.block_device_mappings if m.root_volume]
        root = marked or [m for m in self.block_device_mappings if m.device_name == ROOT_DEVICE]
        if not root or root[0].ebs.volume_size is None:
            return None
        return parse_bytes(root[0].ebs.volume_size)

    def images(self) -> dict[Architecture | None, AmiSelector]:
        """The pool's images: ``{None: ami}`` for one image, else one per architecture."""
        if self.ami_by_architecture is not None:
            return {a: ami for a, ami in self.ami_by_architecture.items()}
        assert self.ami is not None  # the schema gives exactly one form
        return {None: self.ami}

    @staticmethod
    def image_field(architecture: Architecture | None) -> str:
        """Where the image of ``architecture`` (None: the one image) is in a pool."""
        if architecture is None:
            return "spec.launch.ami"
        return f"spec.launch.amiByArchitecture.{architecture.value}"
