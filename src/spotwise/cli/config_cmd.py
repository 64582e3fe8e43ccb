"""`spotwise config`: the configuration users already have, in spotwise's form."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer
import yaml

from spotwise.cli.console import stderr
from spotwise.cli.help_format import App
from spotwise.config import documents
from spotwise.config.nodepool import from_karpenter
from spotwise.errors import UserError

app = App(
    help="Translate configuration you already have into spotwise NodePools.",
    no_args_is_help=True,
)

CONVERT_HELP = (
    "Print the spotwise NodePools of Karpenter manifests (karpenter.sh/v1 NodePool with the"
    " karpenter.k8s.aws/v1 EC2NodeClass it names). Fields with no equivalent yet are named"
    " on stderr, one line each."
)


# `1.31` or `v1.31`; a patch version or `latest` names no EKS image parameter.
MINOR_VERSION = re.compile(r"v?(\d+\.\d+)")


@app.command("convert", help=CONVERT_HELP)
def convert(
    files: Annotated[list[Path], typer.Argument(metavar="FILE", help="YAML files.")],
    kubernetes_version: Annotated[
        str | None,
        typer.Option(
            "--kubernetes-version",
            metavar="VERSION",
            help="The cluster's Kubernetes version (1.31), for AMI aliases such as al2023@latest.",
        ),
    ] = None,
) -> None:
    """Print the translation as YAML documents; warnings go to stderr."""
    if kubernetes_version is not None:
        kubernetes_version = _minor_version(kubernetes_version)
    parsed = [d for f in files for d in documents.read_documents(f)]
    where = ", ".join(documents.display_name(f) for f in files)
    _, result = from_karpenter(parsed, where, kubernetes_version)
    err = stderr()
    for warning in result.warnings:
        err.print(f"warning: {warning}", markup=False, soft_wrap=True)
    print(yaml.safe_dump_all(result.nodepools, sort_keys=False), end="")


def _minor_version(text: str) -> str:
    """``1.31`` from ``1.31`` or ``v1.31``: EKS's image parameters name a minor version."""
    found = MINOR_VERSION.fullmatch(text.strip())
    if found is None:
        raise UserError(
            "--kubernetes-version",
            f"{text!r} is not a Kubernetes minor version",
            "give major.minor, such as 1.31 (EKS publishes images per minor version)",
        )
    return found.group(1)
