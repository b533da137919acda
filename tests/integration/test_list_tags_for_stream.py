"""ListTagsForStream against a real Kafka broker.

Facts: kinesalite's test/listTagsForStream.js and test/helpers.js (mhart/kinesalite); the current
model (Limit 1..50; kinesalite's era had 10).
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
                 re.compile(re.escape(f"Stream {tagged} under account ") + r"\d{12} not found\."))
