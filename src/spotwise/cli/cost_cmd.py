"""`spotwise cost`: what instances cost once commitments are counted."""

from __future__ import annotations

import enum
import json
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from spotwise.cli.cluster_input import (
    ContextOption,
    FilesOption,
    KubeconfigOption,
    NodesOption,
    read_snapshot,
)
from spotwise.cli.console import stdout
from spotwise.cli.help_format import App
from spotwise.decisions.cost.showback import GroupBy
from spotwise.errors import UserError
from spotwise.model.resources import Resources

if TYPE_CHECKING:
    from spotwise.catalog.catalog import Catalog
    from spotwise.config.commitments import InstanceDoc
    from spotwise.decisions.cost.attribution import (
        Attribution,
        Usage,
        Utilization,
    )
    from spotwise.decisions.cost.ledger import Bill, Charge, Total
    from spotwise.kubernetes.node_runs import NodeRuns
    from spotwise.model.node import Node

app = App(help="Cost: commitments and what instances add to the bill.", no_args_is_help=True)

ATTRIBUTE_HELP = """Attribute running instances to reserved instances and savings plans.

AWS's order: zonal RIs, regional RIs (size-flexible), EC2 Instance SPs, Compute SPs.

Prints what covers each instance and what it adds to the bill per hour, then each commitment's use.

Prices come from the catalog (bundled, or --catalog); docs/cost.md has the file formats.
"""


LEDGER_HELP = """Bill instances per second, commitments counted: a simulation, or a cluster.

Reads one strategy's launches and node ends from `spotwise simulate --trace FILE`.

Or bills the nodes of a cluster (--kubeconfig, or --nodes) over the last --hours.

Bills per second with a 60 s minimum; attributes --commitments at every start and stop.

Prints totals by pool, capacity type and zone, with the savings against on-demand.

-o focus writes FinOps FOCUS rows as CSV (with --start, the run's first hour).

Prices come from the catalog (bundled, or --catalog); see docs/cost.md.
"""


class CostFormat(enum.StrEnum):
    """Values of ``-o`` (``focus``: the ledger only)."""

    TABLE = "table"
    JSON = "json"
    FOCUS = "focus"


# The options every cost command takes.
OutputOption = Annotated[CostFormat, typer.Option("--output", "-o", case_sensitive=False)]
RegionOption = Annotated[
    str | None, typer.Option(metavar="REGION", help="Catalog region (default us-east-1).")
]
CatalogOption = Annotated[
    Path | None, typer.Option("--catalog", metavar="FILE", help="A catalog snapshot.")
]


@app.command("attribute", help=ATTRIBUTE_HELP)
def attribute_cmd(
    commitments: Annotated[
        Path,
        typer.Option(metavar="FILE", help="Reserved instances and savings plans (YAML)."),
    ],
    instances: Annotated[
        Path,
        typer.Option(metavar="FILE", help="Running instances: id, type, zone, capacity_type."),
    ],
    output: OutputOption = CostFormat.TABLE,
    region: RegionOption = None,
    catalog_file: CatalogOption = None,
) -> None:
    """Run `spotwise cost attribute` (see ATTRIBUTE_HELP)."""
    _no_focus(output)
    from spotwise.catalog.bundled import load_catalog
    from spotwise.config.commitments import commitments_of, load_commitments, load_instances
    from spotwise.decisions.cost.attribution import attribute

    catalog = load_catalog(region, catalog_file)
    doc = load_commitments(commitments)
    usages = tuple(_usage(i, catalog, instances) for i in load_instances(instances))
    reserved, plans = commitments_of(doc, catalog, commitments or "commitments")
    found, used = attribute(usages, reserved, plans)
    if output is CostFormat.JSON:
        print(json.dumps(to_json(found, used), indent=2))
        return
    console = stdout()
    console.print(_instances_table(found))
    console.print()
    console.print(_commitments_table(used))


