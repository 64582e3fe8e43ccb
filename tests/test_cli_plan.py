"""`spotwise plan` end to end on real manifests."""

import io
import json
from pathlib import Path

import yaml

from spotwise.cli.app import main

MANIFESTS = Path(__file__).parent / "manifests"


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_json_plan_has_the_documented_fields(capsys):
    code, out, _ = run(capsys, "plan", "-f", str(MANIFESTS / "shop"), "-o", "json")
    assert code == 0
    doc = json.loads(out)
    assert {"nodes", "unschedulable", "cost_per_hour", "on_demand_cost_per_hour"} <= set(doc)
    placed = [p for n in doc["nodes"] for p in n["pods"]]
    assert "shop/api-0" in placed and len(placed) == len(set(placed))
    for node in doc["nodes"]:
        assert node["instance_types"] and node["zones"] and node["capacity_type"] == "spot"
        assert 0 < node["price_per_hour"] <= node["on_demand_price_per_hour"]
    assert doc["cost_per_hour"] == round(sum(n["price_per_hour"] for n in doc["nodes"]), 6)
    assert doc["cost_per_hour"] < doc["on_demand_cost_per_hour"]


def test_gpu_pod_gets_a_gpu_node(capsys):
    _, out, _ = run(capsys, "plan", "-f", str(MANIFESTS / "shop"), "-o", "yaml")
    doc = yaml.safe_load(out)
    gpu_node = next(n for n in doc["nodes"] if "shop/api-0" in n["pods"])
    assert all(t.startswith(("g", "p")) for t in gpu_node["instance_types"])


def test_existing_nodes_take_pods_first(capsys):
    code, out, _ = run(
        capsys, "plan", "-f", str(MANIFESTS / "shop"), "--nodes", str(MANIFESTS / "cluster"),
        "-o", "json",
    )  # fmt: skip
    assert code == 0
    assert json.loads(out)["existing"]


def test_pools_file_restricts_the_plan(capsys, tmp_path):
    pools = tmp_path / "pools.yaml"
    pools.write_text(
        "apiVersion: spotwise.io/v1alpha1\nkind: NodePool\nmetadata: {name: small}\n"
        "spec: {instanceTypes: [m7g.large], capacityTypes: [on-demand]}\n"
    )
    code, out, _ = run(
        capsys, "plan", "-f", str(MANIFESTS / "shop"), "--pool", str(pools), "-o", "json"
    )
    doc = json.loads(out)
    assert code == 0
    assert {t for n in doc["nodes"] for t in n["instance_types"]} == {"m7g.large"}
    assert {n["capacity_type"] for n in doc["nodes"]} == {"on-demand"}
    reasons = {u["pod"]: u["reason"] for u in doc["unschedulable"]}
    assert (
        reasons["shop/api-0"]
        == "pool small: needs 1 nvidia.com/gpu; the largest allowed type has 0"
    )


def test_table_output_shows_costs_and_notes(capsys):
    code, out, _ = run(capsys, "plan", "-f", str(MANIFESTS / "shop"))
    assert code == 0
    assert "all on-demand" in out and "hostPort 80/TCP" in out


def test_malformed_manifest_is_one_line_naming_file_and_document(capsys, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n---\n"
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
        "  - name: c\n    resources: {requests: {cpu: lots}}\n"
    )
    code, out, err = run(capsys, "plan", "-f", str(bad))
    assert code == 2 and out == ""
    (line,) = err.strip().splitlines()
    assert "bad.yaml" in line and "document 2" in line and "cpu" in line


def test_missing_file_and_bad_pool_are_errors(capsys, tmp_path):
    code, _, err = run(capsys, "plan", "-f", str(tmp_path / "nope.yaml"))
    assert code == 2 and "nope.yaml" in err
    pools = tmp_path / "pools.yaml"
    pools.write_text(
        "apiVersion: spotwise.io/v1alpha1\nkind: NodePool\nmetadata: {name: x}\n"
        "spec: {weight: lots}\n"
    )
    code, _, err = run(capsys, "plan", "-f", str(MANIFESTS / "shop"), "--pool", str(pools))
    assert code == 2 and "weight" in err


