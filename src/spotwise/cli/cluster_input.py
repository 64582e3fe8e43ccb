"""Where a command reads a cluster from: a live one (--kubeconfig) or files (-f, --nodes)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from spotwise.errors import UserError

if TYPE_CHECKING:
    from spotwise.ports.cluster import ClusterSnapshot

FilesOption = Annotated[
    list[Path] | None,
    typer.Option("--file", "-f", metavar="FILE", help="Pods: a manifest file or folder."),
]
NodesOption = Annotated[
    Path | None,
    typer.Option(metavar="FILE", help="The nodes, with -f (kubectl get nodes -o yaml)."),
]
KubeconfigOption = Annotated[
    Path | None, typer.Option(metavar="FILE", help="Read this cluster's nodes and pods.")
]
ContextOption = Annotated[
    str | None, typer.Option(metavar="NAME", help="The kubeconfig context (default: current).")
]


def read_snapshot(
    command: str,
    files: list[Path] | None,
    nodes: Path | None,
    kubeconfig: Path | None,
    context: str | None,
) -> ClusterSnapshot:
    """The nodes with their pods, the pending pods and the budgets, from files or a cluster.

    Args:
        command: The command's name, for the error when no source is given.
        files: Pod manifests (files or folders).
        nodes: The nodes file, with ``files``.
        kubeconfig: A live cluster instead.
        context: The kubeconfig context.

    Raises:
        UserError: If both or neither source is given, or the source cannot be read.
    """
    from spotwise.ports.cluster import ClusterSnapshot

    if kubeconfig is not None:
        if files or nodes is not None:
            raise UserError("--kubeconfig", "cannot be used with -f or --nodes", "pick one source")
        from spotwise.cli.plan_live import read_cluster

        return read_cluster(kubeconfig, context, 30.0)
    if nodes is None:
        raise UserError(command, "no nodes", "pass --nodes FILE (with -f) or --kubeconfig FILE")
    from spotwise.kubernetes.manifests import load_workload

    workload = load_workload(files or [], nodes)
    for note in workload.notes:
        print(f"note: {note}", file=sys.stderr)
    return ClusterSnapshot(workload.nodes, workload.pods, workload.pdbs, workload.daemonsets)
