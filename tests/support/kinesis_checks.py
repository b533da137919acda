"""Checks shared by the per-action integration tests (tests/integration/test_<action>.py).

Facts from kinesalite's test suite (mhart/kinesalite test/helpers.js: assertType / assertValidation /
assert* helpers) and from the real service's messages quoted in the test files.

- Coral's SerializationException text per declared type (TYPE_CASES) and check_type_errors();
- assert_error() / assert_validation() and the pieces of Kinesis's validation messages;
- call(): one signed JSON request, (status, decoded body);
- topic_of() / retention_ms(): Kafka's view of a stream's topic, waiting for the brokers to show it;
- the `new_stream` fixture (tests/integration/conftest.py makes it available to every test file);
- the data-plane scenario of tests/compat/test_data_plane_*.py: DataPlaneWorkload, DataPlaneReport,
  read_shard(), check_data_plane_report(), check_kafka_view() and the `kinesis_target` fixture;
- records (test_put_record*.py, test_get_*.py, test_fault_broker_down.py): put_record(),
  put_records(), shard_iterator(), get_records(), read_records(), decode_sequence(), and Kafka's
  side: kafka_partition_records(), delete_kafka_records().
"""
import base64
import datetime
import hashlib
import json
import os
import random
import re
import time

import pytest

from kbridge_harness import (ACCOUNT_ID, expected_hash_ranges, kafka_topic, raw_call, unique_name,
                             wait_for)

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


# --- data plane (tests/compat/test_data_plane_*.py) -----------------------------------------------
#
# Every client (boto3, AWS CLI, @aws-sdk/client-kinesis, AWS SDK for Java v2) runs the same scenario
# on a fresh 4-shard stream and fills a DataPlaneReport; check_data_plane_report() then checks it
# against the DataPlaneWorkload that the test generated, and check_kafka_view() against the topic.
# The scenario, in this order:
#   1. ListShards; one GetRecords on a TRIM_HORIZON iterator of every (still empty) shard;
#   2. PutRecords of `bulk` in batches; before record `cut`, wait for the next whole second (cut_ms),
#      so bulk[:cut] arrived before cut_ms and the rest at or after it;
#   3. PutRecord of `single` records, the second with SequenceNumberForOrdering = the first's number;
#   4. a LATEST iterator per shard, one GetRecords (empty), PutRecords of `latest`, then reading on
#      from that call's NextShardIterator;
#   5. per shard, reads from TRIM_HORIZON (with a Limit, so it pages), AT_SEQUENCE_NUMBER and
#      AFTER_SEQUENCE_NUMBER of the record three quarters into the TRIM_HORIZON read, AT_TIMESTAMP
#      cut_ms.
# A read stops at the first empty response whose MillisBehindLatest is 0, once it has as many
# records as the puts say the shard got (LATEST: as `latest` put there); the CLI's reads stop as
# soon as they have them, and the CLI skips step 1 (a process per call is slow).

DATA_PLANE_SHARDS = 4
SEQUENCE_NUMBER = re.compile(r"0|[1-9]\d{0,128}")  # the API's pattern for sequence numbers
EMPTY_ANSWER_MS = 1000  # "an empty shard answers at once": well under a long-poll
SECTIONS = ("bulk", "single", "latest")
_KEY_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:/=+ éßü€日本語"


class _ExternalEndpoint:
    """A Kinesis server the harness did not start (KBRIDGE_COMPAT_ENDPOINT)."""

    def __init__(self, endpoint):
        self.endpoint = endpoint


@pytest.fixture(scope="module")
def kinesis_target(request):
    """(server, kafka bootstrap or None): kbridge started by the harness, or, when the environment
    names KBRIDGE_COMPAT_ENDPOINT (for example a kinesalite on 127.0.0.1), that server — to check the
    tests themselves against another implementation; the Kafka checks are skipped then."""
    external = os.environ.get("KBRIDGE_COMPAT_ENDPOINT")
    if external:
        return _ExternalEndpoint(external), None
    return request.getfixturevalue("kbridge"), request.getfixturevalue("kafka_bootstrap")


