"""The consolidation loop: a move is made only when a later pass proposes it again."""

import dataclasses

from prometheus_client import CollectorRegistry

from provisioning.builders import FakeCluster, nodepool, pods, setup
from scheduling.builders import node
from spotwise.decisions.interruption.node_state import DISRUPTED_TAINT_KEY, in_progress
from spotwise.disruption.consolidator import VALIDATION_SECONDS, Consolidator, templates_of
from spotwise.disruption.metrics import ConsolidationMetrics
from spotwise.model.labels import NODE_POOL


class MarkingCluster(FakeCluster):
    """The provisioning tests' cluster, recording the patches and Events of the loop."""

    def __init__(self) -> None:
        super().__init__()
        self.patches: list[tuple[str, object]] = []
        self.events: list[object] = []

    def patch_node(self, name, patch) -> None:
        self.patches.append((name, patch))

    def emit(self, event) -> None:
        self.events.append(event)


def loop(dry_run: bool = False, registry: CollectorRegistry | None = None, **spec):
    provisioner, _, _, clock = setup()
    cluster = MarkingCluster()
    pool = nodepool(**spec)
    metrics = ConsolidationMetrics(registry) if registry is not None else None
    consolidator = Consolidator(
        cluster,
        provisioner,
        clock,
        {"web": pool.spec.disruption},
        templates=templates_of([pool]),
        dry_run=dry_run,
        metrics=metrics,
    )
    return consolidator, cluster, clock


def pooled(name: str, created: float, bound=()):
    n = node(name, "m5.large", "us-east-1a", bound=tuple(bound), labels={NODE_POOL: "web"})
    return dataclasses.replace(n, created_at=created)


def test_an_empty_node_is_marked_when_a_later_pass_proposes_it_again():
    registry = CollectorRegistry()
    consolidator, cluster, clock = loop(registry=registry)
    cluster.nodes = [pooled("idle", clock.now() - 3600)]
    first = consolidator.run()  # seen for the first time: quiet from now on
    assert first.started == () and cluster.patches == []
    clock.advance(60)  # quiet for 60 s, past consolidateAfter (30 s): proposed
    proposed = consolidator.run()
    assert [m.nodes for m in proposed.proposed] == [("idle",)]
    assert cluster.patches == []
    clock.advance(VALIDATION_SECONDS)
    confirmed = consolidator.run()
    assert [m.nodes for m in confirmed.started] == [("idle",)]
    ((name, patch),) = cluster.patches
    assert name == "idle" and patch.unschedulable is True
    marked = dataclasses.replace(cluster.nodes[0], taints=patch.add_taints)
    state = in_progress(marked)
    assert state is not None and state.voluntary and state.deadline is None
    assert patch.add_taints[0].key == DISRUPTED_TAINT_KEY
    assert [e.reason for e in cluster.events] == ["Consolidating"]
    labels = {"kind": "empty"}
    assert registry.get_sample_value("spotwise_consolidation_moves_total", labels) == 1
    assert registry.get_sample_value("spotwise_consolidation_nodes_total", labels) == 1
    saved = registry.get_sample_value(
        "spotwise_consolidation_savings_dollars_per_hour_total", labels
    )
    assert saved == confirmed.started[0].saving_per_hour > 0


def test_a_proposal_the_next_pass_does_not_repeat_is_dropped():
    registry = CollectorRegistry()
    consolidator, cluster, clock = loop(registry=registry)
    cluster.nodes = [pooled("idle", clock.now() - 3600)]
    consolidator.run()
    clock.advance(60)
    assert consolidator.run().proposed
    # A pod lands on it before the move is confirmed: the answer changed, nothing happens.
    cluster.nodes = [pooled("idle", clock.now() - 3600, bound=pods(1))]
    clock.advance(VALIDATION_SECONDS)
    assert consolidator.run().started == ()
    assert cluster.patches == []
    kept = "spotwise_consolidation_kept_nodes"
    assert registry.get_sample_value(kept, {"reason": "pods-changed-lately"}) == 1
    assert registry.get_sample_value(kept, {"reason": "blocked"}) == 0


def test_a_dry_run_decides_and_changes_nothing():
    consolidator, cluster, clock = loop(dry_run=True)
    cluster.nodes = [pooled("idle", clock.now() - 3600)]
    for _ in range(3):
        report = consolidator.run()
        clock.advance(60)
    assert report.started and cluster.patches == [] and cluster.events == []


def test_an_expired_node_is_marked_with_its_pools_termination_grace_period_as_deadline():
    registry = CollectorRegistry()
    disruption = {"expireAfter": "1h", "terminationGracePeriod": "30m"}
    consolidator, cluster, clock = loop(registry=registry, disruption=disruption)
    cluster.nodes = [pooled("old", clock.now() - 7200, bound=owned(2))]
    consolidator.run()
    clock.advance(VALIDATION_SECONDS)
    (move,) = consolidator.run().started
    assert move.kind.value == "expired"
    ((_, patch),) = cluster.patches
    state = in_progress(dataclasses.replace(cluster.nodes[0], **patch_fields(patch)))
    assert state is not None and state.voluntary and state.kind == "expired"
    assert state.deadline == clock.now() + 1800
    labels = {"kind": "expired"}
    assert registry.get_sample_value("spotwise_consolidation_nodes_total", labels) == 1


def test_a_node_launched_before_its_pool_changed_is_replaced_as_drifted():
    consolidator, cluster, clock = loop(labels={"team": "shop"})
    before = nodepool(labels={"team": "web"})
    old = pooled("old", clock.now() - 60, bound=owned(2))  # young: drift does not wait
    stamped = {**old.labels, **before.spec.node_labels}
    cluster.nodes = [dataclasses.replace(old, labels=type(old.labels)(stamped))]
    consolidator.run()
    clock.advance(VALIDATION_SECONDS)
    (move,) = consolidator.run().started
    assert move.kind.value == "drifted" and "changed since it was launched" in move.reason
    ((_, patch),) = cluster.patches
    state = in_progress(dataclasses.replace(cluster.nodes[0], **patch_fields(patch)))
    assert state is not None and state.deadline is None


def owned(n: int) -> list:
    """Pods of a Deployment: consolidation may move them."""
    return [dataclasses.replace(p, owner="Deployment/web") for p in pods(n)]


def patch_fields(patch) -> dict:
    """The node fields a marking patch sets, as `in_progress` reads them."""
    return {
        "taints": patch.add_taints,
        "annotations": {k: v for k, v in patch.annotations.items() if v is not None},
    }
