"""connect(): credentials, the token bucket, and retries against a real HTTP server."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException
from kubernetes.config import kube_config

from spotwise.kubernetes.api.client import ClientSettings, TokenBucket, connect, retry_after
from spotwise.kubernetes.api.cluster import KubernetesCluster
from spotwise.ports.cluster import Eviction
from spotwise.testing.kubeapi import KubeApiServer

_NODES = {"kind": "NodeList", "apiVersion": "v1", "metadata": {}, "items": []}


class FakeTime:
    """A monotonic clock that moves only when something sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class Scripted:
    """A loopback HTTP server answering each request with the next scripted status."""

    def __init__(self, answers: list[tuple[int, dict[str, str]]]) -> None:
        self.answers = answers
        self.seen: list[tuple[str, str]] = []
        script = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_: Any) -> None:
                pass

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                script.seen.append((self.command, self.path))
                status, headers = script.answers.pop(0) if script.answers else (200, {})
                body = json.dumps(
                    _NODES
                    if status == 200
                    else {"kind": "Status", "apiVersion": "v1", "code": status, "message": "busy"}
                ).encode()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def kubeconfig(self, path: Path) -> Path:
        host, port = self.httpd.server_address[:2]
        server = f"http://{host!s}:{port}"
        path.write_text(
            json.dumps(
                {
                    "apiVersion": "v1",
                    "kind": "Config",
                    "clusters": [{"name": "c", "cluster": {"server": server}}],
                    "users": [{"name": "u", "user": {}}],
                    "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
                    "current-context": "x",
                }
            )
        )
        return path

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def scripted() -> Iterator[Scripted]:
    server = Scripted([])
    yield server
    server.close()


def client_for(scripted: Scripted, tmp_path: Path, time: FakeTime, **settings: Any) -> Any:
    kubeconfig = scripted.kubeconfig(tmp_path / "kubeconfig")
    return connect(kubeconfig, ClientSettings(**settings), clock=time.clock, sleep=time.sleep)


def test_a_429_is_retried_after_the_servers_retry_after(scripted: Scripted, tmp_path: Path) -> None:
    scripted.answers = [(429, {"Retry-After": "3"})]
    time = FakeTime()
    api = client_for(scripted, tmp_path, time)
    assert client.CoreV1Api(api).list_node().items == []
    assert [path for _, path in scripted.seen] == ["/api/v1/nodes", "/api/v1/nodes"]
    assert time.sleeps == [3.0]


def test_5xx_is_retried_with_exponential_backoff(scripted: Scripted, tmp_path: Path) -> None:
    scripted.answers = [(503, {}), (500, {}), (502, {})]
    time = FakeTime()
    api = client_for(scripted, tmp_path, time, backoff_seconds=0.5)
    assert client.CoreV1Api(api).list_node().items == []
    assert len(scripted.seen) == 4
    assert time.sleeps == [0.5, 1.0, 2.0]


def test_retries_stop_after_max_retries_and_the_error_reaches_the_caller(
    scripted: Scripted, tmp_path: Path
) -> None:
    scripted.answers = [(429, {"Retry-After": "1"})] * 5
    time = FakeTime()
    api = client_for(scripted, tmp_path, time, max_retries=2)
    with pytest.raises(ApiException) as error:
        client.CoreV1Api(api).list_node()
    assert error.value.status == 429
    assert len(scripted.seen) == 3


def test_other_errors_are_not_retried(scripted: Scripted, tmp_path: Path) -> None:
    scripted.answers = [(404, {}), (200, {})]
    time = FakeTime()
    api = client_for(scripted, tmp_path, time)
    with pytest.raises(ApiException) as error:
        client.CoreV1Api(api).list_node()
    assert error.value.status == 404
    assert len(scripted.seen) == 1


def test_an_eviction_answer_is_a_verdict_not_retried(scripted: Scripted, tmp_path: Path) -> None:
    scripted.answers = [(429, {"Retry-After": "1"}), (201, {})]
    time = FakeTime()
    api = client_for(scripted, tmp_path, time)
    with pytest.raises(ApiException) as error:
        client.CoreV1Api(api).create_namespaced_pod_eviction(
            "web-0", "default", {"metadata": {"name": "web-0", "namespace": "default"}}
        )
    assert error.value.status == 429
    assert len(scripted.seen) == 1


def test_the_token_bucket_allows_a_burst_then_qps() -> None:
    time = FakeTime()
    bucket = TokenBucket(qps=2, burst=3, clock=time.clock, sleep=time.sleep)
    assert [bucket.take() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.take() == 0.5
    assert bucket.take() == 0.5  # the bucket stays empty: each token costs 1/qps
    time.now += 10  # idle: the bucket refills up to its burst, not beyond
    assert [bucket.take() for _ in range(4)] == [0.0, 0.0, 0.0, 0.5]


def test_every_request_of_a_client_goes_through_its_bucket(
    kubeapi: KubeApiServer, kubeconfig: Path
) -> None:
    time = FakeTime()
    api = connect(kubeconfig, ClientSettings(qps=1, burst=2), clock=time.clock, sleep=time.sleep)
    core = client.CoreV1Api(api)
    for _ in range(5):
        core.list_node()
    assert time.sleeps == [1.0, 1.0, 1.0]


def test_retry_after_reads_seconds_and_dates() -> None:
    assert retry_after("7") == 7.0
    assert retry_after(None) is None
    assert retry_after("soon") is None
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past: at once


def test_without_a_kubeconfig_outside_a_cluster_the_default_kubeconfig_is_read(
    kubeapi: KubeApiServer, kubeconfig: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.setattr(kube_config, "KUBE_CONFIG_DEFAULT_LOCATION", str(kubeconfig))
    api = connect(None)
    assert api.configuration.host == kubeapi.url
    assert client.CoreV1Api(api).list_node().items == []


@pytest.mark.parametrize(
    ("status", "verdict"),
    [
        (201, Eviction.EVICTED),
        (429, Eviction.BLOCKED),
        (404, Eviction.GONE),
        (403, Eviction.REFUSED),
    ],
)
def test_eviction_statuses_map_to_verdicts(
    scripted: Scripted, tmp_path: Path, status: int, verdict: Eviction
) -> None:
    scripted.answers = [(status, {})]
    cluster = KubernetesCluster(client_for(scripted, tmp_path, FakeTime()))
    assert cluster.evict("default/web-0") is verdict
    assert scripted.seen == [("POST", "/api/v1/namespaces/default/pods/web-0/eviction")]


def test_an_eviction_the_server_fails_is_an_error_not_a_verdict(
    scripted: Scripted, tmp_path: Path
) -> None:
    scripted.answers = [(503, {})]
    cluster = KubernetesCluster(client_for(scripted, tmp_path, FakeTime()))
    with pytest.raises(ApiException) as error:
        cluster.evict("default/web-0")
    assert error.value.status == 503
