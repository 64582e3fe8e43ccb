"""Webhook notifications of interruptions, as NTH sends them (Slack-compatible by default).

The body is a template filled with the interruption's fields (``string.Template``:
``$kind``, ``$node``, ``$instance_id``, ``$action``, ``$deadline``, ``$detail``,
``$cluster``); the default is a Slack message, ``{"text": "..."}``. The URL is a secret
(it carries the channel's token): it is never logged, and a failure says only that the
webhook failed. The handler sends one notification per interruption acted on, and only
the leader handles interruptions, so two replicas do not send twice.
"""

from __future__ import annotations

import json
import logging
import string
import urllib.request
from dataclasses import dataclass

log = logging.getLogger(__name__)

_TEXT = "[spotwise] $cluster: $action $node ($instance_id) on $kind, "
_TEXT += "deadline $deadline. $detail"
DEFAULT_TEMPLATE = json.dumps({"text": _TEXT})


@dataclass(frozen=True, slots=True)
class Notice:
    """What a notification says.

    Attributes:
        cluster: The cluster's name.
        kind: The interruption's kind.
        node: The node.
        instance_id: Its instance.
        action: What the handler did (drain, cordon, undo).
        deadline: ISO 8601 UTC, or "none".
        detail: One sentence.
    """

    cluster: str
    kind: str
    node: str
    instance_id: str
    action: str
    deadline: str
    detail: str


class Webhook:
    """Posts a notice to a URL.

    Args:
        url: Where to post (a secret: never logged).
        template: The body, with ``$field`` placeholders (`Notice`'s fields).
        timeout: Seconds to wait for the answer.
    """

    def __init__(self, url: str, template: str = DEFAULT_TEMPLATE, timeout: float = 5.0):
        self._url = url
        self.template = string.Template(template)
        self.timeout = timeout
        # A notification never goes through a proxy from the environment by surprise.
        self._opener = urllib.request.build_opener()

    def body(self, notice: Notice) -> bytes:
        """The filled template; values are JSON-escaped so that the body stays JSON."""
        fields = {k: json.dumps(v)[1:-1] for k, v in _fields(notice).items()}
        return self.template.safe_substitute(fields).encode()

    def send(self, notice: Notice) -> bool:
        """Post the notice; False (logged without the URL) if the post failed."""
        request = urllib.request.Request(
            self._url,
            data=self.body(notice),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with self._opener.open(request, timeout=self.timeout) as answer:
                return bool(200 <= answer.status < 300)
        except OSError as error:
            reason = getattr(error, "code", None) or type(error).__name__
            log.warning("the interruption webhook failed (%s); the handling goes on", reason)
            return False


def _fields(notice: Notice) -> dict[str, str]:
    return {
        "cluster": notice.cluster,
        "kind": notice.kind,
        "node": notice.node,
        "instance_id": notice.instance_id,
        "action": notice.action,
        "deadline": notice.deadline,
        "detail": notice.detail,
    }
