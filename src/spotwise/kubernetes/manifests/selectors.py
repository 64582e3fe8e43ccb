"""Selectors and scheduling terms of a pod spec, as model values.

Each parser reads the Kubernetes field names exactly and keeps the API's semantics:
a missing ``labelSelector`` in an affinity term or spread constraint selects no pod
(represented by :data:`MATCH_NOTHING`), an empty one selects every pod.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from spotwise.kubernetes.manifests.fields import Fields
from spotwise.kubernetes.manifests.namespaces import Namespaces
from spotwise.model.labels import HOSTNAME
from spotwise.model.scheduling_terms import (
    LabelSelector,
    NodeSelectorTerm,
    Operator,
    PodAffinityTerm,
    PreferredTerm,
    Requirement,
    Taint,
    TaintEffect,
    Toleration,
    TolerationOperator,
    TopologySpreadConstraint,
    WeightedPodAffinityTerm,
    WhenUnsatisfiable,
)

# `In` with no values holds for no label set, so this selector matches no pod.
MATCH_NOTHING = LabelSelector(requirements=(Requirement("spotwise.io/no-selector", Operator.IN),))

_LABEL_OPERATORS = (Operator.IN, Operator.NOT_IN, Operator.EXISTS, Operator.DOES_NOT_EXIST)


_E = TypeVar("_E", Operator, TaintEffect, TolerationOperator, WhenUnsatisfiable)


def _choice(fields: Fields, key: str, allowed: tuple[_E, ...], default: _E | None = None) -> _E:
    text = fields.string(key)
    if not text and default is not None:
        return default
    for option in allowed:
        if option.value == text:
            return option
    names = ", ".join(o.value for o in allowed)
    problem = "is required" if not text else f"{text!r} is not one of {names}"
    raise fields.error(key, problem, f"use one of {names}")


def requirement(fields: Fields, allowed: tuple[Operator, ...] = tuple(Operator)) -> Requirement:
    """One ``matchExpressions`` item, with the API's rules on values per operator.

    Raises:
        UserError: If the key or operator is missing, or values do not suit the operator.
    """
    key = fields.required_string("key")
    operator = _choice(fields, "operator", allowed)
    values = fields.strings("values")
    if operator in (Operator.IN, Operator.NOT_IN) and not values:
        raise fields.error("values", f"is required with operator {operator.value}", "list values")
    if operator in (Operator.EXISTS, Operator.DOES_NOT_EXIST) and values:
        raise fields.error("values", f"must be empty with operator {operator.value}", "drop it")
    numeric = operator in (Operator.GT, Operator.LT)
    if numeric and (len(values) != 1 or not _is_integer(values[0])):
        raise fields.error(
            "values", f"needs exactly one integer with operator {operator.value}", ""
        )
    return Requirement(key, operator, tuple(values))


def _is_integer(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True


def label_selector(fields: Fields | None) -> LabelSelector:
    """A ``metav1.LabelSelector``; None (missing) gives :data:`MATCH_NOTHING`.

    Raises:
        UserError: If an expression is malformed.
    """
    if fields is None:
        return MATCH_NOTHING
    match_labels = tuple(sorted(fields.string_map("matchLabels").items()))
    requirements = tuple(
        requirement(e, _LABEL_OPERATORS) for e in fields.objects("matchExpressions")
    )
    return LabelSelector(match_labels, requirements)


def node_selector_term(fields: Fields) -> NodeSelectorTerm:
    """A ``NodeSelectorTerm``: ``matchExpressions`` and ``matchFields`` (ANDed).

    ``matchFields`` only supports ``metadata.name`` upstream; a node's name is its
    ``kubernetes.io/hostname`` label, so it becomes a requirement on that label.

    Raises:
        UserError: If an expression is malformed or a field is not ``metadata.name``.
    """
    requirements = [requirement(e) for e in fields.objects("matchExpressions")]
    for expression in fields.objects("matchFields"):
        if expression.string("key") != "metadata.name":
            raise expression.error(
                "key",
                f"{expression.string('key')!r} is not a supported field selector",
                "use metadata.name, the only node field Kubernetes supports here",
            )
        matched = requirement(expression, (Operator.IN, Operator.NOT_IN))
        requirements.append(Requirement(HOSTNAME, matched.operator, matched.values))
    return NodeSelectorTerm(tuple(requirements))


def required_node_terms(node_affinity: Fields | None) -> tuple[NodeSelectorTerm, ...]:
    """``requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms`` (ORed).

    Raises:
        UserError: If the node selector has no term, which the API rejects.
    """
    if node_affinity is None:
        return ()
    required = node_affinity.mapping("requiredDuringSchedulingIgnoredDuringExecution")
    if required is None:
        return ()
    terms = required.objects("nodeSelectorTerms")
    if not terms:
        raise required.error(
            "nodeSelectorTerms", "must have at least one term", "add a term or drop the field"
        )
    return tuple(node_selector_term(t) for t in terms)


def preferred_node_terms(node_affinity: Fields | None) -> tuple[PreferredTerm, ...]:
    """``preferredDuringSchedulingIgnoredDuringExecution``: weighted node terms."""
    if node_affinity is None:
        return ()
    result: list[PreferredTerm] = []
    for item in node_affinity.objects("preferredDuringSchedulingIgnoredDuringExecution"):
        weight = _weight(item)
        preference = item.mapping("preference")
        if preference is None:
            raise item.error("preference", "is required", "add a node selector term")
        result.append(PreferredTerm(weight, node_selector_term(preference)))
    return tuple(result)


def _weight(item: Fields) -> int:
    if not item.has("weight"):
        raise item.error("weight", "is required", "set a weight from 1 to 100")
    weight = item.integer("weight", 1, minimum=None)
    if not 1 <= weight <= 100:
        raise item.error("weight", f"{weight} is not in 1..100", "set a weight from 1 to 100")
    return weight


def tolerations(spec: Fields) -> tuple[Toleration, ...]:
    """``spec.tolerations``; operator defaults to Equal, an empty effect matches all."""
    result: list[Toleration] = []
    for item in spec.objects("tolerations"):
        operator = _choice(
            item, "operator", tuple(TolerationOperator), default=TolerationOperator.EQUAL
        )
        key, value = item.string("key"), item.string("value")
        if operator is TolerationOperator.EXISTS and value:
            raise item.error("value", "must be empty with operator Exists", "drop the value")
        if not key and operator is TolerationOperator.EQUAL:
            raise item.error("operator", "must be Exists when the key is empty", "")
        effect = _choice(item, "effect", tuple(TaintEffect)) if item.string("effect") else None
        result.append(Toleration(key, operator, value, effect))
    return tuple(result)


def taints(spec: Fields) -> tuple[Taint, ...]:
    """A node's ``spec.taints``."""
    return tuple(
        Taint(t.required_string("key"), t.string("value"), _choice(t, "effect", tuple(TaintEffect)))
        for t in spec.objects("taints")
    )


