"""Webhook notifications: a real HTTP receiver on loopback, the URL never logged."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from spotwise.interruption.webhook import Notice, Webhook

NOTICE = Notice(
    "prod", "spot-interruption", "ip-10-0-1-4", "i-0abc", "drain", "2026-12-04T16:02:00Z",
    'EC2 will "terminate" it.',
)  # fmt: skip


class Receiver(BaseHTTPRequestHandler):
    bodies: ClassVar[list[bytes]] = []
    status = 200

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        type(self).bodies.append(self.rfile.read(length))
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    Receiver.bodies, Receiver.status = [], 200
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hooks/T000/SECRET"
    server.shutdown()
    server.server_close()


def test_the_default_body_is_a_slack_message_that_stays_json(receiver: str) -> None:
    assert Webhook(receiver).send(NOTICE)
    (body,) = Receiver.bodies
    text = json.loads(body)["text"]
    assert "prod" in text and "ip-10-0-1-4" in text and "i-0abc" in text
    assert 'EC2 will "terminate" it.' in text  # quotes escaped, the body still JSON


def test_a_template_of_ones_own(receiver: str) -> None:
    template = '{"node": "$node", "when": "$deadline", "what": "$kind"}'
    assert Webhook(receiver, template).send(NOTICE)
    assert json.loads(Receiver.bodies[0]) == {
        "node": "ip-10-0-1-4",
        "when": "2026-12-04T16:02:00Z",
        "what": "spot-interruption",
    }


def test_a_failure_is_logged_without_the_secret_url(
    receiver: str, caplog: pytest.LogCaptureFixture
) -> None:
    Receiver.status = 500
    with caplog.at_level(logging.WARNING):
        assert not Webhook(receiver).send(NOTICE)
    assert "webhook failed (500)" in caplog.text
    assert "SECRET" not in caplog.text and "hooks" not in caplog.text
    with caplog.at_level(logging.WARNING):
        assert not Webhook("http://127.0.0.1:9/hooks/SECRET", timeout=2).send(NOTICE)
    assert "SECRET" not in caplog.text
