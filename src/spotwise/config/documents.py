"""What spotwise's YAML documents share: the model base, field types, reading and errors.

The NodePool and Scenario documents are untrusted input read the same way: YAML that
refuses a key given twice, pydantic models with camelCase keys and strict numbers, and
the first validation error turned into one line (field path, problem, fix).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, ClassVar, TypeGuard, get_args

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError
from pydantic.alias_generators import to_camel
from pydantic.fields import FieldInfo

from spotwise.errors import UserError
from spotwise.model.quantity import parse_bytes, parse_cpu_millicores
from spotwise.standard_input import read_standard_input


class DocumentModel(BaseModel):
    """Camel-case keys in files, snake_case in Python; unknown keys are errors.

    Numbers are strict because YAML already types them: a quoted ``"5"`` or a ``yes``
    is a mistake to report, not a value to coerce.
    """

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        alias_generator=to_camel,
        validate_by_alias=True,
        validate_by_name=True,
    )

    # The page documenting a whole document's fields, set on its root model; an error's
    # fix points at the page of the innermost document it is in (a pool in a scenario).
    docs_page: ClassVar[str | None] = None


def matches(pattern: re.Pattern[str], what: str) -> Callable[[str], str]:
    """A validator that refuses a string ``pattern`` does not match, as not ``what``."""

    def check(value: str) -> str:
        if not pattern.match(value):
            raise ValueError(f"{value!r} is not {what}")
        return value

    return check


def unique(values: tuple[Any, ...]) -> tuple[Any, ...]:
    """A validator that refuses a list naming a value more than once."""
    duplicates = sorted({str(v) for v in values if values.count(v) > 1})
    if duplicates:
        raise ValueError(f"lists {', '.join(duplicates)} more than once")
    return values


def _quantity(parse: Callable[[str | int | float], int]) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        # YAML reads `yes`/`true` as booleans, which pydantic would quietly turn into 1.
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ValueError(f"{value!r} is not a Kubernetes quantity (such as 2, 500m, 64Gi)")
        parse(value)  # QuantityError is a ValueError, so pydantic reports it on the field
        return value

    return check


# Kept as written, so that a file reads back the way its author wrote it.
CpuQuantity = Annotated[str | int | float, BeforeValidator(_quantity(parse_cpu_millicores))]
MemoryQuantity = Annotated[str | int | float, BeforeValidator(_quantity(parse_bytes))]


class UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses a key given twice, which PyYAML would quietly overwrite."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        """Build a mapping, refusing a key given twice."""
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} is given twice", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def display_name(path: Path) -> str:
    """How errors name an input: its path, or "standard input" for ``-``."""
    return "standard input" if str(path) == "-" else str(path)


def read_documents(path: Path, loader: type[yaml.SafeLoader] = UniqueKeyLoader) -> list[object]:
    """Every YAML document of a file, or of standard input for ``-`` (``None``: an empty one).

    Raises:
        UserError: Naming the file, if it is unreadable or not YAML.
    """
    name = display_name(path)
    try:
        text = read_standard_input() if str(path) == "-" else path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(name, f"cannot be read ({error})", "pass a readable YAML file") from None
    try:
        return list(yaml.load_all(text, Loader=loader))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise UserError(name, f"is not valid YAML{where}: {problem}", "fix the YAML") from None


def first_error(
    error: ValidationError, root: type[BaseModel], *, tag_prefix: str | None = None
) -> tuple[str, str, str]:
    """The first error as (field path, problem, fix); one line is all a user needs to start.

    Args:
        error: What validating ``root`` (or a model inside it) raised.
        root: The model validated, whose fields the error's location names.
        tag_prefix: How the tags of the document's tagged unions start; pydantic puts
            them in error locations, which drop them again.
    """
    errors = error.errors(include_url=False)
    first = errors[0]
    loc = tuple(
        p
        for p in first["loc"]
        if not (tag_prefix and isinstance(p, str) and p.startswith(tag_prefix))
    )
    fix = f"see {_docs_page(root, loc) or 'the docs'} for the fields and their values"
    if first["type"] == "extra_forbidden":
        problem = "is not a field here"
        fix = f"use one of {', '.join(_known_fields(root, loc[:-1]))}"
    elif first["type"] == "missing":
        problem = "is required"
    elif first["type"] == "value_error":
        # Our validators name the value themselves.
        problem = str(first["msg"]).removeprefix("Value error, ")
    else:
        problem = str(first["msg"])
        if not isinstance(first["input"], dict | list):
            problem += f" (got {first['input']!r})"
    if len(errors) > 1:
        problem += f" (and {len(errors) - 1} more error{'s' if len(errors) > 2 else ''})"
    return _field_path(loc) or "document", problem, fix


def _field_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part == "[key]":
            continue  # pydantic's marker for a bad dict key; the key itself is already in loc
        elif re.fullmatch(r"[A-Za-z_]\w*", part):
            path += f".{part}" if path else part
        else:
            path += f"[{part!r}]"
    return path


def _models_along(root: type[BaseModel], loc: tuple[int | str, ...]) -> list[type[BaseModel]]:
    """The models ``loc`` passes through from ``root``, as far as it names model fields."""
    models = [root]
    for part in loc:
        if isinstance(part, int):
            continue  # an index into a list of models, such as taints[0]
        fields = models[-1].model_fields.items()
        field = next((f for n, f in fields if _key(n, f) == part), None)
        inner = _models_in(field.annotation) if field is not None else []
        if not inner:
            break
        models.append(inner[0])
    return models


def _known_fields(root: type[BaseModel], loc: tuple[int | str, ...]) -> list[str]:
    """The keys the model at ``loc`` accepts, to suggest when a key is unknown."""
    models = _models_along(root, loc)
    if len(models) - 1 < sum(1 for p in loc if not isinstance(p, int)):
        return []  # loc leaves the models before its end, say into a dict
    return [_key(n, f) for n, f in models[-1].model_fields.items()]


def _docs_page(root: type[BaseModel], loc: tuple[int | str, ...]) -> str | None:
    pages = [getattr(m, "docs_page", None) for m in _models_along(root, loc)]
    return next((p for p in reversed(pages) if p), None)


def _key(name: str, field: FieldInfo) -> str:
    alias = field.alias
    return alias if isinstance(alias, str) else to_camel(name)


def _models_in(annotation: object) -> list[type[BaseModel]]:
    if _is_model(annotation):
        return [annotation]
    return [m for arg in get_args(annotation) for m in _models_in(arg)]


def _is_model(annotation: object) -> TypeGuard[type[BaseModel]]:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)
