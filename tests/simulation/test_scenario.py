from __future__ import annotations

import copy
import dataclasses
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from spotwise.errors import UserError
from spotwise.model.instance_type import CapacityType
from spotwise.model.labels import KARPENTER_CAPACITY_TYPE, ZONE
from spotwise.model.resources import NVIDIA_GPU
from spotwise.simulator.scenario import (
    MarketSettings,
    bundled_scenarios,
    default_scenario,
    load_scenario,
)
from spotwise.simulator.scenario_words import scenario_words
from spotwise.simulator.workloads import Constant, Diurnal, Spike, Steps

FULL = """\
apiVersion: spotwise.io/v1alpha1
kind: Scenario
metadata: {name: shop}
spec:
  region: us-west-2
  hours: 6.5
  seed: 42
  start: 7
  deployments:
    - name: web
      namespace: shop
      requests: {cpu: 250m, memory: 512Mi}
      replicas: {diurnal: {min: 10, max: 100, peakHour: 14}}
      pdb: {maxUnavailable: 10%}
      spread: zone
      terminationGracePeriodSeconds: 45
      startupSeconds: 20.5
    - name: worker
      requests: {cpu: 1, memory: 1Gi}
      replicas:
        steps:
          - {atHour: 0, replicas: 4}
          - {atHour: 9.5, replicas: 12}
    - name: api
      requests: {cpu: 100m, memory: 128Mi, nvidia.com/gpu: 1}
      replicas: {spike: {base: 5, peak: 50, atHour: 18, durationHours: 1}}
      pdb: {minAvailable: 2}
    - name: db-proxy
      namespace: pay
      requests: {cpu: 500m, memory: 1Gi}
      replicas: 3
      onDemand: true
      antiAffinity: true
  jobs:
    - name: train
      namespace: ml
      requests: {cpu: 4, memory: 16Gi}
      arrivalsPerHour: 0.5
      durationMinutes: 90
      parallelism: 2
      gpu: 1
      onDemand: true
  market:
    bootSeconds: 60
    joinSeconds: 20
    interruptionScale: 2
    rebalanceShare: 0.25
    rebalanceLeadMinutes: [1, 5]
    correlation: 1
    shortagesPerPoolPerDay: 0.1
    shortageMinutes: [5, 30]
  pools:
    - apiVersion: spotwise.io/v1alpha1
      kind: NodePool
      metadata: {name: general}
      spec: {capacityTypes: [spot], weight: 10}
    - apiVersion: spotwise.io/v1alpha1
      kind: NodePool
      metadata: {name: fallback}
"""

MINIMAL = """\
apiVersion: spotwise.io/v1alpha1
kind: Scenario
metadata: {name: tiny}
"""


def _write(folder: Path, text: str, name: str = "scenario.yaml") -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _document() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(FULL)
    return copy.deepcopy(document)


def test_full_scenario(tmp_path: Path) -> None:
    scenario = load_scenario(_write(tmp_path, FULL))
    assert (scenario.name, scenario.region, scenario.hours) == ("shop", "us-west-2", 6.5)
    assert (scenario.seed, scenario.start_hour) == (42, 7)
    assert scenario.base is None
    web, worker, api, proxy = scenario.deployments
    assert (web.name, web.namespace, worker.namespace) == ("web", "shop", "default")
    assert web.replicas == Diurnal(10, 100, 14)
    assert worker.replicas == Steps(((0, 4), (9.5, 12)))
    assert api.replicas == Spike(5, 50, 18, 1)
    assert proxy.replicas == Constant(3)
    assert web.pod.requests.cpu_milli == 250
    assert web.pod.requests.memory_bytes == 512 * 2**20
    assert web.pod.requests.pods == 1
    assert api.pod.requests.get(NVIDIA_GPU) == 1
    assert [c.topology_key for c in web.pod.spread] == [ZONE]
    assert web.pdb is not None and web.pdb.max_unavailable == "10%"
    assert api.pdb is not None and api.pdb.min_available == 2
    assert worker.pdb is None
    assert (web.grace_seconds, web.startup_seconds) == (45, 20.5)
    assert (worker.grace_seconds, worker.startup_seconds) == (30, 10)
    assert proxy.on_demand and not web.on_demand
    assert dict(proxy.pod.node_selector) == {KARPENTER_CAPACITY_TYPE: "on-demand"}
    assert len(proxy.pod.anti_affinity) == 1
    (train,) = scenario.jobs
    assert (train.name, train.namespace, train.parallelism) == ("train", "ml", 2)
    assert (train.arrivals_per_hour, train.duration_minutes) == (0.5, 90)
    assert train.pod.requests.get(NVIDIA_GPU) == 1
    assert train.on_demand
    assert scenario.market == MarketSettings(60, 20, 2, 0.25, (1, 5), 1, 0.1, (5, 30))
    assert [p.name for p in scenario.nodepools] == ["general", "fallback"]
    assert scenario.nodepools[0].spec.capacity_types == (CapacityType.SPOT,)


