"""Hostile input (issue 8, acceptance 2): 1,000 malformed requests, each answered with a 4xx Kinesis
error; afterwards the process is up, its memory flat, a valid PutRecord works and the stream holds
no record from the malformed requests.

The requests are generated from a fixed seed across every operation of botocore's Kinesis model
(the pinned boto3 of tests/requirements): truncated bodies, wrong types for every member, huge and
odd numbers, invalid UTF-8, lone surrogates, deep nesting, duplicate keys, unknown members, wrong
or missing X-Amz-Target, bad base64, oversize members, wrong Content-Type, bad CBOR and
Content-Length mismatches. They go over raw sockets, so the bytes on the wire are exactly these.

Every case says which error it expects. What decides it is Coral's order, as kinesalite records it
(see kinesis/README.md): the body is decoded (SerializationException), then the operation looked
up (UnknownOperationException), then member types checked (SerializationException), then
constraints (ValidationException), then the action runs. So a case that must get past decoding and
type checks carries a "poison": well-typed members that make the action itself fail without
touching anything (a stream that does not exist, or CreateStream of the stream that does).
Operations kbridge does not implement answer UnknownOperationException to every body that decodes.
"""
import copy
import json
import math
import random
import re
import socket
import struct
import time
import urllib.parse

import cbor2
import pytest

from kbridge_harness import (CBOR_CONTENT_TYPE as AMZ_CBOR, JSON_CONTENT_TYPE as AMZ_JSON,
                             TARGET_PREFIX as TARGET, stream_arn, unique_name)
from kinesis_checks import b64, call, kafka_partition_records

SEED = 20261122
TOTAL = 1000
WARM_UP = 200
MAX_RSS_GROWTH_KB = 10 * 1024
SHARDS = 2

SER, VAL, ARG, RNF, INUSE, UNKOP = (
    "SerializationException", "ValidationException", "InvalidArgumentException",
    "ResourceNotFoundException", "ResourceInUseException", "UnknownOperationException")
ACCESS_DENIED = "AccessDeniedException"
FRAMING = "framing"  # HTTP framing broken: a 4xx of any shape or a closed connection

INT32 = (-2**31, 2**31 - 1)
INT64 = (-2**63, 2**63 - 1)

# Operations kbridge implements (bridge/kinesis/action_table.cc); every other operation of the model
# answers UnknownOperationException once the body decodes.
IMPLEMENTED = {"AddTagsToStream", "CreateStream", "DecreaseStreamRetentionPeriod", "DeleteStream",
               "DescribeLimits", "DescribeStream", "DescribeStreamSummary",
               "DisableEnhancedMonitoring", "EnableEnhancedMonitoring", "GetRecords",
               "GetShardIterator", "IncreaseStreamRetentionPeriod", "ListShards", "ListStreams",
               "ListTagsForResource", "ListTagsForStream", "PutRecord", "PutRecords",
               "RemoveTagsFromStream", "TagResource", "UntagResource", "UpdateStreamMode"}

# Members that the pinned botocore model has and kbridge's transcription (kinesis/model.cc) has
# not: kbridge ignores them like any unknown member, so a wrong type there is not noticed and the
# poison decides.
NOT_IN_KBRIDGE_MODEL = set()


def load_model():
    import botocore.loaders
    return botocore.loaders.Loader().load_service_model("kinesis", "service-2")


# --- poison: well-typed bodies that each implemented operation refuses without side effects -----

def poisons(stream, absent):
    """{operation: (body, expected error)}; `stream` exists, `absent` does not."""
    record = {"Data": "AA==", "PartitionKey": "k"}
    return {
        "AddTagsToStream": ({"StreamName": absent, "Tags": {"k": "v"}}, RNF),
        "CreateStream": ({"StreamName": stream, "ShardCount": 1}, INUSE),
        "DecreaseStreamRetentionPeriod": ({"StreamName": absent, "RetentionPeriodHours": 24}, RNF),
        "DeleteStream": ({"StreamName": absent}, RNF),
        "DescribeStream": ({"StreamName": absent}, RNF),
        "DescribeStreamSummary": ({"StreamName": absent}, RNF),
        "DisableEnhancedMonitoring": ({"StreamName": absent, "ShardLevelMetrics": ["ALL"]}, RNF),
        "EnableEnhancedMonitoring": ({"StreamName": absent, "ShardLevelMetrics": ["ALL"]}, RNF),
        "GetRecords": ({"ShardIterator": "AAAAAAAAAAAAAAAAAAAA"}, ARG),
        "GetShardIterator": ({"StreamName": absent, "ShardId": "shardId-000000000000",
                              "ShardIteratorType": "TRIM_HORIZON"}, RNF),
        "IncreaseStreamRetentionPeriod": ({"StreamName": absent, "RetentionPeriodHours": 48}, RNF),
        "ListShards": ({"StreamName": absent}, RNF),
        "ListStreams": ({"ExclusiveStartStreamName": "no such!"}, VAL),
        "ListTagsForResource": ({"ResourceARN": stream_arn(absent)}, RNF),
        "ListTagsForStream": ({"StreamName": absent}, RNF),
        "PutRecord": ({"StreamName": absent, **record}, RNF),
        "PutRecords": ({"StreamName": absent, "Records": [dict(record)]}, RNF),
        "RemoveTagsFromStream": ({"StreamName": absent, "TagKeys": ["k"]}, RNF),
        "TagResource": ({"ResourceARN": stream_arn(absent), "Tags": {"k": "v"}}, RNF),
        "UntagResource": ({"ResourceARN": stream_arn(absent), "TagKeys": ["k"]}, RNF),
        "UpdateStreamMode": ({"StreamARN": stream_arn(absent),
                              "StreamModeDetails": {"StreamMode": "ON_DEMAND"}}, RNF),
    }


