"""ListTagsForStream against a real Kafka broker.

Facts: kinesalite's test/listTagsForStream.js and test/helpers.js (mhart/kinesalite); the current
model (Limit 1..50; kinesalite's era had 10).
"""
import pytest

from kbridge_harness import REGION, stream_arn, unique_name
from kinesis_checks import (INTEGER, LONG_NAME, MAX_LEN_128, MIN_LEN_1, NAME_PATTERN, STRING,
                            assert_error, assert_validation, call, check_type_errors, failure,
                            not_found, not_found_in_any_account, not_null)


ACTION = "ListTagsForStream"


@pytest.mark.parametrize("path,type_", [
    ("Limit", INTEGER), ("ExclusiveStartTagKey", STRING), ("StreamName", STRING),
    ("StreamARN", STRING)])
def test_type_errors(kbridge, path, type_):
    check_type_errors(kbridge, ACTION, path, type_)


def test_no_stream_name(kbridge):
    assert_validation(call(kbridge, ACTION, {}), [not_null("streamName")])


def test_empty_values(kbridge):
    assert_validation(call(kbridge, ACTION, {"StreamName": "", "ExclusiveStartTagKey": "", "Limit": 0}), [
        failure(0, "limit", "Member must have value greater than or equal to 1"),
        failure("", "exclusiveStartTagKey", MIN_LEN_1),
        failure("", "streamName", NAME_PATTERN),
        failure("", "streamName", MIN_LEN_1),
    ])


def test_long_values(kbridge):
    body = {"StreamName": LONG_NAME, "ExclusiveStartTagKey": LONG_NAME, "Limit": 100}
    assert_validation(call(kbridge, ACTION, body), [
        failure(100, "limit", "Member must have value less than or equal to 50"),
        failure(LONG_NAME, "exclusiveStartTagKey", MAX_LEN_128),
        failure(LONG_NAME, "streamName", MAX_LEN_128),
    ])


def test_unknown_stream(kbridge):
    name = unique_name("lt-missing")
    assert_error(call(kbridge, ACTION, {"StreamName": name, "ExclusiveStartTagKey": "a", "Limit": 1}),
                 "ResourceNotFoundException", not_found(name))


@pytest.fixture(scope="module")
def untagged(new_stream):
    return new_stream(1, prefix="lt-none")


@pytest.fixture(scope="module")
def tagged(kbridge, new_stream):
    name = new_stream(1, prefix="lt")
    tags = {"a": "b", " ": "a", "ÿ": "a", "_": "a", "/": "a", "=": "a", "+": "a", "Zb": "z",
            "0": "a", "@": "a"}
    status, body = call(kbridge, "AddTagsToStream", {"StreamName": name, "Tags": tags})
    assert status == 200, body
    return name


def test_empty_by_default(kbridge, untagged):
    assert call(kbridge, ACTION, {"StreamName": untagged}) == (200, {"Tags": [], "HasMoreTags": False})


def test_empty_with_limit_and_start(kbridge, untagged):
    assert call(kbridge, ACTION, {"StreamName": untagged, "ExclusiveStartTagKey": "a", "Limit": 1}) == (
        200, {"Tags": [], "HasMoreTags": False})


def test_alphabetical_order(kbridge, tagged):
    status, body = call(kbridge, ACTION, {"StreamName": tagged})
    assert status == 200, body
    assert body == {"Tags": [
        {"Key": " ", "Value": "a"}, {"Key": "+", "Value": "a"}, {"Key": "/", "Value": "a"},
        {"Key": "0", "Value": "a"}, {"Key": "=", "Value": "a"}, {"Key": "@", "Value": "a"},
        {"Key": "Zb", "Value": "z"}, {"Key": "_", "Value": "a"}, {"Key": "a", "Value": "b"},
        {"Key": "ÿ", "Value": "a"}], "HasMoreTags": False}


def test_start_key_and_limit(kbridge, tagged):
    status, body = call(kbridge, ACTION, {"StreamName": tagged, "ExclusiveStartTagKey": "@", "Limit": 2})
    assert (status, body) == (200, {"Tags": [{"Key": "Zb", "Value": "z"}, {"Key": "_", "Value": "a"}],
                                    "HasMoreTags": True})


def test_start_key_that_is_not_a_tag(kbridge, tagged):
    status, body = call(kbridge, ACTION, {"StreamName": tagged,
                                          "ExclusiveStartTagKey": "$Z%*(*&@,,.,,ZAC"})
    assert status == 200, body
    assert [t["Key"] for t in body["Tags"]] == ["+", "/", "0", "=", "@", "Zb", "_", "a", "ÿ"]
    status, body = call(kbridge, ACTION, {"StreamName": tagged,
                                          "ExclusiveStartTagKey": "Za$Z%*(*&@,,.,,"})
    assert status == 200, body
    assert body == {"Tags": [{"Key": "Zb", "Value": "z"}, {"Key": "_", "Value": "a"},
                             {"Key": "a", "Value": "b"}, {"Key": "ÿ", "Value": "a"}],
                    "HasMoreTags": False}


def test_by_arn(kbridge, tagged):
    status, body = call(kbridge, ACTION, {"StreamARN": stream_arn(tagged), "Limit": 1})
    assert (status, body) == (200, {"Tags": [{"Key": " ", "Value": "a"}], "HasMoreTags": True})


def test_arn_of_other_account(kbridge, tagged):
    arn = f"arn:aws:kinesis:{REGION}:111122223333:stream/{tagged}"
    assert_error(call(kbridge, ACTION, {"StreamARN": arn}), "ResourceNotFoundException",
                 not_found_in_any_account(tagged))
