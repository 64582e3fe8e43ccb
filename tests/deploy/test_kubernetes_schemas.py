"""Every Kubernetes object under deploy/, checked offline against Kubernetes' own schemas.

kubernetes-validate ships the API's JSON schemas per release; the strict ones refuse
unknown fields, so a misspelt key fails here rather than at `kubectl apply`. Custom
resources it has no schema for are checked elsewhere: NodePools against the CRD's own
schema (test_crd.py), the ServiceMonitor structurally (test_servicemonitor.py).
"""

from __future__ import annotations

import copy
from pathlib import Path

import kubernetes_validate
import pytest
from packaging.version import Version

from .conftest import DEPLOY, Manifest, documents

# The newest schemas kubernetes-validate ships that a 1.32 cluster serves.
SERVED = Version("1.32")
CUSTOM = {("spotwise.io/v1alpha1", "NodePool"), ("monitoring.coreos.com/v1", "ServiceMonitor")}


def schema_version() -> str:
    shipped = sorted({Version(v) for v in kubernetes_validate.utils.all_versions()})
    return str(max(v for v in shipped if v.release[:2] <= SERVED.release))


def validate(manifest: Manifest) -> None:
    kubernetes_validate.validate(manifest, schema_version(), strict=True)


def kubernetes_files() -> list[Path]:
    """Every YAML file under deploy/ but kustomize's own files and CloudFormation templates."""
    return sorted(
        p
        for p in DEPLOY.rglob("*.yaml")
        if p.name != "kustomization.yaml" and "AWSTemplateFormatVersion" not in p.read_text()
    )


def test_the_schemas_are_those_of_1_32() -> None:
    assert schema_version() == "1.32.0"


def test_only_the_cloudformation_template_is_left_out() -> None:
    every = {p for p in DEPLOY.rglob("*.yaml") if p.name != "kustomization.yaml"}
    left_out = every - set(kubernetes_files())
    assert {p.relative_to(DEPLOY).as_posix() for p in left_out} == {"interruption-queue.yaml"}


@pytest.mark.parametrize("path", kubernetes_files(), ids=lambda p: str(p.relative_to(DEPLOY)))
def test_every_manifest_file_follows_the_kubernetes_schemas(path: Path) -> None:
    manifests = documents(path)
    assert manifests, f"{path} holds no document"
    for manifest in manifests:
        if (manifest["apiVersion"], manifest["kind"]) in CUSTOM:
            continue
        validate(manifest)


def test_what_kustomize_renders_follows_the_kubernetes_schemas(
    rendered: list[Manifest],
    rendered_agent: list[Manifest],
    rendered_servicemonitor: list[Manifest],
    rendered_interruptions_only: list[Manifest],
) -> None:
    # The generated ConfigMaps exist only in the rendering.
    every = rendered + rendered_agent + rendered_servicemonitor + rendered_interruptions_only
    for manifest in every:
        if (manifest["apiVersion"], manifest["kind"]) not in CUSTOM:
            validate(manifest)


def test_the_validation_refuses_a_misspelt_field(rendered: list[Manifest]) -> None:
    deployment = copy.deepcopy(next(m for m in rendered if m["kind"] == "Deployment"))
    deployment["spec"]["template"]["spec"]["containers"][0]["securityContext"]["runAsNonRot"] = True
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(deployment)