def to_json(found: tuple[Attribution, ...], used: tuple[Utilization, ...]) -> dict[str, object]:
    """The JSON form: each instance's attribution, then each commitment's utilization."""
    return {
        "instances": [
            {
                "instance_id": a.usage.instance_id,
                "type": a.usage.instance_type,
                "zone": a.usage.zone,
                "capacity_type": a.usage.capacity_type.value,
                "covered_by": a.covered_by.value,
                "coverage": [
                    {"by": c.by.value, "commitment": c.commitment, "share": round(a.share(c), 6)}
                    for c in a.coverage
                ],
                "price": round(a.usage.price, 6),
                "added_price": round(a.added_price, 6),
                "effective_price": _rounded(a.amortized_price),
            }
            for a in found
        ],
        "commitments": [
            {
                "id": u.id,
                "kind": u.kind.value,
                "used": round(u.used, 6),
                "total": round(u.total, 6),
                "unit": u.unit,
                "utilization_percent": round(u.percent, 2),
                "fee_per_hour": _rounded(u.fee),
            }
            for u in used
        ],
    }


def _rounded(value: float | None, digits: int = 6) -> float | None:
    return None if value is None else round(value, digits)


def _usage(doc: InstanceDoc, catalog: Catalog, path: Path) -> Usage:
    """The instance with its price from the catalog.

    Raises:
        UserError: If the catalog has no such type, or no price for it in that zone.
    """
    from spotwise.catalog.node_price import offering_price
    from spotwise.decisions.cost.attribution import Usage

    where = f"{path}: {doc.id}"
    try:
        catalog.instance_type(doc.instance_type)
    except UserError as error:
        raise UserError(where, error.problem, error.fix) from None
    price = offering_price(catalog, doc.instance_type, doc.zone, doc.capacity_type)
    if price is None:
        raise UserError(
            where,
            f"the {catalog.region} catalog has no {doc.capacity_type.value} price for"
            f" {doc.instance_type} in {doc.zone}",
            "check the zone and the capacity type, or pass --region",
        )
    return Usage(doc.id, doc.instance_type, doc.zone, catalog.region, doc.capacity_type, price)


PRICES = ("price", "added", "effective")


def _instances_table(found: tuple[Attribution, ...]) -> Table:
    table = Table(box=None, pad_edge=False)
    for column in ("instance", "type", "zone", "covered by", "price", "added", "effective"):
        table.add_column(column.upper() + (" $/H" if column in PRICES else ""), overflow="fold")
    for a in found:
        effective = a.amortized_price
        table.add_row(
            a.usage.instance_id,
            a.usage.instance_type,
            a.usage.zone,
            " + ".join(f"{c.by.value} {100 * a.share(c):.0f}%" for c in a.coverage),
            f"{a.usage.price:.4f}",
            f"{a.added_price:.4f}",
            "n/a" if effective is None else f"{effective:.4f}",
        )
    return table


def _commitments_table(used: Sequence[Utilization]) -> Table:
    table = Table(box=None, pad_edge=False)
    for column in ("commitment", "kind", "used", "of", "unit", "utilization", "fee $/h"):
        table.add_column(column.upper(), overflow="fold")
    for u in used:
        table.add_row(
            u.id,
            u.kind.value,
            f"{u.used:.4g}",
            f"{u.total:.4g}",
            u.unit,
            f"{u.percent:.1f}%",
            "n/a" if u.fee is None else f"{u.fee:.4f}",
        )
    return table


