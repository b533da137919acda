"""PutRecords against a real Kafka broker: type and validation errors (bad base64, oversized Data,
501 records), more than 5 MiB in one request, bad ExplicitHashKey (fails the whole request),
per-record results in request order with routing by MD5 computed here, Kafka's own view.

Facts: kinesalite's test/putRecords.js and test/helpers.js (mhart/kinesalite): validation messages
(the entry list rendered as Coral's Java objects, at most ten failures), the ExplicitHashKey
message, the 'mixed values' routing case. "Records size exceeds 5 MB limit"
(InvalidArgumentException) is the real service's text for a request whose data and partition keys
exceed 5 MiB, as moto's tests/test_kinesis/test_kinesis_stream_limits.py (getmoto/moto) records
it; exactly 5 MiB passes.
"""
import re
import threading
import time

import pytest

from kbridge_harness import expected_hash_ranges, shard_id
from kinesis_checks import (BLOB, LIST, LONG_NAME, MAX_LEN_128, MIN_LEN_1, NAME_PATTERN, STRING,
                            STRUCTURE, assert_error, assert_validation, b64, call,
                            check_type_errors, decode_sequence, failure, kafka_partition_records,
                            not_found, not_null, put_ok, put_records, routed_shard, shard_iterator,
                            read_records, record_tuple)

ACTION = "PutRecords"
HASH_KEY_PATTERN = r"Member must satisfy regular expression pattern: 0|([1-9]\d{0,38})"
# {PartitionKey: '', Data: ''} as Coral renders it in a validation message
ENTRY = "com.amazonaws.kinesis.v20131202.PutRecordsRequestEntry@c965e310"
MIB = 1024 * 1024


@pytest.fixture(scope="module")
def stream(new_stream):
    return new_stream(shards=3, prefix="put-records")


@pytest.mark.parametrize("path,type_", [
    ("Records", LIST), ("Records.0", STRUCTURE), ("Records.0.Data", BLOB),
    ("Records.0.ExplicitHashKey", STRING), ("Records.0.PartitionKey", STRING),
    ("StreamName", STRING)])
def test_type_errors(kbridge, path, type_):
    """Includes Data that is not valid base64 (Coral's Blob messages)."""
    check_type_errors(kbridge, ACTION, path, type_)


def test_nothing_given(kbridge):
    # kinesalite also lists streamName: StreamName was required before StreamARN existed.
    assert_validation(call(kbridge, ACTION, {}), [not_null("records")])


def test_no_stream_name(kbridge):
    assert_validation(call(kbridge, ACTION, {"Records": [{"PartitionKey": "a", "Data": ""}]}),
                      [not_null("streamName")])


def test_empty_values(kbridge):
    assert_validation(call(kbridge, ACTION, {"StreamName": "", "Records": []}), [
        failure("[]", "records", MIN_LEN_1),
        failure("", "streamName", NAME_PATTERN),
        failure("", "streamName", MIN_LEN_1),
    ])


def test_empty_partition_key(kbridge):
    body = {"StreamName": "", "Records": [{"PartitionKey": "", "Data": "", "ExplicitHashKey": ""}]}
    assert_validation(call(kbridge, ACTION, body), [
        failure("", "records.1.member.partitionKey", MIN_LEN_1),
        failure("", "records.1.member.explicitHashKey", HASH_KEY_PATTERN),
        failure("", "streamName", NAME_PATTERN),
        failure("", "streamName", MIN_LEN_1),
    ])


def test_oversized_values(kbridge):
    key = "a" * 257
    body = {"StreamName": LONG_NAME,
            "Records": [{"PartitionKey": key, "Data": b64(bytes(MIB + 1)), "ExplicitHashKey": ""}]}
    assert_validation(call(kbridge, ACTION, body), [
        failure(key, "records.1.member.partitionKey",
                "Member must have length less than or equal to 256"),
        failure("", "records.1.member.explicitHashKey", HASH_KEY_PATTERN),
        failure(f"java.nio.HeapByteBuffer[pos=0 lim={MIB + 1} cap={MIB + 1}]",
                "records.1.member.data", "Member must have length less than or equal to 1048576"),
        failure(LONG_NAME, "streamName", MAX_LEN_128),
    ])


