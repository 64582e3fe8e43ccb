"""Walking untrusted Kubernetes objects field by field, with the path for every error.

Manifests are plain dicts from YAML or JSON. Every read goes through :class:`Fields`, which
knows where it is (file, document, field path), so a bad value ends in one line such as
``web.yaml, document 2: spec.replicas: 'three' is not an integer`` instead of a traceback.
Types are checked as the API server would: a label value must be a string, a replica
count an integer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from spotwise.errors import UserError

INT32_MAX = 2**31 - 1


class Fields:
    """A mapping inside a manifest, with its location for error messages.

    Attributes:
        data: The mapping itself.
        where: The input it came from, such as ``web.yaml, document 2``.
        path: The field path of this mapping from the document root (empty at the root).
    """

    __slots__ = ("data", "path", "where")

    def __init__(self, data: Mapping[str, Any], where: str, path: str = "") -> None:
        self.data = data
        self.where = where
        self.path = path

    def at(self, key: str | int) -> str:
        """The field path of ``key`` below this mapping (``spec.containers[0]``)."""
        if isinstance(key, int):
            return f"{self.path}[{key}]"
        if "." in key or "/" in key:
            # Keys such as labels and resource names are quoted so the path stays readable.
            return f"{self.path}[{key!r}]" if self.path else repr(key)
        return f"{self.path}.{key}" if self.path else key

    def error(self, key: str | int | None, problem: str, fix: str = "") -> UserError:
        """A user error about ``key`` below this mapping (or about the mapping itself)."""
        path = self.path if key is None else self.at(key)
        subject = f"{self.where}: {path}" if path else self.where
        return UserError(subject, problem, fix)

    def has(self, key: str) -> bool:
        """Whether ``key`` is present and not null."""
        return self.data.get(key) is not None

    def raw(self, key: str) -> Any:
        """The value of ``key`` as parsed, None when missing or null."""
        return self.data.get(key)

    def string(self, key: str, default: str = "") -> str:
        """A string field; ``default`` when missing or null."""
        value = self.data.get(key)
        if value is None:
            return default
        if not isinstance(value, str):
            raise self.error(key, f"{shown(value)} is not a string", "quote the value")
        return value

    def required_string(self, key: str) -> str:
        """A string field that must be present and not empty."""
        value = self.string(key)
        if not value:
            raise self.error(key, "is required", f"set {self.at(key)}")
        return value

    def integer(
        self, key: str, default: int, minimum: int | None = 0, maximum: int = INT32_MAX
    ) -> int:
        """An integer field, ``default`` when missing or null, within the bounds.

        The maximum defaults to the API's int32 limit, which every count field has.
        """
        value = self.data.get(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(key, f"{shown(value)} is not an integer", "write a whole number")
        if minimum is not None and value < minimum:
            raise self.error(key, f"{value} is less than {minimum}", f"use {minimum} or more")
        if value > maximum:
            raise self.error(key, f"{value} is more than {maximum}", f"use {maximum} or less")
        return value

    def boolean(self, key: str, default: bool = False) -> bool:
        """A boolean field, ``default`` when missing or null."""
        value = self.data.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.error(key, f"{shown(value)} is not a boolean", "write true or false")
        return value

    def mapping(self, key: str) -> Fields | None:
        """A nested object, None when missing or null."""
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, Mapping):
            raise self.error(key, f"is a {_kind(value)}, not an object", "write key: value pairs")
        return Fields(value, self.where, self.at(key))

    def objects(self, key: str) -> list[Fields]:
        """A list of objects (``containers``, ``tolerations``...); empty when missing."""
        value = self.data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.error(key, f"is a {_kind(value)}, not a list", "write a list of objects")
        items: list[Fields] = []
        for index, item in enumerate(value):
            path = f"{self.at(key)}[{index}]"
            if not isinstance(item, Mapping):
                raise Fields({}, self.where, path).error(
                    None, f"is a {_kind(item)}, not an object", "write key: value pairs"
                )
            items.append(Fields(item, self.where, path))
        return items

    def strings(self, key: str) -> list[str]:
        """A list of strings (``values``, ``namespaces``...); empty when missing."""
        value = self.data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.error(key, f"is a {_kind(value)}, not a list", "write a list of strings")
        for index, item in enumerate(value):
            if not isinstance(item, str):
                raise self.error(
                    key, f"item {index} ({shown(item)}) is not a string", "quote every value"
                )
        return list(value)

    def string_map(self, key: str) -> dict[str, str]:
        """A ``map[string]string`` (labels, annotations, nodeSelector); empty when missing."""
        nested = self.mapping(key)
        if nested is None:
            return {}
        result: dict[str, str] = {}
        for name, value in nested.data.items():
            if not isinstance(name, str):
                raise nested.error(None, f"key {shown(name)} is not a string", "quote the key")
            if not isinstance(value, str):
                raise nested.error(
                    name, f"{shown(value)} is not a string", f'quote the value: "{shown(value)}"'
                )
            result[name] = value
        return result


def shown(value: object) -> str:
    """A value as the user wrote it in YAML: ``true``, ``null``, ``'text'``, ``3``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return repr(value)


def _kind(value: object) -> str:
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, list):
        return "list"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__
