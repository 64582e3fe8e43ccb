"""A NodePool's disruption block: its rules, its budgets, and the errors it gives."""

import math
from datetime import datetime

import pytest

from spotwise.config import load_nodepools
from spotwise.config.disruption import Disruption, Reason
from spotwise.decisions.disruption.consolidation import Policy, Rules
from spotwise.errors import UserError

POOL = """apiVersion: spotwise.io/v1alpha1
kind: NodePool
metadata: {{name: general}}
spec:
  disruption: {block}
"""


def load(tmp_path, block: str) -> Disruption:
    path = tmp_path / "pool.yaml"
    path.write_text(POOL.format(block=block))
    (pool,) = load_nodepools(path)
    return pool.spec.disruption


def test_the_defaults_consolidate_underutilized_nodes_ten_percent_at_a_time(tmp_path):
    disruption = load(tmp_path, "{}")
    assert disruption.rules() == Rules()
    assert disruption.allowed(5, Reason.UNDERUTILIZED, 0.0) == 1  # 10% of 5, rounded up
    assert disruption.allowed(40, Reason.EMPTY, 0.0) == 4


def test_fields_become_rules_and_the_most_restrictive_budget_wins(tmp_path):
    block = (
        "{consolidationPolicy: WhenEmpty, consolidateAfter: 5m, minNodeAge: 1h,"
        " minSavingsPercent: 20, minSavingsPerHour: 0.05, restrictScaleDown: true,"
        " budgets: [{nodes: '50%'}, {nodes: '1', reasons: [Underutilized]}]}"
    )
    disruption = load(tmp_path, block)
    assert disruption.rules() == Rules(Policy.WHEN_EMPTY, 300.0, 3600.0, 20.0, 0.05, True)
    assert disruption.allowed(10, Reason.EMPTY, 0.0) == 5
    assert disruption.allowed(10, Reason.UNDERUTILIZED, 0.0) == 1


def test_never_turns_consolidation_off(tmp_path):
    assert math.isinf(load(tmp_path, "{consolidateAfter: Never}").rules().consolidate_after)


@pytest.mark.parametrize(
    ("block", "words"),
    [
        ("{consolidateAfter: 5 minutes}", "is not a duration"),
        ("{consolidationPolicy: Always}", "consolidationPolicy"),
        ("{budgets: [{nodes: ten}]}", "a count or a percentage"),
        ("{budgets: [{nodes: '1', reasons: [Consolidation]}]}", "reasons"),
        ("{expireAfter: 30 days}", "is not a duration"),
        ("{terminationGracePeriod: soon}", "is not a duration"),
        ("{minSavingsPercent: 120}", "minSavingsPercent"),
        ("{budgets: [{nodes: '0', schedule: '@daily'}]}", "schedule and duration go together"),
        ("{budgets: [{nodes: '0', duration: 1h}]}", "schedule and duration go together"),
        ("{budgets: [{nodes: '0', schedule: '0 9 * *', duration: 1h}]}", "not a cron schedule"),
        ("{budgets: [{nodes: '0', schedule: '0 0 9 * * *', duration: 1h}]}", "not a cron"),
        (
            "{budgets: [{nodes: '0', schedule: '@daily', duration: 1h, timeZone: Mars/Base}]}",
            "not a time zone",
        ),
        ("{budgets: [{nodes: '0', schedule: '@daily', duration: Never}]}", "never ends"),
    ],
)
def test_a_bad_block_is_one_line_naming_the_field(tmp_path, block, words):
    with pytest.raises(UserError) as raised:
        load(tmp_path, block)
    assert words in str(raised.value)
    assert "\n" not in str(raised.value)


def _at(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def test_a_scheduled_budget_holds_only_in_its_window_in_its_time_zone(tmp_path):
    # No consolidation on weekdays 09:00-17:00 Berlin time; 10% (the default) otherwise.
    block = (
        "{budgets: [{nodes: '10%'}, {nodes: '0', schedule: '0 9 * * mon-fri', duration: 8h,"
        " timeZone: Europe/Berlin}]}"
    )
    disruption = load(tmp_path, block)
    # Thursday 2026-12-03, Berlin is UTC+1.
    assert disruption.allowed(20, Reason.UNDERUTILIZED, _at("2026-12-03T07:59:59+00:00")) == 2
    assert disruption.allowed(20, Reason.UNDERUTILIZED, _at("2026-12-03T08:00:00+00:00")) == 0
    assert disruption.allowed(20, Reason.EMPTY, _at("2026-12-03T15:59:59+00:00")) == 0
    assert disruption.allowed(20, Reason.EMPTY, _at("2026-12-03T16:00:00+00:00")) == 2
    # Saturday: the schedule does not fire.
    assert disruption.allowed(20, Reason.EMPTY, _at("2026-12-05T10:00:00+00:00")) == 2


def test_a_schedule_is_read_in_utc_unless_told(tmp_path):
    disruption = load(tmp_path, "{budgets: [{nodes: '0', schedule: '@daily', duration: 1h}]}")
    assert disruption.allowed(10, Reason.EMPTY, _at("2026-12-03T00:30:00+00:00")) == 0
    # Outside every window no budget applies: every node may go.
    assert disruption.allowed(10, Reason.EMPTY, _at("2026-12-03T01:00:00+00:00")) == 10


def test_a_scheduled_window_lasts_its_duration_across_a_change_to_summer_time(tmp_path):
    # 01:00 Berlin on 2024-03-31 is 00:00 UTC; the clocks jump at 02:00 local. Eight real
    # hours later is 08:00 UTC, whatever the local clock says.
    block = (
        "{budgets: [{nodes: '0', schedule: '0 1 * * *', duration: 8h, timeZone: Europe/Berlin}]}"
    )
    disruption = load(tmp_path, block)
    assert disruption.allowed(10, Reason.EMPTY, _at("2024-03-31T07:59:00+00:00")) == 0
    assert disruption.allowed(10, Reason.EMPTY, _at("2024-03-31T08:00:00+00:00")) == 10
