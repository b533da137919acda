"""ListShards against a real Kafka broker: errors, Kinesis's hash-key ranges, NextToken paging,
ShardFilter, StreamCreationTimestamp, StreamARN.

Facts: kinesalite's test/listShards.js and test/helpers.js (mhart/kinesalite); the API reference
(MaxResults default 1000; NextToken "unambiguously identifies the stream"); real service messages
quoted in aws/aws-cli#9635 ("NextToken and StreamARN cannot be provided together."),
awslabs/amazon-kinesis-scaling-utils#82 ("NextToken and ExclusiveStartShardId cannot be provided
together."), apache/beam#33478 ("NextToken and ShardFilter cannot be provided together.").
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


ACTION = "ListShards"
FILTER_TYPES = ("AFTER_SHARD_ID, AT_TRIM_HORIZON, FROM_TRIM_HORIZON, AT_LATEST, AT_TIMESTAMP, "
                "FROM_TIMESTAMP")


@pytest.mark.parametrize("path,type_", [
    ("StreamName", STRING), ("MaxResults", INTEGER), ("ExclusiveStartShardId", STRING),
    ("NextToken", STRING), ("StreamCreationTimestamp", TIMESTAMP), ("ShardFilter", STRUCTURE),
    ("ShardFilter.Type", STRING), ("ShardFilter.ShardId", STRING),
    ("ShardFilter.Timestamp", TIMESTAMP), ("StreamARN", STRING)])
def test_type_errors(kbridge, path, type_):
    check_type_errors(kbridge, ACTION, path, type_)


def test_neither_stream_nor_token(kbridge):
    assert_error(call(kbridge, ACTION, {}), "InvalidArgumentException",
                 "Either NextToken or StreamName should be provided.")


def test_empty_values(kbridge):
    body = {"StreamName": "", "NextToken": "", "MaxResults": 0, "ExclusiveStartShardId": ""}
    assert_validation(call(kbridge, ACTION, body), [
        failure(0, "maxResults", "Member must have value greater than or equal to 1"),
        failure("", "exclusiveStartShardId", NAME_PATTERN),
        failure("", "exclusiveStartShardId", MIN_LEN_1),
        failure("", "streamName", NAME_PATTERN),
        failure("", "streamName", MIN_LEN_1),
        failure("", "nextToken", MIN_LEN_1),
    ])


def test_long_values(kbridge):
    body = {"StreamName": LONG_NAME, "MaxResults": 100000, "ExclusiveStartShardId": LONG_NAME}
    assert_validation(call(kbridge, ACTION, body), [
        failure(100000, "maxResults", "Member must have value less than or equal to 10000"),
        failure(LONG_NAME, "exclusiveStartShardId", MAX_LEN_128),
        failure(LONG_NAME, "streamName", MAX_LEN_128),
    ])


def test_bad_shard_filter_type(kbridge):
    assert_validation(call(kbridge, ACTION, {"StreamName": "a", "ShardFilter": {"Type": "SOME"}}),
                      [failure("SOME", "shardFilter.type",
                               f"Member must satisfy enum value set: [{FILTER_TYPES}]")])


def test_shard_filter_without_type(kbridge):
    assert_validation(call(kbridge, ACTION, {"StreamName": "a", "ShardFilter": {}}),
                      [not_null("shardFilter.type")])


def test_stream_name_and_next_token(kbridge):
    name = unique_name("lsh")
    assert_error(call(kbridge, ACTION, {"StreamName": name, "NextToken": name}),
                 "InvalidArgumentException", "NextToken and StreamName cannot be provided together.")


def test_stream_arn_and_next_token(kbridge):
    name = unique_name("lsh")
    assert_error(call(kbridge, ACTION, {"StreamARN": stream_arn(name), "NextToken": name}),
                 "InvalidArgumentException", "NextToken and StreamARN cannot be provided together.")


@pytest.mark.parametrize("member,value", [
    ("ExclusiveStartShardId", "shardId-000000000001"),
    ("ShardFilter", {"Type": "AT_LATEST"}),
    ("StreamCreationTimestamp", 1700000000),
])
def test_next_token_with_other_member(kbridge, paged_token, member, value):
    assert_error(call(kbridge, ACTION, {"NextToken": paged_token, member: value}),
                 "InvalidArgumentException", f"NextToken and {member} cannot be provided together.")


@pytest.mark.parametrize("token", ["garbage", "bm90IGEgdG9rZW4=", "e30=", "AAAA"])
def test_garbage_next_token(kbridge, token):
    status, body = call(kbridge, ACTION, {"NextToken": token})
    assert (status, body.get("__type")) == (400, "InvalidArgumentException"), (status, body)


def test_unknown_stream(kbridge):
    name = unique_name("lsh-missing")
    assert_error(call(kbridge, ACTION, {"StreamName": name}), "ResourceNotFoundException",
                 not_found(name))


@pytest.fixture(scope="module")
def three(new_stream):
    return new_stream(3, prefix="lsh3")


@pytest.fixture(scope="module")
def many(new_stream):
    return new_stream(25, prefix="lsh25")


@pytest.fixture(scope="module")
def paged_token(kbridge, many):
    status, body = call(kbridge, ACTION, {"StreamName": many, "MaxResults": 10})
    assert status == 200, body
    return body["NextToken"]


def ids(body):
    return [s["ShardId"] for s in body["Shards"]]


def ranges(shards):
    return [(int(s["HashKeyRange"]["StartingHashKey"]), int(s["HashKeyRange"]["EndingHashKey"]))
            for s in shards]


def test_three_shards(kbridge, three):
    status, body = call(kbridge, ACTION, {"StreamName": three})
    assert status == 200, body
    assert set(body) == {"Shards"}, body
    for shard in body["Shards"]:
        start = shard["SequenceNumberRange"].pop("StartingSequenceNumber")
        assert re.fullmatch(r"\d+", start)
    assert body["Shards"] == [
        {"ShardId": "shardId-000000000000", "SequenceNumberRange": {},
         "HashKeyRange": {"StartingHashKey": "0",
                          "EndingHashKey": "113427455640312821154458202477256070484"}},
        {"ShardId": "shardId-000000000001", "SequenceNumberRange": {},
         "HashKeyRange": {"StartingHashKey": "113427455640312821154458202477256070485",
                          "EndingHashKey": "226854911280625642308916404954512140969"}},
        {"ShardId": "shardId-000000000002", "SequenceNumberRange": {},
         "HashKeyRange": {"StartingHashKey": "226854911280625642308916404954512140970",
                          "EndingHashKey": "340282366920938463463374607431768211455"}},
    ]


def test_exclusive_start_shard_id(kbridge, three):
    status, body = call(kbridge, ACTION, {"StreamName": three,
                                          "ExclusiveStartShardId": "shardId-000000000001"})
    assert status == 200, body
    assert ids(body) == [shard_id(2)]
    assert "NextToken" not in body


def test_25_shards_in_pages_of_10(kbridge, many):
    status, body = call(kbridge, ACTION, {"StreamName": many, "MaxResults": 10})
    assert status == 200, body
    seen, sizes = list(body["Shards"]), [len(body["Shards"])]
    while "NextToken" in body:
        status, body = call(kbridge, ACTION, {"NextToken": body["NextToken"], "MaxResults": 10})
        assert status == 200, body
        seen += body["Shards"]
        sizes.append(len(body["Shards"]))
        assert len(sizes) < 5
    assert sizes == [10, 10, 5]
    assert [s["ShardId"] for s in seen] == [shard_id(i) for i in range(25)]
    assert ranges(seen) == expected_hash_ranges(25)


def test_next_token_without_max_results_returns_the_rest(kbridge, paged_token):
    # MaxResults defaults to 1000 on every call, also one that continues with a NextToken.
    status, body = call(kbridge, ACTION, {"NextToken": paged_token})
    assert status == 200, body
    assert ids(body) == [shard_id(i) for i in range(10, 25)]
    assert "NextToken" not in body


def test_all_25_by_default(kbridge, many):
    status, body = call(kbridge, ACTION, {"StreamName": many})
    assert status == 200, body
    assert ids(body) == [shard_id(i) for i in range(25)]
    assert ranges(body["Shards"]) == expected_hash_ranges(25)
    assert "NextToken" not in body


def test_next_token_of_deleted_stream(kbridge, new_stream):
    name = new_stream(3, prefix="lsh-gone")
    status, body = call(kbridge, ACTION, {"StreamName": name, "MaxResults": 1})
    token = body["NextToken"]
    assert call(kbridge, "DeleteStream", {"StreamName": name})[0] == 200
    status, body = call(kbridge, ACTION, {"NextToken": token})
    assert status == 400 and body["__type"] in (
        "ResourceNotFoundException", "ExpiredNextTokenException", "InvalidArgumentException"), body


@pytest.mark.parametrize("filter_,expected", [
    ({"Type": "AFTER_SHARD_ID", "ShardId": "shardId-000000000000"}, [1, 2]),
    ({"Type": "AT_TRIM_HORIZON"}, [0, 1, 2]),
    ({"Type": "FROM_TRIM_HORIZON"}, [0, 1, 2]),
    ({"Type": "AT_LATEST"}, [0, 1, 2]),
    ({"Type": "AT_TIMESTAMP", "Timestamp": 1700000000}, [0, 1, 2]),
    ({"Type": "FROM_TIMESTAMP", "Timestamp": 1700000000}, [0, 1, 2]),
])
def test_shard_filter(kbridge, three, filter_, expected):
    status, body = call(kbridge, ACTION, {"StreamName": three, "ShardFilter": filter_})
    assert status == 200, body
    assert ids(body) == [shard_id(i) for i in expected]


def test_after_shard_id_filter_needs_shard_id(kbridge, three):
    status, body = call(kbridge, ACTION, {"StreamName": three,
                                          "ShardFilter": {"Type": "AFTER_SHARD_ID"}})
    assert (status, body.get("__type")) == (400, "InvalidArgumentException"), body


def test_stream_creation_timestamp_of_this_stream(kbridge, three):
    status, body = call(kbridge, "DescribeStreamSummary", {"StreamName": three})
    created = body["StreamDescriptionSummary"]["StreamCreationTimestamp"]
    status, body = call(kbridge, ACTION, {"StreamName": three, "StreamCreationTimestamp": created})
    assert status == 200, body
    assert ids(body) == [shard_id(i) for i in range(3)]


def test_by_arn(kbridge, three):
    status, body = call(kbridge, ACTION, {"StreamARN": stream_arn(three), "MaxResults": 2})
    assert status == 200, body
    assert ids(body) == [shard_id(0), shard_id(1)]
    assert "NextToken" in body


def test_arn_of_other_region(kbridge, three):
    arn = f"arn:aws:kinesis:ap-south-1:{ACCOUNT_ID}:stream/{three}"
    assert_error(call(kbridge, ACTION, {"StreamARN": arn}), "ResourceNotFoundException",
                 re.compile(re.escape(f"Stream {three} under account ") + r"\d{12} not found\."))


def test_malformed_arn(kbridge):
    arn = "arn:aws:kinesis:us-east-1:000000000000:streams"
    assert_validation(call(kbridge, ACTION, {"StreamARN": arn}),
                      [failure(arn, "streamARN", ARN_PATTERN)])
