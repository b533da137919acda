"""auth.mode "sigv4" against real AWS clients: boto3 and the AWS CLI v2 sign, kbridge verifies.

With correct credentials they succeed; with a wrong secret, an unknown key, a wrong region, an
expired date, or a body or header changed after botocore signed the request, they fail with AWS's
error types, statuses and messages. A principal limited to kinesis:PutRecord* on orders-* can put
to orders-... and can neither read it nor touch another stream.
"""
import base64
import datetime
import http.client
import json
import re
import subprocess
import urllib.parse

import boto3
import pytest
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from kbridge_harness import REGION, aws_cli, unique_name, wait_for

ADMIN_KEY, ADMIN_SECRET = "AKIDKBRIDGEADMIN", "admin-secret-for-tests"
ORDERS_KEY, ORDERS_SECRET = "AKIDKBRIDGEORDERS", "orders-secret-for-tests"
TARGET = "Kinesis_20131202."
JSON_1_1 = "application/x-amz-json-1.1"
SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your "
    "AWS Secret Access Key and signing method. Consult the service documentation for details.")


@pytest.fixture(scope="module")
def secured(kbridge_factory):
    return kbridge_factory.start(
        config={"auth": {"mode": "sigv4", "principals": [
            {"access_key_id": ADMIN_KEY, "secret_env": "KB_TEST_ADMIN_SECRET", "name": "admin",
             "actions": ["*"], "streams": ["*"]},
            {"access_key_id": ORDERS_KEY, "secret_env": "KB_TEST_ORDERS_SECRET",
             "name": "orders-writer", "actions": ["kinesis:PutRecord*"], "streams": ["orders-*"]},
        ]}},
        env={"KB_TEST_ADMIN_SECRET": ADMIN_SECRET, "KB_TEST_ORDERS_SECRET": ORDERS_SECRET})


def client(endpoint, key=ADMIN_KEY, secret=ADMIN_SECRET, region=REGION):
    return boto3.client(
        "kinesis", endpoint_url=endpoint, region_name=region,
        aws_access_key_id=key, aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1, "mode": "standard"},
                      connect_timeout=5, read_timeout=30))


@pytest.fixture(scope="module")
def admin(secured):
    return client(secured.endpoint)


