"""ListShards against a real Kafka broker: errors, Kinesis's hash-key ranges, NextToken paging,
ShardFilter, StreamCreationTimestamp, StreamARN.

Facts: kinesalite's test/listShards.js and test/helpers.js (mhart/kinesalite); the API reference
(MaxResults default 1000; NextToken "unambiguously identifies the stream"); real service messages
quoted in aws/aws-cli#9635 ("NextToken and StreamARN cannot be provided together."),
awslabs/amazon-kinesis-scaling-utils#82 ("NextToken and ExclusiveStartShardId cannot be provided
together."), apache/beam#33478 ("NextToken and ShardFilter cannot be provided together.").
"""
import re

import pytest

from kbridge_harness import (ACCOUNT_ID, expected_hash_ranges, shard_hash_ranges, shard_id,
                             stream_arn, unique_name)
from kinesis_checks import (ARN_PATTERN, INTEGER, LONG_NAME, MAX_LEN_128, MIN_LEN_1, NAME_PATTERN,
                            STRING, STRUCTURE, TIMESTAMP, assert_error, assert_validation, call,
                            check_type_errors, failure, not_found, not_found_in_any_account,
                            not_null)


ACTION = "ListShards"
FILTER_TYPES = ("AFTER_SHARD_ID, AT_TRIM_HORIZON, FROM_TRIM_HORIZON, AT_LATEST, AT_TIMESTAMP, "
                "FROM_TIMESTAMP")


@pytest.mark.parametrize("path,type_", [
    ("StreamName", STRING), ("MaxResults", INTEGER), ("ExclusiveStartShardId", STRING),
    ("NextToken", STRING), ("StreamCreationTimestamp", TIMESTAMP), ("ShardFilter", STRUCTURE),
    ("ShardFilter.Type", STRING), ("ShardFilter.ShardId", STRING),
    ("ShardFilter.Timestamp", TIMESTAMP), ("StreamARN", STRING)])
def test_type_errors(kbridge, path, type_):
    check_type_errors(kbridge, ACTION, path, type_)


def test_neither_stream_nor_token(kbridge):
    assert_error(call(kbridge, ACTION, {}), "InvalidArgumentException",
                 "Either NextToken or StreamName should be provided.")


def test_empty_values(kbridge):
    body = {"StreamName": "", "NextToken": "", "MaxResults": 0, "ExclusiveStartShardId": ""}
    assert_validation(call(kbridge, ACTION, body), [
        failure(0, "maxResults", "Member must have value greater than or equal to 1"),
        failure("", "exclusiveStartShardId", NAME_PATTERN),
        failure("", "exclusiveStartShardId", MIN_LEN_1),
        failure("", "streamName", NAME_PATTERN),
        failure("", "streamName", MIN_LEN_1),
        failure("", "nextToken", MIN_LEN_1),
    ])


def test_long_values(kbridge):
    body = {"StreamName": LONG_NAME, "MaxResults": 100000, "ExclusiveStartShardId": LONG_NAME}
    assert_validation(call(kbridge, ACTION, body), [
        failure(100000, "maxResults", "Member must have value less than or equal to 10000"),
        failure(LONG_NAME, "exclusiveStartShardId", MAX_LEN_128),
        failure(LONG_NAME, "streamName", MAX_LEN_128),
    ])


def test_bad_shard_filter_type(kbridge):
    assert_validation(call(kbridge, ACTION, {"StreamName": "a", "ShardFilter": {"Type": "SOME"}}),
                      [failure("SOME", "shardFilter.type",
                               f"Member must satisfy enum value set: [{FILTER_TYPES}]")])


def test_shard_filter_without_type(kbridge):
    assert_validation(call(kbridge, ACTION, {"StreamName": "a", "ShardFilter": {}}),
                      [not_null("shardFilter.type")])


