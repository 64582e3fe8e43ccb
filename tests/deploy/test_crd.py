"""The NodePool CRD: generated from the model, structural, and it accepts the example pools.

Custom resources have no schema in kubernetes-validate, so the NodePools of
deploy/nodepools.yaml are checked against the CRD's own openAPIV3Schema with jsonschema
(a dependency of kubernetes-validate), and against the pydantic model the controller uses.
"""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from spotwise.cli.app import main as spotwise
from spotwise.config.nodepool import API_VERSION, KIND, load_nodepools

from .conftest import CRD, NODEPOOLS, ROOT, documents, load_script

# Keys a structural schema may not set inside anyOf/allOf/oneOf/not (Kubernetes' rule 3).
NOT_IN_JUNCTORS = {"type", "description", "default", "additionalProperties", "nullable"}
JUNCTORS = ("anyOf", "allOf", "oneOf", "not")
INT_OR_STRING = [{"type": "integer"}, {"type": "string"}]


def structural_errors(node: dict[str, Any], where: str = "") -> list[str]:
    """Where a schema breaks Kubernetes' rules for structural CRD schemas."""
    errors = []
    untyped = node.get("x-kubernetes-int-or-string") or node.get(
        "x-kubernetes-preserve-unknown-fields"
    )
    if "type" not in node and not untyped:
        errors.append(f"{where or '.'}: no type")
    for key in ("$ref", "$defs", "definitions", "const", "propertyNames", "uniqueItems"):
        if key in node:
            errors.append(f"{where}: {key} is not allowed")
    if "properties" in node and "additionalProperties" in node:
        errors.append(f"{where}: properties and additionalProperties together")
    if node.get("additionalProperties") is False:
        errors.append(f"{where}: additionalProperties: false")
    for junctor in JUNCTORS:
        if junctor not in node:
            continue
        branches = node[junctor] if isinstance(node[junctor], list) else [node[junctor]]
        if node.get("x-kubernetes-int-or-string") and branches == INT_OR_STRING:
            continue
        for branch in branches:
            errors += [f"{where}.{junctor}: sets {k}" for k in NOT_IN_JUNCTORS & set(branch)]
    for name, child in node.get("properties", {}).items():
        errors += structural_errors(child, f"{where}.{name}")
    for key in ("items", "additionalProperties"):
        if isinstance(node.get(key), dict):
            errors += structural_errors(node[key], f"{where}[]")
    return errors


def pruned(value: Any, schema: dict[str, Any], where: str = "") -> list[str]:
    """The fields of ``value`` the API server would prune (unknown to the schema)."""
    if schema.get("x-kubernetes-preserve-unknown-fields"):
        return []
    found = []
    if isinstance(value, dict) and "properties" in schema:
        for key, item in value.items():
            if key not in schema["properties"]:
                found.append(f"{where}.{key}")
            else:
                found += pruned(item, schema["properties"][key], f"{where}.{key}")
    elif isinstance(value, dict) and isinstance(schema.get("additionalProperties"), dict):
        for key, item in value.items():
            found += pruned(item, schema["additionalProperties"], f"{where}.{key}")
    elif isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            found += pruned(item, schema["items"], f"{where}[{index}]")
    return found


