"""A new node's zone, when pods care about zones: near their affinity, away from their
anti-affinity, in the least crowded domain of their spread."""

from __future__ import annotations

from scheduling.builders import node, pod_list, pool, spec
from spotwise.decisions.scheduling.packer import PackInput, pack
from spotwise.model.labels import ZONE
from spotwise.model.scheduling_terms import (
    LabelSelector,
    PodAffinityTerm,
    TopologySpreadConstraint,
    WhenUnsatisfiable,
)

CACHE = LabelSelector((("app", "cache"),))
WEB = LabelSelector((("app", "web"),))


def _full(name: str, zone: str, app: str, count: int = 1):
    """A node in ``zone`` whose ``app`` pods leave no room for another pod."""
    bound = pod_list(spec("1800m", "1Gi", labels={"app": app}), count, prefix=f"{name}-{app}")
    return node(name, "m5.large", zone, bound=tuple(bound))


def _zones_of_new_nodes(pods, nodes) -> list[tuple[str, ...]]:
    plan = pack(PackInput(tuple(pods), tuple(nodes), (pool(),)))
    assert not plan.unschedulable, plan.unschedulable
    return [n.zones for n in plan.nodes]


def test_zonal_affinity_opens_the_node_in_the_zone_of_its_peers() -> None:
    near = spec(affinity=(PodAffinityTerm(CACHE, ZONE),))
    assert _zones_of_new_nodes(pod_list(near, 1), [_full("n1", "us-east-1c", "cache")]) == [
        ("us-east-1c",)
    ]


def test_zonal_anti_affinity_opens_the_node_where_no_peer_runs() -> None:
    away = spec(anti_affinity=(PodAffinityTerm(WEB, ZONE),))
    nodes = [_full("n1", "us-east-1a", "web"), _full("n2", "us-east-1b", "web")]
    assert _zones_of_new_nodes(pod_list(away, 1), nodes) == [("us-east-1c",)]


def test_a_zone_spread_opens_the_node_in_the_least_crowded_zone() -> None:
    spread = TopologySpreadConstraint(5, ZONE, WhenUnsatisfiable.DO_NOT_SCHEDULE, WEB)
    pods = pod_list(spec(spread=(spread,)), 1)
    nodes = [
        _full("n1", "us-east-1a", "web"),
        _full("n2", "us-east-1a", "web"),
        _full("n3", "us-east-1b", "web"),
        _full("n4", "us-east-1c", "web"),
        _full("n5", "us-east-1c", "web"),
    ]
    # Skew 5 allows any zone; the least crowded is chosen all the same.
    assert _zones_of_new_nodes(pods, nodes) == [("us-east-1b",)]


def test_pods_another_pending_pod_keeps_away_open_nodes_outside_its_zone() -> None:
    # The db keeps web pods out of its zone (required anti-affinity on the zone, which
    # binds both ways). Web pods care about zones only through it: their nodes must open
    # in another zone, not in the first zone by name, where the db went.
    db = spec("1800m", "1Gi", labels={"app": "db"}, anti_affinity=(PodAffinityTerm(WEB, ZONE),))
    web = spec("1800m", "1Gi", labels={"app": "web"})
    plan = pack(PackInput(tuple(pod_list(db, 1, "db") + pod_list(web, 4, "web")), (), (pool(),)))
    assert not plan.unschedulable, plan.unschedulable
    (db_zone,) = [n.zones for n in plan.nodes if "default/db-0" in n.pods]
    assert all(db_zone[0] not in n.zones for n in plan.nodes if "default/db-0" not in n.pods)
