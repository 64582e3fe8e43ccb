"""Help that reads at any width: click's plain layout, with Typer's option panels kept.

Typer's Rich layout squeezes four columns into the terminal, so at 80 columns long option
names are cut (`--gpu-memory-tot…`) and sentences fold a word at a time. Click's own layout
never cuts a name: a long one takes its own line and the help wraps under it. The commands
here keep that layout and still group options under their `rich_help_panel` headings.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Sequence
from typing import Any

import typer

# typer vendors click since 0.25; its formatter types are only reachable here.
from typer._click import Context, HelpFormatter
from typer.core import TyperCommand, TyperGroup
from typer.models import CommandFunctionType

OPTIONS = "Options"
ARGUMENTS = "Arguments"
PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


class Formatter(HelpFormatter):
    """Click's formatter, but a value such as `price-capacity-optimized` is never split."""

    def _wrapper(self, width: int, indent: str = "") -> textwrap.TextWrapper:
        return textwrap.TextWrapper(
            width=max(width, 10),
            initial_indent=indent,
            subsequent_indent=indent,
            break_on_hyphens=False,
            break_long_words=False,
        )

    def write_text(self, text: str) -> None:
        """Writes the paragraphs of a command's help, each wrapped at the width."""
        wrapper = self._wrapper(self.width, " " * self.current_indent)
        paragraphs = (" ".join(p.split()) for p in PARAGRAPH_BREAK.split(text.strip()))
        self.write("\n\n".join(wrapper.fill(p) for p in paragraphs) + "\n")

    def write_dl(
        self, rows: Sequence[tuple[str, str]], col_max: int = 30, col_spacing: int = 2
    ) -> None:
        """Writes option (or command) names with their help wrapped beside them."""
        names = min(max((len(first) for first, _ in rows), default=0), col_max) + col_spacing
        wrapper = self._wrapper(self.width - names - self.current_indent)
        indent = " " * self.current_indent
        for first, second in rows:
            self.write(f"{indent}{first}")
            lines = wrapper.wrap(second)
            if not lines:
                self.write("\n")
                continue
            if len(first) + col_spacing <= names:
                self.write(" " * (names - len(first)))
            else:
                self.write("\n" + indent + " " * names)
            self.write(lines[0] + "\n")
            for line in lines[1:]:
                self.write(f"{indent}{' ' * names}{line}\n")


class _Context(Context):
    formatter_class = Formatter


def _write_panels(command: Any, ctx: Context, formatter: HelpFormatter) -> None:
    """Writes the command's arguments, then its options, grouped by their help panel."""
    panels: dict[str, list[tuple[str, str]]] = {ARGUMENTS: [], OPTIONS: []}
    for param in command.get_params(ctx):
        record = param.get_help_record(ctx)
        if record is None:
            continue
        if param.param_type_name == "argument":
            # Typer writes an argument as `NAME <type>`; the name (its metavar) says enough.
            name = (param.metavar or param.name.upper()) + ("..." if param.nargs != 1 else "")
            panels[ARGUMENTS].append((name, record[1]))
        else:
            panel = getattr(param, "rich_help_panel", None) or OPTIONS
            panels.setdefault(panel, []).append(record)
    for title, rows in panels.items():
        if rows:
            with formatter.section(title):
                formatter.write_dl(rows)


class Command(TyperCommand):
    """A command whose help is click's layout, in panels."""

    context_class = _Context

    def format_options(self, ctx: Context, formatter: HelpFormatter) -> None:
        """Writes the arguments and options, grouped by panel."""
        _write_panels(self, ctx, formatter)


class Group(TyperGroup):
    """A group whose help lists each command's whole first sentence, wrapped, not cut."""

    context_class = _Context

    def format_options(self, ctx: Context, formatter: HelpFormatter) -> None:
        """Writes the arguments and options, grouped by panel."""
        _write_panels(self, ctx, formatter)
        self.format_commands(ctx, formatter)

    def format_commands(self, ctx: Context, formatter: HelpFormatter) -> None:
        """Writes each command with its whole first sentence."""
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit=1_000)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


class App(typer.Typer):
    """A Typer app whose commands and groups print their help with the layout above."""

    def __init__(self, **settings: Any) -> None:
        super().__init__(cls=Group, rich_markup_mode=None, **settings)

    def command(
        self, name: str | None = None, **settings: Any
    ) -> Callable[[CommandFunctionType], CommandFunctionType]:
        """Registers a command; see `typer.Typer.command`.

        Returns:
            Typer's decorator, with this module's `Command` as the class.
        """
        settings.setdefault("cls", Command)
        return super().command(name, **settings)
