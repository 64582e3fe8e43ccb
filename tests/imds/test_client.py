"""ImdsClient against the IMDS test server: IMDSv2 sessions, retries, events, errors."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import pytest

from spotwise.aws.imds import (
    EVENT_PATHS,
    REBALANCE_RECOMMENDATION,
    SCHEDULED_MAINTENANCE,
    SPOT_INSTANCE_ACTION,
    TARGET_LIFECYCLE_STATE,
    ImdsClient,
    ImdsError,
    InstanceIdentity,
)
from spotwise.ports.clock import ManualClock
from spotwise.testing.imds import ImdsServer

from .conftest import START

INSTANCE_ID = "/latest/meta-data/instance-id"


def calls(imds: ImdsServer) -> list[tuple[float, str, int]]:
    """(seconds since START, method, status) of each request the server saw."""
    return [(r.time - START, r.method, r.status) for r in imds.requests()]


def test_get_reads_a_path_and_404_is_none(client: ImdsClient) -> None:
    assert client.get(INSTANCE_ID) == "i-0abc"
    assert client.get("/latest/meta-data/no-such-thing") is None


def test_instance_identity(client: ImdsClient) -> None:
    assert client.instance_identity() == InstanceIdentity("i-0abc", "eu-west-1b")


def test_the_token_is_fetched_once_and_reused(imds: ImdsServer, client: ImdsClient) -> None:
    for _ in range(3):
        client.get(INSTANCE_ID)
    assert [method for _, method, _ in calls(imds)] == ["PUT", "GET", "GET", "GET"]


def test_the_token_is_refreshed_at_80_percent_of_its_ttl_before_it_expires(
    imds: ImdsServer, clock: ManualClock
) -> None:
    client = ImdsClient(imds.url, token_ttl=100, clock=clock)
    client.get(INSTANCE_ID)
    clock.advance(79)
    client.get(INSTANCE_ID)
    clock.advance(1)
    client.get(INSTANCE_ID)
    assert calls(imds) == [
        (0, "PUT", 200),
        (0, "GET", 200),
        (79, "GET", 200),
        (80, "PUT", 200),
        (80, "GET", 200),
    ]


def test_the_client_asks_for_its_ttl(imds: ImdsServer, clock: ManualClock) -> None:
    # The client's own clock stands still, so only the server's expiry can end the token.
    client = ImdsClient(imds.url, token_ttl=10, clock=ManualClock(START))
    client.get(INSTANCE_ID)
    clock.advance(10)
    assert client.get(INSTANCE_ID) == "i-0abc"
    assert [status for _, _, status in calls(imds)] == [200, 200, 401, 200, 200]


def test_a_refused_token_is_replaced_and_the_get_tried_once_more(
    imds: ImdsServer, client: ImdsClient
) -> None:
    client.get(INSTANCE_ID)
    imds.revoke_tokens()
    assert client.get(INSTANCE_ID) == "i-0abc"
    assert [(m, s) for _, m, s in calls(imds)][2:] == [("GET", 401), ("PUT", 200), ("GET", 200)]


def test_refused_with_a_fresh_token_too_is_an_error(imds: ImdsServer, client: ImdsClient) -> None:
    imds.fail_metadata_requests(2, 401)
    with pytest.raises(ImdsError, match=f"GET {INSTANCE_ID} with HTTP 401 after one retry"):
        client.get(INSTANCE_ID)
    assert [m for _, m, _ in calls(imds)] == ["PUT", "GET", "PUT", "GET"]


def test_a_5xx_is_tried_once_more(imds: ImdsServer, client: ImdsClient) -> None:
    imds.fail_metadata_requests(1, 503)
    assert client.get(INSTANCE_ID) == "i-0abc"
    imds.fail_metadata_requests(2, 500)
    with pytest.raises(ImdsError, match="HTTP 500 after one retry"):
        client.get(INSTANCE_ID)


@pytest.mark.parametrize("status", [401, 503])
def test_a_token_endpoint_that_fails_once_is_tried_again(
    imds: ImdsServer, client: ImdsClient, status: int
) -> None:
    imds.fail_token_requests(1, status)
    assert client.get(INSTANCE_ID) == "i-0abc"
    imds.revoke_tokens()
    imds.fail_token_requests(2, status)
    with pytest.raises(ImdsError, match=f"refused a session token with HTTP {status}"):
        client.get(INSTANCE_ID)


def test_no_events_is_an_empty_dict(client: ImdsClient) -> None:
    assert client.poll_events() == {}


def test_poll_events_gives_each_raw_answer_by_path(imds: ImdsServer, client: ImdsClient) -> None:
    bodies = {
        SPOT_INSTANCE_ACTION: imds.set_event("spot"),
        REBALANCE_RECOMMENDATION: imds.set_event("rebalance"),
        SCHEDULED_MAINTENANCE: imds.set_event("maintenance"),
        TARGET_LIFECYCLE_STATE: imds.set_event("lifecycle", "InService"),
    }
    assert set(bodies) == set(EVENT_PATHS)
    assert client.poll_events() == bodies


def test_maintenance_as_a_list_or_as_one_object(imds: ImdsServer, client: ImdsClient) -> None:
    event = {
        "Code": "system-reboot",
        "Description": "scheduled reboot",
        "State": "active",
        "EventId": "instance-event-0d59937288b749b32",
        "NotBefore": "21 Jan 2019 09:00:43 GMT",
        "NotAfter": "21 Jan 2019 09:17:23 GMT",
    }
    for answer in ([event], event):
        imds.set_event("maintenance", answer)
        assert json.loads(client.poll_events()[SCHEDULED_MAINTENANCE]) == answer


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("spot", SPOT_INSTANCE_ACTION),
        ("rebalance", REBALANCE_RECOMMENDATION),
        ("maintenance", SCHEDULED_MAINTENANCE),
        ("lifecycle", TARGET_LIFECYCLE_STATE),
    ],
)
def test_an_event_from_a_later_time_is_polled_only_from_then(
    imds: ImdsServer, client: ImdsClient, clock: ManualClock, name: str, path: str
) -> None:
    body = imds.set_event(name, at=START + 300)
    clock.advance(299)
    assert client.poll_events() == {}
    clock.advance(1)
    assert client.poll_events() == {path: body}


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections (into the backlog) and never answers."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        yield s.getsockname()[1]


def test_a_refused_connection_is_an_imds_error(closed_port: int) -> None:
    client = ImdsClient(f"http://127.0.0.1:{closed_port}")
    with pytest.raises(ImdsError, match=f"IMDS at http://127.0.0.1:{closed_port} could not be"):
        client.poll_events()


def test_a_timeout_is_an_imds_error(silent_port: int) -> None:
    client = ImdsClient(f"http://127.0.0.1:{silent_port}", timeout=0.2)
    with pytest.raises(ImdsError, match="could not be reached"):
        client.get(INSTANCE_ID)


def test_an_instance_without_identity_is_an_imds_error(
    imds: ImdsServer, client: ImdsClient
) -> None:
    imds.fail_metadata_requests(1, 404)  # the instance-id path, as off EC2
    with pytest.raises(ImdsError, match="no instance-id"):
        client.instance_identity()


@pytest.mark.parametrize("ttl", [0, 21601])
def test_a_token_ttl_outside_the_bounds_is_refused_at_once(ttl: int) -> None:
    with pytest.raises(ValueError, match="outside 1-21600"):
        ImdsClient(token_ttl=ttl)
