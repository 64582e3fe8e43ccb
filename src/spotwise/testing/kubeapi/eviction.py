"""pods/eviction: delete a pod unless a PodDisruptionBudget allows no disruption (429).

No disruption controller runs here, so a budget's allowed disruptions are counted at the
moment of the eviction from the pods its selector matches: healthy pods are Running with a
Ready condition that is True and no deletionTimestamp. ``minAvailable`` and
``maxUnavailable`` take integers or percentages of the matching pods (the API server takes
the percentage of the controllers' scale; here the pods stand for it).
"""

from __future__ import annotations

import math
from typing import Any

from spotwise.testing.kubeapi.resources import Resource, find
from spotwise.testing.kubeapi.selectors import label_selector
from spotwise.testing.kubeapi.store import ApiError, Store

Obj = dict[str, Any]


def _selector_text(selector: Obj | None) -> str | None:
    """A LabelSelector object as selector text; None matches nothing (an empty one all)."""
    if selector is None:
        return None
    terms = [f"{k}={v}" for k, v in (selector.get("matchLabels") or {}).items()]
    for expr in selector.get("matchExpressions") or []:
        op = expr["operator"]
        values = ",".join(expr.get("values") or [])
        if op == "In":
            terms.append(f"{expr['key']} in ({values})")
        elif op == "NotIn":
            terms.append(f"{expr['key']} notin ({values})")
        elif op == "Exists":
            terms.append(expr["key"])
        else:
            terms.append(f"!{expr['key']}")
    return ",".join(terms)


def _healthy(pod: Obj) -> bool:
    status = pod.get("status") or {}
    ready = any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in status.get("conditions") or []
    )
    return (
        status.get("phase") == "Running" and ready and not pod["metadata"].get("deletionTimestamp")
    )


def _scaled(value: Any, total: int, round_up: bool) -> int:
    if isinstance(value, str) and value.endswith("%"):
        share = int(value[:-1]) * total / 100
        return math.ceil(share) if round_up else math.floor(share)
    return int(value)


def evict(store: Store, pods: Resource, namespace: str, name: str, eviction: Obj) -> Obj:
    """Evict a pod; returns the Status the API server answers (201) or raises 429/404."""
    pdbs = find("policy/v1", "poddisruptionbudgets")
    assert pdbs is not None
    with store.lock:
        pod = store.get(pods, namespace, name)
        running = (pod.get("status") or {}).get("phase") == "Running"
        if running and not pod["metadata"].get("deletionTimestamp"):
            _check_budgets(store, pods, pdbs, namespace, pod)
        store.delete(pods, namespace, name, eviction.get("deleteOptions"))
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}


def _check_budgets(store: Store, pods: Resource, pdbs: Resource, namespace: str, pod: Obj) -> None:
    budgets = [
        pdb
        for pdb in store.list_objects(pdbs, namespace, lambda _: True)[0]
        if (text := _selector_text((pdb.get("spec") or {}).get("selector"))) is not None
        and label_selector(text)(pod)
    ]
    if len(budgets) > 1:
        raise ApiError(
            500,
            "InternalError",
            "This pod has more than one PodDisruptionBudget, "
            "which the eviction subresource does not support.",
        )
    for pdb in budgets:
        spec = pdb.get("spec") or {}
        selector = label_selector(_selector_text(spec.get("selector")) or "")
        matching = store.list_objects(pods, namespace, selector)[0]
        healthy = sum(1 for p in matching if _healthy(p))
        if "maxUnavailable" in spec:
            desired = len(matching) - _scaled(spec["maxUnavailable"], len(matching), round_up=True)
        else:
            desired = _scaled(spec.get("minAvailable", 0), len(matching), round_up=True)
        if healthy - desired <= 0:
            pdb_name = pdb["metadata"]["name"]
            raise ApiError(
                429,
                "TooManyRequests",
                "Cannot evict pod as it would violate the pod's disruption budget.",
                {
                    "causes": [
                        {
                            "reason": "DisruptionBudget",
                            "message": f"The disruption budget {pdb_name} needs {desired} "
                            f"healthy pods "
                            f"and has {healthy} currently",
                        }
                    ]
                },
            )
