"""Reading manifests: files and folders, multi-document YAML, JSON and ``kind: List``.

The result is a flat list of objects, each with where it came from, so that any later
error names the file, the document (counted from 1) and the field path.
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import yaml

from spotwise.errors import UserError
from spotwise.kubernetes.manifests.fields import Fields
from spotwise.standard_input import read_standard_input

SUFFIXES = (".yaml", ".yml", ".json")
# `-f -`: the manifests come on standard input.
STDIN = Path("-")


@dataclass(frozen=True, slots=True)
class Manifest:
    """One Kubernetes object read from an input.

    Attributes:
        fields: The object, addressed from its own root (``items[3]`` inside a List).
        kind: ``kind``.
        namespace: ``metadata.namespace``, ``default`` when missing (cluster-scoped
            kinds ignore it).
        name: ``metadata.name`` (may be empty for a pod with ``generateName``).
        source: Which input the object came from: 0 for the nodes file, 1 for ``-f``.
    """

    fields: Fields
    kind: str
    namespace: str
    name: str
    source: int

    @property
    def where(self) -> str:
        """The file and document, as error messages name them."""
        return self.fields.where

    @property
    def metadata(self) -> Fields:
        """``metadata``, empty when missing."""
        return self.fields.mapping("metadata") or Fields({}, self.where, self.fields.at("metadata"))

    @property
    def spec(self) -> Fields:
        """``spec``, empty when missing."""
        return self.fields.mapping("spec") or Fields({}, self.where, self.fields.at("spec"))


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Files to read: each file as given, each folder's manifests recursively, sorted.

    ``-`` is standard input, read as YAML (``kubectl kustomize``, ``helm template``).

    Raises:
        UserError: If a path does not exist or a folder holds no manifest.
    """
    files: list[Path] = []
    for path in paths:
        if path == STDIN:
            files.append(path)  # `kubectl kustomize DIR | spotwise plan -f -`
        elif path.is_dir():
            found = sorted(
                p for p in path.rglob("*") if p.suffix.lower() in SUFFIXES and p.is_file()
            )
            if not found:
                raise UserError(
                    str(path),
                    "holds no *.yaml, *.yml or *.json file",
                    "pass a folder of Kubernetes manifests or the files themselves",
                )
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise UserError(str(path), "does not exist", "check the path")
    return files


def read_manifests(
    files: Sequence[Path], source: int, skipped: list[str] | None = None
) -> list[Manifest]:
    """Every object in ``files``, ``kind: List`` items expanded, empty documents skipped.

    Args:
        files: The files.
        source: Which input they are (0: the nodes file, 1: ``-f``).
        skipped: Where a note goes for each file of other YAML (a Helm chart's
            ``Chart.yaml`` or ``values.yaml``, a ``kustomization.yaml``...), skipped whole;
            None: such a file is an error.

    Raises:
        UserError: If a file cannot be read or parsed, or (without ``skipped``) a
            document is not an object with a ``kind``.
    """
    manifests: list[Manifest] = []
    templates: dict[Path, int] = {}
    for path in files:
        chart = _chart_of(path)
        if chart is not None and skipped is not None and _chart_file(chart, path):
            templates[chart] = templates.get(chart, 0) + 1
            continue
        documents = _documents(path)
        note = _not_objects(path, documents)
        if note is not None and skipped is not None:
            skipped.append(note)
            continue
        for number, document in enumerate(documents, start=1):
            if document is None:
                continue  # an empty document, such as after a trailing `---`
            where = f"{_name(path)}, document {number}"
            if not isinstance(document, Mapping):
                raise UserError(
                    where,
                    "is not a Kubernetes object",
                    "write an object with apiVersion, kind, metadata and spec",
                )
            manifests.extend(_objects(Fields(document, where), source))
    for chart, count in templates.items():
        assert skipped is not None  # templates are only counted when notes are kept
        shown = _shown(chart)
        skipped.append(
            f"{shown}: a Helm chart: its {count} file{'s' if count > 1 else ''} of chart metadata,"
            f" values and templates skipped; render it: helm template RELEASE {shown} | spotwise"
            " plan -f -"
        )
    return manifests


