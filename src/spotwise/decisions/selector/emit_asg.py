"""`spotwise select --emit asg`: an Auto Scaling group's MixedInstancesPolicy.

The policy has the exact shape of CreateAutoScalingGroup's ``MixedInstancesPolicy``, so
it can be passed as is to boto3, to ``aws autoscaling create-auto-scaling-group
--mixed-instances-policy file://policy.json``, or pasted into a template.

The spot/on-demand split and the allocation strategies are shared with the kops emitter
(a kops ``mixedInstancesPolicy`` becomes the same Auto Scaling structure).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from spotwise.decisions.selector.candidate import Candidate
from spotwise.decisions.selector.sorting import SortKey, sort_candidates
from spotwise.errors import UserError
from spotwise.model.allocation import OnDemandAllocationStrategy, SpotAllocationStrategy
from spotwise.model.instance_type import CapacityType

# Auto Scaling rejects a MixedInstancesPolicy with more launch template overrides than this.
MAX_OVERRIDES = 40
# EC2's rule for LaunchTemplateName.
_LAUNCH_TEMPLATE_NAME = re.compile(r"^[a-zA-Z0-9().\-/_]{3,128}$")


def check_launch_template_name(name: str) -> None:
    """Refuse a name EC2 would refuse, so that the policy is not written in vain.

    Raises:
        UserError: Naming ``--launch-template``, unless the name is 3 to 128 letters,
            digits and ``( ) . - / _``.
    """
    if not _LAUNCH_TEMPLATE_NAME.match(name):
        raise UserError(
            "--launch-template",
            f"{name!r} is not a launch template name",
            "use 3 to 128 letters, digits and ( ) . - / _, e.g. --launch-template web-nodes",
        )


@dataclass(frozen=True, slots=True)
class Distribution:
    """How a group splits its capacity between on-demand and spot, and how it picks types.

    Attributes:
        on_demand_base: Instances that are always on-demand, launched first.
        on_demand_above_base: Percent of the capacity beyond the base that is on-demand.
        spot_allocation_strategy: How spot pools are chosen.
        on_demand_allocation_strategy: How on-demand types are chosen.
    """

    on_demand_base: int
    on_demand_above_base: int
    spot_allocation_strategy: SpotAllocationStrategy
    on_demand_allocation_strategy: OnDemandAllocationStrategy

    @classmethod
    def resolve(
        cls,
        usage_class: CapacityType,
        on_demand_base: int = 0,
        on_demand_above_base: int | None = None,
        spot_allocation_strategy: SpotAllocationStrategy = (
            SpotAllocationStrategy.PRICE_CAPACITY_OPTIMIZED
        ),
        on_demand_allocation_strategy: OnDemandAllocationStrategy = (
            OnDemandAllocationStrategy.LOWEST_PRICE
        ),
    ) -> Distribution:
        """Check the flags and fill in the percentage the usage class implies.

        Args:
            usage_class: Spot makes the capacity above the base all spot by default;
                on-demand makes it all on-demand.
            on_demand_base: ``--on-demand-base``.
            on_demand_above_base: ``--on-demand-above-base``; None for the usage class's default.
            spot_allocation_strategy: ``--spot-allocation-strategy``.
            on_demand_allocation_strategy: ``--on-demand-allocation-strategy``.

        Raises:
            UserError: If the base is negative or the percentage lies outside 0..100.
        """
        if on_demand_base < 0:
            raise UserError(
                "--on-demand-base", f"{on_demand_base} is negative", "pass 0 or more instances"
            )
        if on_demand_above_base is None:
            on_demand_above_base = 0 if usage_class is CapacityType.SPOT else 100
        if not 0 <= on_demand_above_base <= 100:
            raise UserError(
                "--on-demand-above-base",
                f"{on_demand_above_base} is not a percentage",
                "pass a whole number from 0 (all spot) to 100 (all on-demand)",
            )
        return cls(
            on_demand_base,
            on_demand_above_base,
            SpotAllocationStrategy(spot_allocation_strategy),
            OnDemandAllocationStrategy(on_demand_allocation_strategy),
        )

    @property
    def only(self) -> CapacityType | None:
        """The one capacity type every instance will have, or None for a mixed group."""
        if self.on_demand_above_base == 100:
            return CapacityType.ON_DEMAND
        if self.on_demand_base == 0 and self.on_demand_above_base == 0:
            return CapacityType.SPOT
        return None


def cheapest_first(candidates: Iterable[Candidate], usage_class: CapacityType) -> list[Candidate]:
    """Order types by the price that counts for ``usage_class``; unknown prices go last.

    The order matters: ``prioritized`` and ``capacity-optimized-prioritized`` read the
    overrides as a priority list, and truncation keeps the head.
    """
    key = SortKey.SPOT_PRICE if usage_class is CapacityType.SPOT else SortKey.ON_DEMAND_PRICE
    return sort_candidates(candidates, key, usage_class=usage_class)


def _override_types(
    candidates: Iterable[Candidate], usage_class: CapacityType, max_types: int | None
) -> list[str]:
    if max_types is not None and not 1 <= max_types <= MAX_OVERRIDES:
        raise UserError(
            "--max-types",
            f"{max_types} is out of range",
            f"pass 1 to {MAX_OVERRIDES}: an Auto Scaling group takes at most "
            f"{MAX_OVERRIDES} instance types",
        )
    names = [c.name for c in cheapest_first(candidates, usage_class)][:max_types]
    if not names:
        raise UserError("selection", "no instance type matches the filters", "loosen the filters")
    if len(names) > MAX_OVERRIDES:
        raise UserError(
            "--emit asg",
            f"the selection has {len(names)} instance types, but an Auto Scaling group takes "
            f"at most {MAX_OVERRIDES}",
            f"narrow the filters or pass --max-types {MAX_OVERRIDES} or fewer",
        )
    return names


def mixed_instances_policy(
    candidates: Iterable[Candidate],
    *,
    launch_template_name: str,
    usage_class: CapacityType,
    launch_template_version: str = "$Latest",
    on_demand_base: int = 0,
    on_demand_above_base: int | None = None,
    spot_allocation_strategy: SpotAllocationStrategy = (
        SpotAllocationStrategy.PRICE_CAPACITY_OPTIMIZED
    ),
    on_demand_allocation_strategy: OnDemandAllocationStrategy = (
        OnDemandAllocationStrategy.LOWEST_PRICE
    ),
    max_types: int | None = None,
) -> dict[str, Any]:
    """Build CreateAutoScalingGroup's ``MixedInstancesPolicy`` for the selected types.

    Overrides list the types cheapest first (by spot price for spot usage, else on-demand).

    Args:
        candidates: The selected types.
        launch_template_name: The launch template the group launches from.
        usage_class: Spot or on-demand; sets the default ``on_demand_above_base``
            (0 for spot, 100 for on-demand) and the price that orders the types.
        launch_template_version: A version number, ``$Latest`` or ``$Default``.
        on_demand_base: ``OnDemandBaseCapacity``.
        on_demand_above_base: ``OnDemandPercentageAboveBaseCapacity``; None for the
            usage class's default.
        spot_allocation_strategy: ``SpotAllocationStrategy``.
        on_demand_allocation_strategy: ``OnDemandAllocationStrategy``.
        max_types: Keep only the cheapest this many types (at most 40); None keeps all.

    Returns:
        The policy as a dict of AWS API field names.

    Raises:
        UserError: If there are no types, more than 40, the launch template name is not
            one EC2 accepts, or a flag is out of range.
    """
    check_launch_template_name(launch_template_name)
    distribution = Distribution.resolve(
        usage_class,
        on_demand_base,
        on_demand_above_base,
        spot_allocation_strategy,
        on_demand_allocation_strategy,
    )
    names = _override_types(candidates, usage_class, max_types)
    return {
        "LaunchTemplate": {
            "LaunchTemplateSpecification": {
                "LaunchTemplateName": launch_template_name,
                "Version": launch_template_version,
            },
            "Overrides": [{"InstanceType": name} for name in names],
        },
        "InstancesDistribution": {
            "OnDemandAllocationStrategy": distribution.on_demand_allocation_strategy.value,
            "OnDemandBaseCapacity": distribution.on_demand_base,
            "OnDemandPercentageAboveBaseCapacity": distribution.on_demand_above_base,
            "SpotAllocationStrategy": distribution.spot_allocation_strategy.value,
        },
    }


def emit_asg(
    candidates: Iterable[Candidate],
    *,
    launch_template_name: str,
    usage_class: CapacityType,
    launch_template_version: str = "$Latest",
    on_demand_base: int = 0,
    on_demand_above_base: int | None = None,
    spot_allocation_strategy: SpotAllocationStrategy = (
        SpotAllocationStrategy.PRICE_CAPACITY_OPTIMIZED
    ),
    on_demand_allocation_strategy: OnDemandAllocationStrategy = (
        OnDemandAllocationStrategy.LOWEST_PRICE
    ),
    max_types: int | None = None,
) -> str:
    """The :func:`mixed_instances_policy` as indented JSON, ending in a newline.

    Raises:
        UserError: As :func:`mixed_instances_policy` does.
    """
    policy = mixed_instances_policy(
        candidates,
        launch_template_name=launch_template_name,
        usage_class=usage_class,
        launch_template_version=launch_template_version,
        on_demand_base=on_demand_base,
        on_demand_above_base=on_demand_above_base,
        spot_allocation_strategy=spot_allocation_strategy,
        on_demand_allocation_strategy=on_demand_allocation_strategy,
        max_types=max_types,
    )
    return json.dumps(policy, indent=2) + "\n"