def test_oversized_record_among_good_ones(kbridge, stream):
    records = [{"PartitionKey": "a", "Data": ""},
               {"PartitionKey": "b", "Data": b64(bytes(MIB + 1))}]
    assert_validation(call(kbridge, ACTION, {"StreamName": stream, "Records": records}), [
        failure(f"java.nio.HeapByteBuffer[pos=0 lim={MIB + 1} cap={MIB + 1}]",
                "records.2.member.data", "Member must have length less than or equal to 1048576")])


def test_501_empty_records(kbridge):
    """kinesalite's case: the list failure first, then the entries' failures, ten in all."""
    records = [{"PartitionKey": "", "Data": ""}] * 501
    assert_validation(call(kbridge, ACTION, {"StreamName": "", "Records": records}), [
        failure("[" + ", ".join([ENTRY] * 501) + "]", "records",
                "Member must have length less than or equal to 500"),
        *[failure("", f"records.{i}.member.partitionKey", MIN_LEN_1) for i in range(1, 10)],
    ])


def test_501_records(kbridge, stream):
    records = [{"PartitionKey": f"k{i}", "Data": b64(b"x")} for i in range(501)]
    entries = r"com\.amazonaws\.kinesis\.v20131202\.PutRecordsRequestEntry@[0-9a-f]{1,8}"
    assert_validation(call(kbridge, ACTION, {"StreamName": stream, "Records": records}), re.compile(
        rf"1 validation error detected: Value '\[{entries}(, {entries}){{500}}\]' at 'records' "
        r"failed to satisfy constraint: Member must have length less than or equal to 500"))


def test_more_than_5_mib(kbridge, stream):
    """Five records of 1 MiB of data plus their keys: over 5 MiB in all."""
    records = [("key", bytes(MIB))] * 5
    assert_error(put_records(kbridge, stream, records), "InvalidArgumentException",
                 "Records size exceeds 5 MB limit")


def test_more_than_5_mib_by_keys(kbridge, stream):
    """Partition keys count: data of exactly 5 MiB plus keys is over the limit."""
    records = [("k", bytes(MIB))] * 4 + [("k", bytes(MIB - 4))]
    assert_error(put_records(kbridge, stream, records), "InvalidArgumentException",
                 "Records size exceeds 5 MB limit")


def test_exactly_5_mib(kbridge, stream):
    """Data and keys of exactly 5 MiB are accepted (each record 1 MiB including its key)."""
    records = [("key", bytes(MIB - 3))] * 5
    status, body = put_records(kbridge, stream, records)
    assert status == 200, body
    assert body["FailedRecordCount"] == 0, body


def test_unknown_stream(kbridge):
    assert_error(put_records(kbridge, "no-such-stream-put-records", [("a", b"")]),
                 "ResourceNotFoundException", not_found("no-such-stream-put-records"))


def test_bad_explicit_hash_key_fails_the_request(kbridge, kafka_bootstrap, new_stream):
    """One out-of-range ExplicitHashKey: InvalidArgumentException, and nothing is written."""
    name = new_stream(shards=1, prefix="put-records-ehk")
    hash_key = str(2**128)
    assert_error(put_records(kbridge, name, [("a", b"1", hash_key), ("a", b"2")]),
                 "InvalidArgumentException",
                 "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. "
                 f"Specified value was {hash_key}")
    assert_error(put_records(kbridge, name, [("a", b"1"), ("a", b"2", hash_key)]),
                 "InvalidArgumentException",
                 "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. "
                 f"Specified value was {hash_key}")
    assert kafka_partition_records(kafka_bootstrap, name, [0]) == {0: {}}


