"""CreateStream against a real Kafka broker: wire errors exactly as Kinesis gives them, and Kafka's own
view of what was (and was not) created.

Facts: kinesalite's test/createStream.js and test/helpers.js (mhart/kinesalite); the current
botocore model (ShardCount optional, StreamModeDetails, Tags on create).
"""
import re
import time

import pytest

from kbridge_harness import ACCOUNT_ID, REGION, kafka_topic_exists, unique_name
from kinesis_checks import (INTEGER, INVALID_TAG_CHARS, LONG_NAME, MAP, MAX_LEN_128, MIN_LEN_1,
                            NAME_PATTERN, STRING, STRUCTURE, assert_capped_at_ten, assert_error,
                            assert_validation, call, check_type_errors, failure,
                            illegal_tag_characters, not_null, topic_of)


ACTION = "CreateStream"
SHARD_LIMIT = 500  # kbridge's default streams.shard_limit (as Kinesis's default account limit)
THREE_SHARD_RANGES = [
    ("0", "113427455640312821154458202477256070484"),
    ("113427455640312821154458202477256070485", "226854911280625642308916404954512140969"),
    ("226854911280625642308916404954512140970", "340282366920938463463374607431768211455"),
]


def assert_no_topic(kafka_bootstrap, name):
    assert not kafka_topic_exists(kafka_bootstrap, name), f"a rejected CreateStream left topic {name}"


@pytest.mark.parametrize("path,type_", [
    ("StreamName", STRING), ("ShardCount", INTEGER), ("StreamModeDetails", STRUCTURE),
    ("StreamModeDetails.StreamMode", STRING), ("Tags", MAP), ("Tags.a", STRING),
])
def test_type_errors(kbridge, path, type_):
    check_type_errors(kbridge, ACTION, path, type_)


def test_no_stream_name(kbridge):
    # kinesalite also lists shardCount here: ShardCount was required before on-demand streams.
    assert_validation(call(kbridge, ACTION, {}), [not_null("streamName")])


def test_empty_name_and_zero_shards(kbridge):
    assert_validation(call(kbridge, ACTION, {"StreamName": "", "ShardCount": 0}), [
        failure(0, "shardCount", "Member must have value greater than or equal to 1"),
        failure("", "streamName", NAME_PATTERN),
        failure("", "streamName", MIN_LEN_1),
    ])


def test_negative_shard_count(kbridge, kafka_bootstrap):
    name = unique_name("cs-neg")
    assert_validation(call(kbridge, ACTION, {"StreamName": name, "ShardCount": -3}), [
        failure(-3, "shardCount", "Member must have value greater than or equal to 1")])
    assert_no_topic(kafka_bootstrap, name)


def test_name_longer_than_128(kbridge):
    # The huge ShardCount is clamped to 2147483647 by Coral; it no longer has a model maximum.
    assert_validation(call(kbridge, ACTION, {"StreamName": LONG_NAME, "ShardCount": 1}),
                      [failure(LONG_NAME, "streamName", MAX_LEN_128)])


@pytest.mark.parametrize("bad", ["has space", "slash/name", "colon:name", "ümlaut", "semi;colon"])
def test_name_with_bad_characters(kbridge, bad):
    assert_validation(call(kbridge, ACTION, {"StreamName": bad, "ShardCount": 1}),
                      [failure(bad, "streamName", NAME_PATTERN)])


def test_several_errors_at_once(kbridge):
    body = {"StreamName": LONG_NAME + "!", "ShardCount": 0,
            "StreamModeDetails": {"StreamMode": "SOMETIMES"}}
    assert_validation(call(kbridge, ACTION, body), [
        failure(0, "shardCount", "Member must have value greater than or equal to 1"),
        failure(LONG_NAME + "!", "streamName", NAME_PATTERN),
        failure(LONG_NAME + "!", "streamName", MAX_LEN_128),
        failure("SOMETIMES", "streamModeDetails.streamMode",
                "Member must satisfy enum value set: [PROVISIONED, ON_DEMAND]"),
    ])


def test_more_than_ten_errors_are_capped_at_ten(kbridge):
    tags = {f"k{i:02d}": None for i in range(15)}  # every null map value is one failure
    assert_capped_at_ten(call(kbridge, ACTION, {"StreamName": "", "ShardCount": 0, "Tags": tags}))


def test_name_of_exactly_128_characters_works(kbridge, new_stream, kafka_bootstrap):
    name = unique_name("cs-128")
    name = name + "x" * (128 - len(name))
    assert new_stream(1, name=name) == name
    assert topic_of(kafka_bootstrap, name)["partitions"] == 1