def test_stream_name_and_next_token(kbridge):
    name = unique_name("lsh")
    assert_error(call(kbridge, ACTION, {"StreamName": name, "NextToken": name}),
                 "InvalidArgumentException", "NextToken and StreamName cannot be provided together.")


def test_stream_arn_and_next_token(kbridge):
    name = unique_name("lsh")
    assert_error(call(kbridge, ACTION, {"StreamARN": stream_arn(name), "NextToken": name}),
                 "InvalidArgumentException", "NextToken and StreamARN cannot be provided together.")


@pytest.mark.parametrize("member,value", [
    ("ExclusiveStartShardId", "shardId-000000000001"),
    ("ShardFilter", {"Type": "AT_LATEST"}),
    ("StreamCreationTimestamp", 1700000000),
])
def test_next_token_with_other_member(kbridge, paged_token, member, value):
    assert_error(call(kbridge, ACTION, {"NextToken": paged_token, member: value}),
                 "InvalidArgumentException", f"NextToken and {member} cannot be provided together.")


@pytest.mark.parametrize("token", ["garbage", "bm90IGEgdG9rZW4=", "e30=", "AAAA"])
def test_garbage_next_token(kbridge, token):
    status, body = call(kbridge, ACTION, {"NextToken": token})
    assert (status, body.get("__type")) == (400, "InvalidArgumentException"), (status, body)


def test_unknown_stream(kbridge):
    name = unique_name("lsh-missing")
    assert_error(call(kbridge, ACTION, {"StreamName": name}), "ResourceNotFoundException",
                 not_found(name))


@pytest.fixture(scope="module")
def three(new_stream):
    return new_stream(3, prefix="lsh3")


@pytest.fixture(scope="module")
def many(new_stream):
    return new_stream(25, prefix="lsh25")


@pytest.fixture(scope="module")
def paged_token(kbridge, many):
    status, body = call(kbridge, ACTION, {"StreamName": many, "MaxResults": 10})
    assert status == 200, body
    return body["NextToken"]


def ids(body):
    return [s["ShardId"] for s in body["Shards"]]


def test_three_shards(kbridge, three):
    status, body = call(kbridge, ACTION, {"StreamName": three})
    assert status == 200, body
    assert set(body) == {"Shards"}, body
    for shard in body["Shards"]:
        start = shard["SequenceNumberRange"].pop("StartingSequenceNumber")
        assert re.fullmatch(r"\d+", start)
    assert body["Shards"] == [
        {"ShardId": "shardId-000000000000", "SequenceNumberRange": {},
         "HashKeyRange": {"StartingHashKey": "0",
                          "EndingHashKey": "113427455640312821154458202477256070484"}},
        {"ShardId": "shardId-000000000001", "SequenceNumberRange": {},
         "HashKeyRange": {"StartingHashKey": "113427455640312821154458202477256070485",
                          "EndingHashKey": "226854911280625642308916404954512140969"}},
        {"ShardId": "shardId-000000000002", "SequenceNumberRange": {},
         "HashKeyRange": {"StartingHashKey": "226854911280625642308916404954512140970",
                          "EndingHashKey": "340282366920938463463374607431768211455"}},
    ]


def test_exclusive_start_shard_id(kbridge, three):
    status, body = call(kbridge, ACTION, {"StreamName": three,
                                          "ExclusiveStartShardId": "shardId-000000000001"})
    assert status == 200, body
    assert ids(body) == [shard_id(2)]
    assert "NextToken" not in body


def test_25_shards_in_pages_of_10(kbridge, many):
    status, body = call(kbridge, ACTION, {"StreamName": many, "MaxResults": 10})
    assert status == 200, body
    seen, sizes = list(body["Shards"]), [len(body["Shards"])]
    while "NextToken" in body:
        status, body = call(kbridge, ACTION, {"NextToken": body["NextToken"], "MaxResults": 10})
        assert status == 200, body
        seen += body["Shards"]
        sizes.append(len(body["Shards"]))
        assert len(sizes) < 5
    assert sizes == [10, 10, 5]
    assert [s["ShardId"] for s in seen] == [shard_id(i) for i in range(25)]
    assert shard_hash_ranges(seen) == expected_hash_ranges(25)


