"""The Cloud port: launching, describing and terminating instances.

Assumptions every implementation honours (Ray autoscaler v2's habit of writing them down):

* ``launch`` is one CreateFleet-like call of type ``instant``: it either returns one
  running-or-pending instance, or none, and in both cases the errors EC2 gave per
  override (instance type x zone). It never waits for the instance to boot.
* ``launch`` is idempotent on ``LaunchRequest.client_token``: the same token returns the
  same instance instead of launching a second one.
* Instances carry the tags of the request; ``owned_instances`` finds every non-terminated
  instance tagged with the cluster, so a restarted controller leaks nothing.
* ``terminate`` of an instance already gone is not an error.
* Implementations raise `CloudError` for failures of the call itself (credentials,
  throttling after retries, malformed requests); per-offering capacity errors are data,
  in `LaunchResult.errors`.
* An on-demand request with ``capacity_reservations`` launches only into one of those
  On-Demand Capacity Reservations (on EC2 through a reservations-only launch template per
  reservation); when none has room for any override it returns no instance and the
  errors, so that the caller goes on to spot. An instance launched into a reservation is
  tagged with its id (`TAG_CAPACITY_RESERVATION`). Spot requests ignore reservations.
* Overrides may span architectures. An override with an ``architecture`` boots that
  architecture's image (on EC2, its own launch template, in the same CreateFleet call);
  one without boots the pool's one image. Still one call, one instance at most.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from spotwise.model.allocation import OnDemandAllocationStrategy, SpotAllocationStrategy
from spotwise.model.instance_type import Architecture, CapacityType
from spotwise.model.provider_id import provider_id
from spotwise.model.scheduling_terms import Taint

# Tag keys spotwise puts on every instance it launches.
TAG_MANAGED = "spotwise.io/managed"
TAG_CLUSTER = "spotwise.io/cluster"
TAG_POOL = "spotwise.io/node-pool"
TAG_NODE = "spotwise.io/node-name"
TAG_CAPACITY_TYPE = "spotwise.io/capacity-type"
TAG_CAPACITY_RESERVATION = "spotwise.io/capacity-reservation"


class ErrorKind(enum.Enum):
    """What a per-override launch error means for the planner."""

    UNAVAILABLE = "unavailable"  # no capacity here now: skip the offering for a while
    QUOTA = "quota"  # an account limit: skip the capacity type for a while
    CONFIGURATION = "configuration"  # the request is wrong: retrying will not help
    OTHER = "other"


# spotwise's own code for an instance whose Node never registered: the offering is
# treated as unavailable for a while, as Karpenter does after its registration TTL.
REGISTRATION_TIMEOUT_CODE = "NodeRegistrationTimeout"

# EC2 error codes that mean "this offering has no capacity for you now" (and ours above).
UNAVAILABLE_CODES = frozenset(
    {
        REGISTRATION_TIMEOUT_CODE,
        "InsufficientInstanceCapacity",
        "InsufficientCapacity",
        "UnfulfillableCapacity",
        "InsufficientFreeAddressesInSubnet",
        "SpotMaxPriceTooLow",
        "InsufficientHostCapacity",
        "InsufficientReservedInstanceCapacity",
        "ReservationCapacityExceeded",
        "Unsupported",
    }
)
QUOTA_CODES = frozenset(
    {"MaxSpotInstanceCountExceeded", "VcpuLimitExceeded", "InstanceLimitExceeded"}
)
CONFIGURATION_CODES = frozenset(
    {
        "InvalidParameterValue",
        "InvalidParameterCombination",
        "InvalidLaunchTemplateId.NotFound",
        "InvalidLaunchTemplateName.NotFoundException",
        "InvalidSubnetID.NotFound",
        "InvalidAMIID.NotFound",
        "InvalidSnapshot.NotFound",
        "InvalidBlockDeviceMapping",
        "UnauthorizedOperation",
    }
)


def classify(code: str) -> ErrorKind:
    """The kind of an EC2 error code."""
    if code in UNAVAILABLE_CODES:
        return ErrorKind.UNAVAILABLE
    if code in QUOTA_CODES:
        return ErrorKind.QUOTA
    if code in CONFIGURATION_CODES:
        return ErrorKind.CONFIGURATION
    return ErrorKind.OTHER


class InstanceState(enum.StrEnum):
    """EC2 instance states."""

    PENDING = "pending"
    RUNNING = "running"
    SHUTTING_DOWN = "shutting-down"
    TERMINATED = "terminated"
    STOPPING = "stopping"
    STOPPED = "stopped"

    @property
    def gone(self) -> bool:
        """Shutting down or terminated: the instance will not serve again."""
        return self in (InstanceState.SHUTTING_DOWN, InstanceState.TERMINATED)


@dataclass(frozen=True, slots=True)
class Override:
    """One instance type in one zone (subnet) a launch may use.

    Attributes:
        instance_type: The EC2 type.
        zone: The zone name.
        subnet_id: The subnet in that zone (real world); None where the world has none.
        priority: Lower is preferred, for the ``prioritized`` strategies.
        architecture: The type's architecture, when the pool has an image per
            architecture: the override boots that architecture's image. None: the
            pool's one image.
    """

    instance_type: str
    zone: str
    subnet_id: str | None = None
    priority: float | None = None
    architecture: Architecture | None = None


@dataclass(frozen=True, slots=True)
class LaunchRequest:
    """Launch one node.

    Attributes:
        client_token: Idempotency token (stable for the same planned node).
        cluster: The cluster's name (tagged on the instance).
        pool: The node pool (tagged).
        node_name: The plan's name for the node (tagged).
        capacity_type: Spot or on-demand.
        overrides: Every acceptable type x zone.
        spot_strategy: How EC2 picks among spot overrides.
        on_demand_strategy: How EC2 picks among on-demand overrides.
        labels: Node labels the kubelet registers with.
        taints: Node taints the kubelet registers with.
        tags: Extra instance tags.
        capacity_reservations: Capacity reservation ids an on-demand launch uses, and only
            those (see the module's assumptions); ignored for spot.
    """

    client_token: str
    cluster: str
    pool: str
    node_name: str
    capacity_type: CapacityType
    overrides: tuple[Override, ...]
    spot_strategy: SpotAllocationStrategy = SpotAllocationStrategy.PRICE_CAPACITY_OPTIMIZED
    on_demand_strategy: OnDemandAllocationStrategy = OnDemandAllocationStrategy.LOWEST_PRICE
    labels: Mapping[str, str] = field(default_factory=dict)
    taints: tuple[Taint, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)
    capacity_reservations: tuple[str, ...] = ()

    def all_tags(self) -> dict[str, str]:
        """The tags the instance gets: spotwise's own, then the extra ones."""
        return {
            TAG_MANAGED: "true",
            TAG_CLUSTER: self.cluster,
            TAG_POOL: self.pool,
            TAG_NODE: self.node_name,
            TAG_CAPACITY_TYPE: self.capacity_type.value,
            **self.tags,
        }


@dataclass(frozen=True, slots=True)
class OfferingError:
    """A launch error EC2 reported for one override."""

    instance_type: str
    zone: str
    capacity_type: CapacityType
    code: str
    message: str = ""

    @property
    def kind(self) -> ErrorKind:
        """What the error means."""
        return classify(self.code)


@dataclass(frozen=True, slots=True)
class Instance:
    """An instance as the cloud describes it."""

    instance_id: str
    instance_type: str
    zone: str
    capacity_type: CapacityType
    state: InstanceState
    launch_time: float
    tags: Mapping[str, str] = field(default_factory=dict)
    private_dns_name: str = ""

    @property
    def provider_id(self) -> str:
        """The Kubernetes providerID of its node: ``aws:///<zone>/<instance-id>``."""
        return provider_id(self.zone, self.instance_id)


@dataclass(frozen=True, slots=True)
class LaunchResult:
    """The outcome of one launch: the instance, if any, and every per-override error."""

    instance: Instance | None
    errors: tuple[OfferingError, ...] = ()


class CloudError(Exception):
    """A failure of a cloud call itself, not of one offering."""


class Cloud(Protocol):
    """Launch, describe and terminate instances (see the module's assumptions)."""

    def launch(self, request: LaunchRequest) -> LaunchResult:
        """Launch one instance from ``request.overrides``."""
        ...

    def terminate(self, instance_ids: Sequence[str]) -> None:
        """Terminate instances; ones already gone are ignored."""
        ...

    def describe(self, instance_ids: Sequence[str]) -> tuple[Instance, ...]:
        """The current state of some instances (unknown ids are left out)."""
        ...

    def owned_instances(self, cluster: str) -> tuple[Instance, ...]:
        """Every non-terminated instance tagged as the cluster's."""
        ...
