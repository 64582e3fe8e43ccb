"""Effective pod requests: sidecars and init containers (KEP-753), limits, overhead."""

from __future__ import annotations

from pathlib import Path

from spotwise.kubernetes.manifests import load_workload
from spotwise.model.pod import Pod
from spotwise.model.resources import Resources

MANIFESTS = Path(__file__).parent / "manifests"
MI = 2**20
GI = 2**30


def load_text(tmp_path: Path, text: str) -> tuple[Pod, ...]:
    path = tmp_path / "pods.yaml"
    path.write_text(text)
    return load_workload([path]).pods


def pod(tmp_path: Path, spec: str) -> Pod:
    text = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n" + spec
    (found,) = load_text(tmp_path, text)
    return found


def by_name() -> dict[str, Pod]:
    return {p.name: p for p in load_workload([MANIFESTS / "kep753.yaml"]).pods}


def test_sidecar_before_init_container_adds_to_its_peak() -> None:
    # init 1000m runs while sidecar 500m already runs: 1500m beats 2x250m + 500m.
    assert by_name()["sidecar-first"].spec.requests == Resources(1500, 500 * MI, 1)


def test_init_container_before_sidecar_runs_alone() -> None:
    # init 1000m alone, then sidecar 500m + 2x250m = 1000m for the rest of the pod's life.
    assert by_name()["init-first"].spec.requests == Resources(1000, 500 * MI, 1)


def test_classic_init_container_max_then_overhead() -> None:
    kata = by_name()["kata"]
    assert kata.namespace == "sandbox"
    assert kata.spec.requests == Resources(2000 + 250, GI + 120 * MI, 1)


def test_several_sidecars_accumulate_for_later_init_containers(tmp_path: Path) -> None:
    found = pod(
        tmp_path,
        """  initContainers:
    - {name: a, image: x, restartPolicy: Always, resources: {requests: {cpu: 100m}}}
    - {name: b, image: x, resources: {requests: {cpu: 700m}}}
    - {name: c, image: x, restartPolicy: Always, resources: {requests: {cpu: 200m}}}
    - {name: d, image: x, resources: {requests: {cpu: 600m}}}
  containers:
    - {name: main, image: x, resources: {requests: {cpu: 50m}}}
""",
    )
    # b: 700+100 = 800; d: 600+100+200 = 900; running: 50+100+200 = 350.
    assert found.spec.requests.cpu_milli == 900


def test_limits_default_missing_requests_per_resource(tmp_path: Path) -> None:
    found = pod(
        tmp_path,
        """  containers:
    - name: app
      image: x
      resources:
        requests: {cpu: 100m}
        limits: {cpu: "2", memory: 1Gi, nvidia.com/gpu: 2}
""",
    )
    # cpu keeps its request; memory and the GPU take their limits.
    assert found.spec.requests == Resources(100, GI, 1, (("nvidia.com/gpu", 2),))


def test_init_container_limits_default_too(tmp_path: Path) -> None:
    found = pod(
        tmp_path,
        """  initContainers:
    - {name: init, image: x, resources: {limits: {cpu: "3"}}}
  containers:
    - {name: app, image: x}
""",
    )
    assert found.spec.requests.cpu_milli == 3000


def test_no_requests_is_one_pod_slot_only(tmp_path: Path) -> None:
    found = pod(tmp_path, "  containers:\n    - {name: app, image: x}\n")
    assert found.spec.requests == Resources(pods=1)


def test_extended_resources_and_ephemeral_storage_count_others_are_ignored(
    tmp_path: Path,
) -> None:
    found = pod(
        tmp_path,
        """  containers:
    - name: trainer
      image: x
      resources:
        requests: {cpu: 4, memory: 16Gi, ephemeral-storage: 20Gi, vpc.amazonaws.com/efa: 1,
                   hugepages-2Mi: 1Gi}
        limits: {nvidia.com/gpu: 1}
    - name: sidecar
      image: x
      resources: {limits: {nvidia.com/gpu: 1}}
""",
    )
    assert found.spec.requests == Resources(
        4000, 16 * GI, 1, (("nvidia.com/gpu", 2), ("vpc.amazonaws.com/efa", 1)), 20 * GI
    )


def test_pod_level_resources_replace_the_container_sum(tmp_path: Path) -> None:
    found = pod(
        tmp_path,
        """  resources:
    requests: {cpu: "1"}
    limits: {cpu: "2", memory: 2Gi}
  overhead: {cpu: 100m}
  containers:
    - {name: a, image: x, resources: {requests: {cpu: 100m, memory: 100Mi}}}
    - {name: b, image: x}
""",
    )
    # cpu: the pod-level request; memory: a container requests it, so the sum stands.
    assert found.spec.requests == Resources(1100, 100 * MI, 1)


def test_pod_level_limit_defaults_request_when_no_container_requests(tmp_path: Path) -> None:
    found = pod(
        tmp_path,
        """  resources:
    limits: {memory: 3Gi}
  containers:
    - {name: a, image: x, resources: {requests: {cpu: 100m}}}
""",
    )
    assert found.spec.requests == Resources(100, 3 * GI, 1)
