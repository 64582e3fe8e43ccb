"""The IMDS test server answers as EC2's instance metadata service does (IMDSv2)."""

from __future__ import annotations

import json

import pytest
import requests

from spotwise.ports.clock import ManualClock
from spotwise.testing.imds import (
    EVENT_PATHS,
    ImdsServer,
    rebalance,
    scheduled_event,
    spot_action,
)

from .conftest import START

TTL = "X-aws-ec2-metadata-token-ttl-seconds"
TOKEN = "X-aws-ec2-metadata-token"
INSTANCE_ID = "/latest/meta-data/instance-id"


def token(imds: ImdsServer, ttl: str = "21600") -> str:
    answer = requests.put(f"{imds.url}/latest/api/token", headers={TTL: ttl}, timeout=5)
    assert answer.status_code == 200, answer.text
    return answer.text


def get(imds: ImdsServer, path: str, tok: str | None) -> requests.Response:
    headers = {TOKEN: tok} if tok is not None else {}
    return requests.get(imds.url + path, headers=headers, timeout=5)


def test_a_get_needs_a_valid_token(imds: ImdsServer) -> None:
    assert get(imds, INSTANCE_ID, None).status_code == 401
    assert get(imds, INSTANCE_ID, "not-a-token").status_code == 401
    answer = get(imds, INSTANCE_ID, token(imds))
    assert (answer.status_code, answer.text) == (200, "i-0abc")


def test_imdsv1_is_served_only_when_allowed() -> None:
    with ImdsServer(port=0, allow_imdsv1=True, instance_id="i-1") as imds:
        answer = get(imds, INSTANCE_ID, None)
        assert (answer.status_code, answer.text) == (200, "i-1")


@pytest.mark.parametrize("ttl", ["0", "21601", "-1", "1.5", "six", ""])
def test_a_token_ttl_outside_1_to_21600_is_a_400(imds: ImdsServer, ttl: str) -> None:
    answer = requests.put(f"{imds.url}/latest/api/token", headers={TTL: ttl}, timeout=5)
    assert answer.status_code == 400


def test_a_token_request_without_a_ttl_is_a_400(imds: ImdsServer) -> None:
    assert requests.put(f"{imds.url}/latest/api/token", timeout=5).status_code == 400


@pytest.mark.parametrize("ttl", ["1", "21600"])
def test_the_ttl_bounds_themselves_are_accepted_and_echoed(imds: ImdsServer, ttl: str) -> None:
    answer = requests.put(f"{imds.url}/latest/api/token", headers={TTL: ttl}, timeout=5)
    assert (answer.status_code, answer.headers[TTL]) == (200, ttl)
    assert len(answer.text) >= 40


def test_a_token_expires_after_its_ttl_by_the_servers_clock(
    imds: ImdsServer, clock: ManualClock
) -> None:
    tok = token(imds, "10")
    clock.advance(9.5)
    answer = get(imds, INSTANCE_ID, tok)
    assert answer.status_code == 200
    assert answer.headers[TTL] == "0"  # what is left of it, in whole seconds
    clock.advance(0.5)
    assert get(imds, INSTANCE_ID, tok).status_code == 401


def test_revoked_tokens_are_refused(imds: ImdsServer) -> None:
    tok = token(imds)
    imds.revoke_tokens()
    assert get(imds, INSTANCE_ID, tok).status_code == 401


def test_tokens_are_not_given_through_a_proxy_nor_by_get(imds: ImdsServer) -> None:
    headers = {TTL: "60", "X-Forwarded-For": "10.0.0.9"}
    proxied = requests.put(f"{imds.url}/latest/api/token", headers=headers, timeout=5)
    assert proxied.status_code == 403
    assert requests.get(f"{imds.url}/latest/api/token", timeout=5).status_code == 405


