"""Label and field selectors, parsed as the API server parses them.

Label selectors: ``k=v``, ``k==v``, ``k!=v``, ``k in (a,b)``, ``k notin (a,b)``, ``k`` and
``!k``, joined by commas. Field selectors: ``f=v``, ``f==v``, ``f!=v`` on the fields the
resource supports (others are a 400, as from the API server).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from spotwise.testing.kubeapi.resources import Resource
from spotwise.testing.kubeapi.store import ApiError

Obj = dict[str, Any]
Predicate = Callable[[Obj], bool]

_SET_TERM = re.compile(r"^\s*(!?)\s*([^\s!=(),]+)\s*(?:(notin|in)\s*\(([^)]*)\))?\s*$")
_EQ_TERM = re.compile(r"^\s*([^\s!=(),]+)\s*(==|=|!=)\s*([^\s!=(),]*)\s*$")


def _split_terms(text: str) -> list[str]:
    """Split on the commas outside parentheses."""
    terms: list[str] = []
    depth = 0
    current = ""
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            terms.append(current)
            current = ""
        else:
            current += char
    terms.append(current)
    return [term for term in terms if term.strip()]


def _bad(kind: str, text: str, why: str) -> ApiError:
    return ApiError.bad_request(f"unable to parse requirement: {kind} {text!r}: {why}")


def label_selector(text: str) -> Predicate:
    """A predicate on an object's labels; raises a 400 ApiError on a malformed selector."""
    # (key, operator, values): operator is one of = != in notin exists !exists
    requirements: list[tuple[str, str, frozenset[str]]] = []
    for term in _split_terms(text):
        equality = _EQ_TERM.match(term)
        if equality:
            key, op, value = equality.groups()
            requirements.append((key, "!=" if op == "!=" else "=", frozenset((value,))))
            continue
        set_based = _SET_TERM.match(term)
        if not set_based:
            raise _bad("label selector", term, "invalid syntax")
        negated, key, op, values_text = set_based.groups()
        if op is None:
            requirements.append((key, "!exists" if negated else "exists", frozenset()))
            continue
        if negated:
            raise _bad("label selector", term, "'!' only before a bare key")
        values = frozenset(v.strip() for v in values_text.split(",") if v.strip())
        requirements.append((key, op, values))

    def matches(obj: Obj) -> bool:
        labels = obj.get("metadata", {}).get("labels") or {}
        return all(_holds(labels, *requirement) for requirement in requirements)

    return matches


def _holds(labels: Mapping[str, str], key: str, op: str, values: frozenset[str]) -> bool:
    if op == "exists":
        return key in labels
    if op == "!exists":
        return key not in labels
    if op in ("=", "in"):
        return labels.get(key) in values
    return labels.get(key) not in values  # != and notin: true when the key is absent


def field_value(obj: Obj, field: str) -> str:
    """A field as the API server compares it: a string, '' when absent, booleans lowered."""
    value: Any = obj
    for part in field.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if value is None:
        # spec.unschedulable and spec.hostNetwork are false when absent.
        return "false" if field in ("spec.unschedulable", "spec.hostNetwork") else ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def field_selector(text: str, resource: Resource) -> Predicate:
    """A predicate on an object's fields; a 400 ApiError for a field the resource lacks."""
    checks: list[tuple[str, bool, str]] = []
    for term in _split_terms(text):
        equality = _EQ_TERM.match(term)
        if not equality:
            raise _bad("field selector", term, "invalid syntax")
        field, op, value = equality.groups()
        if not resource.selectable(field):
            raise ApiError.bad_request(
                f"field label not supported: {field}",
            )
        checks.append((field, op == "!=", value))

    def matches(obj: Obj) -> bool:
        return all((field_value(obj, f) == v) != negated for f, negated, v in checks)

    return matches


def selector(labels: str | None, fields: str | None, resource: Resource) -> Predicate:
    """Both selectors of a request, either possibly absent."""
    by_labels = label_selector(labels) if labels else None
    by_fields = field_selector(fields, resource) if fields else None

    def matches(obj: Obj) -> bool:
        return (by_labels is None or by_labels(obj)) and (by_fields is None or by_fields(obj))

    return matches
