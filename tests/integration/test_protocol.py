"""HTTP-level behaviour of the Kinesis endpoint: methods, X-Amz-Target, Content-Type, bodies that are
not a JSON object, CBOR, the body size limit, unknown and unimplemented operations.

Facts: kinesalite's test/connection.js and index.js (mhart/kinesalite), which record what real
Kinesis answers before authentication is even looked at.
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


import http.client  # noqa: E402
import socket  # noqa: E402
import threading  # noqa: E402
import urllib.parse  # noqa: E402

import cbor2  # noqa: E402

AMZ_JSON = "application/x-amz-json-1.1"
AMZ_CBOR = "application/x-amz-cbor-1.1"
TARGET = "Kinesis_20131202."
ACCESS_DENIED_XML = ("<AccessDeniedException>\n  <Message>Unable to determine service/operation name "
                     "to be authorized</Message>\n</AccessDeniedException>\n")
UNKNOWN_OPERATION_XML = "<UnknownOperationException/>\n"
MAX_BODY = 12 * 1024 * 1024


def send(kb, method="POST", headers=None, body=b"", path="/"):
    """One raw request; returns (status, lower-cased headers, raw body bytes)."""
    parts = urllib.parse.urlsplit(kb.endpoint)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request(method, path, body=body if method != "GET" or body else None,
                     headers=headers or {})
        response = conn.getresponse()
        return (response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    finally:
        conn.close()


def post(kb, target=None, content_type=AMZ_JSON, body=b"{}"):
    headers = {}
    if target is not None:
        headers["X-Amz-Target"] = target
    if content_type is not None:
        headers["Content-Type"] = content_type
    return send(kb, headers=headers, body=body)


def as_json(response, status):
    got_status, headers, raw = response
    assert got_status == status, (got_status, headers, raw)
    assert headers.get("content-type") == AMZ_JSON, headers
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
                        headers.get("x-amzn-requestid", "")), headers
    return json.loads(raw)


def as_cbor(response, status):
    got_status, headers, raw = response
    assert got_status == status, (got_status, headers, raw)
    assert headers.get("content-type") == AMZ_CBOR, headers
    return cbor2.loads(raw)


def as_xml(response, status, text):
    got_status, headers, raw = response
    assert (got_status, raw.decode("utf-8", "replace")) == (status, text), (got_status, headers, raw)
    assert "content-type" not in headers, headers


# --- method, target, content type ----------------------------------------------------------------

@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_non_post_is_access_denied(kbridge, method):
    as_xml(send(kbridge, method=method), 403, ACCESS_DENIED_XML)


def test_body_without_content_type_or_target_is_access_denied(kbridge):
    as_xml(post(kbridge, target=None, content_type=None), 403, ACCESS_DENIED_XML)


@pytest.mark.parametrize("content_type", ["application/xml", "text/plain",
                                          "application/x-amz-json-1.1asdf"])
def test_wrong_content_type_is_unknown_operation_xml(kbridge, content_type):
    as_xml(post(kbridge, TARGET + "ListStreams", content_type), 404, UNKNOWN_OPERATION_XML)


def test_json_1_0_content_type_is_unknown_operation_xml(kbridge):
    # Kinesis speaks JSON 1.1 only (kinesalite's content-type matrix: 1.0 + body -> 404 XML).
    as_xml(post(kbridge, TARGET + "ListStreams", "application/x-amz-json-1.0"), 404,
           UNKNOWN_OPERATION_XML)


def test_plain_json_content_type_is_deprecated_unknown_operation(kbridge):
    status, headers, raw = post(kbridge, TARGET + "ListStreams", "application/json")
    assert status == 404 and headers.get("content-type") == "application/json", (status, headers, raw)
    assert json.loads(raw) == {"Output": {"__type": "com.amazon.coral.service#UnknownOperationException"},
                               "Version": "1.0"}


def test_content_type_with_spaces_and_parameters(kbridge):
    body = as_json(post(kbridge, TARGET + "ListStreams", "   application/x-amz-json-1.1   ;whatever",
                        b'{"Limit": 1}'), 200)
    assert set(body) >= {"StreamNames", "HasMoreStreams"}


@pytest.mark.parametrize("target", [None, "", "Whatever", TARGET, TARGET + "Whatever",
                                    "Whatever.ListStreams", TARGET + "ListStream",
                                    TARGET.lower() + "ListStreams", TARGET + "liststreams"])
def test_unknown_target_is_unknown_operation(kbridge, target):
    assert as_json(post(kbridge, target), 400) == {"__type": "UnknownOperationException"}


def test_unimplemented_operation(kbridge):
    body = as_json(post(kbridge, TARGET + "PutRecord",
                        body=b'{"StreamName": "a", "PartitionKey": "k", "Data": ""}'), 400)
    assert body["__type"] == "UnknownOperationException", body
    assert "PutRecord" in body.get("message", ""), body


# --- bodies --------------------------------------------------------------------------------------

def test_empty_body_is_serialization_error(kbridge):
    assert as_json(post(kbridge, TARGET + "ListStreams", body=b""), 400) == {
        "__type": "SerializationException"}


def test_empty_body_unknown_target_is_unknown_operation(kbridge):
    assert as_json(post(kbridge, TARGET + "Whatever", body=b""), 400) == {
        "__type": "UnknownOperationException"}


def test_empty_body_without_content_type_answers_cbor(kbridge):
    # kinesalite: "should return CBOR UnknownOperationException if POST with no body".
    assert as_cbor(post(kbridge, None, None, b""), 400) == {"__type": "UnknownOperationException"}
    assert as_cbor(post(kbridge, TARGET + "ListStreams", None, b""), 400) == {
        "__type": "SerializationException"}


@pytest.mark.parametrize("body", [b"hello", b"true", b"null", b"23", b'"text"', b"{", b'{"a":1} x',
                                  b"\xff\xfe"])
def test_body_that_is_not_a_json_object(kbridge, body):
    assert as_json(post(kbridge, TARGET + "ListStreams", body=body), 400) == {
        "__type": "SerializationException"}


@pytest.mark.parametrize("body", [b"[]", b'[{"StreamName": "a"}]'])
def test_json_array_at_top_level(kbridge, body):
    payload = as_json(post(kbridge, TARGET + "DescribeStreamSummary", body=body), 400)
    assert payload["__type"] == "SerializationException", payload


def test_unknown_members_are_ignored(kbridge):
    body = as_json(post(kbridge, TARGET + "ListStreams", body=b'{"Limit": 1, "Bogus": [1, {}]}'), 200)
    assert len(body["StreamNames"]) <= 1


def test_serialization_exception_member_is_capital_message(kbridge):
    # Coral spells it "Message" for SerializationException (kinesalite's assertSerialization) and
    # "message" for every other error.
    body = as_json(post(kbridge, TARGET + "DescribeStreamSummary", body=b'{"StreamName": 23}'), 400)
    assert body == {"__type": "SerializationException",
                    "Message": "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can "
                               "not be converted to an String"}


def test_other_errors_use_lower_case_message(kbridge):
    name = unique_name("proto-missing")
    body = as_json(post(kbridge, TARGET + "DescribeStreamSummary",
                        body=json.dumps({"StreamName": name}).encode()), 400)
    assert body == {"__type": "ResourceNotFoundException", "message": not_found(name)}


def test_operations_without_output_answer_empty_body(kbridge, new_stream):
    # kinesalite (recorded against Kinesis): CreateStream/DeleteStream/tags/retention answer 200
    # with an empty body.
    name = unique_name("proto-empty")
    calls = [("CreateStream", {"StreamName": name, "ShardCount": 1}),
             ("AddTagsToStream", {"StreamName": name, "Tags": {"a": "b"}}),
             ("RemoveTagsFromStream", {"StreamName": name, "TagKeys": ["a"]}),
             ("IncreaseStreamRetentionPeriod", {"StreamName": name, "RetentionPeriodHours": 48}),
             ("DecreaseStreamRetentionPeriod", {"StreamName": name, "RetentionPeriodHours": 24}),
             ("DeleteStream", {"StreamName": name})]
    answers = []
    try:
        for action, body in calls:
            status, headers, raw = post(kbridge, TARGET + action, body=json.dumps(body).encode())
            answers.append((action, status, raw))
    finally:
        call(kbridge, "DeleteStream", {"StreamName": name})
    assert all(status == 200 for _, status, _ in answers), answers
    assert [a for a in answers if a[2] != b""] == [], "non-empty bodies"


# --- CBOR ----------------------------------------------------------------------------------------

def test_cbor_round_trip(kbridge, kafka_bootstrap):
    name = unique_name("proto-cbor")
    try:
        status = post(kbridge, TARGET + "CreateStream", AMZ_CBOR,
                      cbor2.dumps({"StreamName": name, "ShardCount": 2}))[0]
        assert status == 200
        assert topic_of(kafka_bootstrap, name)["partitions"] == 2
        summary = as_cbor(post(kbridge, TARGET + "DescribeStreamSummary", AMZ_CBOR,
                               cbor2.dumps({"StreamName": name})), 200)["StreamDescriptionSummary"]
        assert (summary["StreamName"], summary["OpenShardCount"]) == (name, 2)
        created = summary["StreamCreationTimestamp"]
        if not hasattr(created, "timestamp"):  # epoch milliseconds, as the Java SDK reads them
            created = created / 1000
        else:
            created = created.timestamp()
        assert abs(created - time.time()) < 300, summary
        listed = as_cbor(post(kbridge, TARGET + "ListStreams", AMZ_CBOR,
                              cbor2.dumps({"ExclusiveStartStreamName": name[:-1] + "-",
                                           "Limit": 1})), 200)
        assert listed["StreamNames"] == [name]
    finally:
        call(kbridge, "DeleteStream", {"StreamName": name})


def test_cbor_errors_are_cbor(kbridge):
    name = unique_name("proto-cbor-missing")
    assert as_cbor(post(kbridge, TARGET + "DescribeStreamSummary", AMZ_CBOR,
                        cbor2.dumps({"StreamName": name})), 400) == {
        "__type": "ResourceNotFoundException", "message": not_found(name)}
    body = as_cbor(post(kbridge, TARGET + "DescribeStreamSummary", AMZ_CBOR,
                        cbor2.dumps({"StreamName": ""})), 400)
    assert_validation((400, body), [failure("", "streamName", NAME_PATTERN),
                                    failure("", "streamName", MIN_LEN_1)])
    body = as_cbor(post(kbridge, TARGET + "DescribeStreamSummary", AMZ_CBOR,
                        cbor2.dumps({"StreamName": 23})), 400)
    assert body["__type"] == "SerializationException", body
    assert as_cbor(post(kbridge, TARGET + "Whatever", AMZ_CBOR, cbor2.dumps({})), 400) == {
        "__type": "UnknownOperationException"}


@pytest.mark.parametrize("body", [b"\xff\xff", b"\xa1", cbor2.dumps([1, 2]), cbor2.dumps("x"), b""])
def test_cbor_body_that_is_not_a_map(kbridge, body):
    assert as_cbor(post(kbridge, TARGET + "ListStreams", AMZ_CBOR, body), 400) == {
        "__type": "SerializationException"}


# --- body size -----------------------------------------------------------------------------------

def raw_exchange(kb, head, body):
    """Sends head+body from a thread while reading the answer, so an early answer is seen."""
    parts = urllib.parse.urlsplit(kb.endpoint)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=30)

    def sender():
        try:
            sock.sendall(head + body)
        except OSError:
            pass  # the server may answer and close before the whole body is sent
    thread = threading.Thread(target=sender, daemon=True)
    thread.start()
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except OSError:
        pass
    finally:
        thread.join(30)
        sock.close()
    return int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/1.1 ") else None


def size_request(kb, size):
    prefix, suffix = b'{"Pad": "', b'", "Limit": 1}'
    body = prefix + b"a" * (size - len(prefix) - len(suffix)) + suffix
    assert len(body) == size
    parts = urllib.parse.urlsplit(kb.endpoint)
    head = (f"POST / HTTP/1.1\r\nHost: {parts.hostname}:{parts.port}\r\n"
            f"Content-Type: {AMZ_JSON}\r\nX-Amz-Target: {TARGET}ListStreams\r\n"
            f"Content-Length: {size}\r\nConnection: close\r\n\r\n").encode()
    return raw_exchange(kb, head, body)


def test_body_of_exactly_the_limit_is_accepted(kbridge):
    assert size_request(kbridge, MAX_BODY) == 200


def test_body_over_the_limit_is_413(kbridge):
    assert size_request(kbridge, MAX_BODY + 1) == 413


def test_service_still_answers_after_413(kbridge):
    assert size_request(kbridge, MAX_BODY + 1024) == 413
    assert call(kbridge, "ListStreams", {"Limit": 1})[0] == 200
