"""Where the packer puts pods: existing nodes, and new nodes it decides to launch (claims).

These are the packer's private working state, mutated while one `pack` call runs and
never seen outside it; the decision that leaves `pack` is made of frozen values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from spotwise.decisions.scheduling.pool import Pool
from spotwise.model.instance_type import CapacityType
from spotwise.model.labelset import LabelSet
from spotwise.model.node import Node
from spotwise.model.pod import Pod
from spotwise.model.resources import Resources
from spotwise.model.scheduling_terms import HostPort

if TYPE_CHECKING:
    from spotwise.decisions.scheduling.diversity import Reach

# (zone, capacity type): where and how a claim's node may be bought.
Placement = tuple[str, CapacityType]


def fit_count(free: Resources, request: Resources) -> int:
    """How many pods requesting ``request`` fit in ``free`` (pods count included)."""
    # Comparisons rather than min(): this runs for every pod group on every node tried.
    count = free.pods // request.pods if request.pods else 10**9
    if request.cpu_milli and (k := free.cpu_milli // request.cpu_milli) < count:
        count = k
    if request.memory_bytes and (k := free.memory_bytes // request.memory_bytes) < count:
        count = k
    if request.ephemeral_bytes and (k := free.ephemeral_bytes // request.ephemeral_bytes) < count:
        count = k
    for name, amount in request.extended:
        if (k := free.get(name) // amount) < count:
            count = k
    return count if count > 0 else 0


def fit_after(capacity: Resources, used: Resources, request: Resources) -> int:
    """``fit_count(minus(capacity, used), request)``, without building the difference."""
    count = (capacity.pods - used.pods) // request.pods if request.pods else 10**9
    if (
        request.cpu_milli
        and (k := (capacity.cpu_milli - used.cpu_milli) // request.cpu_milli) < count
    ):
        count = k
    if request.memory_bytes:
        k = (capacity.memory_bytes - used.memory_bytes) // request.memory_bytes
        count = k if k < count else count
    if request.ephemeral_bytes:
        k = (capacity.ephemeral_bytes - used.ephemeral_bytes) // request.ephemeral_bytes
        count = k if k < count else count
    for name, amount in request.extended:
        if (k := (capacity.get(name) - used.get(name)) // amount) < count:
            count = k
    return count if count > 0 else 0


def minus(a: Resources, b: Resources) -> Resources:
    """``a - b`` component-wise (extended resources of ``a`` only)."""
    return Resources(
        a.cpu_milli - b.cpu_milli,
        a.memory_bytes - b.memory_bytes,
        a.pods - b.pods,
        tuple((n, c - b.get(n)) for n, c in a.extended),
        a.ephemeral_bytes - b.ephemeral_bytes,
    )


def times(r: Resources, n: int) -> Resources:
    """``n`` copies of ``r``."""
    return Resources(
        r.cpu_milli * n,
        r.memory_bytes * n,
        r.pods * n,
        tuple((k, c * n) for k, c in r.extended),
        r.ephemeral_bytes * n,
    )


@dataclass(eq=False, slots=True)
class ExistingBin:
    """An existing node: fixed labels, what is left of its allocatable."""

    node: Node
    free: Resources
    ports: list[HostPort]
    placed: list[Pod] = field(default_factory=list)

    @property
    def hostname(self) -> str:
        """The node's hostname domain."""
        return self.node.hostname

    @property
    def labels(self) -> LabelSet:
        """The node's labels."""
        return self.node.labels


@dataclass(eq=False, slots=True)
class Claim:
    """A node the plan will launch: a pool, the shapes still possible, what it holds.

    Attributes:
        id: A stable name, also its hostname domain (``new-<pool>-<n>``).
        pool: The pool it is launched from.
        options: Shape index -> where each shape may still be bought; only shapes that
            are price-efficient for the demand, so that packing fills the right size.
        compatible: Shape index -> placements, for every shape that all its pods accept;
            the launch list is drawn from these.
        used: What its pods request.
        pods: Its pods.
        ports: Host ports its pods bind.
        room: The most CPU and memory any remaining shape leaves free (a quick bound).
        frontier: The option shapes no other option dominates; fits are computed on them.
        agreed: The topology labels all options agree on, with the options they are for.
        intersected: The compatibility maps ``compatible`` was already narrowed by.
        reach: The types its launch list may draw from, enough of which must still hold
            its pods (None: no such rule; see `spotwise.decisions.scheduling.diversity`).
    """

    id: str
    pool: Pool
    options: dict[int, frozenset[Placement]]
    compatible: dict[int, frozenset[Placement]]
    used: Resources = Resources()
    room: Resources = Resources()
    frontier: tuple[int, ...] = ()
    agreed: tuple[dict[int, frozenset[Placement]], LabelSet] | None = None
    intersected: list[object] = field(default_factory=list)
    pods: list[Pod] = field(default_factory=list)
    ports: list[HostPort] = field(default_factory=list)
    reach: Reach | None = None

    @property
    def hostname(self) -> str:
        """The claim's hostname domain."""
        return self.id

    def placements(self) -> frozenset[Placement]:
        """Every (zone, capacity type) some remaining shape may still be bought in."""
        found: set[Placement] = set()
        for placements in self.options.values():
            found |= placements
        return frozenset(found)
