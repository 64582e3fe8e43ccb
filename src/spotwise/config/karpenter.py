"""Karpenter's own manifests, read as they are and translated into spotwise NodePools.

A ``karpenter.sh/v1`` NodePool and the ``karpenter.k8s.aws/v1`` EC2NodeClass it names
become one spotwise NodePool: the requirements (capacity type, zones, architecture and
instance types become their own fields; ``minValues`` on the instance type or family
become ``minInstanceTypes`` and ``minFamilies``; every other requirement is kept as a
requirement), labels, taints, limits and weight; and, from the node class, the launch
section (AMI, subnet and security-group selector terms, instance profile, block devices,
metadata options, user data). A field with no spotwise equivalent yet is reported in a
one-line warning naming it, never dropped silently.

Translation works on plain dicts (the YAML as written) and returns plain dicts in
spotwise's schema; `spotwise.config.nodepool.parse_nodepool` then validates them, so a
translated pool is held to the same rules as a written one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from spotwise.errors import UserError

NODEPOOL_API = "karpenter.sh/v1"
NODECLASS_API = "karpenter.k8s.aws/v1"
CAPACITY_TYPE = "karpenter.sh/capacity-type"
ZONE = "topology.kubernetes.io/zone"
ARCH = "kubernetes.io/arch"
INSTANCE_TYPE = "node.kubernetes.io/instance-type"
FAMILY = "karpenter.k8s.aws/instance-family"
# Kubernetes' architecture names, and EC2's.
ARCHITECTURES = {"amd64": "x86_64", "arm64": "arm64"}
# The EKS-optimized images an AMI alias names, per EC2 architecture; {v} is the
# Kubernetes version. Only families under EKS's public parameters (which the IAM policy
# allows) are translated.
ALIAS_PARAMETERS = {
    "al2023": {
        "x86_64": "/aws/service/eks/optimized-ami/{v}/amazon-linux-2023/x86_64/standard/"
        "recommended/image_id",
        "arm64": "/aws/service/eks/optimized-ami/{v}/amazon-linux-2023/arm64/standard/"
        "recommended/image_id",
    },
    "al2": {
        "x86_64": "/aws/service/eks/optimized-ami/{v}/amazon-linux-2/recommended/image_id",
        "arm64": "/aws/service/eks/optimized-ami/{v}/amazon-linux-2-arm64/recommended/image_id",
    },
}
EBS_KEYS = {
    "volumeSize": "volumeSize",
    "volumeType": "volumeType",
    "iops": "iops",
    "throughput": "throughput",
    "encrypted": "encrypted",
    "kmsKeyID": "kmsKeyId",
    "snapshotID": "snapshotId",
    "deleteOnTermination": "deleteOnTermination",
}
METADATA_KEYS = ("httpEndpoint", "httpPutResponseHopLimit", "httpTokens")


@dataclass
class Translation:
    """The spotwise documents made from Karpenter's, and what could not be carried over.

    Attributes:
        nodepools: spotwise NodePool documents (plain dicts, camelCase keys).
        warnings: One line each: the Karpenter field and what became of it.
    """

    nodepools: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def is_karpenter(document: object) -> bool:
    """Whether a parsed YAML document is one of Karpenter's NodePools or EC2NodeClasses."""
    return isinstance(document, Mapping) and document.get("apiVersion") in (
        NODEPOOL_API,
        NODECLASS_API,
    )


def translate(
    documents: Sequence[object],
    kubernetes_version: str | None = None,
    *,
    launch_needed: bool = True,
) -> Translation:
    """Spotwise NodePools from Karpenter's NodePool and EC2NodeClass documents.

    Args:
        documents: Parsed YAML documents; others than Karpenter's are ignored.
        kubernetes_version: The cluster's version (``1.31``), for AMI aliases: the
            EKS-optimized image of an alias is a parameter per version.
        launch_needed: False for planning, which needs no launch section: a node class
            whose image cannot be translated then leaves it out, with a warning.

    Raises:
        UserError: If a NodePool names a node class the documents do not hold, or an AMI
            alias cannot be translated without the Kubernetes version.
    """
    classes = {
        _name(d): d
        for d in documents
        if isinstance(d, Mapping) and d.get("apiVersion") == NODECLASS_API
    }
    out = Translation()
    for document in documents:
        if isinstance(document, Mapping) and document.get("apiVersion") == NODEPOOL_API:
            out.nodepools.append(
                _nodepool(document, classes, kubernetes_version, launch_needed, out.warnings)
            )
    return out


def _name(document: Mapping[str, Any]) -> str:
    return str((document.get("metadata") or {}).get("name", ""))


# Karpenter's default spec.template.spec.expireAfter (30 days).
KARPENTER_EXPIRE_AFTER = "720h"