def pod_affinity_term(
    fields: Fields, labels: Mapping[str, str], namespaces: Namespaces
) -> PodAffinityTerm:
    """A ``PodAffinityTerm`` of a pod with ``labels``.

    ``matchLabelKeys`` and ``mismatchLabelKeys`` add ``key In/NotIn (the pod's value)``
    to the selector, as the API server does; ``namespaceSelector`` is resolved against
    the namespaces the inputs know.

    Raises:
        UserError: If the topology key is missing or a selector is malformed.
    """
    topology_key = fields.required_string("topologyKey")
    selector = _with_label_keys(fields, label_selector(fields.mapping("labelSelector")), labels)
    names = fields.strings("namespaces")
    namespace_selector = fields.mapping("namespaceSelector")
    if namespace_selector is not None:
        matched = namespaces.matching(label_selector(namespace_selector))
        names = sorted({*names, *matched})
        if not names:
            # Upstream, a selector that matches no namespace selects no pod at all.
            selector = MATCH_NOTHING
    return PodAffinityTerm(selector, topology_key, tuple(names))


def weighted_pod_affinity_terms(
    parent: Fields | None, labels: Mapping[str, str], namespaces: Namespaces
) -> tuple[WeightedPodAffinityTerm, ...]:
    """``preferredDuringSchedulingIgnoredDuringExecution`` of podAffinity/podAntiAffinity."""
    if parent is None:
        return ()
    result: list[WeightedPodAffinityTerm] = []
    for item in parent.objects("preferredDuringSchedulingIgnoredDuringExecution"):
        term = item.mapping("podAffinityTerm")
        if term is None:
            raise item.error("podAffinityTerm", "is required", "add the term")
        result.append(
            WeightedPodAffinityTerm(_weight(item), pod_affinity_term(term, labels, namespaces))
        )
    return tuple(result)


def required_pod_affinity_terms(
    parent: Fields | None, labels: Mapping[str, str], namespaces: Namespaces
) -> tuple[PodAffinityTerm, ...]:
    """``requiredDuringSchedulingIgnoredDuringExecution`` of podAffinity/podAntiAffinity."""
    if parent is None:
        return ()
    return tuple(
        pod_affinity_term(t, labels, namespaces)
        for t in parent.objects("requiredDuringSchedulingIgnoredDuringExecution")
    )


def spread_constraints(
    spec: Fields, labels: Mapping[str, str]
) -> tuple[TopologySpreadConstraint, ...]:
    """``spec.topologySpreadConstraints``; ``minDomains`` defaults to 1.

    Raises:
        UserError: If a field is missing or out of range, as the API validates it.
    """
    result: list[TopologySpreadConstraint] = []
    for item in spec.objects("topologySpreadConstraints"):
        if not item.has("maxSkew"):
            raise item.error("maxSkew", "is required", "set maxSkew to 1 or more")
        max_skew = item.integer("maxSkew", 1, minimum=1)
        topology_key = item.required_string("topologyKey")
        when = _choice(item, "whenUnsatisfiable", tuple(WhenUnsatisfiable))
        min_domains = item.integer("minDomains", 1, minimum=1)
        if item.has("minDomains") and when is not WhenUnsatisfiable.DO_NOT_SCHEDULE:
            raise item.error(
                "minDomains", "is only allowed with whenUnsatisfiable DoNotSchedule", "drop it"
            )
        selector = _with_label_keys(item, label_selector(item.mapping("labelSelector")), labels)
        result.append(TopologySpreadConstraint(max_skew, topology_key, when, selector, min_domains))
    return tuple(result)


def _with_label_keys(
    fields: Fields, selector: LabelSelector, labels: Mapping[str, str]
) -> LabelSelector:
    if selector is MATCH_NOTHING:
        return selector
    added: list[Requirement] = []
    for key in fields.strings("matchLabelKeys"):
        if key in labels:
            added.append(Requirement(key, Operator.IN, (labels[key],)))
    for key in fields.strings("mismatchLabelKeys"):
        if key in labels:
            added.append(Requirement(key, Operator.NOT_IN, (labels[key],)))
    if not added:
        return selector
    return LabelSelector(selector.match_labels, (*selector.requirements, *added))
