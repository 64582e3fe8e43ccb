"""Filters that set other filters: ``--base-instance-type`` and ``--flexible``.

Both follow amazon-ec2-instance-selector: a filter the user set explicitly always wins
over the one an aggregate would set.
"""

from __future__ import annotations

import dataclasses
import re

from spotwise.decisions.selector.criteria import Criteria, Range
from spotwise.model.instance_type import Architecture, InstanceType

# instance-selector's "similar" band around a base type's vCPUs and memory.
LOW_FACTOR = 0.9
HIGH_FACTOR = 1.2
# --flexible: general-purpose, compute and memory families, plus burstable and Graviton
# generalists; the same opinion as instance-selector.
FLEXIBLE_ALLOW = re.compile(r"^[cmr][3-9][ag]?\..*$|^a[1-9]\..*$|^t[2-9]\..*$")
FLEXIBLE_VCPUS = 4


def like_base_type(criteria: Criteria, base: InstanceType) -> Criteria:
    """Criteria for types similar to ``base``: 0.9x-1.2x its vCPUs and memory, same GPUs, arch."""
    changes: dict[str, object] = {}
    if criteria.vcpus is None:
        changes["vcpus"] = Range(int(base.vcpus * LOW_FACTOR), int(base.vcpus * HIGH_FACTOR))
    if criteria.memory_mib is None:
        changes["memory_mib"] = Range(
            int(base.memory_mib * LOW_FACTOR), int(base.memory_mib * HIGH_FACTOR)
        )
    if criteria.gpus is None:
        changes["gpus"] = Range.exactly(base.gpu_count)
    if criteria.architecture is None:
        changes["architecture"] = base.architecture
    if criteria.bare_metal is None:
        changes["bare_metal"] = base.bare_metal
    return dataclasses.replace(criteria, **changes)  # type: ignore[arg-type]


def flexible(criteria: Criteria) -> Criteria:
    """Criteria for a flexible, diversified set: x86_64, no metal, c/m/r/a/t families, 4 vCPUs."""
    changes: dict[str, object] = {}
    if criteria.architecture is None:
        changes["architecture"] = Architecture.X86_64
    if criteria.bare_metal is None:
        changes["bare_metal"] = False
    if criteria.allow is None:
        changes["allow"] = FLEXIBLE_ALLOW
    if criteria.vcpus is None and criteria.memory_mib is None:
        changes["vcpus"] = Range.exactly(FLEXIBLE_VCPUS)
    return dataclasses.replace(criteria, **changes)  # type: ignore[arg-type]
