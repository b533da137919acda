"""ListStreams against a real Kafka broker: validation, StreamSummaries, and paging by
ExclusiveStartStreamName and NextToken (only over streams with this module's unique prefix: other
test files run at the same time against the same broker).

Facts: kinesalite's test/listStreams.js and test/helpers.js (mhart/kinesalite); the API reference
(NextToken, StreamSummaries, Limit 1-10000).
"""
import json
import re
import time

import pytest

from kbridge_harness import (ACCOUNT_ID, REGION, expected_hash_ranges, kafka_topic,  # noqa: F401
                             kafka_topic_exists, raw_call, shard_id, stream_arn, unique_name,
                             wait_for)

# --- checks shared by the test_<action>.py files (the same block in each; facts from kinesalite's
# test suite, mhart/kinesalite test/helpers.js: assertType / assertValidation / assert* helpers) ---

STRING, INTEGER, LONG, BOOLEAN, TIMESTAMP, LIST, MAP, STRUCTURE = (
    "String", "Integer", "Long", "Boolean", "Timestamp", "List", "Map", "Structure")
_NUM = "class com.amazon.coral.value.json.numbers.TruncatingBigNumber"
_LIST = "Start of list found where not expected"
_MAP = "Start of structure or map found where not expected."
# Coral's SerializationException text for a value of the wrong JSON type, per declared type.
TYPE_CASES = {
    STRING: [(True, "class java.lang.Boolean can not be converted to an String"),
             (23, f"{_NUM} can not be converted to an String"),
             (-2147483648, f"{_NUM} can not be converted to an String"),
             (2147483648, f"{_NUM} can not be converted to an String"),
             (34.56, f"{_NUM} can not be converted to an String"),
             ([], _LIST), ({}, _MAP)],
    INTEGER: [("23", "class java.lang.String can not be converted to an Integer"),
              (True, "class java.lang.Boolean can not be converted to an Integer"),
              ([], _LIST), ({}, _MAP)],
    LONG: [("23", "class java.lang.String can not be converted to an Long"),
           (True, "class java.lang.Boolean can not be converted to an Long"),
           ([], _LIST), ({}, _MAP)],
    BOOLEAN: [("23", "'23' can not be converted to an Boolean"),
              (23, f"{_NUM} can not be converted to an Boolean"),
              (-2147483648, f"{_NUM} can not be converted to an Boolean"),
              (2147483648, f"{_NUM} can not be converted to an Boolean"),
              ([], _LIST), ({}, _MAP)],
    TIMESTAMP: [("23", "class java.lang.String can not be converted to milliseconds since epoch"),
                (True, "class java.lang.Boolean can not be converted to milliseconds since epoch"),
                ([], _LIST), ({}, _MAP)],
    LIST: [(v, "Expected list or null") for v in ("23", True, 23, -2147483648, 2147483648, 34.56)]
          + [({}, _MAP)],
    MAP: [(v, "Expected map or null") for v in ("23", True, 23, -2147483648, 2147483648, 34.56)]
         + [([], _LIST)],
    STRUCTURE: [(v, "Expected null") for v in ("23", True, 23, -2147483648, 2147483648, 34.56)]
               + [([], _LIST)],
}


def call(kb, action, body):
    """(status, decoded body) of one signed JSON request."""
    status, _, payload = raw_call(kb.endpoint, action, body)
    return status, payload


def nested(path, value):
    """{"A": {"b": value}} for "A.b"; a "0" piece makes a list ("TagKeys.0" -> {"TagKeys": [value]})."""
    pieces = path.split(".")
    root = {}
    node = root
    for i, piece in enumerate(pieces):
        last = i == len(pieces) - 1
        child = value if last else ([] if pieces[i + 1] == "0" else {})
        if isinstance(node, list):
            node.append(child)
        else:
            node[piece] = child
        node = child
    return root


