"""PodDisruptionBudgets (policy/v1): which pods they cover and how many may be down."""

from __future__ import annotations

import re
from dataclasses import dataclass

from spotwise.kubernetes.manifests.fields import Fields
from spotwise.kubernetes.manifests.manifests import Manifest
from spotwise.kubernetes.manifests.selectors import MATCH_NOTHING, label_selector
from spotwise.model.scheduling_terms import LabelSelector

_PERCENT = re.compile(r"^[0-9]+%$")


@dataclass(frozen=True, slots=True)
class PodDisruptionBudget:
    """A PodDisruptionBudget.

    Attributes:
        namespace: Its namespace; it covers pods there only.
        name: Its name.
        selector: ``spec.selector``; a missing selector covers no pod (policy/v1), an
            empty one every pod of the namespace.
        min_available: ``spec.minAvailable``: a count or a percentage such as ``"50%"``.
        max_unavailable: ``spec.maxUnavailable``: a count or a percentage.
        disruptions_allowed: ``status.disruptionsAllowed`` as the disruption controller
            last wrote it (None: not known, as in manifests).
    """

    namespace: str
    name: str
    selector: LabelSelector
    min_available: int | str | None = None
    max_unavailable: int | str | None = None
    disruptions_allowed: int | None = None

    @property
    def key(self) -> str:
        """``namespace/name``."""
        return f"{self.namespace}/{self.name}"


def parse_pdb(manifest: Manifest) -> PodDisruptionBudget:
    """Read a PodDisruptionBudget, validated as the API server would.

    Raises:
        UserError: If a bound is neither a non-negative count nor a percentage up to
            100%, or both bounds are set.
    """
    spec = manifest.spec
    if not manifest.name:
        raise manifest.metadata.error("name", "is required", "name the budget")
    selector_fields = spec.mapping("selector")
    selector = label_selector(selector_fields) if selector_fields is not None else MATCH_NOTHING
    min_available = _int_or_percent(spec, "minAvailable")
    max_unavailable = _int_or_percent(spec, "maxUnavailable")
    if min_available is not None and max_unavailable is not None:
        raise spec.error(
            None,
            "minAvailable and maxUnavailable cannot both be set",
            "keep one of them",
        )
    status = manifest.fields.mapping("status")
    allowed = status.raw("disruptionsAllowed") if status is not None else None
    return PodDisruptionBudget(
        manifest.namespace,
        manifest.name,
        selector,
        min_available,
        max_unavailable,
        allowed if isinstance(allowed, int) and not isinstance(allowed, bool) else None,
    )


def _int_or_percent(spec: Fields, key: str) -> int | str | None:
    value = spec.raw(key)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return spec.integer(key, 0)
    if isinstance(value, str) and _PERCENT.match(value):
        if int(value[:-1]) > 100:
            raise spec.error(key, f"{value!r} is more than 100%", "use a percentage up to 100%")
        return value
    raise spec.error(
        key, f"{value!r} is not a count or a percentage", 'write a number such as 1 or "50%"'
    )
