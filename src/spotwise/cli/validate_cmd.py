"""`spotwise validate`: catch the mistakes that make spot launches fail, before any launch."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from spotwise.cli.console import stdout
from spotwise.errors import UserError

if TYPE_CHECKING:
    from spotwise.config.nodepool import NodePool
    from spotwise.validate import PoolFacts

HELP = """Check NodePools for the mistakes that make spot launches fail, before any launch.

Offline, against the catalog: instance types (allowed, known, offered in the pool's zones,
enough of them for spot), architectures, IMDS options, KMS keys. Then, unless --offline,
against AWS: the image, its root device, snapshots, subnets per zone, security groups, the
instance profile. Exit code 0 without errors (warnings allowed), 1 with errors, 2 when the
input is unusable. See docs/validate.md.
"""


class ValidateFormat(enum.StrEnum):
    """Values of ``-o``."""

    TABLE = "table"
    JSON = "json"


def validate(
    file: Annotated[
        Path, typer.Option("--file", "-f", metavar="FILE", help="NodePool documents (YAML).")
    ],
    region: Annotated[
        str | None,
        typer.Option(
            metavar="REGION", help="The pools' region (default us-east-1, or the catalog's)."
        ),
    ] = None,
    catalog_file: Annotated[
        Path | None, typer.Option("--catalog", metavar="FILE", help="A catalog snapshot.")
    ] = None,
    cluster: Annotated[
        str | None,
        typer.Option(
            metavar="NAME",
            help="The cluster's name: pools without selectors find subnets and security"
            " groups tagged karpenter.sh/discovery=NAME.",
        ),
    ] = None,
    allowed_types: Annotated[
        str | None,
        typer.Option(
            metavar="TYPES",
            help="The types the cluster allows: a list (m6i.large,m5.large) or a regex"
            " matched against the whole name ('(m|c)6i\\..*').",
        ),
    ] = None,
    offline: Annotated[
        bool, typer.Option("--offline", help="Check against the catalog only; call no AWS API.")
    ] = False,
    endpoint_url: Annotated[
        str | None,
        typer.Option(metavar="URL", help="Send AWS calls here instead (local emulators)."),
    ] = None,
    output: Annotated[
        ValidateFormat, typer.Option("--output", "-o", case_sensitive=False)
    ] = ValidateFormat.TABLE,
) -> None:
    """Validate NodePools (see HELP)."""
    from spotwise.catalog.bundled import load_catalog
    from spotwise.config.nodepool import load_nodepools
    from spotwise.validate import has_errors, parse_allowed_types
    from spotwise.validate import validate as run_checks
    from spotwise.validate.render import findings_json, render_table

    allowed = None if allowed_types is None else parse_allowed_types(allowed_types)
    pools = load_nodepools(file)
    catalog = load_catalog(region, catalog_file)
    facts = None if offline else _aws_facts(pools, catalog.region, cluster, endpoint_url)
    findings = run_checks(pools, catalog, allowed=allowed, facts=facts)
    console = stdout()
    if output is ValidateFormat.JSON:
        console.file.write(findings_json(findings))
    else:
        render_table(findings, len(pools), console)
    if has_errors(findings):
        raise typer.Exit(1)


def _aws_facts(
    pools: list[NodePool], region: str, cluster: str | None, endpoint_url: str | None
) -> dict[str, PoolFacts]:
    # boto3 takes a while to import; --offline runs never need it.
    import boto3

    from spotwise.ports.cloud import CloudError
    from spotwise.validate import gather_facts

    try:
        return gather_facts(
            pools, boto3.Session(), region=region, cluster=cluster, endpoint_url=endpoint_url
        )
    except CloudError as failure:
        raise UserError(
            "online checks",
            str(failure),
            "fix the credentials, region or --endpoint-url, or pass --offline",
        ) from None