# --- one case = the bytes of one request and what must come back ---------------------------------

class Case:
    def __init__(self, kind, op, expect, body=b"", content_type=AMZ_JSON, target=None,
                 raw=None, shutdown=False, note=""):
        self.kind = kind
        self.op = op
        self.expect = expect  # an error type, FRAMING, or a set of error types
        self.body = body
        self.content_type = content_type
        self.target = TARGET + op if target is None else target
        self.raw = raw  # complete request bytes, for broken framing
        self.shutdown = shutdown
        self.note = note

    def describe(self):
        return f"{self.kind}/{self.op} {self.note} ct={self.content_type!r} body={self.body[:80]!r}"


def encode(body, cbor):
    return cbor2.dumps(body) if cbor else json.dumps(body, separators=(",", ":")).encode()


def substitute(encoded, cbor, sentinel, raw):
    """Replaces the encoding of string `sentinel` in `encoded` by raw bytes."""
    token = cbor2.dumps(sentinel) if cbor else json.dumps(sentinel).encode()
    assert encoded.count(token) == 1, (encoded, token)
    return encoded.replace(token, raw)


def cbor_head(major, value):
    if value < 24:
        return bytes([major << 5 | value])
    for info, fmt in ((24, ">B"), (25, ">H"), (26, ">I"), (27, ">Q")):
        if value < 1 << (8 * struct.calcsize(fmt)):
            return bytes([major << 5 | info]) + struct.pack(fmt, value)
    raise ValueError(value)


def cbor_text(raw_bytes):
    return cbor_head(3, len(raw_bytes)) + raw_bytes


