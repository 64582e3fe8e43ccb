"""What the deploy/ tests share: the manifests as files and as kustomize renders them."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SERVICEMONITOR = DEPLOY / "servicemonitor"
AGENT = DEPLOY / "agent"
CRD = DEPLOY / "crd" / "nodepools.spotwise.io.yaml"
NODEPOOLS = DEPLOY / "nodepools.yaml"
INTERRUPTIONS_ONLY = ROOT / "examples" / "interruptions-only"

Manifest = dict[str, Any]


def documents(path: Path) -> list[Manifest]:
    """The non-empty YAML documents of a file."""
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]


def kustomize(directory: Path) -> list[Manifest]:
    """What `kubectl kustomize DIRECTORY` renders."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.fail(
            "kubectl is not installed: run `make kubectl` (Debian's kubernetes-client)",
            pytrace=False,
        )
    done = subprocess.run(
        [kubectl, "kustomize", str(directory)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return [d for d in yaml.safe_load_all(done.stdout) if d is not None]


def by_kind(objects: list[Manifest], kind: str) -> list[Manifest]:
    return [o for o in objects if o["kind"] == kind]


def one(objects: list[Manifest], kind: str) -> Manifest:
    found = by_kind(objects, kind)
    assert len(found) == 1, f"{len(found)} objects of kind {kind}"
    return found[0]


def load_script() -> ModuleType:
    """scripts/nodepool_crd.py as a module."""
    spec = importlib.util.spec_from_file_location(
        "nodepool_crd", ROOT / "scripts" / "nodepool_crd.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def rendered() -> list[Manifest]:
    """deploy/ as `kubectl kustomize` renders it."""
    return kustomize(DEPLOY)


@pytest.fixture(scope="session")
def rendered_interruptions_only() -> list[Manifest]:
    """examples/interruptions-only/ (deploy/ as an interruption handler alone), rendered."""
    return kustomize(INTERRUPTIONS_ONLY)


@pytest.fixture(scope="session")
def rendered_agent() -> list[Manifest]:
    """deploy/agent/ as `kubectl kustomize` renders it."""
    return kustomize(AGENT)


@pytest.fixture(scope="session")
def rendered_servicemonitor() -> list[Manifest]:
    """deploy/servicemonitor/ as `kubectl kustomize` renders it."""
    return kustomize(SERVICEMONITOR)


@pytest.fixture(scope="session")
def crd_schema() -> Iterator[dict[str, Any]]:
    """The committed CRD's openAPIV3Schema."""
    (crd,) = documents(CRD)
    (version,) = crd["spec"]["versions"]
    yield version["schema"]["openAPIV3Schema"]
