"""Issue 9, acceptances 2 and 3: the compose topology as processes, observed through a real
Prometheus (Debian's prometheus package).

The test broker, two kbridge instances running compose/kbridge/kbridge.json (made local: loopback
listeners, the test broker, unique mapping names on a 2-shard test stream; see replica_config) as
compose's two replicas do, and `prometheus` on 127.0.0.1 (free port, temporary storage, scrape and
rule evaluation every second) with compose/prometheus/prometheus.yml's scrape job pointed at both
admin listeners and compose/prometheus/alerts.yml loaded. The compose config's mappings are one
`metrics` (the shared mapping the checks follow), one `archive` and one `log` mapping; the test adds
`hook`, a webhook that always answers 500 (max_retry_attempts 0, on_failure to a topic), so that
error and dead-letter series move.

- acceptance 2: Prometheus's HTTP API shows both targets up, every alert rule loaded and healthy,
  the shared mapping's kbridge_lag_* series from both instances for both shards, and both
  instances invoking the shared mapping (they share its shards); the failing webhook makes
  KbridgeHandlerErrors and KbridgeDeadLetterRecords fire, KbridgeDown does not;
- every dashboard expression (variables at "All") evaluates without error and returns series;
- acceptance 3: every metric name in the alerts and the dashboard (histogram `_bucket/_sum/_count`
  resolved to their family) is on the instances' live /metrics.
"""
from __future__ import annotations

import json
import os
import pathlib
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import pytest

from kbridge_harness import http_get, unique_name, wait_for
from kinesis_checks import call, get_records, shard_iterator
from mapping_checks import create_topic, group_of, mapping, put_all, wait_started
from metrics_checks import fetch_metrics, metric_types, scrape
from test_deploy_files import (COMPOSE, PROMETHEUS_DIR, alert_rules, dashboard_exprs, family_of,
                               grafana_to_promql, load_yaml, metric_names)

LAG = {"lag": {"interval_s": 1, "window": 3}}
SOURCES = ("web", "mobile", "iot")


# --- Prometheus as a process ----------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrometheusProcess:
    """`prometheus` bound to 127.0.0.1 with its own storage directory; stopped by its PID."""

    def __init__(self, workdir: pathlib.Path, config: dict):
        self.workdir = workdir
        self.config_path = workdir / "prometheus.json"  # JSON is YAML
        self.config_path.write_text(json.dumps(config, indent=1))
        self.log_path = workdir / "prometheus.log"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> "PrometheusProcess":
        binary = shutil.which("prometheus")
        assert binary, "prometheus not found: scripts/setup installs Debian's prometheus package"
        log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [binary, f"--config.file={self.config_path}",
             f"--storage.tsdb.path={self.workdir / 'data'}",
             f"--web.listen-address=127.0.0.1:{self.port}", "--log.level=warn"],
            stdout=log, stderr=subprocess.STDOUT, cwd=self.workdir)
        log.close()

        def ready():
            assert self.proc.poll() is None, f"prometheus exited:\n{self.log_tail()}"
            try:
                return http_get(f"{self.url}/-/ready", timeout=2)[0] == 200
            except OSError:
                return False
        wait_for(ready, timeout=timeout, interval=0.3, what="prometheus ready")
        return self

    def stop(self, timeout: float = 15) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.kill(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout)

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def api(self, path: str, **params) -> dict | list:
        url = f"{self.url}/api/v1/{path}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        with urllib.request.urlopen(url, timeout=10) as response:
            body = json.loads(response.read())
        assert body["status"] == "success", body
        return body["data"]

    def query(self, expr: str) -> list[dict]:
        data = self.api("query", query=expr)
        assert data["resultType"] in ("vector", "scalar", "matrix"), data
        return data["result"] if data["resultType"] != "scalar" else [data["result"]]