class Generator:
    """Deterministic cases over the model's operations."""

    def __init__(self, model, stream, absent, rng):
        self.model = model
        self.shapes = model["shapes"]
        self.stream = stream
        self.absent = absent
        self.rng = rng
        self.poison = poisons(stream, absent)
        self.ops = sorted(model["operations"])
        self.poisoned_ops = sorted(self.poison)

    # -- model helpers

    def input_shape(self, op):
        shape = self.model["operations"][op].get("input")
        return self.shapes[shape["shape"]] if shape else {"type": "structure", "members": {}}

    def valid(self, shape_name):
        s = self.shapes[shape_name]
        t = s["type"]
        if t == "string":
            if "enum" in s:
                preferred = {"ShardFilterType": "AT_LATEST", "ShardIteratorType": "TRIM_HORIZON"}
                return preferred.get(shape_name, s["enum"][0])
            return {"StreamName": self.absent, "ShardId": "shardId-000000000000"}.get(shape_name, "x")
        if t in ("integer", "long"):
            return max(s.get("min", 1), 1)
        if t == "boolean":
            return False
        if t == "timestamp":
            return 1700000000
        if t == "blob":
            return "AA=="
        if t == "list":
            return [self.valid(s["member"]["shape"])]
        if t == "map":
            return {"k": self.valid(s["value"]["shape"])}
        return {m: self.valid(s["members"][m]["shape"]) for m in s.get("required", [])}

    def base_body(self, op):
        """A plausible body for `op`: its poison, or its required members."""
        if op in self.poison:
            return copy.deepcopy(self.poison[op][0])
        shape = self.input_shape(op)
        return {m: self.valid(shape["members"][m]["shape"]) for m in shape.get("required", [])}

    def member_paths(self, op):
        """(path, shape name) of every member at any depth: a path is a list of keys, with 0 for a
        list's first item and "k" for a map's value."""
        out = []

        def walk(shape_name, path, depth):
            s = self.shapes[shape_name]
            if depth > 3:
                return
            if s["type"] == "structure":
                for member, ref in s.get("members", {}).items():
                    out.append((path + [member], ref["shape"]))
                    walk(ref["shape"], path + [member], depth + 1)
            elif s["type"] == "list":
                out.append((path + [0], s["member"]["shape"]))
                walk(s["member"]["shape"], path + [0], depth + 1)
            elif s["type"] == "map":
                out.append((path + ["k"], s["value"]["shape"]))
                walk(s["value"]["shape"], path + ["k"], depth + 1)

        shape = self.model["operations"][op].get("input")
        if shape:
            walk(shape["shape"], [], 0)
        return out

    def set_path(self, body, path, value, container_shapes):
        """Sets body[path] = value, creating valid containers on the way."""
        node = body
        for i, key in enumerate(path[:-1]):
            shape = container_shapes[i]
            if isinstance(node, list):
                while len(node) <= key:
                    node.append(self.valid(shape))
                if not isinstance(node[key], (dict, list)):
                    node[key] = self.valid(shape)
            elif key not in node or not isinstance(node[key], (dict, list)):
                node[key] = self.valid(shape)
            node = node[key]
        last = path[-1]
        if isinstance(node, list):
            while len(node) <= last:
                node.append(None)
        node[last] = value
        return body

    def shapes_along(self, op, path):
        """Shape names of the containers at path[:1], path[:2], ..."""
        names = []
        current = self.model["operations"][op]["input"]["shape"]
        for key in path[:-1]:
            s = self.shapes[current]
            if s["type"] == "structure":
                current = s["members"][key]["shape"]
            else:
                current = (s["member"] if s["type"] == "list" else s["value"])["shape"]
            names.append(current)
        return names

    def pick_op(self, poisoned=False):
        # Implemented operations get most of the cases; every model operation gets some.
        if poisoned or self.rng.random() < 0.7:
            return self.rng.choice(self.poisoned_ops)
        return self.rng.choice(self.ops)

    def fmt(self):
        return self.rng.random() < 0.4  # True: CBOR

    # -- the classes of malformed input

    def truncated(self, op=None):
        op = op or self.pick_op()
        cbor = self.fmt()
        body = self.base_body(op)
        body.setdefault("Pad", "p" * self.rng.randint(0, 40))
        full = encode(body, cbor)
        # Empty bodies only for implemented operations: kbridge answers an empty body of an
        # operation it does not know at all with UnknownOperationException (kinesalite).
        cut = self.rng.randrange(0 if op in IMPLEMENTED else 1, len(full))
        kind = "truncated-cbor" if cbor else "truncated-json"
        return Case(kind, op, SER, full[:cut], AMZ_CBOR if cbor else AMZ_JSON, note=f"cut={cut}")

    WRONG = {
        "string": [True, 23, -2147483648, 34.56, [], {}, [["x"]], {"a": "b"}],
        "integer": ["23", True, [], {}, "1e3", {"n": 1}],
        "long": ["23", True, [], {}],
        "boolean": ["23", 23, 34.56, [], {}, "maybe", 0.0],
        "timestamp": ["23", True, [], {}, "2024-01-01T00:00:00Z"],
        "blob": [True, 23, [], {}, 1.5],
        "list": ["23", True, 23, {}, 34.56],
        "map": ["23", True, 23, [], 34.56],
        "structure": ["23", True, 23, [], 34.56],
    }

    def wrong_type(self, op, path, shape_name):
        cbor = self.fmt()
        t = self.shapes[shape_name]["type"]
        choices = list(self.WRONG[t])
        if cbor and t != "blob":
            choices.append(b"\x01\x02")  # a byte string where no blob is expected
        value = self.rng.choice(choices)
        body = self.base_body(op)
        containers = self.shapes_along(op, path)
        self.set_path(body, path, value, containers)
        if op not in IMPLEMENTED:
            expect = UNKOP
        elif (op, path[0]) in NOT_IN_KBRIDGE_MODEL:
            expect = self.poison[op][1]
        else:
            expect = SER
        return Case("wrong-type", op, expect, encode(body, cbor), AMZ_CBOR if cbor else AMZ_JSON,
                    note=f"{'.'.join(map(str, path))}={value!r}")

    # Numbers: (JSON text, the value kbridge must read from it, CBOR bytes, the value kbridge must
    # read from those); None for "not a number it reads" (SerializationException). JSON numbers
    # beyond a double's range are refused by the parser as the body's, not the member's, fault:
    # Coral's reading of them is recorded nowhere, kinesalite's (Infinity) is an artefact of
    # JavaScript, and a bare SerializationException is what an unreadable body gets.
    NUMBERS = [
        ("1e400", None, b"\xf9\x7c\x00", math.inf),
        ("-1e400", None, b"\xf9\xfc\x00", -math.inf),
        ("18446744073709551616", 2**64, b"\xc2\x49\x01" + b"\x00" * 8, None),  # CBOR: bignum
        ("18446744073709551615", 2**64 - 1, b"\x1b" + b"\xff" * 8, 2**64 - 1),
        ("-18446744073709551616", -2**64, b"\x3b" + b"\xff" * 8, -2**64),
        ("-9223372036854775809", -2**63 - 1, b"\x3b\x80" + b"\x00" * 7, -2**63 - 1),
        ("9223372036854775808", 2**63, b"\x1b\x80" + b"\x00" * 7, 2**63),
        ("123456789012345678901234567890", 123456789012345678901234567890, b"\xc3\x41\x05",
         None),  # CBOR: negative bignum
        ("-0", 0, b"\x20", -1),
        ("-0.0", -0.0, b"\xf9\x80\x00", -0.0),
        ("1.0", 1.0, b"\xf9\x3c\x00", 1.0),
        ("0.5", 0.5, b"\xf9\x38\x00", 0.5),
        ("1e-400", 0.0, b"\xfa\x00\x00\x00\x01", 0.0),
        ("2147483648", 2**31, b"\x1a\x80\x00\x00\x00", 2**31),
        ("-2147483649", -2**31 - 1, b"\x3a\x80\x00\x00\x00", -2**31 - 1),
        ("1E3", 1000.0, b"\xfb" + struct.pack(">d", 1e300), 1e300),
        ("NaN", None, b"\xf9\x7e\x00", math.nan),
        ("Infinity", None, b"\xfa\x7f\x80\x00\x00", math.inf),
        ("-Infinity", None, b"\xfb\xff\xf0" + b"\x00" * 6, -math.inf),
        ("01", None, b"\xf7", None),  # CBOR: undefined
        ("+1", None, b"\xf8\x10", None),  # CBOR: simple value 16
        (".5", None, b"\xe0", None),  # CBOR: simple value 0
        ("0x10", None, b"\xf9\x7c\x01", math.nan),  # CBOR: a signalling NaN
        ("1e", None, b"\x1c", None),  # CBOR: reserved additional information
    ]

    def numeric_members(self):
        out = []
        for op in self.poisoned_ops:
            for path, shape_name in self.member_paths(op):
                t = self.shapes[shape_name]["type"]
                if t in ("integer", "long", "timestamp") and (op, path[0]) not in NOT_IN_KBRIDGE_MODEL:
                    out.append((op, path, shape_name))
        return out

    def number_expectation(self, op, shape_name, value):
        s = self.shapes[shape_name]
        if value is None:
            return SER  # JSON: not a JSON number; CBOR: not a number item
        if isinstance(value, float) and math.isnan(value):
            return SER  # Coral's TruncatingBigNumber cannot be a NaN
        if s["type"] == "timestamp":
            return self.poison[op][1]
        if isinstance(value, float):
            value = INT64[1] if value >= 2.0**63 else INT64[0] if value <= -2.0**63 else math.floor(value)
        value = min(max(value, INT64[0]), INT64[1])
        if s["type"] == "integer":
            value = min(max(value, INT32[0]), INT32[1])
        if ("min" in s and value < s["min"]) or ("max" in s and value > s["max"]):
            return VAL
        return self.poison[op][1]

    def huge_number(self, op, path, shape_name):
        cbor = self.fmt()
        json_text, json_value, cbor_bytes, cbor_value = self.rng.choice(self.NUMBERS)
        value = cbor_value if cbor else json_value
        body = self.set_path(self.base_body(op), path, "__NUM__", self.shapes_along(op, path))
        raw = cbor_bytes if cbor else json_text.encode()
        encoded = substitute(encode(body, cbor), cbor, "__NUM__", raw)
        expect = self.number_expectation(op, shape_name, value)
        return Case("huge-number", op, expect, encoded, AMZ_CBOR if cbor else AMZ_JSON,
                    note=f"{'.'.join(map(str, path))}={json_text if not cbor else raw.hex()}")

    BAD_UTF8 = [b"\xff", b"\xfe\xff", b"\xc3\x28", b"\xc0\xaf", b"\xe0\x80\xaf", b"\xed\xa0\x80",
                b"\xed\xbf\xbf", b"\xf4\x90\x80\x80", b"\xf8\x88\x80\x80\x80", b"\x80",
                b"abc\xe2\x82", b"\xe2\x82abc", b"\xf0\x9f\x98", b"caf\xe9"]

    def invalid_utf8(self):
        op = self.pick_op()
        cbor = self.fmt()
        bad = self.rng.choice(self.BAD_UTF8)
        body = self.base_body(op)
        where = self.rng.choice(["value", "key", "nested"])
        if where == "value":
            key = self.rng.choice(list(body) or ["StreamName"])
            body[key] = "__BAD__"
        elif where == "key":
            body["__BAD__"] = "v"
        else:
            body["Tags"] = {"k": ["x", {"y": "__BAD__"}]}
        encoded = encode(body, cbor)
        raw = cbor_text(b"x" + bad) if cbor else b'"x' + bad + b'"'
        encoded = substitute(encoded, cbor, "__BAD__", raw)
        return Case("invalid-utf8-cbor" if cbor else "invalid-utf8-json", op, SER, encoded,
                    AMZ_CBOR if cbor else AMZ_JSON, note=f"{where} {bad!r}")

    SURROGATES = [rb"\ud800", rb"\udc00", rb"\udbff", rb"\ud800x", rb"\ud800\u0041",
                  rb"\udc00\ud800", rb"\uDFFF", rb"a\ud83d"]

    def lone_surrogate(self):
        op = self.pick_op()
        body = self.base_body(op)
        escape = self.rng.choice(self.SURROGATES)
        if self.rng.random() < 0.5:
            key = self.rng.choice(list(body) or ["StreamName"])
            body[key] = "__SUR__"
            where = "value"
        else:
            body["__SUR__"] = "v"
            where = "key"
        encoded = substitute(encode(body, False), False, "__SUR__", b'"' + escape + b'"')
        return Case("lone-surrogate", op, SER, encoded, note=f"{where} {escape!r}")

    def deep_nesting(self):
        op = self.pick_op()
        cbor = self.fmt()
        n = 10000
        variant = self.rng.randrange(6)
        if not cbor:
            deep = [b"[" * n + b"]" * n, b'{"a":' * n + b"1" + b"}" * n][variant % 2]
            bodies = [
                b"[" * n,
                b"{" * n,
                b'{"a":' * n + b"1" + b"}" * n,
                b"[" * n + b"]" * n,
                substitute(encode({**self.base_body(op), "Bogus": "__D__"}, False), False, "__D__",
                           deep),
                substitute(encode({**self.base_body(op), "StreamName": "__D__"}, False), False,
                           "__D__", deep),
            ]
        else:
            deep = [b"\x81" * n + b"\x00", b"\xa1\x61a" * n + b"\x00"][variant % 2]
            bodies = [
                b"\x81" * n + b"\x00",
                b"\x9f" * n,
                b"\xa1\x61a" * n + b"\x00",
                b"\xbf\x61a" * n,
                substitute(encode({**self.base_body(op), "Bogus": "__D__"}, True), True, "__D__",
                           deep),
                substitute(encode({**self.base_body(op), "StreamName": "__D__"}, True), True,
                           "__D__", deep),
            ]
        return Case("deep-nesting-cbor" if cbor else "deep-nesting-json", op, SER, bodies[variant],
                    AMZ_CBOR if cbor else AMZ_JSON, note=f"variant={variant}")

    def duplicate_keys(self):
        op = self.pick_op(poisoned=True)
        cbor = self.fmt()
        body, error = self.poison[op]
        body = copy.deepcopy(body)
        # Both spellings fail the same way, so first-wins and last-wins parsers agree.
        variant = self.rng.randrange(3)
        if variant == 0 and op not in ("CreateStream", "ListStreams", "GetRecords"):
            member, values, expect = "StreamName", [unique_name("dup-a"), self.absent], error
        elif variant == 1:
            member, values, expect = "Limit", [0, 100001], VAL
            if op not in ("DescribeStream", "GetRecords", "ListStreams", "ListTagsForStream"):
                member, values, expect = "Bogus", [1, "two"], error
        else:
            member, values, expect = "Bogus", [[1], {"a": None}], error
        if op not in IMPLEMENTED:
            expect = UNKOP
        pairs = list(body.items()) + [(member, v) for v in values]
        self.rng.shuffle(pairs)
        if cbor:
            encoded = cbor_head(5, len(pairs)) + b"".join(cbor2.dumps(k) + cbor2.dumps(v)
                                                           for k, v in pairs)
        else:
            encoded = ("{" + ",".join(json.dumps(k) + ":" + json.dumps(v) for k, v in pairs)
                       + "}").encode()
        return Case("duplicate-keys", op, expect, encoded, AMZ_CBOR if cbor else AMZ_JSON,
                    note=member)

    UNKNOWN = [("Bogus", 1), ("streamname", "x"), ("STREAMNAME", 5), ("__type", "X"),
               ("", ""), ("Records ", []), ("Data\u0000", "x"), ("\u00e9\u4e2d", {"a": [1, 2]}),
               ("x" * 20000, True), ("Nested", {"StreamName": 5, "Limit": "x"}),
               ("Action", "DeleteStream"), ("Version", "1.0")]

    def unknown_member(self):
        op = self.pick_op(poisoned=True)
        cbor = self.fmt()
        body, expect = self.poison[op]
        body = copy.deepcopy(body)
        for key, value in self.rng.sample(self.UNKNOWN, self.rng.randint(1, 3)):
            body[key] = value
        return Case("unknown-member", op, expect, encode(body, cbor),
                    AMZ_CBOR if cbor else AMZ_JSON, note=",".join(k[:12] for k in body))

    TARGETS = [None, "", "Kinesis_20131202", "Kinesis_20131202.", "Kinesis_20131202.putrecord",
               "kinesis_20131202.PutRecord", "Kinesis_20131203.PutRecord",
               "DynamoDB_20120810.PutItem", "Kinesis_20131202.PutRecord.PutRecord",
               "Kinesis_20131202.Put%52ecord", "Kinesis_20131202.__proto__",
               "Kinesis_20131202.constructor", ".PutRecord", "Kinesis_20131202..PutRecord",
               "Kinesis_20131202.Put Record", "Kinesis_20131202." + "A" * 1000,
               "Kinesis_20131202.PutRecord\tx", "Firehose_20150804.PutRecord"]

    def wrong_target(self):
        cbor = self.fmt()
        # A body that would write to the real stream if the target were right.
        body = {"StreamName": self.stream, "Data": b64(b"wrong-target"), "PartitionKey": "k"}
        target = self.rng.choice(self.TARGETS)
        case = Case("wrong-target", "PutRecord", UNKOP, encode(body, cbor),
                    AMZ_CBOR if cbor else AMZ_JSON, note=repr(target))
        case.target = target
        return case

    BAD_BASE64 = ["!!!!", "abc", "AAA", "A===", "AB=C", "====", "AA=A", "AB==", "AAB=", "Zm9v\n",
                  "Zm9v YmFy", "Zm9v=", "\u00e9\u00e9\u00e9\u00e9", "Zm9v\u0000AAA", "-_-_",
                  "Zm9vYmFy====", "=AAA", "A", "AAAAA", "Zm9v\\u0041AAA", "Zm9v%3D%3D"]

    def bad_base64(self):
        cbor = self.fmt()
        data = self.rng.choice(self.BAD_BASE64)
        if self.rng.random() < 0.5:
            op = "PutRecord"
            body = {"StreamName": self.stream, "Data": data, "PartitionKey": "k"}
        else:
            op = "PutRecords"
            records = [{"Data": b64(b"fine"), "PartitionKey": "k"} for _ in range(3)]
            records[self.rng.randrange(3)]["Data"] = data
            body = {"StreamName": self.stream, "Records": records}
        return Case("bad-base64", op, SER, encode(body, cbor), AMZ_CBOR if cbor else AMZ_JSON,
                    note=repr(data))

    def oversize(self, variant=None):
        cbor = self.fmt() if variant is None else variant == 1
        s, a = self.stream, self.absent
        big_data = b"\x00" * (1048576 + 1)
        variants = [
            ("PutRecord", {"StreamName": s, "PartitionKey": "k",
                           "Data": big_data if cbor else b64(big_data)}, VAL),
            ("PutRecord", {"StreamName": s, "PartitionKey": "k" * 257, "Data": "AA=="}, VAL),
            ("PutRecord", {"StreamName": "s" * 129, "PartitionKey": "k", "Data": "AA=="}, VAL),
            ("PutRecord", {"StreamName": s, "PartitionKey": "k", "Data": "AA==",
                           "ExplicitHashKey": "9" * 40}, VAL),
            ("PutRecord", {"StreamName": s, "PartitionKey": "k", "Data": "AA==",
                           "ExplicitHashKey": str(2**128)}, ARG),
            ("PutRecord", {"StreamName": s, "PartitionKey": "k", "Data": "AA==",
                           "SequenceNumberForOrdering": "1" * 130}, VAL),
            ("PutRecords", {"StreamName": s, "Records": [{"PartitionKey": "k", "Data": "AA=="}]
                            * 501}, VAL),
            ("PutRecords", {"StreamName": s, "Records": [{"PartitionKey": "k" * 300,
                                                          "Data": "AA=="}]}, VAL),
            ("PutRecords", {"StreamName": s, "Records": [{"PartitionKey": "k", "Data": "AA==",
                                                          "ExplicitHashKey": str(2**128)}]}, ARG),
            ("AddTagsToStream", {"StreamName": a, "Tags": {f"k{i}": "v" for i in range(201)}}, VAL),
            ("AddTagsToStream", {"StreamName": a, "Tags": {"k" * 129: "v"}}, VAL),
            ("AddTagsToStream", {"StreamName": a, "Tags": {"k": "v" * 257}}, VAL),
            ("RemoveTagsFromStream", {"StreamName": a, "TagKeys": [f"k{i}" for i in range(51)]},
             VAL),
            ("GetRecords", {"ShardIterator": "A" * 513}, VAL),
            ("ListShards", {"StreamName": a, "NextToken": "n" * (1048576 + 1)}, VAL),
            ("DescribeStream", {"StreamName": a, "ExclusiveStartShardId": "s" * 129}, VAL),
            ("DescribeStreamSummary", {"StreamARN": "arn:aws:kinesis:us-east-1:000000000000:"
                                                    "stream/" + "s" * 2100}, VAL),
            ("GetShardIterator", {"StreamName": s, "ShardId": "shardId-000000000000",
                                  "ShardIteratorType": "AT_SEQUENCE_NUMBER",
                                  "StartingSequenceNumber": "9" * 130}, VAL),
            ("ListStreams", {"Limit": 10001}, VAL),
            ("CreateStream", {"StreamName": "c" * 129, "ShardCount": 1}, VAL),
        ]
        op, body, expect = variants[0] if variant is not None else self.rng.choice(variants)
        return Case("oversize", op, expect, encode(body, cbor), AMZ_CBOR if cbor else AMZ_JSON,
                    note=",".join(f"{k}:{len(str(v))}" for k, v in body.items()))

    CONTENT_TYPES = [
        (None, "UnknownOperationException:xml"), ("", "UnknownOperationException:xml"),
        ("text/plain", "UnknownOperationException:xml"),
        ("application/xml", "UnknownOperationException:xml"),
        ("application/x-amz-json-1.0", "UnknownOperationException:xml"),
        ("application/x-amz-json-1.1asdf", "UnknownOperationException:xml"),
        ("application/x-amz-cbor-1.0", "UnknownOperationException:xml"),
        ("application/cbor", "UnknownOperationException:xml"),
        ("multipart/form-data; boundary=x", "UnknownOperationException:xml"),
        ("application/x-www-form-urlencoded", "UnknownOperationException:xml"),
        ("application/json", "UnknownOperationException:deprecated"),
        ("application/x-amz-json-1.1", SER),  # a CBOR body sent as JSON
        ("application/x-amz-cbor-1.1", SER),  # a JSON body sent as CBOR
    ]

    def wrong_content_type(self):
        content_type, expect = self.rng.choice(self.CONTENT_TYPES)
        body = {"StreamName": self.stream, "Data": b64(b"wrong-content-type"), "PartitionKey": "k"}
        if content_type == AMZ_JSON:
            cbor = True
        elif content_type == AMZ_CBOR:
            cbor = False
        else:
            cbor = self.rng.random() < 0.3
            if content_type == "application/json" and cbor:
                expect = "SerializationException:deprecated"
        return Case("wrong-content-type", "PutRecord", expect, encode(body, cbor), content_type,
                    note=f"{content_type!r} cbor={cbor}")

    def bad_cbor(self):
        op = self.pick_op()
        good = encode(self.base_body(op), True)
        name = cbor2.dumps("StreamName")
        huge = 2**62
        variants = [
            b"\xff",  # break outside an indefinite item
            b"\x1c", b"\x3d", b"\x5e", b"\x7e\x00", b"\xbc",  # reserved additional information
            b"\xfc", b"\xfd", b"\xfe",  # reserved simple-value encodings
            b"\x5f\x41a",  # indefinite byte string, unterminated
            b"\x7f\x61a",  # indefinite text string, unterminated
            b"\xbf\x61a\x01",  # indefinite map, unterminated
            b"\x9f\x01\x02",  # indefinite array, unterminated
            b"\xbf" + name + b"\x5f\x61a\xff\xff",  # text chunk inside an indefinite byte string
            b"\xbf" + name + b"\x7f\x41a\xff\xff",  # byte chunk inside an indefinite text string
            b"\xbf" + name + b"\x7f\x7f\xff\xff\xff",  # nested indefinite text string
            cbor_head(2, huge) + b"abc",  # a byte string claiming 2^62 bytes
            cbor_head(3, huge) + b"abc",
            cbor_head(4, huge) + b"\x01",
            cbor_head(5, huge) + b"\x61a\x01",
            b"\xa1" + name + cbor_head(3, huge) + b"abc",
            b"\xa1" + name + cbor_head(2, 2**64 - 1) + b"abc",
            b"\xa1" + cbor_head(3, 2**63) + b"StreamName",
            b"\xa2" + name + b"\x61a",  # fewer pairs than declared
            b"\xa1\x01\x02",  # a non-string key
            b"\xa1\x40\x02",  # a byte-string key
            b"\xa1\xa0\x02",  # a map as key
            b"\xa1\xf6\x02",  # null as key
            good + b"\x00",  # trailing item
            good + good,
            good[:1] + b"\xff" + good[1:],  # a break where a definite map's first key belongs
            b"\xc1",  # a tag and nothing else
            b"\xd9\xd9\xf7",  # self-describe tag and nothing else
            b"\xdb" + b"\xff" * 8,  # 8-byte tag number and nothing else
            b"\xc1" * 5000,  # a chain of tags, no item
            b"\xc0\x01",  # tag 0 on an integer, at the top
            b"\xf8\x00",  # simple value in two bytes below 32
            b"\x18",  # uint8 without its byte
            b"\x19\x01",  # uint16 with one byte
            b"\x1b\x00\x00",
            b"\xfb\x00",
            b"\x61",  # text string of one byte, no byte
            b"\xa1\x61",
            b"\xa1" + name + b"\xf7",  # undefined as a value
            b"\xa1" + name + b"\xe0",  # simple(0) as a value
            # noise, led by a byte that starts neither a map nor a tag
            bytes([self.rng.choice([*range(0, 0xa0), *range(0xe0, 0x100)])])
            + bytes(self.rng.randrange(256) for _ in range(self.rng.randint(0, 40))),
        ]
        variant = self.rng.randrange(len(variants))
        return Case("bad-cbor", op, SER, variants[variant], AMZ_CBOR, note=f"variant={variant}")

    def cbor_tags(self):
        """Tags kbridge strips (the Java SDK sends tag 1 on timestamps): the tagged item decides."""
        op = self.pick_op(poisoned=True)
        body, error = self.poison[op]
        encoded = encode(body, True)
        variant = self.rng.randrange(4)
        if variant == 0:
            encoded = b"\xd9\xd9\xf7" + encoded  # self-describe
        elif variant == 1:
            encoded = b"\xc1" * 1000 + encoded
        elif variant == 2:
            encoded = b"\xdb" + b"\xff" * 8 + encoded
        else:
            key = next(iter(body))
            encoded = substitute(encoded, True, key, b"\xc6" + cbor2.dumps(key))
        return Case("cbor-tags", op, error if op in IMPLEMENTED else UNKOP, encoded, AMZ_CBOR,
                    note=f"variant={variant}")

    def content_length(self, endpoint):
        parts = urllib.parse.urlsplit(endpoint)
        host = f"{parts.hostname}:{parts.port}"
        # The absent stream: a server that reads one of these bodies after all must still not
        # write it anywhere.
        body = encode({"StreamName": self.absent, "Data": b64(b"content-length"),
                       "PartitionKey": "k"}, False)
        variant = self.rng.randrange(7)
        head = (f"POST / HTTP/1.1\r\nHost: {host}\r\nContent-Type: {AMZ_JSON}\r\n"
                f"X-Amz-Target: {TARGET}PutRecord\r\n")
        shutdown = False
        expect = FRAMING
        if variant == 0:  # longer than the body, then the client stops sending
            length = len(body) + self.rng.randint(1, 1000)
            raw = f"{head}Content-Length: {length}\r\n\r\n".encode() + body
            shutdown = True
        elif variant == 1:  # shorter: the body is a truncated JSON object, the rest garbage
            length = len(body) - self.rng.randint(1, 20)
            raw = f"{head}Content-Length: {length}\r\nConnection: close\r\n\r\n".encode() + body
            expect = SER
        elif variant == 2:
            value = self.rng.choice(["abc", "-1", "1e3", "0x10", "", "99999999999999999999999",
                                     " 12 34", "+5"])
            raw = f"{head}Content-Length: {value}\r\n\r\n".encode() + body
            shutdown = True
        elif variant == 3:  # two different lengths
            raw = (f"{head}Content-Length: {len(body)}\r\nContent-Length: {len(body) + 1}\r\n\r\n"
                   .encode() + body)
            shutdown = True
        elif variant == 4:  # chunked with a bad chunk size
            size = self.rng.choice(["zz", "ffffffffffffffffff", "-1", ""])
            raw = (f"{head}Transfer-Encoding: chunked\r\n\r\n{size}\r\n".encode() + body
                   + b"\r\n0\r\n\r\n")
            shutdown = True
        elif variant == 5:  # chunked, truncated
            raw = (f"{head}Transfer-Encoding: chunked\r\n\r\n{len(body) + 10:x}\r\n".encode()
                   + body)
            shutdown = True
        else:  # Content-Length and Transfer-Encoding both
            raw = (f"{head}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
                   f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n")
            shutdown = True
        return Case("content-length", "PutRecord", expect, raw=raw, shutdown=shutdown,
                    note=f"variant={variant}")

    # -- all of them

    def cases(self, endpoint):
        out = []
        out += [self.truncated(op) for op in self.ops]  # every operation at least once
        out += [self.truncated() for _ in range(100 - len(out))]
        # Wrong types: every member of every operation, nested ones included.
        out += [self.wrong_type(op, path, shape)
                for op in self.ops for path, shape in self.member_paths(op)]
        numeric = self.numeric_members()
        out += [self.huge_number(*numeric[i % len(numeric)]) for i in range(100)]
        out += [self.invalid_utf8() for _ in range(70)]
        out += [self.lone_surrogate() for _ in range(30)]
        out += [self.deep_nesting() for _ in range(40)]
        out += [self.duplicate_keys() for _ in range(30)]
        out += [self.unknown_member() for _ in range(30)]
        out += [self.wrong_target() for _ in range(40)]
        out += [self.bad_base64() for _ in range(50)]
        out += [self.oversize(0), self.oversize(1)]  # a 1 MiB + 1 Data in JSON and in CBOR
        out += [self.oversize() for _ in range(28)]
        out += [self.wrong_content_type() for _ in range(40)]
        out += [self.cbor_tags() for _ in range(20)]
        out += [self.content_length(endpoint) for _ in range(30)]
        assert len(out) <= TOTAL, len(out)
        out += [self.bad_cbor() for _ in range(TOTAL - len(out))]
        self.rng.shuffle(out)
        # The allocator keeps its high-water mark, so the first body of a megabyte or more after
        # the warm-up would look like growth: two of them come early, the rest stay where the
        # shuffle put them.
        big = [i for i, case in enumerate(out) if len(case.body) > 1 << 20]
        assert len(big) >= 2, big
        for slot, i in zip((10, WARM_UP // 2), big):
            out[slot], out[i] = out[i], out[slot]
        return out


# --- the wire --------------------------------------------------------------------------------------

def request_bytes(endpoint, case):
    if case.raw is not None:
        return case.raw
    parts = urllib.parse.urlsplit(endpoint)
    lines = ["POST / HTTP/1.1", f"Host: {parts.hostname}:{parts.port}"]
    if case.content_type is not None:
        lines.append(f"Content-Type: {case.content_type}")
    if case.target is not None:
        lines.append(f"X-Amz-Target: {case.target}")
    lines += [f"Content-Length: {len(case.body)}", "Connection: close"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + case.body


def exchange(endpoint, data, shutdown=False, timeout=15.0):
    """Sends `data` on a new connection; returns (status or None, headers, body)."""
    parts = urllib.parse.urlsplit(endpoint)
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as sock:
        try:
            sock.sendall(data)
            if shutdown:
                sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the server may answer and close before everything is sent
        received = b""
        head_end = -1
        length = None
        try:
            while True:
                if head_end < 0:
                    head_end = received.find(b"\r\n\r\n")
                    if head_end >= 0:
                        m = re.search(rb"\r\ncontent-length:\s*(\d+)", received[:head_end], re.I)
                        length = int(m.group(1)) if m else 0
                if head_end >= 0 and len(received) >= head_end + 4 + length:
                    break
                chunk = sock.recv(1 << 16)
                if not chunk:
                    break
                received += chunk
        except ConnectionResetError:
            pass
        except socket.timeout:
            raise AssertionError(f"no complete answer within {timeout}s; got {received[:200]!r}")
    if head_end < 0:
        return None, {}, received
    head = received[:head_end].decode("latin-1").split("\r\n")
    m = re.match(r"HTTP/1\.[01] (\d{3})", head[0])
    if not m:
        return None, {}, received
    headers = {}
    for line in head[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(m.group(1)), headers, received[head_end + 4:head_end + 4 + length]


def error_type_of(status, headers, body):
    """(error type, wire form) of an answer: json, cbor, xml, deprecated or other."""
    content_type = headers.get("content-type", "")
    try:
        if content_type == AMZ_JSON:
            return json.loads(body)["__type"], "json"
        if content_type == AMZ_CBOR:
            return cbor2.loads(body)["__type"], "cbor"
        if content_type == "application/json":
            kind = json.loads(body)["Output"]["__type"]
            return kind.rsplit("#", 1)[-1], "deprecated"
    except (ValueError, KeyError, TypeError, cbor2.CBORDecodeError) as err:
        return f"undecodable answer ({err})", "other"
    m = re.match(rb"<(\w+)", body)
    if m and not content_type:
        return m.group(1).decode(), "xml"
    return None, "other"


def check(case, status, headers, body):
    """None when the answer is right, else what is wrong with it."""
    if case.expect == FRAMING:
        if status is None:
            return None if not body else f"garbage answer {body[:100]!r}"
        return None if 400 <= status < 500 else f"status {status} for broken framing"
    if status is None:
        return f"no HTTP answer (connection closed; got {body[:100]!r})"
    if not 400 <= status < 500:
        return f"status {status}: {body[:300]!r}"
    kind, form = error_type_of(status, headers, body)
    expect = case.expect
    want_form = None
    if ":" in expect:
        expect, want_form = expect.split(":")
    elif case.content_type in (AMZ_JSON, AMZ_CBOR):
        want_form = "cbor" if case.content_type == AMZ_CBOR else "json"
    if kind != expect:
        return f"got {status} {kind} ({form}), want {expect}: {body[:300]!r}"
    if want_form and form != want_form:
        return f"answered as {form}, want {want_form}"
    if form in ("json", "cbor") and headers.get("x-amzn-requestid") is None:
        return "no x-amzn-RequestId"
    return None


def rss_kb(pid):
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


# --- the test ----------------------------------------------------------------------------------------

def test_thousand_malformed_requests(kbridge, kafka_bootstrap, new_stream):
    started = time.monotonic()
    stream = new_stream(shards=SHARDS, prefix="malformed")
    absent = unique_name("malformed-absent")
    model = load_model()
    gen = Generator(model, stream, absent, random.Random(SEED))

    # The poisons themselves answer as expected (else every case built on them proves nothing).
    for op, (body, expect) in gen.poison.items():
        status, payload = call(kbridge, op, body)
        assert (status, payload.get("__type")) == (400, expect), (op, status, payload)

    cases = gen.cases(kbridge.endpoint)
    assert len(cases) == TOTAL
    assert {c.op for c in cases} >= set(model["operations"]), "an operation without cases"

    failures = []
    seen = {}
    rss_after_warm_up = None
    for i, case in enumerate(cases):
        if i == WARM_UP:
            rss_after_warm_up = rss_kb(kbridge.pid)
        status, headers, body = exchange(kbridge.endpoint, request_bytes(kbridge.endpoint, case),
                                         case.shutdown)
        problem = check(case, status, headers, body)
        answer = error_type_of(status, headers, body)[0] if status else "closed"
        seen.setdefault(case.kind, {}).setdefault(f"{status} {answer}", 0)
        seen[case.kind][f"{status} {answer}"] += 1
        if problem:
            failures.append(f"#{i} {case.describe()}: {problem}")
        if i % 100 == 99:
            assert kbridge.proc.poll() is None, f"kbridge exited after case #{i}: {case.describe()}"
    rss_at_end = rss_kb(kbridge.pid)

    print("\nanswers per class of malformed input:")
    for kind in sorted(seen):
        print(f"  {kind:22} " + ", ".join(f"{k} x{n}" for k, n in sorted(seen[kind].items())))
    print(f"VmRSS after {WARM_UP}: {rss_after_warm_up} kB, after {TOTAL}: {rss_at_end} kB")

    assert kbridge.proc.poll() is None, "kbridge exited"
    assert not failures, f"{len(failures)} of {TOTAL} wrong:\n" + "\n".join(failures[:40])

    # Still serving: a valid PutRecord works, and it is the stream's only record.
    status, payload = call(kbridge, "PutRecord", {"StreamName": stream, "PartitionKey": "valid",
                                                  "Data": b64(b"the one record")})
    assert status == 200, (status, payload)
    records = kafka_partition_records(kafka_bootstrap, stream, list(range(SHARDS)))
    everything = [r for by_offset in records.values() for r in by_offset.values()]
    assert everything == [(b"valid", b"the one record")], everything

    growth = rss_at_end - rss_after_warm_up
    assert growth < MAX_RSS_GROWTH_KB, (
        f"VmRSS grew by {growth} kB over {TOTAL - WARM_UP} malformed requests")
    assert time.monotonic() - started < 90
