"""`spotwise cost attribute`: the examples' attribution, and bad input refused with exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from spotwise.cli.app import main

EXAMPLES = Path(__file__).parents[2] / "examples" / "cost"
COMMITMENTS = EXAMPLES / "commitments.yaml"
INSTANCES = EXAMPLES / "instances.yaml"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["cost", "attribute", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_examples_are_attributed_in_awss_order(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys, "--commitments", str(COMMITMENTS), "--instances", str(INSTANCES), "-o", "json"
    )
    assert (code, err) == (0, "")
    found = json.loads(out)
    rows = {r["instance_id"]: r for r in found["instances"]}
    assert {i: r["covered_by"] for i, r in rows.items()} == {
        "i-01": "zonal-ri",  # m5.xlarge in its zone
        "i-02": "regional-ri",  # m5.2xlarge: 16 units, the regional RI has 3 x 4 = 12
        "i-03": "ec2-instance-sp",  # c5: the family plan first
        "i-04": "compute-sp",
        "i-05": "compute-sp",
        "i-06": "spot",
    }
    assert [(c["by"], c["share"]) for c in rows["i-02"]["coverage"]] == [
        ("regional-ri", 0.75),
        ("compute-sp", 0.25),
    ]
    # Covered usage adds nothing to the bill; its effective price is the commitment's cost:
    # the zonal RI's hourly price, a plan's rate, unknown for the regional RI (no price).
    assert all(r["added_price"] == 0 for i, r in rows.items() if i != "i-06")
    assert rows["i-06"]["added_price"] == rows["i-06"]["effective_price"] == rows["i-06"]["price"]
    assert rows["i-01"]["effective_price"] == 0.121
    assert rows["i-02"]["effective_price"] is None
    assert rows["i-04"]["effective_price"] == pytest.approx(rows["i-04"]["price"] * 0.8, abs=1e-6)
    used = {c["id"]: c for c in found["commitments"]}
    regional = used["reservedInstances[1]"]
    assert (regional["used"], regional["unit"], regional["fee_per_hour"]) == (
        12,
        "unit-hours",
        None,
    )
    assert used["reservedInstances[0]"]["fee_per_hour"] == 0.121
    # The compute plan's use is what its shares cost at its rate (on-demand less 20%).
    spent = sum(
        c["share"] * r["price"] * 0.8
        for r in rows.values()
        for c in r["coverage"]
        if c["by"] == "compute-sp"
    )
    assert used["savingsPlans[1]"]["used"] == pytest.approx(spent, abs=1e-5)
    assert 0 < used["savingsPlans[1]"]["utilization_percent"] < 100


def test_the_table_names_every_instance_and_commitment(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--commitments", str(COMMITMENTS), "--instances", str(INSTANCES))
    assert code == 0
    for name in ("i-01", "i-06", "reservedInstances[0]", "savingsPlans[1]", "regional-ri 75%"):
        assert name in out


@pytest.mark.parametrize(
    ("commitments", "instances", "message"),
    [
        (
            "reservedInstances: [{type: m5.large, zone: us-east-1a, region: us-east-1, count: 1}]",
            "[]",
            "reservedInstances[0]: give a zone (a zonal RI) or a region (a regional RI), not both",
        ),
        ("reservedInstances: [{type: m5.large, count: 1}]", "[]", "or a region (a regional RI)"),
        ("reservedInstances: [{type: m5.lage, region: us-east-1, count: 1}]", "[]", "m5.lage"),
        ("reservedInstances: [{type: m5.large, zone: use1-az9, count: 1}]", "[]", "not a zone"),
        (
            "savingsPlans: [{kind: compute, commitment: .inf, discount_percent: 5}]",
            "[]",
            "commitment",
        ),
        (
            "savingsPlans: [{kind: ec2-instance, commitment: 1, discount_percent: 30}]",
            "[]",
            "needs the family",
        ),
        (
            "savingsPlans: [{kind: compute, commitment: 1, discountPercent: 130}]",
            "[]",
            "less than 100",
        ),
        ("{}", "- {id: i-1, type: m5.huge9, zone: us-east-1a, capacity_type: on-demand}", "i-1"),
        (
            "{}",
            "- {id: i-1, type: m5.large, zone: eu-west-1a, capacity_type: spot}",
            "no spot price",
        ),
        ("{}", "{id: i-1}", "is not a list of instances"),
        (
            "{}",
            "- {id: i-1, type: m5.large, zone: us-east-1a, capacity_type: reserved}",
            "[0].capacity_type",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    commitments: str,
    instances: str,
    message: str,
) -> None:
    (tmp_path / "c.yaml").write_text(commitments)
    (tmp_path / "i.yaml").write_text(instances)
    code, out, err = run(
        capsys, "--commitments", str(tmp_path / "c.yaml"), "--instances", str(tmp_path / "i.yaml")
    )
    assert code == 2 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1
