"""The NodePool document: which nodes spotwise may launch for a pool, and how.

This is spotwise's own configuration (``apiVersion: spotwise.io/v1alpha1``), read by the
controller and written by ``spotwise select --emit pool``. It is untrusted input, so it
is validated with pydantic at this edge; docs/nodepool.md documents every field.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Final, Literal, Self, TypeGuard, get_args

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    ValidationError,
    model_validator,
)
from pydantic.alias_generators import to_camel

from spotwise.errors import UserError
from spotwise.model.allocation import OnDemandAllocationStrategy, SpotAllocationStrategy
from spotwise.model.instance_type import Architecture, CapacityType
from spotwise.model.quantity import parse_bytes, parse_cpu_millicores
from spotwise.model.scheduling_terms import Operator, TaintEffect

API_VERSION: Final = "spotwise.io/v1alpha1"
KIND: Final = "NodePool"

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL_NAME = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")
_INSTANCE_TYPE = re.compile(r"^[a-z0-9-]+\.[a-z0-9-]+$")
_ZONE = re.compile(r"^[a-z]{2}(-[a-z0-9]+)+[a-z]$")


def _check(pattern: re.Pattern[str], what: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        if not pattern.match(value):
            raise ValueError(f"{value!r} is not {what}")
        return value

    return check


def _label_key(key: str) -> str:
    prefix, slash, name = key.rpartition("/")
    if slash and (len(prefix) > 253 or not _DNS_SUBDOMAIN.match(prefix)):
        raise ValueError(f"{key!r} has a prefix that is not a DNS subdomain")
    if not _LABEL_NAME.match(name):
        raise ValueError(
            f"{key!r} is not a label key (a name of up to 63 letters, digits, '-', '_', '.',"
            " optionally after a DNS prefix and '/')"
        )
    return key


def _label_value(value: str) -> str:
    if value and not _LABEL_NAME.match(value):
        raise ValueError(
            f"{value!r} is not a label value (up to 63 letters, digits, '-', '_', '.',"
            " starting and ending with a letter or digit)"
        )
    return value


def _quantity(parse: Callable[[str | int | float], int]) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        # YAML reads `yes`/`true` as booleans, which pydantic would quietly turn into 1.
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ValueError(f"{value!r} is not a Kubernetes quantity (such as 2, 500m, 64Gi)")
        parse(value)  # QuantityError is a ValueError, so pydantic reports it on the field
        return value

    return check


def _unique(values: tuple[Any, ...]) -> tuple[Any, ...]:
    duplicates = sorted({str(v) for v in values if values.count(v) > 1})
    if duplicates:
        raise ValueError(f"lists {', '.join(duplicates)} more than once")
    return values


InstanceTypeName = Annotated[str, AfterValidator(_check(_INSTANCE_TYPE, "an EC2 instance type"))]
ZoneName = Annotated[str, AfterValidator(_check(_ZONE, "an availability-zone name"))]
LabelKey = Annotated[str, AfterValidator(_label_key)]
LabelValue = Annotated[str, AfterValidator(_label_value)]
# Kept as written, so that a file reads back the way its author wrote it.
CpuQuantity = Annotated[str | int | float, BeforeValidator(_quantity(parse_cpu_millicores))]
MemoryQuantity = Annotated[str | int | float, BeforeValidator(_quantity(parse_bytes))]


class _Model(BaseModel):
    """Camel-case keys in files, snake_case in Python; unknown keys are errors.

    Numbers are strict because YAML already types them: a quoted ``"5"`` or a ``yes``
    is a mistake to report, not a value to coerce.
    """

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        alias_generator=to_camel,
        validate_by_alias=True,
        validate_by_name=True,
    )


class Metadata(_Model):
    """The pool's identity."""

    name: Annotated[str, AfterValidator(_check(_DNS_LABEL, "a DNS label (a-z, 0-9, '-')"))]


class Taint(_Model):
    """A Kubernetes taint put on every node of the pool."""

    key: LabelKey
    value: LabelValue = ""
    effect: TaintEffect


class Limits(_Model):
    """Caps on the pool's total size; a missing cap is not applied."""

    cpu: CpuQuantity | None = None
    memory: MemoryQuantity | None = None
    nodes: StrictInt | None = Field(default=None, ge=0)
    price_per_hour: StrictFloat | None = Field(default=None, ge=0)

    @property
    def cpu_millicores(self) -> int | None:
        """The CPU cap in millicores."""
        return None if self.cpu is None else parse_cpu_millicores(self.cpu)

    @property
    def memory_bytes(self) -> int | None:
        """The memory cap in bytes."""
        return None if self.memory is None else parse_bytes(self.memory)


class Requirement(_Model):
    """A requirement on the labels of the pool's nodes, as in a node selector term."""

    key: LabelKey
    operator: Operator
    values: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _values_fit_operator(self) -> Self:
        if self.operator in (Operator.EXISTS, Operator.DOES_NOT_EXIST) and self.values:
            raise ValueError(f"operator {self.operator.value} takes no values; drop them")
        if self.operator in (Operator.IN, Operator.NOT_IN) and not self.values:
            raise ValueError(f"operator {self.operator.value} needs at least one value")
        if self.operator in (Operator.GT, Operator.LT) and (
            len(self.values) != 1 or not self.values[0].lstrip("-").isdigit()
        ):
            raise ValueError(f"operator {self.operator.value} needs exactly one integer value")
        return self


