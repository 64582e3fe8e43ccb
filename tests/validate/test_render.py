"""The table and JSON renderings of findings."""

import io
import json

from rich.console import Console

from spotwise.validate import Finding, Severity
from spotwise.validate.render import findings_json, render_table, summary

FINDINGS = [
    Finding(Severity.ERROR, "general", "spec.zones[1]", "bad zone", "drop it"),
    Finding(
        Severity.WARNING,
        "general",
        "spec.launch.subnetSelector",
        "subnets only in us-east-1a",
        "set spec.zones: [us-east-1a]",
    ),
]


def test_summary_counts_errors_and_warnings() -> None:
    assert summary(FINDINGS, 2) == "2 pools checked: 1 error, 1 warning"
    assert summary([], 1) == "1 pool checked: no problems found"


def test_the_table_prints_values_literally() -> None:
    out = io.StringIO()
    render_table(FINDINGS, 1, Console(file=out, width=300))
    text = out.getvalue()
    # Brackets in values are text, not rich markup.
    assert "spec.zones[1]" in text and "set spec.zones: [us-east-1a]" in text
    assert text.splitlines()[0].split() == ["Severity", "Pool", "Field", "Message", "Fix"]


def test_json_is_a_list_of_objects() -> None:
    assert json.loads(findings_json(FINDINGS))[1] == {
        "severity": "warning",
        "pool": "general",
        "field": "spec.launch.subnetSelector",
        "message": "subnets only in us-east-1a",
        "fix": "set spec.zones: [us-east-1a]",
    }