def test_identity_paths(imds: ImdsServer) -> None:
    tok = token(imds)
    assert get(imds, "/latest/meta-data/placement/availability-zone", tok).text == "eu-west-1b"
    assert get(imds, "/latest/meta-data/instance-type", tok).text == "m5.large"
    assert get(imds, "/latest/meta-data/local-hostname", tok).text.endswith(".internal")


def test_unknown_paths_and_unset_events_are_404_but_maintenance_is_an_empty_list(
    imds: ImdsServer,
) -> None:
    tok = token(imds)
    assert get(imds, "/latest/meta-data/no-such-thing", tok).status_code == 404
    for name in ("spot", "rebalance", "lifecycle"):
        assert get(imds, EVENT_PATHS[name], tok).status_code == 404, name
    maintenance = get(imds, EVENT_PATHS["maintenance"], tok)
    assert (maintenance.status_code, maintenance.text) == (200, "[]")


def test_default_answers_have_ec2s_shapes_and_time_formats(imds: ImdsServer) -> None:
    for name in EVENT_PATHS:
        imds.set_event(name)
    tok = token(imds)
    spot = json.loads(get(imds, EVENT_PATHS["spot"], tok).text)
    assert spot == {"action": "terminate", "time": "2026-12-04T16:02:00Z"}
    rebalance = json.loads(get(imds, EVENT_PATHS["rebalance"], tok).text)
    assert rebalance == {"noticeTime": "2026-12-04T16:00:00Z"}
    (event,) = json.loads(get(imds, EVENT_PATHS["maintenance"], tok).text)
    assert set(event) == {"Code", "Description", "State", "EventId", "NotBefore", "NotAfter"}
    assert (event["NotBefore"], event["NotAfter"]) == (
        "05 Dec 2026 16:00:00 GMT",
        "05 Dec 2026 18:00:00 GMT",
    )
    assert event["State"] == "active"
    assert get(imds, EVENT_PATHS["lifecycle"], tok).text == "Terminated"


@pytest.mark.parametrize("name", list(EVENT_PATHS))
def test_an_event_set_for_later_is_served_only_once_its_time_has_come(
    imds: ImdsServer, clock: ManualClock, name: str
) -> None:
    body = imds.set_event(name, at=START + 60)
    tok = token(imds)
    clock.advance(59.9)
    before = get(imds, EVENT_PATHS[name], tok)
    assert before.text != body
    assert before.status_code == (200 if name == "maintenance" else 404)
    clock.advance(0.1)
    assert get(imds, EVENT_PATHS[name], tok).text == body


def test_answers_are_served_as_given_and_clearing_ends_them(imds: ImdsServer) -> None:
    single = {"Code": "instance-stop", "State": "canceled", "NotBefore": "21 Jan 2019 09:00:43 GMT"}
    imds.set_event("maintenance", single)
    imds.set_event("spot", {"action": "hibernate", "time": "2026-12-04T16:02:00Z"})
    imds.set_event("lifecycle", "InService")
    tok = token(imds)
    assert json.loads(get(imds, EVENT_PATHS["maintenance"], tok).text) == single
    assert json.loads(get(imds, EVENT_PATHS["spot"], tok).text)["action"] == "hibernate"
    assert get(imds, EVENT_PATHS["lifecycle"], tok).text == "InService"
    imds.clear_event("spot")
    assert get(imds, EVENT_PATHS["spot"], tok).status_code == 404
    with pytest.raises(ValueError, match="unknown event 'nope'"):
        imds.set_event("nope")


def test_faults_fail_the_next_requests_then_stop(imds: ImdsServer) -> None:
    imds.fail_token_requests(2, 503)
    url = f"{imds.url}/latest/api/token"
    codes = [requests.put(url, headers={TTL: "60"}, timeout=5).status_code for _ in range(3)]
    assert codes == [503, 503, 200]
    tok = token(imds)
    imds.fail_metadata_requests(1, 401)
    assert [get(imds, INSTANCE_ID, tok).status_code for _ in range(2)] == [401, 200]