def test_mixed_values(kbridge, kafka_bootstrap, stream):
    """kinesalite's 'mixed values' case, plus more keys: results in request order, shards by MD5
    (computed here) or ExplicitHashKey, offsets consecutive per shard in request order."""
    ranges = expected_hash_ranges(3)
    third = 2**128 // 3
    records = [("a", b""), ("b", b"\x00"), ("e", b"\xff"), ("f", b"\x00\xff"),
               ("a", b"h1", 2**128 - 1), ("a", b"h2", third * 2 - 1), ("a", b"h3", third * 2)]
    records += [(f"key {i} ü€", bytes([i % 256]) * i, None) for i in range(60)]
    results = put_ok(kbridge, stream, records)
    assert len(results) == len(records)
    # kinesalite: a→0, b→1, e→2, f→1 by MD5; the three hash keys → 2, 1, 2.
    assert [r["ShardId"] for r in results[:7]] == [shard_id(s) for s in (0, 1, 2, 1, 2, 1, 2)]
    last_offset = {}
    for record, result in zip(records, results):
        want = routed_shard(ranges, record[0], record[2] if len(record) > 2 else None)
        assert result["ShardId"] == shard_id(want), (record, result)
        assert set(result) == {"ShardId", "SequenceNumber"}, result
        _, shard, offset = decode_sequence(result["SequenceNumber"])
        assert shard == want
        if shard in last_offset:
            assert offset == last_offset[shard] + 1, (record, result, last_offset)
        last_offset[shard] = offset

    kafka = kafka_partition_records(kafka_bootstrap, stream, [0, 1, 2])
    for record, result in zip(records, results):
        _, shard, offset = decode_sequence(result["SequenceNumber"])
        assert kafka[shard][offset] == (record[0].encode(), record[1]), (record, result)


def test_read_back_in_order(kbridge, new_stream):
    """Records of one request come back from GetRecords in request order, per shard."""
    name = new_stream(shards=2, prefix="put-records-order")
    records = [(f"p{i % 7}", i.to_bytes(2, "big")) for i in range(300)]
    results = put_ok(kbridge, name, records)
    for shard in (0, 1):
        want = [(res["SequenceNumber"], rec[0], rec[1]) for rec, res in zip(records, results)
                if res["ShardId"] == shard_id(shard)]
        got, _ = read_records(kbridge, shard_iterator(kbridge, name, shard), len(want))
        assert [record_tuple(r) for r in got] == want


def test_long_runs_to_one_shard_leave_at_once(kbridge, kafka_bootstrap, new_stream):
    """500 records to an idle shard are a run long enough for the producer to enqueue with the
    partition paused and to wake librdkafka's broker thread when it resumes it: 20 calls in a
    row answer at once (without the wake-up each would wait ~1 s for the thread's next idle
    wake-up). Calls from three clients at once answer at once too, the runs handed over from the
    poll thread included, and all land in Kafka, each call's records in its order."""
    name = new_stream(shards=1, prefix="put-records-long")
    started = time.monotonic()
    for call_no in range(20):
        put_ok(kbridge, name, [(f"k{i}", bytes([call_no]) * 100) for i in range(500)])
    assert time.monotonic() - started < 2.5

    answers, errors = {}, []

    def client(n):
        try:
            for call_no in range(3):
                records = [(f"c{n}-{i}", f"{n}:{call_no}:{i}".encode()) for i in range(500)]
                answers[(n, call_no)] = (records, put_ok(kbridge, name, records))
        except Exception as e:  # noqa: BLE001 - reported below, with the client
            errors.append((n, e))

    # Runs of 8 KiB: while another client's run is in flight, the gate holds them and the
    # delivery report of that run hands them over, on librdkafka's poll thread.
    clients = [threading.Thread(target=client, args=(n,)) for n in range(3)]
    started = time.monotonic()
    for t in clients:
        t.start()
    for t in clients:
        t.join()
    assert not errors, errors
    assert time.monotonic() - started < 2.5
    kafka = kafka_partition_records(kafka_bootstrap, name, [0])[0]
    assert len(kafka) == 20 * 500 + 9 * 500
    for records, results in answers.values():
        offsets = [decode_sequence(r["SequenceNumber"])[2] for r in results]
        assert offsets == sorted(offsets)
        for (key, data), offset in zip(records, offsets):
            assert kafka[offset] == (key.encode(), data)
