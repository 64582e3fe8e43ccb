"""The Controller over a Cluster port and the simulated cloud: leadership, probes, loops."""

from __future__ import annotations

import json
import logging
import threading
import urllib.error
import urllib.request

from prometheus_client import CollectorRegistry

from provisioning.builders import FakeCluster, nodepool, pods
from sim.builders import sim_cloud
from spotwise.catalog.bundled import load_bundled
from spotwise.controller.controller import Controller
from spotwise.controller.logs import JsonFormatter
from spotwise.controller.loops import Loop, LoopRunner
from spotwise.controller.metrics import ControllerMetrics
from spotwise.controller.settings import ControllerSettings
from spotwise.ports.clock import ManualClock


class CachedCluster(FakeCluster):
    """The fake port with the start/sync/stop of a cache-backed one."""

    def __init__(self, synced: bool = True) -> None:
        super().__init__()
        self.synced = synced
        self.stopped = False

    def start(self) -> None:
        pass

    def wait_synced(self, timeout: float) -> bool:
        return self.synced

    def stop(self) -> None:
        self.stopped = True


class Lease:
    """A lease that is held or not, as a test says."""

    def __init__(self) -> None:
        self.held = False
        self.released = 0

    def try_acquire_or_renew(self) -> bool:
        return self.held

    def release(self) -> None:
        self.released += 1


def controller(lease: Lease | None = None, **settings: object):
    clock = ManualClock(1_000.0)
    cloud = sim_cloud(clock=clock)
    cluster = CachedCluster()
    leading: list[int] = []
    c = Controller(
        ControllerSettings(cluster_name="test", region="us-east-1", port=0, **settings),  # type: ignore[arg-type]
        cluster,
        cloud,
        [nodepool()],
        load_bundled(),
        clock,
        leadership=lease,
        registry=CollectorRegistry(),
        on_leading=lambda pools: leading.append(len(pools)),
    )
    return c, cluster, cloud, clock, leading


def test_only_the_leader_acts_and_it_adopts_what_is_in_flight_first() -> None:
    lease = Lease()
    c, cluster, cloud, clock, leading = controller(lease)
    c.synced = True
    # Another replica launched for these pods before it died.
    other, _, _, _, _ = controller()
    other.provisioner.launcher.cloud = cloud
    other.provisioner.cluster = cluster
    cluster.pending = pods(3)
    assert len(other.provisioner.reconcile().launches) == 1
    c.elect()
    assert not c.is_acting() and leading == []
    assert c.runner.run_once(c.runner.loops[1])  # the provisioning loop: a standby skips it
    assert c.provisioner.inflight.records() == ()
    lease.held = True
    c.elect()
    assert c.is_acting() and leading == [1]
    assert len(c.provisioner.inflight) == 1  # adopted
    clock.advance(5)
    c.provisioning.run()
    clock.advance(5)
    assert c.provisioning.run() is not None  # a round ran ...
    assert len(cloud.owned_instances("test")) == 1  # ... and launched nothing twice
    c.elect()
    assert leading == [1]  # renewing is not starting again
    lease.held = False
    c.elect()
    assert not c.is_acting()


def test_a_dry_run_launches_nothing() -> None:
    c, cluster, cloud, clock, _ = controller(dry_run=True)
    c.synced = True
    c.elect()
    cluster.pending = pods(3)
    c.provisioning.run()
    clock.advance(2)
    round_ = c.provisioning.run()
    assert round_ is not None and [r.outcome for r in round_.launches] == [None]
    assert cloud.owned_instances("test") == ()
    text = metrics_text(c)
    assert 'spotwise_decisions_total{decision="dry-run-launch",loop="provisioning"} 1.0' in text


def metrics_text(c: Controller) -> str:
    from prometheus_client import generate_latest

    return generate_latest(c.registry).decode()


def test_probes_and_metrics_over_http() -> None:
    c, *_ = controller()
    c.server.start()
    try:
        base = f"http://127.0.0.1:{c.server.port}"
        assert urllib.request.urlopen(f"{base}/healthz").status == 200
        try:
            urllib.request.urlopen(f"{base}/readyz")
            raise AssertionError("ready before the caches synced")
        except urllib.error.HTTPError as error:
            assert error.code == 503
        c.synced = True
        assert urllib.request.urlopen(f"{base}/readyz").status == 200
        body = urllib.request.urlopen(f"{base}/metrics").read().decode()
        assert "spotwise_pending_pods" in body and "spotwise_launches_total" in body
    finally:
        c.server.stop()


def test_a_failing_loop_is_counted_and_the_others_run_on() -> None:
    metrics = ControllerMetrics(CollectorRegistry())
    ran: list[str] = []

    def broken() -> None:
        raise RuntimeError("the API server is away")

    runner = LoopRunner(
        [Loop("broken", 1, broken), Loop("fine", 1, lambda: ran.append("fine"))],
        metrics,
        lambda: True,
        threading.Event(),
    )
    assert not runner.run_once(runner.loops[0])
    assert runner.run_once(runner.loops[1])
    assert ran == ["fine"]
    assert metrics.loop_errors.labels("broken")._value.get() == 1


def test_the_run_stops_on_the_stop_event_and_releases_the_lease() -> None:
    lease = Lease()
    lease.held = True
    c, cluster, *_ = controller(lease, retry_seconds=0.01)
    done: list[int] = []
    thread = threading.Thread(target=lambda: done.append(c.run()))
    thread.start()
    while not c.is_acting():
        c.stop.wait(0.01)
    c.stop.set()
    thread.join(10)
    assert done == [0] and lease.released == 1 and cluster.stopped


def test_caches_that_never_fill_stop_the_controller() -> None:
    c, cluster, *_ = controller()
    cluster.synced = False
    assert c.run() == 1


def test_logs_are_json_lines_with_their_fields() -> None:
    record = logging.LogRecord("spotwise", logging.INFO, __file__, 1, "launched %s", ("n1",), None)
    record.fields = {"node": "n1", "dry_run": False}
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "launched n1" and entry["node"] == "n1"
    assert entry["level"] == "info" and entry["time"].endswith("+00:00")
