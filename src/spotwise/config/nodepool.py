"""The NodePool document: which nodes spotwise may launch for a pool, and how.

This is spotwise's own configuration (``apiVersion: spotwise.io/v1alpha1``), read by the
controller and written by ``spotwise select --emit pool``. It is untrusted input, so it
is validated with pydantic at this edge; docs/nodepool.md documents every field.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path
from typing import Annotated, Final, Literal, Self

import yaml
from pydantic import (
    AfterValidator,
    Field,
    StrictFloat,
    StrictInt,
    ValidationError,
    model_validator,
)

from spotwise.config import documents, karpenter
from spotwise.config.disruption import Disruption
from spotwise.config.documents import (
    CpuQuantity,
    DocumentModel,
    MemoryQuantity,
    matches,
    unique,
)
from spotwise.config.launch import (
    AmiSelector,
    BlockDeviceMapping,
    Ebs,
    Launch,
    MetadataOptions,
    TagSelector,
    VolumeType,
    user_data_content_type,
)
from spotwise.decisions.disruption.drift import HASH_LABEL, HASH_VERSION, Template
from spotwise.errors import UserError
from spotwise.model.allocation import OnDemandAllocationStrategy, SpotAllocationStrategy
from spotwise.model.instance_type import Architecture, CapacityType
from spotwise.model.quantity import parse_bytes, parse_cpu_millicores
from spotwise.model.rebalance import RebalancePolicy
from spotwise.model.scheduling_terms import Operator, TaintEffect
from spotwise.model.scheduling_terms import Requirement as LabelRequirement

__all__ = [
    "API_VERSION",
    "KIND",
    "AmiSelector",
    "BlockDeviceMapping",
    "CpuQuantity",
    "Ebs",
    "Headroom",
    "HeadroomUnit",
    "InstanceTypeName",
    "LabelKey",
    "LabelValue",
    "Launch",
    "Limits",
    "MemoryQuantity",
    "Metadata",
    "MetadataOptions",
    "NodePool",
    "NodePoolSpec",
    "Requirement",
    "TagSelector",
    "Taint",
    "TaintEffect",
    "VolumeType",
    "ZoneName",
    "dump_nodepool",
    "first_error",
    "load_nodepools",
    "parse_nodepool",
    "user_data_content_type",
]

API_VERSION: Final = "spotwise.io/v1alpha1"
KIND: Final = "NodePool"

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL_NAME = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")
_INSTANCE_TYPE = re.compile(r"^[a-z0-9-]+\.[a-z0-9-]+$")
_ZONE = re.compile(r"^[a-z]{2}(-[a-z0-9]+)+[a-z]$")


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


InstanceTypeName = Annotated[str, AfterValidator(matches(_INSTANCE_TYPE, "an EC2 instance type"))]
ZoneName = Annotated[str, AfterValidator(matches(_ZONE, "an availability-zone name"))]
LabelKey = Annotated[str, AfterValidator(_label_key)]
LabelValue = Annotated[str, AfterValidator(_label_value)]


class Metadata(DocumentModel):
    """The pool's identity."""

    name: Annotated[str, AfterValidator(matches(_DNS_LABEL, "a DNS label (a-z, 0-9, '-')"))]


class Taint(DocumentModel):
    """A Kubernetes taint put on every node of the pool."""

    key: LabelKey
    value: LabelValue = ""
    effect: TaintEffect


class Limits(DocumentModel):
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


class Requirement(DocumentModel):
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


class HeadroomUnit(DocumentModel):
    """The size of one spare unit."""

    cpu: CpuQuantity = "1"
    memory: MemoryQuantity = "2Gi"


class Headroom(DocumentModel):
    """Spare capacity kept warm, so that new pods start without waiting for a node."""

    percent: StrictInt = Field(default=0, ge=0, le=100)
    units: StrictInt = Field(default=0, ge=0)
    unit: HeadroomUnit = Field(default_factory=HeadroomUnit)


class NodePoolSpec(DocumentModel):
    """What nodes the pool may launch and how it buys them."""

    instance_types: Annotated[tuple[InstanceTypeName, ...], AfterValidator(unique)] = ()
    capacity_types: Annotated[
        tuple[CapacityType, ...], Field(min_length=1), AfterValidator(unique)
    ] = (CapacityType.SPOT, CapacityType.ON_DEMAND)
    zones: Annotated[tuple[ZoneName, ...], AfterValidator(unique)] = ()
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
    min_instance_types: StrictInt = Field(default=10, ge=1, le=60)
    min_families: StrictInt = Field(default=1, ge=1, le=60)
    max_type_share: StrictInt = Field(default=25, ge=1, le=100)
    rebalance_policy: RebalancePolicy = RebalancePolicy.REPLACE
    launch: Launch | None = None
    disruption: Disruption = Field(default_factory=Disruption)

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
    def settings_hash(self) -> str:
        """A short hash of what a node keeps from its launch: labels, taints, launch block.

        Nodes carry it in `HASH_LABEL`; when it changes, they drifted. Only fields as
        written count (a default spotwise changes drifts nothing), and the value starts
        with `HASH_VERSION`: a node stamped by another way of hashing is not compared.
        """
        fixed = self.model_dump(
            mode="json",
            by_alias=True,
            exclude_unset=True,
            include={"labels", "taints", "launch"},
        )
        fixed = {k: v for k, v in fixed.items() if v not in ({}, [], None)}  # none written
        text = json.dumps(fixed, sort_keys=True, separators=(",", ":"))
        return f"{HASH_VERSION}.{hashlib.sha256(text.encode()).hexdigest()[:16]}"

    @property
    def root_volume_bytes(self) -> int | None:
        """The volume pods' ephemeral storage lives on (None: the AMI's default)."""
        return None if self.launch is None else self.launch.root_volume_bytes

    @property
    def node_labels(self) -> dict[str, str]:
        """The labels the pool's nodes register with: its own and the settings' hash."""
        return {**self.labels, HASH_LABEL: self.settings_hash}

    @property
    def on_demand_above_base(self) -> int:
        """The on-demand percentage beyond the base: as written, else 100 without spot, else 0."""
        if self.on_demand_percentage_above_base is not None:
            return self.on_demand_percentage_above_base
        return 0 if CapacityType.SPOT in self.capacity_types else 100