def schema_errors(document: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    validator = jsonschema.Draft4Validator(schema)
    return [
        f"{'.'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(document)
    ]


def test_the_committed_crd_is_what_the_model_generates() -> None:
    assert CRD.read_text(encoding="utf-8") == load_script().render(), (
        "deploy/crd/nodepools.spotwise.io.yaml is stale: run `python scripts/nodepool_crd.py`"
    )


def test_check_mode_passes_on_the_committed_crd_and_fails_on_a_stale_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    done = subprocess.run(
        [sys.executable, "scripts/nodepool_crd.py", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    script = load_script()
    stale = tmp_path / "deploy" / "crd" / "nodepools.spotwise.io.yaml"
    stale.parent.mkdir(parents=True)
    stale.write_text(CRD.read_text().replace("minimum: 1", "minimum: 2"))
    monkeypatch.setattr(script, "ROOT", tmp_path)
    monkeypatch.setattr(script, "CRD_PATH", stale)
    assert script.main(["--check"]) == 1
    assert "run `python scripts/nodepool_crd.py`" in capsys.readouterr().err
    assert script.main([]) == 0
    assert script.main(["--check"]) == 0


def test_the_crd_names_the_models_group_version_and_kind() -> None:
    (crd,) = documents(CRD)
    group, version = API_VERSION.split("/")
    assert crd["metadata"]["name"] == f"nodepools.{group}"
    assert crd["spec"]["group"] == group
    assert crd["spec"]["names"]["kind"] == KIND
    assert crd["spec"]["scope"] == "Cluster"
    (served,) = crd["spec"]["versions"]
    assert served["name"] == version
    assert served["served"] is True and served["storage"] is True
    assert served["subresources"] == {"status": {}}


def test_the_schema_is_structural(crd_schema: dict[str, Any]) -> None:
    assert structural_errors(crd_schema) == []


def test_the_structural_check_catches_what_kubernetes_refuses() -> None:
    assert structural_errors(
        {"type": "object", "properties": {"a": {"anyOf": [{"type": "string"}]}}}
    )
    assert structural_errors({"type": "object", "additionalProperties": False})
    assert structural_errors({"type": "string", "const": "x"})
    assert structural_errors({"type": "object", "properties": {"a": {"$ref": "#/x"}}})
    assert not structural_errors(
        {"x-kubernetes-int-or-string": True, "anyOf": INT_OR_STRING, "nullable": True}
    )


def test_the_example_pools_are_valid_nodepools() -> None:
    pools = load_nodepools(NODEPOOLS)
    assert [p.name for p in pools] == ["general", "on-demand"]
    assert all(p.spec.launch is not None for p in pools)  # the controller can launch them


def test_the_example_pools_pass_spotwise_validate_offline(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = spotwise(["validate", "-f", str(NODEPOOLS), "--offline", "--cluster", "my-cluster"])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert "no problems found" in out


def test_the_example_pools_are_valid_custom_resources(crd_schema: dict[str, Any]) -> None:
    for document in documents(NODEPOOLS):
        assert schema_errors(document, crd_schema) == []
        assert pruned(document, crd_schema) == [], "the API server would drop these fields"


@pytest.mark.parametrize(
    "path, value, message",
    [
        (("capacityTypes",), ["spott"], "is not one of"),
        (("capacityTypes",), [], "should be non-empty"),
        (("weight",), 101, "is greater than the maximum"),
        (("limits", "nodes"), -1, "is less than the minimum"),
        (("launch", "metadataOptions", "httpTokens"), "maybe", "is not one of"),
        (("launch",), {"ami": {"id": "ami-0123456789abcdef0"}}, "'instanceProfile' is a required"),
    ],
)
def test_the_schema_refuses_what_the_model_refuses(
    crd_schema: dict[str, Any], path: tuple[str, ...], value: Any, message: str
) -> None:
    document = copy.deepcopy(documents(NODEPOOLS)[0])
    target = document["spec"]
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    assert any(message in e for e in schema_errors(document, crd_schema)), schema_errors(
        document, crd_schema
    )


def test_a_fractional_quantity_is_a_string_in_a_custom_resource(
    crd_schema: dict[str, Any],
) -> None:
    # Kubernetes' int-or-string form, as in a Pod's resources; files for --config may say 1.5.
    document = copy.deepcopy(documents(NODEPOOLS)[0])
    document["spec"]["limits"]["cpu"] = "1.5"
    assert schema_errors(document, crd_schema) == []
    document["spec"]["limits"]["cpu"] = 1.5
    assert schema_errors(document, crd_schema) == [
        "spec.limits.cpu: 1.5 is not valid under any of the given schemas"
    ]


def test_the_pruning_check_sees_an_unknown_field(crd_schema: dict[str, Any]) -> None:
    document = copy.deepcopy(documents(NODEPOOLS)[0])
    document["spec"]["launch"]["instanceProfiles"] = "typo"
    assert pruned(document, crd_schema) == [".spec.launch.instanceProfiles"]
