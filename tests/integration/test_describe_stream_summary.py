"""DescribeStreamSummary against a real Kafka broker.

Facts: kinesalite's test/describeStreamSummary.js and test/helpers.js (mhart/kinesalite).
"""
import time

import pytest

from kbridge_harness import ACCOUNT_ID, REGION, stream_arn, unique_name
from kinesis_checks import (ARN_PATTERN, LONG_NAME, MAX_LEN_128, MIN_LEN_1, NAME_PATTERN, STRING,
                            assert_error, assert_validation, call, check_type_errors, failure,
                            not_found, not_found_in_any_account, not_null)


ACTION = "DescribeStreamSummary"


@pytest.mark.parametrize("path,type_", [("StreamName", STRING), ("StreamARN", STRING)])
def test_type_errors(kbridge, path, type_):
    check_type_errors(kbridge, ACTION, path, type_)


def test_no_stream_name(kbridge):
    assert_validation(call(kbridge, ACTION, {}), [not_null("streamName")])


def test_empty_stream_name(kbridge):
    assert_validation(call(kbridge, ACTION, {"StreamName": ""}),
                      [failure("", "streamName", NAME_PATTERN), failure("", "streamName", MIN_LEN_1)])


def test_long_stream_name(kbridge):
    assert_validation(call(kbridge, ACTION, {"StreamName": LONG_NAME}),
                      [failure(LONG_NAME, "streamName", MAX_LEN_128)])


def test_unknown_stream(kbridge):
    name = unique_name("dss-missing")
    assert_error(call(kbridge, ACTION, {"StreamName": name}), "ResourceNotFoundException",
                 not_found(name))


@pytest.fixture(scope="module")
def stream(new_stream):
    return new_stream(3, prefix="dss")


def test_summary(kbridge, stream):
    status, body = call(kbridge, ACTION, {"StreamName": stream})
    assert status == 200, body
    summary = body["StreamDescriptionSummary"]
    created = summary.pop("StreamCreationTimestamp")
    assert 0 < created <= time.time() + 1
    assert summary == {
        "StreamName": stream,
        "StreamARN": f"arn:aws:kinesis:{REGION}:{ACCOUNT_ID}:stream/{stream}",
        "StreamStatus": "ACTIVE",
        "StreamModeDetails": {"StreamMode": "PROVISIONED"},
        "RetentionPeriodHours": 24,
        "EncryptionType": "NONE",
        "EnhancedMonitoring": [{"ShardLevelMetrics": []}],
        "OpenShardCount": 3,
        "ConsumerCount": 0,
    }


def test_by_arn(kbridge, stream):
    status, body = call(kbridge, ACTION, {"StreamARN": stream_arn(stream)})
    assert status == 200, body
    assert body["StreamDescriptionSummary"]["StreamName"] == stream


def test_by_arn_and_matching_name(kbridge, stream):
    status, body = call(kbridge, ACTION, {"StreamARN": stream_arn(stream), "StreamName": stream})
    assert status == 200, body


@pytest.mark.parametrize("arn_format", [
    "arn:aws:kinesis:{region}:111122223333:stream/{name}",
    "arn:aws:kinesis:eu-west-1:{account}:stream/{name}",
    "arn:aws-cn:kinesis:{region}:{account}:stream/{name}",
])
def test_arn_elsewhere_is_not_found(kbridge, stream, arn_format):
    arn = arn_format.format(region=REGION, account=ACCOUNT_ID, name=stream)
    assert_error(call(kbridge, ACTION, {"StreamARN": arn}), "ResourceNotFoundException",
                 not_found_in_any_account(stream))


@pytest.mark.parametrize("arn", [
    "arn:aws:kinesis:us-east-1:123:stream/x",
    "arn:aws:sqs:us-east-1:000000000000:stream/x",
    "arn:aws:kinesis:us-east-1:000000000000:table/x",
    "not-an-arn",
])
def test_malformed_arn(kbridge, arn):
    assert_validation(call(kbridge, ACTION, {"StreamARN": arn}),
                      [failure(arn, "streamARN", ARN_PATTERN)])


def test_empty_arn(kbridge):
    assert_validation(call(kbridge, ACTION, {"StreamARN": ""}),
                      [failure("", "streamARN", ARN_PATTERN), failure("", "streamARN", MIN_LEN_1)])
