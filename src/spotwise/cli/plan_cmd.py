"""`spotwise plan`: which capacity to launch for the pods in some manifests or a cluster."""

from __future__ import annotations

import enum
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer
import yaml

from spotwise.cli.console import stdout
from spotwise.errors import UserError

HELP = """Plan the nodes to launch for the pods in Kubernetes manifests.

Reads Pods, Deployments, StatefulSets, ReplicaSets, Jobs, CronJobs (one run), DaemonSets
(per-node overhead), PodDisruptionBudgets and PVCs/PVs from files or folders; places the
pods on --nodes first, then on the cheapest new nodes the pools (--pool) allow.

With --kubeconfig, plans for a live cluster's pending pods over its existing nodes (their
bound pods, cordons and taints) and DaemonSets; -f then adds the manifests' pods to the
cluster's, as if they were applied.
"""


class PlanFormat(enum.StrEnum):
    """Values of ``-o``."""

    TABLE = "table"
    JSON = "json"
    YAML = "yaml"


def plan(
    files: Annotated[
        list[Path] | None,
        typer.Option(
            "--file", "-f", metavar="FILE", help="A manifest file or folder (repeatable)."
        ),
    ] = None,
    nodes: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="Existing nodes and their pods (kubectl get -o yaml)."),
    ] = None,
    kubeconfig: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="Plan for this cluster's pending pods and nodes."),
    ] = None,
    context: Annotated[
        str | None, typer.Option(metavar="NAME", help="The kubeconfig context (default: current).")
    ] = None,
    timeout: Annotated[
        float,
        typer.Option(min=0.1, metavar="SECONDS", help="Seconds to wait for the cluster's objects."),
    ] = 30.0,
    pool: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="NodePool documents (default: one pool of every type)."),
    ] = None,
    region: Annotated[
        str | None,
        typer.Option(
            "--region", "-r", metavar="REGION", help="Catalog region (default us-east-1)."
        ),
    ] = None,
    catalog_file: Annotated[
        Path | None, typer.Option("--catalog", metavar="FILE", help="A catalog snapshot.")
    ] = None,
    output: Annotated[
        PlanFormat, typer.Option("--output", "-o", case_sensitive=False)
    ] = PlanFormat.TABLE,
    fail_on_unschedulable: Annotated[
        bool,
        typer.Option(
            "--fail-on-unschedulable", help="Exit with code 1 if a pod cannot be placed (CI)."
        ),
    ] = False,
) -> None:
    """Plan capacity (see HELP)."""
    # The planner pulls in numpy and HiGHS; import it here so that other commands start fast.
    from spotwise.catalog.bundled import load_catalog
    from spotwise.config.nodepool import load_nodepools
    from spotwise.decisions.scheduling.packer import PackInput, pack
    from spotwise.decisions.scheduling.plan_output import document, render_tables
    from spotwise.kubernetes.manifests import load_workload
    from spotwise.provisioning.pools import build_pools, default_nodepool

    if kubeconfig is None:
        if context is not None:
            raise UserError("--context", "needs --kubeconfig", "add --kubeconfig FILE")
        if not files:
            raise UserError("plan", "no input", "pass -f FILE (manifests) or --kubeconfig FILE")
        workload = load_workload(files, nodes)
        _say(workload.notes)
        pods, existing, daemonsets = workload.pods, workload.nodes, workload.daemonsets
    else:
        if nodes is not None:
            raise UserError(
                "--nodes", "cannot be used with --kubeconfig", "the cluster's nodes are read live"
            )
        from spotwise.cli.plan_live import combine, read_cluster

        # Manifests first: a malformed file fails before the cluster is contacted.
        extra = load_workload(files) if files else None
        _say(extra.notes if extra is not None else ())
        live = combine(read_cluster(kubeconfig, context, timeout), extra)
        pods, existing, daemonsets = live.pods, live.nodes, live.daemonsets
    if not pods:
        print("note: the input has no pending pods: nothing to plan", file=sys.stderr)
    catalog = load_catalog(region, catalog_file)
    nodepools = load_nodepools(pool) if pool else [default_nodepool()]
    pools = build_pools(nodepools, catalog)
    result = pack(PackInput(pods, existing, pools, daemonsets))
    console = stdout()
    if output is PlanFormat.JSON:
        console.file.write(json.dumps(document(result), indent=2) + "\n")
    elif output is PlanFormat.YAML:
        console.file.write(yaml.safe_dump(document(result), sort_keys=False))
    else:
        render_tables(result, console)
    if fail_on_unschedulable and result.unschedulable:
        raise typer.Exit(1)


def _say(notes: Sequence[str]) -> None:
    """The input's notes (files skipped, and why), on stderr."""
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
