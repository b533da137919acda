"""Issue 7 (part B): sources that put records into streams.

- http_poll against a local HTTP server that answers, in turn, a JSON array, a 500, a body that is
  not JSON and a response slower than the source's timeout: only the array's elements become
  records (seed 002's {timestamp, sourceUrl, data}, key partition-<ms>-<random>, routed by MD5 as
  PutRecords routes), every failure is counted in kbridge_source_runs_total{outcome};
- a generator with a 1 s interval puts its rendered template;
- sources start before their streams exist: they count stream_missing, fetch nothing, and begin
  once the stream is created;
- POST /api/sources/{name}/run answers with the run's outcome (200, 502, 404);
- `kbridge config check` reports every error of a bad `sources` section with its path;
- kbridge stays up throughout and stops cleanly.
"""
import base64
import datetime
import http.server
import json
import os
import re
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from kbridge_harness import expected_hash_ranges, unique_name, wait_for
from kinesis_checks import call, read_records, routed_shard, shard_iterator
from metrics_checks import scrape

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
KEY = re.compile(r"^partition-(\d{13})-[0-9a-z]{8}$")
ARRAY = [{"id": 1, "name": "one"}, {"id": 2, "name": "two"}, {"id": 3, "nested": {"b": [1, 2]}}]


class ScriptedServer:
    """HTTP server on 127.0.0.1:0. GET /poll answers the scripted responses in turn (then `[]`);
    GET /manual a one-element array; GET /bad a body that is not JSON."""

    def __init__(self, script):
        self.script = list(script)
        self.hits = []  # (path, User-Agent) of every request
        self.lock = threading.Lock()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's naming)
                with server.lock:
                    server.hits.append((self.path, self.headers.get("User-Agent")))
                    if self.path == "/poll":
                        status, body, delay = (server.script.pop(0) if server.script
                                               else (200, "[]", 0))
                    elif self.path == "/manual":
                        status, body, delay = 200, json.dumps([{"manual": True}]), 0
                    else:
                        status, body, delay = 200, "<html>not json</html>", 0
                if delay:
                    time.sleep(delay)
                data = body.encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (the timeout case)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path):
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def poll_hits(self):
        with self.lock:
            return [h for h in self.hits if h[0] == "/poll"]

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def metric(samples, name, **labels):
    want = set(labels.items())
    found = [v for (n, ls), v in samples.items() if n == name and want <= set(ls)]
    assert len(found) == 1, (name, labels, found)
    return found[0]


