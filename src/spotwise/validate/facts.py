"""What AWS says about a pool's launch settings: the values the online checks judge.

`spotwise.validate.gather` fills these in; the checks never call AWS themselves, so
they are tested with hand-made facts as well as against the moto server.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from spotwise.model.instance_type import Architecture


@dataclass(frozen=True, slots=True)
class Image:
    """The AMI a pool's selector resolved to.

    Attributes:
        image_id: The AMI ID.
        root_device_name: The device of its root volume (DescribeImages RootDeviceName),
            such as ``/dev/xvda``; None when EC2 does not say.
        architecture: Its architecture; None when EC2 does not say.
    """

    image_id: str
    root_device_name: str | None
    architecture: Architecture | None


@dataclass(frozen=True, slots=True)
class Unresolved:
    """Why a pool's AMI selector picks no image: a field, a problem and its fix."""

    field: str
    problem: str
    fix: str


@dataclass(frozen=True, slots=True)
class Snapshot:
    """An EBS snapshot a block device mapping names.

    Attributes:
        snapshot_id: The snapshot ID.
        exists: Whether this account can see it.
        size_gib: Its size, when it exists.
    """

    snapshot_id: str
    exists: bool
    size_gib: int | None = None


@dataclass(frozen=True, slots=True)
class InstanceProfile:
    """The IAM instance profile a pool names.

    Attributes:
        name: The profile's name.
        exists: Whether IAM knows it.
        roles: The names of the roles in it (at most one, in IAM).
    """

    name: str
    exists: bool
    roles: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Unchecked:
    """A check that could not be made, and why (a refused call, a missing flag)."""

    field: str
    reason: str
    fix: str


@dataclass(frozen=True, slots=True)
class Discovered:
    """What a tag selector found.

    Attributes:
        selector: The tags searched for (the pool's, or the cluster's discovery tag).
        subnets: Zone -> subnet ID, for a subnet selector.
        security_groups: Group IDs, for a security-group selector.
    """

    selector: Mapping[str, str]
    subnets: Mapping[str, str] = field(default_factory=dict)
    security_groups: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PoolFacts:
    """Everything looked up for one pool's ``spec.launch``; None where not looked up.

    Attributes:
        image: The resolved AMI, or why it did not resolve (a pool with one image).
        images_by_architecture: Architecture -> its resolved AMI, or why it did not
            resolve (a pool with an image per architecture).
        snapshots: Snapshot ID -> what EC2 says about it.
        subnets: The subnets the pool's selector finds.
        security_groups: The security groups the pool's selector finds.
        instance_profile: The instance profile, when named (an ARN is not looked up).
        unchecked: Checks that could not be made.
    """

    image: Image | Unresolved | None = None
    images_by_architecture: Mapping[Architecture, Image | Unresolved] = field(default_factory=dict)
    snapshots: Mapping[str, Snapshot] = field(default_factory=dict)
    subnets: Discovered | None = None
    security_groups: Discovered | None = None
    instance_profile: InstanceProfile | None = None
    unchecked: tuple[Unchecked, ...] = ()
