import json

import pytest
import yaml

from spotwise.catalog.bundled import load_bundled
from spotwise.cli.app import main
from spotwise.decisions.selector.criteria import Criteria, Range
from spotwise.decisions.selector.select import select
from spotwise.model.instance_type import Architecture


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
        (["--sort-direction", "sideways"], "--sort-direction"),
        # An exact value is checked like the bounds are.
        (["--vcpus", "-3"], "--vcpus"),
        (["--gpus", "-1"], "--gpus"),
        (["--generation", "-1"], "--generation"),
        (["--network-interfaces", "-1"], "--network-interfaces"),
        (["--price-per-hour", "nan"], "--price-per-hour"),
        (["--price-per-hour-max", "inf"], "--price-per-hour-max"),
        (["--network-performance", "nan"], "--network-performance"),
        (["--availability-zones", ","], "--availability-zones"),
        (["--availability-zones", ""], "--availability-zones"),
        (["--vcpus-to-memory-ratio", ""], "--vcpus-to-memory-ratio"),
        (["--vcpus-to-memory-ratio", "1/0:4"], "--vcpus-to-memory-ratio"),
        (["--vcpus-to-memory-ratio", "2:1"], "--vcpus-to-memory-ratio"),
        (["--vcpus-to-memory-ratio", "1:1.5"], "--vcpus-to-memory-ratio"),
        (["--vcpus-to-memory-ratio", "1:1e999999999"], "--vcpus-to-memory-ratio"),
        (["--memory", "1e400"], "--memory"),
        (["--memory", "9" * 500], "--memory"),
        (["--memory-max", "1e99999999"], "--memory-max"),
        (["--instance-storage", "lots"], "--instance-storage"),
        (["--cpu-manufacturer", "ibm"], "--cpu-manufacturer"),
        (["--hypervisor", "kvm"], "--hypervisor"),
        (["--disk-type", "tape"], "--disk-type"),
        (["--virtualization-type", "full"], "--virtualization-type"),
        (["--root-device-type", "nfs"], "--root-device-type"),
        (["--placement-group-strategy", "ring"], "--placement-group-strategy"),
        (["--gpu-model", " "], "--gpu-model"),
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
    facts = {}
    for line in out.splitlines()[1:]:
        key, _, value = line.strip().partition("  ")
        if value:
            facts[key] = value.strip()
    assert facts["max pods (ENI)"] == "29"
    assert facts["vCPUs"] == "2" and facts["memory"] == "8 GiB"
    assert facts["CPU manufacturer"] == "intel"
    zones = {line.split()[0]: line.split() for line in out.splitlines() if line.startswith("us-")}
    assert set(zones) == {f"us-east-1{z}" for z in "abcdf"}  # us-east-1e has no m6i
    # us-east-1c is use1-az6 in the data's account, where the history has an m6i.large
    # price that shapes the zone; us-east-1a has none and sits at the advisor's level.
    assert zones["us-east-1c"][1:3] == ["use1-az6", "$0.0960"]
    assert zones["us-east-1c"][4] == "advisor-zone-spread"
    assert zones["us-east-1a"][4] == "advisor"


def test_catalog_show_unknown_type(capsys):
    code, out, err = run(capsys, "catalog", "show", "m6i.larg")
    assert code == 2 and out == "" and "m6i.larg" in err


def select_json(capsys, *args):
    code, out, err = run(capsys, "select", *args, "-o", "json", "--max-results", "2000")
    assert code == 0, err
    return json.loads(out)


def test_amd64_is_x86_64(capsys):
    amd64 = select_json(capsys, "--vcpus", "2", "--cpu-architecture", "amd64")
    x86 = select_json(capsys, "--vcpus", "2", "--cpu-architecture", "X86_64")
    assert amd64 == x86 and {r["architecture"] for r in amd64} == {"x86_64"}
    code, _, err = run(capsys, "select", "--cpu-architecture", "sparc")
    assert code == 2 and "x86_64, arm64" in err and "amd64 = x86_64" in err


def test_usage_class_spot_keeps_types_without_a_known_spot_price(capsys):
    rows = select_json(capsys, "--allow-list", "^c8a\\.large$", "--usage-class", "spot")
    assert [(r["instance_type"], r["spot_price"]) for r in rows] == [("c8a.large", None)]
    code, out, _ = run(
        capsys, "select", "--allow-list", "^c8a\\.large$", "--usage-class", "spot", "-o", "table"
    )
    assert code == 0 and "c8a.large" in out
    # Asking for a spot price ceiling does need the price.
    code, _, _ = run(
        capsys, "select", "--allow-list", "^c8a\\.", "--usage-class", "spot",
        "--price-per-hour-max", "10",
    )  # fmt: skip
    assert code == 1