def prometheus_config(targets: list[str]) -> dict:
    """compose/prometheus/prometheus.yml with the kbridge job pointed at `targets`, everything
    every second and the rule file by absolute path."""
    config = load_yaml(PROMETHEUS_DIR / "prometheus.yml")
    config["global"]["scrape_interval"] = "1s"
    config["global"]["evaluation_interval"] = "1s"
    config["rule_files"] = [str(PROMETHEUS_DIR / f) for f in config["rule_files"]]
    (job,) = [j for j in config["scrape_configs"] if j["job_name"] == "kbridge"]
    job["scrape_timeout"] = "1s"
    job["static_configs"] = [{"targets": targets}]
    return config


# --- /metrics -------------------------------------------------------------------------------------

def exposition(instance) -> tuple[set[str], dict[str, str]]:
    """(sample names with at least one sample, {family: type}) of an instance's GET /metrics."""
    _, text, samples = fetch_metrics(instance)
    return {name for name, _ in samples}, metric_types(text)


def counter(instance, name: str, **labels) -> float:
    """The sum of `name`'s samples whose labels include `labels`."""
    want = set(labels.items())
    return sum(v for (n, ls), v in scrape(instance).items() if n == name and want <= set(ls))


def replica_config(bootstrap: str, stream: str, workdir: pathlib.Path) -> tuple[dict, dict]:
    """compose/kbridge/kbridge.json as the replicas run it, made local: loopback listeners on free
    ports, the test broker, the mappings on `stream` under unique names (the broker outlives the
    test) from TRIM_HORIZON without batching windows, the archive in `workdir`, lag sampled every
    second. Returns (config, {"shared" | "archive" | "log": mapping name})."""
    config = json.loads((COMPOSE / "kbridge" / "kbridge.json").read_text())
    config["kinesis"]["listen"] = "127.0.0.1:0"
    config["admin"]["listen"] = "127.0.0.1:0"
    config["kafka"]["bootstrap_servers"] = bootstrap
    config.update(LAG)
    kinds = {"metrics": "shared", "archive": "archive", "log": "log"}
    names = {}
    for entry in config["mappings"]:
        kind = kinds[entry["handler"]["type"]]
        assert kind not in names, f"two {kind} mappings in the compose config"
        names[kind] = entry["name"] = unique_name(f"deploy-{kind}")
        entry["stream"] = stream
        entry["starting_position"] = "TRIM_HORIZON"
        entry.pop("max_batching_window_ms", None)
        if kind == "archive":
            entry["handler"]["destination"]["path"] = str(workdir / "archive")
            entry["handler"]["buffering"]["interval_s"] = 0
    assert set(names) == set(kinds.values()), names
    return config, names


