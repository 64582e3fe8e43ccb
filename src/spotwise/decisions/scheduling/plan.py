"""The packer's decision: what to launch, where pods go, and what cannot be placed and why."""

from __future__ import annotations

from dataclasses import dataclass

from spotwise.model.instance_type import CapacityType
from spotwise.model.resources import Resources


@dataclass(frozen=True, slots=True)
class NewNode:
    """A node to launch.

    Attributes:
        name: The plan's name for it (``new-<pool>-<n>``).
        pool: The pool it is launched from.
        capacity_type: Spot or on-demand.
        instance_types: Acceptable types, cheapest first: every type that fits its pods
            within the pool's price ceiling, widened for diversity (see
            `spotwise.decisions.scheduling.launch_list`), so the launch can choose by capacity.
        zones: Zones it may be launched in.
        pods: ``namespace/name`` of the pods it is for.
        requested: What those pods (and DaemonSets) request.
        price_per_hour: The expected price: that of the pool its allocation strategy is
            expected to pick (`spotwise.decisions.capacity.expected`).
        on_demand_price_per_hour: What the same node costs on-demand.
        headroom: Spare units kept warm on it for the pool's headroom.
        price_range_per_hour: The cheapest and dearest pool of its list (None: unknown).
        expected_instance_type: The type of the pool expected to be picked.
        interruption_cost_per_hour: The expected cost of its interruptions per hour.
    """

    name: str
    pool: str
    capacity_type: CapacityType
    instance_types: tuple[str, ...]
    zones: tuple[str, ...]
    pods: tuple[str, ...]
    requested: Resources
    price_per_hour: float
    on_demand_price_per_hour: float
    headroom: int = 0
    price_range_per_hour: tuple[float, float] | None = None
    expected_instance_type: str | None = None
    interruption_cost_per_hour: float = 0.0


@dataclass(frozen=True, slots=True)
class ExistingPlacement:
    """A pending pod that fits on a node that already exists."""

    pod: str
    node: str


@dataclass(frozen=True, slots=True)
class Unschedulable:
    """A pod the plan cannot place, with the reason in words a person understands."""

    pod: str
    reason: str


@dataclass(frozen=True, slots=True)
class Plan:
    """What to launch for the pending pods, at what cost.

    Attributes:
        nodes: Nodes to launch.
        existing: Pods that fit on existing nodes.
        unschedulable: Pods that cannot be placed, with reasons.
        notes: Observations worth a person's attention (relaxed preferences, host ports
            forcing one pod per node...).
    """

    nodes: tuple[NewNode, ...]
    existing: tuple[ExistingPlacement, ...]
    unschedulable: tuple[Unschedulable, ...]
    notes: tuple[str, ...] = ()

    @property
    def cost_per_hour(self) -> float:
        """The hourly price of the new nodes as planned."""
        return sum(n.price_per_hour for n in self.nodes)

    @property
    def on_demand_cost_per_hour(self) -> float:
        """What the same new nodes would cost all on-demand."""
        return sum(n.on_demand_price_per_hour for n in self.nodes)