def test_every_spot_price_says_how_it_was_made(capsys):
    (a1,) = select_json(capsys, "--allow-list", "^a1\\.large$")
    assert a1["spot_price"] == min(a1["spot_price_by_zone"].values())
    assert set(a1["spot_price_source_by_zone"]) == set(a1["spot_price_by_zone"])
    assert set(a1["spot_price_source_by_zone"].values()) <= {"advisor", "advisor-zone-spread"}
    code, out, _ = run(capsys, "select", "--allow-list", "^a1\\.large$", "-o", "wide")
    assert code == 0 and "*" not in out  # one basis: no price is marked as the odd one


def test_sort_direction_takes_short_forms(capsys):
    desc = select_json(capsys, "--vcpus", "2", "--sort-by", "memory", "--sort-direction", "desc")
    longer = select_json(
        capsys, "--vcpus", "2", "--sort-by", "memory", "--sort-direction", "DESCENDING"
    )
    assert desc == longer
    memory = [r["memory_gib"] for r in desc]
    assert memory == sorted(memory, reverse=True)


def test_new_filters_from_the_command_line(capsys):
    rows = select_json(
        capsys, "--cpu-manufacturer", "Amazon Web Services", "--vcpus", "2", "--ena-support",
        "--no-efa-support", "--hypervisor", "NITRO", "--network-interfaces-min", "3",
    )  # fmt: skip
    assert rows and all(r["cpu_manufacturer"] == "aws" for r in rows)
    assert all(r["network_interfaces"] >= 3 and not r["efa_support"] for r in rows)
    storage = select_json(capsys, "--instance-storage-min", "1000", "--disk-type", "hdd")
    assert storage and all(r["instance_storage_gb"] >= 1000 for r in storage)
    pv = select_json(capsys, "--virtualization-type", "pv", "-o", "names")
    assert "m1.small" in {r["instance_type"] for r in pv}
    fpga = {r["instance_type"] for r in select_json(capsys, "--fpga")}
    assert fpga == {r["instance_type"] for r in select_json(capsys, "--fpga-support")}
    assert fpga and all(n.startswith("f") for n in fpga)


# Each flag reaches the criterion it names: the command's names equal the selector's.
FLAG_CRITERIA = [
    (["--cpu-manufacturer", "amd"], {"cpu_manufacturer": "amd"}),
    (["--hypervisor", "xen"], {"hypervisor": "xen"}),
    (["--no-ena-support"], {"ena_support": False}),
    (["--efa-support"], {"efa_support": True}),
    (["--no-ipv6"], {"ipv6": False}),
    (["--network-encryption"], {"network_encryption": True}),
    (["--network-interfaces", "15"], {"network_interfaces": Range.exactly(15)}),
    (
        ["--instance-storage-min", "1.5TiB", "--instance-storage-max", "4000"],
        {"instance_storage_mib": Range(1.5 * 1024**2, 4000 * 1024)},
    ),
    (["--disk-type", "SSD"], {"disk_type": "ssd"}),
    (["--no-nvme"], {"nvme": False}),
    (["--no-disk-encryption"], {"disk_encryption": False}),
    (["--no-ebs-optimized"], {"ebs_optimized": False}),
    (
        ["--ebs-optimized-baseline-bandwidth-min", "10000"],
        {"ebs_baseline_bandwidth_mbps": Range(10000, None)},
    ),
    (
        ["--ebs-optimized-baseline-throughput-max", "100"],
        {"ebs_baseline_throughput_mbps": Range(None, 100)},
    ),
    (["--ebs-optimized-baseline-iops", "3600"], {"ebs_baseline_iops": Range.exactly(3600)}),
    (["--hibernation-support"], {"hibernation": True}),
    (["--free-tier"], {"free_tier": True}),
    (["--no-auto-recovery"], {"auto_recovery": False}),
    (["--no-dedicated-hosts"], {"dedicated_hosts": False}),
    (["--virtualization-type", "paravirtual"], {"virtualization_type": "paravirtual"}),
    (["--root-device-type", "instance-store"], {"root_device_type": "instance-store"}),
    (["--placement-group-strategy", "cluster"], {"placement_group_strategy": "cluster"}),
    (["--inference-accelerators-min", "1"], {"inference_accelerators": Range(1, None)}),
    (
        ["--inference-accelerator-manufacturer", "AWS"],
        {"inference_accelerator_manufacturer": "aws"},
    ),
    (["--inference-accelerator-model", "Trainium"], {"inference_accelerator_model": "Trainium"}),
    (["--fpga-support"], {"fpga": True}),
    (["--no-fpga"], {"fpga": False}),
    (["--baremetal"], {"bare_metal": True}),
    (["--cpu-architecture", "aarch64"], {"architecture": Architecture.ARM64}),
    (["--gpu-memory-total-min", "40"], {"gpu_memory_total_mib": Range(40 * 1024, None)}),
]


