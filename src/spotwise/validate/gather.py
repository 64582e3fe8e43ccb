"""The thin adapter that asks AWS what the online checks need.

Each distinct value (image selector, snapshot, tag selector, instance profile) is looked
up once, however many pools share it. A call the caller may not make (AccessDenied)
becomes an `Unchecked` note instead of failing the run: the other checks still help.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from typing import Any, Final, TypeVar, cast

from botocore.exceptions import ClientError

from spotwise.aws.ami import resolve_image_id
from spotwise.aws.calls import aws_call, error_code, make_client
from spotwise.aws.discovery import (
    DISCOVERY_TAG,
    default_selector,
    discover_security_groups,
    discover_subnets,
)
from spotwise.config.nodepool import AmiSelector, Launch, NodePool
from spotwise.errors import UserError
from spotwise.model.instance_type import Architecture
from spotwise.ports.cloud import CloudError
from spotwise.validate.facts import (
    Discovered,
    Image,
    InstanceProfile,
    PoolFacts,
    Snapshot,
    Unchecked,
    Unresolved,
)

# Every call `spotwise validate` makes, as IAM actions (read-only).
VALIDATE_CALLS: Final = frozenset(
    {
        "ec2:DescribeImages",
        "ssm:GetParameter",
        "ec2:DescribeSnapshots",
        "ec2:DescribeSubnets",
        "ec2:DescribeSecurityGroups",
        "iam:GetInstanceProfile",
    }
)
_DENIED = frozenset({"UnauthorizedOperation", "AccessDenied", "AccessDeniedException"})
_IMAGE_MISSING = frozenset(
    {"InvalidAMIID.NotFound", "InvalidAMIID.Malformed", "InvalidAMIID.Unavailable"}
)
_SNAPSHOT_MISSING = frozenset({"InvalidSnapshot.NotFound", "InvalidSnapshotID.Malformed"})
_T = TypeVar("_T")


def _denied(error: CloudError) -> bool:
    cause = error.__cause__
    return isinstance(cause, ClientError) and error_code(cause) in _DENIED


def _architecture(value: object) -> Architecture | None:
    try:
        return Architecture(str(value))
    except ValueError:
        return None  # absent, or a name spotwise does not know


class AwsFacts:
    """Looks up the AWS facts of pools' ``spec.launch`` in one region."""

    def __init__(
        self,
        session: Any,
        *,
        region: str,
        cluster: str | None = None,
        endpoint_url: str | None = None,
    ) -> None:
        """Make the EC2 client; SSM and IAM clients are made when first needed.

        Args:
            session: A ``boto3.Session`` holding the credentials to use.
            region: The region the pools launch in.
            cluster: The cluster's name, for the default discovery selectors.
            endpoint_url: Send calls here instead of AWS (local emulators).

        Raises:
            CloudError: If the client cannot be made.
        """
        self.region = region
        self.cluster = cluster
        self._session = session
        self._endpoint_url = endpoint_url
        self._ec2 = make_client(session, "ec2", region, endpoint_url)
        self._clients: dict[str, Any] = {}
        self._cache: dict[tuple[str, str], object] = {}

    def pool_facts(self, pool: NodePool) -> PoolFacts:
        """What AWS says about the pool's launch settings; empty without ``spec.launch``.

        Raises:
            CloudError: If a call fails for another reason than a refused permission.
        """
        launch = pool.spec.launch
        if launch is None:
            return PoolFacts()
        unchecked: list[Unchecked] = []
        images: dict[Architecture | None, Image | Unresolved] = {}
        for architecture, ami in launch.images().items():
            field = launch.image_field(architecture)
            found_image = self._guard(
                unchecked,
                field,
                partial(self._image, ami, architecture or pool.spec.architecture, field),
            )
            if found_image is not None:
                images[architecture] = found_image
        snapshots = {}
        for index, mapping in enumerate(launch.block_device_mappings):
            snapshot_id = mapping.ebs.snapshot_id
            if snapshot_id is None:
                continue
            found = self._guard(
                unchecked,
                f"spec.launch.blockDeviceMappings[{index}].ebs.snapshotId",
                partial(self._snapshot, snapshot_id),
            )
            if found is not None:
                snapshots[snapshot_id] = found
        profile = self._guard(
            unchecked,
            "spec.launch.instanceProfile",
            lambda: self._instance_profile(launch.instance_profile),
        )
        return PoolFacts(
            image=images.pop(None, None),
            images_by_architecture={a: i for a, i in images.items() if a is not None},
            snapshots=snapshots,
            subnets=self._discover(unchecked, launch, subnets=True),
            security_groups=self._discover(unchecked, launch, subnets=False),
            instance_profile=profile,
            unchecked=tuple(unchecked),
        )

    def _guard(self, unchecked: list[Unchecked], field: str, look: Callable[[], _T]) -> _T | None:
        try:
            return look()
        except CloudError as refused:
            if not _denied(refused):
                raise
            unchecked.append(
                Unchecked(
                    field,
                    str(refused),
                    "grant the call to the identity running validate, or pass --offline",
                )
            )
            return None

    def _cached(self, kind: str, key: str, look: Callable[[], _T]) -> _T:
        if (kind, key) not in self._cache:
            self._cache[kind, key] = look()
        # The key's kind fixes the type of the value stored under it.
        return cast(_T, self._cache[kind, key])

    def _client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = make_client(
                self._session, service, self.region, self._endpoint_url
            )
        return self._clients[service]

    def _image(
        self, ami: AmiSelector, architecture: Architecture | None, subject: str
    ) -> Image | Unresolved:
        key = f"{ami.model_dump_json()} {architecture} {subject}"
        return self._cached("image", key, lambda: self._resolve(ami, architecture, subject))

    def _resolve(
        self, ami: AmiSelector, architecture: Architecture | None, subject: str
    ) -> Image | Unresolved:
        """The image ``ami`` picks (of ``architecture``, for tags), found at ``subject``."""
        try:
            image_id = resolve_image_id(
                ami,
                ec2=self._ec2,
                ssm=lambda: self._client("ssm"),
                region=self.region,
                architecture=architecture,
                subject=subject,
            )
        except UserError as problem:
            return Unresolved(problem.subject, problem.problem, problem.fix)
        with aws_call("ec2:DescribeImages", self.region):
            try:
                images = self._ec2.describe_images(ImageIds=[image_id])["Images"]
            except ClientError as error:
                if error_code(error) not in _IMAGE_MISSING:
                    raise
                images = []
        way = "id" if ami.id is not None else "ssmParameter" if ami.ssm_parameter else "tags"
        field = f"{subject}.{way}"
        if not images:
            held = f" (the value of {ami.ssm_parameter})" if ami.ssm_parameter else ""
            return Unresolved(
                field,
                f"image {image_id}{held} does not exist in {self.region}, or is not shared"
                " with this account",
                "fix the ID, copy the image to this region, or share it with the account",
            )
        image = images[0]
        state = image.get("State", "available")
        if state != "available":
            return Unresolved(
                field,
                f"image {image_id} is {state}, not available; launches from it fail",
                "use an available image",
            )
        return Image(
            image_id, image.get("RootDeviceName"), _architecture(image.get("Architecture"))
        )

    def _snapshot(self, snapshot_id: str) -> Snapshot:
        return self._cached("snapshot", snapshot_id, lambda: self._describe_snapshot(snapshot_id))

    def _describe_snapshot(self, snapshot_id: str) -> Snapshot:
        with aws_call("ec2:DescribeSnapshots", self.region):
            try:
                found = self._ec2.describe_snapshots(SnapshotIds=[snapshot_id])["Snapshots"]
            except ClientError as error:
                if error_code(error) not in _SNAPSHOT_MISSING:
                    raise
                return Snapshot(snapshot_id, exists=False)
        if not found:
            return Snapshot(snapshot_id, exists=False)
        size = found[0].get("VolumeSize")
        return Snapshot(snapshot_id, exists=True, size_gib=None if size is None else int(size))

    def _instance_profile(self, name_or_arn: str) -> InstanceProfile:
        # An ARN's last segment is the name; a profile must be in the launching account.
        name = name_or_arn.rsplit("/", 1)[-1] if name_or_arn.startswith("arn:") else name_or_arn
        return self._cached("profile", name, lambda: self._get_instance_profile(name))

    def _get_instance_profile(self, name: str) -> InstanceProfile:
        with aws_call("iam:GetInstanceProfile", self.region):
            try:
                profile = self._client("iam").get_instance_profile(InstanceProfileName=name)
            except ClientError as error:
                if error_code(error) != "NoSuchEntity":
                    raise
                return InstanceProfile(name, exists=False)
        roles = tuple(str(r["RoleName"]) for r in profile["InstanceProfile"].get("Roles", ()))
        return InstanceProfile(name, exists=True, roles=roles)

    def _discover(
        self, unchecked: list[Unchecked], launch: Launch, *, subnets: bool
    ) -> Discovered | None:
        field = "spec.launch.subnetSelector" if subnets else "spec.launch.securityGroupSelector"
        given = launch.subnet_selector if subnets else launch.security_group_selector
        if given is None and self.cluster is None:
            unchecked.append(
                Unchecked(
                    field,
                    f"the pool gives no selector, and the default ({DISCOVERY_TAG}:"
                    " <cluster>) needs the cluster's name",
                    "pass --cluster NAME, or set the selector",
                )
            )
            return None
        selector = given if given is not None else default_selector(str(self.cluster))
        key = f"{subnets} {sorted(selector.items())}"
        return self._guard(
            unchecked,
            field,
            lambda: self._cached("selector", key, lambda: self._find(selector, subnets)),
        )

    def _find(self, selector: dict[str, str], subnets: bool) -> Discovered:
        if subnets:
            with aws_call("ec2:DescribeSubnets", self.region):
                return Discovered(selector, subnets=discover_subnets(self._ec2, selector))
        with aws_call("ec2:DescribeSecurityGroups", self.region):
            return Discovered(
                selector, security_groups=discover_security_groups(self._ec2, selector)
            )


def gather_facts(
    pools: Iterable[NodePool],
    session: Any,
    *,
    region: str,
    cluster: str | None = None,
    endpoint_url: str | None = None,
) -> dict[str, PoolFacts]:
    """Pool name -> what AWS says about its ``spec.launch``.

    Raises:
        CloudError: If a call fails for another reason than a refused permission
            (credentials, an unreachable endpoint, throttling after retries).
    """
    facts = AwsFacts(session, region=region, cluster=cluster, endpoint_url=endpoint_url)
    return {pool.name: facts.pool_facts(pool) for pool in pools}
