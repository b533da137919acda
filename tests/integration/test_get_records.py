"""GetRecords against a real Kafka broker: type and validation errors, malformed and tampered
iterators, iterators of deleted
streams, trimmed records (Kafka DeleteRecords), and the happy paths: a byte-exact round trip with
ApproximateArrivalTimestamp and MillisBehindLatest, NextShardIterator continuing without gaps or
repeats, every iterator type, Limit, an empty shard answering at once.

Facts: kinesalite's test/getRecords.js and actions/getRecords.js (mhart/kinesalite): validation
messages, "Invalid ShardIterator.", ResourceNotFoundException "Shard ... in stream ... under account ... does not exist" for a deleted
stream's iterator, MillisBehindLatest within 0..5000 right after a put.

Expiry (ExpiredIteratorException after 300 s) is tested with an injected clock in
tests/unit/kinesis/dispatcher_test.cc.
"""
import base64
import time

import pytest

from kbridge_harness import ACCOUNT_ID, unique_name
from kinesis_checks import (INTEGER, STRING, assert_error, assert_validation, call,
                            check_type_errors, decode_sequence, delete_kafka_records, epoch_ms,
                            failure, get_records, not_null, put_ok, read_records, record_tuple,
                            shard_iterator, wait_for)

ACTION = "GetRecords"
EMPTY_ANSWER_S = 1.0


def no_shard(stream, shard=0):
    return (f"Shard shardId-{shard:012d} in stream {stream} under account {ACCOUNT_ID} "
            "does not exist")


@pytest.fixture(scope="module")
def stream(new_stream):
    return new_stream(shards=1, prefix="get-records")


@pytest.mark.parametrize("path,type_", [("ShardIterator", STRING), ("Limit", INTEGER)])
def test_type_errors(kbridge, path, type_):
    check_type_errors(kbridge, ACTION, path, type_)


def test_nothing_given(kbridge):
    assert_validation(call(kbridge, ACTION, {}), [not_null("shardIterator")])


def test_empty_values(kbridge):
    assert_validation(call(kbridge, ACTION, {"ShardIterator": "", "Limit": 0}), [
        failure(0, "limit", "Member must have value greater than or equal to 1"),
        failure("", "shardIterator", "Member must have length greater than or equal to 1"),
    ])


def test_long_values(kbridge):
    long = "a" * 513
    assert_validation(call(kbridge, ACTION, {"ShardIterator": long, "Limit": 100000}), [
        failure(100000, "limit", "Member must have value less than or equal to 10000"),
        failure(long, "shardIterator", "Member must have length less than or equal to 512"),
    ])


@pytest.mark.parametrize("iterator", [
    unique_name("not-an-iterator"), "AAAA", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    "!!!!", "a" * 512])
def test_malformed_iterator(kbridge, iterator):
    assert_error(call(kbridge, ACTION, {"ShardIterator": iterator}), "InvalidArgumentException",
                 "Invalid ShardIterator.")


def _tampered(iterator):
    """Every variant of a real iterator with one byte flipped, or cut short, or extended."""
    raw = base64.b64decode(iterator)
    variants = []
    for i in range(len(raw)):
        flipped = bytearray(raw)
        flipped[i] ^= 0x01
        variants.append((f"byte {i} flipped", base64.b64encode(bytes(flipped)).decode()))
    variants.append(("last byte cut", base64.b64encode(raw[:-1]).decode()))
    variants.append(("byte appended", base64.b64encode(raw + b"\x00").decode()))
    variants.append(("base64 padding removed", iterator.rstrip("=")))
    return variants


def test_tampered_iterator(kbridge, stream):
    """Flipping any byte (stream name, shard, offset, issue time, MAC) invalidates the iterator."""
    put_ok(kbridge, stream, [("tamper", b"x")])
    iterator = shard_iterator(kbridge, stream, 0, "TRIM_HORIZON")
    status, body, _ = get_records(kbridge, iterator)
    assert status == 200, body
    wrong = []
    for label, token in _tampered(iterator):
        if token == iterator:
            continue
        status, body = call(kbridge, ACTION, {"ShardIterator": token})
        if (status, body.get("__type"), body.get("message")) != (
                400, "InvalidArgumentException", "Invalid ShardIterator."):
            wrong.append(f"{label}: {status} {body}")
    assert not wrong, "\n".join(wrong)


