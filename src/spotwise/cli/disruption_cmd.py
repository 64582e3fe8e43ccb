"""``spotwise disruption explain``: what consolidation would do now, and why the rest stays."""

from __future__ import annotations

import enum
import json
import time
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
from spotwise.errors import UserError

if TYPE_CHECKING:
    from spotwise.decisions.disruption.consolidation import Consolidation
    from spotwise.simulator.trace_disruption import DisruptionHistory

app = App(no_args_is_help=True, help="What voluntary disruption would do, and why.")

EXPLAIN_HELP = """\
What consolidation would do to the cluster now, and why every other node of a
consolidating pool stays: the rule that keeps it (a do-not-disrupt pod, a budget,
its age, a move that saves too little...) and, for a blocked node, the dollars per
hour its move would save were it not blocked.

The nodes and pods come from a live cluster (--kubeconfig) or from files (-f with
--nodes); the pools from --pool (default: one pool of every type). Only nodes
labelled spotwise.io/node-pool with one of the pools are looked at.

With --trace (a trace of `spotwise simulate --trace`), what consolidation did over
the run instead: the moves by kind, how often each reason kept a node, and each
blocking rule with the dollars its nodes' moves would have saved over the run.
"""


class ExplainFormat(enum.StrEnum):
    """How ``explain`` prints."""

    TABLE = "table"
    JSON = "json"


@app.command("explain", help=EXPLAIN_HELP)
def explain_cmd(
    files: FilesOption = None,
    nodes: NodesOption = None,
    kubeconfig: KubeconfigOption = None,
    context: ContextOption = None,
    pool: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="NodePool documents (default: one of every type)."),
    ] = None,
    output: Annotated[
        ExplainFormat, typer.Option("--output", "-o", case_sensitive=False, help="Format.")
    ] = ExplainFormat.TABLE,
    region: Annotated[
        str | None, typer.Option(metavar="REGION", help="AWS region (default: the catalog's).")
    ] = None,
    catalog_file: Annotated[
        Path | None, typer.Option("--catalog", metavar="FILE", help="A catalog snapshot.")
    ] = None,
    trace: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="A trace of `spotwise simulate --trace` instead."),
    ] = None,
    strategy: Annotated[
        str, typer.Option(metavar="NAME", help="With --trace: whose run (default: spotwise).")
    ] = "spotwise",
) -> None:
    """Run `spotwise disruption explain` (see EXPLAIN_HELP)."""
    if trace is not None:
        if files or nodes is not None or kubeconfig is not None or pool is not None:
            raise UserError(
                "--trace", "cannot be used with -f, --nodes, --kubeconfig or --pool", "pick one"
            )
        _explain_trace(trace, strategy, output)
        return
    from spotwise.catalog.bundled import load_catalog
    from spotwise.config.nodepool import load_nodepools
    from spotwise.decisions.disruption.budgets import refused_pods
    from spotwise.decisions.disruption.consolidation import ConsolidationInput, consolidate
    from spotwise.disruption.consolidator import disruption_of, drifted_nodes, templates_of
    from spotwise.provisioning.pools import build_pools, default_nodepool

    snapshot = read_snapshot("explain", files, nodes, kubeconfig, context)
    nodepools = load_nodepools(pool) if pool else [default_nodepool()]
    catalog = load_catalog(region, catalog_file)
    now = time.time()
    decision = consolidate(
        ConsolidationInput(
            snapshot.nodes,
            build_pools(nodepools, catalog),
            {name: d.rules() for name, d in disruption_of(nodepools).items()},
            now,
            created={n.name: n.created_at for n in snapshot.nodes if n.created_at is not None},
            budget_blocked=refused_pods(
                snapshot.budgets, (p for n in snapshot.nodes for p in n.pods)
            ),
            drifted=drifted_nodes(snapshot.nodes, templates_of(nodepools)),
            pending=len(snapshot.pending),
            daemonsets=snapshot.daemonsets,
            explain=True,
        )
    )
    if output is ExplainFormat.JSON:
        print(json.dumps(_document(decision), indent=2))
    else:
        stdout().print(_table(decision))