def post_run(kb, source):
    """(status, JSON body) of POST /api/sources/{source}/run."""
    request = urllib.request.Request(f"{kb.endpoint}/api/sources/{source}/run", data=b"",
                                     method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def create_stream(kb, name, shards):
    status, body = call(kb, "CreateStream", {"StreamName": name, "ShardCount": shards})
    assert status == 200, (status, body)
    wait_for(lambda: call(kb, "DescribeStreamSummary", {"StreamName": name})[1]
             .get("StreamDescriptionSummary", {}).get("StreamStatus") == "ACTIVE",
             timeout=30, what=f"{name} ACTIVE")


def read_stream(kb, name, shards, want):
    """Every record of every shard as (shard, key, data dict, arrival)."""
    out = []
    for shard in range(shards):
        records, _ = read_records(kb, shard_iterator(kb, name, shard), 0, timeout=20)
        for r in records:
            out.append((shard, r["PartitionKey"], json.loads(base64.b64decode(r["Data"])),
                        r["ApproximateArrivalTimestamp"]))
    assert len(out) >= want, (len(out), want)
    return out


@pytest.fixture(scope="module")
def server():
    s = ScriptedServer([
        (200, json.dumps(ARRAY), 0),
        (500, "internal error", 0),
        (200, "this is not json", 0),
        (200, json.dumps([{"late": True}]), 2.5),  # slower than timeout_ms
    ])
    yield s
    s.close()


@pytest.fixture(scope="module")
def setup(kbridge_factory, server):
    poll_stream, gen_stream = unique_name("src-poll"), unique_name("src-gen")
    config = {"sources": [
        {"name": "poll", "type": "http_poll", "stream": poll_stream, "interval_s": 1,
         "url": server.url("/poll"), "timeout_ms": 800, "connect_timeout_ms": 500,
         "user_agent": "kbridge-sources-test"},
        {"name": "gen", "type": "generator", "stream": gen_stream, "interval_s": 1,
         "template": {"message": "Hello from producer", "time": "${time}", "n": "${count}"}},
        {"name": "manual", "type": "http_poll", "stream": poll_stream, "interval_s": 0,
         "url": server.url("/manual")},
        {"name": "bad", "type": "http_poll", "stream": poll_stream, "interval_s": 0,
         "url": server.url("/bad")},
        {"name": "orphan", "type": "generator", "stream": unique_name("src-none"),
         "interval_s": 1},
    ]}
    kb = kbridge_factory.start(config, name="sources")
    # Before the streams exist: counted as stream_missing, nothing fetched.
    wait_for(lambda: metric(scrape(kb), "kbridge_source_runs_total", source="poll",
                            outcome="stream_missing") >= 1, timeout=15, what="stream_missing")
    assert server.poll_hits() == []
    create_stream(kb, poll_stream, 2)
    create_stream(kb, gen_stream, 1)
    return kb, poll_stream, gen_stream


def test_http_poll_puts_each_element_and_counts_failures(setup, server):
    kb, poll_stream, _ = setup
    # Array, 500, not JSON, slow (timeout), then at least one `[]`.
    wait_for(lambda: len(server.poll_hits()) >= 5, timeout=30, what="five polls")
    assert {ua for _, ua in server.poll_hits()} == {"kbridge-sources-test"}
    samples = scrape(kb)
    runs = {o: metric(samples, "kbridge_source_runs_total", source="poll", outcome=o)
            for o in ("ok", "http_status", "not_json", "timeout", "fetch_failed", "too_large",
                      "put_failed", "stream_missing")}
    assert runs["http_status"] == 1 and runs["not_json"] == 1 and runs["timeout"] == 1, runs
    assert runs["ok"] >= 2 and runs["fetch_failed"] == 0 and runs["put_failed"] == 0, runs
    assert runs["stream_missing"] >= 1, runs
    assert metric(samples, "kbridge_source_records_total", source="poll") == 3

    records = read_stream(kb, poll_stream, 2, 3)
    assert len(records) == 3, records
    assert sorted((r[2]["data"] for r in records), key=lambda d: d["id"]) == ARRAY
    ranges = expected_hash_ranges(2)
    for shard, key, doc, arrival in records:
        assert list(doc) == ["timestamp", "sourceUrl", "data"], doc
        assert doc["sourceUrl"] == server.url("/poll")
        assert ISO.match(doc["timestamp"]), doc
        m = KEY.match(key)
        assert m, key
        # Routed as PutRecords routes: MD5 of the partition key.
        assert shard == routed_shard(ranges, key), (shard, key)
        fetched = datetime.datetime.strptime(doc["timestamp"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
            tzinfo=datetime.timezone.utc)
        assert abs(fetched.timestamp() - arrival) < 10, (doc, arrival)
    assert len({r[1] for r in records}) == 3, "one random key per record"
    # The late response of the timed-out poll was never put.
    assert all("late" not in r[2]["data"] for r in records)


def test_generator_puts_its_template_every_interval(setup):
    kb, _, gen_stream = setup
    wait_for(lambda: metric(scrape(kb), "kbridge_source_records_total", source="gen") >= 3,
             timeout=20, what="three generated records")
    records = read_stream(kb, gen_stream, 1, 3)
    ns = []
    for _, key, doc, _ in records:
        assert set(doc) == {"message", "time", "n"}, doc
        assert doc["message"] == "Hello from producer"
        assert ISO.match(doc["time"]), doc
        assert KEY.match(key), key
        ns.append(doc["n"])
    assert ns == list(range(ns[0], ns[0] + len(ns))), ns
    assert ns[0] == 1
    # A second apart or so (fixed rate), not a burst.
    times = [datetime.datetime.strptime(d["time"], "%Y-%m-%dT%H:%M:%S.%fZ")
             for _, _, d, _ in records]
    gaps = [(b - a).total_seconds() for a, b in zip(times, times[1:])]
    assert all(0.5 <= g <= 5 for g in gaps), gaps


def test_run_route_answers_the_outcome(setup, server):
    kb, poll_stream, _ = setup
    status, body = post_run(kb, "manual")
    assert status == 200, body
    assert body["source"] == "manual" and body["outcome"] == "ok", body
    assert body["recordsPut"] == 1 and body["recordsFailed"] == 0, body
    assert ISO.match(body["startedAt"]), body
    records = read_stream(kb, poll_stream, 2, 4)
    manual = [r for r in records if r[2]["data"] == {"manual": True}]
    assert len(manual) == 1 and manual[0][2]["sourceUrl"] == server.url("/manual"), manual

    status, body = post_run(kb, "bad")
    assert status == 502, body
    assert body["outcome"] == "not_json" and body["recordsPut"] == 0, body
    assert "not JSON" in body["error"], body

    status, body = post_run(kb, "orphan")
    assert status == 503 and body["outcome"] == "stream_missing", body

    status, body = post_run(kb, "no-such-source")
    assert status == 404, body
    samples = scrape(kb)
    assert metric(samples, "kbridge_source_runs_total", source="bad", outcome="not_json") == 1
    assert metric(samples, "kbridge_source_runs_total", source="manual", outcome="ok") == 1


def test_missing_stream_keeps_retrying_and_kbridge_stays_up(setup):
    kb, _, _ = setup
    before = metric(scrape(kb), "kbridge_source_runs_total", source="orphan",
                    outcome="stream_missing")
    wait_for(lambda: metric(scrape(kb), "kbridge_source_runs_total", source="orphan",
                            outcome="stream_missing") > before, timeout=15, what="a retry")
    assert kb.proc.poll() is None, kb.log_tail()
    status, body = call(kb, "ListStreams", {})
    assert status == 200, body


def test_config_check_reports_every_source_error(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"sources": [
        {"name": "a", "type": "http_poll", "stream": "s", "interval_s": 1, "url": "ftp://x",
         "template": {}},
        {"name": "a", "type": "generator", "stream": "s", "interval_s": -5,
         "template": {"t": "${nope}"}},
        {"type": "cron"},
    ]}))
    result = subprocess.run([os.environ["KBRIDGE_BIN"], "config", "check", str(path)],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2, result
    for expected in ("$.sources[0].url: must be an http:// or https:// URL",
                     "$.sources[0].template: is allowed only with type \"generator\"",
                     "$.sources[1].interval_s: must be between 0 and 604800",
                     "$.sources[1].template.t: unknown placeholder \"${nope}\"",
                     "$.sources[1].name: \"a\" is used twice",
                     "$.sources[2].type: must be \"http_poll\" or \"generator\"",
                     "$.sources[2].name: is required"):
        assert expected in result.stderr, (expected, result.stderr)