def test_manifests_piped_on_standard_input_plan_as_the_files_do(capsys, monkeypatch):
    files = sorted((MANIFESTS / "shop").glob("*.yaml"))
    piped_text = "\n---\n".join(p.read_text() for p in files)
    monkeypatch.setattr("sys.stdin", io.StringIO(piped_text))
    code, piped, err = run(capsys, "plan", "-f", "-", "-o", "json")
    assert code == 0, err
    named = [arg for p in files for arg in ("-f", str(p))]
    _, from_files, _ = run(capsys, "plan", *named, "-o", "json")
    assert json.loads(piped) == json.loads(from_files)
    monkeypatch.setattr("sys.stdin", io.StringIO("kind: [\n"))
    code, _, err = run(capsys, "plan", "-f", "-")
    assert code == 2 and err.startswith("error: standard input: is not valid YAML")


def test_fail_on_unschedulable_exits_1_for_ci_and_counts_in_english(capsys, tmp_path):
    huge = tmp_path / "huge.yaml"
    huge.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: big}\nspec:\n  containers:\n"
        "  - {name: c, image: x, resources: {requests: {cpu: '9000'}}}\n"
    )
    code, out, _ = run(capsys, "plan", "-f", str(huge), "--fail-on-unschedulable")
    assert code == 1 and "1 pod cannot be placed:" in out
    assert run(capsys, "plan", "-f", str(huge))[0] == 0  # without the flag: a plan
    fine = run(capsys, "plan", "-f", str(MANIFESTS / "shop"), "--fail-on-unschedulable")
    assert fine[0] == 0


def test_an_input_without_pods_says_so(capsys, tmp_path):
    empty = tmp_path / "service.yaml"
    empty.write_text("apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {}\n")
    code, out, err = run(capsys, "plan", "-f", str(empty))
    assert code == 0 and "no new nodes needed" in out
    assert err == "note: the input has no pending pods: nothing to plan\n"


def test_a_chart_folder_skips_what_is_not_kubernetes_objects_with_a_note(capsys, tmp_path):
    chart = tmp_path / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: shop\nversion: 1.0.0\n")
    (chart / "values.yaml").write_text("replicas: 3\n")
    (chart / "ci.yaml").write_text("- lint\n- test\n")  # some other tool's YAML
    (chart / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\n"
    )
    # A template with Helm's actions is the chart's; it is not YAML one could plan.
    (chart / "templates" / "deployment.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n"
        "spec:\n  replicas: {{ .Values.replicas }}\n"
    )
    # A Helm hook's Job, named by generateName only, in plain YAML: planned.
    (chart / "templates" / "job.yaml").write_text(
        "apiVersion: batch/v1\nkind: Job\nmetadata: {generateName: migrate-}\nspec:\n"
        "  template:\n    spec:\n      restartPolicy: Never\n"
        "      containers: [{name: m, image: x, resources: {requests: {cpu: 500m}}}]\n"
    )
    code, out, err = run(capsys, "plan", "-f", str(chart), "-o", "json")
    assert code == 0, err
    # The Job is named by its prefix and a counter; its pod after the Job.
    assert [n["pods"] for n in json.loads(out)["nodes"]] == [["default/migrate-0-0"]]
    notes = err.splitlines()
    assert len(notes) == 3 and all(n.startswith("note: ") for n in notes)
    assert any("ci.yaml" in n and "no document has apiVersion or kind" in n for n in notes)
    assert (
        f"note: {chart}: a Helm chart: its 3 files of chart metadata, values and templates "
        "skipped" in err
    )
    assert f"helm template RELEASE {chart} | spotwise plan -f -" in err
    assert any(
        "kustomization.yaml: a kustomization" in n and f"kubectl kustomize {chart} |" in n
        for n in notes
    )


def test_a_nodes_file_without_a_node_is_refused_in_one_line(capsys):
    shop = str(MANIFESTS / "shop")
    code, out, err = run(capsys, "plan", "-f", shop, "--nodes", shop)
    assert (code, out) == (2, "")
    assert err.startswith(f"error: {shop}: holds no Node object; pass the cluster's nodes")
    assert len(err.splitlines()) == 1


def test_objects_it_does_not_read_as_pods_are_named_with_what_to_do(capsys, tmp_path):
    rollout = tmp_path / "rollout.yaml"
    rollout.write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: web}\n"
        "spec:\n  replicas: 3\n  template:\n    spec:\n"
        "      containers: [{name: c, image: x, resources: {requests: {cpu: 500m}}}]\n"
        "---\napiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [{port: 80}]}\n"
    )
    karpenter = MANIFESTS / "karpenter" / "default.yaml"
    code, out, err = run(capsys, "plan", "-f", str(rollout), "-f", str(karpenter))
    assert code == 0 and out == "no new nodes needed\n"
    notes = err.splitlines()
    assert f"note: {rollout}, document 1: Rollout web has a pod template" in notes[0]
    assert "its pods are not planned" in notes[0]
    assert notes[1:3] == [
        f"note: {karpenter}, document 1: NodePool default describes nodes, not pods: pass it "
        "with --pool",
        f"note: {karpenter}, document 2: EC2NodeClass default describes nodes, not pods: pass "
        "it with --pool",
    ]
    assert not any("Service" in n for n in notes)  # objects without pods are not noise


