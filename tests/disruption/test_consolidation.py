"""Consolidation decisions: each move, each rule that refuses one, and why nodes stay."""

import dataclasses

from scheduling.builders import node, pod_list, pool, spec
from spotwise.decisions.disruption.consolidation import (
    ConsolidationInput,
    KeptWhy,
    MoveKind,
    Policy,
    Rules,
    consolidate,
)
from spotwise.decisions.disruption.reasons import Reason
from spotwise.decisions.interruption.node_state import (
    ABANDONED_ANNOTATION,
    DISRUPTED_TAINT_KEY,
    iso,
)
from spotwise.model.disruption_hints import DisruptionHints
from spotwise.model.instance_type import CapacityType
from spotwise.model.labels import NODE_POOL
from spotwise.model.pod import Pod
from spotwise.model.scheduling_terms import Taint, TaintEffect

NOW = 1_000_000.0
OLD = NOW - 7200  # created two hours ago, quiet since
OD, SPOT = CapacityType.ON_DEMAND, CapacityType.SPOT
# Spot and on-demand, the five default types, one type enough for a spot list.
DEFAULT = pool("default", minInstanceTypes=1)
RULES = {"default": Rules()}


def pods(n: int, cpu: str = "500m", memory: str = "1Gi", prefix: str = "p", **hints) -> list[Pod]:
    s = spec(cpu, memory, labels={"app": prefix})
    made = pod_list(s, n, prefix=prefix, owner=f"Deployment/{prefix}")
    if hints:
        made = [dataclasses.replace(p, hints=DisruptionHints(**hints)) for p in made]
    return made


def pooled(name, instance_type="m5.xlarge", capacity_type=OD, bound=(), pool_name="default"):
    return node(
        name,
        instance_type,
        "us-east-1a",
        capacity_type,
        tuple(bound),
        labels={NODE_POOL: pool_name},
    )


def decide(nodes, pools=(DEFAULT,), rules=None, **fields):
    names = [n.name for n in nodes]
    request = ConsolidationInput(
        tuple(nodes),
        tuple(pools),
        rules if rules is not None else RULES,
        NOW,
        created=dict.fromkeys(names, OLD),
        quiet_since=dict.fromkeys(names, OLD),
        **fields,
    )
    return consolidate(request)


def kept(decision) -> dict[str, KeptWhy]:
    return {k.node: k.why for k in decision.kept}


# -- moves -------------------------------------------------------------------------------


def test_empty_nodes_go_together_and_nodes_of_other_pools_are_not_looked_at():
    daemon = dataclasses.replace(pods(1, prefix="ds")[0], per_node=True)
    empty = [pooled("e1", bound=[daemon]), pooled("e2")]
    foreign = pooled("x", pool_name="someone-else")
    decision = decide([*empty, foreign])
    (move,) = decision.moves
    assert move.kind is MoveKind.EMPTY
    assert move.nodes == ("e1", "e2")
    assert move.saving_per_hour > 0
    assert "x" not in kept(decision)


def test_a_node_whose_pods_fit_on_the_others_is_deleted():
    busy = pooled("busy", bound=pods(2, prefix="db", do_not_disrupt="true"))
    light = pooled("light", bound=pods(1, prefix="web"))
    decision = decide([busy, light])
    (move,) = decision.moves
    assert (move.kind, move.nodes, move.replacements) == (MoveKind.DELETE, ("light",), ())
    assert kept(decision) == {"busy": KeptWhy.BLOCKED}


def test_several_light_nodes_are_replaced_by_one():
    nodes = [pooled(f"n{i}", bound=pods(1, cpu="1", prefix=f"w{i}")) for i in range(3)]
    (move,) = decide(nodes).moves
    assert move.kind is MoveKind.REPLACE
    assert sorted(move.nodes) == ["n0", "n1", "n2"]
    assert len(move.replacements) == 1
    assert move.saving_per_hour > 0


def test_an_on_demand_node_goes_back_to_spot():
    on_demand = pooled("od", bound=pods(3, cpu="1", prefix="web"))
    (move,) = decide([on_demand]).moves
    assert move.kind is MoveKind.REPLACE
    (new,) = move.replacements
    assert new.capacity_type is SPOT
    assert move.reason.startswith("on-demand back to spot")


def test_one_large_node_is_replaced_by_several_smaller_ones_when_they_cost_less():
    # Only small nodes are offered now; the large node is priced as it was bought.
    large = dataclasses.replace(
        pooled("large", "m5.4xlarge", bound=pods(4, cpu="1500m", prefix="web")), price=0.768
    )
    small = pool("default", types=("m5.large",), capacity_types=("on-demand",))
    (move,) = decide([large], pools=(small,)).moves
    assert move.kind is MoveKind.REPLACE
    assert len(move.replacements) > 1
    total = sum(n.price_per_hour for n in move.replacements)
    assert move.saving_per_hour == 0.768 - total > 0


# -- what refuses a move -------------------------------------------------------------------