# --- the topology ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def topology(kbridge, kbridge_factory, kafka_bootstrap, new_stream, tmp_path_factory):
    from webhook_sink import WebhookSink

    workdir = tmp_path_factory.mktemp("deploy")
    stream = new_stream(shards=2, prefix="deploy")
    dlq = unique_name("deploy-dlq")
    create_topic(kafka_bootstrap, dlq)
    sink = WebhookSink("/events")
    sink.poison = lambda record: True  # every batch: HTTP 500, a failed delivery
    config, names = replica_config(kafka_bootstrap, stream, workdir)
    names["hook"] = unique_name("deploy-hook")
    config["mappings"].append(
        mapping(names["hook"], stream, sink.handler_config(), batch_size=50,
                max_retry_attempts=0, on_failure={"topic": dlq}))
    instances = [kbridge_factory.start(config=config, name=f"deploy-{i}") for i in (1, 2)]
    prometheus = None
    try:
        for name in names.values():
            wait_started(kafka_bootstrap, group_of(name), stream, 2)

        # Records until both instances have delivered batches of the shared mapping: its two
        # shards are split between them once the group has settled.
        i = 0

        def both_invoked():
            nonlocal i
            put_all(instances[i % 2], stream, [
                (f"user-{i}-{k}", json.dumps({"i": i, "source": SOURCES[k % 3]}).encode())
                for k in range(20)])
            i += 1
            return all(counter(kb, "kbridge_mapping_invocations_total", mapping=names["shared"]) > 0
                       for kb in instances)
        wait_for(both_invoked, timeout=45, interval=0.5,
                 what="both instances invoking the shared mapping")

        # GetRecords on both shards and one PutRecord, for the outgoing and PutRecord series.
        for shard in (0, 1):
            status, body, _ = get_records(instances[0], shard_iterator(instances[0], stream, shard))
            assert status == 200 and body["Records"], (status, body)
        status, body = call(instances[1], "PutRecord", {
            "StreamName": stream, "PartitionKey": "single", "Data": "eyJzb3VyY2UiOiAid2ViIn0="})
        assert status == 200, body

        for kb in instances:  # for compose/README.md's sizing notes
            rss = re.search(r"^VmRSS:\s+(\d+) kB", pathlib.Path(f"/proc/{kb.pid}/status")
                            .read_text(), re.M)
            print(f"{kb.name}: RSS {int(rss.group(1)) // 1024} MiB")
        targets = [urllib.parse.urlsplit(kb.admin_endpoint).netloc for kb in instances]
        prometheus = PrometheusProcess(workdir, prometheus_config(targets)).start()
        yield {"instances": instances, "targets": targets, "names": names, "stream": stream,
               "prometheus": prometheus, "sink": sink, "workdir": workdir}
    finally:
        if prometheus is not None:
            print(prometheus.log_tail())
            prometheus.stop()
        # Before new_stream's teardown deletes the stream under the mappings; a clean exit (0
        # within the harness's grace period) is required unless the setup already failed.
        clean = sys.exc_info()[0] is None
        for instance in instances:
            instance.stop(check=clean)
        sink.close()


def test_prometheus_scrapes_both_instances_and_the_shared_mapping_lag(topology):
    prometheus = topology["prometheus"]
    targets = set(topology["targets"])
    shared = topology["names"]["shared"]

    def both_up():
        active = prometheus.api("targets", state="active")["activeTargets"]
        health = {t["labels"]["instance"]: t["health"] for t in active
                  if t["labels"]["job"] == "kbridge"}
        return health == {t: "up" for t in targets} and health
    health = wait_for(both_up, timeout=30, interval=0.5, what="both kbridge targets up")
    print("targets:", health)
    up = {r["metric"]["instance"]: r["value"][1] for r in prometheus.query('up{job="kbridge"}')}
    assert up == {t: "1" for t in targets}, up

    # The alert rules are loaded and evaluate without errors.
    (group,) = [g for g in prometheus.api("rules")["groups"] if g["name"] == "kbridge"]
    assert {r["name"] for r in group["rules"]} == {r["alert"] for r in alert_rules()}
    wait_for(lambda: all(r["health"] == "ok" for g in prometheus.api("rules")["groups"]
                         for r in g["rules"]), timeout=10, what="every rule evaluated ok")

    # The shared mapping's lag series: both shards, reported by both instances.
    def lag_series():
        found = {}
        for name in ("kbridge_lag_records", "kbridge_lag_seconds", "kbridge_lag_status"):
            rows = prometheus.query(f'{name}{{mapping="{shared}"}}')
            found[name] = {(r["metric"]["instance"], r["metric"]["shard"]) for r in rows}
        want = {(t, f"shardId-00000000000{s}") for t in targets for s in (0, 1)}
        return all(v == want for v in found.values()) and found
    wait_for(lag_series, timeout=30, interval=0.5, what=f"kbridge_lag_* of {shared}")
    rows = prometheus.query(f'kbridge_lag_group_status{{mapping="{shared}"}}')
    assert {r["metric"]["group"] for r in rows} == {group_of(shared)}
    assert {r["metric"]["instance"] for r in rows} == targets

    # The instances share the mapping's work.
    rows = prometheus.query(
        f'sum by (instance) (kbridge_mapping_invocations_total{{mapping="{shared}"}})')
    invoked = {r["metric"]["instance"]: float(r["value"][1]) for r in rows}
    assert set(invoked) == targets and all(v > 0 for v in invoked.values()), invoked

    # New records while Prometheus watches: the failing webhook fires the errors and dead-letter
    # alerts (increase() needs the counters to grow between samples); nothing is down.
    hook = topology["names"]["hook"]
    instances, stream = topology["instances"], topology["stream"]
    alerts_expected = {("KbridgeHandlerErrors", hook), ("KbridgeDeadLetterRecords", hook)}

    def firing():
        alerts = prometheus.api("alerts")["alerts"]
        return {(a["labels"]["alertname"], a["labels"].get("mapping")) for a in alerts
                if a["state"] == "firing"}

    def put_until_firing():
        put_all(instances[0], stream, [(f"late-{k}", b'{"source": "web"}') for k in range(10)])
        return alerts_expected <= firing()
    wait_for(put_until_firing, timeout=30, interval=1, what="handler-error and DLQ alerts firing")
    assert not {a for a in firing() if a[0] == "KbridgeDown"}, firing()
    assert not {a for a in firing() if a[1] == shared}, firing()


