"""PutRecord against a real Kafka broker: type and validation errors (bad base64, oversized Data),
bad ExplicitHashKey, malformed SequenceNumberForOrdering, routing by MD5 / ExplicitHashKey, sequence
numbers, and Kafka's own view of what was written.

Facts: kinesalite's test/putRecord.js and test/helpers.js (mhart/kinesalite): the validation
messages, "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. Specified
value was ...", "ExclusiveMinimumSequenceNumber ... used in PutRecord on stream ... under account
... is invalid.", empty and 1 MiB Data accepted, SequenceNumberForOrdering "0" accepted.
"""
import pytest

from kbridge_harness import ACCOUNT_ID, expected_hash_ranges, shard_id
from kinesis_checks import (BLOB, LONG_NAME, MAX_LEN_128, MIN_LEN_1, NAME_PATTERN, STRING,
                            assert_error, assert_validation, b64, call, check_type_errors,
                            decode_sequence, failure, kafka_partition_records, not_found, not_null,
                            put_record, routed_shard)

ACTION = "PutRecord"
SEQ_PATTERN = r"Member must satisfy regular expression pattern: 0|([1-9]\d{0,128})"
HASH_KEY_PATTERN = r"Member must satisfy regular expression pattern: 0|([1-9]\d{0,38})"
MIB = 1024 * 1024


@pytest.fixture(scope="module")
def stream(new_stream):
    """A 3-shard stream shared by the module (as kinesalite's helpers.testStream)."""
    return new_stream(shards=3, prefix="put-record")


@pytest.mark.parametrize("path,type_", [
    ("Data", BLOB), ("ExplicitHashKey", STRING), ("PartitionKey", STRING),
    ("SequenceNumberForOrdering", STRING), ("StreamName", STRING)])
def test_type_errors(kbridge, path, type_):
    """Includes Data that is not valid base64 (Coral's Blob messages)."""
    check_type_errors(kbridge, ACTION, path, type_)


def test_nothing_given(kbridge):
    # kinesalite also lists streamName: StreamName was required before StreamARN existed.
    assert_validation(call(kbridge, ACTION, {}), [not_null("partitionKey"), not_null("data")])


def test_no_stream_name(kbridge):
    assert_validation(call(kbridge, ACTION, {"PartitionKey": "a", "Data": ""}),
                      [not_null("streamName")])


def test_empty_values(kbridge):
    body = {"StreamName": "", "PartitionKey": "", "Data": "", "ExplicitHashKey": "",
            "SequenceNumberForOrdering": ""}
    assert_validation(call(kbridge, ACTION, body), [
        failure("", "sequenceNumberForOrdering", SEQ_PATTERN),
        failure("", "partitionKey", MIN_LEN_1),
        failure("", "explicitHashKey", HASH_KEY_PATTERN),
        failure("", "streamName", NAME_PATTERN),
        failure("", "streamName", MIN_LEN_1),
    ])


def test_oversized_values(kbridge):
    """Data of 1 MiB + 1 byte, a 257-character key, a 129-character name."""
    key = "a" * 257
    body = {"StreamName": LONG_NAME, "PartitionKey": key, "Data": b64(bytes(MIB + 1)),
            "ExplicitHashKey": ""}
    assert_validation(call(kbridge, ACTION, body), [
        failure(key, "partitionKey", "Member must have length less than or equal to 256"),
        failure("", "explicitHashKey", HASH_KEY_PATTERN),
        failure(f"java.nio.HeapByteBuffer[pos=0 lim={MIB + 1} cap={MIB + 1}]", "data",
                "Member must have length less than or equal to 1048576"),
        failure(LONG_NAME, "streamName", MAX_LEN_128),
    ])


def test_oversized_data_alone(kbridge, stream):
    body = {"StreamName": stream, "PartitionKey": "a", "Data": b64(bytes(MIB + 1))}
    assert_validation(call(kbridge, ACTION, body), [
        failure(f"java.nio.HeapByteBuffer[pos=0 lim={MIB + 1} cap={MIB + 1}]", "data",
                "Member must have length less than or equal to 1048576")])


def test_unknown_stream(kbridge):
    assert_error(put_record(kbridge, "no-such-stream-put-record", "a"),
                 "ResourceNotFoundException", not_found("no-such-stream-put-record"))


@pytest.mark.parametrize("hash_key", [str(2**128), str(2**128 + 12345), "9" * 39])
def test_explicit_hash_key_out_of_range(kbridge, stream, hash_key):
    assert_error(put_record(kbridge, stream, "a", ExplicitHashKey=hash_key),
                 "InvalidArgumentException",
                 "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. "
                 f"Specified value was {hash_key}")


