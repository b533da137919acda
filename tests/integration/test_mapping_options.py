"""Event source mappings, issue 4 acceptance 4: each mapping option on a real broker and a real HTTP
handler (tests/support/webhook_sink.py behind kbridge's webhook handler).

- report_batch_item_failures: the checkpoint lands on the lowest failed item, which and what follows
  is redelivered; an invalid identifier fails the whole batch; without the option the same reply is
  a success (Lambda's documented semantics);
- max_record_age_s: records a failing handler never takes are given up on with RecordAgeExceeded;
- max_retry_attempts: 1 + N invocations, then the failure record, here into an on_failure *stream*
  (read back with boto3 GetRecords);
- starting_position TRIM_HORIZON / LATEST / AT_TIMESTAMP on one stream, and a checkpoint that wins
  over the starting position on restart;
- enabled=false keeps the checkpoint, enabled=true resumes from it;
- filters (exact partitionKey and nested data, prefix, numeric range, anything-but, exists, a list
  of patterns): only matching records are delivered and the checkpoint still reaches the end.
"""
import datetime
import json
import time

from kbridge_harness import shard_id, stream_arn, unique_name
from mapping_checks import (committed_offsets, create_topic, group_of, mapping, mappings_view,
                            put_all, serving, stream_values, wait_committed, wait_started,
                            wait_topic_values)
from webhook_sink import order_violations


def records(n, start=0, key="k", **extra):
    return [(key, json.dumps({"i": i, **extra}).encode()) for i in range(start, start + n)]


def index_of(record):
    return json.loads(record.data)["i"]


