"""How `spotwise plan` shows a plan: a JSON/YAML document, or tables for people."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from spotwise.decisions.scheduling.plan import NewNode, Plan
from spotwise.model.quantity import format_bytes


def document(plan: Plan) -> dict[str, Any]:
    """The plan as a JSON-ready object (the schema documented in docs/plan.md)."""
    on_demand = plan.on_demand_cost_per_hour
    savings = 100 * (1 - plan.cost_per_hour / on_demand) if on_demand else 0.0
    return {
        "nodes": [
            {
                "name": n.name,
                "pool": n.pool,
                "capacity_type": n.capacity_type.value,
                "instance_types": list(n.instance_types),
                "zones": list(n.zones),
                "pods": list(n.pods),
                "headroom_units": n.headroom,
                "requested": {
                    "cpu_millicores": n.requested.cpu_milli,
                    "memory_bytes": n.requested.memory_bytes,
                },
                "price_per_hour": round(n.price_per_hour, 6),
                "expected_instance_type": n.expected_instance_type,
                "price_range_per_hour": _range(n),
                "interruption_cost_per_hour": round(n.interruption_cost_per_hour, 6),
                "on_demand_price_per_hour": round(n.on_demand_price_per_hour, 6),
            }
            for n in plan.nodes
        ],
        "existing": [{"pod": p.pod, "node": p.node} for p in plan.existing],
        "unschedulable": [{"pod": u.pod, "reason": u.reason} for u in plan.unschedulable],
        "cost_per_hour": round(plan.cost_per_hour, 6),
        "on_demand_cost_per_hour": round(on_demand, 6),
        "savings_percent": round(savings, 1),
        "notes": list(plan.notes),
    }


# Lists run to 60 types: the table names the cheapest and counts the rest.
SHOWN_TYPES = 2
_LEFT = ("Node", "Pool", "Capacity", "Instance types", "Zones")


def _range(node: NewNode) -> list[float] | None:
    if node.price_range_per_hour is None:
        return None
    low, high = node.price_range_per_hour
    return [round(low, 6), round(high, 6)]


def _range_text(node: NewNode) -> str:
    """The cheapest and dearest pool of the list, or one price when they are one."""
    if node.price_range_per_hour is None:
        return ""
    low, high = node.price_range_per_hour
    return f"{low:.4f}" if high - low < 5e-5 else f"{low:.4f}-{high:.4f}"


def render_tables(plan: Plan, console: Console) -> None:
    """Print the plan for people: nodes to launch, costs, pods without a place, notes."""
    if plan.nodes:
        table = Table(box=None, header_style="bold", pad_edge=False, title_justify="left")
        for column in (
            "Node",
            "Pool",
            "Capacity",
            "Instance types",
            "Zones",
            "Pods",
            "CPU",
            "Memory",
            "$/h",
            "List $/h",
        ):
            table.add_column(column, justify="left" if column in _LEFT else "right", no_wrap=True)
        for n in plan.nodes:
            types = ", ".join(n.instance_types[:SHOWN_TYPES]) + (
                f" +{len(n.instance_types) - SHOWN_TYPES}"
                if len(n.instance_types) > SHOWN_TYPES
                else ""
            )
            zones = (
                ",".join(z[-1] for z in n.zones)
                if all(len(z) > 1 for z in n.zones)
                else ",".join(n.zones)
            )
            pods = str(len(n.pods)) + (f" (+{n.headroom} spare)" if n.headroom else "")
            table.add_row(
                n.name,
                n.pool,
                n.capacity_type.value,
                types,
                zones,
                pods,
                f"{n.requested.cpu_milli / 1000:g}",
                format_bytes(n.requested.memory_bytes),
                f"{n.price_per_hour:.4f}",
                _range_text(n),
            )
        console.print(table)
    elif plan.unschedulable:
        console.print("no new node planned")
    else:
        console.print("no new nodes needed")
    if plan.existing:
        nodes = sorted({p.node for p in plan.existing})
        fit = counted(len(plan.existing), "pod")
        verb = "fits" if len(plan.existing) == 1 else "fit"
        console.print(f"{fit} {verb} on existing nodes ({', '.join(nodes)})")
    on_demand = plan.on_demand_cost_per_hour
    if plan.nodes:
        savings = 100 * (1 - plan.cost_per_hour / on_demand) if on_demand else 0.0
        console.print(
            f"cost ${plan.cost_per_hour:.4f}/h expected; ${on_demand:.4f}/h all on-demand "
            f"({savings:.0f}% saved); {counted(len(plan.nodes), 'new node')}"
        )
    if plan.unschedulable:
        stuck = counted(len(plan.unschedulable), "pod")
        console.print(f"[bold]{stuck} cannot be placed:[/]")
        # One line per reason: a workload's replicas share theirs.
        by_reason: dict[str, list[str]] = {}
        for u in plan.unschedulable:
            by_reason.setdefault(u.reason, []).append(u.pod)
        for reason, stuck_pods in by_reason.items():
            console.print(f"  {_some(stuck_pods)}: {reason}", markup=False)
    for note in plan.notes:
        console.print(f"note: {note}", markup=False)


def _some(pods: list[str]) -> str:
    """``a``, ``a, b``, ``a, b, c``, or ``a, b and 4 more``."""
    if len(pods) <= 3:
        return ", ".join(pods)
    return f"{pods[0]}, {pods[1]} and {len(pods) - 2} more"


def counted(count: int, noun: str) -> str:
    """``1 pod``, ``2 pods``: a count with its noun in correct English."""
    return f"{count} {noun}{'' if count == 1 else 's'}"