def md5_hash_key(partition_key):
    """Kinesis's hash key of a partition key: MD5 of its UTF-8 bytes as a 128-bit big-endian int."""
    return int.from_bytes(hashlib.md5(partition_key.encode("utf-8")).digest(), "big")


def routed_shard(ranges, partition_key, explicit_hash_key=None):
    """Index of the shard whose (start, end) range holds the record's hash key."""
    hash_key = int(explicit_hash_key) if explicit_hash_key is not None else md5_hash_key(partition_key)
    matches = [i for i, (start, end) in enumerate(ranges) if start <= hash_key <= end]
    assert len(matches) == 1, f"hash key {hash_key} is in {len(matches)} of the ranges {ranges}"
    return matches[0]


class DataRecord:
    __slots__ = ("section", "index", "key", "data", "ehk")

    def __init__(self, section, index, key, data, ehk=None):
        self.section, self.index, self.key, self.data, self.ehk = section, index, key, data, ehk

    def __repr__(self):
        return f"{self.section}[{self.index}](key={self.key!r}, ehk={self.ehk}, {_bytes(self.data)})"


class DataPlaneWorkload:
    """The records a scenario puts: `bulk` (in PutRecords batches of `batch`, cut before `cut`),
    `single` (two PutRecord calls, same key, binary data with 0x00 and 0xff) and `latest`. Random but
    reproducible from `seed`; every tenth bulk record, the range boundaries and half of `latest`
    carry an ExplicitHashKey (`latest` then reaches every shard)."""

    def __init__(self, bulk=10_000, latest=20, batch=500, seed=None, shards=DATA_PLANE_SHARDS):
        self.seed = seed if seed is not None else random.randrange(2**32)
        self.batch = batch
        self.cut = bulk // 2
        rng = random.Random(self.seed)
        ranges = expected_hash_ranges(shards)
        edges = ["0", str(2**128 - 1)] + [str(v) for r in ranges[1:] for v in (r[0], r[0] - 1)]

        def key():
            return "".join(rng.choice(_KEY_CHARS) for _ in range(rng.randint(1, 48)))

        def data():
            return rng.randbytes(rng.randint(1, 120))

        self.bulk = []
        for i in range(bulk):
            ehk = None
            if i < len(edges):
                ehk = edges[i]
            elif i % 10 == 3:
                ehk = str(rng.randrange(2**128))
            self.bulk.append(DataRecord("bulk", i, key(), data(), ehk))
        if bulk > len(edges) + 2:  # the longest (256) and shortest partition keys, and 0x00/0xff data
            self.bulk[len(edges)].key = "".join(rng.choice(_KEY_CHARS) for _ in range(256))
            self.bulk[len(edges) + 1].key = "k"
            self.bulk[len(edges) + 1].data = b"\x00\xff"
        self.single = [DataRecord("single", 0, "ordered-key", bytes(range(256))),
                       DataRecord("single", 1, "ordered-key",
                                  b"\xff\x00" * 8 + bytes(range(255, -1, -1)))]
        self.latest = []
        for i in range(latest):
            ehk = str((ranges[(i // 2) % shards][0] + ranges[(i // 2) % shards][1]) // 2) \
                if i % 2 == 0 else None
            self.latest.append(DataRecord("latest", i, key(), data(), ehk))

    def sections(self):
        return {"bulk": self.bulk, "single": self.single, "latest": self.latest}

    def batches(self, records):
        return [records[i:i + self.batch] for i in range(0, len(records), self.batch)]

    def write_tsv(self, path):
        """One line per record for the JS and Java programs:
        section TAB base64(UTF-8 key) TAB base64(data) TAB explicit hash key or '-'."""
        with open(path, "w", encoding="ascii") as out:
            for section, records in self.sections().items():
                for r in records:
                    out.write(f"{section}\t{base64.b64encode(r.key.encode()).decode()}\t"
                              f"{base64.b64encode(r.data).decode()}\t{r.ehk or '-'}\n")


def epoch_ms(value):
    """Milliseconds since the epoch of a datetime, an ISO-8601 string or epoch seconds."""
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            value = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        return round(value.timestamp() * 1000)
    return round(float(value) * 1000)


def next_whole_second_ms():
    """The next whole second after now, in epoch ms; sleeps until 20 ms past it."""
    cut_ms = (int(time.time()) + 1) * 1000
    time.sleep(max(0.0, cut_ms / 1000 + 0.02 - time.time()))
    return cut_ms


class DataPlaneReport:
    """What a client saw. Filled by the Python drivers directly, or from the JSON-lines events of
    the JS and Java programs (event())."""

    def __init__(self):
        self.shards = []  # ListShards: [(shard id, start, end)]
        self.times = {}  # "start", "cut", "end" in epoch ms (the client's clock)
        self.puts = {s: {} for s in SECTIONS}  # section -> index -> (shard id, sequence number)
        self.reads = {}  # (read, shard id) -> {"start": seq, "calls": [...], "records": [...]}
        self.http = []  # (content type, operation) of every request, where the client tells

    @classmethod
    def from_jsonl(cls, path):
        """The report a JS or Java program wrote: one JSON event per line."""
        report = cls()
        with open(path, encoding="utf-8") as lines:
            for line in lines:
                if line.strip():
                    report.event(json.loads(line))
        return report

    def put_count(self, shard, sections=SECTIONS):
        """How many records the puts of `sections` say went to `shard`."""
        return sum(1 for s in sections for sid, _ in self.puts[s].values() if sid == shard)

    def read(self, kind, shard):
        return self.reads.setdefault((kind, shard), {"start": None, "calls": [], "records": []})

    def add_call(self, kind, shard, n, millis, has_next, elapsed_ms=None):
        self.read(kind, shard)["calls"].append(
            {"n": n, "millis": millis, "next": has_next, "ms": elapsed_ms})

    def add_record(self, kind, shard, seq, key, data, arrival_ms):
        self.read(kind, shard)["records"].append((seq, key, data, arrival_ms))

    def event(self, ev):
        kind = ev["ev"]
        if kind == "shard":
            self.shards.append((ev["id"], int(ev["start"]), int(ev["end"])))
        elif kind == "time":
            self.times[ev["name"]] = int(ev["ms"])
        elif kind == "put":
            self.puts[ev["section"]][int(ev["i"])] = (ev["shard"], ev["seq"])
        elif kind == "start":
            self.read(ev["read"], ev["shard"])["start"] = ev["seq"]
        elif kind == "call":
            self.add_call(ev["read"], ev["shard"], int(ev["n"]), ev.get("millis"), bool(ev["next"]),
                          ev.get("ms"))
        elif kind == "rec":
            self.add_record(ev["read"], ev["shard"], ev["seq"],
                            base64.b64decode(ev["key"]).decode("utf-8"), base64.b64decode(ev["data"]),
                            int(ev["arrival"]))
        elif kind == "http":
            self.http.append((ev["ct"], ev["op"]))
        else:
            raise AssertionError(f"unknown report event {ev!r}")


def read_shard(report, kind, shard, get_records, iterator, limit=None, want=0, confirm_end=True,
               timeout=30.0):
    """Reads one shard as the scenario says: `get_records(iterator, limit)` answers
    (records [(seq, key, data, arrival_ms)], MillisBehindLatest, NextShardIterator, elapsed ms).
    Without `confirm_end` (the CLI, where each call is a process), it stops as soon as it has `want`
    records. Returns the last NextShardIterator."""
    got, deadline = 0, time.monotonic() + timeout
    for _ in range(1000):
        records, millis, iterator, elapsed = get_records(iterator, limit)
        report.add_call(kind, shard, len(records), millis, iterator is not None, elapsed)
        for record in records:
            report.add_record(kind, shard, *record)
        got += len(records)
        if iterator is None or time.monotonic() > deadline:
            break
        if not confirm_end and want and got >= want:
            break
        if not records:
            if got >= want and millis in (0, None):
                break
            time.sleep(0.1)
    return iterator


def _first_difference(got, expected):
    for i, (g, e) in enumerate(zip(got, expected)):
        if g != e:
            return i
    return min(len(got), len(expected))


def _bytes(data):
    return f"data={data[:16].hex()}{'…' if len(data) > 16 else ''} ({len(data)} B)"


def _show(record):
    seq, key, data = record[:3]
    return f"seq={seq} key={key!r} {_bytes(data)}"


def check_data_plane_report(report, workload, timed=True, confirmed_ends=True, empty_shards=True):
    """Every check of the scenario; raises one AssertionError listing every problem found.
    `timed`: the client measured each GetRecords call alone (not the CLI's process start);
    `confirmed_ends`: every read ended with an empty answer (read_shard's confirm_end);
    `empty_shards`: the client read the shards before the first put (step 1)."""
    problems = []
    sections = workload.sections()

    # Shards and their hash-key ranges, as CreateStream makes them.
    ids = [s[0] for s in report.shards]
    ranges = [(s[1], s[2]) for s in report.shards]
    expected_ids = [f"shardId-{i:012d}" for i in range(DATA_PLANE_SHARDS)]
    if ids != expected_ids or ranges != expected_hash_ranges(DATA_PLANE_SHARDS):
        raise AssertionError(f"ListShards: {report.shards}; expected {expected_ids} with "
                             f"{expected_hash_ranges(DATA_PLANE_SHARDS)}")

    # Puts: routing (MD5 or ExplicitHashKey), sequence numbers: Kinesis's pattern, unique,
    # strictly increasing per shard in the order the client put them.
    per_shard = {sid: [] for sid in ids}  # put order: bulk, single, latest
    seen = {}
    for section in SECTIONS:
        for record in sections[section]:
            answer = report.puts[section].get(record.index)
            if answer is None:
                problems.append(f"no put answer for {record!r}")
                continue
            sid, seq = answer
            want_sid = ids[routed_shard(ranges, record.key, record.ehk)]
            if sid != want_sid:
                problems.append(f"{record!r} went to {sid}; MD5/ExplicitHashKey routes it to "
                                f"{want_sid}")
            if not (isinstance(seq, str) and SEQUENCE_NUMBER.fullmatch(seq)):
                problems.append(f"{record!r}: SequenceNumber {seq!r} does not match "
                                f"{SEQUENCE_NUMBER.pattern}")
                continue
            if seq in seen:
                problems.append(f"{record!r} and {seen[seq]!r} both got SequenceNumber {seq}")
            seen[seq] = record
            per_shard.setdefault(sid, []).append((seq, record.key, record.data, record))
    for sid, records in per_shard.items():
        for a, b in zip(records, records[1:]):
            if int(b[0]) <= int(a[0]):
                problems.append(f"{sid}: {b[3]!r} put after {a[3]!r} got SequenceNumber "
                                f"{b[0]} <= {a[0]}")
                break
    singles = [report.puts["single"].get(i) for i in range(2)]
    if None not in singles and singles[0][0] != singles[1][0]:
        problems.append(f"PutRecord with the same partition key landed on two shards: {singles}")
    if problems:  # reads cannot be judged against wrong puts
        raise AssertionError("\n".join(problems[:40]))

    expected = {sid: [(seq, key, data) for seq, key, data, _ in records]
                for sid, records in per_shard.items()}
    after_cut = {sid: [(seq, key, data) for seq, key, data, r in records
                       if r.section != "bulk" or r.index >= workload.cut]
                 for sid, records in per_shard.items()}
    latest = {sid: [(seq, key, data) for seq, key, data, r in records if r.section == "latest"]
              for sid, records in per_shard.items()}

    def calls_ok(label, read):
        calls = read["calls"]
        if not calls:
            problems.append(f"{label}: no GetRecords call")
            return
        for i, c in enumerate(calls):
            if not c["next"]:
                problems.append(f"{label}: call {i} has no NextShardIterator (the shard is open)")
            if not isinstance(c["millis"], int) or c["millis"] < 0:
                problems.append(f"{label}: call {i} has MillisBehindLatest {c['millis']!r}")
        if confirmed_ends and (calls[-1]["n"] != 0 or calls[-1]["millis"] != 0):
            problems.append(f"{label}: the read did not end with an empty answer with "
                            f"MillisBehindLatest 0: {calls[-1]}")

    def compare(label, read, want):
        got = [r[:3] for r in read["records"]]
        if got != want:
            i = _first_difference(got, want)
            problems.append(
                f"{label}: got {len(got)} records, expected {len(want)}; first difference at {i}: "
                f"got {_show(got[i]) if i < len(got) else '(end)'}, "
                f"expected {_show(want[i]) if i < len(want) else '(end)'}")

    window = (report.times["start"] - 1000, report.times["end"] + 1000)
    cut_ms = report.times["cut"]
    for sid in ids:
        empty = report.reads.get(("EMPTY", sid))
        if not empty_shards:
            pass
        elif empty is None or not empty["calls"]:
            problems.append(f"{sid}: no GetRecords on the empty shard")
        else:
            calls_ok(f"{sid} empty shard", empty)
            call = empty["calls"][0]
            if call["n"] != 0 or empty["records"]:
                problems.append(f"{sid}: the empty shard answered {call['n']} records")
            if timed and (call["ms"] is None or call["ms"] > EMPTY_ANSWER_MS):
                problems.append(f"{sid}: GetRecords on the empty shard took {call['ms']} ms")

        trim = report.read("TRIM_HORIZON", sid)
        calls_ok(f"{sid} TRIM_HORIZON", trim)
        compare(f"{sid} TRIM_HORIZON", trim, expected[sid])
        arrival = {r[0]: r[3] for r in trim["records"]}
        previous = None
        for seq, key, data, record in per_shard[sid]:
            t = arrival.get(seq)
            if t is None:
                continue
            if not window[0] <= t <= window[1]:
                problems.append(f"{sid} {record!r}: ApproximateArrivalTimestamp {t} outside the "
                                f"run's window {window}")
            after = record.index >= workload.cut
            if record.section == "bulk" and (t >= cut_ms) != after:
                problems.append(f"{sid} {record!r}: ApproximateArrivalTimestamp {t} is on the wrong "
                                f"side of {cut_ms} (put {'after' if after else 'before'} it)")
            if previous is not None and t < previous:
                problems.append(f"{sid} {record!r}: ApproximateArrivalTimestamp {t} < the previous "
                                f"record's {previous}")
            previous = t

        for kind, offset in (("AT_SEQUENCE_NUMBER", 0), ("AFTER_SEQUENCE_NUMBER", 1)):
            read = report.read(kind, sid)
            seqs = [r[0] for r in expected[sid]]
            if read["start"] not in seqs:
                problems.append(f"{sid} {kind}: started at {read['start']!r}, not one of the shard's")
                continue
            calls_ok(f"{sid} {kind} {read['start']}", read)
            compare(f"{sid} {kind} {read['start']}", read,
                    expected[sid][seqs.index(read["start"]) + offset:])

        at_ts = report.read("AT_TIMESTAMP", sid)
        calls_ok(f"{sid} AT_TIMESTAMP {cut_ms}", at_ts)
        compare(f"{sid} AT_TIMESTAMP {cut_ms}", at_ts, after_cut[sid])

        last = report.read("LATEST", sid)
        calls_ok(f"{sid} LATEST", last)
        if not last["calls"] or last["calls"][0]["n"] != 0:
            problems.append(f"{sid} LATEST: the first GetRecords (before `latest` was put) answered "
                            f"{last['calls'][:1]}")
        elif timed and (last["calls"][0]["ms"] is None or last["calls"][0]["ms"] > EMPTY_ANSWER_MS):
            problems.append(f"{sid} LATEST: the empty GetRecords took {last['calls'][0]['ms']} ms")
        compare(f"{sid} LATEST", last, latest[sid])
    assert not problems, f"workload seed {workload.seed}:\n" + "\n".join(problems[:60])
    return per_shard


def check_kafka_view(bootstrap, topic, report, workload, timeout=30.0):
    """Reads the stream's topic straight from Kafka (partition = shard index) and checks every record:
    key = partition key bytes, value = data bytes, LogAppendTime timestamp within the run and equal to
    the ApproximateArrivalTimestamp that GetRecords gave, and offsets in sequence-number order."""
    from confluent_kafka import (OFFSET_BEGINNING, TIMESTAMP_LOG_APPEND_TIME, Consumer,
                                 KafkaError, TopicPartition)

    ids = [s[0] for s in report.shards]
    expected = {i: [] for i in range(len(ids))}
    records = {r.section + str(r.index): r for rs in workload.sections().values() for r in rs}
    for section in SECTIONS:
        for index, (sid, seq) in report.puts[section].items():
            expected[ids.index(sid)].append((int(seq), records[section + str(index)]))
    arrival = {}
    for (kind, sid), read in report.reads.items():
        if kind == "TRIM_HORIZON":
            arrival.update({int(r[0]): r[3] for r in read["records"]})

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"compat-{topic}",
                         "enable.auto.commit": False, "enable.partition.eof": True,
                         "socket.timeout.ms": 10000})
    problems = []
    window = (report.times["start"] - 1000, report.times["end"] + 1000)
    try:
        got = {i: [] for i in expected}
        high = {}
        for p in expected:
            low, high[p] = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
            if low != 0:
                problems.append(f"partition {p}: low watermark {low}, expected 0")
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in expected])
        done = {p for p in expected if high[p] == 0}
        deadline = time.monotonic() + timeout
        while len(done) < len(expected) and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is None:
                continue
            if msg.error():
                if msg.error().code() == KafkaError._PARTITION_EOF:
                    if msg.offset() >= high[msg.partition()]:
                        done.add(msg.partition())
                    continue
                raise AssertionError(f"Kafka consumer error: {msg.error()}")
            got[msg.partition()].append(msg)
            if msg.offset() + 1 >= high[msg.partition()]:
                done.add(msg.partition())
        if len(done) < len(expected):
            problems.append(f"partitions {sorted(set(expected) - done)} not read to their end "
                            f"{high} within {timeout}s")
    finally:
        consumer.close()

    for p, want in expected.items():
        want.sort(key=lambda e: e[0])
        msgs = got[p]
        if len(msgs) != len(want):
            problems.append(f"partition {p}: {len(msgs)} Kafka records, expected {len(want)}")
        previous = -1
        for i, (msg, (seq, record)) in enumerate(zip(msgs, want)):
            label = f"partition {p} offset {msg.offset()} (sequence-number order {i}: {seq} {record!r})"
            if msg.offset() <= previous:
                problems.append(f"{label}: offset not after {previous}")
            previous = msg.offset()
            if msg.key() != record.key.encode("utf-8"):
                problems.append(f"{label}: key {msg.key()!r}, expected {record.key.encode()!r}")
            if msg.value() != record.data:
                problems.append(f"{label}: value {msg.value()!r:.80}, expected {record.data!r:.80}")
            ts_type, ts = msg.timestamp()
            if ts_type != TIMESTAMP_LOG_APPEND_TIME:
                problems.append(f"{label}: timestamp type {ts_type}, expected LogAppendTime "
                                f"({TIMESTAMP_LOG_APPEND_TIME})")
            if not window[0] <= ts <= window[1]:
                problems.append(f"{label}: timestamp {ts} outside the run's window {window}")
            if seq in arrival and abs(arrival[seq] - ts) > 1:
                problems.append(f"{label}: timestamp {ts} but ApproximateArrivalTimestamp "
                                f"{arrival[seq]}")
            if len(problems) > 60:
                break
    assert not problems, f"Kafka's view of {topic} (seed {workload.seed}):\n" + "\n".join(problems[:60])