def test_three_shard_stream_is_a_three_partition_topic(kbridge, new_stream, kafka_bootstrap):
    name = new_stream(3, prefix="cs-three")
    topic = topic_of(kafka_bootstrap, name)
    assert topic is not None, f"no Kafka topic {name}"
    assert topic["partitions"] == 3
    assert topic["configs"]["retention.ms"] == "86400000"
    assert topic["configs"]["message.timestamp.type"] == "LogAppendTime"

    status, body = call(kbridge, "DescribeStream", {"StreamName": name})
    assert status == 200, body
    desc = body["StreamDescription"]
    created = desc.pop("StreamCreationTimestamp")
    assert isinstance(created, (int, float)) and abs(created - time.time()) < 120
    starts = [s["SequenceNumberRange"].pop("StartingSequenceNumber") for s in desc["Shards"]]
    assert all(re.fullmatch(r"\d+", s) for s in starts) and len(set(starts)) == 3, starts
    assert desc == {
        "StreamName": name,
        "StreamARN": f"arn:aws:kinesis:{REGION}:{ACCOUNT_ID}:stream/{name}",
        "StreamStatus": "ACTIVE",
        "StreamModeDetails": {"StreamMode": "PROVISIONED"},
        "RetentionPeriodHours": 24,
        "EncryptionType": "NONE",
        "EnhancedMonitoring": [{"ShardLevelMetrics": []}],
        "HasMoreShards": False,
        "Shards": [{"ShardId": f"shardId-00000000000{i}", "SequenceNumberRange": {},
                    "HashKeyRange": {"StartingHashKey": lo, "EndingHashKey": hi}}
                   for i, (lo, hi) in enumerate(THREE_SHARD_RANGES)],
    }


def test_duplicate_stream_is_resource_in_use(kbridge, new_stream, kafka_bootstrap):
    name = new_stream(2, prefix="cs-dup")
    assert_error(call(kbridge, ACTION, {"StreamName": name, "ShardCount": 5}),
                 "ResourceInUseException", f"Stream {name} under account {ACCOUNT_ID} already exists.")
    assert topic_of(kafka_bootstrap, name)["partitions"] == 2
    status, body = call(kbridge, "DescribeStreamSummary", {"StreamName": name})
    assert body["StreamDescriptionSummary"]["OpenShardCount"] == 2


def limit_message(shards):
    return re.compile(re.escape(
        f"This request would exceed the shard limit for the account {ACCOUNT_ID} in {REGION}. "
        "Current shard count for the account: ") + r"\d+" + re.escape(
        f". Limit: {SHARD_LIMIT}. Number of additional shards that would have resulted from this "
        f"request: {shards}. Refer to the AWS Service Limits page "
        "(http://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html) for current limits "
        "and how to request higher limits."))


def test_shard_count_over_the_limit(kbridge, kafka_bootstrap):
    name = unique_name("cs-limit")
    assert_error(call(kbridge, ACTION, {"StreamName": name, "ShardCount": 1000}),
                 "LimitExceededException", limit_message(1000))
    assert_no_topic(kafka_bootstrap, name)


def test_huge_shard_count_is_limit_exceeded(kbridge, kafka_bootstrap):
    # 2^31 is clamped to 2147483647 (Coral's Integer), which is over any account's shard limit.
    name = unique_name("cs-huge")
    assert_error(call(kbridge, ACTION, {"StreamName": name, "ShardCount": 2147483648}),
                 "LimitExceededException", limit_message(2147483647))
    assert_no_topic(kafka_bootstrap, name)


def test_on_demand_stream(kbridge, new_stream, kafka_bootstrap):
    name = new_stream(None, prefix="cs-od", StreamModeDetails={"StreamMode": "ON_DEMAND"})
    status, body = call(kbridge, "DescribeStreamSummary", {"StreamName": name})
    assert status == 200, body
    summary = body["StreamDescriptionSummary"]
    assert summary["StreamModeDetails"] == {"StreamMode": "ON_DEMAND"}
    assert summary["OpenShardCount"] == 4
    assert topic_of(kafka_bootstrap, name)["partitions"] == 4


def test_explicit_provisioned_mode(kbridge, new_stream):
    name = new_stream(2, prefix="cs-prov", StreamModeDetails={"StreamMode": "PROVISIONED"})
    status, body = call(kbridge, "DescribeStreamSummary", {"StreamName": name})
    assert body["StreamDescriptionSummary"]["StreamModeDetails"] == {"StreamMode": "PROVISIONED"}


