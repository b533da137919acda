"""Two kbridge instances on one Kafka cluster share streams: they keep no state of their own."""
from kbridge_harness import (expected_hash_ranges, kafka_topic, raw_call, shard_hash_ranges,
                             shard_id, stream_arn, unique_name)


def describe_summary(endpoint, name):
    return raw_call(endpoint, "DescribeStreamSummary", {"StreamName": name})


def test_stream_created_through_one_is_described_through_the_other(kbridge_factory, kafka_bootstrap):
    first = kbridge_factory.start(name="first")
    second = kbridge_factory.start(name="second")
    assert first.endpoint != second.endpoint
    name = unique_name("two-instances")

    status, _, body = raw_call(first.endpoint, "CreateStream", {"StreamName": name, "ShardCount": 2})
    assert status == 200, body

    # No waiting: the second instance syncs the catalog before it answers, so a stream created
    # through one instance is visible through any other at once.
    status, _, body = describe_summary(second.endpoint, name)
    assert status == 200, body
    summary = body["StreamDescriptionSummary"]
    assert summary["StreamStatus"] == "ACTIVE"
    assert summary["StreamName"] == name
    assert summary["StreamARN"] == stream_arn(name)
    assert summary["OpenShardCount"] == 2
    assert summary["RetentionPeriodHours"] == 24

    status, _, body = raw_call(second.endpoint, "ListShards", {"StreamName": name})
    assert status == 200, body
    assert [s["ShardId"] for s in body["Shards"]] == [shard_id(0), shard_id(1)]
    assert shard_hash_ranges(body["Shards"]) == expected_hash_ranges(2)

    topic = kafka_topic(kafka_bootstrap, name)
    assert topic is not None, f"no Kafka topic {name}"
    assert topic["partitions"] == 2
    assert topic["configs"]["retention.ms"] == str(24 * 3600 * 1000)
    assert topic["configs"]["message.timestamp.type"] == "LogAppendTime"

    # A duplicate create through the other instance loses the race decided by Kafka.
    status, _, body = raw_call(second.endpoint, "CreateStream", {"StreamName": name, "ShardCount": 1})
    assert status == 400
    assert body["__type"].endswith("ResourceInUseException"), body

    status, _, body = raw_call(second.endpoint, "DeleteStream", {"StreamName": name})
    assert status == 200, body

    status, _, body = describe_summary(first.endpoint, name)
    assert status == 400, body
    assert body["__type"].endswith("ResourceNotFoundException"), body


def test_iterator_of_a_stream_just_created_through_the_other_instance(kbridge_factory):
    # The second instance answers GetShardIterator from its own catalog when it knows the stream,
    # and looks it up in the catalog topic when it does not know it yet: no waiting either way.
    first = kbridge_factory.start(name="first")
    second = kbridge_factory.start(name="second")
    name = unique_name("two-instances-iterator")
    status, _, body = raw_call(first.endpoint, "CreateStream", {"StreamName": name, "ShardCount": 1})
    assert status == 200, body
    status, _, body = raw_call(first.endpoint, "PutRecord",
                               {"StreamName": name, "PartitionKey": "k", "Data": "aGk="})
    assert status == 200, body

    for endpoint in (second.endpoint, second.endpoint, first.endpoint):
        status, _, body = raw_call(endpoint, "GetShardIterator",
                                   {"StreamName": name, "ShardId": shard_id(0),
                                    "ShardIteratorType": "TRIM_HORIZON"})
        assert status == 200, body
        status, _, body = raw_call(endpoint, "GetRecords", {"ShardIterator": body["ShardIterator"]})
        assert status == 200, body
        assert [r["Data"] for r in body["Records"]] == ["aGk="]

    status, _, body = raw_call(second.endpoint, "GetShardIterator",
                               {"StreamName": name, "ShardId": shard_id(1),
                                "ShardIteratorType": "TRIM_HORIZON"})
    assert status == 400, body
    assert body["__type"].endswith("ResourceNotFoundException"), body