def test_minimal_scenario_takes_the_defaults(tmp_path: Path) -> None:
    scenario = load_scenario(_write(tmp_path, MINIMAL))
    assert (scenario.name, scenario.region, scenario.hours) == ("tiny", "us-east-1", 24)
    assert (scenario.seed, scenario.start_hour) == (1, 0)
    assert (scenario.deployments, scenario.jobs, scenario.nodepools) == ((), (), ())
    assert scenario.base is None
    assert scenario.market == MarketSettings()
    assert scenario.market.rebalance_lead_minutes == (2.0, 10.0)
    assert scenario.market.shortage_minutes == (10.0, 60.0)
    assert (scenario.market.boot_seconds, scenario.market.join_seconds) == (75, 15)
    assert scenario.warm_up_seconds == 15 * 60


def test_warm_up_is_read_in_minutes_and_may_be_off(tmp_path: Path) -> None:
    warm = load_scenario(_write(tmp_path, MINIMAL + "spec:\n  warmUpMinutes: 2.5\n"))
    assert warm.warm_up_seconds == 150
    cold = load_scenario(_write(tmp_path, MINIMAL + "spec:\n  warmUpMinutes: 0.0\n"))
    assert cold.warm_up_seconds == 0


def test_clock_hours_count_from_the_start(tmp_path: Path) -> None:
    scenario = load_scenario(_write(tmp_path, FULL))  # starts at 7
    assert scenario.clock_hour(0) == 7
    assert scenario.clock_hour(5400) == 8.5
    web = scenario.deployments[0]
    # 7 hours after the run starts it is 14:00, web's peak.
    assert web.replicas.at(scenario.clock_hour(7 * 3600)) == 100
    assert scenario.replicas_at(7 * 3600) == 100 + 12 + 5 + 3  # web, worker, api, db-proxy
    # The warm-up before the run (negative seconds) holds the start hour's load.
    assert scenario.clock_hour(-600) == 7


