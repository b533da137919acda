"""AddTagsToStream against a real Kafka broker.

Facts: kinesalite's test/addTagsToStream.js and test/helpers.js (mhart/kinesalite); the current
model (TagMap 1..200 entries per call) and service limit (50 tags per stream; kinesalite's era had 10).
"""
import re

import pytest

from kbridge_harness import ACCOUNT_ID, REGION, stream_arn, unique_name
from kinesis_checks import (INVALID_TAG_CHARS, LONG_NAME, MAP, MAX_LEN_128, MIN_LEN_1, NAME_PATTERN,
                            STRING, assert_error, assert_validation, call, check_type_errors,
                            failure, illegal_tag_characters, not_found, not_null, tags_of)


ACTION = "AddTagsToStream"

@pytest.mark.parametrize("path,type_", [
    ("Tags", MAP), ("Tags.a", STRING), ("StreamName", STRING), ("StreamARN", STRING)])
def test_type_errors(kbridge, path, type_):
    check_type_errors(kbridge, ACTION, path, type_)


def test_nothing_given(kbridge):
    # kinesalite also lists streamName: StreamName was required before StreamARN existed.
    assert_validation(call(kbridge, ACTION, {}), [not_null("tags")])


def test_no_stream_name(kbridge):
    assert_validation(call(kbridge, ACTION, {"Tags": {"a": "b"}}), [not_null("streamName")])


def test_empty_values(kbridge):
    assert_validation(call(kbridge, ACTION, {"StreamName": "", "Tags": {}}), [
        failure("{}", "tags", MIN_LEN_1),
        failure("", "streamName", NAME_PATTERN),
        failure("", "streamName", MIN_LEN_1),
    ])


def test_long_stream_name(kbridge):
    assert_validation(call(kbridge, ACTION, {"StreamName": LONG_NAME, "Tags": {"a;b": "b"}}),
                      [failure(LONG_NAME, "streamName", MAX_LEN_128)])


def test_long_tag_key(kbridge):
    long_key = "a" * 129
    assert_validation(call(kbridge, ACTION, {"StreamName": unique_name("at"),
                                             "Tags": {"a": "1", "b": "2", long_key: "3"}}),
                      re.compile(r"1 validation error detected: Value '\{[ab12, =]*" + long_key +
                                 r"=3[ab12, =]*\}' at 'tags' failed to satisfy constraint: Map keys "
                                 r"must satisfy constraint: \[Member must have length less than or "
                                 r"equal to 128, Member must have length greater than or equal to 1\]"))


def test_long_tag_value(kbridge):
    long_value = "a" * 257
    assert_validation(call(kbridge, ACTION, {"StreamName": unique_name("at"),
                                             "Tags": {"a": "1", "b": "2", "c": long_value}}),
                      re.compile(r"1 validation error detected: Value '\{[ab12, =]*c=" + long_value +
                                 r"[ab12, =]*\}' at 'tags' failed to satisfy constraint: Map value "
                                 r"must satisfy constraint: \[Member must have length less than or "
                                 r"equal to 256, Member must have length greater than or equal to 0\]"))


def test_too_many_tags_in_one_call(kbridge):
    tags = {f"k{i}": "v" for i in range(201)}
    assert_validation(call(kbridge, ACTION, {"StreamName": unique_name("at"), "Tags": tags}),
                      re.compile(r"1 validation error detected: Value '\{[kv0-9, =]+\}' at 'tags' "
                                 r"failed to satisfy constraint: Member must have length less than "
                                 r"or equal to 200"))


def test_unknown_stream(kbridge):
    name = unique_name("at-missing")
    assert_error(call(kbridge, ACTION, {"StreamName": name, "Tags": {"a": "b"}}),
                 "ResourceNotFoundException", not_found(name))


def test_unknown_stream_with_bad_characters(kbridge):
    name = unique_name("at-missing")
    assert_error(call(kbridge, ACTION, {"StreamName": name, "Tags": {"a;b": "b"}}),
                 "ResourceNotFoundException", not_found(name))


@pytest.fixture(scope="module")
def stream(new_stream):
    return new_stream(1, prefix="at")


@pytest.mark.parametrize("tags", [
    {"abc;def": "1"}, {"abc\tdef": "1"}, {"abc\ndef": "1"}, {"abc,def": "1"},
    {"a": "abc;def"}, {"a": "abc\tdef"}, {"a": "abc\ndef"}, {"a": "abc,def"},
])
def test_invalid_characters(kbridge, stream, tags):
    assert_error(call(kbridge, ACTION, {"StreamName": stream, "Tags": tags}),
                 "InvalidArgumentException", INVALID_TAG_CHARS)
    assert tags_of(kbridge, stream) == {}


@pytest.mark.parametrize("tags", [{"abc%def": "1"}, {"a": "abc%def"}])
def test_percent(kbridge, stream, tags):
    assert_error(call(kbridge, ACTION, {"StreamName": stream, "Tags": tags}),
                 "InvalidArgumentException", illegal_tag_characters(stream))
    assert tags_of(kbridge, stream) == {}


def test_add_overwrite_and_limit(kbridge, new_stream):
    name = new_stream(1, prefix="at-fun")
    first = {"a": "a", "ü0 _.": "a", "/=+-@": "a", "b": "ü0 _./=+-@", "c": ""}
    status, body = call(kbridge, ACTION, {"StreamName": name, "Tags": first})
    assert status == 200, body
    assert tags_of(kbridge, name) == first
    status, body = call(kbridge, ACTION, {"StreamName": name, "Tags": {"a": "b"}})
    assert status == 200, body
    assert tags_of(kbridge, name) == {**first, "a": "b"}
    # 5 + 45 = 50 tags is the most a stream can have.
    status, body = call(kbridge, ACTION, {"StreamName": name,
                                          "Tags": {f"t{i:02d}": "x" for i in range(45)}})
    assert status == 200, body
    assert_error(call(kbridge, ACTION, {"StreamName": name, "Tags": {"one-more": "x"}}),
                 "InvalidArgumentException",
                 f"Failed to add tags to stream {name} under account {ACCOUNT_ID} because a given "
                 "stream cannot have more than 50 tags associated with it.")
    # Overwriting an existing key does not add a tag.
    status, body = call(kbridge, ACTION, {"StreamName": name, "Tags": {"t00": "y"}})
    assert status == 200, body
    status, body = call(kbridge, "ListTagsForStream", {"StreamName": name, "Limit": 50})
    assert len(body["Tags"]) == 50 and body["HasMoreTags"] is False


def test_add_by_arn(kbridge, new_stream):
    name = new_stream(1, prefix="at-arn")
    status, body = call(kbridge, ACTION, {"StreamARN": stream_arn(name), "Tags": {"k": "v"}})
    assert status == 200, body
    assert tags_of(kbridge, name) == {"k": "v"}


def test_arn_of_other_account(kbridge, stream):
    arn = f"arn:aws:kinesis:{REGION}:111122223333:stream/{stream}"
    status, body = call(kbridge, ACTION, {"StreamARN": arn, "Tags": {"k": "v"}})
    assert (status, body.get("__type")) == (400, "ResourceNotFoundException"), body
    assert tags_of(kbridge, stream) == {}