class NodePool(DocumentModel):
    """One ``kind: NodePool`` document."""

    docs_page = "docs/nodepool.md"

    api_version: Literal["spotwise.io/v1alpha1"]
    kind: Literal["NodePool"]
    metadata: Metadata
    spec: NodePoolSpec = Field(default_factory=NodePoolSpec)

    @property
    def name(self) -> str:
        """The pool's name."""
        return self.metadata.name

    def template(self) -> Template:
        """What the pool launches today, to tell which of its nodes drifted."""
        spec = self.spec
        return Template(
            spec.settings_hash,
            frozenset(spec.instance_types),
            frozenset(spec.capacity_types),
            frozenset(spec.zones),
            None if spec.architecture is None else spec.architecture.kubernetes,
            tuple(LabelRequirement(r.key, r.operator, r.values) for r in spec.requirements),
        )


def first_error(error: ValidationError) -> tuple[str, str, str]:
    """The first error of validating a NodePool (or a model of one): (field path, problem, fix)."""
    return documents.first_error(error, NodePool)


def parse_nodepool(document: object) -> NodePool:
    """Validate one parsed YAML document as a NodePool.

    Raises:
        ValidationError: If the document does not follow the schema.
    """
    # Files must use the camelCase keys; snake_case names are for Python callers only.
    return NodePool.model_validate(document, by_alias=True, by_name=False)


def load_nodepools(path: Path | str) -> list[NodePool]:
    """Read every NodePool of a YAML file (documents separated by ``---``).

    A file of Karpenter's manifests (``karpenter.sh/v1`` NodePools and the
    ``karpenter.k8s.aws/v1`` EC2NodeClasses they name) is read as it is and translated
    (`spotwise.config.karpenter`); what has no equivalent yet is named on stderr.

    Raises:
        UserError: Naming the file, the document (counted from 1) and the field path,
            if the file is unreadable, not YAML, or breaks the schema; or if two pools
            share a name or the file has no pool.
    """
    path = Path(path)
    pools: list[NodePool] = []
    first_with_name: dict[str, int] = {}
    parsed = documents.read_documents(path)
    name = documents.display_name(path)
    if any(karpenter.is_karpenter(d) for d in parsed):
        return _from_karpenter(name, parsed)
    for number, document in enumerate(parsed, start=1):
        if document is None:
            continue  # an empty document, such as after a trailing `---`
        where = f"{name}: document {number}"
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
        raise UserError(name, "holds no NodePool document", "add one (see docs/nodepool.md)")
    return pools


def dump_nodepool(pool: NodePool) -> str:
    """One NodePool as a YAML document that :func:`load_nodepools` reads back equal."""
    data = pool.model_dump(mode="json", by_alias=True, exclude_none=True)
    return yaml.safe_dump(data, sort_keys=False)


def _from_karpenter(name: str, parsed: list[object]) -> list[NodePool]:
    """The spotwise NodePools of a file of Karpenter's manifests (warnings on stderr)."""
    pools, result = from_karpenter(parsed, name, launch_needed=False)
    for warning in result.warnings:
        print(f"warning: {name}: {warning}", file=sys.stderr)
    return pools


def from_karpenter(
    parsed: list[object],
    where: str,
    kubernetes_version: str | None = None,
    *,
    launch_needed: bool = True,
) -> tuple[list[NodePool], karpenter.Translation]:
    """Karpenter's manifests translated, every NodePool checked against spotwise's schema.

    Returns:
        The pools, and the translation they were parsed from (documents and warnings).

    Args:
        parsed: The YAML documents.
        where: The input, for messages.
        kubernetes_version: For AMI aliases (see `spotwise.config.karpenter.translate`).
        launch_needed: False when a pool without its launch section will do (planning).

    Raises:
        UserError: If there is no Karpenter NodePool, or one does not translate into a
            valid spotwise NodePool (naming the pool and the field).
    """
    result = karpenter.translate(parsed, kubernetes_version, launch_needed=launch_needed)
    if not result.nodepools:
        raise UserError(
            where, "holds no karpenter.sh/v1 NodePool", "pass Karpenter's NodePool manifests"
        )
    pools = []
    for document in result.nodepools:
        try:
            pools.append(parse_nodepool(document))
        except ValidationError as error:
            field, problem, fix = first_error(error)
            name = document["metadata"]["name"]
            raise UserError(
                f"{where}: NodePool {name} as translated: {field}", problem, fix
            ) from None
    return pools, result
