"""DeleteStream against a real Kafka broker: errors as Kinesis gives them, and the topic goes away.

Facts: kinesalite's test/deleteStream.js and test/helpers.js (mhart/kinesalite).
"""
import pytest

from kbridge_harness import REGION, kafka_topic_exists, stream_arn, unique_name, wait_for
from kinesis_checks import (BOOLEAN, LONG_NAME, MAX_LEN_128, MIN_LEN_1, NAME_PATTERN, STRING,
                            assert_error, assert_validation, call, check_type_errors, failure,
                            not_found, not_null, topic_of)


ACTION = "DeleteStream"


@pytest.mark.parametrize("path,type_", [
    ("StreamName", STRING), ("EnforceConsumerDeletion", BOOLEAN), ("StreamARN", STRING)])
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


def test_bad_characters(kbridge):
    assert_validation(call(kbridge, ACTION, {"StreamName": "a/b"}),
                      [failure("a/b", "streamName", NAME_PATTERN)])


def test_unknown_stream(kbridge):
    name = unique_name("ds-missing")
    assert_error(call(kbridge, ACTION, {"StreamName": name}), "ResourceNotFoundException",
                 not_found(name))


def test_delete_removes_stream_and_topic(kbridge, new_stream, kafka_bootstrap):
    name = new_stream(2, prefix="ds-basic")
    assert kafka_topic_exists(kafka_bootstrap, name)
    status, body = call(kbridge, ACTION, {"StreamName": name})
    assert status == 200, body
    wait_for(lambda: not kafka_topic_exists(kafka_bootstrap, name), timeout=30,
             what=f"topic {name} deleted")
    assert_error(call(kbridge, "DescribeStreamSummary", {"StreamName": name}),
                 "ResourceNotFoundException", not_found(name))
    status, body = call(kbridge, "ListStreams", {"ExclusiveStartStreamName": name[:-1], "Limit": 1})
    assert name not in body["StreamNames"]
    # A second delete finds nothing.
    assert_error(call(kbridge, ACTION, {"StreamName": name}), "ResourceNotFoundException",
                 not_found(name))


def test_delete_by_arn(kbridge, new_stream, kafka_bootstrap):
    name = new_stream(1, prefix="ds-arn")
    status, body = call(kbridge, ACTION, {"StreamARN": stream_arn(name)})
    assert status == 200, body
    wait_for(lambda: not kafka_topic_exists(kafka_bootstrap, name), timeout=30,
             what=f"topic {name} deleted")


def test_arn_of_other_account_deletes_nothing(kbridge, new_stream, kafka_bootstrap):
    name = new_stream(1, prefix="ds-other")
    arn = f"arn:aws:kinesis:{REGION}:111122223333:stream/{name}"
    status, body = call(kbridge, ACTION, {"StreamARN": arn})
    assert (status, body.get("__type")) == (400, "ResourceNotFoundException"), body
    assert kafka_topic_exists(kafka_bootstrap, name)


@pytest.mark.parametrize("flag", [True, False, "true", "no"])
def test_enforce_consumer_deletion(kbridge, new_stream, kafka_bootstrap, flag):
    # Coral reads "true"/"false"/"yes"/"no"/"1"/"0" as booleans (noted in kinesalite's validations).
    name = new_stream(1, prefix="ds-enforce")
    status, body = call(kbridge, ACTION, {"StreamName": name, "EnforceConsumerDeletion": flag})
    assert status == 200, body
    wait_for(lambda: not kafka_topic_exists(kafka_bootstrap, name), timeout=30,
             what=f"topic {name} deleted")


def test_recreate_after_delete(kbridge, new_stream, kafka_bootstrap):
    name = new_stream(2, prefix="ds-again")
    status, _ = call(kbridge, "IncreaseStreamRetentionPeriod",
                     {"StreamName": name, "RetentionPeriodHours": 48})
    assert status == 200
    status, body = call(kbridge, ACTION, {"StreamName": name})
    assert status == 200, body
    new_stream(3, name=name)
    topic = topic_of(kafka_bootstrap, name)
    assert topic["partitions"] == 3
    assert topic["configs"]["retention.ms"] == "86400000"
    status, body = call(kbridge, "DescribeStreamSummary", {"StreamName": name})
    summary = body["StreamDescriptionSummary"]
    assert (summary["OpenShardCount"], summary["RetentionPeriodHours"]) == (3, 24)


def test_rejected_delete_keeps_topic(kbridge, new_stream, kafka_bootstrap):
    name = new_stream(1, prefix="ds-keep")
    status, body = call(kbridge, ACTION, {"StreamName": name, "EnforceConsumerDeletion": "maybe"})
    assert (status, body["__type"]) == (400, "SerializationException"), body
    assert kafka_topic_exists(kafka_bootstrap, name)
