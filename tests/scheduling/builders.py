"""Small builders for scheduler tests: pods, nodes and pools over the bundled catalog."""

from __future__ import annotations

from spotwise.catalog.bundled import load_bundled
from spotwise.config.nodepool import NodePool
from spotwise.decisions.scheduling.overhead import allocatable
from spotwise.decisions.scheduling.pool import Pool
from spotwise.model.instance_type import CapacityType
from spotwise.model.labels import HOSTNAME, INSTANCE_TYPE, ZONE, capacity_type_labels
from spotwise.model.labelset import LabelSet
from spotwise.model.node import Node
from spotwise.model.pod import Pod, PodSpec
from spotwise.model.resources import Resources
from spotwise.provisioning.pools import build_pool

GIB = 2**30


def spec(cpu: str = "500m", memory: str = "1Gi", namespace: str = "default", **fields) -> PodSpec:
    labels = LabelSet(fields.pop("labels", {"app": "web"}))
    requests = Resources.parse({"cpu": cpu, "memory": memory, **fields.pop("extended", {})})
    requests = Resources(requests.cpu_milli, requests.memory_bytes, 1, requests.extended)
    return PodSpec(namespace, labels, requests, **fields)


def pod_list(s: PodSpec, n: int, prefix: str = "p", owner: str = "Deployment/web") -> list[Pod]:
    return [Pod(f"{prefix}-{i}", s, owner=owner) for i in range(n)]


def pool(
    name: str = "default",
    types: tuple[str, ...] = ("m5.large", "m5.xlarge", "m5.2xlarge", "c5.xlarge", "r5.xlarge"),
    capacity_types: tuple[str, ...] = ("spot", "on-demand"),
    zones: tuple[str, ...] = ("us-east-1a", "us-east-1b", "us-east-1c"),
    **spec_fields,
) -> Pool:
    return pool_from_spec(
        name,
        instanceTypes=list(types),
        capacityTypes=list(capacity_types),
        zones=list(zones),
        **spec_fields,
    )


def pool_from_spec(name: str, **spec_fields) -> Pool:
    """A pool of the bundled catalog from NodePool spec fields alone (defaults elsewhere)."""
    doc = {
        "apiVersion": "spotwise.io/v1alpha1",
        "kind": "NodePool",
        "metadata": {"name": name},
        "spec": spec_fields,
    }
    return build_pool(NodePool.model_validate(doc), load_bundled())


def node(
    name: str,
    instance_type: str = "m5.xlarge",
    zone: str = "us-east-1a",
    capacity_type: CapacityType = CapacityType.ON_DEMAND,
    bound: tuple[Pod, ...] = (),
    taints=(),
    labels=None,
) -> Node:
    t = load_bundled().instance_type(instance_type)
    all_labels = {
        INSTANCE_TYPE: instance_type,
        ZONE: zone,
        HOSTNAME: name,
        **capacity_type_labels(capacity_type),
        **(labels or {}),
    }
    return Node(
        name, LabelSet(all_labels), tuple(taints), allocatable(t), bound, capacity_type, None
    )
