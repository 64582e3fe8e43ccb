"""The namespaces the inputs know, for ``namespaceSelector`` in pod affinity terms.

A namespace's labels come from its Namespace object when the inputs hold one; every
namespace carries ``kubernetes.io/metadata.name`` (set by the API server), so a selector
on that label works for namespaces that are only named by the objects in them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from spotwise.model.scheduling_terms import LabelSelector

METADATA_NAME = "kubernetes.io/metadata.name"


class Namespaces:
    """Known namespaces and their labels."""

    __slots__ = ("_labels",)

    def __init__(self, names: Iterable[str], labels: Mapping[str, Mapping[str, str]]) -> None:
        table: dict[str, dict[str, str]] = {}
        for name in (*names, *labels):
            table[name] = {**labels.get(name, {}), METADATA_NAME: name}
        self._labels = table

    def matching(self, selector: LabelSelector) -> tuple[str, ...]:
        """The known namespaces whose labels satisfy ``selector``, sorted."""
        return tuple(sorted(n for n, labels in self._labels.items() if selector.matches(labels)))
