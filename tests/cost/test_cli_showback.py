"""`spotwise cost showback` from files and from a live cluster (the API test server)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from spotwise.catalog.bundled import load_bundled
from spotwise.cli.app import main
from spotwise.model.instance_type import CapacityType
from spotwise.testing.kubeapi import KubeApiServer

CLUSTER = Path(__file__).parents[2] / "examples" / "cost" / "cluster"
FILES = ["-f", str(CLUSTER / "pods.yaml"), "--nodes", str(CLUSTER / "nodes.yaml")]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict, str]:
    code = main(["cost", "showback", *args, "-o", "json"])
    out, err = capsys.readouterr()
    return code, json.loads(out) if code == 0 else {}, err


def test_the_example_cluster_by_namespace_adds_up_to_its_nodes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, found, err = run(capsys, *FILES)
    assert (code, err) == (0, "")
    catalog = load_bundled()
    prices = [
        catalog.offerings_of("m5.large", CapacityType.ON_DEMAND, ["us-east-1a"])[0].price,
        catalog.offerings_of("m6g.xlarge", CapacityType.SPOT, ["us-east-1b"])[0].price,
    ]
    assert found["total_per_hour"] == pytest.approx(sum(prices), abs=1e-6)
    lines = {line["name"]: line for line in found["lines"]}
    assert list(lines) == ["shop", "data", "__idle__"]
    assert sum(line["total_per_hour"] for line in found["lines"]) == pytest.approx(
        found["total_per_hour"], abs=1e-5
    )
    # The report pod asks for half the spot node's CPU and memory: half its price.
    assert lines["data"]["total_per_hour"] == pytest.approx(prices[1] / 2, abs=1e-5)


def test_workloads_name_the_deployment_of_a_replicasets_pods(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, found, _ = run(capsys, *FILES, "--by", "workload")
    assert [line["name"] for line in found["lines"]] == [
        "shop/Deployment/web",
        "data/Job/report",
        "__idle__",
    ]


def test_a_live_cluster_is_read_as_plan_reads_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    nodes = yaml.safe_load((CLUSTER / "nodes.yaml").read_text())["items"]
    pods = list(yaml.safe_load_all((CLUSTER / "pods.yaml").read_text()))
    objects = tmp_path / "objects.yaml"
    objects.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": nodes + pods}))
    with KubeApiServer(port=0, load=objects) as server:
        server.write_kubeconfig(tmp_path / "kubeconfig")
        code, live, err = run(capsys, "--kubeconfig", str(tmp_path / "kubeconfig"))
    assert code == 0, err
    _, offline, _ = run(capsys, *FILES)
    assert live == offline


def test_no_source_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["cost", "showback"])
    _, err = capsys.readouterr()
    assert code == 2 and "no nodes" in err and len(err.strip().splitlines()) == 1


def test_usage_beyond_requests_is_charged_and_headroom_has_its_own_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, by_requests, _ = run(capsys, *FILES)
    code, found, err = run(
        capsys, *FILES, "--usage", str(CLUSTER / "usage.yaml"), "--pool", str(CLUSTER / "pool.yaml")
    )
    assert (code, err) == (0, "") and found["usage"] is True
    before = {line["name"]: line for line in by_requests["lines"]}
    lines = {line["name"]: line for line in found["lines"]}
    assert list(lines) == ["shop", "data", "__headroom__", "__idle__"]
    # One web pod uses 1.5 vCPU of the 1 it requested (the other 0.4): shop pays for more.
    assert lines["shop"]["cpu_per_hour"] > before["shop"]["cpu_per_hour"]
    # The report pod uses less than it holds: it pays its requests, unchanged.
    assert lines["data"]["total_per_hour"] == pytest.approx(before["data"]["total_per_hour"])
    assert lines["__headroom__"]["total_per_hour"] > 0
    assert sum(line["total_per_hour"] for line in found["lines"]) == pytest.approx(
        found["total_per_hour"], abs=1e-5
    )


def test_a_live_clusters_metrics_server_gives_the_usage(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    nodes = yaml.safe_load((CLUSTER / "nodes.yaml").read_text())["items"]
    pods = list(yaml.safe_load_all((CLUSTER / "pods.yaml").read_text()))
    usage = yaml.safe_load((CLUSTER / "usage.yaml").read_text())["items"]
    metrics = [{"apiVersion": "metrics.k8s.io/v1beta1", "kind": "PodMetrics", **m} for m in usage]
    objects = tmp_path / "objects.yaml"
    items = nodes + pods + metrics
    objects.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": items}))
    with KubeApiServer(port=0, load=objects) as server:
        server.write_kubeconfig(tmp_path / "kubeconfig")
        code, live, err = run(capsys, "--kubeconfig", str(tmp_path / "kubeconfig"))
    assert code == 0, err
    _, offline, _ = run(capsys, *FILES, "--usage", str(CLUSTER / "usage.yaml"))
    assert live == offline and live["usage"] is True


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("kind: PodList\n", "is not a PodMetricsList"),
        ("items: [{metadata: {namespace: x}}]\n", "metadata.name: is missing"),
        ("items: [{metadata: {name: a}, containers: [{usage: {cpu: lots}}]}]\n", "containers"),
    ],
)
def test_a_bad_usage_file_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str, words: str
) -> None:
    bad = tmp_path / "usage.yaml"
    bad.write_text(text)
    code, _, err = run(capsys, *FILES, "--usage", str(bad))
    assert code == 2 and words in err and len(err.strip().splitlines()) == 1