@pytest.mark.parametrize(("args", "criteria"), FLAG_CRITERIA, ids=lambda v: str(v))
def test_each_flag_sets_its_criterion(capsys, args, criteria):
    code, out, err = run(capsys, "select", *args, "-o", "names", "--max-results", "5000")
    expected = {c.name for c in select(load_bundled(), Criteria(**criteria))}
    assert expected and expected != set(load_bundled().instance_types)
    assert code == 0, err
    assert set(out.split()) == expected


def test_no_match_is_an_empty_list_for_scripts_and_exit_1_for_people(capsys):
    code, out, err = run(capsys, "select", "--vcpus", "9999", "-o", "json")
    assert (code, out) == (0, "[]\n") and "no instance type matches" in err
    assert run(capsys, "select", "--vcpus", "9999", "-o", "names")[:2] == (0, "")
    assert run(capsys, "select", "--vcpus", "9999")[0] == 1  # the table: nothing to show


def test_instance_selectors_short_flags_and_outputs(capsys):
    long = ("--vcpus", "4", "--memory", "16", "--cpu-architecture", "arm64", "--region")
    short = ("-c", "4", "-m", "16", "-a", "arm64", "-r")
    _, by_long, _ = run(capsys, "select", *long, "us-east-1", "-o", "names", "--max-results", "50")
    _, by_short, _ = run(
        capsys, "select", *short, "us-east-1", "-o", "simple", "--max-results", "50"
    )
    assert by_long == by_short and by_long
    names = by_long.split()
    code, out, err = run(
        capsys, "select", *short, "us-east-1", "-o", "one-line", "--max-results", "3"
    )
    assert (code, out) == (0, ",".join(names[:3]) + "\n")
    assert f"{len(names) - 3} more matched" in err  # machine output stays clean on stdout
    zone = run(capsys, "select", "-c", "4", "-z", "us-east-1a", "-o", "json", "--max-results", "1")
    assert json.loads(zone[1])[0]["zones"] == ["us-east-1a"]
    assert run(capsys, "select", "-g", "1", "-o", "names", "--max-results", "1")[1]
    # A price cap reads the usage class's price: spot keeps types on-demand prices out.
    cheap = ("-c", "2", "--price-per-hour-max", "0.04", "-o", "names", "--max-results", "99")
    spot = run(capsys, "select", *cheap, "-u", "spot")
    assert spot == run(capsys, "select", *cheap, "--usage-class", "spot")
    on_demand = run(capsys, "select", *cheap, "-u", "on-demand")
    assert len(spot[1].split()) > len(on_demand[1].split()) > 0
    wide = run(capsys, "select", "-c", "4", "-o", "wide", "--max-results", "2")
    assert run(capsys, "select", "-c", "4", "-o", "table-wide", "--max-results", "2") == wide
    assert "Spot by zone" in wide[1]


def test_output_with_emit_is_refused_in_one_line(capsys):
    code, out, err = run(capsys, "select", "-c", "4", "--emit", "pool", "-o", "json")
    assert (code, out) == (2, "")
    assert (
        err == "error: -o: does not apply with --emit: the emitter writes its own format; drop -o\n"
    )
    assert run(capsys, "select", "-c", "4", "-a", "arm64", "--emit", "pool")[0] == 0


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("--vcpus", "x"), "error: Invalid value for '--vcpus' / '-c': not a whole number\n"),
        (("--price-per-hour", "x"), "error: Invalid value for '--price-per-hour': not a number\n"),
        (
            ("--usage-class", "ondemand"),
            "error: Invalid value for '--usage-class' / '-u': 'ondemand' is not one of 'spot', "
            "'on-demand'.\n",
        ),
    ],
)
def test_a_value_of_the_wrong_type_is_said_plainly(capsys, args, said):
    code, out, err = run(capsys, "select", *args)
    assert (code, out, err) == (2, "", said)


def test_reversed_memory_bounds_are_said_as_written(capsys):
    code, out, err = run(capsys, "select", "--memory-min", "64", "--memory-max", "2Gi")
    assert (code, out) == (2, "")
    assert err == (
        "error: --memory-min: 64 is more than --memory-max 2Gi; swap the bounds or widen the "
        "range\n"
    )


def test_memory_that_is_not_whole_gib_reads_to_two_decimals(capsys):
    code, out, _ = run(capsys, "select", "--allow-list", r"^(c1\.medium|t1\.micro)$")
    rows = {line.split()[0]: line for line in out.splitlines()[1:]}
    assert code == 0
    assert " 1.7 GiB " in rows["c1.medium"] and " 0.61 GiB " in rows["t1.micro"]