def _nodepool(
    document: Mapping[str, Any],
    classes: Mapping[str, Mapping[str, Any]],
    kubernetes_version: str | None,
    launch_needed: bool,
    warnings: list[str],
) -> dict[str, Any]:
    name = _name(document)
    spec = document.get("spec") or {}
    template = spec.get("template") or {}
    node = template.get("spec") or {}
    out: dict[str, Any] = {}
    where = f"NodePool {name}"
    _requirements(node.get("requirements") or [], out, where, warnings)
    labels = (template.get("metadata") or {}).get("labels")
    if labels:
        out["labels"] = dict(labels)
    if node.get("taints"):
        out["taints"] = [_taint(t) for t in node["taints"]]
    if "startupTaints" in node:
        warnings.append(f"{where}: spec.template.spec.startupTaints is not applied yet")
    if "weight" in spec:
        out["weight"] = spec["weight"]
    _limits(spec.get("limits") or {}, out, where, warnings)
    out["disruption"] = _disruption(spec.get("disruption") or {})
    # Karpenter keeps these in the node template; spotwise keeps them with the rest of a
    # node's way out. Karpenter's own default expiry is 720h.
    out["disruption"]["expireAfter"] = node.get("expireAfter", KARPENTER_EXPIRE_AFTER)
    if "terminationGracePeriod" in node:
        out["disruption"]["terminationGracePeriod"] = node["terminationGracePeriod"]
    reference = node.get("nodeClassRef") or {}
    if reference:
        node_class = classes.get(str(reference.get("name", "")))
        if node_class is None:
            raise UserError(
                f"{where}: spec.template.spec.nodeClassRef",
                f"names EC2NodeClass {reference.get('name')!r}, which the files do not hold",
                "pass the file that defines it too",
            )
        try:
            out["launch"] = _launch(node_class, kubernetes_version, warnings)
        except UserError as error:
            if launch_needed:
                raise
            warnings.append(f"{where}: no launch section ({error}); planning needs none")
    return {
        "apiVersion": "spotwise.io/v1alpha1",
        "kind": "NodePool",
        "metadata": {"name": name},
        "spec": out,
    }


def _requirements(
    requirements: Sequence[Mapping[str, Any]],
    out: dict[str, Any],
    where: str,
    warnings: list[str],
) -> None:
    kept: list[dict[str, Any]] = []
    for requirement in requirements:
        key = requirement.get("key")
        operator = requirement.get("operator")
        values = [str(v) for v in requirement.get("values") or []]
        least = requirement.get("minValues")
        if key == INSTANCE_TYPE and least is not None:
            out["minInstanceTypes"] = int(least)
        elif key == FAMILY and least is not None:
            out["minFamilies"] = int(least)
        elif least is not None:
            warnings.append(
                f"{where}: minValues on {key} is not applied (only on instance types and families)"
            )
        if operator == "Exists" and least is not None and key in (INSTANCE_TYPE, FAMILY):
            continue  # it only carries minValues: every node has the label
        if operator == "In" and key == CAPACITY_TYPE:
            out["capacityTypes"] = values
        elif operator == "In" and key == ZONE:
            out["zones"] = values
        elif operator == "In" and key == INSTANCE_TYPE:
            out["instanceTypes"] = values
        elif operator == "In" and key == ARCH and len(values) == 1 and values[0] in ARCHITECTURES:
            out["architecture"] = ARCHITECTURES[values[0]]
        elif key == ARCH and operator == "In" and set(values) <= set(ARCHITECTURES):
            continue  # both architectures: no restriction
        else:
            entry: dict[str, Any] = {"key": key, "operator": operator}
            if values:
                entry["values"] = values
            kept.append(entry)
    if kept:
        out["requirements"] = kept


def _taint(taint: Mapping[str, Any]) -> dict[str, Any]:
    return {k: taint[k] for k in ("key", "value", "effect") if k in taint}


def _limits(
    limits: Mapping[str, Any], out: dict[str, Any], where: str, warnings: list[str]
) -> None:
    kept = {k: limits[k] for k in ("cpu", "memory", "nodes") if k in limits}
    for other in sorted(set(limits) - set(kept)):
        warnings.append(f"{where}: spec.limits.{other} is not applied (only cpu, memory, nodes)")
    if kept:
        out["limits"] = kept