def _shown(folder: Path) -> str:
    """A folder as the user would type it: relative to here when below here."""
    try:
        return str(folder.relative_to(Path.cwd())) or "."
    except ValueError:
        return str(folder)


def _chart_of(path: Path) -> Path | None:
    """The Helm chart (the nearest folder with a ``Chart.yaml``) that holds ``path``."""
    if path == STDIN:
        return None
    # Absolute: `-f .` from inside a chart's templates must still find the chart above.
    return next((p for p in path.absolute().parents if (p / "Chart.yaml").is_file()), None)


def _chart_file(chart: Path, path: Path) -> bool:
    """Whether ``path`` is the chart's own: Chart.yaml, values, or a template with actions.

    A file of plain YAML among the templates is a manifest like any other.
    """
    inside = path.absolute().relative_to(chart).parts
    if len(inside) == 1:
        return path.name == "Chart.yaml" or path.name.startswith("values")
    if inside[0] not in ("templates", "charts"):
        return False
    try:
        return "{{" in path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False  # reading it again reports the error


def _not_objects(path: Path, documents: Sequence[object]) -> str | None:
    """Why ``path`` holds no Kubernetes objects but other YAML, with what to do; or None."""
    present = [d for d in documents if d is not None]
    kinds = [d.get("kind") for d in present if isinstance(d, Mapping)]
    if "Kustomization" in kinds or path.name in ("kustomization.yaml", "kustomization.yml"):
        folder = "DIR" if path == STDIN else str(path.parent)
        return (
            f"{_name(path)}: a kustomization, skipped: its namespace, patches and replicas are "
            "not applied to any file read; to plan what kustomize renders: "
            f"kubectl kustomize {folder} | spotwise plan -f -"
        )
    elif path.name in ("Chart.yaml", "values.yaml") or path.name.startswith("values"):
        hint = "render the chart: helm template RELEASE CHART | spotwise plan -f -"
    elif not present or any(
        isinstance(d, Mapping) and ("apiVersion" in d or "kind" in d) for d in present
    ):
        return None  # manifests, or meant to be: a malformed one is an error
    else:
        hint = "no document has apiVersion or kind; leave the file out"
    return f"{_name(path)}: not Kubernetes objects, skipped; {hint}"


def _objects(root: Fields, source: int) -> Iterable[Manifest]:
    kind = root.required_string("kind")
    # kubectl prints `kind: List` and typed lists such as `PodList`; both hold `items`.
    if kind == "List" or (kind.endswith("List") and root.has("items")):
        for item in root.objects("items"):
            yield from _objects(item, source)
        return
    metadata = root.mapping("metadata")
    namespace = name = ""
    if metadata is not None:
        namespace = metadata.string("namespace")
        name = metadata.string("name")
    yield Manifest(root, kind, namespace or "default", name, source)


def _name(path: Path) -> str:
    return "standard input" if path == STDIN else str(path)


def _documents(path: Path) -> list[object]:
    try:
        text = read_standard_input() if path == STDIN else path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(_name(path), f"cannot be read ({error})", "pass a readable file") from None
    if path.suffix.lower() == ".json":
        try:
            return [json.loads(text)] if text.strip() else []
        except json.JSONDecodeError as error:
            raise UserError(
                str(path),
                f"is not valid JSON at line {error.lineno}: {error.msg}",
                "fix the JSON",
            ) from None
    try:
        return list(yaml.load_all(text, Loader=ManifestLoader))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise UserError(
            _name(path), f"is not valid YAML{where}: {problem}", "fix the YAML"
        ) from None


_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ManifestLoader(_BaseLoader):  # type: ignore[misc]
    """A safe loader that reads YAML as kubectl does.

    Timestamps stay strings (kubectl converts YAML to JSON first, so an unquoted date is a
    string), and a key given twice is an error, as in kubectl's strict field validation.
    """

    yaml_implicit_resolvers: ClassVar[dict[Any, list[tuple[str, Any]]]] = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        """Build a mapping, refusing a key given twice, which PyYAML would overwrite."""
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, Hashable):
                continue  # the base constructor reports an unhashable key itself
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} is given twice", key_node.start_mark
                )
            seen.add(key)
        result: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return result
