"""`kubectl kustomize deploy/` renders the controller's install, wired together."""

from __future__ import annotations

from typing import Any

from .conftest import AGENT, DEPLOY, Manifest, by_kind, documents, one

NAMESPACE = "spotwise"
EXPECTED = {
    ("Namespace", "spotwise"),
    ("CustomResourceDefinition", "nodepools.spotwise.io"),
    ("ServiceAccount", "spotwise"),
    ("ClusterRole", "spotwise-controller"),
    ("ClusterRoleBinding", "spotwise-controller"),
    ("Role", "spotwise-leader-election"),
    ("RoleBinding", "spotwise-leader-election"),
    ("ConfigMap", "spotwise-nodepools"),
    ("ConfigMap", "spotwise-settings"),
    ("Deployment", "spotwise-controller"),
    ("PodDisruptionBudget", "spotwise-controller"),
    ("Service", "spotwise-controller-metrics"),
}
CLUSTER_SCOPED = {"Namespace", "CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding"}
POD_LABELS = {"app.kubernetes.io/name": "spotwise", "app.kubernetes.io/component": "controller"}


def name_of(manifest: Manifest) -> str:
    name: str = manifest["metadata"]["name"]
    if manifest["kind"] == "ConfigMap":
        return name.rsplit("-", 1)[0]  # the generator's content hash
    return name


def pod_spec(rendered: list[Manifest]) -> dict[str, Any]:
    spec: dict[str, Any] = one(rendered, "Deployment")["spec"]["template"]["spec"]
    return spec


def test_deploy_renders_exactly_the_controllers_objects(rendered: list[Manifest]) -> None:
    assert {(m["kind"], name_of(m)) for m in rendered} == EXPECTED
    assert len(rendered) == len(EXPECTED)


def test_namespaced_objects_are_in_spotwise_and_cluster_objects_in_none(
    rendered: list[Manifest],
) -> None:
    for manifest in rendered:
        namespace = manifest["metadata"].get("namespace")
        if manifest["kind"] in CLUSTER_SCOPED:
            assert namespace is None, manifest["kind"]
        else:
            assert namespace == NAMESPACE, (manifest["kind"], name_of(manifest))
    for binding in by_kind(rendered, "RoleBinding") + by_kind(rendered, "ClusterRoleBinding"):
        assert binding["subjects"] == [
            {"kind": "ServiceAccount", "name": "spotwise", "namespace": NAMESPACE}
        ]


def test_the_optional_parts_are_left_out(rendered: list[Manifest]) -> None:
    kinds = {m["kind"] for m in rendered}
    assert "ServiceMonitor" not in kinds
    assert "DaemonSet" not in kinds


def test_bindings_name_the_roles_that_are_rendered(rendered: list[Manifest]) -> None:
    for binding_kind, role_kind in (("RoleBinding", "Role"), ("ClusterRoleBinding", "ClusterRole")):
        binding = one(rendered, binding_kind)
        assert binding["roleRef"] == {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": role_kind,
            "name": one(rendered, role_kind)["metadata"]["name"],
        }
    assert (
        pod_spec(rendered)["serviceAccountName"]
        == one(rendered, "ServiceAccount")["metadata"]["name"]
    )


def test_the_deployment_is_hardened_and_highly_available(rendered: list[Manifest]) -> None:
    deployment = one(rendered, "Deployment")
    assert deployment["spec"]["replicas"] == 2
    assert deployment["spec"]["selector"]["matchLabels"] == POD_LABELS
    spec = pod_spec(rendered)
    assert spec["priorityClassName"] == "system-cluster-critical"
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["runAsUser"] != 0
    assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    (container,) = spec["containers"]
    context = container["securityContext"]
    assert context["readOnlyRootFilesystem"] is True
    assert context["allowPrivilegeEscalation"] is False
    assert context["capabilities"] == {"drop": ["ALL"]}
    assert set(container["resources"]["requests"]) == {"cpu", "memory"}
    assert set(container["resources"]["limits"]) == {"cpu", "memory"}
    zones = [
        c
        for c in spec["topologySpreadConstraints"]
        if c["topologyKey"] == "topology.kubernetes.io/zone"
    ]
    assert zones and zones[0]["labelSelector"]["matchLabels"] == POD_LABELS
    # Never on the nodes it launches (they carry spotwise.io/node-pool).
    (term,) = spec["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][
        "nodeSelectorTerms"
    ]
    assert {"key": "spotwise.io/node-pool", "operator": "DoesNotExist"} in term["matchExpressions"]


