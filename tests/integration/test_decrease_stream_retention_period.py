"""DecreaseStreamRetentionPeriod against a real Kafka broker: errors as Kinesis gives them, and the
topic's retention.ms follows (or stays put when the request is refused).

Facts: kinesalite's test/decreaseStreamRetentionPeriod.js and test/helpers.js (mhart/kinesalite);
the 8760-hour maximum message as recorded by moto's and LocalStack's Kinesis tests.
"""
import pytest

from kbridge_harness import ACCOUNT_ID, stream_arn, unique_name
from kinesis_checks import (HOUR_MS, INTEGER, LONG_NAME, MAX_LEN_128, MIN_LEN_1, NAME_PATTERN,
                            STRING, assert_error, assert_validation, call, check_type_errors,
                            failure, not_found, not_null, retention_hours, retention_ms)


ACTION = "DecreaseStreamRetentionPeriod"
def increase(kbridge, name, hours):
    status, body = call(kbridge, "IncreaseStreamRetentionPeriod",
                        {"StreamName": name, "RetentionPeriodHours": hours})
    assert status == 200, body


@pytest.mark.parametrize("path,type_", [
    ("StreamName", STRING), ("RetentionPeriodHours", INTEGER), ("StreamARN", STRING)])
def test_type_errors(kbridge, path, type_):
    check_type_errors(kbridge, ACTION, path, type_)


def test_nothing_given(kbridge):
    assert_validation(call(kbridge, ACTION, {}), [not_null("retentionPeriodHours")])


def test_no_stream_name(kbridge):
    assert_validation(call(kbridge, ACTION, {"RetentionPeriodHours": 24}), [not_null("streamName")])


def test_empty_stream_name(kbridge):
    assert_validation(call(kbridge, ACTION, {"StreamName": "", "RetentionPeriodHours": 24}),
                      [failure("", "streamName", NAME_PATTERN), failure("", "streamName", MIN_LEN_1)])


def test_long_stream_name(kbridge):
    assert_validation(call(kbridge, ACTION, {"StreamName": LONG_NAME, "RetentionPeriodHours": 24}),
                      [failure(LONG_NAME, "streamName", MAX_LEN_128)])


def test_unknown_stream(kbridge):
    name = unique_name("dec-missing")
    assert_error(call(kbridge, ACTION, {"StreamName": name, "RetentionPeriodHours": 25}),
                 "ResourceNotFoundException", not_found(name))


@pytest.fixture(scope="module")
def stream(new_stream):
    return new_stream(1, prefix="dec")


def test_too_short(kbridge, stream, kafka_bootstrap):
    assert_error(call(kbridge, ACTION, {"StreamName": stream, "RetentionPeriodHours": 23}),
                 "InvalidArgumentException",
                 "Minimum allowed retention period is 24 hours. "
                 "Requested retention period (23 hours) is too short.")
    assert retention_ms(kafka_bootstrap, stream, 24 * HOUR_MS) == 24 * HOUR_MS


def test_too_long(kbridge, stream, kafka_bootstrap):
    assert_error(call(kbridge, ACTION, {"StreamName": stream, "RetentionPeriodHours": 8761}),
                 "InvalidArgumentException",
                 "Maximum allowed retention period is 8760 hours. "
                 "Requested retention period (8761 hours) is too long.")
    assert retention_ms(kafka_bootstrap, stream, 24 * HOUR_MS) == 24 * HOUR_MS


def test_longer_than_current(kbridge, stream, kafka_bootstrap):
    assert_error(call(kbridge, ACTION, {"StreamName": stream, "RetentionPeriodHours": 25}),
                 "InvalidArgumentException",
                 f"Requested retention period (25 hours) for stream {stream} can not be longer than "
                 "existing retention period (24 hours). Use IncreaseRetentionPeriod API.")
    assert retention_hours(kbridge, stream) == 24
    assert retention_ms(kafka_bootstrap, stream, 24 * HOUR_MS) == 24 * HOUR_MS


def test_same_as_current(kbridge, stream):
    status, body = call(kbridge, ACTION, {"StreamName": stream, "RetentionPeriodHours": 24})
    assert status == 200, body


def test_increase_then_decrease(kbridge, new_stream, kafka_bootstrap):
    name = new_stream(2, prefix="dec-cycle")
    increase(kbridge, name, 168)
    assert retention_ms(kafka_bootstrap, name, 168 * HOUR_MS) == 168 * HOUR_MS
    status, body = call(kbridge, ACTION, {"StreamName": name, "RetentionPeriodHours": 48})
    assert status == 200, body
    assert retention_hours(kbridge, name) == 48
    assert retention_ms(kafka_bootstrap, name, 48 * HOUR_MS) == 48 * HOUR_MS
    assert_error(call(kbridge, ACTION, {"StreamName": name, "RetentionPeriodHours": 72}),
                 "InvalidArgumentException",
                 f"Requested retention period (72 hours) for stream {name} can not be longer than "
                 "existing retention period (48 hours). Use IncreaseRetentionPeriod API.")
    assert retention_ms(kafka_bootstrap, name, 48 * HOUR_MS) == 48 * HOUR_MS
    status, body = call(kbridge, ACTION, {"StreamName": name, "RetentionPeriodHours": 24})
    assert status == 200, body
    assert retention_ms(kafka_bootstrap, name, 24 * HOUR_MS) == 24 * HOUR_MS


def test_decrease_by_arn(kbridge, new_stream, kafka_bootstrap):
    name = new_stream(1, prefix="dec-arn")
    increase(kbridge, name, 100)
    status, body = call(kbridge, ACTION, {"StreamARN": stream_arn(name), "RetentionPeriodHours": 30})
    assert status == 200, body
    assert retention_ms(kafka_bootstrap, name, 30 * HOUR_MS) == 30 * HOUR_MS


def test_arn_of_other_region_changes_nothing(kbridge, new_stream, kafka_bootstrap):
    name = new_stream(1, prefix="dec-other")
    increase(kbridge, name, 100)
    arn = f"arn:aws:kinesis:eu-central-1:{ACCOUNT_ID}:stream/{name}"
    status, body = call(kbridge, ACTION, {"StreamARN": arn, "RetentionPeriodHours": 30})
    assert (status, body.get("__type")) == (400, "ResourceNotFoundException"), body
    assert retention_ms(kafka_bootstrap, name, 100 * HOUR_MS) == 100 * HOUR_MS
