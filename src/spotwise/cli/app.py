"""The `spotwise` command: the entry point, and the one place errors become exit codes."""

from __future__ import annotations

import sys

import typer
from rich.console import Console

# typer vendors click since 0.25; its exceptions are only reachable here.
from typer._click.exceptions import ClickException, NoArgsIsHelpError

from spotwise import __version__
from spotwise.cli import (
    agent_cmd,
    catalog_cmd,
    config_cmd,
    controller_cmd,
    cost_cmd,
    disruption_cmd,
    events_cmd,
    plan_cmd,
    select_cmd,
    simulate_cmd,
    validate_cmd,
)
from spotwise.cli.help_format import App
from spotwise.errors import UserError

app = App(
    name="spotwise",
    help="Run Kubernetes on EC2 Spot capacity safely and cheaply.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("select", help=select_cmd.HELP)(select_cmd.select)
app.command("plan", help=plan_cmd.HELP)(plan_cmd.plan)
app.command("validate", help=validate_cmd.HELP)(validate_cmd.validate)
app.command("simulate", help=simulate_cmd.HELP)(simulate_cmd.simulate)
app.command("controller", help=controller_cmd.HELP)(controller_cmd.controller)
app.command("agent", help=agent_cmd.HELP)(agent_cmd.agent)
app.add_typer(catalog_cmd.app, name="catalog")
app.add_typer(config_cmd.app, name="config")
app.add_typer(events_cmd.app, name="events")
app.add_typer(cost_cmd.app, name="cost")
app.add_typer(disruption_cmd.app, name="disruption")


def _print_version(asked: bool) -> None:
    # Eager: read before the command is looked for, so that `spotwise --version` alone
    # prints the version instead of asking for a command.
    if asked:
        print(__version__)
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False,
        "--version",
        help="Print the version and exit.",
        callback=_print_version,
        is_eager=True,
        expose_value=True,
    ),
) -> None:
    """Run Kubernetes on EC2 Spot capacity safely and cheaply."""


# Typer checks option values with pydantic and passes on its wording; say it plainly.
_PLAIN = (
    ("Value error, ", ""),
    ("Input should be a valid integer, unable to parse string as an integer", "not a whole number"),
    ("Input should be a valid number, unable to parse string as a number", "not a number"),
    ("Input should be ", "must be "),
)


def _plain(message: str) -> str:
    for said, meant in _PLAIN:
        message = message.replace(said, meant)
    return message


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; user errors print one line on stderr and exit with code 2.

    Returns:
        The process exit code.
    """
    command = typer.main.get_command(app)
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        result = command.main(args=argv, prog_name="spotwise", standalone_mode=False)
    except UserError as error:
        err.print(f"error: {error}", markup=False)
        return 2
    except NoArgsIsHelpError as error:
        print(error.format_message())
        return 0
    except ClickException as error:
        err.print(f"error: {_plain(error.format_message())}", markup=False)
        return 2
    except typer.Exit as done:
        return done.exit_code
    except typer.Abort:
        err.print("aborted")
        return 130
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())