def _launch(
    node_class: Mapping[str, Any], kubernetes_version: str | None, warnings: list[str]
) -> dict[str, Any]:
    where = f"EC2NodeClass {_name(node_class)}"
    spec = node_class.get("spec") or {}
    out: dict[str, Any] = {}
    out.update(_images(spec.get("amiSelectorTerms") or [], where, kubernetes_version, warnings))
    if "instanceProfile" in spec:
        out["instanceProfile"] = spec["instanceProfile"]
    elif "role" in spec:
        out["instanceProfile"] = spec["role"]
        warnings.append(
            f"{where}: spec.role {spec['role']!r} became instanceProfile {spec['role']!r}:"
            " spotwise launches with an instance profile, so create one of that name for the"
            " role"
        )
    for ours, theirs in (
        ("subnetSelector", "subnetSelectorTerms"),
        ("securityGroupSelector", "securityGroupSelectorTerms"),
    ):
        tags = _tags(spec.get(theirs) or [], f"{where}: spec.{theirs}", warnings)
        if tags:
            out[ours] = tags
    if spec.get("blockDeviceMappings"):
        out["blockDeviceMappings"] = [
            _device(d, where, warnings) for d in spec["blockDeviceMappings"]
        ]
    metadata = spec.get("metadataOptions") or {}
    if metadata:
        out["metadataOptions"] = {k: metadata[k] for k in METADATA_KEYS if k in metadata}
        for other in sorted(set(metadata) - set(METADATA_KEYS)):
            warnings.append(f"{where}: spec.metadataOptions.{other} is not applied")
    if "userData" in spec:
        out["userData"] = spec["userData"]
    for other in ("tags", "kubelet", "associatePublicIPAddress", "detailedMonitoring",
                  "instanceStorePolicy", "context"):  # fmt: skip
        if other in spec:
            warnings.append(f"{where}: spec.{other} is not applied yet")
    return out


def _images(
    terms: Sequence[Mapping[str, Any]],
    where: str,
    kubernetes_version: str | None,
    warnings: list[str],
) -> dict[str, Any]:
    """The launch section's image: one selector, or one per architecture for an alias."""
    if not terms:
        return {}
    if len(terms) > 1:
        warnings.append(
            f"{where}: spec.amiSelectorTerms has {len(terms)} terms; only the first is used"
        )
    term = terms[0]
    if "alias" in term:
        return _alias(str(term["alias"]), where, kubernetes_version, warnings)
    if "id" in term:
        return {"ami": {"id": term["id"]}}
    selector: dict[str, Any] = {}
    if "tags" in term:
        selector["tags"] = dict(term["tags"])
    if "owner" in term:
        selector["owners"] = [str(term["owner"])]
    if "name" in term:
        warnings.append(f"{where}: spec.amiSelectorTerms[0].name is not applied; tags are")
    if "tags" not in selector:
        raise UserError(
            f"{where}: spec.amiSelectorTerms[0]",
            "selects images by name or owner alone, which spotwise cannot translate",
            "select by alias, id or tags",
        )
    return {"ami": selector}


def _alias(
    alias: str, where: str, kubernetes_version: str | None, warnings: list[str]
) -> dict[str, Any]:
    family, _, version = alias.partition("@")
    parameters = ALIAS_PARAMETERS.get(family)
    if parameters is None:
        raise UserError(
            f"{where}: spec.amiSelectorTerms[0].alias",
            f"{alias!r} is not an image family spotwise translates (al2023, al2)",
            "select the image by id or tags",
        )
    if kubernetes_version is None:
        raise UserError(
            f"{where}: spec.amiSelectorTerms[0].alias",
            f"{alias!r} names EKS's image for the cluster's Kubernetes version",
            "convert the file with the version: spotwise config convert FILE"
            " --kubernetes-version 1.31",
        )
    if version not in ("", "latest"):
        warnings.append(
            f"{where}: alias {alias!r} is pinned; spotwise uses the recommended image of"
            f" Kubernetes {kubernetes_version} instead"
        )
    return {
        "amiByArchitecture": {
            arch: {"ssmParameter": path.format(v=kubernetes_version)}
            for arch, path in parameters.items()
        }
    }


def _tags(terms: Sequence[Mapping[str, Any]], where: str, warnings: list[str]) -> dict[str, str]:
    """The tags of the first selector term; ids and more terms are reported."""
    if not terms:
        return {}
    if len(terms) > 1:
        warnings.append(f"{where} has {len(terms)} terms; only the first is used")
    term = terms[0]
    if "id" in term or "name" in term:
        warnings.append(f"{where}[0] selects by id or name; spotwise selects by tags only")
    return {str(k): str(v) for k, v in (term.get("tags") or {}).items()}


def _device(mapping: Mapping[str, Any], where: str, warnings: list[str]) -> dict[str, Any]:
    ebs = mapping.get("ebs") or {}
    out = {EBS_KEYS[k]: v for k, v in ebs.items() if k in EBS_KEYS}
    for other in sorted(set(ebs) - set(EBS_KEYS)):
        warnings.append(f"{where}: blockDeviceMappings ebs.{other} is not applied")
    device = {"deviceName": mapping.get("deviceName"), "ebs": out}
    if "rootVolume" in mapping:
        device["rootVolume"] = mapping["rootVolume"]
    return device


def _disruption(block: dict[str, Any]) -> dict[str, Any]:
    """A Karpenter NodePool's ``disruption`` block as spotwise's (the same field names).

    Karpenter reads budgets' schedules in UTC, spotwise's default time zone.
    """
    out: dict[str, Any] = {}
    for key in ("consolidationPolicy", "consolidateAfter"):
        if key in block:
            out[key] = block[key]
    if "budgets" in block:
        kept = ("nodes", "reasons", "schedule", "duration")
        out["budgets"] = [
            {k: v for k, v in dict(b or {}).items() if k in kept} for b in block["budgets"]
        ]
    return out