def _document(decision: Consolidation) -> dict[str, object]:
    return {
        "moves": [
            {
                "kind": m.kind.value,
                "nodes": list(m.nodes),
                "replacements": [n.expected_instance_type for n in m.replacements],
                "saving_per_hour": round(m.saving_per_hour, 6),
                "reason": m.reason,
            }
            for m in decision.moves
        ],
        "kept": [
            {
                "node": k.node,
                "why": k.why.value,
                "detail": k.detail,
                "blockers": [
                    {"rule": b.blocker.value, "subject": b.subject, "detail": b.detail}
                    for b in k.blockers
                ],
                "cost_per_hour": round(k.cost_per_hour, 6),
            }
            for k in decision.kept
        ],
    }


def _table(decision: Consolidation) -> Table:
    table = Table(
        title="consolidation now",
        caption="$/h: what a move saves (all its nodes); for a node that stays, what its move"
        " would save were it not kept",
    )
    for column in ("node", "decision", "why", "$/h"):
        table.add_column(column, justify="right" if column == "$/h" else "left")
    for move in decision.moves:
        for name in move.nodes:
            table.add_row(
                name, f"goes ({move.kind.value})", move.reason, f"{move.saving_per_hour:.4f}"
            )
    for kept in decision.kept:
        cost = f"{kept.cost_per_hour:.4f}" if kept.cost_per_hour else "-"
        table.add_row(kept.node, f"stays ({kept.why.value})", kept.detail, cost)
    return table


def _explain_trace(trace: Path, strategy: str, output: ExplainFormat) -> None:
    from spotwise.simulator.trace_disruption import disruption_history

    history = disruption_history(trace, strategy)
    if output is ExplainFormat.JSON:
        print(json.dumps(_history_document(history), indent=2))
        return
    console = stdout()
    for table in _history_tables(history):
        console.print(table)


def _history_document(history: DisruptionHistory) -> dict[str, object]:
    return {
        "strategy": history.strategy,
        "passes": history.passes,
        "moves": [
            {
                "kind": m.kind,
                "moves": m.moves,
                "nodes": m.nodes,
                "saving_per_hour": round(m.saving_per_hour, 6),
            }
            for m in history.moves
        ],
        "kept": history.kept,
        "blockers": [
            {
                "rule": b.rule,
                "node_passes": b.node_passes,
                "dollars": round(b.dollars, 4),
                "subjects": [{"subject": s, "node_passes": n} for s, n in b.subjects],
            }
            for b in history.blockers
        ],
    }


def _history_tables(history: DisruptionHistory) -> list[Table]:
    moves = Table(
        title=f"moves made by {history.strategy}'s consolidation",
        caption="$/h saved: summed as each move was made (0 for expired and drifted nodes)",
    )
    for column in ("kind", "moves", "nodes", "$/h saved"):
        moves.add_column(column, justify="left" if column == "kind" else "right")
    for m in history.moves:
        moves.add_row(m.kind, str(m.moves), str(m.nodes), f"{m.saving_per_hour:.4f}")
    kept = Table(
        title=f"why nodes stayed, over {history.passes} passes",
        caption="node-passes: how many times a pass kept a node for the reason",
    )
    kept.add_column("reason")
    kept.add_column("node-passes", justify="right")
    for reason, count in history.kept.items():
        kept.add_row(reason, str(count))
    blockers = Table(
        title="what blocked nodes",
        caption="$: what the blocked nodes' moves would have saved over the run (a node held"
        " by two rules counts for both)",
    )
    for column in ("rule", "node-passes", "$", "most often"):
        blockers.add_column(column, justify="right" if column in ("node-passes", "$") else "left")
    for b in history.blockers:
        often = ", ".join(f"{s} ({n})" for s, n in b.subjects)
        blockers.add_row(b.rule, str(b.node_passes), f"{b.dollars:.2f}", often)
    return [moves, kept, blockers]
