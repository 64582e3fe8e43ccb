"""Pods' usage as metrics-server reports it (``metrics.k8s.io/v1beta1`` PodMetrics).

``kubectl get --raw /apis/metrics.k8s.io/v1beta1/pods`` prints a ``PodMetricsList``; a
pod's usage is the sum of its containers'. CPU comes in nanocores (``123456n``), memory
in bytes with binary suffixes (``12345Ki``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from spotwise.errors import UserError
from spotwise.model.quantity import QuantityError, parse_bytes, parse_cpu_millicores
from spotwise.model.resources import Resources


def pod_usage(document: Any, where: str) -> dict[str, Resources]:
    """``namespace/name`` -> the pod's CPU and memory usage, from a PodMetricsList.

    Raises:
        UserError: Naming the item, if the document is not a PodMetricsList or an item
            has no name or a bad quantity.
    """
    if not isinstance(document, Mapping) or not isinstance(document.get("items"), list):
        raise UserError(
            where,
            "is not a PodMetricsList",
            "save `kubectl get --raw /apis/metrics.k8s.io/v1beta1/pods`",
        )
    found = {}
    for number, item in enumerate(document["items"]):
        subject = f"{where}: items[{number}]"
        metadata = item.get("metadata") if isinstance(item, Mapping) else None
        if not isinstance(metadata, Mapping) or not metadata.get("name"):
            raise UserError(f"{subject}.metadata.name", "is missing", "name the pod")
        cpu = memory = 0
        for container in item.get("containers") or ():
            usage = container.get("usage") or {} if isinstance(container, Mapping) else {}
            try:
                cpu += parse_cpu_millicores(usage.get("cpu", 0))
                memory += parse_bytes(usage.get("memory", 0))
            except QuantityError as error:
                raise UserError(f"{subject}.containers", str(error), "fix the quantity") from None
        key = f"{metadata.get('namespace') or 'default'}/{metadata['name']}"
        found[key] = Resources(cpu, memory)
    return found