@app.command("ledger", help=LEDGER_HELP)
def ledger_cmd(
    trace: Annotated[
        Path | None, typer.Option(metavar="FILE", help="A trace of `spotwise simulate --trace`.")
    ] = None,
    nodes: NodesOption = None,
    kubeconfig: KubeconfigOption = None,
    context: ContextOption = None,
    strategy: Annotated[
        str, typer.Option(metavar="NAME", help="The strategy whose instances to bill.")
    ] = "spotwise",
    hours: Annotated[
        float | None,
        typer.Option(
            metavar="HOURS",
            help="How long the run lasted (default: the trace's); a cluster: the window.",
        ),
    ] = None,
    start: Annotated[
        str | None,
        typer.Option(
            metavar="TIME",
            help="With -o focus: when the run's first hour began (ISO 8601, UTC).",
        ),
    ] = None,
    commitments: Annotated[
        Path | None, typer.Option(metavar="FILE", help="Reserved instances and savings plans.")
    ] = None,
    output: OutputOption = CostFormat.TABLE,
    region: RegionOption = None,
    catalog_file: CatalogOption = None,
) -> None:
    """Run `spotwise cost ledger` (see LEDGER_HELP)."""
    from spotwise.catalog.bundled import load_catalog
    from spotwise.config.commitments import CommitmentsDoc, commitments_of, load_commitments
    from spotwise.decisions.cost.ledger import ledger, totals
    from spotwise.simulator.trace_runs import runs_from_trace

    catalog = load_catalog(region, catalog_file)
    doc = load_commitments(commitments) if commitments is not None else CommitmentsDoc()
    reserved, plans = commitments_of(doc, catalog, commitments or "commitments")
    if trace is not None:
        if nodes is not None or kubeconfig is not None:
            raise UserError("--trace", "cannot be used with --nodes or --kubeconfig", "pick one")
        runs = runs_from_trace(trace, strategy, catalog, None if hours is None else hours * 3600)
        span = None
    else:
        live, strategy = _live_runs(nodes, kubeconfig, context, catalog, hours)
        runs = list(live.runs)
        span = (0.0, live.end)  # the whole window: fees are paid for each of its hours
        if start is None:  # the window's first hour: the rows' dates are known
            start = datetime.fromtimestamp(live.start, UTC).isoformat()
    bill = ledger(runs, reserved, plans, span=span)
    if output is CostFormat.FOCUS:
        _write_focus(bill, start)
        return
    groups = {label: totals(bill.charges, _by(label)) for label in LEDGER_GROUPS}
    if output is CostFormat.JSON:
        print(json.dumps(_bill_json(strategy, bill, groups), indent=2))
        return
    console = stdout()
    console.print(_bill_summary(strategy, bill))
    for name in ("pool", "capacity_type", "zone"):
        console.print()
        console.print(_totals_table(name, groups[name]))
    if bill.commitments:
        console.print()
        console.print(_commitments_table(bill.commitments))


def _live_runs(
    nodes: Path | None,
    kubeconfig: Path | None,
    context: str | None,
    catalog: Catalog,
    hours: float | None,
) -> tuple[NodeRuns, str]:
    """The running nodes' lives over the window, and what the bill is of.

    Raises:
        UserError: Without a source, or with a window out of range.
    """
    from spotwise.kubernetes.node_runs import runs_from_nodes

    if nodes is None and kubeconfig is None:
        raise UserError("ledger", "nothing to bill", "pass --trace, --nodes or --kubeconfig")
    window = 24.0 if hours is None else hours
    if not 0 < window <= 24 * 366:
        raise UserError("--hours", f"{window:g} is out of range", "give 0 < hours <= 8784")
    cluster = read_snapshot("ledger", [], nodes, kubeconfig, context).nodes
    live = runs_from_nodes(cluster, catalog, time.time(), window)
    if live.unpriced:
        print(
            f"note: {len(live.unpriced)} nodes left out, the catalog cannot price them"
            f" (their instance type, zone or capacity type label): {', '.join(live.unpriced)}",
            file=sys.stderr,
        )
    return live, f"the cluster's {len(live.runs)} running nodes, last {window:g} h"


def _bill_summary(strategy: str, bill: Bill) -> str:
    """The bill in one paragraph; figures that depend on an unknown fee are n/a."""
    fees, total = bill.fees, bill.total
    unknown = "n/a (a reserved instance has no hourlyPrice)"
    saved = None if total is None else bill.list_cost - total
    share = (
        f" ({100 * saved / bill.list_cost:.1f}%)" if saved is not None and bill.list_cost else ""
    )
    return (
        f"{strategy}: {len(bill.charges)} instances over {bill.hours} clock hours;"
        f" the instances added ${bill.added:,.2f}; commitments' fees"
        f" {unknown if fees is None else f'${fees:,.2f}'}; billed"
        f" {'n/a' if total is None else f'${total:,.2f}'}; at on-demand prices"
        f" ${bill.list_cost:,.2f}; saved {'n/a' if saved is None else f'${saved:,.2f}'}{share}"
    )


