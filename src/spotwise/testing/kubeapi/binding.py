"""pods/binding: assign a pending pod to a node, as kube-scheduler does through the API.

As the API server's binding storage: the Binding's name must be the pod's; its target is
a Node (``kind`` empty or ``Node``) with a name; a pod already on a node, or being
deleted, is a 409 Conflict; the Binding's ``metadata.uid`` and ``resourceVersion``, when
set, are preconditions on the pod; its annotations are copied onto the pod. One write sets
``spec.nodeName`` and the PodScheduled condition True. The answer is a Success Status
(201), not the Binding.
"""

from __future__ import annotations

from typing import Any

from spotwise.testing.kubeapi.resources import Resource
from spotwise.testing.kubeapi.store import ApiError, Store, now

Obj = dict[str, Any]

_QUALIFIED = "pods/binding"


def bind(store: Store, pods: Resource, namespace: str, name: str, binding: Obj) -> Obj:
    """Bind the pod to the Binding's target node; returns the Success Status."""
    meta = binding.get("metadata") or {}
    if meta.get("name", name) != name:
        raise ApiError.bad_request("name in URL does not match name in Binding object")
    target = binding.get("target") or {}
    if target.get("kind", "Node") not in ("", "Node"):
        raise _invalid(
            name, f'target.kind: Unsupported value: "{target["kind"]}": supported values: "Node"'
        )
    node = target.get("name") or ""
    if not node:
        raise _invalid(name, "target.name: Required value")

    def assign(pod: Obj) -> Obj:
        pod_meta = pod["metadata"]
        for field, label in (("uid", "UID"), ("resourceVersion", "ResourceVersion")):
            wanted = meta.get(field)
            if wanted and wanted != pod_meta.get(field):
                raise _conflict(
                    name,
                    f"Precondition failed: {label} in precondition: {wanted}, "
                    f"{label} in object meta: {pod_meta.get(field)}",
                )
        if pod_meta.get("deletionTimestamp"):
            raise _conflict(name, f"pod {name} is being deleted, cannot be assigned to a host")
        spec = pod.setdefault("spec", {})
        if spec.get("nodeName"):
            raise _conflict(name, f'pod {name} is already assigned to node "{spec["nodeName"]}"')
        spec["nodeName"] = node
        if meta.get("annotations"):
            pod_meta.setdefault("annotations", {}).update(meta["annotations"])
        pod_meta.pop("resourceVersion", None)  # checked above; not the store's precondition
        status = pod.setdefault("status", {})
        conditions = [c for c in status.get("conditions") or [] if c.get("type") != "PodScheduled"]
        conditions.append({"type": "PodScheduled", "status": "True", "lastTransitionTime": now()})
        status["conditions"] = conditions
        return pod

    store.update(pods, namespace, name, assign, "binding")
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}


def _conflict(name: str, why: str) -> ApiError:
    return ApiError(
        409,
        "Conflict",
        f'Operation cannot be fulfilled on {_QUALIFIED} "{name}": {why}',
        {"name": name, "kind": _QUALIFIED},
    )


def _invalid(name: str, message: str) -> ApiError:
    return ApiError(
        422,
        "Invalid",
        f'Binding "{name}" is invalid: {message}',
        {"name": name, "kind": "Binding"},
    )