class HeadroomUnit(_Model):
    """The size of one spare unit."""

    cpu: CpuQuantity = "1"
    memory: MemoryQuantity = "2Gi"


class Headroom(_Model):
    """Spare capacity kept warm, so that new pods start without waiting for a node."""

    percent: StrictInt = Field(default=0, ge=0, le=100)
    units: StrictInt = Field(default=0, ge=0)
    unit: HeadroomUnit = Field(default_factory=HeadroomUnit)


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


class AmiSelector(_Model):
    """Which image nodes boot: exactly one of an ID, an SSM parameter or a tag selector."""

    id: Annotated[str, AfterValidator(_check(_AMI_ID, "an AMI ID (ami-...)"))] | None = None
    ssm_parameter: (
        Annotated[str, AfterValidator(_check(_SSM_PARAMETER, "an SSM parameter name"))] | None
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


VolumeType = Literal["gp3", "gp2", "io1", "io2", "st1", "sc1", "standard"]


def _volume_size(value: Any) -> Any:
    size = parse_bytes(value)
    if not _MIN_VOLUME_BYTES <= size <= _MAX_VOLUME_BYTES:
        raise ValueError(
            f"{value!r} is not between 1Gi and 64Ti (a bare number is bytes; write 100Gi)"
        )
    return value


class Ebs(_Model):
    """An EBS volume attached at launch; unset fields take EC2's defaults."""

    volume_size: Annotated[MemoryQuantity, AfterValidator(_volume_size)] | None = None
    volume_type: VolumeType | None = None
    iops: StrictInt | None = Field(default=None, ge=100, le=256_000)
    throughput: StrictInt | None = Field(default=None, ge=125, le=2000)
    encrypted: StrictBool | None = None
    kms_key_id: Annotated[str, Field(min_length=1, max_length=2048)] | None = None
    snapshot_id: (
        Annotated[str, AfterValidator(_check(_SNAPSHOT_ID, "a snapshot ID (snap-...)"))] | None
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


class BlockDeviceMapping(_Model):
    """A volume of every node, such as the root volume ``/dev/xvda``."""

    device_name: Annotated[
        str, AfterValidator(_check(_DEVICE_NAME, "a device name (such as /dev/xvda)"))
    ]
    ebs: Ebs


class MetadataOptions(_Model):
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
    _unique(tuple(m.device_name for m in mappings))
    return mappings


class Launch(_Model):
    """How the pool's nodes are launched on EC2: image, role, network, disks, user data."""

    ami: AmiSelector
    instance_profile: Annotated[
        str, AfterValidator(_check(_INSTANCE_PROFILE, "an instance profile name or ARN"))
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
                    _check(_CAPACITY_RESERVATION_ID, "a capacity reservation ID (cr-...)")
                ),
            ],
            ...,
        ],
        AfterValidator(_unique),
    ] = ()


class NodePoolSpec(_Model):
    """What nodes the pool may launch and how it buys them."""

    instance_types: Annotated[tuple[InstanceTypeName, ...], AfterValidator(_unique)] = ()
    capacity_types: Annotated[
        tuple[CapacityType, ...], Field(min_length=1), AfterValidator(_unique)
    ] = (CapacityType.SPOT, CapacityType.ON_DEMAND)
    zones: Annotated[tuple[ZoneName, ...], AfterValidator(_unique)] = ()
    architecture: Architecture | None = None
    labels: dict[LabelKey, LabelValue] = Field(default_factory=dict)
    taints: tuple[Taint, ...] = ()
    on_demand_base: StrictInt = Field(default=0, ge=0)
    on_demand_percentage_above_base: StrictInt | None = Field(default=None, ge=0, le=100)
    spot_allocation_strategy: SpotAllocationStrategy = (
        SpotAllocationStrategy.PRICE_CAPACITY_OPTIMIZED
    )
    on_demand_allocation_strategy: OnDemandAllocationStrategy = (
        OnDemandAllocationStrategy.LOWEST_PRICE
    )
    max_interruption: StrictFloat | None = Field(default=None, ge=0, le=100)
    weight: StrictInt = Field(default=0, ge=0, le=100)
    limits: Limits = Field(default_factory=Limits)
    requirements: tuple[Requirement, ...] = ()
    headroom: Headroom = Field(default_factory=Headroom)
    price_ceiling: StrictFloat = Field(default=0.25, ge=0, le=10)
    launch: Launch | None = None

    @model_validator(mode="after")
    def _split_matches_capacity_types(self) -> Self:
        percentage = self.on_demand_percentage_above_base
        if CapacityType.SPOT not in self.capacity_types and percentage not in (None, 100):
            raise ValueError(
                f"onDemandPercentageAboveBase {percentage} asks for spot, but capacityTypes "
                "has no spot; add spot or drop onDemandPercentageAboveBase"
            )
        if CapacityType.ON_DEMAND not in self.capacity_types and (
            self.on_demand_base or percentage
        ):
            raise ValueError(
                "onDemandBase and onDemandPercentageAboveBase ask for on-demand, but "
                "capacityTypes has no on-demand; add on-demand or set them to 0"
            )
        return self

    @property
    def on_demand_above_base(self) -> int:
        """The on-demand percentage beyond the base: as written, else 100 without spot, else 0."""
        if self.on_demand_percentage_above_base is not None:
            return self.on_demand_percentage_above_base
        return 0 if CapacityType.SPOT in self.capacity_types else 100


