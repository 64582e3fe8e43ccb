"""Capacity on its way: launched instances whose Node has not registered yet.

Between a launch and the kubelet's registration the cluster knows nothing of the new
node, so a planner that looked only at the cluster would launch again for the same pods.
Karpenter keeps NodeClaims for this; spotwise keeps `InFlightNode` records: each shows
the planner the node its instance will become (the pods planned onto it included), until
a Node with the instance's providerID appears or the registration timeout passes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from spotwise.model.node import Node
from spotwise.model.pod import Pod
from spotwise.ports.cloud import Instance


@dataclass(frozen=True, slots=True)
class InFlightNode:
    """A launched (or, in a dry run, decided) node that has not registered.

    Attributes:
        name: The plan's name for the node, which its client token derives from.
        pool: The node pool.
        launched_at: When it was launched (or decided).
        instance: The instance; None for a dry run's decision, which launches nothing.
        node: The node as the scheduler will see it, with the pods nominated to it
            bound; None when unknown (a dry run's decision).
        pods: The pods nominated to it, which wait for it rather than being planned
            again.
    """

    name: str
    pool: str
    launched_at: float
    instance: Instance | None
    node: Node | None
    pods: tuple[Pod, ...] = ()

    @property
    def key(self) -> str:
        """The record's key: the instance id, or the name for a dry run's decision."""
        return self.instance.instance_id if self.instance is not None else self.name


class InFlight:
    """The in-flight nodes, by instance id (or plan name for dry-run decisions)."""

    def __init__(self) -> None:
        self._nodes: dict[str, InFlightNode] = {}

    def __len__(self) -> int:
        return len(self._nodes)

    def __contains__(self, key: str) -> bool:
        return key in self._nodes

    def add(self, node: InFlightNode) -> None:
        """Record a launch (a record with the same key is replaced)."""
        self._nodes[node.key] = node

    def records(self) -> tuple[InFlightNode, ...]:
        """Every record, oldest first."""
        return tuple(sorted(self._nodes.values(), key=lambda r: (r.launched_at, r.key)))

    def settle(
        self, registered: Collection[str], pending: Collection[str]
    ) -> tuple[InFlightNode, ...]:
        """Forget the nodes that registered, and nominations of pods no longer pending.

        Args:
            registered: Instance ids of the cluster's Nodes (from their providerIDs).
            pending: Keys of the pods still pending: a nominated pod that is not has
                been bound elsewhere or deleted, and no longer waits.

        Returns:
            The records of the nodes that registered.
        """
        joined = tuple(r for k, r in self._nodes.items() if k in registered)
        for record in joined:
            del self._nodes[record.key]
        for key, record in list(self._nodes.items()):
            kept = tuple(p for p in record.pods if p.key in pending)
            if len(kept) != len(record.pods):
                node = record.node
                if node is not None:
                    node = dataclasses.replace(node, pods=kept)
                self._nodes[key] = dataclasses.replace(record, pods=kept, node=node)
        return joined

    def expire(self, now: float, timeout_seconds: float) -> tuple[InFlightNode, ...]:
        """Remove and return the records older than ``timeout_seconds``."""
        old = tuple(r for r in self.records() if now - r.launched_at >= timeout_seconds)
        for record in old:
            del self._nodes[record.key]
        return old

    def nodes(self) -> tuple[Node, ...]:
        """The nodes the scheduler will see, oldest launch first."""
        return tuple(r.node for r in self.records() if r.node is not None)

    def nominated(self) -> frozenset[str]:
        """Keys of every pod nominated to an in-flight node."""
        return frozenset(p.key for r in self._nodes.values() for p in r.pods)

    def drop(self, keys: Iterable[str]) -> tuple[InFlightNode, ...]:
        """Forget records (their instances are gone); returns those there were."""
        dropped = (self._nodes.pop(key, None) for key in keys)
        return tuple(r for r in dropped if r is not None)
