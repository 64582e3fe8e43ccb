"""One node as one CreateFleet call: the request, and what the response says.

Both halves are pure, so the request shape and the reading of ``Errors[]`` are tested
without EC2; `spotwise.aws.ec2_cloud` makes the call.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from spotwise.aws.template_ref import LaunchTemplateRef
from spotwise.model.allocation import OnDemandAllocationStrategy, SpotAllocationStrategy
from spotwise.model.instance_type import Architecture, CapacityType
from spotwise.ports.cloud import (
    TAG_CAPACITY_RESERVATION,
    LaunchRequest,
    OfferingError,
    Override,
)

# Tagged on every instance, so that a retried launch finds what the first one started
# even where EC2 does not honour ClientToken (moto, or after its idempotency window).
TAG_CLIENT_TOKEN = "spotwise.io/client-token"

# The template of the overrides of an architecture (None: of the pool's one image).
TemplateFor = Callable[[Architecture | None], LaunchTemplateRef]


@dataclass(frozen=True, slots=True)
class Placement:
    """An override with the subnet it launches into."""

    override: Override
    subnet_id: str


@dataclass(frozen=True, slots=True)
class Launched:
    """An instance CreateFleet reports as started."""

    instance_id: str
    instance_type: str
    zone: str
    capacity_type: CapacityType


@dataclass(frozen=True, slots=True)
class FleetOutcome:
    """What one CreateFleet response says: instances started and errors per override."""

    launched: tuple[Launched, ...]
    errors: tuple[OfferingError, ...]


def instance_tags(request: LaunchRequest, reservation: str | None = None) -> dict[str, str]:
    """The tags of the instance and its volumes: the request's, a Name and the token.

    With ``reservation``, also the id of the capacity reservation launched into.
    """
    tags = {"Name": request.node_name, **request.all_tags(), TAG_CLIENT_TOKEN: request.client_token}
    if reservation is not None:
        tags[TAG_CAPACITY_RESERVATION] = reservation
    return tags


def fleet_client_token(request: LaunchRequest, reservation: str | None = None) -> str:
    """The ClientToken of the CreateFleet call for ``request`` (and ``reservation``).

    Each reservation is another CreateFleet call, which EC2 would refuse under the token
    of the first one; the instance's token tag stays the request's.
    """
    if reservation is None:
        return request.client_token
    digest = hashlib.sha256(reservation.encode()).hexdigest()[:8]
    return f"{request.client_token}-{digest}"


def template_for(
    template: LaunchTemplateRef | TemplateFor, architecture: Architecture | None
) -> LaunchTemplateRef:
    """The template the overrides of ``architecture`` launch from."""
    return template if isinstance(template, LaunchTemplateRef) else template(architecture)


def is_prioritized(request: LaunchRequest) -> bool:
    """Whether the strategy of the request's capacity type follows override priorities."""
    if request.capacity_type is CapacityType.SPOT:
        return request.spot_strategy is SpotAllocationStrategy.CAPACITY_OPTIMIZED_PRIORITIZED
    return request.on_demand_strategy is OnDemandAllocationStrategy.PRIORITIZED


def fleet_request(
    request: LaunchRequest,
    template: LaunchTemplateRef | TemplateFor,
    placements: Sequence[Placement],
    *,
    reservation: str | None = None,
) -> dict[str, Any]:
    """The CreateFleet parameters that launch one node of ``request``.

    One LaunchTemplateConfig per template, each with the overrides that launch from it:
    overrides of several architectures go with their architectures' templates (images)
    in the same call, as EC2 lets one fleet mix launch templates.

    A launch into a capacity reservation differs only in its templates (which target the
    reservation, with ``capacity-reservations-only``), its ClientToken and a tag: the
    call itself sets no reservation option, so EC2 never continues with ordinary
    on-demand when the reservation is full.

    Args:
        request: The node to launch.
        template: The launch template of every override (already resolved for the pool
            and capacity type, or for the reservation), or the template of each
            override's architecture (`TemplateFor`).
        placements: The request's overrides with their subnets, in priority order.
        reservation: The capacity reservation the templates target, if any.

    Returns:
        Keyword arguments for ``ec2.create_fleet``.
    """
    prioritized = is_prioritized(request)
    configs: dict[LaunchTemplateRef, list[dict[str, Any]]] = {}
    seen: set[tuple[str, str]] = set()
    for index, placement in enumerate(placements):
        override = placement.override
        # EC2 rejects the same type twice in one subnet.
        if (override.instance_type, placement.subnet_id) in seen:
            continue
        seen.add((override.instance_type, placement.subnet_id))
        entry: dict[str, Any] = {
            "InstanceType": override.instance_type,
            "SubnetId": placement.subnet_id,
            "AvailabilityZone": override.zone,
        }
        if prioritized:
            # One scale for the whole fleet: EC2 compares priorities across templates.
            entry["Priority"] = float(override.priority if override.priority is not None else index)
        configs.setdefault(template_for(template, override.architecture), []).append(entry)
    tags = [{"Key": k, "Value": v} for k, v in instance_tags(request, reservation).items()]
    return {
        "Type": "instant",
        "ClientToken": fleet_client_token(request, reservation),
        "TargetCapacitySpecification": {
            "TotalTargetCapacity": 1,
            "DefaultTargetCapacityType": request.capacity_type.value,
        },
        "SpotOptions": {"AllocationStrategy": request.spot_strategy.value},
        "OnDemandOptions": {"AllocationStrategy": request.on_demand_strategy.value},
        "LaunchTemplateConfigs": [
            {
                "LaunchTemplateSpecification": {
                    "LaunchTemplateName": ref.name,
                    "Version": ref.version,
                },
                "Overrides": overrides,
            }
            for ref, overrides in configs.items()
        ],
        "TagSpecifications": [
            {"ResourceType": "instance", "Tags": tags},
            {"ResourceType": "volume", "Tags": tags},
        ],
    }


