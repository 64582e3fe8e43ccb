"""`spotwise plan`: which capacity to launch for the pods in some manifests, at what cost."""

from __future__ import annotations

import enum
import json
from pathlib import Path
from typing import Annotated

import typer
import yaml

from spotwise.cli.console import stdout

HELP = """Plan the nodes to launch for the pods in Kubernetes manifests.

Reads Pods, Deployments, StatefulSets, ReplicaSets, Jobs, CronJobs (one run), DaemonSets
(per-node overhead), PodDisruptionBudgets and PVCs/PVs from files or folders; places the
pods on --nodes first, then on the cheapest new nodes the pools (--pool) allow.
"""


class PlanFormat(enum.StrEnum):
    """Values of ``-o``."""

    TABLE = "table"
    JSON = "json"
    YAML = "yaml"


def plan(
    files: Annotated[
        list[Path], typer.Option("--file", "-f", help="A manifest file or folder (repeatable).")
    ],
    nodes: Annotated[
        Path | None, typer.Option(help="Existing nodes and their pods (kubectl get -o yaml).")
    ] = None,
    pool: Annotated[
        Path | None, typer.Option(help="NodePool documents (default: one pool of every type).")
    ] = None,
    region: Annotated[str | None, typer.Option(help="Catalog region (default us-east-1).")] = None,
    catalog_file: Annotated[
        Path | None, typer.Option("--catalog", help="A catalog snapshot.")
    ] = None,
    output: Annotated[
        PlanFormat, typer.Option("--output", "-o", case_sensitive=False)
    ] = PlanFormat.TABLE,
) -> None:
    """Plan capacity (see HELP)."""
    # The planner pulls in numpy and HiGHS; import it here so that other commands start fast.
    from spotwise.catalog.bundled import load_catalog
    from spotwise.config.nodepool import load_nodepools
    from spotwise.decisions.scheduling.packer import PackInput, pack
    from spotwise.decisions.scheduling.plan_output import document, render_tables
    from spotwise.kubernetes.manifests import load_workload
    from spotwise.provisioning.pools import build_pools, default_nodepool

    workload = load_workload(files, nodes)
    catalog = load_catalog(region, catalog_file)
    nodepools = load_nodepools(pool) if pool else [default_nodepool()]
    pools = build_pools(nodepools, catalog)
    result = pack(PackInput(workload.pods, workload.nodes, pools, workload.daemonsets))
    console = stdout()
    if output is PlanFormat.JSON:
        console.file.write(json.dumps(document(result), indent=2) + "\n")
    elif output is PlanFormat.YAML:
        console.file.write(yaml.safe_dump(document(result), sort_keys=False))
    else:
        render_tables(result, console)
