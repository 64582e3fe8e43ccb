from __future__ import annotations

import pytest
import yaml

from spotwise.catalog.bundled import load_bundled
from spotwise.decisions.selector.candidate import Candidate
from spotwise.decisions.selector.criteria import Criteria, Range
from spotwise.decisions.selector.emit_kops import emit_kops, instance_groups
from spotwise.decisions.selector.select import select
from spotwise.errors import UserError
from spotwise.model.allocation import SpotAllocationStrategy
from spotwise.model.instance_type import Architecture, CapacityType, Gpu, InstanceType

CA = "k8s.io/cluster-autoscaler"
ZONES = ("us-east-1a", "us-east-1b", "us-east-1c")
SPOT = CapacityType.SPOT


def cand(
    name: str,
    vcpus: int,
    gib: int,
    spot: float,
    on_demand: float = 1.0,
    zones: tuple[str, ...] = ZONES,
    arch: Architecture = Architecture.X86_64,
    gpus: int = 0,
) -> Candidate:
    gpu = (Gpu("NVIDIA", "T4", gpus, 16384),) if gpus else ()
    t = InstanceType(name, vcpus, gib * 1024, (arch,), gpus=gpu)
    return Candidate(t, on_demand, dict.fromkeys(zones, spot), {}, None, zones)


# Ratio 2: two shapes, 2x4 with three types beats 4x8 with one.
# Ratio 4: 2x8 and 4x16 tie on count; 4x16 has the cheaper spot price, 2x8 the cheaper
# on-demand price.
# Ratio 8: one shape.
CANDIDATES = [
    cand("c5.large", 2, 4, 0.040),
    cand("c6i.large", 2, 4, 0.030),
    cand("c7i.large", 2, 4, 0.035, zones=ZONES[:2]),
    cand("c5.xlarge", 4, 8, 0.010),
    cand("m5.large", 2, 8, 0.050, on_demand=0.096),
    cand("m6i.large", 2, 8, 0.045, on_demand=0.097),
    cand("m5.xlarge", 4, 16, 0.040),
    cand("m6i.xlarge", 4, 16, 0.070),
    cand("r5.large", 2, 16, 0.080),
]


def groups_of(text: str) -> list[dict]:
    return list(yaml.safe_load_all(text))


def test_groups_diversify_by_ratio_with_one_shape_each() -> None:
    docs = groups_of(emit_kops(CANDIDATES, groups=3, cluster="k.example.com", usage_class=SPOT))
    assert [d["metadata"]["name"] for d in docs] == ["nodes-1", "nodes-2", "nodes-3"]
    instances = [d["spec"]["mixedInstancesPolicy"]["instances"] for d in docs]
    # Cheapest spot first inside a group; the machineType is the head.
    assert instances == [
        ["c6i.large", "c7i.large", "c5.large"],
        ["m5.xlarge", "m6i.xlarge"],
        ["r5.large"],
    ]
    assert [d["spec"]["machineType"] for d in docs] == ["c6i.large", "m5.xlarge", "r5.large"]
    by_name = {c.name: c.instance_type for c in CANDIDATES}
    for index, names in enumerate(instances):
        shapes = {(by_name[n].vcpus, by_name[n].memory_mib) for n in names}
        assert len(shapes) == 1
        ((vcpus, memory_mib),) = shapes
        assert memory_mib / 1024 / vcpus == 2 ** (index + 1)


