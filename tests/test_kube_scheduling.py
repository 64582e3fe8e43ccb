"""Node selection, tolerations, host ports, inter-pod affinity and spread from real manifests."""

from __future__ import annotations

from pathlib import Path

from spotwise.kubernetes.manifests import load_workload
from spotwise.model.labelset import LabelSet
from spotwise.model.pod import Pod
from spotwise.model.scheduling_terms import (
    HostPort,
    LabelSelector,
    NodeSelectorTerm,
    Operator,
    PodAffinityTerm,
    PreferredTerm,
    Requirement,
    Taint,
    TaintEffect,
    Toleration,
    TolerationOperator,
    TopologySpreadConstraint,
    WeightedPodAffinityTerm,
    WhenUnsatisfiable,
)

MANIFESTS = Path(__file__).parent / "manifests"


def web() -> Pod:
    pods = load_workload([MANIFESTS / "shop" / "web.yaml"]).pods
    assert [p.name for p in pods] == ["web-0", "web-1", "web-2"]
    return pods[0]


def pod(tmp_path: Path, spec: str, namespace: str = "default", extra: str = "") -> Pod:
    text = (
        f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: {namespace}\n"
        f"  labels: {{app: p, track: canary}}\nspec:\n{spec}"
        "  containers: [{name: c, image: x}]\n" + extra
    )
    path = tmp_path / "pod.yaml"
    path.write_text(text)
    (found,) = load_workload([path]).pods
    return found


def test_labels_node_selector_and_required_node_terms() -> None:
    spec = web().spec
    assert spec.namespace == "shop"
    assert spec.labels == LabelSet({"app.kubernetes.io/name": "web", "tier": "frontend"})
    assert spec.node_selector == LabelSet({"kubernetes.io/arch": "arm64"})
    # matchFields on metadata.name becomes a requirement on the hostname label.
    assert spec.required_node_terms == (
        NodeSelectorTerm(
            (
                Requirement("karpenter.sh/capacity-type", Operator.IN, ("spot", "on-demand")),
                Requirement("node.kubernetes.io/instance-type", Operator.NOT_IN, ("t3.nano",)),
                Requirement(
                    "kubernetes.io/hostname", Operator.NOT_IN, ("ip-10-0-0-1.ec2.internal",)
                ),
            )
        ),
    )
    assert spec.preferred_node_terms == (
        PreferredTerm(
            80,
            NodeSelectorTerm((Requirement("karpenter.sh/capacity-type", Operator.IN, ("spot",)),)),
        ),
    )


def test_tolerations_default_to_equal_and_any_effect() -> None:
    assert web().spec.tolerations == (
        Toleration(
            "spotInstance", TolerationOperator.EQUAL, "true", TaintEffect.PREFER_NO_SCHEDULE
        ),
        Toleration("dedicated", TolerationOperator.EXISTS, "", None),
    )
    toleration = web().spec.tolerations[1]
    assert toleration.tolerates(Taint("dedicated", "gpu", TaintEffect.NO_EXECUTE))


def test_equal_is_the_default_operator(tmp_path: Path) -> None:
    found = pod(tmp_path, "  tolerations: [{key: team, value: ml, effect: NoSchedule}]\n")
    assert found.spec.tolerations == (
        Toleration("team", TolerationOperator.EQUAL, "ml", TaintEffect.NO_SCHEDULE),
    )


def test_extended_resource_requests_tolerate_their_taint_as_eks_admission_adds(
    tmp_path: Path,
) -> None:
    path = tmp_path / "train.yaml"
    path.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: train}\nspec:\n"
        "  tolerations: [{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}]\n"
        "  containers:\n  - name: c\n    image: x\n    resources:\n"
        "      limits: {nvidia.com/gpu: 1, example.com/fpga: 2}\n"
    )
    (found,) = load_workload([path]).pods
    gpu, fpga = (
        Toleration(name, TolerationOperator.EXISTS, "", TaintEffect.NO_SCHEDULE)
        for name in ("nvidia.com/gpu", "example.com/fpga")
    )
    assert found.spec.tolerations == (gpu, fpga)  # the pod's own one is not repeated


def test_host_ports_only_where_set_with_protocol_default() -> None:
    assert web().spec.host_ports == (HostPort(80, "TCP", ""), HostPort(443, "TCP", "10.0.0.5"))


def test_host_network_makes_container_ports_host_ports(tmp_path: Path) -> None:
    found = pod(
        tmp_path,
        "  hostNetwork: true\n",
        extra="",
    )
    assert found.spec.host_ports == ()
    path = tmp_path / "hn.yaml"
    path.write_text(
        """apiVersion: v1
kind: Pod
metadata: {name: hn}
spec:
  hostNetwork: true
  containers:
    - name: dns
      image: x
      ports: [{containerPort: 53, protocol: UDP}, {containerPort: 9153}]
"""
    )
    (found,) = load_workload([path]).pods
    assert found.spec.host_ports == (HostPort(53, "UDP"), HostPort(9153, "TCP"))


