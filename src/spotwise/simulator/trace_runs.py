"""Instances' lives read back from a simulation trace, for the ledger.

`spotwise simulate --trace FILE` writes one JSON object per line. A ``launch`` starts an
instance (its node is ``node-<instance id>``); ``node-lost`` (reclaimed),
``node-removed-empty`` and ``node-drained`` (spotwise terminates a drained node at once)
end it; one still alive ends with the run, at its ``run-end`` event (the run's length).
Warm-up launches come before 0 and count from 0, as the run's figures do; warm-up nodes
gone before 0 are left out.
"""

from __future__ import annotations

from pathlib import Path

from spotwise.catalog.catalog import Catalog
from spotwise.catalog.node_price import offering_price
from spotwise.decisions.cost.attribution import Usage
from spotwise.decisions.cost.ledger import Run
from spotwise.errors import UserError
from spotwise.model.instance_type import CapacityType
from spotwise.simulator.trace_file import trace_events

ENDS = frozenset({"node-lost", "node-removed-empty", "node-drained"})


def runs_from_trace(
    path: Path, strategy: str, catalog: Catalog, horizon: float | None = None
) -> list[Run]:
    """The lives of ``strategy``'s instances, priced from ``catalog``.

    Args:
        path: The trace.
        strategy: Whose instances.
        catalog: Prices.
        horizon: When the run ended, seconds; None reads it from the trace's ``run-end``.

    Raises:
        UserError: If the file cannot be read, a line is not JSON, the trace holds no
            launch of ``strategy``, or no end (and none is given), or ends before its
            last event.
    """
    starts: dict[str, dict[str, object]] = {}
    ends: dict[str, tuple[float, bool]] = {}
    run_end: float | None = None
    last = 0.0
    for event in trace_events(path, strategy):
        kind, t = event.get("event"), float(event["t"])
        last = max(last, t)
        if kind == "launch":
            starts[str(event["node"])] = event
        elif kind in ENDS:
            ends.setdefault(str(event["node"]), (t, kind == "node-lost"))
        elif kind == "run-end":
            run_end = t
    if not starts:
        raise UserError(
            str(path),
            f"has no launch of strategy {strategy!r}",
            "pass --strategy with a name the trace holds",
        )
    end = horizon if horizon is not None else run_end
    if end is None:
        raise UserError(str(path), "has no run-end event", "pass --hours the run lasted")
    if end < last:
        raise UserError(
            str(path), f"has events until {last:.0f} s, after the end given", "pass more --hours"
        )
    runs = []
    for node, launch in starts.items():
        stop, reclaimed = ends.get(node, (end, False))
        if stop > 0:  # warm-up nodes gone before the run are not its cost
            runs.append(_run(node, launch, min(stop, end), reclaimed, catalog))
    return runs


def _run(
    node: str, launch: dict[str, object], end: float, reclaimed: bool, catalog: Catalog
) -> Run:
    instance_type, zone = str(launch["instance_type"]), str(launch["zone"])
    capacity_type = CapacityType(str(launch["capacity_type"]))
    price = _price(catalog, instance_type, zone, capacity_type)
    on_demand = _price(catalog, instance_type, zone, CapacityType.ON_DEMAND)
    start = max(0.0, float(str(launch["t"])))
    usage = Usage(
        node.removeprefix("node-"), instance_type, zone, catalog.region, capacity_type, price
    )
    labels = {
        "pool": str(launch.get("pool", "")),
        "capacity_type": capacity_type.value,
        "instance_type": instance_type,
        "zone": zone,
    }
    return Run(usage, start, max(start, end), on_demand, reclaimed, labels)


def _price(catalog: Catalog, instance_type: str, zone: str, capacity_type: CapacityType) -> float:
    price = offering_price(catalog, instance_type, zone, capacity_type)
    if price is None:
        raise UserError(
            instance_type,
            f"has no {capacity_type.value} price in {zone} in the {catalog.region} catalog",
            "use the catalog the simulation ran with (--region, --catalog)",
        )
    return price
