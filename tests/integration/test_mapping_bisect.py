"""Event source mappings, issue 4 acceptance 1: a poison record in a batch of 100 with
bisect_on_error. Every other record reaches the handler exactly once and in shard order, the
poison record's failure record (Lambda's on-failure shape) is in the DLQ topic with its sequence
number as first and last, and the checkpoint — the consumer group kbridge.<mapping>, as
kafka-consumer-groups --describe shows it — passes it.

The handler is a real HTTP server (tests/support/webhook_sink.py) behind kbridge's webhook handler;
the failure records are read straight from Kafka.
"""
import base64
import datetime
import json

import pytest

from kbridge_harness import expected_hash_ranges, shard_id, stream_arn, unique_name
from kinesis_checks import routed_shard
from mapping_checks import (committed_offsets, consumer_groups_describe, create_topic,
                            end_offsets, group_of, mapping, put_all, serving, wait_committed,
                            wait_topic_values)
from webhook_sink import order_violations

PER_SHARD = 100
MAX_RETRIES = 2
POISON_AT = (37, 81)  # per-shard positions of the poison record (shard 0, shard 1)


def is_poison(record):
    return json.loads(record.data).get("poison", False)


def iso_ms(epoch_seconds):
    ms = round(epoch_seconds * 1000)
    stamp = datetime.datetime.fromtimestamp(ms // 1000, datetime.timezone.utc)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S") + f".{ms % 1000:03d}Z"


def workload(shards):
    """(key, data) of PER_SHARD records per shard, keys chosen by Kinesis's MD5 routing; one
    poison record per shard at POISON_AT[shard]."""
    ranges = expected_hash_ranges(shards)
    counts = [0] * shards
    records, i = [], 0
    while min(counts) < PER_SHARD:
        key = f"key-{i}"
        i += 1
        shard = routed_shard(ranges, key)
        n = counts[shard]
        if n >= PER_SHARD:
            continue
        counts[shard] += 1
        body = {"shard": shard, "n": n}
        if n == POISON_AT[shard]:
            body["poison"] = True
        records.append((key, json.dumps(body).encode()))
    return records


@pytest.mark.parametrize("shards", [1, 2])
def test_poison_record_is_bisected_out_to_the_dlq_topic(shards, kbridge, kbridge_factory,
                                                        kafka_bootstrap, new_stream, sinks,
                                                        tmp_path):
    stream = new_stream(shards=shards, prefix="map-bisect")
    dlq = unique_name("map-bisect-dlq")
    create_topic(kafka_bootstrap, dlq)
    name = unique_name("bisect")
    sink = sinks()
    sink.poison = is_poison

    puts = put_all(kbridge, stream, workload(shards))
    poison = {p.shard: p for p in puts if b'"poison"' in p.data}
    assert sorted(poison) == [shard_id(s) for s in range(shards)]
    assert end_offsets(kafka_bootstrap, stream, shards) == {s: PER_SHARD for s in range(shards)}

    config = mapping(name, stream, sink.handler_config(), batch_size=100,
                     # the window lets a shard's first batch fill up to all 100 records
                     max_batching_window_ms=2000, bisect_on_error=True,
                     max_retry_attempts=MAX_RETRIES,
                     on_failure={"topic": dlq, "include_records": True})
    with serving(kbridge_factory, [config], name=f"bisect-{shards}") as instance:
        failures = wait_topic_values(kafka_bootstrap, dlq, shards, timeout=60)
        sink.wait_for_delivered(shards * (PER_SHARD - 1), timeout=30)
        committed = wait_committed(kafka_bootstrap, group_of(name), stream,
                                   {s: PER_SHARD for s in range(shards)})
        rows, output = consumer_groups_describe(kafka_bootstrap, group_of(name), tmp_path)
        calls = sink.calls()

    # --- the handler's view ----------------------------------------------------------------------
    print(f"\n{shards} shard(s): {len(calls)} calls; batch sizes "
          f"{[(c.records[0].shard[-2:], len(c.records), c.status) for c in calls]}")
    assert sink.errors() == []
    for s in range(shards):
        first = next(c for c in calls if c.records[0].shard == shard_id(s))
        assert len(first.records) == PER_SHARD, \
            f"{shard_id(s)}'s first batch has {len(first.records)} records, expected all 100"
    delivered = sink.delivered()
    counts = sink.counts_by_data()
    expected = [p.data for p in puts if p.shard not in poison or p.data != poison[p.shard].data]
    assert not [r for r in delivered if is_poison(r)], "a poison record was delivered"
    missing = [d for d in expected if counts[d] == 0]
    twice = {d: n for d, n in counts.items() if n > 1}
    assert not missing, f"never delivered: {missing[:10]}"
    assert not twice, f"delivered more than once: {list(twice.items())[:10]}"
    assert len(delivered) == len(expected)
    assert order_violations(delivered) == [], "per-shard order broken"
    # In each shard, the successful batches cover the shard in offset order.
    for s in range(shards):
        offsets = [r.offset for r in delivered if r.shard == shard_id(s)]
        assert offsets == [o for o in range(PER_SHARD) if o != poison[shard_id(s)].offset]
    # Bisecting does not use up retries: the poison record alone is tried 1 + max_retry_attempts
    # times, and never again after its failure record is out.
    for shard, p in poison.items():
        alone = [c for c in calls if [r.sequence for r in c.records] == [p.sequence]]
        assert len(alone) == MAX_RETRIES + 1, (shard, [len(c.records) for c in calls])
        assert all(c.status == 500 for c in alone)
        assert all(c.index <= alone[-1].index or p.sequence not in {r.sequence for r in c.records}
                   for c in calls)

    # --- the failure records in the DLQ topic --------------------------------------------------
    assert len(failures) == shards, failures
    by_shard = {}
    for key, doc in failures:
        by_shard[key.decode()] = doc
    assert sorted(by_shard) == sorted(poison), f"failure records keyed {sorted(by_shard)}"
    for shard, doc in by_shard.items():
        p = poison[shard]
        arrival = next(r.arrival for c in calls for r in c.records if r.sequence == p.sequence)
        info = doc["KinesisBatchInfo"]
        assert info["shardId"] == shard
        assert info["startSequenceNumber"] == p.sequence
        assert info["endSequenceNumber"] == p.sequence
        assert info["batchSize"] == 1
        assert info["streamArn"] == stream_arn(stream)
        assert info["approximateArrivalOfFirstRecord"] == iso_ms(arrival)
        assert info["approximateArrivalOfLastRecord"] == iso_ms(arrival)
        context = doc["requestContext"]
        assert context["condition"] == "RetryAttemptsExhausted"
        assert context["eventSourceMapping"] == name
        assert context["approximateInvokeCount"] >= MAX_RETRIES + 1
        assert isinstance(context["requestId"], str) and len(context["requestId"]) == 36
        assert doc["version"] == "1.0"
        assert doc["responseContext"]["errorMessage"], doc
        (record,) = doc["Records"]
        assert record["kinesis"]["sequenceNumber"] == p.sequence
        assert record["kinesis"]["partitionKey"] == p.key
        assert base64.b64decode(record["kinesis"]["data"]) == p.data
        assert record["eventSourceARN"] == stream_arn(stream)
        assert record["eventID"] == f"{shard}:{p.sequence}"

    # --- the checkpoint, as Kafka and its own tool see it ---------------------------------------
    assert committed == {s: PER_SHARD for s in range(shards)}
    print(output)
    assert sorted(int(r["PARTITION"]) for r in rows if r["TOPIC"] == stream) == list(range(shards)), \
        output
    for row in rows:
        assert row["CURRENT-OFFSET"] == row["LOG-END-OFFSET"] == str(PER_SHARD), output
        assert row["LAG"] == "0", output
    # The stopped instance committed nothing further and left the group.
    assert committed_offsets(kafka_bootstrap, group_of(name), stream, shards) == committed
