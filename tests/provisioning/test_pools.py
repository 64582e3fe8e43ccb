"""The packer's pools built from NodePools: which types a pool may launch."""

from spotwise.catalog.bundled import load_bundled
from spotwise.config.nodepool import NodePool
from spotwise.provisioning.pools import build_pool, default_nodepool


def _types(pool):
    return {s.name for s in pool.shapes}


def test_the_default_pool_leaves_out_burstable_previous_generation_and_metal():
    catalog = load_bundled()
    types = _types(build_pool(default_nodepool(), catalog))
    kinds = [catalog.instance_type(t) for t in types]
    assert {"m7i.large", "c6g.xlarge", "g4dn.xlarge"} <= types
    assert not [t.name for t in kinds if t.burstable or t.bare_metal or not t.current_generation]


def test_named_types_are_kept_whatever_their_kind():
    named = ["t3.small", "m3.medium", "m5.metal"]
    doc = {
        "apiVersion": "spotwise.io/v1alpha1",
        "kind": "NodePool",
        "metadata": {"name": "old"},
        "spec": {"instanceTypes": named},
    }
    assert _types(build_pool(NodePool.model_validate(doc), load_bundled())) == set(named)
