"""The strategies compare on equal terms: the same pools, bought differently."""

from __future__ import annotations

from collections import Counter

import pytest

from spotwise.catalog.bundled import load_catalog
from spotwise.catalog.catalog import Catalog
from spotwise.model.allocation import SpotAllocationStrategy
from spotwise.model.instance_type import Architecture
from spotwise.provisioning.pools import build_pool
from spotwise.simulator.scenario import default_scenario
from spotwise.simulator.strategies import GROUP_TYPES, node_groups, spotwise


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog("us-east-1", None)


def test_node_groups_are_made_from_the_scenarios_own_pools(catalog: Catalog) -> None:
    pools = default_scenario().nodepools
    groups = node_groups(catalog, pools).nodepools
    assert [g.name for g in groups] == [p.name for p in pools]
    for group, pool in zip(groups, pools, strict=True):
        allowed = {s.name for s in build_pool(pool, catalog).shapes}
        types = [catalog.instance_type(n) for n in group.spec.instance_types]
        assert types and {t.name for t in types} <= allowed
        assert (group.spec.requirements, group.spec.taints) == (
            pool.spec.requirements,
            pool.spec.taints,
        )
        assert group.spec.capacity_types == pool.spec.capacity_types
        assert group.spec.spot_allocation_strategy is SpotAllocationStrategy.CAPACITY_OPTIMIZED
        # One node size per pool, as kops instance groups have, at most GROUP_TYPES types
        # of each exact shape (an Auto Scaling group's policy holds no more).
        assert len({t.vcpus for t in types}) == 1
        shapes = Counter((t.architecture, t.memory_mib, t.gpu_count) for t in types)
        assert max(shapes.values()) <= GROUP_TYPES


def test_node_groups_keep_the_families_and_architectures_the_pool_allows(
    catalog: Catalog,
) -> None:
    general = default_scenario().nodepools[0]
    (group,) = node_groups(catalog, [general]).nodepools
    types = [catalog.instance_type(n) for n in group.spec.instance_types]
    assert {t.architecture for t in types} == {Architecture.X86_64, Architecture.ARM64}
    assert {t.name[0] for t in types} == {"c", "m", "r"}
    assert {t.vcpus for t in types} == {16}  # the middle of 8, 16 and 32


def test_gpu_groups_are_sized_for_one_gpu(catalog: Catalog) -> None:
    gpu = default_scenario().nodepools[1]
    (group,) = node_groups(catalog, [gpu]).nodepools
    types = [catalog.instance_type(n) for n in group.spec.instance_types]
    assert {t.gpu_count for t in types} == {1}


def test_every_spotwise_variant_uses_the_same_pools(catalog: Catalog) -> None:
    pools = default_scenario().nodepools
    for strategy in SpotAllocationStrategy:
        variant = spotwise(pools, strategy)
        assert [p.spec.requirements for p in variant.nodepools] == [
            p.spec.requirements for p in pools
        ]
        assert {p.spec.spot_allocation_strategy for p in variant.nodepools} == {strategy}


def test_the_default_pool_gets_general_groups_and_a_gpu_group(catalog: Catalog) -> None:
    (group,) = node_groups(catalog).nodepools
    types = [catalog.instance_type(n) for n in group.spec.instance_types]
    general = [t for t in types if not t.exotic]
    gpus = [t for t in types if t.gpu_count]
    assert general and gpus and len(general) + len(gpus) == len(types)
    assert len({t.vcpus for t in general}) == 1  # one size for the general groups
    assert {t.gpu_count for t in gpus} == {1} and len({t.vcpus for t in gpus}) == 1