# --- records (tests/integration/test_put_record*.py, test_get_shard_iterator.py, test_get_records.py,
# test_fault_broker_down.py) -------------------------------------------------------------------------

BLOB = "Blob"
_BLOB = "can not be converted to a Blob"
# Coral's SerializationException text for a Blob member (kinesalite test/helpers.js assertType 'Blob'):
# wrong JSON types, and strings that are not valid base64.
TYPE_CASES[BLOB] = [
    (True, f"class java.lang.Boolean {_BLOB}"),
    (23, f"{_NUM} {_BLOB}"), (-2147483648, f"{_NUM} {_BLOB}"), (2147483648, f"{_NUM} {_BLOB}"),
    (34.56, f"{_NUM} {_BLOB}"),
    ([], _LIST), ({}, _MAP),
    ("23456", f"'23456' {_BLOB}: Base64 encoded length is expected a multiple of 4 bytes but found: 5"),
    ("=+/=", f"'=+/=' {_BLOB}: Invalid Base64 character: '='"),
    ("+/+=", f"'+/+=' {_BLOB}: Invalid last non-pad Base64 character dectected"),
]

GENERATION_SHIFT = 80  # kbridge's sequence numbers: generation (48) | shard (20) | Kafka offset (60)
OFFSET_MASK = (1 << 60) - 1
SHARD_MASK = (1 << 20) - 1


