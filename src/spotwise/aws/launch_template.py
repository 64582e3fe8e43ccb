"""Launch templates per pool and capacity type: the pure data, and keeping EC2 in step.

`launch_template_data` turns a NodePool into LaunchTemplateData; `LaunchTemplates`
resolves what it needs (image, security groups) and creates the template, or a new
version of it, only when the data changed. Names follow
``spotwise-<cluster>-<pool>-<spot|on-demand>`` (`template_name`), which
`LaunchTemplateRef.per_pool` points `Ec2Cloud` at. A pool with ``reservedCapacity`` also
gets ``spotwise-<cluster>-<pool>-reserved-<id>`` per reservation
(`reserved_template_name`): the on-demand data, launching into that reservation only.
A pool with ``amiByArchitecture`` gets all of these once per architecture, each with its
architecture's image and ``-<architecture>`` at the end of its name.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from spotwise.aws.ami import resolve_image_id
from spotwise.aws.calls import aws_call, error_code, make_client
from spotwise.aws.discovery import (
    default_selector,
    discover_security_groups,
    discover_subnets,
    tag_filters,
)
from spotwise.aws.template_ref import LaunchTemplateRef, reserved_template_name, template_name
from spotwise.aws.user_data import ClusterJoin, node_user_data, template_labels
from spotwise.config.nodepool import BlockDeviceMapping, Launch, NodePool
from spotwise.errors import UserError
from spotwise.model.instance_type import Architecture, CapacityType
from spotwise.model.scheduling_terms import Taint
from spotwise.ports.cloud import (
    TAG_CAPACITY_RESERVATION,
    TAG_CAPACITY_TYPE,
    TAG_CLUSTER,
    TAG_MANAGED,
    TAG_POOL,
)

if TYPE_CHECKING:
    import boto3

# The version description records a digest of the data, so an unchanged pool is a no-op.
_DIGEST_PREFIX = "spotwise "
_TEMPLATE_MISSING = frozenset(
    {"InvalidLaunchTemplateName.NotFoundException", "InvalidLaunchTemplateId.NotFound"}
)
_TEMPLATE_EXISTS = "InvalidLaunchTemplateName.AlreadyExistsException"


def launch_of(pool: NodePool) -> Launch:
    """The pool's ``spec.launch``.

    Raises:
        UserError: If the pool has none.
    """
    if pool.spec.launch is None:
        raise UserError(
            f"pool {pool.name}: spec.launch",
            "is missing, so spotwise cannot launch its nodes on EC2",
            "add spec.launch with ami and instanceProfile (see docs/nodepool.md)",
        )
    return pool.spec.launch


def resource_tags(cluster: str, pool: str, capacity_type: CapacityType) -> dict[str, str]:
    """Tags of the template itself and of the instances and volumes it launches."""
    return {
        TAG_MANAGED: "true",
        TAG_CLUSTER: cluster,
        TAG_POOL: pool,
        TAG_CAPACITY_TYPE: capacity_type.value,
        # The AWS cloud provider and load balancer controller find a cluster's nodes by it.
        f"kubernetes.io/cluster/{cluster}": "owned",
    }


def launch_template_data(
    pool: NodePool,
    capacity_type: CapacityType,
    *,
    cluster: ClusterJoin,
    image_id: str,
    security_group_ids: Sequence[str],
) -> dict[str, Any]:
    """The LaunchTemplateData for one pool bought as ``capacity_type``.

    Subnets and instance types are left out: each launch gives them as overrides.

    Raises:
        UserError: If the pool has no ``spec.launch``.
    """
    launch = launch_of(pool)
    labels = template_labels(pool.name, pool.spec.node_labels, capacity_type)
    taints = [Taint(t.key, t.value, t.effect) for t in pool.spec.taints]
    user_data = node_user_data(cluster, labels, taints, launch.user_data)
    tags = [
        {"Key": k, "Value": v}
        for k, v in resource_tags(cluster.name, pool.name, capacity_type).items()
    ]
    profile = launch.instance_profile
    metadata = launch.metadata_options
    data: dict[str, Any] = {
        "ImageId": image_id,
        "IamInstanceProfile": {"Arn": profile} if profile.startswith("arn:") else {"Name": profile},
        "SecurityGroupIds": list(security_group_ids),
        "UserData": base64.b64encode(user_data.encode()).decode(),
        "MetadataOptions": {
            "HttpTokens": metadata.http_tokens,
            "HttpPutResponseHopLimit": metadata.http_put_response_hop_limit,
            "HttpEndpoint": metadata.http_endpoint,
        },
        "TagSpecifications": [
            {"ResourceType": "instance", "Tags": tags},
            {"ResourceType": "volume", "Tags": tags},
        ],
    }
    if launch.block_device_mappings:
        data["BlockDeviceMappings"] = [_block_device(m) for m in launch.block_device_mappings]
    return data


def reserved_template_data(
    on_demand_data: Mapping[str, Any], reservation_id: str
) -> dict[str, Any]:
    """The LaunchTemplateData that launches into capacity reservation ``reservation_id`` only.

    The pool's on-demand data, targeting the reservation with
    ``capacity-reservations-only`` (EC2 then refuses a launch the reservation has no room
    for instead of launching ordinary on-demand), and the reservation's id as a tag of
    the instances and volumes.
    """
    data: dict[str, Any] = json.loads(json.dumps(on_demand_data))  # a deep copy
    data["CapacityReservationSpecification"] = {
        "CapacityReservationPreference": "capacity-reservations-only",
        "CapacityReservationTarget": {"CapacityReservationId": reservation_id},
    }
    for spec in data.get("TagSpecifications", ()):
        spec["Tags"].append({"Key": TAG_CAPACITY_RESERVATION, "Value": reservation_id})
    return data


def _block_device(mapping: BlockDeviceMapping) -> dict[str, Any]:
    ebs = mapping.ebs
    fields = {
        "VolumeSize": ebs.volume_size_gib,
        "VolumeType": ebs.volume_type,
        "Iops": ebs.iops,
        "Throughput": ebs.throughput,
        "Encrypted": ebs.encrypted,
        "KmsKeyId": ebs.kms_key_id,
        "SnapshotId": ebs.snapshot_id,
        "DeleteOnTermination": ebs.delete_on_termination,
    }
    return {
        "DeviceName": mapping.device_name,
        "Ebs": {k: v for k, v in fields.items() if v is not None},
    }


def data_digest(data: Any) -> str:
    """A short digest of launch template data, stable across runs."""
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class PoolTemplates:
    """The templates of one pool, each at the version that holds its data.

    A pool with one image (``ami``) has ``by_capacity_type`` and ``reserved``; a pool
    with an image per architecture (``amiByArchitecture``) has them per architecture in
    ``by_architecture`` instead.

    Attributes:
        by_capacity_type: The template of each of the pool's capacity types.
        reserved: Capacity reservation id -> the template launching into it only.
        by_architecture: Architecture -> the templates of its image.
    """

    by_capacity_type: dict[CapacityType, LaunchTemplateRef]
    reserved: dict[str, LaunchTemplateRef] = field(default_factory=dict)
    by_architecture: dict[Architecture, PoolTemplates] = field(default_factory=dict)


def pool_template_names(cluster: str, pool: NodePool) -> set[str]:
    """The names of every template spotwise keeps for ``pool``.

    One per capacity type and reservation id, times one per architecture for a pool
    with an image per architecture.
    """
    launch = pool.spec.launch
    architectures = list(launch.images()) if launch is not None else [None]
    reservations = launch.reserved_capacity if launch is not None else ()
    return {
        template_name(cluster, pool.name, capacity_type, architecture)
        for architecture in architectures
        for capacity_type in pool.spec.capacity_types
    } | {
        reserved_template_name(cluster, pool.name, reservation_id, architecture)
        for architecture in architectures
        for reservation_id in reservations
    }


class LaunchTemplates:
    """Keeps each pool's launch templates in EC2 in step with its NodePool."""

    def __init__(
        self,
        session: boto3.Session,
        *,
        region: str,
        cluster: ClusterJoin,
        endpoint_url: str | None = None,
    ) -> None:
        """Make the clients; no call is made yet.

        Args:
            session: A ``boto3.Session`` holding the credentials to use.
            region: The cluster's region.
            cluster: How nodes join the cluster.
            endpoint_url: Send calls here instead of AWS (local emulators).

        Raises:
            CloudError: If a client cannot be made.
        """
        self.region = region
        self.cluster = cluster
        self._session = session
        self._endpoint_url = endpoint_url
        self._ec2 = make_client(session, "ec2", region, endpoint_url)
        self._ssm: Any = None

    def ensure(self, pool: NodePool) -> dict[CapacityType, LaunchTemplateRef]:
        """Create or update the pool's templates (`ensure_all`).

        Returns:
            The template of each capacity type, at the version that holds its data;
            empty for a pool with an image per architecture (its templates are in
            ``ensure_all(pool).by_architecture``).

        Raises:
            UserError: If the pool has no ``spec.launch``, or its image or security
                groups cannot be found.
            CloudError: If a call fails.
        """
        return self.ensure_all(pool).by_capacity_type

    def ensure_all(self, pool: NodePool) -> PoolTemplates:
        """Create or update the pool's template for each of its capacity types.

        With ``spec.launch.reservedCapacity``, also one template per reservation id. With
        ``amiByArchitecture``, all of them once per architecture, each with that
        architecture's image.

        Returns:
            The templates, at the versions that hold their data.

        Raises:
            UserError: If the pool has no ``spec.launch``, or an image or its security
                groups cannot be found.
            CloudError: If a call fails.
        """
        launch = launch_of(pool)
        images = {
            architecture: resolve_image_id(
                ami,
                ec2=self._ec2,
                ssm=self._ssm_client,
                region=self.region,
                # A tag selector picks an image of the architecture it is given for.
                architecture=architecture or pool.spec.architecture,
                subject=f"pool {pool.name}: {launch.image_field(architecture)}",
            )
            for architecture, ami in launch.images().items()
        }
        selector = launch.security_group_selector or default_selector(self.cluster.name)
        with aws_call("ec2:DescribeSecurityGroups", self.region):
            groups = discover_security_groups(self._ec2, selector)
        if not groups:
            raise UserError(
                f"pool {pool.name}: spec.launch.securityGroupSelector",
                f"no security group in {self.region} has the tags {selector}",
                "tag the node security group or change the selector",
            )
        ensured = {
            architecture: self._ensure_image(pool, image_id, groups, architecture)
            for architecture, image_id in images.items()
        }
        one = ensured.pop(None, None)
        if one is not None:
            return one
        return PoolTemplates({}, {}, {a: t for a, t in ensured.items() if a is not None})

    def _ensure_image(
        self,
        pool: NodePool,
        image_id: str,
        groups: Sequence[str],
        architecture: Architecture | None,
    ) -> PoolTemplates:
        """The pool's templates that boot ``image_id`` (of ``architecture``, if given)."""
        refs = {}
        for capacity_type in pool.spec.capacity_types:
            data = launch_template_data(
                pool,
                capacity_type,
                cluster=self.cluster,
                image_id=image_id,
                security_group_ids=groups,
            )
            name = template_name(self.cluster.name, pool.name, capacity_type, architecture)
            tags = resource_tags(self.cluster.name, pool.name, capacity_type)
            refs[capacity_type] = self.ensure_template(name, data, tags)
        reserved = {}
        reservations = launch_of(pool).reserved_capacity
        if reservations:
            on_demand = launch_template_data(
                pool,
                CapacityType.ON_DEMAND,
                cluster=self.cluster,
                image_id=image_id,
                security_group_ids=groups,
            )
            tags = resource_tags(self.cluster.name, pool.name, CapacityType.ON_DEMAND)
            for reservation_id in reservations:
                name = reserved_template_name(
                    self.cluster.name, pool.name, reservation_id, architecture
                )
                reserved[reservation_id] = self.ensure_template(
                    name,
                    reserved_template_data(on_demand, reservation_id),
                    {**tags, TAG_CAPACITY_RESERVATION: reservation_id},
                )
        return PoolTemplates(refs, reserved)

    def subnets(self, pool: NodePool) -> dict[str, str]:
        """Zone -> subnet of the pool's subnet selector (or the cluster's discovery tag).

        Raises:
            CloudError: If the call fails.
        """
        launch = pool.spec.launch
        selector = (launch.subnet_selector if launch else None) or default_selector(
            self.cluster.name
        )
        with aws_call("ec2:DescribeSubnets", self.region):
            return discover_subnets(self._ec2, selector)

    def ensure_template(
        self, name: str, data: dict[str, Any], tags: dict[str, str]
    ) -> LaunchTemplateRef:
        """Make the latest version of template ``name`` hold ``data``.

        Creates the template, or a new version when the latest holds other data;
        does nothing when it already holds ``data``.

        Raises:
            CloudError: If a call fails.
        """
        description = _DIGEST_PREFIX + data_digest(data)
        latest = self._latest_version(name)
        if latest is None:
            created = self._create(name, data, tags, description)
            if created is not None:
                return created
            latest = self._latest_version(name)  # another replica created it first
        if latest is not None and latest.get("VersionDescription") == description:
            return LaunchTemplateRef(name, str(latest["VersionNumber"]))
        with aws_call("ec2:CreateLaunchTemplateVersion", self.region):
            version = self._ec2.create_launch_template_version(
                LaunchTemplateName=name, LaunchTemplateData=data, VersionDescription=description
            )["LaunchTemplateVersion"]
        return LaunchTemplateRef(name, str(version["VersionNumber"]))

    def prune(self, pools: Iterable[NodePool]) -> tuple[str, ...]:
        """Delete this cluster's templates no pool (capacity type, reservation) uses any more.

        Returns:
            The names of the templates deleted.

        Raises:
            CloudError: If a call fails.
        """
        keep = {name for pool in pools for name in pool_template_names(self.cluster.name, pool)}
        selector = {TAG_CLUSTER: self.cluster.name, TAG_MANAGED: "true"}
        with aws_call("ec2:DescribeLaunchTemplates", self.region):
            pages = self._ec2.get_paginator("describe_launch_templates").paginate(
                Filters=tag_filters(selector)
            )
            names = [t["LaunchTemplateName"] for page in pages for t in page["LaunchTemplates"]]
        stale = tuple(sorted(n for n in names if n not in keep))
        for name in stale:
            with aws_call("ec2:DeleteLaunchTemplate", self.region):
                self._ec2.delete_launch_template(LaunchTemplateName=name)
        return stale

    def _latest_version(self, name: str) -> dict[str, Any] | None:
        with aws_call("ec2:DescribeLaunchTemplateVersions", self.region):
            try:
                versions = self._ec2.describe_launch_template_versions(
                    LaunchTemplateName=name, Versions=["$Latest"]
                )["LaunchTemplateVersions"]
            except ClientError as error:
                if error_code(error) not in _TEMPLATE_MISSING:
                    raise
                return None
        return dict(versions[0]) if versions else None

    def _create(
        self, name: str, data: dict[str, Any], tags: dict[str, str], description: str
    ) -> LaunchTemplateRef | None:
        """Create the template; None if another replica created it first."""
        with aws_call("ec2:CreateLaunchTemplate", self.region):
            try:
                template = self._ec2.create_launch_template(
                    LaunchTemplateName=name,
                    LaunchTemplateData=data,
                    VersionDescription=description,
                    TagSpecifications=[
                        {
                            "ResourceType": "launch-template",
                            "Tags": [{"Key": k, "Value": v} for k, v in tags.items()],
                        }
                    ],
                )["LaunchTemplate"]
            except ClientError as error:
                if error_code(error) != _TEMPLATE_EXISTS:
                    raise
                return None
        return LaunchTemplateRef(name, str(template["LatestVersionNumber"]))

    def _ssm_client(self) -> Any:
        if self._ssm is None:
            self._ssm = make_client(self._session, "ssm", self.region, self._endpoint_url)
        return self._ssm
