"""`spotwise cost ledger` of a live cluster's running nodes: files and the API test server."""

from __future__ import annotations

import csv
import io
import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from spotwise.cli.app import main
from spotwise.testing.kubeapi import KubeApiServer

M5_LARGE = 0.096  # on-demand, us-east-1 (the bundled catalog)


def nodes_file(tmp_path: Path, created_minutes_ago: float) -> Path:
    created = datetime.fromtimestamp(time.time() - created_minutes_ago * 60, UTC)
    node = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": "ip-10-0-1-10.ec2.internal",
            "creationTimestamp": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "labels": {
                "node.kubernetes.io/instance-type": "m5.large",
                "topology.kubernetes.io/zone": "us-east-1a",
                "karpenter.sh/capacity-type": "on-demand",
                "spotwise.io/node-pool": "general",
            },
        },
        "spec": {"providerID": "aws:///us-east-1a/i-0123456789abcdef0"},
        "status": {"allocatable": {"cpu": "2", "memory": "8Gi", "pods": "29"}},
    }
    path = tmp_path / "nodes.yaml"
    path.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": [node]}))
    return path


def ledger(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["cost", "ledger", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_node_is_billed_from_its_creation_within_the_window(capsys, tmp_path):
    path = nodes_file(tmp_path, created_minutes_ago=30)
    code, out, err = ledger(capsys, "--nodes", str(path), "--hours", "2", "-o", "json")
    assert (code, err) == (0, "")
    bill = json.loads(out)
    assert bill["instances"] == 1
    assert bill["billed"] == pytest.approx(0.5 * M5_LARGE, abs=1e-3)  # half an hour
    assert list(bill["pool"]) == ["general"]
    # Older than the window: billed for the window only (from its first clock hour).
    old = nodes_file(tmp_path, created_minutes_ago=600)
    _, out, _ = ledger(capsys, "--nodes", str(old), "--hours", "1", "-o", "json")
    assert M5_LARGE <= json.loads(out)["billed"] <= 2 * M5_LARGE


def test_a_reservation_covers_the_running_node_and_focus_rows_are_dated(capsys, tmp_path):
    path = nodes_file(tmp_path, created_minutes_ago=30)
    plan = tmp_path / "commitments.yaml"
    plan.write_text("reservedInstances: [{type: m5.large, zone: us-east-1a, count: 1}]\n")
    code, out, _ = ledger(capsys, "--nodes", str(path), "--commitments", str(plan), "-o", "json")
    assert code == 0 and json.loads(out)["added"] == pytest.approx(0.0)
    code, out, err = ledger(capsys, "--nodes", str(path), "-o", "focus")
    assert (code, err) == (0, "")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows and rows[0]["ResourceId"] == "i-0123456789abcdef0"
    assert rows[0]["ChargePeriodStart"][:4] == str(datetime.now(UTC).year)


def test_a_live_cluster_is_billed_as_its_files_are(capsys, tmp_path):
    path = nodes_file(tmp_path, created_minutes_ago=30)
    with KubeApiServer(port=0, load=path) as server:
        server.write_kubeconfig(tmp_path / "kubeconfig")
        code, out, err = ledger(capsys, "--kubeconfig", str(tmp_path / "kubeconfig"), "-o", "json")
    assert code == 0, err
    bill = json.loads(out)
    # The server stamps its own creation time: the node has run for a moment only, and is
    # billed EC2's minute.
    assert bill["instances"] == 1 and bill["billed"] == pytest.approx(M5_LARGE / 60, rel=0.05)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ((), "nothing to bill"),
        (("--trace", "t.jsonl", "--nodes", "NODES"), "--trace: cannot be used with"),
        (("--nodes", "NODES", "--hours", "0"), "--hours: 0 is out of range"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys, tmp_path, args, words):
    path = nodes_file(tmp_path, created_minutes_ago=30)
    args = tuple(str(path) if a == "NODES" else a for a in args)
    code, out, err = ledger(capsys, *args)
    assert code == 2 and out == ""
    assert words in err and len(err.strip().splitlines()) == 1


def test_commitments_fees_are_paid_for_every_hour_of_the_window(capsys, tmp_path):
    # A node of the last half hour; a reservation of another type, $0.10 an hour, unused:
    # its fee is paid for each clock hour of the 3-hour window (3 or 4 of them).
    path = nodes_file(tmp_path, created_minutes_ago=30)
    plan = tmp_path / "commitments.yaml"
    plan.write_text(
        "reservedInstances: [{type: c5.large, zone: us-east-1a, count: 1, hourlyPrice: 0.1}]\n"
    )
    _, out, _ = ledger(
        capsys, "--nodes", str(path), "--hours", "3", "--commitments", str(plan), "-o", "json"
    )
    assert json.loads(out)["fees"] in (pytest.approx(0.3), pytest.approx(0.4))
