"""`spotwise events`: what spotwise makes of raw interruption notices."""

from __future__ import annotations

import enum
import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from spotwise.cli.console import stdout
from spotwise.cli.help_format import App
from spotwise.decisions.interruption.events import Interruption, to_json
from spotwise.decisions.interruption.parse import MessageError, parse_notice

app = App(help="Interruption notices: see what spotwise makes of them.", no_args_is_help=True)

PARSE_HELP = """Print the normalized form of raw interruption notices.

Each FILE holds one notice, recognised by its shape: an SQS message body or a metadata answer.

Message bodies: EventBridge events, Auto Scaling notifications (bare or wrapped by SNS),
or the output of 'aws sqs receive-message' (each message's Body).

Metadata answers need --instance-id; '-' reads standard input.

A file that fails gets one line on stderr and exit code 2; the others still print.

See docs/interruptions.md.
"""


class EventsFormat(enum.StrEnum):
    """Values of ``-o``."""

    TABLE = "table"
    JSON = "json"


def _read(name: str) -> str:
    if name == "-":
        return sys.stdin.read()
    try:
        return Path(name).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise MessageError("is not UTF-8 text") from None
    except OSError as error:
        raise MessageError(f"cannot be read ({error.strerror or error})") from None


def _bodies(text: str) -> list[tuple[str, str]]:
    """The notices in a file, each with how errors name it (after the file's name).

    The text is one notice, or `aws sqs receive-message` output: each message's Body,
    named by its MessageId. An empty output (the AWS CLI prints nothing for an empty
    queue) holds none.
    """
    if not text.strip():
        return []
    try:
        data = json.loads(text)
    except ValueError:
        return [("", text)]  # a metadata answer, or a body the parser will name the fault of
    messages = data.get("Messages") if isinstance(data, dict) else None
    if not isinstance(messages, list):
        return [("", text)]
    found = []
    for index, message in enumerate(messages):
        ident = message.get("MessageId", index) if isinstance(message, dict) else index
        body = message.get("Body") if isinstance(message, dict) else None
        if not isinstance(body, str):
            raise MessageError(f"holds an SQS message without a Body string ({ident})")
        found.append((f" [MessageId {ident}]", body))
    return found


def _table(rows: list[tuple[str, Interruption]]) -> Table:
    table = Table(box=None, pad_edge=False)
    for column in ("file", "kind", "instance", "deadline", "actionable", "detail"):
        table.add_column(column.upper(), overflow="fold")
    for name, i in rows:
        deadline = to_json(i)["deadline"]
        table.add_row(
            name,
            i.kind.value,
            i.instance_id or "-",
            str(deadline) if deadline is not None else "-",
            "yes" if i.actionable else "no",
            i.detail,
        )
    return table


@app.command("parse", help=PARSE_HELP)
def parse(
    files: Annotated[
        list[str], typer.Argument(metavar="FILE", help="Notices, one per file; - for stdin.")
    ],
    output: Annotated[
        EventsFormat, typer.Option("--output", "-o", case_sensitive=False)
    ] = EventsFormat.TABLE,
    instance_id: Annotated[
        str,
        typer.Option(
            metavar="ID", help="The instance a metadata answer is about (they do not name it)."
        ),
    ] = "i-unknown",
) -> None:
    """Parse notices (see PARSE_HELP)."""
    rows: list[tuple[str, Interruption]] = []
    failed = False
    for name in files:
        try:
            notices = _bodies(_read(name))
        except MessageError as error:
            sys.stderr.write(f"{name}: {error}\n")
            failed = True
            continue
        # Each message of a receive-message output stands or fails alone.
        for label, body in notices:
            try:
                found = parse_notice(body, instance_id, source="file")
            except MessageError as error:
                sys.stderr.write(f"{name}{label}: {error}\n")
                failed = True
                continue
            rows.extend((name, i) for i in found)
    console = stdout()
    if output is EventsFormat.JSON:
        console.file.write(json.dumps([to_json(i) for _, i in rows], indent=2) + "\n")
    elif rows:
        console.print(_table(rows))
    else:
        console.print("No interruptions.")
    if failed:
        raise typer.Exit(2)