@pytest.fixture(scope="module")
def streams(admin):
    """Two ACTIVE one-shard streams: one the orders principal may write, one it may not."""
    orders, payments = unique_name("orders"), unique_name("payments")
    for name in (orders, payments):
        admin.create_stream(StreamName=name, ShardCount=1)
    for name in (orders, payments):
        admin.get_waiter("stream_exists").wait(StreamName=name,
                                               WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    yield orders, payments
    for name in (orders, payments):
        admin.delete_stream(StreamName=name)


def error_of(call, **kwargs):
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    response = info.value.response
    return (response["Error"]["Code"], response["Error"]["Message"],
            response["ResponseMetadata"]["HTTPStatusCode"])


def read_all(admin, stream):
    iterator = admin.get_shard_iterator(StreamName=stream, ShardId="shardId-000000000000",
                                        ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    return admin.get_records(ShardIterator=iterator, Limit=100)["Records"]


# --- raw requests signed by botocore's own SigV4 signer ------------------------------------------

def signed_request(endpoint, action, body, key=ADMIN_KEY, secret=ADMIN_SECRET, at=None,
                   extra_headers=None):
    """A POST signed by botocore's SigV4Auth; `at` (a UTC datetime) signs for another time."""
    url = endpoint.rstrip("/") + "/"
    headers = {"Content-Type": JSON_1_1, "X-Amz-Target": TARGET + action}
    headers.update(extra_headers or {})
    request = AWSRequest(method="POST", url=url, data=body, headers=headers)
    signer = SigV4Auth(Credentials(key, secret), "kinesis", REGION)
    if at is None:
        signer.add_auth(request)
    else:
        # add_auth with botocore's clock replaced: the same public steps, for the given time.
        request.context["timestamp"] = at.strftime("%Y%m%dT%H%M%SZ")
        request.headers["X-Amz-Date"] = request.context["timestamp"]
        canonical = signer.canonical_request(request)
        signature = signer.signature(signer.string_to_sign(request, canonical), request)
        signed = signer.signed_headers(signer.headers_to_sign(request))
        request.headers["Authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={signer.scope(request)}, SignedHeaders={signed}, "
            f"Signature={signature}")
    return url, dict(request.headers.items()), body


def send(url, headers, body):
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        conn.request("POST", target, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data
    finally:
        conn.close()


def assert_error(result, code, message=None, status=400):
    got_status, headers, data = result
    body = json.loads(data)
    assert got_status == status, (got_status, body)
    assert body["__type"] == code, body
    assert headers.get("x-amzn-errortype") == code
    if message is not None:
        assert body["message"] == message
    return body


# --- boto3 --------------------------------------------------------------------------------------

def test_boto3_with_correct_credentials_succeeds(admin, streams):
    orders, _ = streams
    names = admin.list_streams()["StreamNames"]
    assert orders in names
    put = admin.put_record(StreamName=orders, Data=b"admin", PartitionKey="k")
    assert put["ShardId"] == "shardId-000000000000"
    assert any(r["Data"] == b"admin" for r in read_all(admin, orders))


def test_boto3_wrong_secret_is_invalid_signature(secured):
    bad = client(secured.endpoint, secret="not-the-secret")
    assert error_of(bad.list_streams) == ("InvalidSignatureException", SIGNATURE_MISMATCH, 400)


def test_boto3_unknown_access_key_is_unrecognized_client(secured):
    bad = client(secured.endpoint, key="AKIDNOBODY")
    assert error_of(bad.list_streams) == (
        "UnrecognizedClientException", "The security token included in the request is invalid.",
        400)


def test_boto3_wrong_region_is_invalid_signature(secured):
    elsewhere = client(secured.endpoint, region="eu-west-1")
    assert error_of(elsewhere.list_streams) == (
        "InvalidSignatureException",
        "Credential should be scoped to a valid region, not 'eu-west-1'. ", 400)


def test_unsigned_request_is_missing_authentication_token(secured):
    url = secured.endpoint.rstrip("/") + "/"
    assert_error(send(url, {"Content-Type": JSON_1_1, "X-Amz-Target": TARGET + "ListStreams"},
                      b"{}"),
                 "MissingAuthenticationTokenException", "Missing Authentication Token")


def test_expired_date_is_invalid_signature(secured):
    ten_minutes_ago = (datetime.datetime.now(datetime.timezone.utc)
                       - datetime.timedelta(minutes=10))
    body = assert_error(send(*signed_request(secured.endpoint, "ListStreams", b"{}",
                                             at=ten_minutes_ago)),
                        "InvalidSignatureException")
    stamp = ten_minutes_ago.strftime("%Y%m%dT%H%M%SZ")
    assert body["message"].startswith(f"Signature expired: {stamp} is now earlier than ")
    assert body["message"].endswith(" - 5 min.)")
    # Four minutes ago is within the five minutes AWS allows.
    four_minutes_ago = (datetime.datetime.now(datetime.timezone.utc)
                        - datetime.timedelta(minutes=4))
    status, _, data = send(*signed_request(secured.endpoint, "ListStreams", b"{}",
                                           at=four_minutes_ago))
    assert status == 200, data


def test_modified_body_or_header_is_invalid_signature(secured, streams):
    orders, _ = streams
    body = json.dumps({"StreamName": orders, "PartitionKey": "k",
                       "Data": base64.b64encode(b"signed").decode()}).encode()
    url, headers, _ = signed_request(secured.endpoint, "PutRecord", body)
    tampered = body.replace(base64.b64encode(b"signed"), base64.b64encode(b"forged"))
    assert_error(send(url, headers, tampered), "InvalidSignatureException", SIGNATURE_MISMATCH)

    url, headers, _ = signed_request(secured.endpoint, "PutRecord", body,
                                     extra_headers={"X-Kbridge-Test": "signed"})
    assert_error(send(url, dict(headers, **{"X-Kbridge-Test": "changed"}), body),
                 "InvalidSignatureException", SIGNATURE_MISMATCH)
    # The untouched request goes through: only the changes were refused.
    status, _, data = send(url, headers, body)
    assert status == 200, data


def test_presigned_query_string(secured):
    # botocore's presigner moves a body into the query string, which Kinesis does not read; a
    # presigned Kinesis call therefore declares its payload unsigned (a signed header).
    url = secured.endpoint.rstrip("/") + "/"
    request = AWSRequest(method="POST", url=url, data=b"",
                         headers={"Content-Type": JSON_1_1, "X-Amz-Target": TARGET + "ListStreams",
                                  "X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"})
    SigV4QueryAuth(Credentials(ADMIN_KEY, ADMIN_SECRET), "kinesis", REGION,
                   expires=60).add_auth(request)
    assert "X-Amz-Signature=" in request.url
    status, _, data = send(request.url, dict(request.headers.items()), b"{}")
    assert status == 200, data
    assert "StreamNames" in json.loads(data)
    forged = request.url.replace("X-Amz-Expires=60", "X-Amz-Expires=600")
    assert_error(send(forged, dict(request.headers.items()), b"{}"),
                 "InvalidSignatureException", SIGNATURE_MISMATCH)


def test_limited_principal_puts_but_cannot_read_or_touch_other_streams(secured, admin, streams):
    orders, payments = streams
    writer = client(secured.endpoint, ORDERS_KEY, ORDERS_SECRET)
    writer.put_record(StreamName=orders, Data=b"order-1", PartitionKey="o")
    writer.put_records(StreamName=orders, Records=[{"Data": b"order-2", "PartitionKey": "o"}])
    assert {b"order-1", b"order-2"} <= {r["Data"] for r in read_all(admin, orders)}

    def denied(call, action, resource, **kwargs):
        code, message, status = error_of(call, **kwargs)
        assert (code, status) == ("AccessDeniedException", 400)
        assert message == (
            f"User: arn:aws:iam::000000000000:user/orders-writer is not authorized to perform: "
            f"kinesis:{action} on resource: arn:aws:kinesis:{REGION}:000000000000:{resource} "
            f"because no identity-based policy allows the kinesis:{action} action")

    denied(writer.get_shard_iterator, "GetShardIterator", f"stream/{orders}", StreamName=orders,
           ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON")
    denied(writer.describe_stream, "DescribeStream", f"stream/{orders}", StreamName=orders)
    denied(writer.put_record, "PutRecord", f"stream/{payments}", StreamName=payments,
           Data=b"stolen", PartitionKey="p")
    denied(writer.put_records, "PutRecords", f"stream/{payments}", StreamName=payments,
           Records=[{"Data": b"stolen", "PartitionKey": "p"}])
    denied(writer.delete_stream, "DeleteStream", f"stream/{payments}", StreamName=payments)
    denied(writer.list_streams, "ListStreams", "*")
    # The denied requests changed nothing.
    assert read_all(admin, payments) == []
    assert admin.describe_stream_summary(
        StreamName=payments)["StreamDescriptionSummary"]["StreamStatus"] == "ACTIVE"


# --- AWS CLI v2 ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def aws(secured, tmp_path_factory):
    cli, base = aws_cli(tmp_path_factory.mktemp("aws-home"), credentials=False)

    def run(*args, key=ADMIN_KEY, secret=ADMIN_SECRET, region=REGION):
        env = dict(base, AWS_ACCESS_KEY_ID=key, AWS_SECRET_ACCESS_KEY=secret,
                   AWS_DEFAULT_REGION=region, AWS_REGION=region)
        cmd = [cli, "kinesis", *args, "--endpoint-url", secured.endpoint, "--output", "json"]
        return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
    return run


def test_cli_with_correct_credentials_succeeds(aws, streams):
    orders, _ = streams
    listed = aws("list-streams")
    assert listed.returncode == 0, listed.stderr
    assert orders in json.loads(listed.stdout)["StreamNames"]
    put = aws("put-record", "--stream-name", orders, "--partition-key", "cli",
              "--data", "from-the-cli", "--cli-binary-format", "raw-in-base64-out",
              key=ORDERS_KEY, secret=ORDERS_SECRET)
    assert put.returncode == 0, put.stderr
    assert json.loads(put.stdout)["ShardId"] == "shardId-000000000000"


def cli_error(stderr: str) -> str:
    """The AWS CLI's error line without the retry count it inserts after the operation name
    ("... ListStreams operation (reached max retries: 0): message")."""
    return re.sub(r" \(reached max retries: \d+\)", "", stderr)


@pytest.mark.parametrize("kwargs,code,message", [
    ({"secret": "wrong"}, "InvalidSignatureException", SIGNATURE_MISMATCH),
    ({"key": "AKIDNOBODY"}, "UnrecognizedClientException",
     "The security token included in the request is invalid."),
    ({"region": "eu-west-9"}, "InvalidSignatureException",
     "Credential should be scoped to a valid region, not 'eu-west-9'."),
])
def test_cli_bad_credentials_fail_with_aws_errors(aws, kwargs, code, message):
    result = aws("list-streams", **kwargs)
    assert result.returncode != 0
    assert f"An error occurred ({code}) when calling the ListStreams operation: {message}" \
        in cli_error(result.stderr), result.stderr


def test_cli_limited_principal_cannot_read(aws, streams):
    orders, payments = streams
    read = aws("get-shard-iterator", "--stream-name", orders, "--shard-id",
               "shardId-000000000000", "--shard-iterator-type", "TRIM_HORIZON",
               key=ORDERS_KEY, secret=ORDERS_SECRET)
    assert read.returncode != 0
    assert "An error occurred (AccessDeniedException) when calling the GetShardIterator " \
        "operation: User: arn:aws:iam::000000000000:user/orders-writer is not authorized" \
        in cli_error(read.stderr), read.stderr
    other = aws("put-record", "--stream-name", payments, "--partition-key", "cli",
                "--data", "x", "--cli-binary-format", "raw-in-base64-out",
                key=ORDERS_KEY, secret=ORDERS_SECRET)
    assert other.returncode != 0
    assert "(AccessDeniedException)" in other.stderr, other.stderr


def test_auth_none_logs_a_loud_warning(kbridge_factory, secured):
    assert 'auth.mode is "none"' not in secured.log_tail(400)
    plain = kbridge_factory.start(name="no-auth")
    wait_for(lambda: 'auth.mode is "none"' in plain.log_tail(200), timeout=10)
    # Unsigned requests are accepted, as before.
    status, _, data = send(plain.endpoint.rstrip("/") + "/",
                           {"Content-Type": JSON_1_1, "X-Amz-Target": TARGET + "ListStreams"},
                           b"{}")
    assert status == 200, data
    plain.stop()
