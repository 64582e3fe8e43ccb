"""Which launch template a launch uses: one per (pool, capacity type), or one for all.

A pool with capacity reservations also has one template per reservation id
(``spotwise-<cluster>-<pool>-reserved-<id>``, `reserved_template_name`): its data targets
that reservation only, which CreateFleet overrides cannot do. A pool with an image per
architecture (``amiByArchitecture``) has each of these once per architecture, named with
the architecture last (``spotwise-<cluster>-<pool>-spot-arm64``): an image boots one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from spotwise.model.instance_type import Architecture, CapacityType

POOL_PLACEHOLDER = "{pool}"
CAPACITY_TYPE_PLACEHOLDER = "{capacity_type}"
MAX_NAME_LENGTH = 128  # EC2's limit on launch template names
RESERVED_PREFIX = "reserved-"  # fills {capacity_type} in a reservation's template name


@dataclass(frozen=True, slots=True)
class LaunchTemplateRef:
    """A launch template by name and version.

    The name may hold the placeholders ``{pool}`` and ``{capacity_type}``, filled in per
    launch: node labels are baked into the template's user data, and the capacity type
    is one of them, so spotwise keeps one template per pool and capacity type. EC2 never
    allows braces in a template name, so a placeholder cannot clash with a real name.

    Attributes:
        name: The template's name, or a pattern with placeholders.
        version: A version number, ``$Latest`` or ``$Default``.
    """

    name: str
    version: str = "$Latest"

    @classmethod
    def per_pool(cls, cluster: str) -> LaunchTemplateRef:
        """The templates `spotwise.aws.launch_template` keeps for ``cluster``'s pools."""
        return cls(f"spotwise-{cluster}-{POOL_PLACEHOLDER}-{CAPACITY_TYPE_PLACEHOLDER}")

    def for_launch(
        self,
        pool: str,
        capacity_type: CapacityType,
        architecture: Architecture | None = None,
    ) -> LaunchTemplateRef:
        """The template a launch of ``pool`` bought as ``capacity_type`` uses.

        With ``architecture``, the template of that architecture's image: the name of
        the capacity type's, then ``-<architecture>``. A name without
        ``{capacity_type}`` is used for every capacity type and architecture.
        """
        slot = capacity_type.value + _suffix(architecture)
        name = self.name.replace(POOL_PLACEHOLDER, pool).replace(CAPACITY_TYPE_PLACEHOLDER, slot)
        if name == self.name:
            return self  # a fixed name is used as given
        return LaunchTemplateRef(_fit(name), self.version)

    def for_reservation(
        self, pool: str, reservation_id: str, architecture: Architecture | None = None
    ) -> LaunchTemplateRef | None:
        """The template a launch of ``pool`` into reservation ``reservation_id`` uses.

        With ``architecture``, the template of that architecture's image (the name ends
        in ``-<architecture>``). None for a name without ``{capacity_type}``: one fixed
        template cannot hold one reservation target per id.
        """
        if CAPACITY_TYPE_PLACEHOLDER not in self.name:
            return None
        slot = RESERVED_PREFIX + reservation_id + _suffix(architecture)
        name = self.name.replace(POOL_PLACEHOLDER, pool).replace(CAPACITY_TYPE_PLACEHOLDER, slot)
        return LaunchTemplateRef(_fit(name), self.version)


def template_name(
    cluster: str, pool: str, capacity_type: CapacityType, architecture: Architecture | None = None
) -> str:
    """The name of the template spotwise keeps for one pool and capacity type.

    ``spotwise-<cluster>-<pool>-<spot|on-demand>``, then ``-<architecture>`` for the
    image of one architecture; shortened with a hash when it would be longer than EC2
    allows.
    """
    return LaunchTemplateRef.per_pool(cluster).for_launch(pool, capacity_type, architecture).name


def reserved_template_name(
    cluster: str, pool: str, reservation_id: str, architecture: Architecture | None = None
) -> str:
    """The name of the template spotwise keeps for one pool and capacity reservation.

    ``spotwise-<cluster>-<pool>-reserved-<id>``, then ``-<architecture>`` for the image
    of one architecture; shortened with a hash when it would be longer than EC2 allows.
    """
    name = f"spotwise-{cluster}-{pool}-{RESERVED_PREFIX}{reservation_id}{_suffix(architecture)}"
    return _fit(name)


def _suffix(architecture: Architecture | None) -> str:
    return "" if architecture is None else f"-{architecture.value}"


def _fit(name: str) -> str:
    if len(name) <= MAX_NAME_LENGTH:
        return name
    # A hash of the whole name keeps two long names that share a prefix apart.
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: MAX_NAME_LENGTH - 9]}-{digest}"