def test_the_compose_mappings_deliver_on_both_instances(topology):
    """The compose config's mappings run as configured: every one delivers, and the archive
    (one directory shared by the instances, as compose's `archive` volume) holds gzip objects."""
    import gzip
    instances, names = topology["instances"], topology["names"]
    for kind in ("shared", "archive", "log"):
        delivered = sum(counter(kb, "kbridge_mapping_records_delivered_total", mapping=names[kind])
                        for kb in instances)
        assert delivered > 0, (kind, names[kind])
    processed = sum(counter(kb, "kbridge_stream_records_processed_total",
                            stream=topology["stream"]) for kb in instances)
    assert processed > 0
    objects = wait_for(lambda: sorted((topology["workdir"] / "archive").rglob("*.gz")),
                       timeout=20, what="archive objects")
    lines = sum(len(gzip.decompress(o.read_bytes()).splitlines()) for o in objects)
    assert lines > 0, objects


def test_every_dashboard_query_returns_series(topology):
    prometheus = topology["prometheus"]
    empty = {}
    deadline = time.monotonic() + 30
    for title, expr in dashboard_exprs():
        promql = grafana_to_promql(expr)
        while True:
            result = prometheus.query(promql)
            if result or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        if not result:
            empty[title] = promql
    assert not empty, f"dashboard queries without series: {json.dumps(empty, indent=1)}"


def test_every_alert_and_dashboard_metric_is_exposed(topology):
    samples, types = set(), {}
    for instance in topology["instances"]:
        s, t = exposition(instance)
        samples |= s
        types.update(t)
    histograms = {name for name, kind in types.items() if kind == "histogram"}
    used = {}
    for rule in alert_rules():
        for name in metric_names(rule["expr"]):
            used.setdefault(name, []).append(f"alert {rule['alert']}")
    for title, expr in dashboard_exprs():
        for name in metric_names(expr):
            used.setdefault(name, []).append(f"panel {title!r}")
    assert len(used) >= 20, sorted(used)
    missing = {}
    for name, where in sorted(used.items()):
        family = family_of(name, histograms)
        if family not in types or name not in samples:
            missing[name] = where
        elif family != name:
            assert types[family] == "histogram", (name, types[family])
    families = {family_of(n, histograms) for n in used}
    print("metrics used:", sorted(families))
    print("kbridge metrics neither uses:",
          sorted(f for f in types if f.startswith("kbridge_") and f not in families))
    assert not missing, f"metrics the alerts or the dashboard use but /metrics lacks: {missing}"
    # Histograms are never used bare (Prometheus has no such series).
    assert not histograms & set(used), histograms & set(used)
