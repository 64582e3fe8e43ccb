"""RBAC grants exactly the controller's needs: no wildcards, nothing beyond the list."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .conftest import DEPLOY, Manifest, documents, one

RBAC_KINDS = {"Role", "ClusterRole"}
RULE_FIELDS = ("apiGroups", "resources", "verbs", "resourceNames", "nonResourceURLs")

# (apiGroup, resource) -> verbs: what the controller does (see deploy/clusterrole.yaml).
CONTROLLER = {
    ("", "pods"): {"get", "list", "watch", "delete"},
    ("", "pods/eviction"): {"create"},
    ("", "nodes"): {"get", "list", "watch", "patch", "update", "delete"},
    ("", "events"): {"create", "patch"},
    ("events.k8s.io", "events"): {"create", "patch"},
    ("policy", "poddisruptionbudgets"): {"list", "watch"},
    ("apps", "daemonsets"): {"list", "watch"},
    ("", "persistentvolumeclaims"): {"list", "watch"},
    ("", "persistentvolumes"): {"list", "watch"},
    ("storage.k8s.io", "storageclasses"): {"list", "watch"},
    ("storage.k8s.io", "volumeattachments"): {"list", "watch"},
    ("", "namespaces"): {"list", "watch"},
    ("spotwise.io", "nodepools"): {"get", "list", "watch"},
    ("spotwise.io", "nodepools/status"): {"update"},
}


def rbac_rules() -> list[tuple[str, int, dict[str, Any]]]:
    """Every rule of every Role and ClusterRole file under deploy/: (file, index, rule)."""
    found = []
    for path in sorted(DEPLOY.rglob("*.yaml")):
        for manifest in documents(path):
            if manifest.get("kind") in RBAC_KINDS:
                for index, rule in enumerate(manifest.get("rules", [])):
                    found.append((str(path.relative_to(DEPLOY)), index, rule))
    return found


def wildcards(rule: dict[str, Any]) -> list[str]:
    """The fields of a rule that hold a wildcard ("*", or "*" inside a name like "pods/*")."""
    return [f for f in RULE_FIELDS if any("*" in str(v) for v in rule.get(f, []))]


def granted(role: Manifest) -> dict[tuple[str, str], set[str]]:
    out: dict[tuple[str, str], set[str]] = {}
    for rule in role["rules"]:
        for group in rule["apiGroups"]:
            for resource in rule["resources"]:
                out.setdefault((group, resource), set()).update(rule["verbs"])
    return out


def test_rbac_files_are_found() -> None:
    files = {f for f, _, _ in rbac_rules()}
    assert files == {"clusterrole.yaml", "role.yaml", "agent/clusterrole.yaml"}


@pytest.mark.parametrize(
    "where, rule", [((f, i), r) for f, i, r in rbac_rules()], ids=lambda v: str(v)
)
def test_no_rule_holds_a_wildcard(where: tuple[str, int], rule: dict[str, Any]) -> None:
    assert not wildcards(rule), f"{where[0]} rule {where[1]}: '*' in {wildcards(rule)}"
    assert "nonResourceURLs" not in rule
    assert "aggregationRule" not in rule


def test_the_wildcard_check_catches_every_field() -> None:
    assert wildcards({"apiGroups": ["*"], "resources": ["pods"], "verbs": ["get"]}) == ["apiGroups"]
    assert wildcards({"apiGroups": [""], "resources": ["pods/*"], "verbs": ["*"]}) == [
        "resources",
        "verbs",
    ]


def test_no_wildcard_reaches_the_cluster_either(
    rendered: list[Manifest], rendered_agent: list[Manifest]
) -> None:
    roles = [m for m in rendered + rendered_agent if m["kind"] in RBAC_KINDS]
    assert len(roles) == 3
    for role in roles:
        assert "aggregationRule" not in role
        for rule in role["rules"]:
            assert not wildcards(rule), (role["metadata"]["name"], rule)


def test_the_controller_is_granted_exactly_what_it_needs(rendered: list[Manifest]) -> None:
    assert granted(one(rendered, "ClusterRole")) == CONTROLLER


def test_leader_election_touches_one_lease_in_its_namespace(rendered: list[Manifest]) -> None:
    role = one(rendered, "Role")
    assert role["metadata"]["namespace"] == "spotwise"
    assert granted(role) == {("coordination.k8s.io", "leases"): {"create", "get", "update"}}
    for rule in role["rules"]:
        # RBAC cannot limit create by name; every other verb is held to the Lease.
        if rule["verbs"] != ["create"]:
            assert rule["resourceNames"] == ["spotwise-controller"]


def test_no_binding_gives_the_service_account_a_builtin_role(rendered: list[Manifest]) -> None:
    for binding in rendered:
        if binding["kind"] in {"RoleBinding", "ClusterRoleBinding"}:
            assert binding["roleRef"]["name"].startswith("spotwise-")


def test_the_controller_files_are_where_the_kustomization_says() -> None:
    (kustomization,) = documents(DEPLOY / "kustomization.yaml")
    for resource in kustomization["resources"]:
        assert Path(DEPLOY / resource).is_file(), resource