def test_pod_affinity_terms_with_namespaces() -> None:
    spec = web().spec
    web_selector = LabelSelector((("app.kubernetes.io/name", "web"),))
    assert spec.anti_affinity == (PodAffinityTerm(web_selector, "kubernetes.io/hostname"),)
    assert spec.affinity == ()
    assert spec.preferred_anti_affinity == (
        WeightedPodAffinityTerm(
            50,
            PodAffinityTerm(
                LabelSelector(requirements=(Requirement("tier", Operator.IN, ("frontend",)),)),
                "topology.kubernetes.io/zone",
            ),
        ),
    )
    assert spec.preferred_affinity == (
        WeightedPodAffinityTerm(
            10,
            PodAffinityTerm(
                LabelSelector((("app.kubernetes.io/name", "cache"),)),
                "topology.kubernetes.io/zone",
                ("shop", "platform"),
            ),
        ),
    )


def test_affinity_term_without_label_selector_matches_no_pod(tmp_path: Path) -> None:
    found = pod(
        tmp_path,
        """  affinity:
    podAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        - topologyKey: kubernetes.io/hostname
    podAntiAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        - topologyKey: kubernetes.io/hostname
          labelSelector: {}
""",
    )
    (missing,) = found.spec.affinity
    (empty,) = found.spec.anti_affinity
    assert not missing.selector.matches({"app": "p"})
    assert not missing.selector.matches({})
    assert empty.selector.matches({"anything": "at all"})


def test_match_label_keys_and_mismatch_label_keys_use_the_pods_labels(tmp_path: Path) -> None:
    found = pod(
        tmp_path,
        """  affinity:
    podAntiAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        - topologyKey: kubernetes.io/hostname
          labelSelector: {matchLabels: {app: p}}
          matchLabelKeys: [track, absent]
          mismatchLabelKeys: [app]
""",
    )
    (term,) = found.spec.anti_affinity
    assert term.selector.requirements == (
        Requirement("track", Operator.IN, ("canary",)),
        Requirement("app", Operator.NOT_IN, ("p",)),
    )


def test_namespace_selector_resolves_against_known_namespaces(tmp_path: Path) -> None:
    (tmp_path / "ns.yaml").write_text(
        """apiVersion: v1
kind: Namespace
metadata: {name: team-a, labels: {team: a}}
---
apiVersion: v1
kind: Namespace
metadata: {name: team-b, labels: {team: b}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: c, namespace: other}
"""
    )
    (tmp_path / "pod.yaml").write_text(
        """apiVersion: v1
kind: Pod
metadata: {name: p, namespace: team-a}
spec:
  containers: [{name: c, image: x}]
  affinity:
    podAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        - topologyKey: topology.kubernetes.io/zone
          labelSelector: {matchLabels: {app: db}}
          namespaceSelector: {matchLabels: {team: b}}
          namespaces: [extra]
        - topologyKey: topology.kubernetes.io/zone
          labelSelector: {matchLabels: {app: db}}
          namespaceSelector: {}
        - topologyKey: topology.kubernetes.io/zone
          labelSelector: {matchLabels: {app: db}}
          namespaceSelector: {matchLabels: {team: nobody}}
"""
    )
    (found,) = load_workload([tmp_path]).pods
    chosen, everywhere, nowhere = found.spec.affinity
    assert chosen.namespaces == ("extra", "team-b")
    # Namespaces named only by the objects in them are known too (ConfigMap's "other").
    assert everywhere.namespaces == ("other", "team-a", "team-b")
    assert nowhere.namespaces == ()
    assert not nowhere.selector.matches({"app": "db"})


def test_topology_spread_constraints() -> None:
    web_selector = LabelSelector((("app.kubernetes.io/name", "web"),))
    assert web().spec.spread == (
        TopologySpreadConstraint(
            1, "topology.kubernetes.io/zone", WhenUnsatisfiable.DO_NOT_SCHEDULE, web_selector, 3
        ),
        TopologySpreadConstraint(
            2, "kubernetes.io/hostname", WhenUnsatisfiable.SCHEDULE_ANYWAY, web_selector, 1
        ),
    )


def test_spread_without_selector_counts_no_pod_and_match_label_keys(tmp_path: Path) -> None:
    found = pod(
        tmp_path,
        """  topologySpreadConstraints:
    - {maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: DoNotSchedule}
    - maxSkew: 1
      topologyKey: kubernetes.io/hostname
      whenUnsatisfiable: ScheduleAnyway
      labelSelector: {matchLabels: {app: p}}
      matchLabelKeys: [track]
""",
    )
    without, with_keys = found.spec.spread
    assert not without.selector.matches({"app": "p"})
    assert without.min_domains == 1
    assert with_keys.selector.matches({"app": "p", "track": "canary"})
    assert not with_keys.selector.matches({"app": "p", "track": "stable"})


def test_equal_specs_compare_equal_across_replicas() -> None:
    pods = load_workload([MANIFESTS / "shop" / "web.yaml"]).pods
    assert len({p.spec for p in pods}) == 1