def test_when_no_pod_can_be_placed_the_plan_says_so_once_per_reason(capsys, tmp_path):
    many = tmp_path / "big.yaml"
    many.write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: big}\nspec:\n  replicas: 6\n"
        "  selector: {matchLabels: {app: big}}\n  template:\n    metadata: {labels: {app: big}}\n"
        "    spec:\n      containers: [{name: c, image: x, resources: {requests: {cpu: 5000}}}]\n"
    )
    code, out, _ = run(capsys, "plan", "-f", str(many))
    lines = out.splitlines()
    assert code == 0 and lines[0] == "no new node planned"
    assert lines[1] == "6 pods cannot be placed:"
    assert lines[2].startswith(
        "  default/big-0, default/big-1 and 4 more: pool default: needs 5000 CPU"
    )
    assert len(lines) == 3


def _stuck_reason(capsys, tmp_path, selector: str, pool_spec: str) -> str:
    """Why one pod selecting ``selector`` cannot go to the one pool of ``pool_spec``."""
    pod = tmp_path / "pod.yaml"
    pod.write_text(
        f"apiVersion: v1\nkind: Pod\nmetadata: {{name: p}}\nspec:\n  nodeSelector: {selector}\n"
        "  containers: [{name: c, image: x, resources: {requests: {cpu: 500m}}}]\n"
    )
    pool = tmp_path / "pool.yaml"
    pool.write_text(
        "apiVersion: spotwise.io/v1alpha1\nkind: NodePool\nmetadata: {name: only}\n"
        f"spec: {pool_spec}\n"
    )
    code, out, _ = run(capsys, "plan", "-f", str(pod), "--pool", str(pool), "-o", "json")
    assert code == 0
    (stuck,) = json.loads(out)["unschedulable"]
    return stuck["reason"]


def test_a_pod_asking_for_a_capacity_type_the_pool_does_not_buy_is_told_so(capsys, tmp_path):
    reason = _stuck_reason(
        capsys, tmp_path, "{eks.amazonaws.com/capacityType: ON_DEMAND}", "{capacityTypes: [spot]}"
    )
    assert reason == (
        "pool only: asks for on-demand capacity; the pool buys only spot (spec.capacityTypes)"
    )


def test_a_capacity_type_the_pool_buys_but_cannot_offer_is_not_blamed_on_the_field(
    capsys, tmp_path
):
    calm = "{capacityTypes: [spot, on-demand], maxInterruption: 0}"
    reason = _stuck_reason(capsys, tmp_path, "{karpenter.sh/capacity-type: spot}", calm)
    assert reason == (
        "pool only: asks for spot capacity; none of the pool's types offers it in its zones "
        "within its requirements and maxInterruption"
    )


def test_custom_resources_of_any_shape_are_still_ignored(capsys, tmp_path):
    odd = tmp_path / "odd.yaml"
    odd.write_text(
        "apiVersion: example.com/v1\nkind: Thing\nmetadata: {name: a}\nspec: [1, 2]\n---\n"
        "apiVersion: example.com/v1\nkind: Alert\nmetadata: {name: b}\n"
        "spec: {template: 'Alert {{ .Name }}'}\n"
    )
    code, out, err = run(capsys, "plan", "-f", str(odd))
    assert (code, out) == (0, "no new nodes needed\n")
    assert err == "note: the input has no pending pods: nothing to plan\n"


def test_a_chart_is_found_from_inside_its_templates(capsys, tmp_path, monkeypatch):
    chart = tmp_path / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: shop\nversion: 1.0.0\n")
    (chart / "templates" / "deployment.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n"
    )
    monkeypatch.chdir(chart / "templates")
    code, _, err = run(capsys, "plan", "-f", ".")
    assert code == 0
    assert f"note: {chart}: a Helm chart: its 1 file of chart metadata" in err


def test_standard_input_goes_to_one_argument_only(capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO((MANIFESTS / "jobs.yaml").read_text()))
    code, out, err = run(capsys, "plan", "-f", "-", "--pool", "-")
    assert (code, out) == (2, "")
    assert err == (
        "error: -: standard input was read already, for another argument; give '-' to one "
        "argument only and files to the others\n"
    )
