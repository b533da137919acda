"""HTTP-level behaviour of the Kinesis endpoint: methods, X-Amz-Target, Content-Type, bodies that are
not a JSON object, CBOR, the body size limit, unknown and unimplemented operations.

Facts: kinesalite's test/connection.js and index.js (mhart/kinesalite), which record what real
Kinesis answers before authentication is even looked at.
"""
import http.client
import json
import re
import socket
import threading
import time
import urllib.parse

import cbor2
import pytest

from kbridge_harness import (CBOR_CONTENT_TYPE as AMZ_CBOR, JSON_CONTENT_TYPE as AMZ_JSON,
                             TARGET_PREFIX as TARGET, unique_name)
from kinesis_checks import (MIN_LEN_1, NAME_PATTERN, assert_validation, call, failure, not_found,
                            topic_of)

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
    body = as_json(post(kbridge, TARGET + "SplitShard",
                        body=b'{"StreamName": "a", "ShardToSplit": "shardId-000000000000", '
                             b'"NewStartingHashKey": "1"}'), 400)
    assert body["__type"] == "UnknownOperationException", body
    assert "SplitShard" in body.get("message", ""), body


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
