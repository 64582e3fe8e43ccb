"""`spotwise disruption explain`: the example cluster's moves and kept nodes; bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from spotwise.cli.app import main

EXAMPLES = Path(__file__).parents[2] / "examples" / "disruption"
FILES = (
    "-f", str(EXAMPLES / "pods.yaml"),
    "--nodes", str(EXAMPLES / "nodes.yaml"),
    "--pool", str(EXAMPLES / "pool.yaml"),
)  # fmt: skip


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["disruption", "explain", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_web_nodes_go_and_the_guarded_database_node_stays_with_its_cost(capsys):
    code, out, err = run(capsys, *FILES, "-o", "json")
    assert code == 0, err
    found = json.loads(out)
    (move,) = found["moves"]
    # Two on-demand m5.xlarge nodes, one web pod each: both pods fit on the third node.
    assert move["kind"] == "delete"
    assert move["nodes"] == ["ip-10-0-1-10.ec2.internal", "ip-10-0-2-20.ec2.internal"]
    assert move["saving_per_hour"] == pytest.approx(2 * 0.192)
    (kept,) = found["kept"]
    assert (kept["node"], kept["why"]) == ("ip-10-0-3-30.ec2.internal", "blocked")
    assert kept["blockers"] == [
        {"rule": "do-not-disrupt", "subject": "shop/db-0", "detail": "annotated do-not-disrupt"}
    ]
    assert kept["cost_per_hour"] > 0  # what its move would save were it not guarded


def test_the_table_names_every_node(capsys):
    code, out, _ = run(capsys, *FILES)
    assert code == 0
    for name in ("ip-10-0-1-10", "ip-10-0-2-20", "ip-10-0-3-30"):
        assert name in out
    assert "stays (blocked)" in out and "goes (delete)" in out


def test_pods_without_nodes_are_one_line_and_exit_2(capsys):
    code, out, err = run(capsys, "-f", str(EXAMPLES / "pods.yaml"))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "--nodes" in err


def _write_trace(path: Path, events: list[dict]) -> Path:
    path.write_text("".join(json.dumps(e) + "\n" for e in events))
    return path


def test_a_trace_gives_the_moves_the_reasons_and_what_each_blocker_cost(capsys, tmp_path):
    def kept(t: float, cost: float, rules: list[str]) -> dict:
        blockers = [[rule, "shop/db-0"] for rule in rules]
        blocked = {"node": "n1", "blockers": blockers, "cost_per_hour": cost}
        return {
            "t": t,
            "strategy": "spotwise",
            "event": "consolidation-kept",
            "interval_seconds": 300,
            "reasons": {"blocked": 1, "too-young": 2},
            "blocked": [blocked],
        }

    move = {"strategy": "spotwise", "event": "consolidation", "kind": "delete"}
    trace = _write_trace(
        tmp_path / "trace.jsonl",
        [
            kept(0, 0.12, ["do-not-disrupt"]),
            {**move, "t": 300, "nodes": ["n2", "n3"], "saving_per_hour": 0.2},
            kept(300, 0.24, ["do-not-disrupt", "pod-disruption-budget"]),
            {**move, "t": 600, "nodes": ["n4"], "saving_per_hour": 0.1},
            {**kept(0, 9.0, ["pdb"]), "strategy": "on-demand"},  # another strategy's
            {**move, "t": -60, "nodes": ["w"], "saving_per_hour": 5.0},  # in the warm-up
        ],
    )
    code, out, err = run(capsys, "--trace", str(trace), "-o", "json")
    assert code == 0, err
    found = json.loads(out)
    assert found["passes"] == 2
    assert found["moves"] == [{"kind": "delete", "moves": 2, "nodes": 3, "saving_per_hour": 0.3}]
    assert found["kept"] == {"too-young": 4, "blocked": 2}
    rules = {b["rule"]: (b["node_passes"], b["dollars"]) for b in found["blockers"]}
    # Each pass stands for five minutes: $0.12/h and $0.24/h for 1/12 h each.
    assert rules == {
        "do-not-disrupt": (2, pytest.approx(0.03)),
        "pod-disruption-budget": (1, pytest.approx(0.02)),
    }
    assert [b["rule"] for b in found["blockers"]] == ["do-not-disrupt", "pod-disruption-budget"]
    code, out, _ = run(capsys, "--trace", str(trace))
    assert code == 0 and "what blocked nodes" in out and "do-not-disrupt" in out


def test_a_simulated_runs_trace_is_explained(capsys, tmp_path):
    trace = tmp_path / "trace.jsonl"
    small = Path(__file__).parents[1] / "simulation" / "small.yaml"
    assert main(["simulate", str(small), "--hours", "1", "--trace", str(trace)]) == 0
    capsys.readouterr()
    code, out, err = run(capsys, "--trace", str(trace), "-o", "json")
    assert code == 0, err
    found = json.loads(out)
    assert found["strategy"] == "spotwise" and found["passes"] > 0 and found["kept"]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--trace", "TRACE", "--nodes", "x.yaml"), "--trace: cannot be used with"),
        (("--trace", "TRACE", "--strategy", "nobody"), "no consolidation pass of strategy"),
        (("--trace", "MISSING"), "cannot be read"),
        (("--trace", "OLD"), "is not as this version of spotwise writes it"),
    ],
)
def test_bad_trace_input_is_one_line_and_exit_2(capsys, tmp_path, args, words):
    trace = _write_trace(tmp_path / "t.jsonl", [{"t": 0, "strategy": "spotwise", "event": "x"}])
    # A trace of an earlier version: blocked nodes without their blockers.
    event = {"t": 0, "strategy": "spotwise", "event": "consolidation-kept", "blocked": [{}]}
    old = _write_trace(tmp_path / "old.jsonl", [{**event, "reasons": {}, "interval_seconds": 300}])
    files = {"TRACE": str(trace), "MISSING": str(tmp_path / "none"), "OLD": str(old)}
    args = tuple(files.get(a, a) for a in args)
    code, out, err = run(capsys, *args)
    assert code == 2 and out == ""
    assert words in err and len(err.strip().splitlines()) == 1
