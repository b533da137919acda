"""ListStreams against a real Kafka broker: validation, StreamSummaries, and paging by
ExclusiveStartStreamName and NextToken (only over streams with this module's unique prefix: other
test files run at the same time against the same broker).

Facts: kinesalite's test/listStreams.js and test/helpers.js (mhart/kinesalite); the API reference
(NextToken, StreamSummaries, Limit 1-10000).
"""
import time

import pytest

from kbridge_harness import stream_arn, unique_name
from kinesis_checks import (INTEGER, LONG_NAME, MAX_LEN_128, MIN_LEN_1, NAME_PATTERN, STRING,
                            assert_validation, call, check_type_errors, failure)


ACTION = "ListStreams"


@pytest.mark.parametrize("path,type_", [
    ("Limit", INTEGER), ("ExclusiveStartStreamName", STRING), ("NextToken", STRING)])
def test_type_errors(kbridge, path, type_):
    check_type_errors(kbridge, ACTION, path, type_)


def test_empty_values(kbridge):
    assert_validation(call(kbridge, ACTION, {"ExclusiveStartStreamName": "", "Limit": 0}), [
        failure(0, "limit", "Member must have value greater than or equal to 1"),
        failure("", "exclusiveStartStreamName", NAME_PATTERN),
        failure("", "exclusiveStartStreamName", MIN_LEN_1),
    ])


def test_long_values(kbridge):
    assert_validation(call(kbridge, ACTION, {"ExclusiveStartStreamName": LONG_NAME, "Limit": 1000000}), [
        failure(1000000, "limit", "Member must have value less than or equal to 10000"),
        failure(LONG_NAME, "exclusiveStartStreamName", MAX_LEN_128),
    ])


def test_empty_next_token(kbridge):
    assert_validation(call(kbridge, ACTION, {"NextToken": ""}),
                      [failure("", "nextToken", MIN_LEN_1)])


@pytest.mark.parametrize("token", ["garbage", "bm90IGEgdG9rZW4=", "e30="])
def test_garbage_next_token(kbridge, token):
    status, body = call(kbridge, ACTION, {"NextToken": token})
    assert (status, body.get("__type")) == (400, "InvalidArgumentException"), (status, body)


@pytest.fixture(scope="module")
def mine(new_stream):
    """Five streams named <prefix>-0 .. <prefix>-4; nothing else sorts between them."""
    prefix = unique_name("lst")
    names = [new_stream(1, name=f"{prefix}-{i}") for i in range(5)]
    return prefix, names


def test_all_streams_include_mine(kbridge, mine):
    _, names = mine
    status, body = call(kbridge, ACTION, {"Limit": 10000})
    assert status == 200, body
    assert set(names) <= set(body["StreamNames"])
    assert body["StreamNames"] == sorted(body["StreamNames"])
    assert body["HasMoreStreams"] is False
    summaries = {s["StreamName"]: s for s in body["StreamSummaries"]}
    assert [s["StreamName"] for s in body["StreamSummaries"]] == body["StreamNames"]
    for name in names:
        summary = dict(summaries[name])
        created = summary.pop("StreamCreationTimestamp")
        assert abs(created - time.time()) < 300
        assert summary == {"StreamName": name, "StreamARN": stream_arn(name),
                           "StreamStatus": "ACTIVE",
                           "StreamModeDetails": {"StreamMode": "PROVISIONED"}}


def test_single_stream_after_exclusive_start(kbridge, mine):
    _, names = mine
    # names[1] + "z" is no stream and sorts between names[1] and names[2].
    status, body = call(kbridge, ACTION, {"ExclusiveStartStreamName": names[1] + "z", "Limit": 1})
    assert status == 200, body
    assert body["StreamNames"] == [names[2]]
    assert body["HasMoreStreams"] is True


def test_exclusive_start_pages(kbridge, mine):
    prefix, names = mine
    got, start = [], prefix
    for _ in range(3):
        status, body = call(kbridge, ACTION, {"ExclusiveStartStreamName": start, "Limit": 2})
        assert status == 200, body
        assert len(body["StreamNames"]) <= 2
        got += body["StreamNames"]
        start = body["StreamNames"][-1]
    assert got[:5] == names


def test_next_token_pages(kbridge, mine):
    prefix, names = mine
    status, body = call(kbridge, ACTION, {"ExclusiveStartStreamName": prefix, "Limit": 2})
    assert status == 200, body
    assert body["StreamNames"] == names[:2] and body["HasMoreStreams"] is True
    assert [s["StreamName"] for s in body["StreamSummaries"]] == names[:2]
    token = body.get("NextToken")
    assert isinstance(token, str) and token, body
    status, body = call(kbridge, ACTION, {"NextToken": token, "Limit": 2})
    assert status == 200, body
    assert body["StreamNames"] == names[2:4] and body["HasMoreStreams"] is True
    status, body = call(kbridge, ACTION, {"NextToken": body["NextToken"], "Limit": 2})
    assert status == 200, body
    assert body["StreamNames"][0] == names[4]


def test_last_page_has_no_next_token(kbridge, mine):
    _, names = mine
    status, body = call(kbridge, ACTION, {"ExclusiveStartStreamName": names[-1], "Limit": 10000})
    assert status == 200, body
    assert body["HasMoreStreams"] is False
    assert "NextToken" not in body
    assert names[-1] not in body["StreamNames"]


def test_deleted_stream_is_not_listed(kbridge, new_stream):
    name = new_stream(1, prefix="lst-del")
    assert call(kbridge, "DeleteStream", {"StreamName": name})[0] == 200
    status, body = call(kbridge, ACTION, {"ExclusiveStartStreamName": name[:-1], "Limit": 1})
    assert name not in body["StreamNames"]