def _bill_json(strategy: str, bill: Bill, groups: dict[str, dict[str, Total]]) -> dict[str, object]:
    total = bill.total
    return {
        "strategy": strategy,
        "clock_hours": bill.hours,
        "instances": len(bill.charges),
        "added": round(bill.added, 4),
        "fees": _rounded(bill.fees, 4),
        "billed": _rounded(total, 4),
        "list_cost": round(bill.list_cost, 4),
        "savings": None if total is None else round(bill.list_cost - total, 4),
        **{k: {g: _total_json(t) for g, t in v.items()} for k, v in groups.items()},
        "commitments": [
            {
                "id": c.id,
                "kind": c.kind.value,
                "used": round(c.used, 6),
                "total": round(c.total, 6),
                "unit": c.unit,
                "utilization_percent": round(c.percent, 2),
                "fee": _rounded(c.fee, 4),
            }
            for c in bill.commitments
        ],
    }


def _no_focus(output: CostFormat) -> None:
    """Refuse ``-o focus`` where there is no bill to write as FOCUS rows."""
    if output is CostFormat.FOCUS:
        raise UserError("-o focus", "applies to `spotwise cost ledger` only", "use table or json")


def _write_focus(bill: Bill, start: str | None) -> None:
    """The bill as FOCUS rows, CSV on stdout.

    Raises:
        UserError: Without --start, or when a reserved instance has no price.
    """
    import csv
    from datetime import UTC, datetime

    from spotwise.decisions.cost.focus import COLUMNS, focus_rows

    if start is None:
        raise UserError("-o focus", "needs --start: FOCUS rows are dated", "pass --start TIME")
    try:
        begin = datetime.fromisoformat(start.replace("Z", "+00:00"))
    except ValueError:
        raise UserError(
            "--start", f"{start!r} is not an ISO 8601 time", "such as 2026-12-01T00:00:00Z"
        ) from None
    if begin.tzinfo is None:
        begin = begin.replace(tzinfo=UTC)
    if bill.fees is None:  # a purchase row without its cost would make the rows lie
        raise UserError(
            "--commitments",
            "has a reserved instance without a price, so its purchase cannot be billed",
            "give each reserved instance an hourlyPrice",
        )
    try:
        rows = focus_rows(bill, begin.astimezone(UTC))
    except ValueError as error:
        raise UserError(
            "--commitments", str(error), "give each reserved instance an hourlyPrice"
        ) from None
    writer = csv.DictWriter(sys.stdout, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)


LEDGER_GROUPS = ("pool", "capacity_type", "instance_type", "zone")


def _by(label: str) -> Callable[[Charge], str]:
    """The grouping key of a run's label."""
    return lambda charge: charge.run.labels[label]


def _total_json(total: Total) -> dict[str, float]:
    return {
        "added": round(total.cost, 4),
        "list_cost": round(total.list_cost, 4),
        "instance_hours": round(total.instance_hours, 3),
    }


def _totals_table(name: str, rows: dict[str, Total]) -> Table:
    table = Table(box=None, pad_edge=False)
    for column in (name.replace("_", " "), "instance-hours", "added $", "on-demand $"):
        table.add_column(column.upper(), overflow="fold")
    for key, t in rows.items():
        table.add_row(key, f"{t.instance_hours:,.1f}", f"{t.cost:,.2f}", f"{t.list_cost:,.2f}")
    return table


SHOWBACK_HELP = """What each namespace or workload costs per hour now, and what is idle.

Nodes are priced from the catalog by their instance type, zone and capacity type labels.

Each node's price is split into CPU, memory and GPU by OpenCost's unit-price ratios.

Each pod pays its requests' share; what no pod requested is the idle line.

Reads a live cluster (--kubeconfig) or files (-f pods, --nodes); see docs/cost.md.
"""


