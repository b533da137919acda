"""Event source mappings: how handler trouble is told apart, and the batching window.

- a handler timeout and a refused connection are "retry later": the same batch comes again after
  back-off and is delivered once the handler answers;
- 503 is "retry later" too: with bisect_on_error the batch is retried whole, not split;
- bisect_on_error with max_retry_attempts 0 and no on_failure: the poison record is tried once alone,
  given up on (logged) and passed by the checkpoint;
- an on_failure stream that does not exist yet: the failure record waits, the checkpoint does not
  pass the records; once the stream exists the failure record lands and the checkpoint moves on;
- max_batching_window_ms and batch_size shape the batches.
"""
import json
import socket
import time

from kbridge_harness import shard_id, unique_name
from kinesis_checks import call
from mapping_checks import (committed_offsets, create_stream, group_of, mapping, put_all,
                            serving, stream_values, wait_committed, wait_started)
from webhook_sink import order_violations


def records(n, start=0, key="k"):
    return [(key, json.dumps({"i": i}).encode()) for i in range(start, start + n)]


def index_of(record):
    return json.loads(record.data)["i"]


def test_handler_timeout_is_retried(kbridge, kbridge_factory, kafka_bootstrap, new_stream, sinks):
    stream = new_stream(shards=1, prefix="map-timeout")
    name = unique_name("timeout")
    sink = sinks()
    slow = iter([True])

    def first_call_hangs(batch):
        if next(slow, False):
            time.sleep(1.5)  # past the handler's 300 ms timeout
        return None
    sink.responder = first_call_hangs
    put_all(kbridge, stream, records(10))
    config = mapping(name, stream, sink.handler_config(timeout_ms=300), batch_size=100,
                     max_batching_window_ms=1000, bisect_on_error=True)
    with serving(kbridge_factory, [config], name="timeout") as instance:
        wait_committed(kafka_bootstrap, group_of(name), stream, {0: 10})
        assert sink.quiet(1.0)
    calls = sink.calls()
    assert [len(c.records) for c in calls] == [10, 10], "a timeout is retried whole, not bisected"
    assert calls[1].started >= calls[0].started + 0.3
    log = instance.log_path.read_text()
    assert "retrying batch of 10" in log, log[-3000:]


def test_connection_refused_is_retried(kbridge, kbridge_factory, kafka_bootstrap, new_stream,
                                       sinks):
    stream = new_stream(shards=1, prefix="map-refused")
    name = unique_name("refused")
    with socket.socket() as probe:  # a loopback port nothing listens on (for now)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    put_all(kbridge, stream, records(10))
    config = mapping(name, stream, {"type": "webhook", "url": f"http://127.0.0.1:{port}/events",
                                    "timeout_ms": 2000},
                     max_retry_attempts=-1, retry_backoff={"initial_ms": 50, "max_ms": 300})
    with serving(kbridge_factory, [config], name="refused") as instance:
        wait_started(kafka_bootstrap, group_of(name), stream, 1)
        deadline = time.monotonic() + 20
        while "retrying batch" not in instance.log_path.read_text():
            assert time.monotonic() < deadline, "no retry logged"
            time.sleep(0.1)
        time.sleep(1.0)  # a few more refused attempts
        assert committed_offsets(kafka_bootstrap, group_of(name), stream, 1) == {0: 0}
        sink = sinks(port=port)
        sink.wait_for_delivered(10, timeout=20)
        wait_committed(kafka_bootstrap, group_of(name), stream, {0: 10})
    assert [index_of(r) for r in sink.delivered()] == list(range(10))


def test_503_is_retried_whole_even_with_bisect(kbridge, kbridge_factory, kafka_bootstrap,
                                               new_stream, sinks):
    stream = new_stream(shards=1, prefix="map-503")
    name = unique_name("svc-unavailable")
    sink = sinks()
    sink.fail_first, sink.fail_status = 2, 503
    put_all(kbridge, stream, records(10))
    config = mapping(name, stream, sink.handler_config(), batch_size=100,
                     max_batching_window_ms=1000, bisect_on_error=True)
    with serving(kbridge_factory, [config], name="svc-unavailable"):
        wait_committed(kafka_bootstrap, group_of(name), stream, {0: 10})
        assert sink.quiet(0.5)
    calls = sink.calls()
    assert [(len(c.records), c.status) for c in calls] == [(10, 503), (10, 503), (10, 200)]


