"""Every command's help reads at 80 columns: whole option names, placeholders that say what.

The help is rendered the way `spotwise CMD --help` renders it, through the real command tree,
so a command added without metavars fails here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import typer

from spotwise.cli.app import app, main

# Typer's placeholders name a Python type (`<str>`, `<list[Path]>`, `<float range>`) and click's
# name its parameter type (TEXT, INTEGER); neither tells a user what to give.
PYTHON_TYPES = re.compile(r"<(str|int|float|bool|path|Path|list\[|.* range)[^>]*>")
CLICK_TYPES = re.compile(r"\b(TEXT|INTEGER|FLOAT|PATH|BOOLEAN|FILENAME)\b")
WIDTH = 80


def _commands() -> Iterator[tuple[list[str], typer.main.TyperGroup | typer.core.TyperCommand]]:
    def walk(path: list[str], command):  # type: ignore[no-untyped-def]
        yield path, command
        for name, child in getattr(command, "commands", {}).items():
            yield from walk([*path, name], child)

    yield from walk([], typer.main.get_command(app))


COMMANDS = list(_commands())


def _help(path: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> str:
    monkeypatch.setenv("COLUMNS", str(WIDTH))
    assert main([*path, "--help"]) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize(
    ("path", "command"), COMMANDS, ids=[" ".join(p) or "spotwise" for p, _ in COMMANDS]
)
def test_help_fits_80_columns_and_names_what_is_wanted(path, command, monkeypatch, capsys):
    text = _help(path, monkeypatch, capsys)
    too_wide = [line for line in text.splitlines() if len(line) > WIDTH]
    assert not too_wide, too_wide
    assert "…" not in text, "a name or sentence was cut"
    assert not PYTHON_TYPES.findall(text), PYTHON_TYPES.findall(text)
    assert not CLICK_TYPES.findall(text), CLICK_TYPES.findall(text)
    for param in command.params:
        for name in [*param.opts, *param.secondary_opts]:
            if param.param_type_name == "option":
                assert re.search(rf"(^|[\s,/]){re.escape(name)}([\s,;]|$)", text, re.M), name


@pytest.mark.parametrize(
    ("path", "command"), COMMANDS, ids=[" ".join(p) or "spotwise" for p, _ in COMMANDS]
)
def test_every_option_that_takes_a_value_has_a_metavar_or_choices(path, command):
    unnamed = [
        param.opts[0]
        for param in command.params
        if param.param_type_name == "option"
        and not (param.is_flag or param.count)
        and param.metavar is None
        and not param.type_descriptor.is_choice
    ]
    assert not unnamed, f"spotwise {' '.join(path)}: {unnamed} need a metavar"


def test_the_command_list_keeps_each_whole_first_sentence(monkeypatch, capsys):
    text = " ".join(_help([], monkeypatch, capsys).split())
    assert "Select EC2 instance types by resources, price and interruption risk." in text
    commands = text.split("Commands:")[1]
    assert "..." not in commands


def test_a_value_with_hyphens_is_not_split_at_a_line_end(monkeypatch, capsys):
    text = _help(["select"], monkeypatch, capsys)
    assert "price-capacity-optimized" in text
    assert not re.search(r"-\n", text)
