"""RemoveTagsFromStream against a real Kafka broker.

Facts: kinesalite's test/removeTagsFromStream.js and test/helpers.js (mhart/kinesalite); the current
model (TagKeys 1..50; kinesalite's era had 10).
"""
import pytest

from kbridge_harness import REGION, stream_arn, unique_name
from kinesis_checks import (INVALID_TAG_CHARS, LIST, LONG_NAME, MAX_LEN_128, MIN_LEN_1,
                            NAME_PATTERN, STRING, assert_capped_at_ten, assert_error,
                            assert_validation, call, check_type_errors, failure,
                            illegal_tag_characters, not_found, not_null, tags_of)


ACTION = "RemoveTagsFromStream"

@pytest.mark.parametrize("path,type_", [
    ("TagKeys", LIST), ("TagKeys.0", STRING), ("StreamName", STRING), ("StreamARN", STRING)])
def test_type_errors(kbridge, path, type_):
    check_type_errors(kbridge, ACTION, path, type_)


def test_nothing_given(kbridge):
    # kinesalite also lists streamName: StreamName was required before StreamARN existed.
    assert_validation(call(kbridge, ACTION, {}), [not_null("tagKeys")])


def test_no_stream_name(kbridge):
    assert_validation(call(kbridge, ACTION, {"TagKeys": ["a"]}), [not_null("streamName")])


def test_empty_values(kbridge):
    assert_validation(call(kbridge, ACTION, {"StreamName": "", "TagKeys": []}), [
        failure("[]", "tagKeys", MIN_LEN_1),
        failure("", "streamName", NAME_PATTERN),
        failure("", "streamName", MIN_LEN_1),
    ])


def test_long_stream_name(kbridge):
    assert_validation(call(kbridge, ACTION, {"StreamName": LONG_NAME, "TagKeys": ["a"]}),
                      [failure(LONG_NAME, "streamName", MAX_LEN_128)])


def test_long_tag_key(kbridge):
    long_key = "a" * 129
    assert_validation(call(kbridge, ACTION, {"StreamName": unique_name("rt"),
                                             "TagKeys": ["a", long_key, "b"]}),
                      [failure(f"[a, {long_key}, b]", "tagKeys",
                               "Member must satisfy constraint: [Member must have length less than "
                               "or equal to 128, Member must have length greater than or equal to 1]")])


def test_too_many_tag_keys(kbridge):
    keys = [str(i) for i in range(1, 52)]
    assert_validation(call(kbridge, ACTION, {"StreamName": unique_name("rt"), "TagKeys": keys}),
                      [failure("[" + ", ".join(keys) + "]", "tagKeys",
                               "Member must have length less than or equal to 50")])


def test_more_than_ten_errors_are_capped_at_ten(kbridge):
    assert_capped_at_ten(call(kbridge, ACTION, {"StreamName": "", "TagKeys": [None] * 15}))


def test_unknown_stream(kbridge):
    name = unique_name("rt-missing")
    assert_error(call(kbridge, ACTION, {"StreamName": name, "TagKeys": [";"]}),
                 "ResourceNotFoundException", not_found(name))


@pytest.fixture(scope="module")
def stream(kbridge, new_stream):
    name = new_stream(1, prefix="rt")
    status, body = call(kbridge, "AddTagsToStream", {"StreamName": name, "Tags": {"keep": "1"}})
    assert status == 200, body
    return name


@pytest.mark.parametrize("key", ["abc;def", "abc\tdef", "abc\ndef", "abc,def"])
def test_invalid_characters(kbridge, stream, key):
    assert_error(call(kbridge, ACTION, {"StreamName": stream, "TagKeys": [key]}),
                 "InvalidArgumentException", INVALID_TAG_CHARS)


def test_percent(kbridge, stream):
    assert_error(call(kbridge, ACTION, {"StreamName": stream, "TagKeys": ["abc%def"]}),
                 "InvalidArgumentException", illegal_tag_characters(stream, "remove tags from"))
    assert tags_of(kbridge, stream, complete=False) == {"keep": "1"}


def test_keys_that_are_not_set(kbridge, stream):
    status, body = call(kbridge, ACTION, {"StreamName": stream, "TagKeys": ["ü0 _.", "/=+-@"]})
    assert status == 200, body
    assert tags_of(kbridge, stream, complete=False) == {"keep": "1"}


def test_add_and_remove(kbridge, new_stream):
    name = new_stream(1, prefix="rt-fun")
    status, body = call(kbridge, "AddTagsToStream",
                        {"StreamName": name, "Tags": {"a": "a", "ü0 _.": "a", "/=+-@": "a"}})
    assert status == 200, body
    status, body = call(kbridge, ACTION, {"StreamName": name,
                                          "TagKeys": ["ü0 _.", "/=+-@", "b", "c"]})
    assert status == 200, body
    assert tags_of(kbridge, name, complete=False) == {"a": "a"}
    status, body = call(kbridge, ACTION, {"StreamARN": stream_arn(name), "TagKeys": ["a"]})
    assert status == 200, body
    assert tags_of(kbridge, name, complete=False) == {}


def test_arn_of_other_account(kbridge, stream):
    arn = f"arn:aws:kinesis:{REGION}:111122223333:stream/{stream}"
    status, body = call(kbridge, ACTION, {"StreamARN": arn, "TagKeys": ["keep"]})
    assert (status, body.get("__type")) == (400, "ResourceNotFoundException"), body
    assert tags_of(kbridge, stream, complete=False) == {"keep": "1"}
