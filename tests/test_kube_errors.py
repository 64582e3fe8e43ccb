"""Malformed inputs end in one UserError line naming file, document and field; never a traceback."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from spotwise.errors import UserError
from spotwise.kubernetes.manifests import load_workload

MANIFESTS = Path(__file__).parent / "manifests"

REQUIRED = "requiredDuringSchedulingIgnoredDuringExecution"
PREFERRED = "preferredDuringSchedulingIgnoredDuringExecution"
NODE_REQUIRED = f"  affinity:\n    nodeAffinity:\n      {REQUIRED}:\n"

POD = """apiVersion: v1
kind: Pod
metadata: {{name: p}}
spec:
  containers:
    - name: c
      image: x
{extra}"""


def error(tmp_path: Path, text: str, name: str = "in.yaml") -> str:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(UserError) as caught:
        load_workload([path])
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(str(path))
    return message.removeprefix(f"{path}")


def test_bad_quantity_names_file_document_and_field_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "manifests").mkdir()
    web = Path("manifests/web.yaml")
    web.write_text(
        """apiVersion: v1
kind: Service
metadata: {name: web}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      containers:
        - name: web
          image: nginx
          resources:
            requests:
              cpu: lots
"""
    )
    with pytest.raises(UserError) as caught:
        load_workload([Path("manifests")])
    assert str(caught.value) == (
        "manifests/web.yaml, document 2: spec.template.spec.containers[0].resources.requests.cpu:"
        " 'lots' is not a Kubernetes quantity (examples: 250m, 1.5, 2, 512Mi, 1Gi, 1G, 1e9);"
        " fix the quantity"
    )


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            "      resources: {limits: {nvidia.com/gpu: 0.5}}\n",
            ", document 1: spec.containers[0].resources.limits['nvidia.com/gpu']: 0.5 is not a"
            " whole number",
        ),
        (
            "      resources: {requests: {memory: -1Gi}}\n",
            ", document 1: spec.containers[0].resources.requests.memory: '-1Gi' is negative",
        ),
        (
            "      resources: {requests: [cpu]}\n",
            ", document 1: spec.containers[0].resources.requests: is a list, not an object",
        ),
        (
            "  nodeSelector: {gpu: true}\n",
            ', document 1: spec.nodeSelector.gpu: true is not a string; quote the value: "true"',
        ),
        (
            "  tolerations: [{key: a, operator: Equals}]\n",
            ", document 1: spec.tolerations[0].operator: 'Equals' is not one of Equal, Exists",
        ),
        (
            "  tolerations: [{key: a, effect: NoScheduling}]\n",
            ", document 1: spec.tolerations[0].effect: 'NoScheduling' is not one of NoSchedule,",
        ),
        (
            "  tolerations: [{operator: Exists, value: x}]\n",
            ", document 1: spec.tolerations[0].value: must be empty with operator Exists",
        ),
        (
            NODE_REQUIRED
            + "        nodeSelectorTerms:\n"
            + "          - matchExpressions: [{key: a, operator: in}]\n",
            f", document 1: spec.affinity.nodeAffinity.{REQUIRED}"
            ".nodeSelectorTerms[0].matchExpressions[0].operator: 'in' is not one of In, NotIn,",
        ),
        (
            NODE_REQUIRED + "        nodeSelectorTerms: []\n",
            ".nodeSelectorTerms: must have at least one term",
        ),
        (
            NODE_REQUIRED
            + "        nodeSelectorTerms:\n"
            + "          - matchExpressions: [{key: a, operator: In}]\n",
            ".matchExpressions[0].values: is required with operator In",
        ),
        (
            f"  affinity:\n    nodeAffinity:\n      {PREFERRED}:\n"
            "        - {weight: 0, preference: {}}\n",
            f"{PREFERRED}[0].weight: 0 is not in 1..100",
        ),
        (
            f"  affinity:\n    podAntiAffinity:\n      {REQUIRED}:\n"
            "        - labelSelector: {matchLabels: {app: a}}\n",
            f"{REQUIRED}[0].topologyKey: is required",
        ),
        (
            "  topologySpreadConstraints: [{maxSkew: 1, topologyKey: zone}]\n",
            ", document 1: spec.topologySpreadConstraints[0].whenUnsatisfiable: is required",
        ),
        (
            "  topologySpreadConstraints:\n    - {maxSkew: 0, topologyKey: z,"
            " whenUnsatisfiable: DoNotSchedule}\n",
            "spec.topologySpreadConstraints[0].maxSkew: 0 is less than 1",
        ),
        (
            "      ports: [{containerPort: 80, hostPort: 80, protocol: HTTP}]\n",
            ", document 1: spec.containers[0].ports[0].protocol: 'HTTP' is not one of TCP, UDP",
        ),
        (
            "  volumes: [{name: v, persistentVolumeClaim: {readOnly: true}}]\n",
            ", document 1: spec.volumes[0].persistentVolumeClaim.claimName: is required",
        ),
    ],
)
def test_malformed_pod_fields(tmp_path: Path, extra: str, expected: str) -> None:
    message = error(tmp_path, POD.format(extra=extra))
    assert expected in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "kind: Deployment\nmetadata: {name: d}\nspec: {replicas: three, template: {}}\n",
            ", document 1: spec.replicas: 'three' is not an integer; write a whole number",
        ),
        (
            "kind: Deployment\nmetadata: {name: d}\nspec: {replicas: 1000000, template: {}}\n",
            ", document 1: spec.replicas: 1000000 is more than 150000; use 150000 or less",
        ),
        (
            "kind: Deployment\nmetadata: {name: d}\nspec: {replicas: 2}\n",
            ", document 1: spec.template: is required",
        ),
        (
            "kind: Pod\nmetadata: {name: p}\nspec: {}\n",
            ", document 1: spec.containers: is required",
        ),
        (
            "kind: Pod\nmetadata: {name: p, labels: {tier: 3}}\nspec: {containers: [{name: c}]}\n",
            ', document 1: metadata.labels.tier: 3 is not a string; quote the value: "3"',
        ),
        ("kind: Pod\nmetadata: [p]\n", ", document 1: metadata: is a list, not an object"),
        ("apiVersion: v1\nmetadata: {name: p}\n", ", document 1: kind: is required"),
        (
            "kind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c}]}\n---\n- a\n",
            ", document 2: is not a Kubernetes object",
        ),
        (
            "kind: List\nitems:\n  - kind: Pod\n    metadata: {name: ok}\n"
            "    spec: {containers: [{name: c}]}\n  - kind: Pod\n    metadata: {name: bad}\n"
            "    spec: {containers: [{name: c, resources: {requests: {cpu: 1x}}}]}\n",
            ", document 1: items[1].spec.containers[0].resources.requests.cpu: '1x' is not",
        ),
        (
            "kind: CronJob\nmetadata: {name: c}\nspec: {schedule: '* * * * *'}\n",
            ", document 1: spec.jobTemplate: is required",
        ),
    ],
)
def test_malformed_documents(tmp_path: Path, text: str, expected: str) -> None:
    message = error(tmp_path, "---\n" + text if "kind: List" in text else text)
    assert message.startswith(expected), message


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    message = error(tmp_path, "kind: Pod\nmetadata:\n  name: p\n spec: {}\n")
    assert message.startswith(": is not valid YAML at line 4:"), message


def test_duplicate_key_is_an_error(tmp_path: Path) -> None:
    message = error(tmp_path, "kind: Pod\nmetadata: {name: a}\nmetadata: {name: b}\n")
    assert message == ": is not valid YAML at line 3: key 'metadata' is given twice; fix the YAML"


def test_json_syntax_error_names_the_line(tmp_path: Path) -> None:
    message = error(tmp_path, '{\n  "kind": "Pod",\n  "metadata": {,}\n}\n', "in.json")
    assert message.startswith(": is not valid JSON at line 3:"), message


def test_unreadable_and_missing_inputs(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(UserError, match=r"nope\.yaml: does not exist; check the path"):
        load_workload([missing])
    with pytest.raises(UserError, match=r"nodes\.yaml: does not exist"):
        load_workload([], tmp_path / "nodes.yaml")
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("hello")
    with pytest.raises(UserError, match=r"empty: holds no \*\.yaml, \*\.yml or \*\.json file"):
        load_workload([empty])
    binary = tmp_path / "blob.yaml"
    binary.write_bytes(b"\xff\xfe\x00kind")
    with pytest.raises(UserError, match=r"blob\.yaml: cannot be read"):
        load_workload([binary])


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, (*path, index))


def test_any_mangled_field_is_a_user_error_or_accepted(tmp_path: Path) -> None:
    groups = [
        [document]
        for name in ("shop/web.yaml", "storage.yaml", "jobs.yaml", "pdbs.yaml", "daemonsets.yaml")
        for document in yaml.safe_load_all((MANIFESTS / name).read_text())
    ]
    # The cluster dump stays whole, so that bound pods find their nodes.
    groups.append(yaml.safe_load((MANIFESTS / "cluster" / "nodes.yaml").read_text())["items"])
    path = tmp_path / "mangled.json"
    replacements: tuple[Any, ...] = (None, "x", [1], -3, {"a": 1})
    tried = 0
    for group in groups:
        for where in _leaves(group):
            if len(where) < 2:
                continue
            # One replacement per field, rotating, keeps the test fast and still varied.
            replacement = replacements[tried % len(replacements)]
            mangled = copy.deepcopy(group)
            parent = mangled
            for step in where[:-1]:
                parent = parent[step]
            parent[where[-1]] = replacement
            path.write_text(json.dumps({"kind": "List", "items": mangled}))
            tried += 1
            try:
                load_workload([path])
            except UserError as error:
                assert "\n" not in str(error)
    assert tried > 700