def test_next_token_without_max_results_returns_the_rest(kbridge, paged_token):
    # MaxResults defaults to 1000 on every call, also one that continues with a NextToken.
    status, body = call(kbridge, ACTION, {"NextToken": paged_token})
    assert status == 200, body
    assert ids(body) == [shard_id(i) for i in range(10, 25)]
    assert "NextToken" not in body


def test_all_25_by_default(kbridge, many):
    status, body = call(kbridge, ACTION, {"StreamName": many})
    assert status == 200, body
    assert ids(body) == [shard_id(i) for i in range(25)]
    assert shard_hash_ranges(body["Shards"]) == expected_hash_ranges(25)
    assert "NextToken" not in body


def test_next_token_of_deleted_stream(kbridge, new_stream):
    name = new_stream(3, prefix="lsh-gone")
    status, body = call(kbridge, ACTION, {"StreamName": name, "MaxResults": 1})
    token = body["NextToken"]
    assert call(kbridge, "DeleteStream", {"StreamName": name})[0] == 200
    status, body = call(kbridge, ACTION, {"NextToken": token})
    assert status == 400 and body["__type"] in (
        "ResourceNotFoundException", "ExpiredNextTokenException", "InvalidArgumentException"), body


@pytest.mark.parametrize("filter_,expected", [
    ({"Type": "AFTER_SHARD_ID", "ShardId": "shardId-000000000000"}, [1, 2]),
    ({"Type": "AT_TRIM_HORIZON"}, [0, 1, 2]),
    ({"Type": "FROM_TRIM_HORIZON"}, [0, 1, 2]),
    ({"Type": "AT_LATEST"}, [0, 1, 2]),
    ({"Type": "AT_TIMESTAMP", "Timestamp": 1700000000}, [0, 1, 2]),
    ({"Type": "FROM_TIMESTAMP", "Timestamp": 1700000000}, [0, 1, 2]),
])
def test_shard_filter(kbridge, three, filter_, expected):
    status, body = call(kbridge, ACTION, {"StreamName": three, "ShardFilter": filter_})
    assert status == 200, body
    assert ids(body) == [shard_id(i) for i in expected]


def test_after_shard_id_filter_needs_shard_id(kbridge, three):
    status, body = call(kbridge, ACTION, {"StreamName": three,
                                          "ShardFilter": {"Type": "AFTER_SHARD_ID"}})
    assert (status, body.get("__type")) == (400, "InvalidArgumentException"), body


def test_stream_creation_timestamp_of_this_stream(kbridge, three):
    status, body = call(kbridge, "DescribeStreamSummary", {"StreamName": three})
    created = body["StreamDescriptionSummary"]["StreamCreationTimestamp"]
    status, body = call(kbridge, ACTION, {"StreamName": three, "StreamCreationTimestamp": created})
    assert status == 200, body
    assert ids(body) == [shard_id(i) for i in range(3)]


def test_by_arn(kbridge, three):
    status, body = call(kbridge, ACTION, {"StreamARN": stream_arn(three), "MaxResults": 2})
    assert status == 200, body
    assert ids(body) == [shard_id(0), shard_id(1)]
    assert "NextToken" in body


def test_arn_of_other_region(kbridge, three):
    arn = f"arn:aws:kinesis:ap-south-1:{ACCOUNT_ID}:stream/{three}"
    assert_error(call(kbridge, ACTION, {"StreamARN": arn}), "ResourceNotFoundException",
                 not_found_in_any_account(three))


def test_malformed_arn(kbridge):
    arn = "arn:aws:kinesis:us-east-1:000000000000:streams"
    assert_validation(call(kbridge, ACTION, {"StreamARN": arn}),
                      [failure(arn, "streamARN", ARN_PATTERN)])
