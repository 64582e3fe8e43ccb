"""Findings as a table for people, or a JSON list for programs."""

from __future__ import annotations

import json
from collections.abc import Sequence

from rich.console import Console
from rich.table import Table
from rich.text import Text

from spotwise.validate.finding import Finding, Severity

_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow"}


def findings_json(findings: Sequence[Finding]) -> str:
    """A JSON list of ``{severity, pool, field, message, fix}`` objects."""
    return json.dumps([f.to_dict() for f in findings], indent=2) + "\n"


def summary(findings: Sequence[Finding], pools: int) -> str:
    """One line: how many errors and warnings in how many pools."""
    errors = sum(f.severity is Severity.ERROR for f in findings)
    warnings = len(findings) - errors
    checked = f"{pools} pool{'s' if pools != 1 else ''} checked"
    if not findings:
        return f"{checked}: no problems found"
    return (
        f"{checked}: {errors} error{'s' if errors != 1 else ''},"
        f" {warnings} warning{'s' if warnings != 1 else ''}"
    )


def render_table(findings: Sequence[Finding], pools: int, console: Console) -> None:
    """Print the findings as a table, then the summary line."""
    if findings:
        table = Table(box=None, header_style="bold", pad_edge=False)
        for column in ("Severity", "Pool", "Field", "Message", "Fix"):
            table.add_column(column, overflow="fold")
        for f in findings:
            # Text, not markup: messages hold brackets such as "spec.zones: [us-east-1a]".
            table.add_row(
                Text(f.severity.value, style=_STYLE[f.severity]),
                *(Text(value) for value in (f.pool, f.field, f.message, f.fix)),
            )
        console.print(table)
    console.print(summary(findings, pools), markup=False)
