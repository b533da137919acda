"""IncreaseStreamRetentionPeriod against a real Kafka broker: errors as Kinesis gives them, and the
topic's retention.ms follows (or stays put when the request is refused).

Facts: kinesalite's test/increaseStreamRetentionPeriod.js and test/helpers.js (mhart/kinesalite);
the current model has no bounds on RetentionPeriodHours (the 24..8760 range is checked by the
service: "Maximum allowed retention period is 8760 hours. Requested retention period (N hours) is
too long.", as recorded by moto's and LocalStack's Kinesis tests).
"""
import pytest

from kbridge_harness import REGION, stream_arn, unique_name
from kinesis_checks import (ARN_PATTERN, HOUR_MS, INTEGER, LONG_NAME, MAX_LEN_128, MIN_LEN_1,
                            NAME_PATTERN, STRING, assert_error, assert_validation, call,
                            check_type_errors, failure, not_found, not_null, retention_hours,
                            retention_ms)


ACTION = "IncreaseStreamRetentionPeriod"
@pytest.mark.parametrize("path,type_", [
    ("StreamName", STRING), ("RetentionPeriodHours", INTEGER), ("StreamARN", STRING)])
def test_type_errors(kbridge, path, type_):
    check_type_errors(kbridge, ACTION, path, type_)


def test_nothing_given(kbridge):
    # kinesalite also lists streamName: StreamName was required before StreamARN existed.
    assert_validation(call(kbridge, ACTION, {}), [not_null("retentionPeriodHours")])


def test_no_stream_name(kbridge):
    assert_validation(call(kbridge, ACTION, {"RetentionPeriodHours": 48}), [not_null("streamName")])


def test_empty_stream_name(kbridge):
    assert_validation(call(kbridge, ACTION, {"StreamName": "", "RetentionPeriodHours": 48}),
                      [failure("", "streamName", NAME_PATTERN), failure("", "streamName", MIN_LEN_1)])


def test_long_stream_name(kbridge):
    assert_validation(call(kbridge, ACTION, {"StreamName": LONG_NAME, "RetentionPeriodHours": 24}),
                      [failure(LONG_NAME, "streamName", MAX_LEN_128)])


def test_unknown_stream(kbridge):
    name = unique_name("inc-missing")
    assert_error(call(kbridge, ACTION, {"StreamName": name, "RetentionPeriodHours": 25}),
                 "ResourceNotFoundException", not_found(name))


def test_unknown_stream_with_too_short_period(kbridge):
    name = unique_name("inc-missing")
    assert_error(call(kbridge, ACTION, {"StreamName": name, "RetentionPeriodHours": 23}),
                 "ResourceNotFoundException", not_found(name))


@pytest.mark.parametrize("hours", [23, 1, 0, -1])
def test_too_short(kbridge, new_stream, kafka_bootstrap, hours):
    name = new_stream(1, prefix="inc-short")
    assert_error(call(kbridge, ACTION, {"StreamName": name, "RetentionPeriodHours": hours}),
                 "InvalidArgumentException",
                 "Minimum allowed retention period is 24 hours. "
                 f"Requested retention period ({hours} hours) is too short.")
    assert retention_ms(kafka_bootstrap, name, 24 * HOUR_MS) == 24 * HOUR_MS


@pytest.mark.parametrize("hours", [8761, 100000])
def test_too_long(kbridge, new_stream, kafka_bootstrap, hours):
    name = new_stream(1, prefix="inc-long")
    assert_error(call(kbridge, ACTION, {"StreamName": name, "RetentionPeriodHours": hours}),
                 "InvalidArgumentException",
                 "Maximum allowed retention period is 8760 hours. "
                 f"Requested retention period ({hours} hours) is too long.")
    assert retention_ms(kafka_bootstrap, name, 24 * HOUR_MS) == 24 * HOUR_MS
    assert retention_hours(kbridge, name) == 24


def test_increase_then_refuse_lower(kbridge, new_stream, kafka_bootstrap):
    name = new_stream(2, prefix="inc")
    status, body = call(kbridge, ACTION, {"StreamName": name, "RetentionPeriodHours": 25})
    assert status == 200, body
    assert retention_hours(kbridge, name) == 25
    assert retention_ms(kafka_bootstrap, name, 25 * HOUR_MS) == 25 * HOUR_MS
    # The same value again is fine.
    status, body = call(kbridge, ACTION, {"StreamName": name, "RetentionPeriodHours": 25})
    assert status == 200, body
    assert_error(call(kbridge, ACTION, {"StreamName": name, "RetentionPeriodHours": 24}),
                 "InvalidArgumentException",
                 f"Requested retention period (24 hours) for stream {name} can not be shorter than "
                 "existing retention period (25 hours). Use DecreaseRetentionPeriod API.")
    assert retention_hours(kbridge, name) == 25
    assert retention_ms(kafka_bootstrap, name, 25 * HOUR_MS) == 25 * HOUR_MS


def test_increase_to_maximum(kbridge, new_stream, kafka_bootstrap):
    name = new_stream(1, prefix="inc-max")
    status, body = call(kbridge, ACTION, {"StreamName": name, "RetentionPeriodHours": 8760})
    assert status == 200, body
    assert retention_hours(kbridge, name) == 8760
    assert retention_ms(kafka_bootstrap, name, 8760 * HOUR_MS) == 8760 * HOUR_MS


def test_increase_by_arn(kbridge, new_stream, kafka_bootstrap):
    name = new_stream(1, prefix="inc-arn")
    status, body = call(kbridge, ACTION, {"StreamARN": stream_arn(name), "RetentionPeriodHours": 72})
    assert status == 200, body
    assert retention_ms(kafka_bootstrap, name, 72 * HOUR_MS) == 72 * HOUR_MS


def test_arn_of_other_account_changes_nothing(kbridge, new_stream, kafka_bootstrap):
    name = new_stream(1, prefix="inc-other")
    arn = f"arn:aws:kinesis:{REGION}:111122223333:stream/{name}"
    status, body = call(kbridge, ACTION, {"StreamARN": arn, "RetentionPeriodHours": 72})
    assert (status, body.get("__type")) == (400, "ResourceNotFoundException"), body
    assert retention_ms(kafka_bootstrap, name, 24 * HOUR_MS) == 24 * HOUR_MS


def test_malformed_arn(kbridge):
    arn = "arn:aws:kinesis:us-east-1:000000000000:stream/"
    assert_validation(call(kbridge, ACTION, {"StreamARN": arn, "RetentionPeriodHours": 48}),
                      [failure(arn, "streamARN", ARN_PATTERN)])


def test_increase_right_after_create(kbridge, kafka_bootstrap):
    # CreateStream answers when the stream is ACTIVE, so the stream must take a retention change at
    # once (no waiting for Kafka's metadata in between).
    name = unique_name("inc-now")
    status, body = call(kbridge, "CreateStream", {"StreamName": name, "ShardCount": 4})
    assert status == 200, body
    try:
        status, body = call(kbridge, ACTION, {"StreamName": name, "RetentionPeriodHours": 30})
        assert status == 200, body
        assert retention_ms(kafka_bootstrap, name, 30 * HOUR_MS) == 30 * HOUR_MS
    finally:
        call(kbridge, "DeleteStream", {"StreamName": name})
