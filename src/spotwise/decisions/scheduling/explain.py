"""Why a pod cannot be placed, in words a person understands.

Checked in the order a person would look: a volume pinning the pod to a full node, then
per pool the first thing that rules it out (taints, size, node affinity, volume zones),
and last the constraints that depend on other pods.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from spotwise.decisions.scheduling.bins import fit_count
from spotwise.decisions.scheduling.constraints import Constraints
from spotwise.decisions.scheduling.pool import Pool
from spotwise.model.instance_type import CapacityType
from spotwise.model.labels import KARPENTER_CAPACITY_TYPE, capacity_type_labels
from spotwise.model.pod import Pod
from spotwise.model.quantity import format_bytes
from spotwise.model.resources import Resources


def explain(
    cons: Constraints,
    pod: Pod,
    pools: Sequence[Pool],
    allocatable: Mapping[str, tuple[Resources, ...]],
    free: Mapping[str, Resources],
) -> str:
    """One sentence (or one per pool, joined by '; ') saying why ``pod`` has no place.

    ``free`` is what each existing node has left, by node name.
    """
    spec = cons.spec
    if spec.node is not None:
        volumes = ", ".join(pod.volumes) or "its volume"
        room = free.get(spec.node)
        if room is None:
            return f"{volumes} is attached to node {spec.node}, which is not in the cluster"
        return (
            f"{volumes} is attached to node {spec.node}, which has no room "
            f"(needs {_describe(spec.requests)}; {_describe(room, spec.requests)} free)"
        )
    if not pools:
        return "no existing node fits and no node pool is configured to launch one"
    reasons = [
        f"pool {pool.name}: {_pool_reason(cons, pod, pool, allocatable[pool.name])}"
        for pool in pools
    ]
    return "; ".join(reasons)


def _pool_reason(
    cons: Constraints, pod: Pod, pool: Pool, allocatable: tuple[Resources, ...]
) -> str:
    spec = cons.spec
    taints = cons.untolerated(pool.taints)
    if taints:
        return f"tolerates no taint of the pool ({', '.join(str(t) for t in taints)})"
    matching = [
        i for i, s in enumerate(pool.shapes) if any(cons.matches_node(o.labels) for o in s.offers)
    ]
    if not matching:
        return _capacity_type_reason(cons, pool) or (
            "its node selector or affinity matches no instance type the pool allows"
        )
    if spec.zones is not None:
        zones = {o.zone for i in matching for o in pool.shapes[i].offers}
        if not zones & spec.zones:
            volumes = ", ".join(pod.volumes) or "its volume"
            return (
                f"{volumes} is in {', '.join(sorted(spec.zones))}; "
                f"the pool allows only {', '.join(sorted(zones))}"
            )
    fitting = [i for i in matching if fit_count(allocatable[i], spec.requests) >= 1]
    if not fitting:
        return _too_big(spec.requests, [allocatable[i] for i in matching], pool, matching)
    return (
        "its topology constraints (pod anti-affinity, affinity or spread) or host ports leave "
        "no node that can take it, or the pool's limits stop new nodes"
    )


def _capacity_type_reason(cons: Constraints, pool: Pool) -> str | None:
    """Why a pod matches none of the pool's offers, when the capacity type alone is why."""
    offered = {o.labels.get(KARPENTER_CAPACITY_TYPE) for s in pool.shapes for o in s.offers}
    for wanted in CapacityType:
        if wanted.value in offered:
            continue
        labels = capacity_type_labels(wanted)
        if any(cons.matches_node(o.labels.merged(labels)) for s in pool.shapes for o in s.offers):
            if wanted not in pool.buys:
                allowed = " and ".join(c.value for c in pool.buys)
                return (
                    f"asks for {wanted.value} capacity; the pool buys only {allowed} "
                    "(spec.capacityTypes)"
                )
            return (
                f"asks for {wanted.value} capacity; none of the pool's types offers it in its "
                "zones within its requirements and maxInterruption"
            )
    return None


def _too_big(
    request: Resources, capacities: list[Resources], pool: Pool, indexes: list[int]
) -> str:
    for name, count in request.extended:
        most = max(c.get(name) for c in capacities)
        if count > most:
            return f"needs {count} {name}; the largest allowed type has {most}"
    most_cpu = max(capacities, key=lambda c: c.cpu_milli)
    if request.cpu_milli > most_cpu.cpu_milli:
        return (
            f"needs {request.cpu_milli / 1000:g} CPU; the largest allowed type offers "
            f"{most_cpu.cpu_milli / 1000:g} to pods"
        )
    most_memory = max(capacities, key=lambda c: c.memory_bytes)
    if request.memory_bytes > most_memory.memory_bytes:
        return (
            f"needs {format_bytes(request.memory_bytes)} of memory; the largest allowed type "
            f"offers {format_bytes(most_memory.memory_bytes)} to pods"
        )
    most_disk = max(c.ephemeral_bytes for c in capacities)
    if request.ephemeral_bytes > most_disk:
        return (
            f"needs {format_bytes(request.ephemeral_bytes)} of ephemeral storage; the pool's "
            f"nodes offer {format_bytes(most_disk)} to pods (size the root volume in "
            "spec.launch.blockDeviceMappings)"
        )
    names = ", ".join(pool.shapes[i].name for i in indexes[:3])
    return f"no allowed type ({names}...) has room for {_describe(request)} at once"


def _describe(r: Resources, wanted: Resources | None = None) -> str:
    """CPU and memory, and the storage and extended resources ``wanted`` (default: ``r``) asks."""
    parts = [f"{r.cpu_milli / 1000:g} CPU", f"{format_bytes(max(r.memory_bytes, 0))} memory"]
    if (wanted or r).ephemeral_bytes:
        parts.append(f"{format_bytes(r.ephemeral_bytes)} ephemeral storage")
    parts += [f"{count} {name}" for name, count in r.extended]
    return ", ".join(parts)
