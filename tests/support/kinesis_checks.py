"""Checks shared by the per-action integration tests (tests/integration/test_<action>.py).

Facts from kinesalite's test suite (mhart/kinesalite test/helpers.js: assertType / assertValidation /
assert* helpers) and from the real service's messages quoted in the test files.

- Coral's SerializationException text per declared type (TYPE_CASES) and check_type_errors();
- assert_error() / assert_validation() and the pieces of Kinesis's validation messages;
- call(): one signed JSON request, (status, decoded body);
- topic_of() / retention_ms(): Kafka's view of a stream's topic, waiting for the brokers to show it;
- the `new_stream` fixture (tests/integration/conftest.py makes it available to every test file).
"""
import json
import re

import pytest

from kbridge_harness import ACCOUNT_ID, kafka_topic, raw_call, unique_name, wait_for

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


def not_found_in_any_account(name):
    """Stream `name` not found under some 12-digit account (an ARN naming another account/region)."""
    return re.compile(re.escape(f"Stream {name} under account ") + r"\d{12} not found\.")


def assert_capped_at_ten(response):
    """A ValidationException for a request with more than ten failures: it lists exactly ten
    (Coral's cap)."""
    status, body = response
    assert status == 400 and body["__type"] == "ValidationException", (status, body)
    assert body["message"].startswith("10 validation errors detected: "), body["message"]
    assert body["message"].count("failed to satisfy constraint") == 10, body["message"]


# --- tags ----------------------------------------------------------------------------------------

INVALID_TAG_CHARS = ("Some tags contain invalid characters. Valid characters: Unicode letters, digits, "
                     "white space, _ . / = + - % @.")


def illegal_tag_characters(name, operation="add tags to"):
    """The InvalidArgumentException text for a '%' in a tag; `operation` is "add tags to" (also
    CreateStream's) or "remove tags from"."""
    return (f"Failed to {operation} stream {name} under account {ACCOUNT_ID} because some tags "
            "contained illegal characters. The allowed characters are Unicode letters, "
            "white-spaces, '_',',','/','=','+','-','@'.")


def tags_of(kbridge, name, complete=True):
    """The stream's tags as a dict (one ListTagsForStream call); with `complete`, that one page must
    hold them all (HasMoreTags false)."""
    status, body = call(kbridge, "ListTagsForStream", {"StreamName": name})
    assert status == 200, body
    if complete:
        assert body["HasMoreTags"] is False
    return {t["Key"]: t["Value"] for t in body["Tags"]}


# --- retention -----------------------------------------------------------------------------------

HOUR_MS = 3_600_000


def retention_ms(kafka_bootstrap, name, expected=None):
    """The topic's retention.ms; with `expected`, waits (up to 15 s) for Kafka's brokers to show it:
    a config change is applied by the brokers shortly after the controller accepted it."""
    read = lambda: int(topic_of(kafka_bootstrap, name)["configs"]["retention.ms"])  # noqa: E731
    if expected is not None:
        try:
            wait_for(lambda: read() == expected, timeout=15, interval=0.3,
                     what=f"retention.ms {expected} on {name}")
        except AssertionError:
            pass  # the comparison below reports the value
    return read()


def retention_hours(kbridge, name):
    status, body = call(kbridge, "DescribeStreamSummary", {"StreamName": name})
    assert status == 200, body
    return body["StreamDescriptionSummary"]["RetentionPeriodHours"]
