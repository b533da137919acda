"""DescribeStream against a real Kafka broker: errors, shards with Kinesis's hash-key ranges, paging.

Facts: kinesalite's test/describeStream.js and test/helpers.js (mhart/kinesalite); the API
reference (Limit 1-10000, default 100; ExclusiveStartShardId; HasMoreShards).
"""
import pytest

from kbridge_harness import (REGION, expected_hash_ranges, shard_hash_ranges, shard_id, stream_arn,
                             unique_name)
from kinesis_checks import (ARN_PATTERN, INTEGER, LONG_NAME, MAX_LEN_128, MIN_LEN_1, NAME_PATTERN,
                            STRING, assert_error, assert_validation, call, check_type_errors,
                            failure, not_found, not_found_in_any_account, not_null)


ACTION = "DescribeStream"


@pytest.mark.parametrize("path,type_", [
    ("StreamName", STRING), ("Limit", INTEGER), ("ExclusiveStartShardId", STRING),
    ("StreamARN", STRING)])
def test_type_errors(kbridge, path, type_):
    check_type_errors(kbridge, ACTION, path, type_)


def test_no_stream_name(kbridge):
    assert_validation(call(kbridge, ACTION, {}), [not_null("streamName")])


def test_empty_values(kbridge):
    assert_validation(call(kbridge, ACTION, {"StreamName": "", "Limit": 0, "ExclusiveStartShardId": ""}), [
        failure(0, "limit", "Member must have value greater than or equal to 1"),
        failure("", "exclusiveStartShardId", NAME_PATTERN),
        failure("", "exclusiveStartShardId", MIN_LEN_1),
        failure("", "streamName", NAME_PATTERN),
        failure("", "streamName", MIN_LEN_1),
    ])


def test_long_values(kbridge):
    body = {"StreamName": LONG_NAME, "Limit": 100000, "ExclusiveStartShardId": LONG_NAME}
    assert_validation(call(kbridge, ACTION, body), [
        failure(100000, "limit", "Member must have value less than or equal to 10000"),
        failure(LONG_NAME, "exclusiveStartShardId", MAX_LEN_128),
        failure(LONG_NAME, "streamName", MAX_LEN_128),
    ])


def test_unknown_stream(kbridge):
    name = unique_name("dst-missing")
    assert_error(call(kbridge, ACTION, {"StreamName": name}), "ResourceNotFoundException",
                 not_found(name))


@pytest.fixture(scope="module")
def three(new_stream):
    return new_stream(3, prefix="dst3")


@pytest.fixture(scope="module")
def many(new_stream):
    return new_stream(25, prefix="dst25")


def test_three_shards(kbridge, three):
    status, body = call(kbridge, ACTION, {"StreamName": three})
    assert status == 200, body
    desc = body["StreamDescription"]
    assert desc["StreamStatus"] == "ACTIVE" and desc["HasMoreShards"] is False
    assert [s["ShardId"] for s in desc["Shards"]] == [shard_id(i) for i in range(3)]
    assert [s["HashKeyRange"] for s in desc["Shards"]] == [
        {"StartingHashKey": "0", "EndingHashKey": "113427455640312821154458202477256070484"},
        {"StartingHashKey": "113427455640312821154458202477256070485",
         "EndingHashKey": "226854911280625642308916404954512140969"},
        {"StartingHashKey": "226854911280625642308916404954512140970",
         "EndingHashKey": "340282366920938463463374607431768211455"},
    ]
    for shard in desc["Shards"]:
        assert set(shard) == {"ShardId", "HashKeyRange", "SequenceNumberRange"}, shard
        assert set(shard["SequenceNumberRange"]) == {"StartingSequenceNumber"}, shard


def test_exclusive_start_shard_id(kbridge, three):
    status, body = call(kbridge, ACTION, {"StreamName": three,
                                          "ExclusiveStartShardId": "shardId-000000000001"})
    assert status == 200, body
    desc = body["StreamDescription"]
    assert [s["ShardId"] for s in desc["Shards"]] == [shard_id(2)]
    assert desc["HasMoreShards"] is False


def test_default_limit_returns_all_25(kbridge, many):
    status, body = call(kbridge, ACTION, {"StreamName": many})
    assert status == 200, body
    desc = body["StreamDescription"]
    assert [s["ShardId"] for s in desc["Shards"]] == [shard_id(i) for i in range(25)]
    assert shard_hash_ranges(desc["Shards"]) == expected_hash_ranges(25)
    assert desc["HasMoreShards"] is False


def test_paging_25_shards_by_10(kbridge, many):
    seen, pages, start = [], [], None
    while True:
        body = {"StreamName": many, "Limit": 10}
        if start:
            body["ExclusiveStartShardId"] = start
        status, payload = call(kbridge, ACTION, body)
        assert status == 200, payload
        desc = payload["StreamDescription"]
        pages.append((len(desc["Shards"]), desc["HasMoreShards"]))
        seen += desc["Shards"]
        if not desc["HasMoreShards"]:
            break
        start = desc["Shards"][-1]["ShardId"]
        assert len(pages) < 5
    assert pages == [(10, True), (10, True), (5, False)]
    assert [s["ShardId"] for s in seen] == [shard_id(i) for i in range(25)]
    assert shard_hash_ranges(seen) == expected_hash_ranges(25)


def test_limit_equal_to_shard_count(kbridge, three):
    status, body = call(kbridge, ACTION, {"StreamName": three, "Limit": 3})
    assert len(body["StreamDescription"]["Shards"]) == 3
    assert body["StreamDescription"]["HasMoreShards"] is False


def test_by_arn(kbridge, three):
    status, body = call(kbridge, ACTION, {"StreamARN": stream_arn(three), "Limit": 1})
    assert status == 200, body
    desc = body["StreamDescription"]
    assert desc["StreamName"] == three and len(desc["Shards"]) == 1 and desc["HasMoreShards"] is True


def test_arn_of_other_account(kbridge, three):
    arn = f"arn:aws:kinesis:{REGION}:111122223333:stream/{three}"
    assert_error(call(kbridge, ACTION, {"StreamARN": arn}), "ResourceNotFoundException",
                 not_found_in_any_account(three))


def test_malformed_arn(kbridge):
    arn = "arn:aws:kinesis:us-east-1:0000:stream/x"
    assert_validation(call(kbridge, ACTION, {"StreamARN": arn}),
                      [failure(arn, "streamARN", ARN_PATTERN)])
