"""The requests a node is launched with: capacity-type order, overrides, client token."""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from spotwise.decisions.scheduling.plan import NewNode
from spotwise.model import labels as keys
from spotwise.model.allocation import OnDemandAllocationStrategy, SpotAllocationStrategy
from spotwise.model.instance_type import CapacityType
from spotwise.ports.cloud import LaunchRequest, Override
from spotwise.provisioning.launcher.intent import LaunchIntent, LaunchSettings
from spotwise.provisioning.unavailable import UnavailableSnapshot


class SkipReason(enum.Enum):
    """Why a capacity type was not even requested."""

    NO_OFFERINGS = "no-offerings"  # no type x zone (with a subnet) to ask for
    NO_IMAGE = "no-image"  # no type of the node has an architecture the pool has an image for
    ALL_UNAVAILABLE = "all-unavailable"  # every one is marked unavailable


@dataclass(frozen=True, slots=True)
class CapacityStep:
    """One capacity type to try for a node.

    Attributes:
        capacity_type: The capacity type requested.
        reserved: Whether the request uses the pool's capacity reservations first (always
            on-demand).
    """

    capacity_type: CapacityType
    reserved: bool = False

    @property
    def label(self) -> str:
        """The capacity-type label of metrics and logs: ``reserved`` for a reserved step."""
        return "reserved" if self.reserved else self.capacity_type.value


RESERVED = CapacityStep(CapacityType.ON_DEMAND, reserved=True)


def capacity_order(
    intent: LaunchIntent, settings: LaunchSettings | None = None
) -> tuple[CapacityStep, ...]:
    """The capacity types to try, in order: reserved, the planned one, then on-demand.

    A reserved step (on-demand into the pool's capacity reservations) comes first when the
    pool has reservations and the pods run on on-demand. Falling back only goes from spot
    to on-demand: a node planned on-demand is on-demand for a reason (the pool's base or
    split, or pods that need it).
    """
    planned = intent.node.capacity_type
    order = []
    if settings is not None and settings.capacity_reservations and intent.allows_on_demand:
        order.append(RESERVED)
    if planned is CapacityType.SPOT and intent.allows_spot:
        order.append(CapacityStep(CapacityType.SPOT))
    if intent.allows_on_demand:
        # Also when a spot node's pods refuse spot (a plan older than its pods): on-demand.
        order.append(CapacityStep(CapacityType.ON_DEMAND))
    return tuple(order)


def client_token(
    cluster: str,
    node_name: str,
    capacity_type: CapacityType,
    attempt: int,
    *,
    reserved: bool = False,
) -> str:
    """The idempotency token of one launch: the same for the same node, type and attempt.

    A controller that restarts mid-launch and launches the same node again gets the
    instance it already has. The capacity type (and whether reservations are used) is in
    it because a fallback is another request, which EC2 would refuse under the first
    one's token.
    """
    text = f"{cluster}\n{node_name}\n{capacity_type.value}\n{attempt}"
    if reserved:
        text += "\nreserved"
    return "spotwise-" + hashlib.sha256(text.encode()).hexdigest()[:40]


def _prioritized(capacity_type: CapacityType, settings: LaunchSettings) -> bool:
    if capacity_type is CapacityType.SPOT:
        return settings.spot_strategy is SpotAllocationStrategy.CAPACITY_OPTIMIZED_PRIORITIZED
    return settings.on_demand_strategy is OnDemandAllocationStrategy.PRIORITIZED


def candidate_overrides(
    node: NewNode,
    capacity_type: CapacityType,
    settings: LaunchSettings,
    subnets: Mapping[str, str] | None = None,
) -> tuple[Override, ...]:
    """Every type x zone the node may be launched in, before skipping unavailable ones.

    With ``subnets``, zones without a subnet are left out; without, overrides carry no
    subnet and the cloud picks one. For the prioritized strategies a type's priority is
    its place in the node's list (cheapest first), the same in every zone. For a pool
    with an image per architecture (``settings.architectures``), each override names
    its type's architecture, and types whose architecture has no image are left out:
    never sent with another architecture's image.
    """
    prioritized = _prioritized(capacity_type, settings)
    architectures = settings.architectures
    return tuple(
        Override(
            instance_type,
            zone,
            None if subnets is None else subnets[zone],
            float(rank) if prioritized else None,
            None if architectures is None else architectures[instance_type],
        )
        for rank, instance_type in enumerate(node.instance_types)
        if architectures is None or instance_type in architectures
        for zone in node.zones
        if subnets is None or zone in subnets
    )


def launch_request(
    intent: LaunchIntent,
    capacity_type: CapacityType,
    *,
    cluster: str,
    settings: LaunchSettings,
    subnets: Mapping[str, str] | None = None,
    unavailable: UnavailableSnapshot | None = None,
    reserved: bool = False,
) -> LaunchRequest | SkipReason:
    """The request that launches the node as ``capacity_type``, or why none is made.

    Args:
        intent: The node and what its pods accept.
        capacity_type: The capacity type of this attempt.
        cluster: The cluster's name, tagged on the instance.
        settings: The pool's launch settings.
        subnets: Subnet id by zone; None lets the cloud choose.
        unavailable: Marks in force; marked offerings are left out, except from a
            reserved request (a reservation may have room where on-demand has none).
        reserved: Use the pool's capacity reservations first (on-demand only).
    """
    node = intent.node
    every = candidate_overrides(node, capacity_type, settings, subnets)
    if not every:
        placeable = any(subnets is None or zone in subnets for zone in node.zones)
        if placeable and node.instance_types and settings.architectures is not None:
            return SkipReason.NO_IMAGE  # zones and types, but no type has an image
        return SkipReason.NO_OFFERINGS
    usable = tuple(
        o
        for o in every
        if unavailable is None
        or reserved
        or not unavailable.is_unavailable(o.instance_type, o.zone, capacity_type)
    )
    if not usable:
        return SkipReason.ALL_UNAVAILABLE
    return LaunchRequest(
        client_token=client_token(
            cluster, node.name, capacity_type, intent.attempt, reserved=reserved
        ),
        cluster=cluster,
        pool=node.pool,
        node_name=node.name,
        capacity_type=capacity_type,
        overrides=usable,
        spot_strategy=settings.spot_strategy,
        on_demand_strategy=settings.on_demand_strategy,
        labels={
            **keys.capacity_type_labels(capacity_type),
            keys.NODE_POOL: node.pool,
            **settings.labels,
        },
        taints=settings.taints,
        tags=settings.tags,
        capacity_reservations=settings.capacity_reservations if reserved else (),
    )
