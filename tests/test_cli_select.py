import json

import pytest
import yaml

from spotwise.cli.app import main


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_json_has_the_documented_fields(capsys):
    code, out, _ = run(
        capsys, "select", "--vcpus", "2", "--memory", "8", "-o", "json", "--max-results", "50"
    )
    assert code == 0
    rows = json.loads(out)
    m5 = next(r for r in rows if r["instance_type"] == "m5.large")
    assert (m5["vcpus"], m5["memory_gib"], m5["gpus"], m5["architecture"]) == (2, 8.0, 0, "x86_64")
    assert m5["on_demand_price"] == 0.096
    assert m5["spot_price"] == min(m5["spot_price_by_zone"].values())
    assert set(m5["spot_price_by_zone"]) <= {f"us-east-1{z}" for z in "abcdef"}
    assert m5["savings_percent"] == pytest.approx(100 * (1 - m5["spot_price"] / 0.096), abs=0.05)
    assert m5["interruption"] in {"<5%", "5-10%", "10-15%", "15-20%", ">20%"}


def test_names_yaml_and_max_results(capsys):
    code, out, _ = run(capsys, "select", "--vcpus", "4", "-o", "names", "--max-results", "3")
    assert code == 0 and len(out.split()) == 3
    code, out, _ = run(capsys, "select", "--allow-list", "^m6i\\.large$", "-o", "yaml")
    assert code == 0 and yaml.safe_load(out)[0]["instance_type"] == "m6i.large"


def test_zone_ids_narrow_prices_to_those_zones(capsys):
    code, out, _ = run(
        capsys,
        "select",
        "--allow-list",
        "^m6i\\.large$",
        "--availability-zones",
        "use1-az6",
        "-o",
        "json",
    )
    assert code == 0
    assert list(json.loads(out)[0]["spot_price_by_zone"]) == ["us-east-1c"]


def test_sort_by_spot_price_descending(capsys):
    code, out, _ = run(
        capsys,
        "select",
        "--vcpus",
        "2",
        "--usage-class",
        "spot",
        "--sort-by",
        "spot-price",
        "--sort-direction",
        "descending",
        "-o",
        "json",
        "--max-results",
        "100",
    )
    prices = [r["spot_price"] for r in json.loads(out)]
    assert code == 0 and prices == sorted(prices, reverse=True)


def test_table_lists_prices_and_interruption(capsys):
    code, out, _ = run(capsys, "select", "--allow-list", "^m6i\\.large$", "-o", "wide")
    assert code == 0
    assert "m6i.large" in out and "$0.0960" in out and "10-15%" in out and "Max pods" in out


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (["--vcpus-min", "8", "--vcpus-max", "2"], "--vcpus-min"),
        (["--memory", "lots"], "--memory"),
        (["--memory-min", "32", "--memory-max", "8"], "--memory-min"),
        (["--vcpus-to-memory-ratio", "1/4"], "--vcpus-to-memory-ratio"),
        (["--vcpus-to-memory-ratio", "1:0"], "--vcpus-to-memory-ratio"),
        (["--allow-list", "m5["], "--allow-list"),
        (["--deny-list", "*"], "--deny-list"),
        (["--base-instance-type", "m9z.huge"], "--base-instance-type"),
        (["--availability-zones", "us-east-1q"], "--availability-zones"),
        (["--region", "mars-north-1"], "--region"),
        (["--vcpus", "two"], "--vcpus"),
        (["--cpu-architecture", "sparc"], "--cpu-architecture"),
        (["--max-interruption", "150"], "--max-interruption"),
        (["--sort-by", "colour"], "--sort-by"),
    ],
)
def test_bad_input_is_one_line_naming_the_flag_and_exit_2(capsys, args, flag):
    code, out, err = run(capsys, "select", *args)
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and flag in lines[0]


def test_no_match_exits_1_with_advice(capsys):
    code, _, err = run(capsys, "select", "--vcpus", "3", "--gpus", "8")
    assert code == 1 and "widen" in err


def test_catalog_show_prints_every_zone(capsys):
    code, out, _ = run(capsys, "catalog", "show", "m6i.large")
    assert code == 0
    for zone in ("us-east-1a", "us-east-1c", "use1-az6", "observed", "estimate", "29"):
        assert zone in out


def test_catalog_show_unknown_type(capsys):
    code, out, err = run(capsys, "catalog", "show", "m6i.larg")
    assert code == 2 and out == "" and "m6i.larg" in err
