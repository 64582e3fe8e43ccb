"""The documents clients read before anything else: /version, /api, /apis and resource lists."""

from __future__ import annotations

from typing import Any

from spotwise.testing.kubeapi.resources import CRUD, RESOURCES, groups

Obj = dict[str, Any]

VERSION: Obj = {
    "major": "1",
    "minor": "32",
    "gitVersion": "v1.32.0-spotwise-test",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2026-01-01T00:00:00Z",
    "goVersion": "go1.23.0",
    "compiler": "gc",
    "platform": "linux/amd64",
}

_SUBRESOURCE_VERBS = {
    "status": ["get", "patch", "update"],
    "eviction": ["create"],
    "binding": ["create"],
}
# POST /api/v1/namespaces/<ns>/bindings: the Binding names its pod (the scheduler's old way).
_BINDINGS: Obj = {
    "name": "bindings",
    "singularName": "binding",
    "namespaced": True,
    "kind": "Binding",
    "verbs": ["create"],
}
_SUBRESOURCE_KINDS = {"eviction": ("policy", "v1", "Eviction"), "binding": ("", "v1", "Binding")}


def core_versions(server_address: str) -> Obj:
    """``GET /api``."""
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [
            {"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}
        ],
    }


def _group(name: str, versions: list[str]) -> Obj:
    listed = [{"groupVersion": f"{name}/{v}", "version": v} for v in versions]
    return {"name": name, "versions": listed, "preferredVersion": listed[0]}


def group_list() -> Obj:
    """``GET /apis``."""
    return {
        "kind": "APIGroupList",
        "apiVersion": "v1",
        "groups": [_group(name, versions) for name, versions in groups().items()],
    }


def group(name: str) -> Obj | None:
    """``GET /apis/<group>``, None if the group is not served."""
    versions = groups().get(name)
    if versions is None:
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **_group(name, versions)}


def resource_list(group_version: str) -> Obj | None:
    """``GET /api/v1`` or ``GET /apis/<group>/<version>``, None if not served."""
    entries: list[Obj] = []
    for resource in RESOURCES:
        if resource.group_version != group_version:
            continue
        entry: Obj = {
            "name": resource.plural,
            "singularName": resource.singular,
            "namespaced": resource.namespaced,
            "kind": resource.kind,
            "verbs": list(CRUD),
        }
        if resource.short_names:
            entry["shortNames"] = list(resource.short_names)
        entries.append(entry)
        for sub in resource.subresources:
            sub_entry: Obj = {
                "name": f"{resource.plural}/{sub}",
                "singularName": "",
                "namespaced": resource.namespaced,
                "kind": resource.kind,
                "verbs": _SUBRESOURCE_VERBS[sub],
            }
            if sub in _SUBRESOURCE_KINDS:
                sub_group, sub_version, sub_kind = _SUBRESOURCE_KINDS[sub]
                sub_entry["kind"] = sub_kind
                if sub_group:  # another group's kind is named with its group and version
                    sub_entry.update(group=sub_group, version=sub_version)
            entries.append(sub_entry)
    if group_version == "v1":  # served by the router itself: a create-only resource
        entries.append(_BINDINGS)
    if not entries:
        return None
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version,
        "resources": entries,
    }


def _gv_path(group_version: str) -> str:
    return f"apis/{group_version}" if "/" in group_version else f"api/{group_version}"


def openapi_v3_root() -> Obj:
    """``GET /openapi/v3``: one document per group-version."""
    served = sorted({resource.group_version for resource in RESOURCES})
    return {
        "paths": {
            _gv_path(gv): {"serverRelativeURL": f"/openapi/v3/{_gv_path(gv)}?hash=spotwise"}
            for gv in served
        }
    }


def openapi_v3(path: str) -> Obj | None:
    """``GET /openapi/v3/api/v1`` and the like: the PATCH operations, nothing more.

    kubectl reads them to learn that the server validates fields itself (the
    ``fieldValidation`` parameter), so it sends objects without validating them against a
    schema it would have to download; this server does not reject unknown fields.
    """
    paths: Obj = {}
    for resource in RESOURCES:
        if _gv_path(resource.group_version) != path:
            continue
        base = f"/{path}/" + ("namespaces/{namespace}/" if resource.namespaced else "")
        paths[f"{base}{resource.plural}/{{name}}"] = {
            "patch": {
                "x-kubernetes-group-version-kind": {
                    "group": resource.group,
                    "version": resource.version,
                    "kind": resource.kind,
                },
                "parameters": [
                    {"name": "fieldValidation", "in": "query", "schema": {"type": "string"}}
                ],
                "responses": {},
            }
        }
    if not paths:
        return None
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": VERSION["gitVersion"]},
        "paths": paths,
        "components": {"schemas": {}},
    }