def test_mac_of_another_iterator(kbridge, stream):
    """A valid payload with the MAC of another valid iterator is rejected."""
    first = base64.b64decode(shard_iterator(kbridge, stream, 0, "TRIM_HORIZON"))
    second = base64.b64decode(shard_iterator(kbridge, stream, 0, "LATEST"))
    assert first[:-32] != second[:-32]
    mixed = base64.b64encode(first[:-32] + second[-32:]).decode()
    assert_error(call(kbridge, ACTION, {"ShardIterator": mixed}), "InvalidArgumentException",
                 "Invalid ShardIterator.")


# Expiry after 300 s is tested hermetically with an injected clock in
# tests/unit/kinesis/dispatcher_test.cc (IteratorsExpireAfterFiveMinutes): kbridge has no
# test-only clock switch in its production binary.


def test_deleted_stream(kbridge, new_stream):
    """kinesalite: after DeleteStream, the stream's iterators are ResourceNotFoundException; after
    re-creating the stream with fewer shards, the iterator of a shard that no longer exists too."""
    name = new_stream(shards=2, prefix="get-records-deleted")
    put_ok(kbridge, name, [("a", b"old", 0), ("a", b"old", 2**128 - 1)])
    iterators = [shard_iterator(kbridge, name, i, "TRIM_HORIZON") for i in (0, 1)]
    assert call(kbridge, "DeleteStream", {"StreamName": name})[0] == 200
    wait_for(lambda: call(kbridge, "DescribeStreamSummary", {"StreamName": name})[0] == 400,
             timeout=30, what=f"{name} deleted")
    for i, iterator in enumerate(iterators):
        assert_error(call(kbridge, ACTION, {"ShardIterator": iterator}),
                     "ResourceNotFoundException", no_shard(name, i))

    wait_for(lambda: call(kbridge, "CreateStream", {"StreamName": name, "ShardCount": 1})[0] == 200,
             timeout=30, what=f"{name} re-created")
    wait_for(lambda: call(kbridge, "DescribeStreamSummary", {"StreamName": name})[1]
             .get("StreamDescriptionSummary", {}).get("StreamStatus") == "ACTIVE",
             timeout=30, what=f"{name} ACTIVE again")
    put_ok(kbridge, name, [("a", b"new")])
    assert_error(call(kbridge, ACTION, {"ShardIterator": iterators[1]}),
                 "ResourceNotFoundException", no_shard(name, 1))
    # The old shard 0 iterator must not read the new stream's records (Kinesis: an error).
    status, body = call(kbridge, ACTION, {"ShardIterator": iterators[0]})
    assert status != 200 or not body["Records"], body


@pytest.fixture(scope="module")
def filled(kbridge, new_stream):
    """A 1-shard stream with 25 records put in three steps around two cut times:
    {"name", "records": [(seq, key, data)], "cuts": [ms, ms], "window": (start ms, end ms)}."""
    name = new_stream(shards=1, prefix="get-records-filled")
    data = [bytes([0, 255, i, 0]) + bytes(range(i)) for i in range(25)]
    keys = [f"key-{i}-ü€日本" if i % 3 else "k" for i in range(25)]
    start = time.time() * 1000
    results = put_ok(kbridge, name, list(zip(keys[:10], data[:10])))
    time.sleep(0.05)
    cut1 = int(time.time() * 1000)
    time.sleep(0.05)
    for i in range(10, 20):
        status, body = call(kbridge, "PutRecord", {"StreamName": name, "PartitionKey": keys[i],
                                                    "Data": base64.b64encode(data[i]).decode()})
        assert status == 200, body
        results.append(body)
    time.sleep(0.05)
    cut2 = int(time.time() * 1000)
    time.sleep(0.05)
    results += put_ok(kbridge, name, list(zip(keys[20:], data[20:])))
    end = time.time() * 1000
    records = [(r["SequenceNumber"], k, d) for r, k, d in zip(results, keys, data)]
    return {"name": name, "records": records, "cuts": [cut1, cut2],
            "window": (start - 1000, end + 1000)}


def test_trim_horizon_round_trip(kbridge, filled):
    """Byte-exact data (0x00, 0xff), partition keys, sequence numbers, arrival times within the put
    window and not decreasing, MillisBehindLatest an int >= 0 and 0 at the end."""
    got, calls = read_records(kbridge, shard_iterator(kbridge, filled["name"], 0, "TRIM_HORIZON"),
                              len(filled["records"]))
    assert [record_tuple(r) for r in got] == filled["records"]
    arrivals = [epoch_ms(r["ApproximateArrivalTimestamp"]) for r in got]
    lo, hi = filled["window"]
    assert all(lo <= t <= hi for t in arrivals), (arrivals, filled["window"])
    assert arrivals == sorted(arrivals), arrivals
    for r in got:
        assert set(r) == {"SequenceNumber", "ApproximateArrivalTimestamp", "Data",
                          "PartitionKey"}, r
    for c in calls:
        assert isinstance(c["millis"], int) and c["millis"] >= 0, calls
    assert calls[-1]["millis"] == 0 and calls[-1]["n"] == 0


