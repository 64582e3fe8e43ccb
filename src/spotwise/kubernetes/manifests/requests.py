"""A pod's effective resource requests, by the rules kube-scheduler applies.

Upstream (k8s.io/component-helpers resource.PodRequests, KEP-753 sidecars):

    requests = max(sum(regular containers) + sum(sidecars),
                   max over regular init containers i of
                       (init container i + sidecars declared before i))
               per resource, plus spec.overhead

A sidecar is an init container with ``restartPolicy: Always``: it keeps running beside the
regular containers. A container that sets limits but no request for a resource requests
its limit (API defaulting). Pod-level ``spec.resources`` (KEP-2837), when set, replaces
the container sum for CPU and memory.
"""

from __future__ import annotations

from dataclasses import dataclass

from spotwise.kubernetes.manifests.fields import Fields
from spotwise.model.quantity import QuantityError
from spotwise.model.resources import CPU, MEMORY, Resources

_POD_LEVEL = (CPU, MEMORY)


@dataclass(frozen=True, slots=True)
class _Container:
    requests: Resources
    sidecar: bool
    explicit: frozenset[str]


def pod_requests(spec: Fields) -> Resources:
    """The effective requests of a pod spec, ``pods`` set to 1.

    Args:
        spec: The pod's ``spec`` (of a Pod or a pod template).

    Returns:
        What the scheduler reserves on a node for the pod.

    Raises:
        UserError: If a quantity is malformed or a restart policy is unknown.
    """
    containers = [_container(c, init=False) for c in spec.objects("containers")]
    total = Resources()
    for container in containers:
        total = total + container.requests
    sidecars = Resources()
    init_peak = Resources()
    init_containers = [_container(c, init=True) for c in spec.objects("initContainers")]
    for container in init_containers:
        if container.sidecar:
            total = total + container.requests
            sidecars = sidecars + container.requests
            # While it starts, a sidecar runs beside the sidecars before it.
            init_peak = resource_max(init_peak, sidecars)
        else:
            init_peak = resource_max(init_peak, container.requests + sidecars)
    total = resource_max(total, init_peak)
    total = _pod_level(spec, total, [*containers, *init_containers])
    overhead = spec.mapping("overhead")
    if overhead is not None:
        total = total + resource_list(overhead)
    return Resources(total.cpu_milli, total.memory_bytes, 1, total.extended, total.ephemeral_bytes)


def resource_max(a: Resources, b: Resources) -> Resources:
    """The per-resource maximum of two vectors."""
    names = {name for name, _ in (*a.extended, *b.extended)}
    return Resources(
        max(a.cpu_milli, b.cpu_milli),
        max(a.memory_bytes, b.memory_bytes),
        max(a.pods, b.pods),
        tuple(sorted((name, max(a.get(name), b.get(name))) for name in names)),
        max(a.ephemeral_bytes, b.ephemeral_bytes),
    )


def resource_list(fields: Fields) -> Resources:
    """Parse a Kubernetes ResourceList (``requests``, ``limits``, ``allocatable``...).

    Raises:
        UserError: Naming the entry whose quantity is malformed.
    """
    total = Resources()
    for name, value in fields.data.items():
        if not isinstance(name, str):
            raise fields.error(None, f"resource name {name!r} is not a string", "quote it")
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise fields.error(name, f"{value!r} is not a Kubernetes quantity", "write e.g. 250m")
        try:
            total = total + Resources.parse({name: value})
        except QuantityError as error:
            raise fields.error(name, str(error), "fix the quantity") from None
    return total


def _requests_with_limits(resources: Fields | None) -> tuple[Resources, frozenset[str]]:
    """Requests, each missing one defaulted to its limit; and the names set explicitly."""
    if resources is None:
        return Resources(), frozenset()
    requests = resources.mapping("requests")
    limits = resources.mapping("limits")
    explicit = frozenset(requests.data) if requests is not None else frozenset()
    total = resource_list(requests) if requests is not None else Resources()
    if limits is not None:
        defaulted = {k: v for k, v in limits.data.items() if k not in explicit}
        total = total + resource_list(Fields(defaulted, limits.where, limits.path))
    named = explicit | (frozenset(limits.data) if limits is not None else frozenset())
    return total, named


def _container(container: Fields, init: bool) -> _Container:
    requests, named = _requests_with_limits(container.mapping("resources"))
    # Only an init container with restartPolicy Always is a sidecar; other values (the
    # alpha per-container restart rules) do not change how it is counted.
    sidecar = init and container.string("restartPolicy") == "Always"
    return _Container(requests, sidecar=sidecar, explicit=named)


def _pod_level(spec: Fields, total: Resources, containers: list[_Container]) -> Resources:
    resources = spec.mapping("resources")
    if resources is None:
        return total
    requests = resources.mapping("requests")
    limits = resources.mapping("limits")
    explicit = {k: v for k, v in requests.data.items() if k in _POD_LEVEL} if requests else {}
    defaulted: dict[str, object] = {}
    if limits is not None:
        # A pod-level limit defaults the pod-level request only when no container
        # requests that resource; otherwise the containers' effective sum stands.
        for name, value in limits.data.items():
            requested = any(name in c.explicit for c in containers)
            if name in _POD_LEVEL and name not in explicit and not requested:
                defaulted[name] = value
    pod = Resources()
    if requests is not None and explicit:
        pod = pod + resource_list(Fields(explicit, requests.where, requests.path))
    if limits is not None and defaulted:
        pod = pod + resource_list(Fields(defaulted, limits.where, limits.path))
    names = explicit.keys() | defaulted.keys()
    return Resources(
        pod.cpu_milli if CPU in names else total.cpu_milli,
        pod.memory_bytes if MEMORY in names else total.memory_bytes,
        total.pods,
        total.extended,
        total.ephemeral_bytes,
    )
