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
