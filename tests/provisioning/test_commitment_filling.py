"""The provisioner and consolidation fill a free reserved instance before buying spot."""

from __future__ import annotations

import dataclasses

from provisioning.builders import pods, setup
from spotwise.decisions.cost.attribution import ReservedInstance
from spotwise.decisions.disruption.consolidation import (
    ConsolidationInput,
    MoveKind,
    Rules,
    consolidate,
)
from spotwise.decisions.scheduling.commitments import Commitments, covered_shares
from spotwise.model.instance_type import CapacityType
from spotwise.model.labels import NODE_POOL
from spotwise.provisioning.launcher import Launched

from scheduling.builders import node  # isort: skip

RESERVED = ReservedInstance("ri-1", "m5.large", 1, "us-east-1", "us-east-1a")
COMMITMENTS = Commitments("us-east-1", (RESERVED,))
OD, SPOT = CapacityType.ON_DEMAND, CapacityType.SPOT


def launched(provisioner, cluster, n: int = 1):
    cluster.pending = pods(n)
    (launch,) = provisioner.reconcile().launches
    assert isinstance(launch.outcome, Launched)
    return launch.outcome.instance


def test_a_free_reservation_is_filled_first_then_spot_is_bought() -> None:
    provisioner, cluster, _, _ = setup(commitments=COMMITMENTS)
    first = launched(provisioner, cluster)
    assert (first.instance_type, first.zone, first.capacity_type) == ("m5.large", "us-east-1a", OD)
    # The reservation is now used by the node being launched: more pods go to spot.
    cluster.pending = [dataclasses.replace(p, name=f"more-{i}") for i, p in enumerate(pods(2))]
    (launch,) = provisioner.reconcile().launches
    assert launch.node.capacity_type is SPOT


def test_without_commitments_the_same_pod_goes_to_spot() -> None:
    provisioner, cluster, _, _ = setup()
    assert launched(provisioner, cluster).capacity_type is SPOT


def _pooled(name, instance_type, capacity_type, bound=()):
    n = node(name, instance_type, "us-east-1a", capacity_type, tuple(bound))
    return dataclasses.replace(n, labels=n.labels.merged({NODE_POOL: "web"}))


def test_consolidation_moves_spot_pods_onto_a_free_reservation_and_keeps_it_filled() -> None:
    provisioner, _, _, clock = setup(commitments=COMMITMENTS)
    web = [dataclasses.replace(p, owner="Deployment/web") for p in pods(1)]
    spot = _pooled("spot", "m5.large", SPOT, web)

    def decide(nodes, priced_as_billed=True):
        pools, memo = provisioner.planning_pools(nodes, clock.now())
        names = [n.name for n in nodes]
        return consolidate(
            ConsolidationInput(
                tuple(nodes),
                pools,
                {"web": Rules()},
                clock.now(),
                created=dict.fromkeys(names, clock.now() - 7200),
                quiet_since=dict.fromkeys(names, clock.now() - 7200),
                covered=covered_shares(pools, nodes, provisioner.commitments)
                if priced_as_billed
                else {},
                memo=memo,
            )
        )

    (move,) = decide([spot]).moves
    assert move.kind is MoveKind.REPLACE
    (new,) = move.replacements
    assert (new.capacity_type, new.instance_types, new.zones) == (
        OD,
        ("m5.large",),
        ("us-east-1a",),
    )
    # Once the reserved node runs the pods, nothing moves them back to spot.
    reserved = _pooled("reserved", "m5.large", OD, web)
    decision = decide([reserved])
    assert decision.moves == ()
    assert [k.why.value for k in decision.kept] == ["saves-too-little"]
    # Priced at its list price instead, it would go back to spot, emptying the reservation.
    (back,) = decide([reserved], priced_as_billed=False).moves
    assert back.reason.startswith("on-demand back to spot")
