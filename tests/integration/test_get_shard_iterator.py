"""GetShardIterator against a real Kafka broker: type and validation errors, unknown shards
(Kinesis's shard-id parsing), the StartingSequenceNumber rules, foreign and malformed sequence
numbers, AT_TIMESTAMP without or in the future, and every iterator type answering a usable
iterator.

Facts: kinesalite's test/getShardIterator.js, actions/getShardIterator.js and db/index.js
resolveShardId (mhart/kinesalite): shard ids resolve from the digits after the first '-'
("shardId-5", "shard-0", "<anything>-0"), other ids are "Could not find shard ...", the shard
check comes before the "did not come from this stream" check, and the messages quoted below; the
ShardIteratorType enum is listed in the real service's order.
"""
import re
import time

import pytest

from kbridge_harness import ACCOUNT_ID, stream_arn, unique_name
from kinesis_checks import (LONG_NAME, MAX_LEN_128, MIN_LEN_1, NAME_PATTERN, STRING, TIMESTAMP,
                            assert_error, assert_validation, call, check_type_errors,
                            decode_sequence, encode_sequence, failure, get_records, not_null,
                            put_ok, shard_iterator)

ACTION = "GetShardIterator"
SEQ_PATTERN = r"Member must satisfy regular expression pattern: 0|([1-9]\d{0,128})"
FOREIGN = " because it did not come from this stream"
TYPES = "[AFTER_SEQUENCE_NUMBER, LATEST, AT_TIMESTAMP, AT_SEQUENCE_NUMBER, TRIM_HORIZON]"
RULE = ("Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and "
        "StartingSequenceNumber or (2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. "
        "Request specified ")


@pytest.fixture(scope="module")
def stream(new_stream):
    return new_stream(shards=2, prefix="get-iterator")


@pytest.fixture(scope="module")
def other_stream(new_stream):
    return new_stream(shards=2, prefix="get-iterator-other")


def request(stream, shard="shardId-000000000000", type_="LATEST", **extra):
    return {"StreamName": stream, "ShardId": shard, "ShardIteratorType": type_, **extra}


def no_shard(stream, shard):
    return f"Shard {shard} in stream {stream} under account {ACCOUNT_ID} does not exist"


def could_not_find(stream, shard):
    return f"Could not find shard {shard} in stream {stream} under account {ACCOUNT_ID}."


def invalid_seq(stream, shard, seq, suffix=""):
    return (f"StartingSequenceNumber {seq} used in GetShardIterator on shard {shard} in stream "
            f"{stream} under account {ACCOUNT_ID} is invalid{suffix}.")


@pytest.mark.parametrize("path,type_", [
    ("ShardId", STRING), ("ShardIteratorType", STRING), ("StartingSequenceNumber", STRING),
    ("StreamName", STRING), ("Timestamp", TIMESTAMP)])
def test_type_errors(kbridge, path, type_):
    check_type_errors(kbridge, ACTION, path, type_)


def test_nothing_given(kbridge):
    # kinesalite also lists streamName: StreamName was required before StreamARN existed.
    assert_validation(call(kbridge, ACTION, {}),
                      [not_null("shardId"), not_null("shardIteratorType")])


def test_empty_values(kbridge):
    body = {"StreamName": "", "ShardIteratorType": "", "ShardId": "", "StartingSequenceNumber": ""}
    assert_validation(call(kbridge, ACTION, body), [
        failure("", "shardId", NAME_PATTERN),
        failure("", "shardId", MIN_LEN_1),
        failure("", "shardIteratorType", f"Member must satisfy enum value set: {TYPES}"),
        failure("", "startingSequenceNumber", SEQ_PATTERN),
        failure("", "streamName", NAME_PATTERN),
        failure("", "streamName", MIN_LEN_1),
    ])


def test_long_values(kbridge):
    assert_validation(call(kbridge, ACTION, request(LONG_NAME, LONG_NAME)), [
        failure(LONG_NAME, "shardId", MAX_LEN_128),
        failure(LONG_NAME, "streamName", MAX_LEN_128),
    ])


