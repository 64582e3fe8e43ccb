"""How `spotwise select` shows its rows: names, a table, a wide table, JSON or YAML."""

from __future__ import annotations

import enum
import json
from collections.abc import Sequence
from typing import Any

import yaml
from rich.console import Console
from rich.table import Table

from spotwise.decisions.selector.candidate import Candidate


class OutputFormat(enum.StrEnum):
    """Values of ``-o``."""

    NAMES = "names"
    TABLE = "table"
    WIDE = "wide"
    JSON = "json"
    YAML = "yaml"
    # amazon-ec2-instance-selector's: one line of names, comma-separated; and the simple
    # names list of its default output.
    ONE_LINE = "one-line"
    SIMPLE = "simple"
    # instance-selector's name for the wide table.
    TABLE_WIDE = "table-wide"

    @property
    def machine(self) -> bool:
        """Whether scripts read it: printed as is, an empty list when nothing matches."""
        return self not in (OutputFormat.TABLE, OutputFormat.WIDE, OutputFormat.TABLE_WIDE)


def record(c: Candidate) -> dict[str, Any]:
    """The JSON/YAML object of one row. Prices are USD per hour."""
    t = c.instance_type
    return {
        "instance_type": t.name,
        "vcpus": t.vcpus,
        "memory_gib": round(t.memory_gib, 3),
        "gpus": t.gpu_count,
        "gpu_models": sorted({f"{g.manufacturer} {g.model}" for g in t.gpus}),
        "gpu_memory_total_gib": round(t.gpu_memory_total_mib / 1024, 3),
        "architecture": t.architecture.value,
        "cpu_manufacturer": t.cpu_manufacturer,
        "hypervisor": t.hypervisor,
        "network_performance": t.network_performance,
        "network_interfaces": t.max_network_interfaces,
        "efa_support": t.efa_support,
        "instance_storage_gb": t.instance_storage_gb,
        "inference_accelerators": t.accelerator_count,
        "max_pods": t.max_pods,
        "generation": t.generation,
        "current_generation": t.current_generation,
        "burstable": t.burstable,
        "on_demand_price": c.on_demand_price,
        "spot_price": c.spot_price,
        "spot_price_by_zone": dict(sorted(c.spot_price_by_zone.items())),
        "spot_price_source_by_zone": {
            zone: source.value for zone, source in sorted(c.spot_source_by_zone.items())
        },
        "savings_percent": c.savings_percent,
        "interruption": c.interruption.label if c.interruption else None,
        "zones": list(c.zones),
    }


def _money(value: float | None) -> str:
    return "-" if value is None else f"${value:.4f}"


def _table(rows: Sequence[Candidate], wide: bool) -> Table:
    table = Table(box=None, header_style="bold", pad_edge=False)
    columns = ["Instance type", "vCPUs", "Memory", "Arch", "On-demand", "Spot (min)", "Savings"]
    columns += ["Interruption"]
    if wide:
        columns += ["GPUs", "Network", "Max pods", "Gen", "Spot by zone"]
    for name in columns:
        table.add_column(
            name, justify="left" if name in ("Instance type", "Spot by zone") else "right"
        )
    for c in rows:
        t = c.instance_type
        spot = _money(c.spot_price)
        cells = [
            t.name,
            str(t.vcpus),
            # Two decimals at most: c1.medium's 1740 MiB reads 1.7 GiB, not 1.69922.
            f"{round(t.memory_gib, 2):g} GiB",
            t.architecture.value,
            _money(c.on_demand_price),
            spot,
            "-" if c.savings_percent is None else f"{c.savings_percent:.0f}%",
            c.interruption.label if c.interruption else "-",
        ]
        if wide:
            gpus = ", ".join(f"{g.count}x {g.model}" for g in t.gpus) or "-"
            by_zone = " ".join(
                f"{zone[-1]}:{price:.4f}" for zone, price in sorted(c.spot_price_by_zone.items())
            )
            cells += [gpus, t.network_performance, str(t.max_pods), str(t.generation), by_zone]
        table.add_row(*cells)
    return table


def render(rows: Sequence[Candidate], fmt: OutputFormat, console: Console) -> None:
    """Print ``rows`` in format ``fmt``.

    Machine formats (names, JSON, YAML) go to the console's file untouched: no colour,
    no wrapping, so that scripts can parse them.
    """
    if fmt in (OutputFormat.NAMES, OutputFormat.SIMPLE):
        console.file.write("".join(f"{c.name}\n" for c in rows))
    elif fmt is OutputFormat.ONE_LINE:
        console.file.write(",".join(c.name for c in rows) + "\n" if rows else "")
    elif fmt is OutputFormat.JSON:
        console.file.write(json.dumps([record(c) for c in rows], indent=2) + "\n")
    elif fmt is OutputFormat.YAML:
        console.file.write(yaml.safe_dump([record(c) for c in rows], sort_keys=False))
    else:
        wide = fmt in (OutputFormat.WIDE, OutputFormat.TABLE_WIDE)
        console.print(_table(rows, wide=wide))
