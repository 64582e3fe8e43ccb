"""Headroom: spare capacity a pool keeps warm, as placeholder pods the packer places.

Spot Ocean's idea: keep some room free so that new pods start at once instead of waiting
a minute or two for a node. The room is reserved by placeholder pods that only fit the
pool's nodes; the plan counts them per node but never lists them as workloads.
"""

from __future__ import annotations

import math

from spotwise.decisions.scheduling.pool import Pool
from spotwise.model.labels import NODE_POOL
from spotwise.model.labelset import LabelSet
from spotwise.model.pod import Pod, PodSpec
from spotwise.model.resources import Resources
from spotwise.model.scheduling_terms import Toleration, TolerationOperator

NAMESPACE = "spotwise-headroom"


def is_headroom(pod: Pod) -> bool:
    """Whether ``pod`` is a placeholder for headroom."""
    return pod.namespace == NAMESPACE


def headroom_pods(pool: Pool, requested: Resources) -> list[Pod]:
    """The placeholder pods that reserve ``pool``'s headroom.

    Args:
        pool: The pool, with its headroom settings.
        requested: What the pool's pods request now (for the percentage).

    Returns:
        ``units`` fixed units, plus as many units as cover ``percent`` of the requested
        CPU and memory; each pinned to the pool and tolerating its taints.
    """
    head = pool.headroom
    unit = head.unit
    count = head.units
    if head.percent and (unit.cpu_milli or unit.memory_bytes):
        cpu = requested.cpu_milli * head.percent / 100
        memory = requested.memory_bytes * head.percent / 100
        count += max(
            math.ceil(cpu / unit.cpu_milli) if unit.cpu_milli else 0,
            math.ceil(memory / unit.memory_bytes) if unit.memory_bytes else 0,
        )
    if not count:
        return []
    spec = PodSpec(
        NAMESPACE,
        LabelSet({"spotwise.io/headroom": pool.name}),
        Resources(unit.cpu_milli, unit.memory_bytes, 1),
        node_selector=LabelSet({NODE_POOL: pool.name}),
        tolerations=tuple(
            Toleration(t.key, TolerationOperator.EXISTS, "", t.effect) for t in pool.taints
        ),
    )
    return [
        Pod(f"headroom-{pool.name}-{i}", spec, owner=f"NodePool/{pool.name}") for i in range(count)
    ]
