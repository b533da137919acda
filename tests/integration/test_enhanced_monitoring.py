"""EnableEnhancedMonitoring and DisableEnhancedMonitoring against a real Kafka broker: validation, the
Current/Desired lists, "ALL", and the list DescribeStream and DescribeStreamSummary show afterwards
(what Terraform's shard_level_metrics sets and reads back).

Facts: botocore's kinesis model (MetricsNameList of 1..7 MetricsName, EnhancedMonitoringOutput) and
the AWS CLI's documented example outputs, which list "ALL" as IncomingBytes, OutgoingRecords,
IteratorAgeMilliseconds, IncomingRecords, ReadProvisionedThroughputExceeded,
WriteProvisionedThroughputExceeded, OutgoingBytes.
"""
import pytest

from kbridge_harness import stream_arn, unique_name
from kinesis_checks import (LIST, assert_error, assert_validation, call, check_type_errors, failure,
                            not_found, not_null)

ALL = ["IncomingBytes", "OutgoingRecords", "IteratorAgeMilliseconds", "IncomingRecords",
       "ReadProvisionedThroughputExceeded", "WriteProvisionedThroughputExceeded", "OutgoingBytes"]
ENUM = ("Member must satisfy constraint: [Member must satisfy enum value set: [IncomingBytes, "
        "IncomingRecords, OutgoingBytes, OutgoingRecords, WriteProvisionedThroughputExceeded, "
        "ReadProvisionedThroughputExceeded, IteratorAgeMilliseconds, ALL]]")


@pytest.fixture
def stream(new_stream):
    return new_stream(shards=1, prefix="enhanced")


def enable(kb, name, metrics):
    return call(kb, "EnableEnhancedMonitoring", {"StreamName": name, "ShardLevelMetrics": metrics})


def disable(kb, name, metrics):
    return call(kb, "DisableEnhancedMonitoring", {"StreamName": name, "ShardLevelMetrics": metrics})


def shown(kb, name):
    """The list in DescribeStream, after checking DescribeStreamSummary shows the same."""
    status, body = call(kb, "DescribeStream", {"StreamName": name})
    assert status == 200, body
    described = body["StreamDescription"]["EnhancedMonitoring"]
    status, body = call(kb, "DescribeStreamSummary", {"StreamName": name})
    assert status == 200, body
    assert body["StreamDescriptionSummary"]["EnhancedMonitoring"] == described
    assert len(described) == 1, described
    return described[0]["ShardLevelMetrics"]


@pytest.mark.parametrize("action", ["EnableEnhancedMonitoring", "DisableEnhancedMonitoring"])
def test_validation(kbridge, action):
    check_type_errors(kbridge, action, "ShardLevelMetrics", LIST)
    assert_validation(call(kbridge, action, {"StreamName": "a"}), [not_null("shardLevelMetrics")])
    status, body = call(kbridge, action, {"StreamName": "a", "ShardLevelMetrics": ["Bytes"]})
    assert (status, body["__type"]) == (400, "ValidationException"), body
    assert_validation((status, body), [failure("[Bytes]", "shardLevelMetrics", ENUM)])
    assert_validation(call(kbridge, action, {"StreamName": "a", "ShardLevelMetrics": []}),
                      [failure("[]", "shardLevelMetrics",
                               "Member must have length greater than or equal to 1")])
    name = unique_name("enhanced-absent")
    assert_error(call(kbridge, action, {"StreamName": name, "ShardLevelMetrics": ["ALL"]}),
                 "ResourceNotFoundException", not_found(name))


def test_enable_and_disable(kbridge, stream):
    assert shown(kbridge, stream) == []
    status, body = enable(kbridge, stream, ["IncomingRecords", "IncomingBytes"])
    assert status == 200, body
    assert body == {"StreamName": stream, "StreamARN": stream_arn(stream),
                    "CurrentShardLevelMetrics": [],
                    "DesiredShardLevelMetrics": ["IncomingBytes", "IncomingRecords"]}
    assert shown(kbridge, stream) == ["IncomingBytes", "IncomingRecords"]

    # Enabling what is on changes nothing; ALL turns every metric on.
    status, body = enable(kbridge, stream, ["IncomingBytes"])
    assert body["DesiredShardLevelMetrics"] == ["IncomingBytes", "IncomingRecords"], body
    status, body = enable(kbridge, stream, ["ALL"])
    assert status == 200, body
    assert body["CurrentShardLevelMetrics"] == ["IncomingBytes", "IncomingRecords"]
    assert body["DesiredShardLevelMetrics"] == ALL
    assert shown(kbridge, stream) == ALL

    status, body = disable(kbridge, stream, ["OutgoingBytes", "IteratorAgeMilliseconds"])
    assert status == 200, body
    assert body["CurrentShardLevelMetrics"] == ALL
    rest = [m for m in ALL if m not in ("OutgoingBytes", "IteratorAgeMilliseconds")]
    assert body["DesiredShardLevelMetrics"] == rest
    assert shown(kbridge, stream) == rest

    status, body = disable(kbridge, stream, ["ALL"])
    assert (status, body["CurrentShardLevelMetrics"], body["DesiredShardLevelMetrics"]) == \
        (200, rest, []), body
    assert shown(kbridge, stream) == []


def test_by_stream_arn(kbridge, stream):
    status, body = call(kbridge, "EnableEnhancedMonitoring",
                        {"StreamARN": stream_arn(stream), "ShardLevelMetrics": ["OutgoingBytes"]})
    assert status == 200, body
    assert body["StreamName"] == stream and body["DesiredShardLevelMetrics"] == ["OutgoingBytes"]
    assert shown(kbridge, stream) == ["OutgoingBytes"]
