"""An immutable, hashable label set, so that pods with equal labels group together."""

from __future__ import annotations

from collections.abc import Iterator, Mapping


class LabelSet(Mapping[str, str]):
    """A frozen ``dict[str, str]`` with a hash; cheap lookups, usable in frozen dataclasses."""

    __slots__ = ("_data", "_hash")

    def __init__(self, items: Mapping[str, str] | None = None) -> None:
        self._data: dict[str, str] = dict(items or {})
        self._hash: int | None = None

    def __getitem__(self, key: str) -> str:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(frozenset(self._data.items()))
        return self._hash

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LabelSet):
            return self._data == other._data
        return isinstance(other, Mapping) and self._data == dict(other)

    def __repr__(self) -> str:
        return f"LabelSet({self._data!r})"

    def get(self, key: str, default: str | None = None) -> str | None:  # type: ignore[override]
        """The value of ``key``, or ``default``; a fast path for the scheduler's hot loops."""
        return self._data.get(key, default)

    def merged(self, other: Mapping[str, str]) -> LabelSet:
        """A new label set with ``other``'s labels added (they win on conflicts)."""
        return LabelSet({**self._data, **other})


EMPTY_LABELS = LabelSet()
