#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz targets into tests/fuzz/corpus/<target>/.

    python3 tests/fuzz/make_corpus.py

Deterministic; needs only the standard library (a small CBOR writer below). The seeds are real
requests of the kinds clients send — JSON and CBOR bodies of several actions, correctly signed
SigV4 requests (header and presigned forms) under the fuzz target's test key, shard iterators
under its test secret, sequence numbers and Firehose prefixes — plus a few malformed ones.
Files already there that this script did not write (libFuzzer merges: scripts/fuzz --merge) are
kept.
"""

import base64
import hashlib
import hmac
import json
import os
import struct
import urllib.parse

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def write(target, name, data):
    directory = os.path.join(ROOT, target)
    os.makedirs(directory, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(directory, name), "wb") as f:
        f.write(data)


# --- CBOR (RFC 8949), just what Kinesis requests use ---------------------------------------------
class Tag:
    def __init__(self, tag, value):
        self.tag, self.value = tag, value


def cbor_head(major, n):
    if n < 24:
        return bytes([major << 5 | n])
    for info, fmt in ((24, ">B"), (25, ">H"), (26, ">I"), (27, ">Q")):
        if n < 1 << (8 * struct.calcsize(fmt)):
            return bytes([major << 5 | info]) + struct.pack(fmt, n)
    raise ValueError(n)


def cbor(v):
    if v is None:
        return b"\xf6"
    if v is True:
        return b"\xf5"
    if v is False:
        return b"\xf4"
    if isinstance(v, Tag):
        return cbor_head(6, v.tag) + cbor(v.value)
    if isinstance(v, int):
        return cbor_head(0, v) if v >= 0 else cbor_head(1, -1 - v)
    if isinstance(v, float):
        return b"\xfb" + struct.pack(">d", v)
    if isinstance(v, bytes):
        return cbor_head(2, len(v)) + v
    if isinstance(v, str):
        b = v.encode()
        return cbor_head(3, len(b)) + b
    if isinstance(v, list):
        return cbor_head(4, len(v)) + b"".join(cbor(x) for x in v)
    if isinstance(v, dict):
        return cbor_head(5, len(v)) + b"".join(cbor(k) + cbor(x) for k, x in v.items())
    raise TypeError(v)


# --- requests ------------------------------------------------------------------------------------
# (operation, body) with Data as bytes and Timestamp as epoch milliseconds; rendered in each format.
B = bytes
REQUESTS = [
    ("PutRecord", {"StreamName": "orders-eu", "PartitionKey": "test-user-123",
                   "Data": B(b'{"userId":"test-user-123","eventType":"purchase"}')}),
    ("PutRecord", {"StreamName": "MyStream", "PartitionKey": "p", "Data": b"Hello",
                   "ExplicitHashKey": "340282366920938463463374607431768211455",
                   "SequenceNumberForOrdering": "49590338271490256608559692538361571095921575989136588898"}),
    ("PutRecord", {"StreamARN": "arn:aws:kinesis:us-east-1:123456789012:stream/orders-eu",
                   "PartitionKey": "k", "Data": b""}),
    ("PutRecords", {"StreamName": "data-stream-dev", "Records": [
        {"PartitionKey": "partition-1700000000000-42", "Data": b'{"message":"Hello","time":1}'},
        {"PartitionKey": "b", "Data": b"\x00\x01\x02\xff", "ExplicitHashKey": "0"},
        {"PartitionKey": "c", "Data": b"x" * 40}]}),
    ("PutRecords", {"StreamName": "s", "Records": []}),
    ("CreateStream", {"StreamName": "orders", "ShardCount": 2}),
    ("CreateStream", {"StreamName": "on-demand", "StreamModeDetails": {"StreamMode": "ON_DEMAND"},
                      "Tags": {"team": "retail"}}),
    ("DeleteStream", {"StreamName": "orders", "EnforceConsumerDeletion": True}),
    ("DescribeStream", {"StreamName": "orders", "Limit": 100, "ExclusiveStartShardId": "shardId-000000000000"}),
    ("DescribeStreamSummary", {"StreamName": "orders"}),
    ("DescribeLimits", {}),
    ("ListStreams", {"Limit": 10, "ExclusiveStartStreamName": "a"}),
    ("ListShards", {"StreamName": "orders", "ShardFilter": {"Type": "AT_TRIM_HORIZON"}, "MaxResults": 5}),
    ("ListShards", {"NextToken": "AAAAAAAAAAE=", "MaxResults": 1000}),
    ("GetShardIterator", {"StreamName": "orders", "ShardId": "shardId-000000000000",
                          "ShardIteratorType": "TRIM_HORIZON"}),
    ("GetShardIterator", {"StreamName": "orders", "ShardId": "shardId-000000000001",
                          "ShardIteratorType": "AT_SEQUENCE_NUMBER",
                          "StartingSequenceNumber": "49590338271490256608559692538361571095921575989136588898"}),
    ("GetShardIterator", {"StreamName": "orders", "ShardId": "shardId-000000000000",
                          "ShardIteratorType": "AT_TIMESTAMP", "Timestamp": 1700000000123}),
    ("GetRecords", {"ShardIterator": "AQAAAZGXvx0AAAAAAQAAAAAAAAAAAAABkZe/HQAGb3JkZXJz", "Limit": 100}),
    ("AddTagsToStream", {"StreamName": "orders", "Tags": {"env": "prod", "owner": "x"}}),
    ("RemoveTagsFromStream", {"StreamName": "orders", "TagKeys": ["env"]}),
    ("ListTagsForStream", {"StreamName": "orders", "Limit": 10}),
    ("IncreaseStreamRetentionPeriod", {"StreamName": "orders", "RetentionPeriodHours": 48}),
    ("DecreaseStreamRetentionPeriod", {"StreamName": "orders", "RetentionPeriodHours": 24}),
    ("EnableEnhancedMonitoring", {"StreamName": "orders", "ShardLevelMetrics": ["IncomingRecords", "OutgoingRecords"]}),
    ("RegisterStreamConsumer", {"StreamARN": "arn:aws:kinesis:us-east-1:123456789012:stream/orders",
                                "ConsumerName": "c1"}),
]


def json_form(v):
    if isinstance(v, bytes):
        return base64.b64encode(v).decode()
    if isinstance(v, dict):
        return {k: (x / 1000 if k == "Timestamp" else json_form(x)) for k, x in v.items()}
    if isinstance(v, list):
        return [json_form(x) for x in v]
    return v


def cbor_form(v):
    if isinstance(v, dict):
        return {k: (Tag(1, x) if k == "Timestamp" else cbor_form(x)) for k, x in v.items()}
    if isinstance(v, list):
        return [cbor_form(x) for x in v]
    return v


def requests():
    for i, (op, body) in enumerate(REQUESTS):
        write("fuzz_json_request", f"{i:02d}-{op}", op + "\n" + json.dumps(json_form(body), separators=(",", ":")))
        write("fuzz_cbor_request", f"{i:02d}-{op}", op.encode() + b"\n" + cbor(cbor_form(body)))
    # Malformed and edge cases: wrong types, bad base64, huge numbers, non-ASCII, nesting, bad CBOR.
    bad_json = {
        "bad-types": 'CreateStream\n{"StreamName":["a"],"ShardCount":"2"}',
        "bad-base64": 'PutRecord\n{"StreamName":"s","PartitionKey":"k","Data":"abc"}',
        "huge-number": 'CreateStream\n{"StreamName":"s","ShardCount":1e308}',
        "escapes": 'PutRecord\n{"StreamName":"s\\u0041","PartitionKey":"\\ud83d\\ude00","Data":"AA=="}',
        "nested": "ListStreams\n" + "[" * 64 + "]" * 64,
        "not-object": 'ListStreams\n"text"',
        "timestamp-fraction": 'GetShardIterator\n{"StreamName":"s","ShardId":"0","ShardIteratorType":"AT_TIMESTAMP","Timestamp":1700000000.9999}',
        "booleans": 'DeleteStream\n{"StreamName":"s","EnforceConsumerDeletion":"yes"}',
    }
    for name, text in bad_json.items():
        write("fuzz_json_request", "x-" + name, text)
    bad_cbor = {
        "truncated": b"PutRecord\n" + cbor({"StreamName": "s", "Data": b"abcdef"})[:-3],
        "indefinite": b"ListStreams\n\xbf\x65Limit\x0a\xff",
        "deep": b"ListStreams\n" + b"\x81" * 70 + b"\xa0",
        "tag-float": b"GetShardIterator\n" + cbor({"StreamName": "s", "ShardId": "0",
                                                   "ShardIteratorType": "AT_TIMESTAMP",
                                                   "Timestamp": Tag(1, 1700000000.5)}),
        "half-float": b"CreateStream\n\xa2\x6aStreamName\x61s\x6aShardCount\xf9\x7c\x00",
        "bytes-for-string": b"DescribeStream\n" + cbor({"StreamName": b"orders"}),
    }
    for name, data in bad_cbor.items():
        write("fuzz_cbor_request", "x-" + name, data)


# --- SigV4 ---------------------------------------------------------------------------------------
# The fuzz target's principal and clock (fuzz_sigv4.cc).
AKID, SECRET, REGION, DATE = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "us-east-1", "20150830T123600Z"


def hm(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def signature(string_to_sign, date=DATE[:8]):
    k = hm(hm(hm(hm(("AWS4" + SECRET).encode(), date), REGION), "kinesis"), "aws4_request")
    return hmac.new(k, string_to_sign.encode(), hashlib.sha256).hexdigest()


def canonical_query(query):
    pairs = sorted((urllib.parse.quote(urllib.parse.unquote(n), safe="-_.~"),
                    urllib.parse.quote(urllib.parse.unquote(v), safe="-_.~"))
                   for n, _, v in (p.partition("=") for p in query.split("&") if p))
    return "&".join(f"{n}={v}" for n, v in pairs)


def signed_request(body, target="/", extra_headers=()):
    headers = [("Host", "kinesis.us-east-1.amazonaws.com"),
               ("Content-Type", "application/x-amz-json-1.1"),
               ("X-Amz-Target", "Kinesis_20131202.PutRecord"),
               ("X-Amz-Date", DATE)] + list(extra_headers)
    names = sorted({n.lower() for n, _ in headers})
    canon_headers = "".join(n + ":" + ",".join(" ".join(v.split()) for k, v in headers if k.lower() == n) + "\n"
                            for n in names)
    path, _, query = target.partition("?")
    creq = "\n".join(["POST", path, canonical_query(query), canon_headers, ";".join(names),
                      hashlib.sha256(body.encode()).hexdigest()])
    scope = f"{DATE[:8]}/{REGION}/kinesis/aws4_request"
    sts = "\n".join(["AWS4-HMAC-SHA256", DATE, scope, hashlib.sha256(creq.encode()).hexdigest()])
    auth = (f"AWS4-HMAC-SHA256 Credential={AKID}/{scope}, SignedHeaders={';'.join(names)}, "
            f"Signature={signature(sts)}")
    lines = [f"POST {target}"] + [f"{n}: {v}" for n, v in headers] + [f"Authorization: {auth}", "", body]
    return "\n".join(lines)


def presigned_request(expires=300):
    scope = f"{DATE[:8]}/{REGION}/kinesis/aws4_request"
    params = {"Action": "ListStreams", "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
              "X-Amz-Credential": f"{AKID}/{scope}", "X-Amz-Date": DATE,
              "X-Amz-Expires": str(expires), "X-Amz-SignedHeaders": "host"}
    query = "&".join(f"{urllib.parse.quote(k, safe='-_.~')}={urllib.parse.quote(v, safe='-_.~')}"
                     for k, v in params.items())
    creq = "\n".join(["GET", "/", canonical_query(query), "host:kinesis.us-east-1.amazonaws.com\n",
                      "host", hashlib.sha256(b"").hexdigest()])
    sts = "\n".join(["AWS4-HMAC-SHA256", DATE, scope, hashlib.sha256(creq.encode()).hexdigest()])
    query += "&X-Amz-Signature=" + signature(sts)
    return f"GET /?{query}\nHost: kinesis.us-east-1.amazonaws.com\n\n"


def sigv4():
    body = '{"StreamName":"orders-eu","PartitionKey":"k","Data":"SGVsbG8="}'
    write("fuzz_sigv4", "signed-header", signed_request(body))
    write("fuzz_sigv4", "signed-path-query", signed_request("{}", "/a/./b/../c%2Fd?b=2&a=1&a=0&c"))
    write("fuzz_sigv4", "signed-spaces", signed_request("", "/", [("X-Custom", "  a   b  "), ("x-custom", "c")]))
    write("fuzz_sigv4", "presigned", presigned_request())
    write("fuzz_sigv4", "presigned-no-expiry", presigned_request(604800))
    scope = f"{AKID}/{DATE[:8]}/{REGION}/kinesis/aws4_request"
    bad = {
        "missing-parts": f"POST /\nHost: h\nAuthorization: AWS4-HMAC-SHA256 Credential={scope}\n\n",
        "http-date": f"POST /\nHost: h\nDate: Sun, 30 Aug 2015 12:36:00 GMT\nAuthorization: AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=date;host, Signature=00\n\n",
        "wrong-region": f"POST /\nHost: h\nX-Amz-Date: {DATE}\nAuthorization: AWS4-HMAC-SHA256 Credential={AKID}/{DATE[:8]}/eu-west-1/kinesis/aws4_request, SignedHeaders=host;x-amz-date, Signature=abcd\n\n",
        "unknown-key": f"POST /\nHost: h\nX-Amz-Date: {DATE}\nAuthorization: AWS4-HMAC-SHA256 Credential=AKIDOTHER/{DATE[:8]}/{REGION}/kinesis/aws4_request, SignedHeaders=host;x-amz-date, Signature=abcd\n\n",
        "session-token": f"POST /\nHost: h\nX-Amz-Date: {DATE}\nX-Amz-Security-Token: t\nAuthorization: AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=host;x-amz-date, Signature=abcd\n\n",
        "payload-hash": f"POST /\nHost: h\nX-Amz-Date: {DATE}\nX-Amz-Content-Sha256: UNSIGNED-PAYLOAD\nAuthorization: AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=abcd\n\nbody",
        "both-forms": f"GET /?X-Amz-Algorithm=AWS4-HMAC-SHA256\nAuthorization: AWS4-HMAC-SHA256\n\n",
        "bad-expires": f"GET /?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={scope}&X-Amz-Date={DATE}&X-Amz-Expires=-5&X-Amz-SignedHeaders=host&X-Amz-Signature=00\nHost: h\n\n",
        "expired": f"POST /\nHost: h\nX-Amz-Date: 20150830T120000Z\nAuthorization: AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=host;x-amz-date, Signature=abcd\n\n",
        "unsigned": "POST /\nHost: h\n\n{}",
    }
    for name, text in bad.items():
        write("fuzz_sigv4", "x-" + name, text)


# --- shard iterators and sequence numbers --------------------------------------------------------
ITERATOR_SECRET = b"fuzz-cluster-secret-0123456789abcdef"  # fuzz_shard_iterator.cc's kSecret


def iterator(stream, generation, shard, offset, issued_ms):
    payload = (b"\x01" + struct.pack(">QIQQ", generation, shard, offset, issued_ms)
               + bytes([len(stream)]) + stream.encode())
    return base64.b64encode(payload + hmac.new(ITERATOR_SECRET, payload, hashlib.sha256).digest())


def iterators():
    write("fuzz_shard_iterator", "orders-0", iterator("orders", 1700000000000, 0, 0, 1700000000123))
    write("fuzz_shard_iterator", "trim-horizon", iterator("data-stream-dev", 1763794862123, 3, 2**64 - 1, 1763794862123))
    write("fuzz_shard_iterator", "long-name", iterator("n" * 128, 1, 1048575, 2**60 - 1, 0))
    write("fuzz_shard_iterator", "empty-name", iterator("", 0, 0, 0, 0))
    write("fuzz_shard_iterator", "x-other-secret", base64.b64encode(b"\x01" + b"\x00" * 60))
    write("fuzz_shard_iterator", "x-not-base64", "AQAAAZGXvx0A*AAAAQ")


def sequence_numbers():
    def seq(generation, shard, offset):
        return str(generation << 80 | shard << 60 | offset)

    values = {
        "first": seq(1700000000000, 0, 0),
        "shard-3": seq(1763794862123, 3, 123456789),
        "max-fields": seq(2**48 - 1, 2**20 - 1, 2**60 - 1),
        "zero": "0",
        "aws-style": "49590338271490256608559692538361571095921575989136588898",
        "max-128": str(2**128 - 1),
        "x-over-128": str(2**128),
        "x-leading-zeros": "000000000000000000000000000000000000042",
        "x-sign": "+1",
        "x-empty": "",
    }
    for name, text in values.items():
        write("fuzz_sequence_number", name, text)


def prefixes():
    values = {
        "seed": "year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/",
        "dynamic": "data/!{timestamp:yyyy/MM/dd}/!{partitionKeyFromQuery:customer}/",
        "errors": "errors/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/",
        "random": "raw/!{firehose:random-string}/",
        "quoted": "!{timestamp:yyyy-MM-dd'T'HH:mm:ss.SSS}/'it''s'/",
        "short-fields": "!{timestamp:yy/M/d/H/m/s}",
        "plain": "plain/prefix/",
        "x-unterminated": "data/!{timestamp:yyyy",
        "x-unknown-letter": "!{timestamp:EEE}",
        "x-lambda": "!{partitionKeyFromLambda:id}",
    }
    for name, text in values.items():
        write("fuzz_prefix_expression", name, text)


if __name__ == "__main__":
    requests()
    sigv4()
    iterators()
    sequence_numbers()
    prefixes()
