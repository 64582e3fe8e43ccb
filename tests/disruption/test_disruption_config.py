"""A NodePool's disruption block: its rules, its budgets, and the errors it gives."""

import math

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
    assert disruption.allowed(5, Reason.UNDERUTILIZED) == 1  # 10% of 5, rounded up
    assert disruption.allowed(40, Reason.EMPTY) == 4


def test_fields_become_rules_and_the_most_restrictive_budget_wins(tmp_path):
    block = (
        "{consolidationPolicy: WhenEmpty, consolidateAfter: 5m, minNodeAge: 1h,"
        " minSavingsPercent: 20, minSavingsPerHour: 0.05, restrictScaleDown: true,"
        " budgets: [{nodes: '50%'}, {nodes: '1', reasons: [Underutilized]}]}"
    )
    disruption = load(tmp_path, block)
    assert disruption.rules() == Rules(Policy.WHEN_EMPTY, 300.0, 3600.0, 20.0, 0.05, True)
    assert disruption.allowed(10, Reason.EMPTY) == 5
    assert disruption.allowed(10, Reason.UNDERUTILIZED) == 1


def test_never_turns_consolidation_off(tmp_path):
    assert math.isinf(load(tmp_path, "{consolidateAfter: Never}").rules().consolidate_after)


@pytest.mark.parametrize(
    ("block", "words"),
    [
        ("{consolidateAfter: 5 minutes}", "is not a duration"),
        ("{consolidationPolicy: Always}", "consolidationPolicy"),
        ("{budgets: [{nodes: ten}]}", "a count or a percentage"),
        ("{budgets: [{nodes: '1', reasons: [Expired]}]}", "reasons"),
        ("{minSavingsPercent: 120}", "minSavingsPercent"),
    ],
)
def test_a_bad_block_is_one_line_naming_the_field(tmp_path, block, words):
    with pytest.raises(UserError) as raised:
        load(tmp_path, block)
    assert words in str(raised.value)
    assert "\n" not in str(raised.value)