def test_unsupported_distribution_and_record_size_create_nothing(kbridge, kafka_bootstrap):
    """kbridge routes by partition key and carries records of at most 1 MiB: AUTO distribution and
    a larger MaxRecordSizeInKiB are refused, not silently ignored; the defaults spelled out work."""
    name = unique_name("cs-auto")
    on_demand = {"StreamModeDetails": {"StreamMode": "ON_DEMAND"}}
    assert_error(call(kbridge, ACTION, {"StreamName": name, **on_demand,
                                        "RecordDistributionStrategy": "AUTO"}),
                 "InvalidArgumentException",
                 "RecordDistributionStrategy AUTO is not supported by kbridge: streams distribute "
                 "records by partition key (USER_PARTITION_KEY).")
    assert_error(call(kbridge, ACTION, {"StreamName": name, "ShardCount": 1,
                                        "MaxRecordSizeInKiB": 10240}),
                 "InvalidArgumentException",
                 "MaxRecordSizeInKiB 10240 is not supported by kbridge: a record is at most 1024 KiB.")
    assert_validation(call(kbridge, ACTION, {"StreamName": name, "ShardCount": 1,
                                             "RecordDistributionStrategy": "RANDOM"}),
                      [failure("RANDOM", "recordDistributionStrategy",
                               "Member must satisfy enum value set: [AUTO, USER_PARTITION_KEY]")])
    assert_no_topic(kafka_bootstrap, name)
    status, body = call(kbridge, ACTION, {"StreamName": name, **on_demand, "MaxRecordSizeInKiB": 1024,
                                          "RecordDistributionStrategy": "USER_PARTITION_KEY"})
    assert status == 200, body
    call(kbridge, "DeleteStream", {"StreamName": name})


def test_provisioned_without_shard_count(kbridge, kafka_bootstrap):
    name = unique_name("cs-noshards")
    assert_validation(call(kbridge, ACTION, {"StreamName": name}), [not_null("shardCount")])
    assert_no_topic(kafka_bootstrap, name)


def test_stream_mode_details_without_mode(kbridge):
    assert_validation(call(kbridge, ACTION, {"StreamName": "a", "ShardCount": 1,
                                              "StreamModeDetails": {}}),
                      [not_null("streamModeDetails.streamMode")])


def test_tags_on_create(kbridge, new_stream):
    name = new_stream(1, prefix="cs-tags", Tags={"team": "data", "empty": ""})
    status, body = call(kbridge, "ListTagsForStream", {"StreamName": name})
    assert status == 200, body
    assert body == {"Tags": [{"Key": "empty", "Value": ""}, {"Key": "team", "Value": "data"}],
                    "HasMoreTags": False}


@pytest.mark.parametrize("tags", [{"a;b": "1"}, {"a": "x\ty"}, {"a,b": "1"}, {"a": "x\ny"}])
def test_tags_with_invalid_characters_create_nothing(kbridge, kafka_bootstrap, tags):
    name = unique_name("cs-badtag")
    assert_error(call(kbridge, ACTION, {"StreamName": name, "ShardCount": 1, "Tags": tags}),
                 "InvalidArgumentException", INVALID_TAG_CHARS)
    assert_no_topic(kafka_bootstrap, name)


def test_tags_with_percent_create_nothing(kbridge, kafka_bootstrap):
    name = unique_name("cs-pct")
    assert_error(call(kbridge, ACTION, {"StreamName": name, "ShardCount": 1, "Tags": {"a%b": "1"}}),
                 "InvalidArgumentException", illegal_tag_characters(name))
    assert_no_topic(kafka_bootstrap, name)


def test_more_than_200_tags_is_a_validation_error(kbridge, kafka_bootstrap):
    name = unique_name("cs-201")
    tags = {f"k{i}": "v" for i in range(201)}
    assert_validation(call(kbridge, ACTION, {"StreamName": name, "ShardCount": 1, "Tags": tags}),
                      re.compile(r"1 validation error detected: Value '\{[kv0-9, =]+\}' at 'tags' "
                                 r"failed to satisfy constraint: Member must have length less than "
                                 r"or equal to 200"))
    assert_no_topic(kafka_bootstrap, name)


def test_more_than_50_tags_on_create_is_refused(kbridge, kafka_bootstrap):
    # A stream holds at most 50 tags (AddTagsToStream's limit); CreateStream may not go around it.
    name = unique_name("cs-51")
    status, body = call(kbridge, ACTION, {"StreamName": name, "ShardCount": 1,
                                          "Tags": {f"k{i}": "v" for i in range(51)}})
    try:
        assert status == 400 and body["__type"] == "InvalidArgumentException", (status, body)
        assert "50 tags" in body["message"], body
        assert_no_topic(kafka_bootstrap, name)
    finally:
        if status == 200:
            call(kbridge, "DeleteStream", {"StreamName": name})


def test_serialization_error_creates_nothing(kbridge, kafka_bootstrap):
    name = unique_name("cs-ser")
    status, body = call(kbridge, ACTION, {"StreamName": name, "ShardCount": "3"})
    assert (status, body["__type"]) == (400, "SerializationException"), body
    assert_no_topic(kafka_bootstrap, name)
