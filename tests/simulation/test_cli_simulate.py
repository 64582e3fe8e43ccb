"""`spotwise simulate` end to end: its outputs, and one clear line for each mistake."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from spotwise.cli.app import main

SMALL = Path(__file__).parent / "small.yaml"
STRATEGY_FIELDS = {
    "name",
    "cost",
    "on_demand_cost",
    "savings_vs_own_on_demand_price_percent",
    "savings_vs_on_demand_strategy_percent",
    "cost_ratio_to_on_demand",
    "node_hours_spot",
    "node_hours_on_demand",
    "interruptions",
    "pods_evicted",
    "pods_force_deleted",
    "pending_pod_seconds",
    "replacement_ready_percent",
    "pods_lost",
}
STRATEGIES = [
    "on-demand",
    "node-groups",
    "spotwise",
    "spotwise-rebalance-ignore",
    "spotwise-no-handler",
    "spotwise-no-consolidation",
    "spotwise-narrow",
    "spotwise-capacity-optimized",
    "spotwise-capacity-optimized-prioritized",
    "spotwise-lowest-price",
]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["simulate", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_has_every_documented_field(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, str(SMALL), "--hours", "1", "--seed", "5", "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["scenario"] == "small"
    assert doc["seed"] == 5
    assert doc["simulated_hours"] == 1.0
    (figures,) = doc["strategies"]
    assert figures["name"] == "spotwise"
    assert set(figures) >= STRATEGY_FIELDS
    assert set(figures["interruptions"]) == {
        "rebalance-recommendation",
        "interruption-warning",
        "termination",
    }
    assert 0 < figures["cost"] < figures["on_demand_cost"]
    assert figures["savings_vs_own_on_demand_price_percent"] == pytest.approx(
        100 * (1 - figures["cost"] / figures["on_demand_cost"]), abs=0.05
    )
    # Without --compare there is no on-demand run: the headline does not apply.
    assert figures["savings_vs_on_demand_strategy_percent"] is None
    assert figures["cost_ratio_to_on_demand"] is None
    # The handler drained what the market interrupted: a share of the pods it moved.
    assert figures["interruption_handler"] is True
    moved = figures["pods_evicted"] + figures["pods_deleted_at_deadline"]
    assert moved > 0 and 0 <= figures["replacement_ready_percent"] <= 100
    assert sum(figures["end_states"].values()) == figures["pods_created"]


def test_compare_runs_every_strategy(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, str(SMALL), "--hours", "0.5", "--compare", "--json")
    assert code == 0
    doc = json.loads(out)
    # With --trace the strategies run one after another in this process; without, in
    # worker processes: the figures are the same.
    trace = tmp_path / "trace.jsonl"
    code, out, _ = run(
        capsys, str(SMALL), "--hours", "0.5", "--compare", "--json", "--trace", str(trace)
    )
    assert code == 0
    assert json.loads(out) == doc
    lines = trace.read_text().splitlines()
    assert {json.loads(line)["strategy"] for line in lines} <= set(STRATEGIES)
    strategies = doc["strategies"]
    assert [s["name"] for s in strategies] == STRATEGIES
    for figures in strategies:
        assert set(figures) >= STRATEGY_FIELDS
        ratio = figures["cost"] / strategies[0]["cost"]
        # Both sides are rounded (costs to 4 decimals, the ratio to 4): compare relatively.
        assert figures["cost_ratio_to_on_demand"] == pytest.approx(ratio, rel=1e-3)
        assert figures["savings_vs_on_demand_strategy_percent"] == pytest.approx(
            100 * (1 - ratio), abs=0.05
        )
    assert strategies[0]["cost_ratio_to_on_demand"] == 1.0
    assert strategies[0]["savings_vs_on_demand_strategy_percent"] == 0.0
    assert strategies[0]["node_hours_spot"] == 0


def test_summary_table_without_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, str(SMALL), "--hours", "0.25")
    assert code == 0
    assert "small: 0.25 h, seed 12" in out
    assert "savings vs its own nodes at on-demand price" in out
    # One strategy: nothing to compare with, and no replacement measured.
    assert "savings vs the on-demand strategy" in out and "n/a" in out
    assert "Every strategy runs the interruption handler" in out


def test_trace_is_json_lines_of_events(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    trace = tmp_path / "trace.jsonl"
    code, _, _ = run(capsys, str(SMALL), "--hours", "1", "--json", "--trace", str(trace))
    assert code == 0
    records = [json.loads(line) for line in trace.read_text().splitlines()]
    assert records
    warm_up = 15 * 60  # the scenario's default warm-up, traced at negative times
    for record in records:
        assert isinstance(record["event"], str) and record["event"]
        assert -warm_up <= record["t"] <= 3600
        assert record["strategy"] == "spotwise"
    # The last event is the run's end, at its length: readers of the trace know it.
    assert records[-1] == {"t": 3600, "strategy": "spotwise", "event": "run-end"}
    # Only the provisioner acts in the warm-up: the market is quiet until the run starts.
    assert {r["event"] for r in records if r["t"] < 0} <= {"launch", "node-removed-empty"}
    assert any(r["t"] < 0 for r in records if r["event"] == "launch")
    times = [r["t"] for r in records]
    assert times == sorted(times)
    kinds = {r["event"] for r in records}
    assert {"launch", "interruption-warning", "interruption-handled", "node-drained"} <= kinds


def test_report_is_html_with_plots(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    code, out, err = run(capsys, str(SMALL), "--hours", "0.5", "--report", str(report))
    assert code == 0
    html = report.read_text()
    assert html.lstrip().lower().startswith("<!doctype html")
    assert "<svg" in html and "</html>" in html
    assert f"wrote {report}" in err.replace("\n", "")
    assert "small" in out


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    text = SMALL.read_text()
    assert text.count(old) == 1
    path = tmp_path / "broken.yaml"
    path.write_text(text.replace(old, new))
    return path


@pytest.mark.parametrize(
    ("old", "new", "field", "problem"),
    [
        (
            "onDemand: true",
            "onDemnd: true",
            "spec.deployments[3].onDemnd",
            "is not a field here; use one of",
        ),
        (
            "cpu: 250m",
            "cpu: 250mm",
            "spec.deployments[2].requests.cpu",
            "'250mm' is not a Kubernetes quantity",
        ),
        (
            "memory: 512Mi}",
            "memory: lots}",
            "spec.deployments[2].requests.memory",
            "'lots' is not a Kubernetes quantity",
        ),
        ("interruptionScale: 1000", "interruptionScale: -1", "spec.market.interruptionScale", ""),
        ("seed: 12", 'seed: "12"', "spec.seed", ""),
    ],
)
def test_a_bad_scenario_is_one_line_naming_file_and_field(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    old: str,
    new: str,
    field: str,
    problem: str,
) -> None:
    path = _broken(tmp_path, old, new)
    code, out, err = run(capsys, str(path), "--hours", "0.25", "--json")
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"error: {path}: document 1: {field}: {problem}")
    assert "Traceback" not in err


def test_not_yaml_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("spec: [unclosed\n")
    code, _, err = run(capsys, str(path))
    assert code == 2
    assert err.count("\n") == 1
    assert err.startswith(f"error: {path}: is not valid YAML")


def test_a_missing_scenario_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "nowhere.yaml"
    code, out, err = run(capsys, str(path), "--json")
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith(f"error: {path}: cannot be read")


@pytest.mark.parametrize("hours", ["0", "-1", "745", "nan"])
def test_hours_out_of_range(capsys: pytest.CaptureFixture[str], hours: str) -> None:
    code, out, err = run(capsys, str(SMALL), "--hours", hours, "--json")
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("error: --hours:")


def test_hours_not_a_number(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, str(SMALL), "--hours", "two")
    assert code == 2
    assert "--hours" in err


@pytest.mark.parametrize("option", ["--report", "--trace"])
def test_an_output_in_a_missing_folder(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, option: str
) -> None:
    target = tmp_path / "missing" / "out"
    code, _, err = run(capsys, str(SMALL), "--hours", "0.25", option, str(target))
    assert code == 2
    assert err.count("\n") == 1
    assert err.startswith(f"error: {target}: its folder does not exist")
    assert not target.parent.exists()