@pytest.mark.parametrize("limit", [1, 3, 7, 25, 10000])
def test_paging_without_gaps_or_repeats(kbridge, filled, limit):
    """Limit is honoured exactly while records remain; the pages join to the whole shard."""
    got, calls = read_records(kbridge, shard_iterator(kbridge, filled["name"], 0, "TRIM_HORIZON"),
                              len(filled["records"]), limit=limit)
    assert [record_tuple(r) for r in got] == filled["records"]
    full_pages = len(filled["records"]) // limit
    assert [c["n"] for c in calls[:full_pages]] == [limit] * full_pages, calls


@pytest.mark.parametrize("index", [0, 9, 10, 17, 24])
def test_at_and_after_sequence_number(kbridge, filled, index):
    seq = filled["records"][index][0]
    for type_, start in (("AT_SEQUENCE_NUMBER", index), ("AFTER_SEQUENCE_NUMBER", index + 1)):
        iterator = shard_iterator(kbridge, filled["name"], 0, type_, StartingSequenceNumber=seq)
        want = filled["records"][start:]
        got, _ = read_records(kbridge, iterator, len(want))
        assert [record_tuple(r) for r in got] == want, (type_, index)


def test_at_timestamp(kbridge, filled):
    """AT_TIMESTAMP (epoch seconds with a fraction) starts at the first record that arrived at or
    after it: before everything, at each cut, and now (nothing)."""
    cases = [(filled["window"][0] - 60_000, 0), (filled["cuts"][0], 10), (filled["cuts"][1], 20),
             (int(time.time() * 1000), 25)]
    for at_ms, start in cases:
        iterator = shard_iterator(kbridge, filled["name"], 0, "AT_TIMESTAMP",
                                  Timestamp=at_ms / 1000)
        want = filled["records"][start:]
        got, _ = read_records(kbridge, iterator, len(want))
        assert [record_tuple(r) for r in got] == want, (at_ms, start)


def test_latest(kbridge, new_stream):
    """LATEST: nothing of what was there, then exactly what is put afterwards."""
    name = new_stream(shards=1, prefix="get-records-latest")
    put_ok(kbridge, name, [("before", b"1"), ("before", b"2")])
    iterator = shard_iterator(kbridge, name, 0, "LATEST")
    status, body, elapsed = get_records(kbridge, iterator)
    assert status == 200 and body["Records"] == [] and body["MillisBehindLatest"] == 0, body
    assert elapsed < EMPTY_ANSWER_S, elapsed
    results = put_ok(kbridge, name, [("after", b"\x00"), ("after", b"\xff")])
    got, _ = read_records(kbridge, body["NextShardIterator"], 2)
    assert [record_tuple(r) for r in got] == [(r["SequenceNumber"], "after", d)
                                              for r, d in zip(results, (b"\x00", b"\xff"))]


def test_empty_shard_answers_at_once(kbridge, new_stream):
    name = new_stream(shards=2, prefix="get-records-empty")
    for shard in (0, 1):
        for type_ in ("TRIM_HORIZON", "LATEST"):
            iterator = shard_iterator(kbridge, name, shard, type_)
            status, body, elapsed = get_records(kbridge, iterator)
            assert status == 200, body
            assert body["Records"] == [] and body["MillisBehindLatest"] == 0, body
            assert isinstance(body["NextShardIterator"], str), body
            assert elapsed < EMPTY_ANSWER_S, (shard, type_, elapsed)
            status, body, elapsed = get_records(kbridge, body["NextShardIterator"])
            assert status == 200 and body["Records"] == [], body
            assert elapsed < EMPTY_ANSWER_S, (shard, type_, "again", elapsed)


def test_end_of_shard_answers_at_once(kbridge, filled):
    iterator = shard_iterator(kbridge, filled["name"], 0, "AFTER_SEQUENCE_NUMBER",
                              StartingSequenceNumber=filled["records"][-1][0])
    status, body, elapsed = get_records(kbridge, iterator)
    assert status == 200 and body["Records"] == [] and body["MillisBehindLatest"] == 0, body
    assert elapsed < EMPTY_ANSWER_S, elapsed


