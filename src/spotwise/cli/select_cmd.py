"""`spotwise select`: filter instance types, show prices and risk, emit configs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from spotwise.catalog.bundled import load_catalog
from spotwise.catalog.catalog import Catalog
from spotwise.cli import flags
from spotwise.cli.console import stderr, stdout
from spotwise.cli.emit_options import Emit, EmitOptions
from spotwise.cli.emit_options import emit as run_emit
from spotwise.errors import UserError
from spotwise.model.allocation import OnDemandAllocationStrategy, SpotAllocationStrategy
from spotwise.model.instance_type import Architecture, CapacityType
from spotwise.selector import aggregates
from spotwise.selector.criteria import Criteria
from spotwise.selector.output import OutputFormat, render
from spotwise.selector.select import select as run_select
from spotwise.selector.sorting import SortKey, sort_candidates

HELP = """Select EC2 instance types by resources, price and interruption risk.

Ranges take --X for an exact value or --X-min/--X-max. Memory sizes are GiB when
plain (8) or any unit (8GiB, 512Mi). Prices come from the catalog (bundled, or --catalog).
"""

FILTERS = "Filters"
SPOT = "Spot"
OUT = "Output"
EMIT = "Emitters"


def _zones(catalog: Catalog, text: str | None) -> tuple[str, ...]:
    if not text:
        return ()
    zones = []
    for item in (z.strip() for z in text.split(",") if z.strip()):
        name = catalog.zone_name(item)
        if name is None:
            raise UserError(
                "--availability-zones",
                f"{item!r} is not a zone of {catalog.region}",
                f"use names or IDs of: {', '.join(catalog.zones)}",
            )
        zones.append(name)
    return tuple(dict.fromkeys(zones))


def _memory_range(flag: str, exact: str | None, low: str | None, high: str | None) -> object:
    def mib(suffix: str, text: str | None) -> float | None:
        return None if text is None else flags.memory_mib(f"--{flag}{suffix}", text)

    return flags.number_range(flag, mib("", exact), mib("-min", low), mib("-max", high))


def select(
    vcpus: Annotated[
        int | None, typer.Option(help="Exactly N vCPUs.", rich_help_panel=FILTERS)
    ] = None,
    vcpus_min: Annotated[int | None, typer.Option(rich_help_panel=FILTERS)] = None,
    vcpus_max: Annotated[int | None, typer.Option(rich_help_panel=FILTERS)] = None,
    memory: Annotated[
        str | None, typer.Option(help="Memory (8 = 8 GiB).", rich_help_panel=FILTERS)
    ] = None,
    memory_min: Annotated[str | None, typer.Option(rich_help_panel=FILTERS)] = None,
    memory_max: Annotated[str | None, typer.Option(rich_help_panel=FILTERS)] = None,
    gpus: Annotated[int | None, typer.Option(help="Total GPUs.", rich_help_panel=FILTERS)] = None,
    gpus_min: Annotated[int | None, typer.Option(rich_help_panel=FILTERS)] = None,
    gpus_max: Annotated[int | None, typer.Option(rich_help_panel=FILTERS)] = None,
    gpu_memory_total: Annotated[
        str | None, typer.Option(help="GPU memory of all GPUs.", rich_help_panel=FILTERS)
    ] = None,
    gpu_memory_total_min: Annotated[str | None, typer.Option(rich_help_panel=FILTERS)] = None,
    gpu_memory_total_max: Annotated[str | None, typer.Option(rich_help_panel=FILTERS)] = None,
    network_performance: Annotated[
        float | None, typer.Option(help="Peak network, Gbit/s.", rich_help_panel=FILTERS)
    ] = None,
    network_performance_min: Annotated[float | None, typer.Option(rich_help_panel=FILTERS)] = None,
    network_performance_max: Annotated[float | None, typer.Option(rich_help_panel=FILTERS)] = None,
    price_per_hour: Annotated[
        float | None,
        typer.Option(help="USD/h; spot price with --usage-class spot.", rich_help_panel=FILTERS),
    ] = None,
    price_per_hour_min: Annotated[float | None, typer.Option(rich_help_panel=FILTERS)] = None,
    price_per_hour_max: Annotated[float | None, typer.Option(rich_help_panel=FILTERS)] = None,
    generation: Annotated[
        int | None, typer.Option(help="Generation (c7i -> 7).", rich_help_panel=FILTERS)
    ] = None,
    generation_min: Annotated[int | None, typer.Option(rich_help_panel=FILTERS)] = None,
    generation_max: Annotated[int | None, typer.Option(rich_help_panel=FILTERS)] = None,
    vcpus_to_memory_ratio: Annotated[
        str | None,
        typer.Option(
            help="vCPUs:GiB, e.g. 1:4 (GiB per vCPU rounded up).", rich_help_panel=FILTERS
        ),
    ] = None,
    cpu_architecture: Annotated[
        Architecture | None, typer.Option(case_sensitive=False, rich_help_panel=FILTERS)
    ] = None,
    usage_class: Annotated[
        CapacityType | None, typer.Option(case_sensitive=False, rich_help_panel=FILTERS)
    ] = None,
    gpu_manufacturer: Annotated[
        str | None, typer.Option(help="e.g. nvidia.", rich_help_panel=FILTERS)
    ] = None,
    gpu_model: Annotated[
        str | None, typer.Option(help="e.g. T4, A10G.", rich_help_panel=FILTERS)
    ] = None,
    burst_support: Annotated[
        bool | None,
        typer.Option(
            "--burst-support/--no-burst-support",
            help="Burstable (t*) types.",
            rich_help_panel=FILTERS,
        ),
    ] = None,
    current_generation: Annotated[
        bool | None,
        typer.Option("--current-generation/--previous-generation", rich_help_panel=FILTERS),
    ] = None,
    bare_metal: Annotated[
        bool | None, typer.Option("--bare-metal/--no-bare-metal", rich_help_panel=FILTERS)
    ] = None,
    allow_list: Annotated[
        str | None, typer.Option(help="Regex of names to keep.", rich_help_panel=FILTERS)
    ] = None,
    deny_list: Annotated[
        str | None, typer.Option(help="Regex of names to drop.", rich_help_panel=FILTERS)
    ] = None,
    base_instance_type: Annotated[
        str | None,
        typer.Option(
            help="Types similar to this one (0.9-1.2x vCPUs and memory).", rich_help_panel=FILTERS
        ),
    ] = None,
    flexible: Annotated[
        bool,
        typer.Option(
            help="A diversified general-purpose set (4 vCPUs, x86_64).", rich_help_panel=FILTERS
        ),
    ] = False,
    availability_zones: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated zone names or IDs; each must offer the type.",
            rich_help_panel=FILTERS,
        ),
    ] = None,
    max_interruption: Annotated[
        float | None,
        typer.Option(
            help="Keep types whose interruption bucket is at or under PCT.",
            metavar="PCT",
            rich_help_panel=SPOT,
        ),
    ] = None,
    sort_by: Annotated[
        SortKey, typer.Option(case_sensitive=False, rich_help_panel=OUT)
    ] = SortKey.NAME,
    sort_direction: Annotated[
        str, typer.Option(help="ascending or descending.", rich_help_panel=OUT)
    ] = "ascending",
    max_results: Annotated[int, typer.Option(min=1, rich_help_panel=OUT)] = 20,
    output: Annotated[
        OutputFormat, typer.Option("--output", "-o", case_sensitive=False, rich_help_panel=OUT)
    ] = OutputFormat.TABLE,
    region: Annotated[str | None, typer.Option(help="Catalog region (default us-east-1).")] = None,
    catalog_file: Annotated[
        Path | None, typer.Option("--catalog", help="A catalog snapshot from 'catalog refresh'.")
    ] = None,
    emit: Annotated[
        Emit | None,
        typer.Option(
            case_sensitive=False, help="Write a config instead of a list.", rich_help_panel=EMIT
        ),
    ] = None,
    groups: Annotated[
        int,
        typer.Option(
            help="kops: InstanceGroups, one per vCPU:GiB ratio 1:2, 1:4...", rich_help_panel=EMIT
        ),
    ] = 1,
    cluster: Annotated[
        str | None, typer.Option(help="kops: the cluster name.", rich_help_panel=EMIT)
    ] = None,
    min_size: Annotated[int, typer.Option(help="kops: minSize.", rich_help_panel=EMIT)] = 0,
    max_size: Annotated[int, typer.Option(help="kops: maxSize.", rich_help_panel=EMIT)] = 10,
    on_demand_base: Annotated[
        int, typer.Option(help="Instances always on-demand.", rich_help_panel=EMIT)
    ] = 0,
    on_demand_above_base: Annotated[
        int | None,
        typer.Option(
            help="Percent on-demand above the base (default 0 for spot).", rich_help_panel=EMIT
        ),
    ] = None,
    spot_allocation_strategy: Annotated[
        SpotAllocationStrategy, typer.Option(case_sensitive=False, rich_help_panel=EMIT)
    ] = SpotAllocationStrategy.PRICE_CAPACITY_OPTIMIZED,
    on_demand_allocation_strategy: Annotated[
        OnDemandAllocationStrategy, typer.Option(case_sensitive=False, rich_help_panel=EMIT)
    ] = OnDemandAllocationStrategy.LOWEST_PRICE,
    taint_spot: Annotated[
        bool,
        typer.Option(
            help="kops: taint spot groups spotInstance=true:PreferNoSchedule.", rich_help_panel=EMIT
        ),
    ] = False,
    launch_template: Annotated[
        str, typer.Option(help="asg: the launch template name.", rich_help_panel=EMIT)
    ] = "spotwise-nodes",
    max_types: Annotated[
        int | None,
        typer.Option(help="asg: keep the N cheapest types (max 40).", rich_help_panel=EMIT),
    ] = None,
    name: Annotated[
        str, typer.Option(help="pool: the NodePool name.", rich_help_panel=EMIT)
    ] = "default",
    label: Annotated[
        list[str] | None,
        typer.Option(help="pool: a node label key=value (repeatable).", rich_help_panel=EMIT),
    ] = None,
    taint: Annotated[
        list[str] | None,
        typer.Option(help="pool: a taint key=value:Effect (repeatable).", rich_help_panel=EMIT),
    ] = None,
    weight: Annotated[
        int, typer.Option(help="pool: priority among pools (0-100).", rich_help_panel=EMIT)
    ] = 0,
) -> None:
    """Select instance types (see HELP)."""
    catalog = load_catalog(region, catalog_file)
    if sort_direction not in ("ascending", "descending", "asc", "desc"):
        raise UserError(
            "--sort-direction", f"{sort_direction!r} is unknown", "use ascending or descending"
        )
    if max_interruption is not None and not 0 <= max_interruption <= 100:
        raise UserError(
            "--max-interruption", f"{max_interruption:g} is not a percentage", "give 0-100"
        )
    criteria = Criteria(
        vcpus=flags.number_range("vcpus", vcpus, vcpus_min, vcpus_max),
        memory_mib=_memory_range("memory", memory, memory_min, memory_max),  # type: ignore[arg-type]
        gpus=flags.number_range("gpus", gpus, gpus_min, gpus_max),
        gpu_memory_total_mib=_memory_range(  # type: ignore[arg-type]
            "gpu-memory-total", gpu_memory_total, gpu_memory_total_min, gpu_memory_total_max
        ),
        network_gbps=flags.number_range(
            "network-performance",
            network_performance,
            network_performance_min,
            network_performance_max,
        ),
        price_per_hour=flags.number_range(
            "price-per-hour", price_per_hour, price_per_hour_min, price_per_hour_max
        ),
        generation=flags.number_range("generation", generation, generation_min, generation_max),
        vcpus_to_memory_ratio=(
            flags.ratio("--vcpus-to-memory-ratio", vcpus_to_memory_ratio)
            if vcpus_to_memory_ratio
            else None
        ),
        architecture=cpu_architecture,
        usage_class=usage_class,
        gpu_manufacturer=gpu_manufacturer,
        gpu_model=gpu_model,
        burstable=burst_support,
        current_generation=current_generation,
        bare_metal=bare_metal,
        allow=flags.regex("--allow-list", allow_list) if allow_list else None,
        deny=flags.regex("--deny-list", deny_list) if deny_list else None,
        zones=_zones(catalog, availability_zones),
        max_interruption=max_interruption,
    )
    if base_instance_type:
        base = catalog.instance_type(base_instance_type, subject="--base-instance-type")
        criteria = aggregates.like_base_type(criteria, base)
    if flexible:
        criteria = aggregates.flexible(criteria)
    rows = sort_candidates(
        run_select(catalog, criteria),
        sort_by,
        descending=sort_direction.startswith("desc"),
        usage_class=usage_class,
    )
    if not rows:
        stderr().print("no instance type matches these filters; widen a range or drop a filter")
        raise typer.Exit(1)
    if emit is None:
        shown = rows[:max_results]
        render(shown, output, stdout())
        if len(rows) > len(shown) and output in (OutputFormat.TABLE, OutputFormat.WIDE):
            stderr().print(
                f"{len(rows) - len(shown)} more matched; raise --max-results to see them"
            )
        return
    options = EmitOptions(
        usage_class=usage_class,
        zones=criteria.zones,
        architecture=criteria.architecture,
        max_interruption=max_interruption,
        groups=groups,
        cluster=cluster,
        min_size=min_size,
        max_size=max_size,
        on_demand_base=on_demand_base,
        on_demand_above_base=on_demand_above_base,
        spot_allocation_strategy=spot_allocation_strategy,
        on_demand_allocation_strategy=on_demand_allocation_strategy,
        taint_spot=taint_spot,
        launch_template=launch_template,
        max_types=max_types,
        name=name,
        labels=tuple(label or ()),
        taints=tuple(taint or ()),
        weight=weight,
    )
    # Every matching type goes to the emitter: each orders and trims them by price itself.
    stdout().file.write(run_emit(emit, rows, options))