def test_the_controller_runs_as_the_controller_command_expects(rendered: list[Manifest]) -> None:
    (container,) = pod_spec(rendered)["containers"]
    assert container["args"] == [
        "controller",
        "--config",
        "/etc/spotwise/nodepools.yaml",
        "--cluster-name",
        "$(CLUSTER_NAME)",
    ]
    env = {e["name"]: e for e in container["env"]}
    assert env["POD_NAMESPACE"]["valueFrom"] == {"fieldRef": {"fieldPath": "metadata.namespace"}}
    assert env["POD_NAME"]["valueFrom"] == {"fieldRef": {"fieldPath": "metadata.name"}}
    # $(CLUSTER_NAME) expands only from a variable defined before it, in env.
    settings = one([m for m in rendered if name_of(m) == "spotwise-settings"], "ConfigMap")
    for key in ("CLUSTER_NAME", "AWS_REGION"):
        ref = env[key]["valueFrom"]["configMapKeyRef"]
        assert ref["name"] == settings["metadata"]["name"]  # the generated, hashed name
        assert ref["key"] in settings["data"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"http": 8080}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}


def test_the_nodepools_configmap_is_mounted_where_config_points(rendered: list[Manifest]) -> None:
    spec = pod_spec(rendered)
    (container,) = spec["containers"]
    pools = one([m for m in rendered if name_of(m) == "spotwise-nodepools"], "ConfigMap")
    volumes = {v["name"]: v for v in spec["volumes"]}
    mount = next(m for m in container["volumeMounts"] if m["mountPath"] == "/etc/spotwise")
    assert mount["readOnly"] is True
    assert volumes[mount["name"]]["configMap"]["name"] == pools["metadata"]["name"]
    assert "nodepools.yaml" in pools["data"]
    # The read-only root filesystem leaves /tmp writable.
    tmp = next(m for m in container["volumeMounts"] if m["mountPath"] == "/tmp")
    assert "emptyDir" in volumes[tmp["name"]]


def test_the_service_and_the_budget_select_the_controller_pods(rendered: list[Manifest]) -> None:
    labels = one(rendered, "Deployment")["spec"]["template"]["metadata"]["labels"]
    service = one(rendered, "Service")
    assert service["spec"]["selector"].items() <= labels.items()
    (port,) = service["spec"]["ports"]
    assert port["targetPort"] == "http"
    budget = one(rendered, "PodDisruptionBudget")
    assert budget["spec"]["minAvailable"] == 1
    assert budget["spec"]["selector"]["matchLabels"].items() <= labels.items()


def test_the_agent_renders_apart_and_runs_spotwise_agent(rendered_agent: list[Manifest]) -> None:
    assert {m["kind"] for m in rendered_agent} == {
        "ServiceAccount",
        "ClusterRole",
        "ClusterRoleBinding",
        "DaemonSet",
    }
    daemonset = one(rendered_agent, "DaemonSet")
    assert daemonset["metadata"]["namespace"] == NAMESPACE
    spec = daemonset["spec"]["template"]["spec"]
    assert spec["containers"][0]["args"] == ["agent"]
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["containers"][0]["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    env = {e["name"] for e in spec["containers"][0]["env"]}
    assert "NODE_NAME" in env  # `spotwise agent` reads its node's name from it
    readme = (AGENT / "README.md").read_text()
    assert "`spotwise agent`" in readme


def test_the_default_kustomization_lists_neither_agent_nor_servicemonitor() -> None:
    (kustomization,) = documents(DEPLOY / "kustomization.yaml")
    listed = kustomization["resources"] + kustomization.get("components", [])
    assert not [r for r in listed if "agent" in r or "servicemonitor" in r]


def test_the_interruptions_only_example_runs_the_handler_alone_on_the_queue(
    rendered_interruptions_only: list[Manifest],
) -> None:
    rendered = rendered_interruptions_only
    (container,) = pod_spec(rendered)["containers"]
    assert container["args"] == [
        "controller",
        "--interruptions-only",
        "--cluster-name",
        "$(CLUSTER_NAME)",
    ]
    env = {e["name"]: e for e in container["env"]}
    settings = one([m for m in rendered if name_of(m) == "spotwise-settings"], "ConfigMap")
    ref = env["INTERRUPTION_QUEUE"]["valueFrom"]["configMapKeyRef"]
    assert ref["name"] == settings["metadata"]["name"]  # the generated, hashed name
    assert settings["data"]["INTERRUPTION_QUEUE"] == "spotwise-my-cluster"
    assert settings["data"]["CLUSTER_NAME"] == "my-cluster"  # merged, not replaced