def test_a_spot_node_is_not_replaced_by_its_own_type():
    # Full enough that nothing smaller holds it, and m5.xlarge the cheapest that does.
    full = pooled("full", "m5.xlarge", SPOT, bound=pods(6, cpu="500m", memory="2Gi"))
    only = pool("default", types=("m5.xlarge",), capacity_types=("spot",), minInstanceTypes=1)
    decision = decide([full], pools=(only,))
    assert decision.moves == ()
    assert kept(decision) == {"full": KeptWhy.SAME_TYPE}


def test_spot_is_not_replaced_by_a_spot_list_shorter_than_the_pools_rule():
    spot = pooled("s", "m5.2xlarge", SPOT, bound=pods(2, prefix="web"))
    strict = pool("default", minInstanceTypes=10)  # five types: no list gets to ten
    decision = decide([spot], pools=(strict,))
    assert decision.moves == ()
    assert kept(decision) == {"s": KeptWhy.LESS_DIVERSE}


def test_a_move_that_saves_less_than_the_pool_asks_is_not_made():
    on_demand = pooled("od", bound=pods(3, cpu="1", prefix="web"))
    stingy = {"default": Rules(min_savings_percent=95.0)}
    decision = decide([on_demand], rules=stingy)
    assert decision.moves == ()
    (why,) = decision.kept
    assert why.why is KeptWhy.SAVES_TOO_LITTLE
    assert "the pool asks" in why.detail


def test_a_node_that_cannot_pay_even_at_the_cheapest_rates_is_not_packed():
    # 95% asked: even its pods at the cheapest CPU and memory on offer save less.
    on_demand = pooled("od", bound=pods(3, cpu="1", prefix="web"))
    stingy = {"default": Rules(min_savings_percent=95.0)}
    (why,) = decide([on_demand], rules=stingy).kept
    assert why.detail.startswith("at best saves")
    # 30% asked: the best case could pay, so the packer is asked, and the move pays.
    assert decide([on_demand], rules={"default": Rules(min_savings_percent=30.0)}).moves


def test_pods_that_cannot_be_placed_again_keep_their_node():
    pinned = dataclasses.replace(
        pods(1, prefix="db")[0], spec=dataclasses.replace(spec(labels={"app": "db"}), node="n1")
    )
    decision = decide([pooled("n1", bound=[pinned])])
    assert decision.moves == ()
    assert kept(decision) == {"n1": KeptWhy.PODS_DO_NOT_FIT}


# -- what keeps a node out of the candidates ----------------------------------------------


def test_young_busy_draining_and_when_empty_nodes_stay():
    young, changed, draining, full = (
        pooled(n, bound=pods(1, prefix=n)) for n in ("young", "changed", "draining", "full")
    )
    draining = dataclasses.replace(
        draining, taints=(Taint(DISRUPTED_TAINT_KEY, "consolidation", TaintEffect.NO_SCHEDULE),)
    )
    request = ConsolidationInput(
        (young, changed, draining, full),
        (DEFAULT,),
        {"default": Rules(policy=Policy.WHEN_EMPTY)},
        NOW,
        created={"young": NOW - 60, "changed": OLD, "draining": OLD, "full": OLD},
        quiet_since={"changed": NOW - 10},
    )
    decision = consolidate(request)
    assert decision.moves == ()
    assert kept(decision) == {
        "young": KeptWhy.TOO_YOUNG,
        "changed": KeptWhy.NOT_QUIET,
        "draining": KeptWhy.DISRUPTING,
        "full": KeptWhy.WHEN_EMPTY,
    }


def test_while_pods_are_pending_only_empty_nodes_go():
    decision = decide([pooled("e"), pooled("od", bound=pods(1))], pending=3)
    assert [m.kind for m in decision.moves] == [MoveKind.EMPTY]
    assert kept(decision) == {"od": KeptWhy.PENDING_PODS}


def test_a_pools_budget_caps_the_nodes_that_go():
    decision = decide(
        [pooled("e1"), pooled("e2"), pooled("e3")], allowed={Reason.EMPTY: {"default": 2}}
    )
    (move,) = decision.moves
    assert move.nodes == ("e1", "e2")
    assert kept(decision) == {"e3": KeptWhy.BUDGET}


def test_explain_prices_what_a_blocked_node_would_save():
    guarded = pooled("g", bound=pods(3, cpu="1", prefix="db", do_not_disrupt="true"))
    plain = decide([guarded])
    explained = decide([guarded], explain=True)
    (k,) = explained.kept
    assert k.why is KeptWhy.BLOCKED
    assert "do-not-disrupt" in k.detail
    assert plain.kept[0].cost_per_hour == 0.0 < k.cost_per_hour


def test_a_budget_for_every_reason_is_spent_once_by_empty_and_underutilized_nodes():
    # One node may go: the empty one takes the budget, the light one waits.
    light = pooled("light", bound=pods(1, prefix="web"))
    full = pooled("full", bound=pods(2, prefix="db", do_not_disrupt="true"))
    one = {"default": 1}
    decision = decide(
        [pooled("e"), light, full], allowed={Reason.UNDERUTILIZED: one, Reason.EMPTY: one}
    )
    assert [m.nodes for m in decision.moves] == [("e",)]
    assert kept(decision)["light"] is KeptWhy.BUDGET


