"""Event source mappings: graceful shutdown and `kbridge config check`.

- SIGTERM while a slow handler is busy: kbridge lets the batches in flight finish, commits exactly
  what was delivered, leaves the group and exits 0; a restart continues from there without
  redelivering anything.
- SIGTERM after a running mapping's stream was deleted: kbridge still exits 0 in bounded time
  (librdkafka 2.0 can wait forever in rd_kafka_destroy() after a query on a deleted topic).
- `kbridge config check FILE` reports mapping errors with their JSON paths (exit 2), all at once.
"""
import json
import subprocess
import time

from kbridge_harness import base_config, require_env, unique_name
from kinesis_checks import call
from mapping_checks import (committed_offsets, end_offsets, group_of, mapping, put_all, serving,
                            wait_committed, wait_started)
from webhook_sink import order_violations


def test_sigterm_after_the_stream_was_deleted(kbridge, kbridge_factory, kafka_bootstrap,
                                              new_stream):
    stream = new_stream(shards=2, prefix="map-deleted")
    name = unique_name("deleted")
    with serving(kbridge_factory, [mapping(name, stream, {"type": "null"})],
                 name="deleted-1") as instance:
        wait_started(kafka_bootstrap, group_of(name), stream, 2)
        put_all(kbridge, stream, [(f"k{i}", b"x") for i in range(20)])
        status, payload = call(kbridge, "DeleteStream", {"StreamName": stream})
        assert status == 200, payload
        time.sleep(3)  # the worker's consumer meets the deleted topic
        stopped_at = time.monotonic()
        assert instance.stop(timeout=40) == 0
        stop_s = time.monotonic() - stopped_at
    print(f"\nexited {stop_s:.1f}s after SIGTERM with the mapping's stream deleted")
    assert stop_s < 35


def test_sigterm_commits_what_was_delivered(kbridge, kbridge_factory, kafka_bootstrap, new_stream,
                                            sinks):
    stream = new_stream(shards=2, prefix="map-sigterm")
    name = unique_name("sigterm")
    sink = sinks()
    sink.delay_s = 0.1  # batches are in flight most of the time
    config = mapping(name, stream, sink.handler_config(), batch_size=20)
    puts = put_all(kbridge, stream, [(f"key-{i % 11}", json.dumps({"i": i}).encode())
                                     for i in range(2000)])
    with serving(kbridge_factory, [config], name="sigterm-1") as instance:
        sink.wait_for_delivered(300, timeout=30)
        sink.wait_until(lambda s: s.in_flight() > 0, timeout=10, interval=0.005,
                        what="a call in flight")
        stopped_at = time.monotonic()
        assert instance.stop() == 0  # SIGTERM; fails unless it exits 0 within 15 s
        stop_s = time.monotonic() - stopped_at
    log = instance.log_path.read_text()
    first = sink.delivered()
    calls = sink.calls()
    in_flight = [c for c in calls if c.started < stopped_at < c.ended]
    assert all(c.status for c in calls), "a call was still running after kbridge exited"
    assert all(c.ok for c in calls)
    assert order_violations(first) == []
    # The checkpoint is exactly the end of what was delivered, per shard.
    delivered_to = {s: 0 for s in range(2)}
    for r in first:
        delivered_to[r.shard_index] = max(delivered_to[r.shard_index], r.offset + 1)
    committed = committed_offsets(kafka_bootstrap, group_of(name), stream, 2)
    print(f"\nSIGTERM with {len(in_flight)} call(s) in flight, exited after {stop_s:.1f}s; "
          f"{len(first)} records delivered, committed {committed}")
    assert in_flight, "no batch was in flight at SIGTERM: nothing tested"
    assert committed == delivered_to
    assert len(first) < len(puts), "everything was delivered before the stop: nothing tested"
    assert f"mapping {name}: stopped" in log, log[-2000:]

    sink.delay_s = 0.0
    with serving(kbridge_factory, [config], name="sigterm-2"):
        sink.wait_for_delivered(len(puts), timeout=30)
        wait_committed(kafka_bootstrap, group_of(name), stream,
                       end_offsets(kafka_bootstrap, stream, 2))
        assert sink.quiet(0.5)
    counts = sink.counts_by_data()
    assert sorted(counts.values()) == [1] * len(puts), "records redelivered after the restart"
    assert order_violations(sink.delivered()) == []


def test_stop_while_the_handler_is_unreachable(kbridge, kbridge_factory, kafka_bootstrap,
                                               new_stream, sinks):
    """SIGTERM while every delivery is answered 503 (retry later): kbridge still stops promptly
    with exit 0 and commits nothing past the undelivered records."""
    stream = new_stream(shards=1, prefix="map-stop-503")
    name = unique_name("stop-503")
    sink = sinks()
    config = mapping(name, stream, sink.handler_config(), batch_size=10)
    with serving(kbridge_factory, [config], name="stop-503"):
        wait_started(kafka_bootstrap, group_of(name), stream, 1)
        put_all(kbridge, stream, [("k", json.dumps({"i": i}).encode()) for i in range(10)])
        sink.wait_for_delivered(10)
        wait_committed(kafka_bootstrap, group_of(name), stream, {0: 10})
        sink.unavailable = True
        put_all(kbridge, stream, [("k", json.dumps({"i": i}).encode()) for i in range(10, 20)])
        sink.wait_until(lambda s: sum(1 for c in s.calls() if c.status == 503) >= 3, timeout=20,
                        what="503 answers")
    assert committed_offsets(kafka_bootstrap, group_of(name), stream, 1) == {0: 10}