def test_single_group_document_has_exact_kops_fields() -> None:
    text = emit_kops(
        CANDIDATES,
        groups=1,
        cluster="k.example.com",
        usage_class=SPOT,
        name_prefix="spot",
        min_size=1,
        max_size=5,
        on_demand_base=0,
        spot_allocation_strategy=SpotAllocationStrategy.CAPACITY_OPTIMIZED,
        taint_spot=True,
    )
    assert text.startswith("---\napiVersion: kops.k8s.io/v1alpha2\n")
    (doc,) = groups_of(text)
    labels = {
        "kops.k8s.io/instancegroup": "spot",
        "lifecycle": "Ec2Spot",
        "node.kubernetes.io/lifecycle": "spot",
    }
    assert doc == {
        "apiVersion": "kops.k8s.io/v1alpha2",
        "kind": "InstanceGroup",
        "metadata": {"name": "spot", "labels": {"kops.k8s.io/cluster": "k.example.com"}},
        "spec": {
            "role": "Node",
            "machineType": "c6i.large",
            "minSize": 1,
            "maxSize": 5,
            # c7i.large is not offered in us-east-1c.
            "subnets": ["us-east-1a", "us-east-1b"],
            "mixedInstancesPolicy": {
                "instances": ["c6i.large", "c7i.large", "c5.large"],
                "onDemandBase": 0,
                "onDemandAboveBase": 0,
                "spotAllocationStrategy": "capacity-optimized",
            },
            "cloudLabels": {
                "k8s.io/cluster-autoscaler/enabled": "1",
                "k8s.io/cluster-autoscaler/k.example.com": "1",
                **{
                    f"k8s.io/cluster-autoscaler/node-template/label/{k}": v
                    for k, v in labels.items()
                },
                f"{CA}/node-template/taint/spotInstance": "true:PreferNoSchedule",
            },
            "nodeLabels": labels,
            "taints": ["spotInstance=true:PreferNoSchedule"],
        },
    }


def test_on_demand_usage_is_all_on_demand_ordered_by_on_demand_price() -> None:
    docs = groups_of(
        emit_kops(
            CANDIDATES,
            groups=2,
            cluster="k",
            usage_class=CapacityType.ON_DEMAND,
            taint_spot=True,
            subnets=["private-a"],
        )
    )
    spec = docs[1]["spec"]
    assert spec["mixedInstancesPolicy"]["onDemandAboveBase"] == 100
    assert spec["mixedInstancesPolicy"]["instances"] == ["m5.large", "m6i.large"]
    assert spec["nodeLabels"]["lifecycle"] == "OnDemand"
    assert spec["nodeLabels"]["node.kubernetes.io/lifecycle"] == "on-demand"
    assert "taints" not in spec
    assert spec["subnets"] == ["private-a"]


def test_mixed_split_gets_no_lifecycle_label_or_taint() -> None:
    (doc,) = groups_of(
        emit_kops(
            CANDIDATES,
            groups=1,
            cluster="k",
            usage_class=SPOT,
            on_demand_base=1,
            on_demand_above_base=20,
            taint_spot=True,
        )
    )
    spec = doc["spec"]
    assert spec["nodeLabels"] == {"kops.k8s.io/instancegroup": "nodes"}
    assert "taints" not in spec
    assert spec["mixedInstancesPolicy"]["onDemandBase"] == 1
    assert spec["mixedInstancesPolicy"]["onDemandAboveBase"] == 20


def test_gpu_and_architecture_split_shapes() -> None:
    rows = [
        cand("m5.xlarge", 4, 16, 0.06),
        cand("m6i.xlarge", 4, 16, 0.07),
        cand("g4dn.xlarge", 4, 16, 0.02, gpus=1),
        cand("m6g.xlarge", 4, 16, 0.01, arch=Architecture.ARM64),
        cand("c6i.large", 2, 4, 0.03),
    ]
    docs = instance_groups(rows, groups=2, cluster="k", usage_class=SPOT)
    assert docs[1]["spec"]["mixedInstancesPolicy"]["instances"] == ["m5.xlarge", "m6i.xlarge"]


def test_too_many_groups_names_the_flag_and_what_is_supported() -> None:
    with pytest.raises(UserError) as raised:
        emit_kops(CANDIDATES, groups=4, cluster="k", usage_class=SPOT)
    assert raised.value.subject == "--groups"
    assert "16 GiB per vCPU" in raised.value.problem
    assert "supports 3 groups" in raised.value.problem
    assert raised.value.fix == "pass --groups 3"