def iso_ms(epoch_seconds):
    ms = round(epoch_seconds * 1000)
    stamp = datetime.datetime.fromtimestamp(ms // 1000, datetime.timezone.utc)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S") + f".{ms % 1000:03d}Z"


# --- report_batch_item_failures --------------------------------------------------------------------

def fail_once(indices):
    """An item_failures behaviour: report the records with these "i" once each."""
    left = set(indices)

    def decide(batch):
        failed = [r.sequence for r in batch if index_of(r) in left]
        left.difference_update(index_of(r) for r in batch)
        return failed
    return decide


def test_report_batch_item_failures(kbridge, kbridge_factory, kafka_bootstrap, new_stream, sinks):
    stream = new_stream(shards=1, prefix="map-rbif")
    name = unique_name("rbif")
    sink = sinks()
    sink.item_failures = fail_once({7, 12})  # 12 is past 7: the checkpoint is the lowest, 7
    puts = put_all(kbridge, stream, records(20))
    config = mapping(name, stream, sink.handler_config(), batch_size=100,
                     max_batching_window_ms=1000, report_batch_item_failures=True)
    with serving(kbridge_factory, [config], name="rbif"):
        sink.wait_for_delivered(20, timeout=30)
        wait_committed(kafka_bootstrap, group_of(name), stream, {0: 20})
        assert sink.quiet(0.5)
    calls = sink.calls()
    print(f"\ncalls: {[(c.status, [index_of(r) for r in c.records], c.failed_items) for c in calls]}")
    assert len(calls) == 2, calls
    assert [index_of(r) for r in calls[0].records] == list(range(20))
    assert sorted(calls[0].failed_items) == sorted([puts[7].sequence, puts[12].sequence])
    # Records before the lowest failed item count as delivered; it and everything after it come
    # again (also 8..11 and 13.., which the handler had taken).
    assert [index_of(r) for r in calls[1].records] == list(range(7, 20))
    assert calls[1].ok and not calls[1].failed_items
    assert sorted(sink.counts_by_data().values()) == [1] * 20
    assert order_violations(sink.delivered()) == []


def test_invalid_item_identifier_fails_the_whole_batch(kbridge, kbridge_factory, kafka_bootstrap,
                                                        new_stream, sinks):
    stream = new_stream(shards=1, prefix="map-rbif-bad")
    name = unique_name("rbif-bad")
    sink = sinks()
    answers = iter([["not-a-sequence-number"], [""]])
    sink.item_failures = lambda batch: next(answers, [])
    put_all(kbridge, stream, records(10))
    config = mapping(name, stream, sink.handler_config(), batch_size=100,
                     max_batching_window_ms=1000, report_batch_item_failures=True)
    with serving(kbridge_factory, [config], name="rbif-bad"):
        sink.wait_until(lambda s: s.call_count() >= 3 and s.calls()[2].ok, timeout=30,
                        what="3 calls")
        wait_committed(kafka_bootstrap, group_of(name), stream, {0: 10})
        assert sink.quiet(0.5)
    calls = sink.calls()
    print(f"\ncalls: {[(c.status, len(c.records), c.failed_items) for c in calls]}")
    # An identifier that names no record of the batch, or an empty one: the whole batch again.
    assert [[index_of(r) for r in c.records] for c in calls] == [list(range(10))] * 3
    assert len(calls) == 3


def test_item_failures_without_the_option_are_a_success(kbridge, kbridge_factory, kafka_bootstrap,
                                                        new_stream, sinks):
    stream = new_stream(shards=1, prefix="map-no-rbif")
    name = unique_name("no-rbif")
    sink = sinks()
    sink.item_failures = fail_once({7})
    put_all(kbridge, stream, records(20))
    config = mapping(name, stream, sink.handler_config(), batch_size=100,
                     max_batching_window_ms=1000, report_batch_item_failures=False)
    with serving(kbridge_factory, [config], name="no-rbif"):
        wait_committed(kafka_bootstrap, group_of(name), stream, {0: 20})
        assert sink.quiet(1.0)
    calls = sink.calls()
    assert len(calls) == 1, [(c.status, len(c.records), c.failed_items) for c in calls]
    assert len(calls[0].records) == 20 and calls[0].failed_items
    assert sorted(sink.counts_by_data(honour_item_failures=False).values()) == [1] * 20


# --- max_record_age_s ------------------------------------------------------------------------------

def test_max_record_age(kbridge, kbridge_factory, kafka_bootstrap, new_stream, sinks):
    stream = new_stream(shards=1, prefix="map-age")
    dlq = unique_name("map-age-dlq")
    create_topic(kafka_bootstrap, dlq)
    name = unique_name("age")
    sink = sinks()
    sink.fail_first = 10**9  # every call fails (HTTP 500)
    config = mapping(name, stream, sink.handler_config(), batch_size=100,
                     max_retry_attempts=-1, max_record_age_s=3,
                     retry_backoff={"initial_ms": 100, "max_ms": 400},
                     on_failure={"topic": dlq})
    with serving(kbridge_factory, [config], name="age"):
        # Put once the mapping reads: the records' age counts from their arrival.
        wait_started(kafka_bootstrap, group_of(name), stream, 1)
        puts = put_all(kbridge, stream, records(5))
        sink.wait_until(lambda s: s.call_count() >= 1, timeout=30, what="a first call")
        ((key, doc),) = wait_topic_values(kafka_bootstrap, dlq, 1, timeout=30)
        wait_committed(kafka_bootstrap, group_of(name), stream, {0: 5})
        given_up = time.monotonic()
        failed_calls = sink.call_count()
        # The mapping carries on with new records once the handler works again.
        sink.fail_first = 0
        put_all(kbridge, stream, records(1, start=5))
        sink.wait_for_delivered(1, timeout=20)
        wait_committed(kafka_bootstrap, group_of(name), stream, {0: 6})
    calls = sink.calls()
    first = calls[0].started
    print(f"\n{failed_calls} failed calls over {given_up - first:.1f}s, then the failure record")
    assert key == shard_id(0).encode()
    assert doc["requestContext"]["condition"] == "RecordAgeExceeded"
    assert doc["requestContext"]["eventSourceMapping"] == name
    assert doc["requestContext"]["approximateInvokeCount"] >= 1
    info = doc["KinesisBatchInfo"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"], info["batchSize"]) == \
        (puts[0].sequence, puts[4].sequence, 5)
    assert info["shardId"] == shard_id(0) and info["streamArn"] == stream_arn(stream)
    assert "Records" not in doc  # include_records defaults to false
    # Retried (with back-off) until the records were 3 s old, not given up on before.
    assert failed_calls >= 3
    arrival = calls[0].records[0].arrival
    assert all(c.started <= first + 6 for c in calls[:failed_calls]), "retried past the age"
    assert info["approximateArrivalOfFirstRecord"] == iso_ms(arrival)
    assert [index_of(r) for r in sink.delivered()] == [5]


# --- max_retry_attempts, on_failure into a stream --------------------------------------------------

def test_max_retry_attempts_then_failure_record_in_a_stream(kbridge, kbridge_factory,
                                                            kafka_bootstrap, new_stream, sinks):
    stream = new_stream(shards=1, prefix="map-retries")
    dlq_stream = new_stream(shards=2, prefix="map-retries-dlq")
    name = unique_name("retries")
    sink = sinks()
    sink.fail_first = 10**9
    puts = put_all(kbridge, stream, records(10))
    config = mapping(name, stream, sink.handler_config(), batch_size=100,
                     max_batching_window_ms=1000, max_retry_attempts=2,
                     on_failure={"stream": dlq_stream})
    with serving(kbridge_factory, [config], name="retries") as instance:
        wait_committed(kafka_bootstrap, group_of(name), stream, {0: 10}, timeout=30)
        assert sink.quiet(1.0)
        failures = stream_values(instance, dlq_stream)
        sink.fail_first = 0
        put_all(kbridge, stream, records(1, start=10))
        sink.wait_for_delivered(1, timeout=20)
        wait_committed(kafka_bootstrap, group_of(name), stream, {0: 11})
    calls = sink.calls()
    assert [len(c.records) for c in calls] == [10, 10, 10, 1], "1 + max_retry_attempts, then on"
    assert [c.status for c in calls] == [500, 500, 500, 200]
    assert len(failures) == 1, failures
    (shard, key, doc) = failures[0]
    assert key == shard_id(0)  # the failure record's partition key is the source shard's id
    assert doc["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert doc["requestContext"]["approximateInvokeCount"] == 3
    info = doc["KinesisBatchInfo"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"], info["batchSize"]) == \
        (puts[0].sequence, puts[9].sequence, 10)
    assert info["streamArn"] == stream_arn(stream)
    assert doc["responseContext"]["errorMessage"]


# --- starting positions ----------------------------------------------------------------------------

def test_starting_positions(kbridge, kbridge_factory, kafka_bootstrap, new_stream, sinks):
    stream = new_stream(shards=2, prefix="map-start")
    names = {p: unique_name(p.lower().replace("_", "-")) for p in
             ("TRIM_HORIZON", "AT_TIMESTAMP", "LATEST")}
    sink = {p: sinks() for p in names}

    def phase(label, n):
        return put_all(kbridge, stream, [(f"key-{i % 7}", json.dumps({"phase": label, "i": i})
                                          .encode()) for i in range(n)])

    put_a = phase("A", 30)
    time.sleep(0.3)
    cut = time.time()
    time.sleep(0.3)
    put_b = phase("B", 30)
    stamp = datetime.datetime.fromtimestamp(cut, datetime.timezone.utc)
    iso_cut = stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"
    configs = [mapping(names["TRIM_HORIZON"], stream, sink["TRIM_HORIZON"].handler_config(),
                       starting_position="TRIM_HORIZON"),
               mapping(names["AT_TIMESTAMP"], stream, sink["AT_TIMESTAMP"].handler_config(),
                       starting_position="AT_TIMESTAMP", starting_position_timestamp=iso_cut),
               mapping(names["LATEST"], stream, sink["LATEST"].handler_config(),
                       starting_position="LATEST")]

    def phases(p):
        return [(json.loads(r.data)["phase"], json.loads(r.data)["i"]) for r in
                sorted(sink[p].delivered(), key=lambda r: (r.shard, r.offset))]

    def expect(*puts):
        return sorted(((json.loads(x.data)["phase"], json.loads(x.data)["i"]) for ps in puts
                       for x in ps), key=lambda t: t)

    with serving(kbridge_factory, configs, name="start-positions"):
        for n in names.values():
            wait_started(kafka_bootstrap, group_of(n), stream, 2)
        # LATEST and AT_TIMESTAMP resolve to offsets that are committed at once.
        ends = {s: sum(1 for x in put_a + put_b if x.partition == s) for s in range(2)}
        assert committed_offsets(kafka_bootstrap, group_of(names["LATEST"]), stream, 2) == ends
        put_c = phase("C", 30)
        sink["TRIM_HORIZON"].wait_for_delivered(90)
        sink["AT_TIMESTAMP"].wait_for_delivered(60)
        sink["LATEST"].wait_for_delivered(30)
        totals = {s: ends[s] + sum(1 for x in put_c if x.partition == s) for s in range(2)}
        for n in names.values():
            wait_committed(kafka_bootstrap, group_of(n), stream, totals)
        assert all(s.quiet(0.5) for s in sink.values())
    for p in names:
        assert order_violations(sink[p].delivered()) == [], p
    assert sorted(phases("TRIM_HORIZON")) == expect(put_a, put_b, put_c)
    assert sorted(phases("AT_TIMESTAMP")) == expect(put_b, put_c)
    assert sorted(phases("LATEST")) == expect(put_c)

    # Restarted, every mapping resumes from its checkpoint, whatever its starting position.
    put_d = phase("D", 10)
    with serving(kbridge_factory, configs, name="start-positions-again"):
        for p in names:
            sink[p].wait_for_delivered({"TRIM_HORIZON": 100, "AT_TIMESTAMP": 70,
                                        "LATEST": 40}[p])
        assert all(s.quiet(0.5) for s in sink.values())
    assert sorted(phases("TRIM_HORIZON")) == expect(put_a, put_b, put_c, put_d)
    assert sorted(phases("AT_TIMESTAMP")) == expect(put_b, put_c, put_d)
    assert sorted(phases("LATEST")) == expect(put_c, put_d)


# --- enabled ---------------------------------------------------------------------------------------

def test_enabled_false_keeps_the_checkpoint(kbridge, kbridge_factory, kafka_bootstrap, new_stream,
                                            sinks):
    stream = new_stream(shards=2, prefix="map-enabled")
    name = unique_name("enabled")
    sink = sinks()
    config = mapping(name, stream, sink.handler_config())

    def put(start, n):
        return put_all(kbridge, stream, [(f"key-{i % 5}", json.dumps({"i": i}).encode())
                                         for i in range(start, start + n)])

    first = put(0, 40)
    with serving(kbridge_factory, [config], name="enabled-1"):
        sink.wait_for_delivered(40)
        checkpoint = wait_committed(kafka_bootstrap, group_of(name), stream,
                                    {s: sum(1 for p in first if p.partition == s)
                                     for s in range(2)})
    second = put(40, 40)
    calls_before = sink.call_count()
    with serving(kbridge_factory, [{**config, "enabled": False}], name="enabled-off") as instance:
        view = mappings_view(instance)[name]
        assert view["enabled"] is False and view["running"] is False, view
        # Nothing may arrive: watch for a while (well past the group join and first poll).
        assert sink.quiet(4.0)
        assert committed_offsets(kafka_bootstrap, group_of(name), stream, 2) == checkpoint
    assert sink.call_count() == calls_before and sink.delivered_count() == 40
    with serving(kbridge_factory, [config], name="enabled-2"):
        sink.wait_for_delivered(80)
        wait_committed(kafka_bootstrap, group_of(name), stream,
                       {s: sum(1 for p in first + second if p.partition == s) for s in range(2)})
        assert sink.quiet(0.5)
    counts = sink.counts_by_data()
    assert sorted(counts.values()) == [1] * 80, "a record was redelivered after the pause"
    assert order_violations(sink.delivered()) == []


# --- filters ---------------------------------------------------------------------------------------

FILTERS = {
    # name: (filter pattern(s), which (key, data dict or None) records match)
    "key-exact": ({"partitionKey": ["vip"]},
                  lambda k, d: k == "vip"),
    "nested-exact": ({"data": {"customer": {"tier": ["gold"]}}},
                     lambda k, d: d is not None and isinstance(d.get("customer"), dict)
                     and d["customer"].get("tier") == "gold"),
    "prefix": ({"data": {"type": [{"prefix": "order-"}]}},
               lambda k, d: d is not None and isinstance(d.get("type"), str)
               and d["type"].startswith("order-")),
    "numeric": ({"data": {"amount": [{"numeric": [">=", 100, "<", 200]}]}},
                lambda k, d: d is not None and isinstance(d.get("amount"), (int, float))
                and not isinstance(d.get("amount"), bool) and 100 <= d["amount"] < 200),
    "anything-but": ({"data": {"status": [{"anything-but": ["ok", "pending"]}]}},
                     lambda k, d: d is not None and isinstance(d.get("status"), str)
                     and d["status"] not in ("ok", "pending")),
    "exists": ({"data": {"region": [{"exists": True}]}},
               lambda k, d: d is not None and "region" in d),
    # A list of patterns: a record passes when any one matches; fields of one pattern all must.
    "any-of": ([{"partitionKey": ["vip"]},
                {"partitionKey": [{"prefix": "eu-"}], "data": {"amount": [{"numeric": [">", 500]}]}}],
               lambda k, d: k == "vip" or (k.startswith("eu-") and d is not None
                                           and isinstance(d.get("amount"), (int, float))
                                           and d["amount"] > 500)),
}

FILTER_RECORDS = [
    ("vip", {"type": "order-1", "amount": 150, "status": "ok"}),
    ("vip", None),  # not JSON: only patterns on the partition key can match it
    ("k1", {"type": "order-2", "amount": 100}),
    ("k1", {"type": "orders", "amount": 200}),
    ("k2", {"type": "xorder-3", "amount": 199.5, "status": "failed"}),
    ("k2", {"amount": "150", "status": "pending"}),
    ("k3", {"amount": 99, "status": "ok", "region": "eu"}),
    ("k3", {"status": "failed"}),
    ("k4", {"customer": {"tier": "gold"}}),
    ("k4", {"customer": {"tier": "silver"}, "region": "us"}),
    ("k5", {"customer": "gold"}),
    ("eu-1", {"amount": 501}),
    ("eu-2", {"amount": 500, "region": "eu"}),
    ("us-1", {"amount": 900}),
    ("k6", None),
    ("k7", [1, 2, 3]),
    ("k8", {"nothing": "matches"}),  # the last record matches no filter: the checkpoint passes it
]


def test_filters(kbridge, kbridge_factory, kafka_bootstrap, new_stream, sinks):
    stream = new_stream(shards=1, prefix="map-filter")
    names = {f: unique_name(f"filter-{f}") for f in FILTERS}
    sink = {f: sinks() for f in FILTERS}
    data = [(k, json.dumps(d).encode() if d is not None else b"\x00not json\xff")
            for k, d in FILTER_RECORDS]
    put_all(kbridge, stream, data)
    configs = [mapping(names[f], stream, sink[f].handler_config(), filter=FILTERS[f][0])
               for f in FILTERS]
    # The predicates see a JSON object or None (not JSON, or JSON but no object: nothing under
    # `data` can match then).
    expected = {f: [i for i, (k, d) in enumerate(FILTER_RECORDS)
                    if FILTERS[f][1](k, d if isinstance(d, dict) else None)]
                for f in FILTERS}
    assert all(expected.values()) and all(len(v) < len(FILTER_RECORDS) for v in expected.values())
    with serving(kbridge_factory, configs, name="filters"):
        for f in FILTERS:
            wait_committed(kafka_bootstrap, group_of(names[f]), stream, {0: len(FILTER_RECORDS)})
        for f in FILTERS:
            sink[f].wait_for_delivered(len(expected[f]), timeout=10)
        assert all(s.quiet(0.5) for s in sink.values())
    wrong = {}
    for f in FILTERS:
        got = [r.offset for r in sink[f].delivered()]
        if got != expected[f]:
            wrong[f] = {"delivered": got, "expected": expected[f]}
    assert not wrong, json.dumps(wrong, indent=1)