def test_explicit_hash_key_too_many_digits(kbridge, stream):
    hash_key = "1" + "0" * 39  # 40 digits: the model's pattern allows at most 39
    assert_validation(put_record(kbridge, stream, "a", ExplicitHashKey=hash_key),
                      [failure(hash_key, "explicitHashKey", HASH_KEY_PATTERN)])


def invalid_ordering(stream, seq):
    return (f"ExclusiveMinimumSequenceNumber {seq} used in PutRecord on stream {stream} "
            f"under account {ACCOUNT_ID} is invalid.")


def test_sequence_number_for_ordering_not_128_bits(kbridge, stream):
    """A number that matches the pattern but has more than 128 bits cannot be a sequence number."""
    for seq in (str(2**128), "9" * 129):
        assert_error(put_record(kbridge, stream, "a", SequenceNumberForOrdering=seq),
                     "InvalidArgumentException", invalid_ordering(stream, seq))


def test_sequence_number_for_ordering_from_the_future(kbridge, stream):
    """All bits set: a creation time far in the future (kinesalite: 'SequenceNumberForOrdering all
    f' and 'large date' are invalid). No stream could have issued it."""
    seq = str(2**128 - 1)
    assert_error(put_record(kbridge, stream, "a", SequenceNumberForOrdering=seq),
                 "InvalidArgumentException", invalid_ordering(stream, seq))


def test_largest_record(kbridge, kafka_bootstrap, stream):
    """A record of 1 MiB, partition key included (the documented limit), is accepted and stored."""
    key = "k" * 256
    data = bytes(range(256)) * ((MIB - len(key)) // 256)
    assert len(key) + len(data) == MIB
    status, body = put_record(kbridge, stream, key, data)
    assert status == 200, body
    _, shard, offset = decode_sequence(body["SequenceNumber"])
    assert kafka_partition_records(kafka_bootstrap, stream, [shard])[shard][offset] == \
        (key.encode(), data)


def test_put_and_sequence_numbers(kbridge, stream):
    """Empty Data, binary Data; SequenceNumberForOrdering "0" and a previous number."""
    ranges = expected_hash_ranges(3)
    status, body = put_record(kbridge, stream, "ordering-key", b"")
    assert status == 200, body
    first = body
    want_shard = routed_shard(ranges, "ordering-key")
    assert first["ShardId"] == shard_id(want_shard)
    generation, shard, offset = decode_sequence(first["SequenceNumber"])
    assert shard == want_shard and generation > 0, decode_sequence(first["SequenceNumber"])

    status, body = put_record(kbridge, stream, "ordering-key", b"\x00\xff" * 5000,
                              SequenceNumberForOrdering=first["SequenceNumber"])
    assert status == 200, body
    assert body["ShardId"] == first["ShardId"]
    assert decode_sequence(body["SequenceNumber"]) == (generation, shard, offset + 1)
    assert int(body["SequenceNumber"]) > int(first["SequenceNumber"])

    status, body = put_record(kbridge, stream, "ordering-key", b"\x00",
                              SequenceNumberForOrdering="0")
    assert status == 200, body
    assert decode_sequence(body["SequenceNumber"]) == (generation, shard, offset + 2)


def test_routing(kbridge, kafka_bootstrap, stream):
    """MD5 of the key picks the shard, an ExplicitHashKey overrides it (range edges included);
    Kafka holds key and value at the offset the sequence number names."""
    ranges = expected_hash_ranges(3)
    cases = [(f"key-{i}-éß日本", bytes([i, 0, 255, i]), None) for i in range(12)]
    for start, end in ranges:
        cases += [("edge", b"start", str(start)), ("edge", b"end", str(end))]
    cases += [("a", b"max", str(2**128 - 1)), ("a", b"zero", "0")]
    written = []
    for key, data, ehk in cases:
        extra = {"ExplicitHashKey": ehk} if ehk is not None else {}
        status, body = put_record(kbridge, stream, key, data, **extra)
        assert status == 200, (key, ehk, body)
        want = routed_shard(ranges, key, ehk)
        assert body["ShardId"] == shard_id(want), (key, ehk, body, want)
        _, shard, offset = decode_sequence(body["SequenceNumber"])
        assert shard == want, (key, ehk, body)
        written.append((shard, offset, key, data))

    kafka = kafka_partition_records(kafka_bootstrap, stream, [0, 1, 2])
    for shard, offset, key, data in written:
        assert kafka[shard].get(offset) == (key.encode(), data), (shard, offset, key, data)


def test_deleted_stream(kbridge, new_stream):
    name = new_stream(shards=1, prefix="put-record-deleted")
    status, body = call(kbridge, "DeleteStream", {"StreamName": name})
    assert status == 200, body
    status, body = put_record(kbridge, name, "a", b"x")
    assert (status, body.get("__type")) == (400, "ResourceNotFoundException"), (status, body)