@pytest.mark.parametrize("shard,resolved", [
    ("shardId-000000000000", "shardId-000000000000"),
    ("2147483647", "shardId-002147483647"),
    ("foo-2147483647", "shardId-002147483647"),
    ("a-00002147483647", "shardId-002147483647"),
    ("-00002147483647", "shardId-002147483647"),
])
def test_unknown_stream(kbridge, shard, resolved):
    name = unique_name("no-such-stream")
    assert_error(call(kbridge, ACTION, request(name, shard)), "ResourceNotFoundException",
                 no_shard(name, resolved))


@pytest.mark.parametrize("shard", ["2147483648", "shardId-002147483648", "ABKLFD8", "2.14E4"])
def test_unparsable_shard_id(kbridge, shard):
    name = unique_name("no-such-stream")
    assert_error(call(kbridge, ACTION, request(name, shard)), "ResourceNotFoundException",
                 could_not_find(name, shard))


@pytest.mark.parametrize("shard,resolved", [
    ("shardId-000000000002", "shardId-000000000002"),
    ("shardId-5", "shardId-000000000005"),
    ("shardId-000000999999", "shardId-000000999999"),
])
def test_unknown_shard(kbridge, stream, shard, resolved):
    assert_error(call(kbridge, ACTION, request(stream, shard, "TRIM_HORIZON")),
                 "ResourceNotFoundException", no_shard(stream, resolved))


@pytest.mark.parametrize("shard", ["shard-0", "anything-1", "shardId-1", "0"])
def test_short_shard_ids(kbridge, stream, shard):
    """kinesalite 'should work with random shard ID with hyphen': the digits after '-' count."""
    status, body = call(kbridge, ACTION, request(stream, shard, "TRIM_HORIZON"))
    assert status == 200, body


@pytest.mark.parametrize("type_", ["AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"])
def test_sequence_type_without_number(kbridge, stream, type_):
    assert_error(call(kbridge, ACTION, request(stream, type_=type_)), "InvalidArgumentException",
                 f"{RULE}{type_} and no StartingSequenceNumber.")


@pytest.mark.parametrize("type_", ["LATEST", "TRIM_HORIZON"])
def test_number_with_other_type(kbridge, stream, type_):
    body = request(stream, type_=type_, StartingSequenceNumber="5")
    assert_error(call(kbridge, ACTION, body), "InvalidArgumentException",
                 f"{RULE}{type_} and also a StartingSequenceNumber.")


def test_at_timestamp_without_timestamp(kbridge, stream):
    assert_error(call(kbridge, ACTION, request(stream, type_="AT_TIMESTAMP")),
                 "InvalidArgumentException",
                 "Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP. "
                 "Current request has no timestamp parameter.")


def test_at_timestamp_in_the_future(kbridge, stream):
    future_s = int(time.time()) + 60.5  # exact in binary, so the millisecond value is known
    status, body = call(kbridge, ACTION, request(stream, type_="AT_TIMESTAMP", Timestamp=future_s))
    assert_error((status, body), "InvalidArgumentException", re.compile(
        "The timestampInMillis parameter cannot be greater than the currentTimestampInMillis. "
        rf"timestampInMillis: {int(future_s * 1000)}, currentTimestampInMillis: (\d+)"))
    now_ms = int(re.search(r"currentTimestampInMillis: (\d+)", body["message"]).group(1))
    assert abs(now_ms - time.time() * 1000) < 10_000, body


@pytest.fixture(scope="module")
def numbers(kbridge, stream, other_stream):
    """Sequence numbers of records put on both shards of both streams: {(stream, shard): [seq]}."""
    out = {}
    for name in (stream, other_stream):
        results = put_ok(kbridge, name, [("x", b"0", 0), ("x", b"1", 2**128 - 1),
                                         ("x", b"2", 0), ("x", b"3", 2**128 - 1)])
        for result in results:
            shard = int(result["ShardId"][-12:])
            out.setdefault((name, shard), []).append(result["SequenceNumber"])
    return out


@pytest.mark.parametrize("type_", ["AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"])
def test_number_of_another_shard(kbridge, stream, numbers, type_):
    seq = numbers[(stream, 1)][0]
    assert_error(call(kbridge, ACTION, request(stream, type_=type_, StartingSequenceNumber=seq)),
                 "InvalidArgumentException",
                 "Invalid StartingSequenceNumber. It encodes shardId-000000000001, while it was "
                 "used in a call to a shard with shardId-000000000000")


