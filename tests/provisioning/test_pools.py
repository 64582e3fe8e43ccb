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
    # m5, m6i and c5 carry a wrong previous-generation flag in the public data; m4 is old.
    assert {"m7i.large", "c6g.xlarge", "g4dn.xlarge", "m5.large", "m6i.large", "c5.xlarge"} <= types
    assert not types & {"m4.large", "c4.large", "m3.medium", "a1.large", "t3.small", "t4g.large"}
    assert not [t.name for t in kinds if t.burstable or t.bare_metal or t.previous_generation]


def test_requirements_that_choose_families_get_what_they_choose():
    doc = {
        "apiVersion": "spotwise.io/v1alpha1",
        "kind": "NodePool",
        "metadata": {"name": "burst"},
        "spec": {
            "requirements": [
                {"key": "karpenter.k8s.aws/instance-family", "operator": "In", "values": ["t3"]}
            ]
        },
    }
    types = _types(build_pool(NodePool.model_validate(doc), load_bundled()))
    assert types and all(t.startswith("t3.") for t in types)


def test_named_types_are_kept_whatever_their_kind():
    named = ["t3.small", "m3.medium", "m5.metal"]
    doc = {
        "apiVersion": "spotwise.io/v1alpha1",
        "kind": "NodePool",
        "metadata": {"name": "old"},
        "spec": {"instanceTypes": named},
    }
    assert _types(build_pool(NodePool.model_validate(doc), load_bundled())) == set(named)


def _named_pool(spec):
    doc = {"apiVersion": "spotwise.io/v1alpha1", "kind": "NodePool", "metadata": {"name": "p"}}
    return build_pool(NodePool.model_validate({**doc, "spec": spec}), load_bundled())


def test_max_interruption_drops_stormy_spot_offers_and_keeps_on_demand() -> None:
    catalog = load_bundled()
    calm, stormy = "c7g.large", "c6gd.2xlarge"
    assert catalog.economics[calm].interruption.upper_percent <= 10
    assert catalog.economics[stormy].interruption.label == ">20%"
    pool = _named_pool({"instanceTypes": [stormy, calm], "maxInterruption": 10})
    offers = {s.name: {o.capacity_type.value for o in s.offers} for s in pool.shapes}
    # The stormy type may still be bought on-demand; the calm one both ways, in every zone.
    assert offers == {stormy: {"on-demand"}, calm: {"spot", "on-demand"}}
    shape = next(s for s in pool.shapes if s.name == calm)
    zones = catalog.economics[calm].zones
    assert len([o for o in shape.offers if o.capacity_type.value == "spot"]) == len(zones)
    stormy_shape = next(s for s in pool.shapes if s.name == stormy)
    assert len(stormy_shape.offers) == len(catalog.economics[stormy].zones)  # on-demand, all