@app.command("showback", help=SHOWBACK_HELP)
def showback_cmd(
    files: FilesOption = None,
    nodes: NodesOption = None,
    kubeconfig: KubeconfigOption = None,
    context: ContextOption = None,
    by: Annotated[GroupBy, typer.Option(case_sensitive=False, help="Group lines by.")] = (
        GroupBy.NAMESPACE
    ),
    usage: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="Pods' usage: a PodMetricsList (metrics-server)."),
    ] = None,
    pool: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="NodePools, for their headroom line."),
    ] = None,
    output: OutputOption = CostFormat.TABLE,
    region: RegionOption = None,
    catalog_file: CatalogOption = None,
) -> None:
    """Run `spotwise cost showback` (see SHOWBACK_HELP)."""
    _no_focus(output)
    from spotwise.catalog.bundled import load_catalog
    from spotwise.catalog.node_price import node_price
    from spotwise.decisions.cost.showback import PricedNode, showback
    from spotwise.model.labels import NODE_POOL

    cluster_nodes = read_snapshot("showback", files, nodes, kubeconfig, context).nodes
    catalog = load_catalog(region, catalog_file)
    used = _pod_usage(usage, kubeconfig, context)
    priced, unpriced = [], []
    for node in cluster_nodes:
        price = node_price(node, catalog)
        if price is None:
            unpriced.append(node.name)
            continue
        pool_name = node.labels.get(NODE_POOL) or ""
        priced.append(
            PricedNode(node.name, price, node.allocatable, node.pods, pool_name, used or {})
        )
    if unpriced:
        print(
            f"note: {len(unpriced)} nodes left out, the catalog cannot price them"
            f" (their instance type, zone or capacity type label): {', '.join(unpriced)}",
            file=sys.stderr,
        )
    lines = showback(priced, by, _headroom(pool, catalog, cluster_nodes))
    total = sum(n.price for n in priced)
    if output is CostFormat.JSON:
        print(
            json.dumps(
                {
                    "by": by.value,
                    "usage": used is not None,
                    "nodes": len(priced),
                    "total_per_hour": round(total, 6),
                    "lines": [
                        {
                            "name": line.name,
                            "pods": line.pods,
                            "cpu_per_hour": round(line.cpu, 6),
                            "memory_per_hour": round(line.memory, 6),
                            "gpu_per_hour": round(line.gpu, 6),
                            "total_per_hour": round(line.total, 6),
                        }
                        for line in lines
                    ],
                },
                indent=2,
            )
        )
        return
    table = Table(box=None, pad_edge=False)
    for column in (by.value, "pods", "cpu $/h", "memory $/h", "gpu $/h", "total $/h", "share"):
        table.add_column(column.upper(), overflow="fold")
    for line in lines:
        table.add_row(
            line.name,
            str(line.pods),
            f"{line.cpu:.4f}",
            f"{line.memory:.4f}",
            f"{line.gpu:.4f}",
            f"{line.total:.4f}",
            f"{100 * line.total / total:.1f}%" if total else "n/a",
        )
    console = stdout()
    basis = "max(request, usage)" if used is not None else "requests"
    console.print(f"{len(priced)} nodes, ${total:,.4f} per hour, pods charged by {basis}")
    console.print(table)


def _pod_usage(
    path: Path | None, kubeconfig: Path | None, context: str | None
) -> dict[str, Resources] | None:
    """The pods' usage: from ``--usage``, else the cluster's metrics-server, else None."""
    if path is not None:
        from spotwise.config.documents import read_documents
        from spotwise.kubernetes.manifests.pod_metrics import pod_usage

        documents = [d for d in read_documents(path) if d is not None]
        if len(documents) != 1:
            raise UserError(
                str(path), "is not one PodMetricsList", "save one, as kubectl prints it"
            )
        return pod_usage(documents[0], str(path))
    if kubeconfig is None:
        return None
    from spotwise.cli.plan_live import read_pod_usage

    found = read_pod_usage(kubeconfig, context, 30.0)
    if found is None:
        print(
            "note: the cluster serves no pod metrics (metrics.k8s.io): pods are charged by"
            " their requests",
            file=sys.stderr,
        )
    return found or None  # metrics for no pod: requests, as without


def _headroom(path: Path | None, catalog: Catalog, nodes: Sequence[Node]) -> dict[str, Resources]:
    """Each pool's headroom (CPU and memory kept free), for ``--pool``'s pools."""
    if path is None:
        return {}
    from spotwise.config.nodepool import load_nodepools
    from spotwise.decisions.scheduling.headroom import headroom_pods
    from spotwise.model.labels import NODE_POOL
    from spotwise.provisioning.pools import build_pools

    found = {}
    for pool in build_pools(load_nodepools(path), catalog):
        requested = Resources()
        for n in nodes:
            if n.labels.get(NODE_POOL) == pool.name:
                for p in n.pods:
                    requested = requested + p.spec.requests
        kept = Resources()
        for placeholder in headroom_pods(pool, requested):
            kept = kept + placeholder.spec.requests
        if kept.cpu_milli or kept.memory_bytes:
            found[pool.name] = kept
    return found
