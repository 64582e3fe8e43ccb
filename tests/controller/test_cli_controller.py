"""`spotwise controller` refuses flags that cannot work together, before anything runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from spotwise.cli.app import main


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--interruptions-only"], "needs --interruption-queue"),
        (["--interruptions-only", "--interruption-queue", "q", "--config", "p.yaml"], "--config"),
        (
            ["--interruptions-only", "--interruption-queue", "q", "--commitments", "c.yaml"],
            "--commitments",
        ),
        (["--managed-tag", "team/spot"], "applies only with --interruptions-only"),
    ],
)
def test_flags_that_cannot_work_together_are_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, flags: list[str], message: str
) -> None:
    code = main(["controller", "--cluster-name", "test", *flags])
    _, err = capsys.readouterr()
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