def test_bisect_without_retries_or_destination(kbridge, kbridge_factory, kafka_bootstrap,
                                               new_stream, sinks):
    stream = new_stream(shards=1, prefix="map-bisect0")
    name = unique_name("bisect0")
    sink = sinks()
    sink.poison = lambda r: index_of(r) == 5
    put_all(kbridge, stream, records(16))
    config = mapping(name, stream, sink.handler_config(), batch_size=100,
                     max_batching_window_ms=1000, bisect_on_error=True, max_retry_attempts=0)
    with serving(kbridge_factory, [config], name="bisect0") as instance:
        wait_committed(kafka_bootstrap, group_of(name), stream, {0: 16})
        assert sink.quiet(0.5)
    calls = sink.calls()
    print("\n" + str([([index_of(r) for r in c.records], c.status) for c in calls]))
    assert [index_of(r) for r in sink.delivered()] == [i for i in range(16) if i != 5]
    alone = [c for c in calls if [index_of(r) for r in c.records] == [5]]
    assert len(alone) == 1
    assert order_violations(sink.delivered()) == []
    log = instance.log_path.read_text()
    assert f"mapping {name}: gave up on 1 records of {shard_id(0)}" in log, log[-3000:]


def test_failure_record_waits_for_a_missing_on_failure_stream(kbridge, kbridge_factory,
                                                              kafka_bootstrap, new_stream, sinks):
    stream = new_stream(shards=1, prefix="map-dlq-later")
    dlq = unique_name("map-dlq-later-dlq")
    name = unique_name("dlq-later")
    sink = sinks()
    sink.fail_first = 10**9
    put_all(kbridge, stream, records(5))
    config = mapping(name, stream, sink.handler_config(), batch_size=100,
                     max_batching_window_ms=1000, max_retry_attempts=0,
                     on_failure={"stream": dlq})
    with serving(kbridge_factory, [config], name="dlq-later") as instance:
        deadline = time.monotonic() + 20
        while "does not exist" not in instance.log_path.read_text():
            assert time.monotonic() < deadline, "the missing on_failure stream was not reported"
            time.sleep(0.1)
        time.sleep(1.5)  # a commit interval and more
        assert committed_offsets(kafka_bootstrap, group_of(name), stream, 1) == {0: 0}
        create_stream(kbridge, kafka_bootstrap, dlq, 1)
        wait_committed(kafka_bootstrap, group_of(name), stream, {0: 5}, timeout=30)
        failures = stream_values(instance, dlq)
        sink.fail_first = 0
        put_all(kbridge, stream, records(1, start=5))
        sink.wait_for_delivered(1)
    assert len(failures) == 1, failures
    info = failures[0][2]["KinesisBatchInfo"]
    assert info["batchSize"] == 5 and info["shardId"] == shard_id(0)
    assert len(sink.calls()) == 2  # tried once (max_retry_attempts 0), then the new record
    call(kbridge, "DeleteStream", {"StreamName": dlq})


def test_batching_window_and_batch_size(kbridge, kbridge_factory, kafka_bootstrap, new_stream,
                                        sinks):
    stream = new_stream(shards=1, prefix="map-window")
    name = unique_name("window")
    sink = sinks()
    config = mapping(name, stream, sink.handler_config(), batch_size=10,
                     max_batching_window_ms=1500)
    with serving(kbridge_factory, [config], name="window"):
        wait_started(kafka_bootstrap, group_of(name), stream, 1)
        first_put = time.monotonic()
        for i in range(3):
            put_all(kbridge, stream, records(1, start=i))
            time.sleep(0.2)
        sink.wait_for_delivered(3, timeout=10)
        put_all(kbridge, stream, records(25, start=3))
        sink.wait_for_delivered(28, timeout=10)
        wait_committed(kafka_bootstrap, group_of(name), stream, {0: 28})
    calls = sink.calls()
    print("\n" + str([(len(c.records), round(c.started - first_put, 2)) for c in calls]))
    assert [len(c.records) for c in calls] == [3, 10, 10, 5]
    # The trickle waited for the window (from the first record's arrival), not for batch_size.
    assert 1.3 <= calls[0].started - first_put <= 3.0
    # Full batches go at once; the rest waits for the window again.
    assert calls[2].started - calls[1].started < 1.0
    assert calls[3].started - calls[1].started >= 1.3
    assert [index_of(r) for r in sink.delivered()] == list(range(28))