def test_the_request_log(imds: ImdsServer, clock: ManualClock) -> None:
    get(imds, INSTANCE_ID, None)
    clock.advance(5)
    get(imds, INSTANCE_ID, token(imds))
    log = [(r.time - START, r.method, r.path, r.status, r.with_token) for r in imds.requests()]
    assert log == [
        (0, "GET", INSTANCE_ID, 401, False),
        (5, "PUT", "/latest/api/token", 200, False),
        (5, "GET", INSTANCE_ID, 200, True),
    ]


def test_the_control_endpoints(imds: ImdsServer, clock: ManualClock) -> None:
    control = f"{imds.url}/spotwise"
    answer = requests.put(f"{control}/events/spot", json={"in": 30}, timeout=5)
    assert answer.status_code == 200
    assert json.loads(answer.json()["body"])["time"] == "2026-12-04T16:02:30Z"
    requests.put(
        f"{control}/events/rebalance", json={"at": "2026-12-04T16:00:10Z"}, timeout=5
    ).raise_for_status()
    requests.put(f"{control}/events/lifecycle", json={"answer": "InService"}, timeout=5)
    tok = token(imds)
    assert get(imds, EVENT_PATHS["spot"], tok).status_code == 404
    assert get(imds, EVENT_PATHS["rebalance"], tok).status_code == 404
    assert get(imds, EVENT_PATHS["lifecycle"], tok).text == "InService"
    clock.advance(30)
    assert get(imds, EVENT_PATHS["spot"], tok).status_code == 200
    assert get(imds, EVENT_PATHS["rebalance"], tok).status_code == 200
    requests.delete(f"{control}/events/spot", timeout=5).raise_for_status()
    assert get(imds, EVENT_PATHS["spot"], tok).status_code == 404

    requests.put(f"{control}/faults/metadata", json={"count": 1, "status": 500}, timeout=5)
    assert get(imds, INSTANCE_ID, tok).status_code == 500
    requests.post(f"{control}/revoke-tokens", timeout=5).raise_for_status()
    assert get(imds, INSTANCE_ID, tok).status_code == 401
    logged = requests.get(f"{control}/requests", timeout=5).json()
    assert [r["status"] for r in logged[-2:]] == [500, 401]
    requests.delete(f"{control}/requests", timeout=5).raise_for_status()
    assert requests.get(f"{control}/requests", timeout=5).json() == []


@pytest.mark.parametrize(
    ("path", "body", "error"),
    [
        ("events/nope", {}, "unknown event 'nope'"),
        ("events/spot", {"when": 3}, '"answer", "at" or "in"'),
        ("events/spot", {"at": 1, "in": 2}, "not both"),
        ("events/spot", {"at": "2026-12-04T16:00:00"}, "no time zone"),
        ("faults/token", {"count": "two"}, "integer"),
    ],
)
def test_bad_control_requests_are_a_400_with_a_reason(
    imds: ImdsServer, path: str, body: object, error: str
) -> None:
    answer = requests.put(f"{imds.url}/spotwise/{path}", json=body, timeout=5)
    assert answer.status_code == 400
    assert error in answer.json()["error"]


def test_the_answer_builders_write_ec2s_time_formats() -> None:
    assert spot_action("stop", START + 120.9) == {"action": "stop", "time": "2026-12-04T16:02:00Z"}
    assert rebalance(START) == {"noticeTime": "2026-12-04T16:00:00Z"}
    event = scheduled_event(START + 3, START + 1003, code="instance-stop", state="canceled")
    assert event == {
        "NotBefore": "04 Dec 2026 16:00:03 GMT",
        "Code": "instance-stop",
        "Description": "scheduled reboot",
        "EventId": "instance-event-0d59937288b749b32",
        "NotAfter": "04 Dec 2026 16:16:43 GMT",
        "State": "canceled",
    }
