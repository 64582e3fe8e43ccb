"""Sort orders of `spotwise select`: every column, prices and risk included."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable

from spotwise.decisions.selector.candidate import Candidate
from spotwise.model.instance_type import CapacityType


class SortKey(enum.StrEnum):
    """The columns `--sort-by` accepts."""

    NAME = "name"
    VCPUS = "vcpus"
    MEMORY = "memory"
    GPUS = "gpus"
    GPU_MEMORY = "gpu-memory"
    NETWORK = "network"
    GENERATION = "generation"
    MAX_PODS = "max-pods"
    ON_DEMAND_PRICE = "on-demand-price"
    SPOT_PRICE = "spot-price"
    SAVINGS = "savings"
    INTERRUPTION = "interruption"
    PRICE_PER_VCPU = "price-per-vcpu"


class SortDirection(enum.StrEnum):
    """The values `--sort-direction` accepts: instance-selector's, short forms included."""

    ASCENDING = "ascending"
    ASC = "asc"
    DESCENDING = "descending"
    DESC = "desc"

    @property
    def descending(self) -> bool:
        """Whether the order is reversed."""
        return self in (SortDirection.DESCENDING, SortDirection.DESC)


Value = float | str | None


def _value_of(key: SortKey, usage_class: CapacityType | None) -> Callable[[Candidate], Value]:
    table: dict[SortKey, Callable[[Candidate], Value]] = {
        SortKey.NAME: lambda c: c.name,
        SortKey.VCPUS: lambda c: c.instance_type.vcpus,
        SortKey.MEMORY: lambda c: c.instance_type.memory_mib,
        SortKey.GPUS: lambda c: c.instance_type.gpu_count,
        SortKey.GPU_MEMORY: lambda c: c.instance_type.gpu_memory_total_mib,
        SortKey.NETWORK: lambda c: c.instance_type.network_gbps,
        SortKey.GENERATION: lambda c: c.instance_type.generation,
        SortKey.MAX_PODS: lambda c: c.instance_type.max_pods,
        SortKey.ON_DEMAND_PRICE: lambda c: c.on_demand_price,
        SortKey.SPOT_PRICE: lambda c: c.spot_price,
        SortKey.SAVINGS: lambda c: c.savings_percent,
        SortKey.INTERRUPTION: lambda c: c.interruption.index if c.interruption else None,
        SortKey.PRICE_PER_VCPU: lambda c: c.price_per_vcpu(usage_class),
    }
    return table[key]


def sort_candidates(
    candidates: Iterable[Candidate],
    key: SortKey = SortKey.NAME,
    descending: bool = False,
    usage_class: CapacityType | None = None,
) -> list[Candidate]:
    """Sort by ``key``; rows without a value (no spot price, say) always come last.

    Ties are broken by name, so the order is the same on every run.
    """
    value_of = _value_of(key, usage_class)
    rows = sorted(candidates, key=lambda c: c.name)
    known = [c for c in rows if value_of(c) is not None]
    unknown = [c for c in rows if value_of(c) is None]
    known.sort(key=value_of, reverse=descending)  # type: ignore[arg-type]  # stable: keeps name order
    return known + unknown