def check_type_errors(kb, action, path, type_):
    """Every wrong-typed value of `path` gets 400 SerializationException with Coral's text."""
    wrong = []
    for value, message in TYPE_CASES[type_]:
        body = nested(path, value)
        status, payload = call(kb, action, body)
        payload = payload if isinstance(payload, dict) else {}
        # Real Kinesis spells this member "Message" (capital M) for SerializationException;
        # test_protocol.py checks the spelling, here only the text counts.
        got = payload.get("Message", payload.get("message"))
        if (status, payload.get("__type"), got) != (400, "SerializationException", message):
            wrong.append(f"{json.dumps(body)} -> {status} {payload!r}; expected 400 "
                         f"SerializationException {message!r}")
    assert not wrong, "\n".join(wrong)


def assert_error(response, type_, message, status=400):
    got_status, body = response
    assert isinstance(body, dict), f"expected a JSON error body, got {got_status} {body!r}"
    got = (got_status, body.get("__type"), body.get("message"))
    if isinstance(message, re.Pattern):
        assert got[:2] == (status, type_) and message.fullmatch(got[2] or ""), \
            f"got {got}; expected {(status, type_, message.pattern)}"
    else:
        assert got == (status, type_, message), f"got {got}; expected {(status, type_, message)}"


def assert_validation(response, failures):
    """ValidationException listing exactly `failures` (any order, as kinesalite's assertValidation),
    or matching a compiled pattern."""
    status, body = response
    assert isinstance(body, dict) and body.get("__type") == "ValidationException", (status, body)
    message = body.get("message", "")
    if isinstance(failures, re.Pattern):
        assert failures.fullmatch(message), f"{message!r} does not match {failures.pattern!r}"
    else:
        n = len(failures)
        prefix = f"{n} validation error{'s' if n > 1 else ''} detected: "
        assert message.startswith(prefix), f"{message!r} should start with {prefix!r}"
        rest, left = message[len(prefix):], list(failures)
        while left:
            match = next((f for f in left if rest.startswith(f)), None)
            assert match is not None, f"unexpected failure text {rest!r}; expected one of {left}"
            left.remove(match)
            rest = rest[len(match):]
            if rest.startswith("; "):
                rest = rest[2:]
        assert rest == "", f"more failures than expected: {rest!r}"
    assert status == 400, status


def not_null(field):
    return f"Value null at '{field}' failed to satisfy constraint: Member must not be null"


def failure(value, field, constraint):
    return f"Value '{value}' at '{field}' failed to satisfy constraint: {constraint}"


NAME_PATTERN = "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
ARN_PATTERN = r"Member must satisfy regular expression pattern: arn:aws.*:kinesis:.*:\d{12}:stream/\S+"
MIN_LEN_1 = "Member must have length greater than or equal to 1"
MAX_LEN_128 = "Member must have length less than or equal to 128"
LONG_NAME = "a" * 129


def not_found(name, account=ACCOUNT_ID):
    return f"Stream {name} under account {account} not found."


def topic_of(kafka_bootstrap, name, timeout=20):
    """Kafka's view of a stream's topic; waits while the broker still reports it without leaders
    (kafka_topic answers None then, as for a missing topic)."""
    return wait_for(lambda: kafka_topic(kafka_bootstrap, name), timeout=timeout,
                    what=f"Kafka topic {name}")


@pytest.fixture(scope="module")
def new_stream(kbridge, kafka_bootstrap):
    """Creates streams for the module (unique names) and deletes them when the module ends."""
    created = []

    def create(shards=1, prefix="it", name=None, **extra):
        name = name or unique_name(prefix)
        body = {"StreamName": name, **extra}
        if shards is not None:
            body["ShardCount"] = shards
        status, payload = call(kbridge, "CreateStream", body)
        assert status == 200, (status, payload)
        created.append(name)
        wait_for(lambda: call(kbridge, "DescribeStreamSummary", {"StreamName": name})[1]
                 .get("StreamDescriptionSummary", {}).get("StreamStatus") == "ACTIVE",
                 timeout=30, what=f"{name} ACTIVE")
        topic_of(kafka_bootstrap, name)
        return name

    yield create
    for name in created:
        call(kbridge, "DeleteStream", {"StreamName": name})
# --- end of shared checks ---


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