def test_millis_behind_latest(kbridge, new_stream):
    """A reader one record behind a 1.5 s older tip is about that far behind; at the tip, 0."""
    name = new_stream(shards=1, prefix="get-records-behind")
    put_ok(kbridge, name, [("a", b"old")])
    time.sleep(1.5)
    put_ok(kbridge, name, [("a", b"new")])
    iterator = shard_iterator(kbridge, name, 0, "TRIM_HORIZON")
    status, body, _ = get_records(kbridge, iterator, limit=1)
    assert status == 200 and len(body["Records"]) == 1, body
    assert 1000 <= body["MillisBehindLatest"] <= 60_000, body
    status, body, _ = get_records(kbridge, body["NextShardIterator"])
    assert status == 200 and len(body["Records"]) == 1, body
    assert 0 <= body["MillisBehindLatest"] <= 5000, body


def test_cbor(kbridge, filled):
    """CBOR 1.1: Data as a byte string, ApproximateArrivalTimestamp as a timestamp."""
    from kbridge_harness import CBOR_CONTENT_TYPE, raw_call

    iterator = shard_iterator(kbridge, filled["name"], 0, "TRIM_HORIZON")
    status, _, body = raw_call(kbridge.endpoint, ACTION, {"ShardIterator": iterator, "Limit": 3},
                               content_type=CBOR_CONTENT_TYPE)
    assert status == 200, body
    got = [(r["SequenceNumber"], r["PartitionKey"], r["Data"]) for r in body["Records"]]
    assert got == filled["records"][:3]
    assert all(isinstance(r["Data"], bytes) for r in body["Records"])


def test_trimmed_records(kbridge, kafka_bootstrap, new_stream):
    """Records trimmed from Kafka (DeleteRecords, as retention does) are gone: TRIM_HORIZON starts
    at the oldest retained record, also for iterators issued before the trim; an AT_SEQUENCE_NUMBER
    iterator of a trimmed record, and a NextShardIterator pointing into the trimmed range, read from
    the oldest retained record on."""
    name = new_stream(shards=1, prefix="get-records-trim")
    records = [(f"t{i}", bytes([i, 0, 255])) for i in range(10)]
    results = put_ok(kbridge, name, records)
    want = [(r["SequenceNumber"], k, d) for r, (k, d) in zip(results, records)]
    before_trim = shard_iterator(kbridge, name, 0, "TRIM_HORIZON")
    iterator = shard_iterator(kbridge, name, 0, "TRIM_HORIZON")
    status, body, _ = get_records(kbridge, iterator, limit=2)
    assert status == 200 and [record_tuple(r) for r in body["Records"]] == want[:2], body
    inside = body["NextShardIterator"]  # points at record 2, which is about to be trimmed

    _, _, offset4 = decode_sequence(want[4][0])
    assert delete_kafka_records(kafka_bootstrap, name, 0, offset4) == offset4

    for label, iterator in [
            ("TRIM_HORIZON now", shard_iterator(kbridge, name, 0, "TRIM_HORIZON")),
            ("TRIM_HORIZON issued before the trim", before_trim),
            ("NextShardIterator into the trimmed range", inside),
            ("AT_SEQUENCE_NUMBER of trimmed record 1", shard_iterator(
                kbridge, name, 0, "AT_SEQUENCE_NUMBER", StartingSequenceNumber=want[1][0])),
            ("AFTER_SEQUENCE_NUMBER of trimmed record 0", shard_iterator(
                kbridge, name, 0, "AFTER_SEQUENCE_NUMBER", StartingSequenceNumber=want[0][0]))]:
        got, _ = read_records(kbridge, iterator, len(want) - 4)
        assert [record_tuple(r) for r in got] == want[4:], label

    # Trim everything: TRIM_HORIZON is empty at once, and later puts are read.
    _, _, end = decode_sequence(want[-1][0])
    delete_kafka_records(kafka_bootstrap, name, 0, end + 1)
    status, body, elapsed = get_records(kbridge, shard_iterator(kbridge, name, 0, "TRIM_HORIZON"))
    assert status == 200 and body["Records"] == [] and body["MillisBehindLatest"] == 0, body
    assert elapsed < EMPTY_ANSWER_S, elapsed
    results = put_ok(kbridge, name, [("late", b"x")])
    got, _ = read_records(kbridge, body["NextShardIterator"], 1)
    assert [record_tuple(r) for r in got] == [(results[0]["SequenceNumber"], "late", b"x")]
