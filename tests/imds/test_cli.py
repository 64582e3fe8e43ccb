"""``python -m spotwise.testing.imds``: the IMDS test server as a process, until stopped."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

import spotwise
from spotwise.aws.imds import (
    REBALANCE_RECOMMENDATION,
    SPOT_INSTANCE_ACTION,
    ImdsClient,
    InstanceIdentity,
)

COMMAND = [sys.executable, "-m", "spotwise.testing.imds"]


def environment() -> dict[str, str]:
    # The child imports this checkout's spotwise, whatever the venv has installed.
    source = str(Path(spotwise.__file__).parents[1])
    return {**os.environ, "PYTHONPATH": os.pathsep.join([source, os.environ.get("PYTHONPATH", "")])}


def start(*args: str) -> tuple[subprocess.Popen[str], str]:
    """Start the server on a free port (``--port 0``); its URL is on its first line."""
    process = subprocess.Popen(
        [*COMMAND, "--port", "0", *args],
        env=environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()  # empty if the process died
    if not line.startswith("serving instance metadata at http://"):
        process.kill()
        pytest.fail(f"the server did not start: {process.communicate(timeout=30)[1]}")
    return process, line.rsplit(" ", 1)[1].strip()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    events = tmp_path / "events.json"
    notice = {"noticeTime": "2026-12-04T16:00:00Z"}
    events.write_text(json.dumps({"rebalance": {"answer": notice, "at": "2000-01-01T00:00:00Z"}}))
    process, url = start(
        "--instance-id", "i-0cli", "--zone", "ap-south-1c", "--events", str(events)
    )
    try:
        yield process, url
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)


def test_the_process_serves_events_set_through_its_control_endpoint(
    server: tuple[subprocess.Popen[str], str],
) -> None:
    process, url = server
    client = ImdsClient(url)
    assert client.instance_identity() == InstanceIdentity("i-0cli", "ap-south-1c")
    # The file's rebalance notice is served from a time long past: at once.
    assert json.loads(client.poll_events()[REBALANCE_RECOMMENDATION]) == {
        "noticeTime": "2026-12-04T16:00:00Z"
    }
    assert SPOT_INSTANCE_ACTION not in client.poll_events()
    answer = {"action": "stop", "time": "2026-12-04T16:02:00Z"}
    requests.put(
        f"{url}/spotwise/events/spot", json={"answer": answer}, timeout=5
    ).raise_for_status()
    assert json.loads(client.poll_events()[SPOT_INSTANCE_ACTION]) == answer
    requests.put(
        f"{url}/spotwise/events/lifecycle", json={"answer": "Terminated", "in": 3600}, timeout=5
    ).raise_for_status()
    assert len(client.poll_events()) == 2  # the lifecycle state comes only in an hour

    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0


def test_an_unusable_events_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    events = tmp_path / "events.json"
    events.write_text(json.dumps({"tsunami": {}}))
    done = subprocess.run(
        [*COMMAND, "--port", "0", "--events", str(events)],
        env=environment(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"--events {events}: unknown event 'tsunami'; known: spot, rebalance, maintenance, "
        "lifecycle"
    ]