def test_sigterm_with_a_hanging_handler_exits_within_the_grace_period(
        kbridge, kbridge_factory, kafka_bootstrap, new_stream, sinks):
    """A delivery that does not come back (the handler's own timeout is far away) is abandoned at
    shutdown: kbridge exits 0 within its grace period (20 s for the mappings) plus a margin, and
    commits nothing of the abandoned batch, so a restart redelivers it."""
    stream = new_stream(shards=1, prefix="map-hang")
    name = unique_name("hang")
    sink = sinks()
    sink.delay_s = 35.0
    put_all(kbridge, stream, [("k", json.dumps({"i": i}).encode()) for i in range(5)])
    config = mapping(name, stream, sink.handler_config(timeout_ms=120000))
    instance = kbridge_factory.start(config={"mappings": [config]}, name="hang")
    sink.wait_until(lambda s: s.call_count() >= 1, timeout=30, what="the first call")
    stopped_at = time.monotonic()
    code = instance.stop(check=False, timeout=45)
    took = time.monotonic() - stopped_at
    print(f"\nexit {code} {took:.1f}s after SIGTERM\n{instance.log_tail(12)}")
    assert committed_offsets(kafka_bootstrap, group_of(name), stream, 1) == {0: 0}
    assert code == 0
    assert took <= 25.0, f"SIGTERM took {took:.1f}s: the hanging delivery was waited for"


# --- kbridge config check -----------------------------------------------------------------------

def config_check(tmp_path, mappings):
    path = tmp_path / f"config-{unique_name('c')}.json"
    cfg = base_config("127.0.0.1:9092")
    cfg["mappings"] = mappings
    path.write_text(json.dumps(cfg, indent=2))
    done = subprocess.run([require_env("KBRIDGE_BIN"), "config", "check", str(path)],
                          capture_output=True, text=True, timeout=30)
    return done.returncode, done.stdout, done.stderr.splitlines()


HOOK = {"type": "webhook", "url": "http://127.0.0.1:9/hook"}


def test_config_check_accepts_valid_mappings(tmp_path):
    code, out, err = config_check(tmp_path, [
        mapping("m1", "s1", HOOK, batch_size=10000, parallelization_factor=10,
                on_failure={"topic": "dlq", "include_records": True},
                filter=[{"data": {"amount": [{"numeric": [">", 0]}]}}]),
        {"name": "m2", "stream": "s1", "handler": {"type": "log"},
         "starting_position": "AT_TIMESTAMP",
         "starting_position_timestamp": "2026-11-22T10:00:00Z"},
        {"name": "m3", "stream": "s1", "handler": {"type": "null"}, "starting_position": "LATEST",
         "on_failure": {"stream": "dlq-stream"}, "enabled": False},
    ])
    assert (code, err) == (0, []), (code, out, err)
    assert out.strip().endswith(": ok")


def test_config_check_reports_mapping_errors_with_paths(tmp_path):
    code, out, err = config_check(tmp_path, [
        mapping("bad-batch", "s1", HOOK, batch_size=0),
        mapping("bad-handler", "s1", {"type": "carrier-pigeon"}),
        {"name": "no-position", "stream": "s1", "handler": {"type": "null"}},
        mapping("bad-filter", "s1", HOOK, filter=[{"data": {"amount": [{"numeric": [">>", 1]}]}}]),
        mapping("bad-factor", "s1", HOOK, parallelization_factor=11, bisect_on_error="yes"),
        mapping("bad-failure", "s1", HOOK, on_failure={"stream": "a", "topic": "b"}),
        mapping("bad-hook", "s1", {"type": "webhook", "url": "ftp://x", "timeout_ms": 0}),
    ])
    print("\n" + "\n".join(err))
    assert code == 2, (code, out, err)

    def lines(prefix):
        return [e for e in err if e.startswith(prefix)]
    assert lines("$.mappings[0].batch_size: "), err
    assert "between 1 and 10000" in lines("$.mappings[0].batch_size")[0]
    assert lines("$.mappings[1].handler.type: ") and \
        "carrier-pigeon" in lines("$.mappings[1].handler.type")[0], err
    assert lines("$.mappings[2].starting_position: "), err
    assert lines("$.mappings[3].filter"), err
    assert lines("$.mappings[4].parallelization_factor: "), err
    assert lines("$.mappings[4].bisect_on_error: "), err
    assert lines("$.mappings[5].on_failure"), err
    assert lines("$.mappings[6].handler.url: "), err
    assert lines("$.mappings[6].handler.timeout_ms: "), err
    assert all(e.startswith("$.mappings[") for e in err), err


def test_config_check_reports_duplicate_names_and_unknown_keys(tmp_path):
    code, _, err = config_check(tmp_path, [
        mapping("same", "s1", HOOK),
        mapping("same", "s2", HOOK, batch_sise=5),
    ])
    assert code == 2
    assert any(e.startswith("$.mappings[1].name: ") and "twice" in e for e in err), err
    assert "$.mappings[1].batch_sise: unknown key" in err, err