def b64(data):
    return base64.b64encode(data).decode("ascii")


def decode_sequence(seq):
    """(generation, shard, Kafka offset) of a kbridge sequence number."""
    value = int(seq)
    return value >> GENERATION_SHIFT, (value >> 60) & SHARD_MASK, value & OFFSET_MASK


def encode_sequence(generation, shard, offset):
    return str((generation << GENERATION_SHIFT) | (shard << 60) | offset)


def put_record(kb, stream, key, data=b"", **extra):
    """(status, body) of one PutRecord; `data` is bytes."""
    return call(kb, "PutRecord", {"StreamName": stream, "PartitionKey": key, "Data": b64(data), **extra})


def put_records(kb, stream, records):
    """(status, body) of one PutRecords; `records` are (key, data bytes[, explicit hash key])."""
    entries = []
    for r in records:
        entry = {"PartitionKey": r[0], "Data": b64(r[1])}
        if len(r) > 2 and r[2] is not None:
            entry["ExplicitHashKey"] = str(r[2])
        entries.append(entry)
    return call(kb, "PutRecords", {"StreamName": stream, "Records": entries})


def put_ok(kb, stream, records):
    """PutRecords that must fully succeed; returns the answer's Records (in request order)."""
    status, body = put_records(kb, stream, records)
    assert status == 200 and body["FailedRecordCount"] == 0, (status, body)
    return body["Records"]


