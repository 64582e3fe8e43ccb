"""`spotwise catalog`: what the catalog knows, and building it anew from AWS."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from spotwise.catalog import snapshot
from spotwise.catalog.advisor import ADVISOR_URL
from spotwise.catalog.build import SPOT_PRICE_BASIS, build_catalog
from spotwise.catalog.bundled import load_catalog
from spotwise.catalog.catalog import Catalog
from spotwise.cli.console import stderr, stdout
from spotwise.cli.help_format import App
from spotwise.errors import UserError
from spotwise.model.instance_type import CapacityType

app = App(help="Inspect the EC2 capacity catalog or refresh it from AWS.", no_args_is_help=True)

RegionOption = Annotated[
    str | None, typer.Option(metavar="REGION", help="Region (default us-east-1).")
]
CatalogOption = Annotated[
    Path | None,
    typer.Option("--catalog", metavar="FILE", help="A snapshot written by 'catalog refresh'."),
]


_WRITABLE_FIX = "pass --out with a path in a folder you can write to"


def check_writable(path: Path) -> None:
    """Fail early unless a file can be written at ``path`` (its folder may not exist yet).

    The nearest existing folder on the way must take a new file: a temporary one is
    created there and removed at once, which also catches read-only file systems and
    permissions that ``os.access`` would misjudge.

    Raises:
        UserError: If ``path`` is a folder, or no file can be created on its way.
    """
    try:
        if path.is_dir():
            raise UserError(
                "--out", f"{path} is a folder", "pass a file name, e.g. catalog.json.gz"
            )
        folder = path.absolute().parent
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
        if not folder.is_dir():
            raise UserError("--out", f"{path} cannot be written: {folder} is a file", _WRITABLE_FIX)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:
        raise UserError(
            "--out", f"{path} cannot be written ({error.strerror or error})", _WRITABLE_FIX
        ) from None


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def _facts(catalog: Catalog, name: str) -> Table:
    t = catalog.instance_type(name)
    e = catalog.economics[name]
    facts = Table.grid(padding=(0, 2))
    gpus = ", ".join(
        f"{g.count}x {g.manufacturer} {g.model} ({g.memory_mib // 1024} GiB)" for g in t.gpus
    )
    accelerators = ", ".join(f"{a.count}x {a.manufacturer} {a.model}" for a in t.accelerators)
    rows = [
        ("vCPUs", str(t.vcpus)),
        ("memory", f"{t.memory_gib:g} GiB"),
        ("architecture", ", ".join(a.value for a in t.architectures)),
        ("GPUs", gpus or "none"),
        ("network", t.network_performance or "-"),
        ("max pods (ENI)", str(t.max_pods)),
        ("generation", f"{t.generation} ({'current' if t.current_generation else 'previous'})"),
        ("burstable", "yes" if t.burstable else "no"),
        ("bare metal", "yes" if t.bare_metal else "no"),
        ("usage classes", ", ".join(u.value for u in t.usage_classes)),
        ("CPU manufacturer", t.cpu_manufacturer or "-"),
        ("hypervisor", t.hypervisor or "-"),
        ("network interfaces", f"{t.max_network_interfaces} (EFA: {_yes(t.efa_support)})"),
        (
            "instance storage",
            f"{t.instance_storage_gb} GB {t.disk_type}" if t.instance_storage_gb else "none",
        ),
        ("accelerators", accelerators or "none"),
        ("on-demand", "-" if e.on_demand_price is None else f"${e.on_demand_price:.4f}/h"),
        ("spot savings (advisor)", "-" if e.savings_percent is None else f"{e.savings_percent}%"),
        ("interruption (advisor)", e.interruption.label if e.interruption else "not listed"),
    ]
    for key, value in rows:
        facts.add_row(f"[bold]{key}[/]", value)
    return facts


def _zones(catalog: Catalog, name: str) -> Table:
    table = Table(box=None, header_style="bold", pad_edge=False)
    for column in ("Zone", "Zone ID", "On-demand", "Spot", "Spot price from", "Interruption"):
        table.add_column(column)
    for zone in catalog.economics[name].zones:
        od = catalog.offerings_of(name, CapacityType.ON_DEMAND, (zone,))
        spot = catalog.offerings_of(name, CapacityType.SPOT, (zone,))
        table.add_row(
            zone,
            catalog.metadata.zone_ids.get(zone, "-"),
            f"${od[0].price:.4f}" if od else "-",
            f"${spot[0].price:.4f}" if spot else "-",
            spot[0].price_source.value if spot else "-",
            spot[0].interruption.label if spot and spot[0].interruption else "-",
        )
    return table


@app.command()
def show(
    instance_type: Annotated[str, typer.Argument(metavar="TYPE", help="e.g. m6i.large")],
    region: RegionOption = None,
    catalog_file: CatalogOption = None,
) -> None:
    """Print everything known about an instance type, per zone."""
    catalog = load_catalog(region, catalog_file)
    catalog.instance_type(instance_type)  # an unknown type fails before anything is printed
    out = stdout()
    out.print(
        f"[bold]{instance_type}[/] in {catalog.region} (catalog of {catalog.metadata.built_at})"
    )
    out.print(_facts(catalog, instance_type))
    out.print()
    out.print(_zones(catalog, instance_type))


@app.command()
def info(region: RegionOption = None, catalog_file: CatalogOption = None) -> None:
    """Print when and from what the catalog was built."""
    catalog = load_catalog(region, catalog_file)
    meta = catalog.metadata
    out = stdout()
    out.print(
        f"{meta.region}: {len(catalog.instance_types)} instance types, "
        f"{len(catalog.offerings)} offerings in {len(meta.zone_ids)} zones; built {meta.built_at}"
    )
    for source in meta.sources:
        out.print(f"- {source.name}: {source.location} ({source.licence}; data of {source.as_of})")
    out.print(f"spot prices: {SPOT_PRICE_BASIS}")


@app.command()
def refresh(
    region: Annotated[
        str, typer.Option(metavar="REGION", help="The AWS region to describe.")
    ] = "us-east-1",
    out: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE", help="Where to write the snapshot (default: ./catalog-REGION.json.gz)."
        ),
    ] = None,
    advisor_url: Annotated[
        str,
        typer.Option(
            metavar="URL",
            show_default=False,
            help="The Spot Instance Advisor feed: http, https or file (default: AWS's own).",
        ),
    ] = ADVISOR_URL,
    endpoint_url: Annotated[
        str | None,
        typer.Option(metavar="URL", help="An EC2/Pricing endpoint to use instead of AWS's."),
    ] = None,
) -> None:
    """Build a catalog snapshot live from AWS (EC2, Pricing API, Spot Advisor feed).

    Needs credentials allowed ec2:DescribeAvailabilityZones, ec2:DescribeInstanceTypes,
    ec2:DescribeInstanceTypeOfferings, ec2:DescribeSpotPriceHistory and pricing:GetProducts.
    """
    path = out or Path(f"catalog-{region}.json.gz")
    # A refresh takes minutes: find out now, not after it, that the result has nowhere to go.
    check_writable(path)
    # Only this command talks to AWS: keep boto3 off the other commands' start-up.
    import boto3

    from spotwise.catalog.refresh import fetch_inputs

    err = stderr()
    with err.status("refreshing the catalog") as status:
        inputs = fetch_inputs(
            boto3.Session(),
            region,
            endpoint_url=endpoint_url,
            advisor_url=advisor_url,
            progress=lambda step: status.update(f"{region}: {step}"),
        )
    catalog = build_catalog(inputs)
    if not inputs.on_demand:
        err.print(f"warning: the Pricing API listed no on-demand prices for {region}")
    if not inputs.advisor:
        err.print(f"warning: the Spot Advisor feed does not list {region}; no interruption buckets")
    try:
        snapshot.write(catalog, path)
    except OSError as error:
        raise UserError(
            "--out", f"cannot write {path} ({error.strerror or error})", _WRITABLE_FIX
        ) from None
    err.print(
        f"wrote {path}: {len(catalog.instance_types)} instance types, "
        f"{len(catalog.offerings)} offerings in {len(catalog.zones)} zones"
    )