@pytest.mark.parametrize("type_", ["AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"])
def test_number_of_another_stream(kbridge, stream, other_stream, numbers, type_):
    seq = numbers[(other_stream, 0)][0]
    assert_error(call(kbridge, ACTION, request(stream, type_=type_, StartingSequenceNumber=seq)),
                 "InvalidArgumentException",
                 invalid_seq(stream, "shardId-000000000000", seq, FOREIGN))


def test_number_of_another_stream_and_shard(kbridge, stream, other_stream, numbers):
    """Kinesis checks the shard the number encodes before its stream."""
    seq = numbers[(other_stream, 1)][0]
    body = request(stream, type_="AT_SEQUENCE_NUMBER", StartingSequenceNumber=seq)
    assert_error(call(kbridge, ACTION, body), "InvalidArgumentException",
                 "Invalid StartingSequenceNumber. It encodes shardId-000000000001, while it was "
                 "used in a call to a shard with shardId-000000000000")


def test_number_of_an_earlier_stream_generation(kbridge, stream, numbers):
    """Same shard and offset, another generation (as a deleted stream of the same name had)."""
    generation, shard, offset = decode_sequence(numbers[(stream, 0)][0])
    seq = encode_sequence(generation - 1000, shard, offset)
    body = request(stream, type_="AT_SEQUENCE_NUMBER", StartingSequenceNumber=seq)
    assert_error(call(kbridge, ACTION, body), "InvalidArgumentException",
                 invalid_seq(stream, "shardId-000000000000", seq, FOREIGN))


@pytest.mark.parametrize("seq", [str(2**128), "9" * 129, str(2**200)])
def test_malformed_number(kbridge, stream, seq):
    body = request(stream, type_="AT_SEQUENCE_NUMBER", StartingSequenceNumber=seq)
    assert_error(call(kbridge, ACTION, body), "InvalidArgumentException",
                 invalid_seq(stream, "shardId-000000000000", seq))


@pytest.mark.parametrize("type_", ["TRIM_HORIZON", "LATEST", "AT_SEQUENCE_NUMBER",
                                   "AFTER_SEQUENCE_NUMBER", "AT_TIMESTAMP"])
def test_every_type_gives_a_usable_iterator(kbridge, stream, numbers, type_):
    extra = {}
    if type_ in ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"):
        extra["StartingSequenceNumber"] = numbers[(stream, 0)][0]
    if type_ == "AT_TIMESTAMP":
        extra["Timestamp"] = time.time() - 3600
    iterator = shard_iterator(kbridge, stream, 0, type_, **extra)
    assert 1 <= len(iterator) <= 512 and re.fullmatch(r"[A-Za-z0-9+/=]+", iterator), iterator
    status, body, _ = get_records(kbridge, iterator)
    assert status == 200, body
    want = {"TRIM_HORIZON": 2, "LATEST": 0, "AT_SEQUENCE_NUMBER": 2, "AFTER_SEQUENCE_NUMBER": 1,
            "AT_TIMESTAMP": 2}[type_]
    assert len(body["Records"]) == want, (type_, body)


def test_by_stream_arn(kbridge, stream):
    status, body = call(kbridge, ACTION, {"StreamARN": stream_arn(stream),
                                          "ShardId": "shardId-000000000001",
                                          "ShardIteratorType": "TRIM_HORIZON"})
    assert status == 200, body


def test_longest_stream_name(kbridge, new_stream):
    """A 128-character stream name still gives an iterator GetRecords accepts (<= 512 chars)."""
    name = new_stream(shards=1, name=unique_name("g" * 115))
    assert len(name) == 128
    put_ok(kbridge, name, [("k", b"v")])
    iterator = shard_iterator(kbridge, name, 0, "TRIM_HORIZON")
    assert len(iterator) <= 512, len(iterator)
    status, body, _ = get_records(kbridge, iterator)
    assert status == 200 and len(body["Records"]) == 1, body