def shard_iterator(kb, stream, shard=0, type_="TRIM_HORIZON", **extra):
    """A ShardIterator (the call must succeed); `shard` is an index or a shard id."""
    shard_id = shard if isinstance(shard, str) else f"shardId-{shard:012d}"
    status, body = call(kb, "GetShardIterator", {"StreamName": stream, "ShardId": shard_id,
                                                 "ShardIteratorType": type_, **extra})
    assert status == 200, (status, body)
    assert set(body) == {"ShardIterator"}, body
    return body["ShardIterator"]


def get_records(kb, iterator, limit=None):
    """(status, body, elapsed seconds) of one GetRecords."""
    body = {"ShardIterator": iterator}
    if limit is not None:
        body["Limit"] = limit
    started = time.monotonic()
    status, payload = call(kb, "GetRecords", body)
    return status, payload, time.monotonic() - started


def record_tuple(record):
    """(SequenceNumber, PartitionKey, data bytes) of a JSON GetRecords record."""
    return record["SequenceNumber"], record["PartitionKey"], base64.b64decode(record["Data"])


def read_records(kb, iterator, want, limit=None, timeout=20.0):
    """Reads on from `iterator` until `want` records arrived and an answer came back empty with
    MillisBehindLatest 0. Returns (records, calls): records are the raw JSON records, calls a
    summary of every answer. Each call must succeed and carry a NextShardIterator."""
    records, calls = [], []
    deadline = time.monotonic() + timeout
    while True:
        status, body, elapsed = get_records(kb, iterator, limit)
        assert status == 200, (status, body)
        assert isinstance(body.get("NextShardIterator"), str), body
        calls.append({"n": len(body["Records"]), "millis": body.get("MillisBehindLatest"),
                      "elapsed": elapsed})
        if limit is not None:
            assert len(body["Records"]) <= limit, (limit, len(body["Records"]))
        records.extend(body["Records"])
        iterator = body["NextShardIterator"]
        if not body["Records"] and len(records) >= want and body.get("MillisBehindLatest") == 0:
            return records, calls
        if time.monotonic() > deadline:
            raise AssertionError(f"read {len(records)} of {want} records in {timeout}s; "
                                 f"calls {calls}")
        if not body["Records"]:
            time.sleep(0.05)