def test_a_gap_in_ratios_limits_the_supported_groups() -> None:
    rows = [c for c in CANDIDATES if c.gib_per_vcpu != 4]
    with pytest.raises(UserError, match="supports 1 group;"):
        emit_kops(rows, groups=3, cluster="k", usage_class=SPOT)


def test_groups_start_at_the_smallest_ratio_the_selection_has() -> None:
    # 1:4 and 1:8 types only (as `-c 4 -m 16` selects): the first group is 1:4, not 1:2.
    rows = [c for c in CANDIDATES if c.gib_per_vcpu in (4, 8)]
    first, second = instance_groups(rows, groups=2, cluster="k", usage_class=SPOT)
    ratios = [
        {c.gib_per_vcpu for c in rows if c.name in g["spec"]["mixedInstancesPolicy"]["instances"]}
        for g in (first, second)
    ]
    assert ratios == [{4.0}, {8.0}]
    with pytest.raises(UserError, match="supports 2 groups"):
        emit_kops(rows, groups=3, cluster="k", usage_class=SPOT)


def test_a_selection_of_no_group_ratio_is_refused_naming_the_ratios() -> None:
    odd = [cand("x1.odd", 2, 6, 0.1)]  # 3 GiB per vCPU
    with pytest.raises(UserError, match="no selected type has 2, 4, 8, 16, 32 or 64 GiB"):
        emit_kops(odd, groups=1, cluster="k", usage_class=SPOT)


@pytest.mark.parametrize(
    ("kwargs", "flag"),
    [
        ({"groups": 0}, "--groups"),
        ({"min_size": 3, "max_size": 2}, "--max-size"),
        ({"min_size": 0, "max_size": 0}, "--max-size"),
        # A negative minimum is the minimum's fault, however large the maximum.
        ({"min_size": -1, "max_size": 5}, "--min-size"),
        ({"on_demand_above_base": 101}, "--on-demand-above-base"),
        ({"on_demand_base": -1}, "--on-demand-base"),
    ],
)
def test_bad_flags_are_user_errors(kwargs: dict, flag: str) -> None:
    args = {"groups": 1, "cluster": "k", "usage_class": SPOT} | kwargs
    with pytest.raises(UserError) as raised:
        emit_kops(CANDIDATES, **args)
    assert raised.value.subject == flag


def test_bundled_catalog_groups_hold_one_shape_of_the_right_ratio() -> None:
    criteria = Criteria(
        vcpus=Range(2, 8), gpus=Range.exactly(0), usage_class=SPOT, current_generation=True
    )
    rows = list(select(load_bundled(), criteria))
    docs = instance_groups(rows, groups=3, cluster="k", usage_class=SPOT)
    types = {c.name: c for c in rows}
    for index, doc in enumerate(docs):
        names = doc["spec"]["mixedInstancesPolicy"]["instances"]
        assert 2 <= len(names) <= 40
        shapes = {
            (t.vcpus, t.memory_mib, t.architecture) for t in (types[n].instance_type for n in names)
        }
        assert len(shapes) == 1
        assert {types[n].gib_per_vcpu for n in names} == {2 ** (index + 1)}
        # Cheapest spot first; types without a known spot price come last.
        spots = [types[n].spot_price for n in names]
        known = [p for p in spots if p is not None]
        assert spots[: len(known)] == sorted(known)


def test_types_without_a_shared_zone_point_to_availability_zones() -> None:
    rows = [
        cand("c5.large", 2, 4, 0.040, zones=("us-east-1a",)),
        cand("c6i.large", 2, 4, 0.030, zones=("us-east-1b",)),
    ]
    with pytest.raises(UserError) as raised:
        emit_kops(rows, groups=1, cluster="k", usage_class=SPOT)
    assert raised.value.subject == "--availability-zones"
    assert "--subnets" not in str(raised.value)  # there is no such flag
    assert "--availability-zones" in raised.value.fix
