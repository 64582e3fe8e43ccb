"""``python -m spotwise.cli`` and the console script."""

import sys

from spotwise.cli.app import main


def run() -> None:
    """Run the CLI and exit with its code."""
    sys.exit(main())


if __name__ == "__main__":
    run()