def delete_kafka_records(bootstrap, topic, partition, before_offset, timeout=15.0):
    """Kafka DeleteRecords: trims partition `partition` of `topic` below `before_offset`; returns
    the new low watermark."""
    from confluent_kafka import TopicPartition
    from kbridge_harness import kafka_admin

    admin = kafka_admin(bootstrap)  # kept referenced until the future is resolved
    futures = admin.delete_records([TopicPartition(topic, partition, before_offset)],
                                   request_timeout=timeout)
    (future,) = futures.values()
    return future.result(timeout).low_watermark


def kafka_partition_records(bootstrap, topic, partitions, timeout=30.0):
    """Every record of the given partitions, read straight from Kafka:
    {partition: {offset: (key bytes, value bytes)}}."""
    from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, TopicPartition

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"it-{topic}",
                         "enable.auto.commit": False, "enable.partition.eof": True,
                         "socket.timeout.ms": 10000})
    got = {p: {} for p in partitions}
    try:
        high = {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
                for p in partitions}
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
        done = {p for p in partitions if high[p] == 0}
        deadline = time.monotonic() + timeout
        while len(done) < len(partitions):
            if time.monotonic() > deadline:
                left = sorted(set(partitions) - done)
                raise AssertionError(f"{topic}: partitions {left} not read to their end {high} "
                                     f"within {timeout}s")
            msg = consumer.poll(0.5)
            if msg is None:
                continue
            if msg.error():
                if msg.error().code() == KafkaError._PARTITION_EOF:
                    if msg.offset() >= high[msg.partition()]:
                        done.add(msg.partition())
                    continue
                raise AssertionError(f"Kafka consumer error: {msg.error()}")
            got[msg.partition()][msg.offset()] = (msg.key(), msg.value())
            if msg.offset() + 1 >= high[msg.partition()]:
                done.add(msg.partition())
    finally:
        consumer.close()
    return got