MANIFESTS = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: static, namespace: base}
spec:
  replicas: 2
  selector: {matchLabels: {app: static}}
  template:
    metadata: {labels: {app: static}}
    spec:
      containers: [{name: c, image: x, resources: {requests: {cpu: 100m, memory: 64Mi}}}]
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: kube-system}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      containers: [{name: c, image: x, resources: {requests: {cpu: 50m, memory: 32Mi}}}]
"""


def test_manifests_are_read_relative_to_the_scenario_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path, MANIFESTS, "k8s/base.yaml")
    other = MANIFESTS.replace("static", "other").replace("agent", "logs")
    _write(tmp_path, other, "k8s/more/other.yaml")
    scenario_path = _write(
        tmp_path, MINIMAL + "spec:\n  manifests: [../k8s/base.yaml, ../k8s/more]\n", "s/a.yaml"
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    scenario = load_scenario(scenario_path)
    assert scenario.base is not None
    assert sorted(p.key for p in scenario.base.pods) == [
        "base/other-0",
        "base/other-1",
        "base/static-0",
        "base/static-1",
    ]
    assert sorted(scenario.base.daemonset_owners) == ["DaemonSet/agent", "DaemonSet/logs"]


def test_a_missing_manifest_names_the_field(tmp_path: Path) -> None:
    path = _write(tmp_path, MINIMAL + "spec:\n  manifests: [gone.yaml]\n")
    with pytest.raises(UserError) as caught:
        load_scenario(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: document 1: spec.manifests[0]: 'gone.yaml' does not exist")
    assert "relative to the scenario file" in message


def test_a_bad_manifest_names_the_manifest(tmp_path: Path) -> None:
    _write(tmp_path, "kind: Pod\nmetadata: {name: p}\nspec: {}\n", "bad.yaml")
    path = _write(tmp_path, MINIMAL + "spec:\n  manifests: [bad.yaml]\n")
    with pytest.raises(UserError, match=r"bad\.yaml, document 1: spec\.containers: is required"):
        load_scenario(path)


def _set(document: dict[str, Any], path: str, value: Any) -> None:
    """Set ``a.b[0].c`` in a document; a value of ``...`` deletes the key."""
    keys: list[str | int] = []
    for part in path.split("."):
        name, _, index = part.partition("[")
        keys.append(name)
        if index:
            keys.append(int(index.rstrip("]")))
    node: Any = document
    for key in keys[:-1]:
        node = node[key]
    if value is ...:
        del node[keys[-1]]
    else:
        node[keys[-1]] = value


SCHEMA_ERRORS = [
    # (field to set, value, expected "field: problem" prefix, text in the fix)
    ("spec.replicaz", 3, "spec.replicaz: is not a field here", "use one of region, hours"),
    (
        "spec.deployments[0].onDemnd",
        True,
        "spec.deployments[0].onDemnd: is not a field here",
        "onDemand, pdb, spread, antiAffinity",
    ),
    (
        "spec.deployments[0].replicas",
        {"diurnl": {"min": 1, "max": 2, "peakHour": 3}},
        "spec.deployments[0].replicas.diurnl: is not a field here",
        "use one of diurnal, steps, spike",
    ),
    (
        "spec.deployments[0].requests.cpu",
        "lots",
        "spec.deployments[0].requests.cpu: ",
        "docs/scenarios.md",
    ),
    (
        "spec.deployments[0].requests.memory",
        "1 GB",
        "spec.deployments[0].requests.memory: ",
        "docs/scenarios.md",
    ),
    (
        "spec.deployments[0].requests",
        {"cpu": "1"},
        "spec.deployments[0].requests.memory: is required",
        "docs/scenarios.md",
    ),
    (
        "spec.deployments[0].replicas",
        {"diurnal": {"min": 10, "max": 5, "peakHour": 3}},
        "spec.deployments[0].replicas.diurnal: min 10 is more than max 5",
        "",
    ),
    (
        "spec.deployments[0].replicas",
        {"diurnal": {"min": 1, "max": 5, "peakHour": 24}},
        "spec.deployments[0].replicas.diurnal.peakHour: Input should be less than 24",
        "",
    ),
    (
        "spec.deployments[0].replicas",
        {
            "diurnal": {"min": 1, "max": 5, "peakHour": 3},
            "spike": {"base": 1, "peak": 2, "atHour": 1, "durationHours": 1},
        },
        "spec.deployments[0].replicas: gives diurnal and spike; give exactly one",
        "",
    ),
    (
        "spec.deployments[0].replicas",
        {"steps": [{"atHour": 5, "replicas": 1}, {"atHour": 2, "replicas": 3}]},
        "spec.deployments[0].replicas: steps must be in order of increasing atHour",
        "",
    ),
    (
        "spec.deployments[0].replicas",
        {"steps": []},
        "spec.deployments[0].replicas.steps: ",
        "",
    ),
    (
        "spec.deployments[0].replicas",
        {"spike": {"base": 10, "peak": 2, "atHour": 1, "durationHours": 1}},
        "spec.deployments[0].replicas.spike: peak 2 is below base 10",
        "",
    ),
    (
        "spec.deployments[0].replicas",
        {"spike": {"base": 1, "peak": 2, "atHour": 1, "durationHours": 0}},
        "spec.deployments[0].replicas.spike.durationHours: Input should be greater than 0",
        "",
    ),
    (
        "spec.deployments[0].replicas",
        "three",
        "spec.deployments[0].replicas: is neither a replica count nor a curve",
        "",
    ),
    (
        "spec.deployments[0].replicas",
        True,
        "spec.deployments[0].replicas: is neither a replica count nor a curve",
        "",
    ),
    (
        "spec.deployments[0].replicas",
        -1,
        "spec.deployments[0].replicas: Input should be greater than or equal to 0",
        "",
    ),
    (
        "spec.deployments[0].pdb",
        {"minAvailable": 1, "maxUnavailable": 1},
        "spec.deployments[0].pdb: give exactly one of minAvailable or maxUnavailable",
        "",
    ),
    (
        "spec.deployments[0].pdb",
        {"minAvailable": "150%"},
        "spec.deployments[0].pdb.minAvailable: '150%' is not a count or a percentage",
        "",
    ),
    (
        "spec.deployments[0].spread",
        "zones",
        "spec.deployments[0].spread: Input should be 'zone', 'hostname' or 'none'",
        "",
    ),
    (
        "spec.deployments[0].name",
        "Web_1",
        "spec.deployments[0].name: 'Web_1' is not a DNS label",
        "",
    ),
    (
        "spec.deployments[0].terminationGracePeriodSeconds",
        "30s",
        "spec.deployments[0].terminationGracePeriodSeconds: Input should be a valid number",
        "",
    ),
    (
        "spec.jobs[0].arrivalsPerHour",
        -1,
        "spec.jobs[0].arrivalsPerHour: Input should be greater",
        "",
    ),
    ("spec.jobs[0].parallelism", 0, "spec.jobs[0].parallelism: Input should be greater", ""),
    ("spec.jobs[0].durationMinutes", ..., "spec.jobs[0].durationMinutes: is required", ""),
    ("spec.market.rebalanceShare", 1.5, "spec.market.rebalanceShare: Input should be less", ""),
    (
        "spec.market.shortageMinutes",
        [60, 10],
        "spec.market.shortageMinutes: [60, 10] is not a range",
        "",
    ),
    ("spec.market.bootSecond", 3, "spec.market.bootSecond: is not a field here", "bootSeconds"),
    ("spec.hours", 0, "spec.hours: Input should be greater than 0", ""),
    ("spec.start", 24, "spec.start: Input should be less than 24", ""),
    ("spec.seed", "1", "spec.seed: Input should be a valid integer", ""),
    ("spec.region", "mars", "spec.region: 'mars' is not an AWS region", ""),
    ("kind", "NodePool", "kind: Input should be 'Scenario'", ""),
    ("metadata", ..., "metadata: is required", ""),
    (
        "spec.pools[0].spec.instanceType",
        ["m5.large"],
        "spec.pools[0].spec.instanceType: is not a field here",
        "instanceTypes, capacityTypes",
    ),
    (
        "spec.pools[0].spec.capacityTypes",
        ["spotty"],
        "spec.pools[0].spec.capacityTypes[0]: Input should be",
        "docs/nodepool.md",
    ),
]


@pytest.mark.parametrize(("field", "value", "expected", "fix"), SCHEMA_ERRORS)
def test_schema_errors_are_one_line_naming_file_and_field(
    tmp_path: Path, field: str, value: Any, expected: str, fix: str
) -> None:
    document = _document()
    _set(document, field, value)
    path = _write(tmp_path, yaml.safe_dump(document, sort_keys=False))
    with pytest.raises(UserError) as caught:
        load_scenario(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: document 1: {expected}"), message
    assert fix in message


def test_gpus_given_twice_in_a_job(tmp_path: Path) -> None:
    document = _document()
    document["spec"]["jobs"][0]["requests"][NVIDIA_GPU] = 1
    path = _write(tmp_path, yaml.safe_dump(document))
    with pytest.raises(UserError, match=r"spec\.jobs\[0\]: gives GPUs twice"):
        load_scenario(path)


def test_a_bad_gpu_count_is_quoted_in_the_path(tmp_path: Path) -> None:
    document = _document()
    document["spec"]["deployments"][2]["requests"][NVIDIA_GPU] = "one"
    path = _write(tmp_path, yaml.safe_dump(document))
    with pytest.raises(UserError, match=r"spec\.deployments\[2\]\.requests\['nvidia\.com/gpu'\]: "):
        load_scenario(path)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda d: d["spec"]["jobs"].append(
                {**d["spec"]["jobs"][0], "namespace": "shop", "name": "web"}
            ),
            "spec.jobs[1].name: shop/web is already the name of spec.deployments[0]",
        ),
        (
            lambda d: d["spec"]["deployments"].append(d["spec"]["deployments"][1]),
            "spec.deployments[4].name: default/worker is already the name of spec.deployments[1]",
        ),
        (
            lambda d: d["spec"]["pools"].append(d["spec"]["pools"][0]),
            "spec.pools[2].metadata.name: 'general' is already the name of spec.pools[0]",
        ),
    ],
)
def test_names_are_unique(tmp_path: Path, edit: Any, expected: str) -> None:
    document = _document()
    edit(document)
    path = _write(tmp_path, yaml.safe_dump(document))
    with pytest.raises(UserError) as caught:
        load_scenario(path)
    assert str(caught.value).startswith(f"{path}: document 1: {expected}")


def test_the_same_name_in_another_namespace_is_fine(tmp_path: Path) -> None:
    document = _document()
    document["spec"]["jobs"][0]["name"] = "web"  # in ml, not shop
    scenario = load_scenario(_write(tmp_path, yaml.safe_dump(document)))
    assert scenario.jobs[0].name == "web"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "holds no Scenario document"),
        ("# nothing\n", "holds no Scenario document"),
        (MINIMAL + "---\n" + MINIMAL, "document 2: is a second document"),
        ("- a\n- b\n", "document 1: is not a mapping"),
        ("spec: [\n", "is not valid YAML at line 2"),
        (MINIMAL + "metadata: {name: again}\n", "is not valid YAML at line 4: key 'metadata'"),
    ],
)
def test_file_errors(tmp_path: Path, text: str, expected: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(UserError) as caught:
        load_scenario(path)
    assert str(caught.value).startswith(str(path))
    assert expected in str(caught.value)


def test_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="cannot be read"):
        load_scenario(tmp_path / "nope.yaml")


def test_snake_case_keys_are_refused(tmp_path: Path) -> None:
    text = MINIMAL + "spec:\n  market: {boot_seconds: 3}\n"
    with pytest.raises(UserError, match=r"spec\.market\.boot_seconds: is not a field here"):
        load_scenario(_write(tmp_path, text))


# -- the bundled scenario ------------------------------------------------------------------


def test_default_scenario_is_a_day_of_about_5000_pods() -> None:
    scenario = default_scenario()
    assert "default" in bundled_scenarios()
    assert (scenario.name, scenario.region, scenario.hours, scenario.start_hour) == (
        "default",
        "us-east-1",
        24,
        0,
    )
    at, replicas = scenario.peak_replicas()
    assert 4500 <= replicas <= 5500
    assert 17 <= scenario.clock_hour(at) < 19  # the API's burst on top of the evening
    assert scenario.replicas_at(6 * 3600) < replicas / 2  # the night is quiet
    peak_hour = scenario.clock_hour(at)
    cpu = sum(d.pod.requests.cpu_milli * d.replicas.at(peak_hour) for d in scenario.deployments)
    assert 1500_000 <= cpu <= 2500_000  # millicores: about 200 nodes' worth


def test_default_scenario_has_the_promised_mix() -> None:
    scenario = default_scenario()
    curves = {type(d.replicas) for d in scenario.deployments}
    assert {Diurnal, Steps, Spike} <= curves
    assert [d.name for d in scenario.deployments if d.on_demand] == ["payments-db-proxy"]
    assert sum(d.pdb is not None for d in scenario.deployments) >= 5
    assert any(d.pod.spread for d in scenario.deployments)
    peaks = {d.replicas.peak_hour for d in scenario.deployments if isinstance(d.replicas, Diurnal)}
    assert len(peaks) >= 3
    gpu_streams = [j for j in scenario.jobs if j.pod.requests.get(NVIDIA_GPU)]
    assert len(gpu_streams) == 1 and gpu_streams[0].arrivals_per_hour <= 1
    assert len(scenario.jobs) >= 2
    sizes = [d.pod.requests for d in scenario.deployments]
    assert min(r.cpu_milli for r in sizes) == 100
    assert max(r.memory_bytes for r in sizes) == 16 * 2**30
    assert scenario.base is not None
    assert len(scenario.base.daemonsets) == 4
    pools = {p.name: p.spec for p in scenario.nodepools}
    assert list(pools) == ["general", "gpu"]
    (taint,) = pools["gpu"].taints
    assert (taint.key, taint.effect) == (NVIDIA_GPU, "NoSchedule")
    gpu_pod = gpu_streams[0].pod
    assert any(t.key == NVIDIA_GPU and t.effect == "NoSchedule" for t in gpu_pod.tolerations)
    assert not any(t.key == NVIDIA_GPU for d in scenario.deployments for t in d.pod.tolerations)


def test_docs_example_loads(tmp_path: Path) -> None:
    docs = Path(__file__).parents[2] / "docs" / "scenarios.md"
    text = docs.read_text()
    example = text.split("```yaml\n", 1)[1].split("```", 1)[0]
    _write(tmp_path, MANIFESTS, "k8s/addons.yaml")
    scenario = load_scenario(_write(tmp_path, textwrap.dedent(example)))
    assert scenario.deployments and scenario.jobs


def test_the_scenario_in_words_comes_from_its_settings() -> None:
    small = load_scenario(Path(__file__).parent / "small.yaml")
    words = scenario_words(small)
    assert "4 Deployments (at most 77 replicas together), 1 Job stream and 0 pods" in words
    assert "one default pool of every type, in us-east-1 from hour 8" in words
    assert "interruption hazard 10000x the Spot Advisor's rates" in words
    calm = dataclasses.replace(small, market=dataclasses.replace(small.market, correlation=0.2))
    assert "a reclaim taking 20% of its pool's nodes" in scenario_words(calm)
