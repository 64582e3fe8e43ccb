"""`spotwise select`: filter instance types, show prices and risk, emit configs."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from spotwise.catalog.bundled import load_catalog
from spotwise.catalog.catalog import Catalog
from spotwise.cli import flags
from spotwise.cli.console import stderr, stdout
from spotwise.cli.emit_kind import Emit
from spotwise.decisions.selector import aggregates
from spotwise.decisions.selector.criteria import Criteria, Range
from spotwise.decisions.selector.output import OutputFormat, render
from spotwise.decisions.selector.select import select as run_select
from spotwise.decisions.selector.sorting import SortDirection, SortKey, sort_candidates
from spotwise.errors import UserError
from spotwise.model.allocation import OnDemandAllocationStrategy, SpotAllocationStrategy
from spotwise.model.instance_type import ARCHITECTURE_ALIASES, Architecture, CapacityType

HELP = """Select EC2 instance types by resources, price and interruption risk.

Ranges take --X for an exact value or --X-min/--X-max.

Sizes are GiB when plain (8) or take a unit (8GiB, 512Mi).

Boolean filters take --X or --no-X.

Prices come from the catalog (bundled, or --catalog); docs/select.md has every flag.
"""

FILTERS = "Filters"
HARDWARE = "Filters: hardware"
SPOT = "Spot"
OUT = "Output"
EMIT = "Emitters"

# The values of the string filters, as instance-selector accepts them (lower case).
ARCHITECTURES = tuple(a.value for a in Architecture)
CPU_MANUFACTURERS = ("intel", "amd", "aws", "apple")
HYPERVISORS = ("nitro", "xen")
DISK_TYPES = ("ssd", "hdd")
VIRTUALIZATION_TYPES = ("hvm", "paravirtual")
ROOT_DEVICE_TYPES = ("ebs", "instance-store")
PLACEMENT_GROUP_STRATEGIES = ("cluster", "partition", "spread")


def _option(help: str | None = None, panel: str = FILTERS, *names: str, **more: Any) -> Any:
    return typer.Option(*names, help=help, rich_help_panel=panel, **more)


def _one_of(values: type[Enum]) -> str:
    return ", ".join(str(v.value) for v in values) + "."


def _switch(name: str, help: str, *aliases: str) -> Any:
    """A --X/--no-X flag that is None (not applied) when neither is given."""
    return typer.Option(f"--{name}/--no-{name}", *aliases, help=help, rich_help_panel=HARDWARE)


Int = Annotated[int | None, _option(metavar="N")]
Float = Annotated[float | None, _option(metavar="NUMBER")]
Size = Annotated[str | None, _option(metavar="SIZE")]
HardwareInt = Annotated[int | None, _option(panel=HARDWARE, metavar="N")]
HardwareFloat = Annotated[float | None, _option(panel=HARDWARE, metavar="NUMBER")]
HardwareSize = Annotated[str | None, _option(panel=HARDWARE, metavar="SIZE")]


def _zones(catalog: Catalog, text: str | None) -> tuple[str, ...]:
    if text is None:
        return ()
    items = [z.strip() for z in text.split(",") if z.strip()]
    if not items:
        raise UserError(
            "--availability-zones",
            f"{text!r} names no zone",
            f"list zone names or IDs, e.g. {catalog.zones[0]}, or leave the flag out for all",
        )
    zones = []
    for item in items:
        name = catalog.zone_name(item)
        if name is None:
            raise UserError(
                "--availability-zones",
                f"{item!r} is not a zone of {catalog.region}",
                f"use names or IDs of: {', '.join(catalog.zones)}",
            )
        zones.append(name)
    return tuple(dict.fromkeys(zones))


def _memory_range(flag: str, exact: str | None, low: str | None, high: str | None) -> Range | None:
    def mib(suffix: str, text: str | None) -> float | None:
        return None if text is None else flags.memory_mib(f"--{flag}{suffix}", text)

    lowest, highest = mib("-min", low), mib("-max", high)
    if lowest is not None and highest is not None and lowest > highest:
        # Said as the user wrote them, not in the MiB they are compared in.
        raise UserError(
            f"--{flag}-min",
            f"{low} is more than --{flag}-max {high}",
            "swap the bounds or widen the range",
        )
    return flags.number_range(flag, mib("", exact), lowest, highest)


def _choice(
    flag: str, text: str | None, values: tuple[str, ...], aliases: dict[str, str] | None = None
) -> str | None:
    return None if text is None else flags.choice(flag, text, values, aliases)


def _text(flag: str, value: str | None) -> str | None:
    return None if value is None else flags.text(flag, value)


def _architecture(text: str | None) -> Architecture | None:
    aliases = {alias: a.value for alias, a in ARCHITECTURE_ALIASES.items()}
    value = _choice("--cpu-architecture", text, ARCHITECTURES, aliases)
    return None if value is None else Architecture(value)


def select(
    vcpus: Annotated[
        int | None, _option("Exactly N vCPUs.", FILTERS, "--vcpus", "-c", metavar="N")
    ] = None,
    vcpus_min: Int = None,
    vcpus_max: Int = None,
    memory: Annotated[
        str | None, _option("Memory (8 = 8 GiB).", FILTERS, "--memory", "-m", metavar="SIZE")
    ] = None,
    memory_min: Size = None,
    memory_max: Size = None,
    gpus: Annotated[
        int | None, _option("Total GPUs.", FILTERS, "--gpus", "-g", metavar="N")
    ] = None,
    gpus_min: Int = None,
    gpus_max: Int = None,
    gpu_memory_total: Annotated[
        str | None, _option("GPU memory of all GPUs.", metavar="SIZE")
    ] = None,
    gpu_memory_total_min: Size = None,
    gpu_memory_total_max: Size = None,
    network_performance: Annotated[
        float | None, _option("Peak network, Gbit/s.", metavar="GBPS")
    ] = None,
    network_performance_min: Float = None,
    network_performance_max: Float = None,
    price_per_hour: Annotated[
        float | None, _option("USD/h; the spot price with --usage-class spot.", metavar="USD")
    ] = None,
    price_per_hour_min: Float = None,
    price_per_hour_max: Float = None,
    generation: Annotated[int | None, _option("Generation (c7i -> 7).", metavar="N")] = None,
    generation_min: Int = None,
    generation_max: Int = None,
    vcpus_to_memory_ratio: Annotated[
        str | None,
        _option(
            "vCPUs:GiB with whole GiB per vCPU, e.g. 1:4 (GiB/vCPU rounded up).", metavar="RATIO"
        ),
    ] = None,
    cpu_architecture: Annotated[
        str | None,
        _option(
            f"{', '.join(ARCHITECTURES)} (amd64 = x86_64, aarch64 = arm64).",
            FILTERS,
            "--cpu-architecture",
            "-a",
            metavar="ARCH",
        ),
    ] = None,
    usage_class: Annotated[
        CapacityType | None,
        _option("spot or on-demand.", FILTERS, "--usage-class", "-u", case_sensitive=False),
    ] = None,
    gpu_manufacturer: Annotated[str | None, _option("e.g. nvidia.", metavar="NAME")] = None,
    gpu_model: Annotated[str | None, _option("e.g. T4, A10G.", metavar="MODEL")] = None,
    burst_support: Annotated[
        bool | None, _option("Burstable (t*) types.", FILTERS, "--burst-support/--no-burst-support")
    ] = None,
    current_generation: Annotated[
        bool | None,
        _option(None, FILTERS, "--current-generation/--previous-generation"),
    ] = None,
    bare_metal: Annotated[
        bool | None,
        _option(".metal types.", FILTERS, "--bare-metal/--no-bare-metal", "--baremetal"),
    ] = None,
    allow_list: Annotated[str | None, _option("Regex of names to keep.", metavar="REGEX")] = None,
    deny_list: Annotated[str | None, _option("Regex of names to drop.", metavar="REGEX")] = None,
    base_instance_type: Annotated[
        str | None,
        _option("Types similar to this one (0.9-1.2x vCPUs and memory).", metavar="TYPE"),
    ] = None,
    flexible: Annotated[
        bool, _option("A diversified general-purpose set (4 vCPUs, x86_64).")
    ] = False,
    availability_zones: Annotated[
        str | None,
        _option(
            "Comma-separated zone names or IDs; each must offer the type.",
            FILTERS,
            "--availability-zones",
            "-z",
            metavar="ZONES",
        ),
    ] = None,
    cpu_manufacturer: Annotated[
        str | None, _option(f"{', '.join(CPU_MANUFACTURERS)}.", HARDWARE, metavar="NAME")
    ] = None,
    hypervisor: Annotated[str | None, _option("nitro or xen.", HARDWARE, metavar="NAME")] = None,
    ena_support: Annotated[bool | None, _switch("ena-support", "ENA supported or required.")] = (
        None
    ),
    efa_support: Annotated[
        bool | None, _switch("efa-support", "Elastic Fabric Adapter supported.")
    ] = None,
    ipv6: Annotated[bool | None, _switch("ipv6", "IPv6 supported.")] = None,
    network_encryption: Annotated[
        bool | None, _switch("network-encryption", "Encryption in transit.")
    ] = None,
    network_interfaces: Annotated[
        int | None, _option("Most ENIs the type can attach.", HARDWARE, metavar="N")
    ] = None,
    network_interfaces_min: HardwareInt = None,
    network_interfaces_max: HardwareInt = None,
    instance_storage: Annotated[
        str | None, _option("Local instance storage (800 = 800 GiB).", HARDWARE, metavar="SIZE")
    ] = None,
    instance_storage_min: HardwareSize = None,
    instance_storage_max: HardwareSize = None,
    disk_type: Annotated[
        str | None, _option("ssd or hdd (local disks).", HARDWARE, metavar="TYPE")
    ] = None,
    nvme: Annotated[bool | None, _switch("nvme", "NVMe local disks, else EBS.")] = None,
    disk_encryption: Annotated[
        bool | None, _switch("disk-encryption", "Encrypted local disks, else EBS.")
    ] = None,
    ebs_optimized: Annotated[bool | None, _switch("ebs-optimized", "EBS-optimised.")] = None,
    ebs_optimized_baseline_bandwidth: Annotated[
        float | None, _option("EBS baseline bandwidth, Mbit/s.", HARDWARE, metavar="MBPS")
    ] = None,
    ebs_optimized_baseline_bandwidth_min: HardwareFloat = None,
    ebs_optimized_baseline_bandwidth_max: HardwareFloat = None,
    ebs_optimized_baseline_throughput: Annotated[
        float | None, _option("EBS baseline throughput, MB/s.", HARDWARE, metavar="MB_S")
    ] = None,
    ebs_optimized_baseline_throughput_min: HardwareFloat = None,
    ebs_optimized_baseline_throughput_max: HardwareFloat = None,
    ebs_optimized_baseline_iops: Annotated[
        int | None, _option("EBS baseline IOPS.", HARDWARE, metavar="IOPS")
    ] = None,
    ebs_optimized_baseline_iops_min: HardwareInt = None,
    ebs_optimized_baseline_iops_max: HardwareInt = None,
    hibernation_support: Annotated[
        bool | None, _switch("hibernation-support", "Hibernation supported.")
    ] = None,
    free_tier: Annotated[bool | None, _switch("free-tier", "Free-tier eligible.")] = None,
    auto_recovery: Annotated[
        bool | None, _switch("auto-recovery", "EC2 auto recovery supported.")
    ] = None,
    dedicated_hosts: Annotated[
        bool | None, _switch("dedicated-hosts", "Dedicated Hosts supported.")
    ] = None,
    virtualization_type: Annotated[
        str | None, _option("hvm or paravirtual (pv).", HARDWARE, metavar="TYPE")
    ] = None,
    root_device_type: Annotated[
        str | None, _option("ebs or instance-store.", HARDWARE, metavar="TYPE")
    ] = None,
    placement_group_strategy: Annotated[
        str | None, _option("cluster, partition or spread.", HARDWARE, metavar="STRATEGY")
    ] = None,
    inference_accelerators: Annotated[
        int | None, _option("Inference accelerators (Inferentia, Trainium).", HARDWARE, metavar="N")
    ] = None,
    inference_accelerators_min: HardwareInt = None,
    inference_accelerators_max: HardwareInt = None,
    inference_accelerator_manufacturer: Annotated[
        str | None, _option("e.g. AWS.", HARDWARE, metavar="NAME")
    ] = None,
    inference_accelerator_model: Annotated[
        str | None, _option("e.g. Inferentia2.", HARDWARE, metavar="MODEL")
    ] = None,
    fpga_support: Annotated[
        bool | None, _switch("fpga-support", "Types with FPGAs.", "--fpga/--no-fpga")
    ] = None,
    max_interruption: Annotated[
        float | None,
        _option("Keep types whose interruption bucket is at or under PCT.", SPOT, metavar="PCT"),
    ] = None,
    sort_by: Annotated[
        SortKey, _option(_one_of(SortKey), OUT, case_sensitive=False, metavar="KEY")
    ] = SortKey.NAME,
    sort_direction: Annotated[
        SortDirection,
        _option(
            "ascending (asc) or descending (desc).", OUT, case_sensitive=False, metavar="DIRECTION"
        ),
    ] = SortDirection.ASCENDING,
    max_results: Annotated[int, _option("Show at most N types.", OUT, min=1, metavar="N")] = 20,
    output: Annotated[
        OutputFormat | None,
        _option(
            f"{_one_of(OutputFormat)[:-1]} (default: table).",
            OUT,
            "--output",
            "-o",
            case_sensitive=False,
            metavar="FORMAT",
        ),
    ] = None,
    region: Annotated[
        str | None,
        typer.Option(
            "--region", "-r", metavar="REGION", help="Catalog region (default us-east-1)."
        ),
    ] = None,
    catalog_file: Annotated[
        Path | None,
        typer.Option(
            "--catalog", metavar="FILE", help="A catalog snapshot from 'catalog refresh'."
        ),
    ] = None,
    emit: Annotated[
        Emit | None, _option("Write a config instead of a list.", EMIT, case_sensitive=False)
    ] = None,
    groups: Annotated[
        int,
        _option(
            "kops: InstanceGroups, one per vCPU:GiB ratio (1:2, 1:4 and on).", EMIT, metavar="N"
        ),
    ] = 1,
    cluster: Annotated[str | None, _option("kops: the cluster name.", EMIT, metavar="NAME")] = None,
    min_size: Annotated[int, _option("kops: minSize.", EMIT, metavar="N")] = 0,
    max_size: Annotated[int, _option("kops: maxSize.", EMIT, metavar="N")] = 10,
    on_demand_base: Annotated[int, _option("Instances always on-demand.", EMIT, metavar="N")] = 0,
    on_demand_above_base: Annotated[
        int | None,
        _option("Percent on-demand above the base (default 0 for spot).", EMIT, metavar="PCT"),
    ] = None,
    spot_allocation_strategy: Annotated[
        SpotAllocationStrategy,
        _option(_one_of(SpotAllocationStrategy), EMIT, case_sensitive=False, metavar="STRATEGY"),
    ] = SpotAllocationStrategy.PRICE_CAPACITY_OPTIMIZED,
    on_demand_allocation_strategy: Annotated[
        OnDemandAllocationStrategy,
        _option(
            _one_of(OnDemandAllocationStrategy), EMIT, case_sensitive=False, metavar="STRATEGY"
        ),
    ] = OnDemandAllocationStrategy.LOWEST_PRICE,
    taint_spot: Annotated[
        bool, _option("kops: taint spot groups spotInstance=true:PreferNoSchedule.", EMIT)
    ] = False,
    launch_template: Annotated[
        str, _option("asg: the launch template name.", EMIT, metavar="NAME")
    ] = ("spotwise-nodes"),
    max_types: Annotated[
        int | None, _option("asg: keep the N cheapest types (max 40).", EMIT, metavar="N")
    ] = (None),
    name: Annotated[str, _option("pool: the NodePool name.", EMIT, metavar="NAME")] = "default",
    label: Annotated[
        list[str] | None,
        _option("pool: a node label key=value (repeatable).", EMIT, metavar="KEY=VALUE"),
    ] = None,
    taint: Annotated[
        list[str] | None,
        _option("pool: a taint key=value:Effect (repeatable).", EMIT, metavar="TAINT"),
    ] = None,
    weight: Annotated[int, _option("pool: priority among pools (0-100).", EMIT, metavar="N")] = 0,
) -> None:
    """Select instance types (see HELP)."""
    catalog = load_catalog(region, catalog_file)
    if max_interruption is not None and not 0 <= max_interruption <= 100:
        raise UserError(
            "--max-interruption", f"{max_interruption:g} is not a percentage", "give 0-100"
        )
    criteria = Criteria(
        vcpus=flags.number_range("vcpus", vcpus, vcpus_min, vcpus_max),
        memory_mib=_memory_range("memory", memory, memory_min, memory_max),
        gpus=flags.number_range("gpus", gpus, gpus_min, gpus_max),
        gpu_memory_total_mib=_memory_range(
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
            None
            if vcpus_to_memory_ratio is None
            else flags.ratio("--vcpus-to-memory-ratio", vcpus_to_memory_ratio)
        ),
        architecture=_architecture(cpu_architecture),
        usage_class=usage_class,
        gpu_manufacturer=_text("--gpu-manufacturer", gpu_manufacturer),
        gpu_model=_text("--gpu-model", gpu_model),
        burstable=burst_support,
        current_generation=current_generation,
        bare_metal=bare_metal,
        allow=None if allow_list is None else flags.regex("--allow-list", allow_list),
        deny=None if deny_list is None else flags.regex("--deny-list", deny_list),
        zones=_zones(catalog, availability_zones),
        max_interruption=max_interruption,
        cpu_manufacturer=_choice(
            "--cpu-manufacturer",
            cpu_manufacturer,
            CPU_MANUFACTURERS,
            {"amazon": "aws", "amazon web services": "aws", "graviton": "aws"},
        ),
        hypervisor=_choice("--hypervisor", hypervisor, HYPERVISORS),
        ena_support=ena_support,
        efa_support=efa_support,
        ipv6=ipv6,
        network_encryption=network_encryption,
        network_interfaces=flags.number_range(
            "network-interfaces",
            network_interfaces,
            network_interfaces_min,
            network_interfaces_max,
        ),
        instance_storage_mib=_memory_range(
            "instance-storage", instance_storage, instance_storage_min, instance_storage_max
        ),
        disk_type=_choice("--disk-type", disk_type, DISK_TYPES),
        nvme=nvme,
        disk_encryption=disk_encryption,
        ebs_optimized=ebs_optimized,
        ebs_baseline_bandwidth_mbps=flags.number_range(
            "ebs-optimized-baseline-bandwidth",
            ebs_optimized_baseline_bandwidth,
            ebs_optimized_baseline_bandwidth_min,
            ebs_optimized_baseline_bandwidth_max,
        ),
        ebs_baseline_throughput_mbps=flags.number_range(
            "ebs-optimized-baseline-throughput",
            ebs_optimized_baseline_throughput,
            ebs_optimized_baseline_throughput_min,
            ebs_optimized_baseline_throughput_max,
        ),
        ebs_baseline_iops=flags.number_range(
            "ebs-optimized-baseline-iops",
            ebs_optimized_baseline_iops,
            ebs_optimized_baseline_iops_min,
            ebs_optimized_baseline_iops_max,
        ),
        hibernation=hibernation_support,
        free_tier=free_tier,
        auto_recovery=auto_recovery,
        dedicated_hosts=dedicated_hosts,
        virtualization_type=_choice(
            "--virtualization-type",
            virtualization_type,
            VIRTUALIZATION_TYPES,
            {"pv": "paravirtual"},
        ),
        root_device_type=_choice("--root-device-type", root_device_type, ROOT_DEVICE_TYPES),
        placement_group_strategy=_choice(
            "--placement-group-strategy", placement_group_strategy, PLACEMENT_GROUP_STRATEGIES
        ),
        inference_accelerators=flags.number_range(
            "inference-accelerators",
            inference_accelerators,
            inference_accelerators_min,
            inference_accelerators_max,
        ),
        inference_accelerator_manufacturer=_text(
            "--inference-accelerator-manufacturer", inference_accelerator_manufacturer
        ),
        inference_accelerator_model=_text(
            "--inference-accelerator-model", inference_accelerator_model
        ),
        fpga=fpga_support,
    )
    if base_instance_type is not None:
        base = catalog.instance_type(base_instance_type, subject="--base-instance-type")
        criteria = aggregates.like_base_type(criteria, base)
    if flexible:
        criteria = aggregates.flexible(criteria)
    if emit is not None and output is not None:
        raise UserError(
            "-o", "does not apply with --emit: the emitter writes its own format", "drop -o"
        )
    output = output or OutputFormat.TABLE
    rows = sort_candidates(
        run_select(catalog, criteria),
        sort_by,
        descending=sort_direction.descending,
        usage_class=usage_class,
    )
    if not rows:
        stderr().print("no instance type matches these filters; widen a range or drop a filter")
        if emit is None and output.machine:
            render((), output, stdout())  # an empty list, so that a script reads it
            return
        raise typer.Exit(1)
    if emit is None:
        shown = rows[:max_results]
        render(shown, output, stdout())
        if len(rows) > len(shown):
            # On stderr: machine formats stay parseable on stdout.
            stderr().print(
                f"{len(rows) - len(shown)} more matched; raise --max-results to see them"
            )
        return
    # The emitters load the NodePool schema (pydantic); only --emit pays for it.
    from spotwise.cli.emit_options import EmitOptions
    from spotwise.cli.emit_options import emit as run_emit

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