def test_no_move_while_a_drain_is_under_way():
    draining = dataclasses.replace(
        pooled("draining", bound=pods(1, prefix="old")),
        taints=(Taint(DISRUPTED_TAINT_KEY, "delete", TaintEffect.NO_SCHEDULE),),
        unschedulable=True,
    )
    decision = decide([draining, pooled("e"), pooled("light", bound=pods(1, prefix="web"))])
    assert decision.moves == ()
    assert kept(decision) == {
        "draining": KeptWhy.DISRUPTING,
        "e": KeptWhy.PENDING_PODS,
        "light": KeptWhy.PENDING_PODS,
    }


# -- expiry and drift ----------------------------------------------------------------------


def test_expired_nodes_are_replaced_oldest_first_as_the_budget_allows_whatever_the_policy():
    a = pooled("a", bound=pods(3, prefix="a"))
    b = pooled("b", bound=pods(3, prefix="b"))
    young = pooled("young", bound=pods(1, prefix="c"))
    rules = {"default": Rules(Policy.WHEN_EMPTY, expire_after=3600.0)}
    request = ConsolidationInput(
        (a, b, young),
        (DEFAULT,),
        rules,
        NOW,
        created={"a": NOW - 7300, "b": NOW - 7400, "young": NOW - 60},
        quiet_since={"a": NOW - 10, "b": NOW - 10, "young": NOW - 10},
        allowed={Reason.EXPIRED: {"default": 1}},
    )
    decision = consolidate(request)
    (move,) = decision.moves
    assert (move.kind, move.nodes, move.replacements) == (MoveKind.EXPIRED, ("b",), ())
    assert "expireAfter of 1.0 h" in move.reason
    assert kept(decision) == {
        "a": KeptWhy.BUDGET,
        "young": KeptWhy.TOO_YOUNG,
    }


def test_a_node_of_unknown_age_never_expires():
    n = pooled("n", bound=pods(3, prefix="a"))
    request = ConsolidationInput(
        (n,), (DEFAULT,), {"default": Rules(Policy.WHEN_EMPTY, expire_after=1.0)}, NOW
    )
    assert consolidate(request).moves == ()


def test_a_drifted_node_is_replaced_even_when_its_pool_no_longer_prices_its_type():
    gone = pooled("gone", "c4.8xlarge", bound=pods(2, prefix="web"))  # not in the pool
    stays = pooled("stays", bound=pods(2, prefix="db", do_not_disrupt="true"))
    drifted = {
        "gone": "its type c4.8xlarge is no longer among the pool's instanceTypes",
        "stays": "its pool's labels changed",
    }
    decision = decide([gone, stays], drifted=drifted)
    (move,) = decision.moves
    assert (move.kind, move.nodes, move.saving_per_hour) == (MoveKind.DRIFTED, ("gone",), 0.0)
    assert move.reason == "drifted: its type c4.8xlarge is no longer among the pool's instanceTypes"
    # A pod that may not be disrupted holds a drifted node too.
    (blocked,) = decision.kept
    assert (blocked.node, blocked.why) == ("stays", KeptWhy.BLOCKED)
    assert blocked.detail.startswith("drifted: its pool's labels changed; ")


def test_consolidation_waits_while_an_expired_node_is_drained():
    old = pooled("old", bound=pods(1, prefix="a"))
    light = pooled("light", bound=pods(1, prefix="b"))
    request = ConsolidationInput(
        (old, light),
        (DEFAULT,),
        {"default": Rules(expire_after=3600.0)},
        NOW,
        created={"old": NOW - 7200, "light": NOW - 1800},
        quiet_since={"old": OLD, "light": OLD},
    )
    decision = consolidate(request)
    assert [m.kind for m in decision.moves] == [MoveKind.EXPIRED]
    assert kept(decision) == {"light": KeptWhy.PENDING_PODS}


def test_a_drifted_node_whose_pods_fit_nowhere_stays_and_a_given_up_node_is_left_alone():
    huge = pooled("huge", "m5.8xlarge", bound=pods(1, cpu="30", prefix="big"))
    given_up = dataclasses.replace(
        pooled("tried", bound=pods(1, prefix="web")),
        annotations={ABANDONED_ANNOTATION: iso(NOW - 600)},
    )
    decision = decide([huge, given_up], drifted={"huge": "its pool changed", "tried": "x"})
    assert decision.moves == ()
    kept_nodes = {k.node: k for k in decision.kept}
    assert kept_nodes["huge"].why is KeptWhy.PODS_DO_NOT_FIT  # no pool type holds 30 vCPU
    assert kept_nodes["huge"].detail.startswith("drifted: its pool changed; ")
    assert kept_nodes["tried"].why is KeptWhy.BACKING_OFF
    # An hour later it is tried again.
    later = dataclasses.replace(given_up, annotations={ABANDONED_ANNOTATION: iso(NOW - 3700)})
    (move,) = decide([later], drifted={"tried": "x"}).moves
    assert move.kind is MoveKind.DRIFTED
