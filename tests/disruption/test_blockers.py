"""What keeps a node from voluntary disruption: each rule, and what overrides it."""

import dataclasses

import pytest

from scheduling.builders import node, spec
from spotwise.decisions.disruption.blockers import (
    SCALE_DOWN_DISABLED,
    Blocker,
    node_blockers,
    pod_blockers,
)
from spotwise.kubernetes.api import objects
from spotwise.kubernetes.manifests import load_workload
from spotwise.kubernetes.manifests.volumes import VolumeIndex
from spotwise.model.disruption_hints import NO_HINTS, DisruptionHints, hints_of
from spotwise.model.duration import parse_duration
from spotwise.model.pod import Pod

NOW = 1_000_000.0


def pod(name="p", owner="Deployment/web", labels=None, **hints) -> Pod:
    s = spec(labels=labels or {"app": "web"})
    return Pod(name, s, owner=owner, hints=DisruptionHints(**hints) if hints else NO_HINTS)


def kinds(found) -> list[Blocker]:
    return [b.blocker for b in found]


def test_a_pod_of_a_deployment_with_nothing_set_does_not_block():
    assert pod_blockers(pod(), NOW) == []


@pytest.mark.parametrize("value", ["true", "8h"])
def test_do_not_disrupt_blocks_for_ever_or_for_a_duration_from_the_pods_start(value):
    guarded = dataclasses.replace(pod(do_not_disrupt=value), started_at=NOW - 3600)
    assert kinds(pod_blockers(guarded, NOW)) == [Blocker.DO_NOT_DISRUPT]


def test_a_do_not_disrupt_duration_ends_and_other_values_do_not_hold():
    expired = dataclasses.replace(pod(do_not_disrupt="30m"), started_at=NOW - 3600)
    assert pod_blockers(expired, NOW) == []
    assert pod_blockers(pod(do_not_disrupt="false"), NOW) == []
    # A duration with no known start holds: the safe side.
    assert kinds(pod_blockers(pod(do_not_disrupt="30m"), NOW)) == [Blocker.DO_NOT_DISRUPT]


def test_spot_oceans_label_and_cluster_autoscalers_annotation_block():
    ocean = pod(labels={"app": "web", "spotinst.io/restrict-scale-down": "true"})
    assert kinds(pod_blockers(ocean, NOW)) == [Blocker.RESTRICT_SCALE_DOWN]
    assert kinds(pod_blockers(pod(safe_to_evict=False), NOW)) == [Blocker.NOT_SAFE_TO_EVICT]


def test_local_storage_blocks_unless_listed_or_safe_to_evict():
    local = pod(local_volumes=("cache", "scratch"))
    (found,) = pod_blockers(local, NOW)
    assert found.blocker is Blocker.LOCAL_STORAGE
    assert "cache, scratch" in found.detail
    listed = pod(local_volumes=("cache", "scratch"), safe_local_volumes=("cache", "scratch"))
    assert pod_blockers(listed, NOW) == []
    half = pod(local_volumes=("cache", "scratch"), safe_local_volumes=("cache",))
    assert "scratch" in pod_blockers(half, NOW)[0].detail
    assert pod_blockers(pod(local_volumes=("cache",), safe_to_evict=True), NOW) == []


def test_a_bare_pod_blocks_unless_safe_to_evict():
    assert kinds(pod_blockers(pod(owner=""), NOW)) == [Blocker.NO_CONTROLLER]
    assert kinds(pod_blockers(pod(owner="Pod/one"), NOW)) == [Blocker.NO_CONTROLLER]
    assert pod_blockers(pod(owner="", safe_to_evict=True), NOW) == []


def test_a_budget_blocks_even_a_pod_safe_to_evict():
    found = pod_blockers(pod(safe_to_evict=True), NOW, budget_blocked=True)
    assert kinds(found) == [Blocker.BUDGET]


def test_daemonset_and_terminating_pods_never_block():
    daemon = dataclasses.replace(pod(owner="", do_not_disrupt="true"), per_node=True)
    going = dataclasses.replace(pod(owner=""), terminating=True)
    assert pod_blockers(daemon, NOW) == pod_blockers(going, NOW) == []


def test_a_node_is_kept_by_its_annotation_its_pool_and_each_of_its_pods():
    n = node("n1", bound=(pod("a"), pod("b", owner=""), pod("c")))
    n = dataclasses.replace(n, annotations={SCALE_DOWN_DISABLED: "true"})
    found = node_blockers(n, NOW, pool_restricts=True, budget_blocked={"default/c"})
    assert [(b.blocker, b.subject) for b in found] == [
        (Blocker.NODE_SCALE_DOWN_DISABLED, "n1"),
        (Blocker.POOL_RESTRICTS_SCALE_DOWN, "n1"),
        (Blocker.NO_CONTROLLER, "default/b"),
        (Blocker.BUDGET, "default/c"),
    ]


def test_hints_are_read_from_annotations_and_volumes():
    found = hints_of(
        {
            "karpenter.sh/do-not-disrupt": "true",
            "cluster-autoscaler.kubernetes.io/safe-to-evict": "False",
            "cluster-autoscaler.kubernetes.io/safe-to-evict-local-volumes": "a, b",
        },
        [("a", "emptyDir"), ("m", "emptyDir-memory"), ("h", "hostPath"), ("c", "other")],
    )
    assert found == DisruptionHints("true", False, ("a", "b"), ("a", "h"))
    assert hints_of({"other": "x"}, [("m", "emptyDir-memory")]) is NO_HINTS


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("0", 0.0), ("90s", 90.0), ("1h30m", 5400.0), ("0.5h", 1800.0), ("250ms", 0.25)],
)
def test_go_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "10", "1d", "-5m", "5m 3s", "m", "true"])
def test_what_is_not_a_go_duration(text):
    assert parse_duration(text) is None


GUARDED = """apiVersion: apps/v1
kind: Deployment
metadata: {name: db}
spec:
  selector: {matchLabels: {app: db}}
  template:
    metadata:
      labels: {app: db}
      annotations: {karpenter.sh/do-not-disrupt: "true"}
    spec:
      containers: [{name: c, image: x}]
      volumes:
      - {name: scratch, emptyDir: {}}
      - {name: shm, emptyDir: {medium: Memory}}
      - {name: logs, hostPath: {path: /var/log}}
"""


def test_a_workloads_pods_carry_the_hints_of_its_template(tmp_path):
    path = tmp_path / "db.yaml"
    path.write_text(GUARDED)
    (db,) = load_workload([path]).pods
    assert db.hints == DisruptionHints("true", None, (), ("scratch", "logs"))


def test_a_live_pod_keeps_its_local_volumes_and_start_through_the_informers_trim():
    obj = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "db-0",
            "namespace": "default",
            "annotations": {"cluster-autoscaler.kubernetes.io/safe-to-evict": "true"},
        },
        "spec": {
            "nodeName": "n1",
            "containers": [{"name": "c", "image": "x"}],
            "volumes": [{"name": "scratch", "emptyDir": {}}],
        },
        "status": {"phase": "Running", "startTime": "2026-12-04T17:00:00Z"},
    }
    live = objects.live_pod(objects.trim_pod(obj), objects.namespaces([]), VolumeIndex([], {}))
    assert live.pod.hints == DisruptionHints(None, True, (), ("scratch",))
    assert live.pod.started_at == 1796403600.0