class NodePool(_Model):
    """One ``kind: NodePool`` document."""

    api_version: Literal["spotwise.io/v1alpha1"]
    kind: Literal["NodePool"]
    metadata: Metadata
    spec: NodePoolSpec = Field(default_factory=NodePoolSpec)

    @property
    def name(self) -> str:
        """The pool's name."""
        return self.metadata.name


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses a key given twice, which PyYAML would quietly overwrite."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} is given twice", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _field_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part == "[key]":
            continue  # pydantic's marker for a bad dict key; the key itself is already in loc
        elif re.fullmatch(r"[A-Za-z_]\w*", part):
            path += f".{part}" if path else part
        else:
            path += f"[{part!r}]"
    return path


def _known_fields(loc: tuple[int | str, ...]) -> list[str]:
    """The keys the model at ``loc`` accepts, to suggest when a key is unknown."""
    model: type[BaseModel] = NodePool
    for part in loc:
        if isinstance(part, int):
            continue  # an index into a list of models, such as taints[0]
        field = next(f for name, f in model.model_fields.items() if to_camel(name) == part)
        inner = [a for a in (field.annotation, *get_args(field.annotation)) if _is_model(a)]
        if not inner:
            return []
        model = inner[0]
    return [to_camel(name) for name in model.model_fields]


def _is_model(annotation: object) -> TypeGuard[type[BaseModel]]:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def first_error(error: ValidationError) -> tuple[str, str, str]:
    """The first error as (field path, problem, fix); one line is all a user needs to start."""
    errors = error.errors(include_url=False)
    first = errors[0]
    fix = "see docs/nodepool.md for the fields and their values"
    if first["type"] == "extra_forbidden":
        problem = "is not a field here"
        fix = f"use one of {', '.join(_known_fields(first['loc'][:-1]))}"
    elif first["type"] == "missing":
        problem = "is required"
    elif first["type"] == "value_error":
        # Our validators name the value themselves.
        problem = str(first["msg"]).removeprefix("Value error, ")
    else:
        problem = str(first["msg"])
        if not isinstance(first["input"], dict | list):
            problem += f" (got {first['input']!r})"
    if len(errors) > 1:
        problem += f" (and {len(errors) - 1} more error{'s' if len(errors) > 2 else ''})"
    return _field_path(first["loc"]) or "document", problem, fix


def parse_nodepool(document: object) -> NodePool:
    """Validate one parsed YAML document as a NodePool.

    Raises:
        ValidationError: If the document does not follow the schema.
    """
    # Files must use the camelCase keys; snake_case names are for Python callers only.
    return NodePool.model_validate(document, by_alias=True, by_name=False)


def _documents(path: Path) -> list[object]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(
            str(path), f"cannot be read ({error})", "pass a readable YAML file"
        ) from None
    try:
        return list(yaml.load_all(text, Loader=_UniqueKeyLoader))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise UserError(str(path), f"is not valid YAML{where}: {problem}", "fix the YAML") from None


def load_nodepools(path: Path | str) -> list[NodePool]:
    """Read every NodePool of a YAML file (documents separated by ``---``).

    Raises:
        UserError: Naming the file, the document (counted from 1) and the field path,
            if the file is unreadable, not YAML, or breaks the schema; or if two pools
            share a name or the file has no pool.
    """
    path = Path(path)
    pools: list[NodePool] = []
    first_with_name: dict[str, int] = {}
    for number, document in enumerate(_documents(path), start=1):
        if document is None:
            continue  # an empty document, such as after a trailing `---`
        where = f"{path}: document {number}"
        if not isinstance(document, dict):
            raise UserError(
                where,
                "is not a mapping",
                "write a NodePool object (apiVersion, kind, metadata, spec)",
            )
        try:
            pool = parse_nodepool(document)
        except ValidationError as error:
            field, problem, fix = first_error(error)
            raise UserError(f"{where}: {field}", problem, fix) from None
        if pool.name in first_with_name:
            raise UserError(
                f"{where}: metadata.name",
                f"{pool.name!r} is already the name of document {first_with_name[pool.name]}",
                "give every pool its own name",
            )
        first_with_name[pool.name] = number
        pools.append(pool)
    if not pools:
        raise UserError(str(path), "holds no NodePool document", "add one (see docs/nodepool.md)")
    return pools


def dump_nodepool(pool: NodePool) -> str:
    """One NodePool as a YAML document that :func:`load_nodepools` reads back equal."""
    data = pool.model_dump(mode="json", by_alias=True, exclude_none=True)
    return yaml.safe_dump(data, sort_keys=False)