def parse_fleet_response(
    response: Mapping[str, Any],
    request: LaunchRequest,
    zone_of_subnet: Mapping[str, str],
    overrides_of_template: Mapping[str, Sequence[Override]] | None = None,
) -> FleetOutcome:
    """Read the instances and per-override errors of a CreateFleet response.

    An error that names no instance type (EC2 gives some for the whole template) is
    reported against every override of the request it could concern: those of the
    template it names, when known, in the zone it names, if any.

    Args:
        response: The parsed CreateFleet response.
        request: The request it answers.
        zone_of_subnet: Subnet ID -> zone, for overrides EC2 reports by subnet only.
        overrides_of_template: Template name -> the overrides sent with it.
    """
    launched = tuple(
        Launched(
            instance_id=instance_id,
            instance_type=item.get("InstanceType") or _override(item).get("InstanceType", ""),
            zone=_zone(_override(item), zone_of_subnet),
            capacity_type=_capacity_type(item, request),
        )
        for item in response.get("Instances") or ()
        for instance_id in item.get("InstanceIds") or ()
    )
    errors: dict[tuple[str, str, CapacityType, str], OfferingError] = {}
    for item in response.get("Errors") or ():
        for error in _offering_errors(item, request, zone_of_subnet, overrides_of_template or {}):
            errors.setdefault(
                (error.instance_type, error.zone, error.capacity_type, error.code), error
            )
    return FleetOutcome(launched, tuple(errors.values()))


def _override(item: Mapping[str, Any]) -> Mapping[str, Any]:
    overrides: Mapping[str, Any] = (item.get("LaunchTemplateAndOverrides") or {}).get(
        "Overrides"
    ) or {}
    return overrides


def _zone(override: Mapping[str, Any], zone_of_subnet: Mapping[str, str]) -> str:
    zone = override.get("AvailabilityZone")
    if zone:
        return str(zone)
    return zone_of_subnet.get(override.get("SubnetId", ""), "")


def _capacity_type(item: Mapping[str, Any], request: LaunchRequest) -> CapacityType:
    lifecycle = item.get("Lifecycle")
    return CapacityType(lifecycle) if lifecycle in ("spot", "on-demand") else request.capacity_type


def _offering_errors(
    item: Mapping[str, Any],
    request: LaunchRequest,
    zone_of_subnet: Mapping[str, str],
    overrides_of_template: Mapping[str, Sequence[Override]],
) -> Iterable[OfferingError]:
    code = str(item.get("ErrorCode", "Unknown"))
    message = str(item.get("ErrorMessage", ""))
    capacity_type = _capacity_type(item, request)
    override = _override(item)
    instance_type = override.get("InstanceType")
    zone = _zone(override, zone_of_subnet)
    if instance_type:
        yield OfferingError(instance_type, zone, capacity_type, code, message)
        return
    specification = (item.get("LaunchTemplateAndOverrides") or {}).get(
        "LaunchTemplateSpecification"
    ) or {}
    candidates = overrides_of_template.get(
        str(specification.get("LaunchTemplateName", "")), request.overrides
    )
    for candidate in candidates:
        if not zone or candidate.zone == zone:
            yield OfferingError(
                candidate.instance_type, candidate.zone, capacity_type, code, message
            )
