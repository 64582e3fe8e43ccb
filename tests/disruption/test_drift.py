"""Drift: which nodes are no longer what their pool launches, from the pool's document."""

import dataclasses

import pytest
import yaml

from scheduling.builders import node
from spotwise.config.nodepool import parse_nodepool
from spotwise.decisions.disruption.drift import HASH_LABEL, drift
from spotwise.disruption.consolidator import drifted_nodes, templates_of
from spotwise.model.instance_type import CapacityType
from spotwise.model.labels import NODE_POOL

POOL = """
apiVersion: spotwise.io/v1alpha1
kind: NodePool
metadata: {name: web}
spec:
  instanceTypes: [m5.large, m5.xlarge]
  capacityTypes: [spot]
  zones: [us-east-1a]
  architecture: x86_64
  labels: {team: web}
  requirements:
  - {key: karpenter.k8s.aws/instance-generation, operator: Gt, values: ["4"]}
"""


def nodepool(**changes):
    document = yaml.safe_load(POOL)
    document["spec"].update(changes)
    return parse_nodepool(document)


def launched(pool, instance_type="m5.large", zone="us-east-1a", **labels):
    n = node(name="n", instance_type=instance_type, zone=zone, capacity_type=CapacityType.SPOT)
    stamped = {**n.labels, NODE_POOL: pool.name, **pool.spec.node_labels, **labels}
    return dataclasses.replace(n, labels=type(n.labels)(stamped))


def test_a_node_launched_from_the_pool_as_it_is_has_not_drifted():
    pool = nodepool()
    assert drift(launched(pool, **{"kubernetes.io/arch": "amd64"}), pool.template()) is None


def test_changing_labels_taints_or_launch_settings_drifts_the_nodes_launched_before():
    before = nodepool()
    n = launched(before)
    for change in (
        {"labels": {"team": "shop"}},
        {"taints": [{"key": "dedicated", "value": "web", "effect": "NoSchedule"}]},
        {"launch": {"ami": {"id": "ami-0123456789abcdef0"}, "instanceProfile": "nodes"}},
    ):
        assert "changed since it was launched" in drift(n, nodepool(**change).template())
    # What the pool buys or plans by does not change what a node is.
    assert drift(n, nodepool(weight=50, minInstanceTypes=2).template()) is None


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"instanceTypes": ["m5.xlarge"]}, "type m5.large is no longer among"),
        ({"capacityTypes": ["on-demand"]}, "no longer buys spot"),
        ({"zones": ["us-east-1b"]}, "zone us-east-1a is no longer"),
        ({"architecture": "arm64"}, "architecture amd64 is no longer"),
        (
            {"requirements": [{"key": "team", "operator": "NotIn", "values": ["web"]}]},
            "label team=web no longer meets",
        ),
    ],
)
def test_a_node_its_pool_no_longer_allows_drifted(change, words):
    n = launched(nodepool(), **{"kubernetes.io/arch": "amd64"})
    n = dataclasses.replace(n, labels=type(n.labels)({**n.labels, HASH_LABEL: "kept"}))
    template = dataclasses.replace(nodepool(**change).template(), hash="kept")
    assert words in drift(n, template)


def test_a_requirement_on_a_label_the_node_lacks_and_a_node_without_a_stamp_do_not_drift():
    # Nodes on EC2 register with the pool's labels only, not every label of their type.
    pool = nodepool(requirements=[{"key": "example.com/x", "operator": "In", "values": ["y"]}])
    n = launched(pool)
    assert drift(n, pool.template()) is None
    unstamped = dataclasses.replace(n, labels=type(n.labels)({NODE_POOL: "web"}))
    assert drift(unstamped, nodepool(labels={"team": "x"}).template()) is None


def test_the_loop_finds_drifted_nodes_of_the_pools_it_knows_only():
    before, after = nodepool(), nodepool(labels={"team": "shop"})
    n = launched(before)
    assert set(drifted_nodes([n], templates_of([after]))) == {"n"}
    assert drifted_nodes([n], templates_of([before])) == {}
    assert drifted_nodes([n], {}) == {}


def test_the_hash_is_of_the_fields_as_written_and_versioned():
    pool = nodepool()
    assert pool.spec.settings_hash.startswith("v1.")
    # Fields as written: a default spotwise changes, or an empty list written out, is no
    # change to what the node is.
    assert nodepool(taints=[]).spec.settings_hash == pool.spec.settings_hash
    n = launched(pool)
    other_way = dataclasses.replace(n, labels=type(n.labels)({**n.labels, HASH_LABEL: "v0.abc"}))
    assert drift(other_way, nodepool(labels={"team": "x"}).template()) is None
