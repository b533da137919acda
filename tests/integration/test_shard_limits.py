"""Optional per-shard Kinesis limits (config `limits`), switched on with small rates so that a test
crosses them in a few calls: PutRecords fails the records beyond a shard's allowance one by one,
PutRecord answers ProvisionedThroughputExceededException and writes nothing, GetRecords is
throttled after its calls per second and after a read that used up the shard's bytes.

Facts: Kinesis's per-record and per-call error is ProvisionedThroughputExceededException (HTTP 400,
retryable) with "Rate exceeded for shard shardId-... in stream NAME under account ACCOUNT." (the
wording kinesalite records in test/putRecords.js for throttled records).
"""
import time

import pytest

from kbridge_harness import ACCOUNT_ID, unique_name, wait_for
from kinesis_checks import (assert_error, b64, call, get_records, kafka_partition_records,
                            put_record, put_records, shard_iterator)

THROTTLED = "ProvisionedThroughputExceededException"
RECORDS_PER_SECOND = 5
READ_CALLS_PER_SECOND = 2
READ_BYTES_PER_SECOND = 1000
WRITE_BYTES_PER_SECOND = 1024 * 1024


def rate_exceeded(stream, shard=0):
    return (f"Rate exceeded for shard shardId-{shard:012d} in stream {stream} "
            f"under account {ACCOUNT_ID}.")


@pytest.fixture(scope="module")
def limited(kbridge_factory):
    return kbridge_factory.start(name="limited", config={"limits": {
        "enabled": True,
        "write_records_per_second": RECORDS_PER_SECOND,
        "write_bytes_per_second": WRITE_BYTES_PER_SECOND,
        "read_calls_per_second": READ_CALLS_PER_SECOND,
        "read_bytes_per_second": READ_BYTES_PER_SECOND,
    }})


def create(kb, kafka_bootstrap, shards=1):
    name = unique_name("limits")
    status, body = call(kb, "CreateStream", {"StreamName": name, "ShardCount": shards})
    assert status == 200, (status, body)
    wait_for(lambda: call(kb, "DescribeStreamSummary", {"StreamName": name})[1]
             .get("StreamDescriptionSummary", {}).get("StreamStatus") == "ACTIVE",
             timeout=30, what=f"{name} ACTIVE")
    return name


def kafka_values(kafka_bootstrap, stream):
    records = kafka_partition_records(kafka_bootstrap, stream, [0])[0]
    return [records[offset][1] for offset in sorted(records)]


def warm_up(kb, stream):
    """One record first (Kafka's metadata for a new topic can take a while), then a pause that
    refills the allowance: the calls under test then run within a few milliseconds."""
    status, body = put_record(kb, stream, "warm-up", b"warm-up")
    assert status == 200, body
    time.sleep(1.2)


def test_writes_beyond_the_allowance_are_throttled_and_not_written(limited, kafka_bootstrap):
    stream = create(limited, kafka_bootstrap)
    warm_up(limited, stream)
    records = [(f"key-{i}", f"record-{i}".encode()) for i in range(3 * RECORDS_PER_SECOND)]
    status, body = put_records(limited, stream, records)
    assert status == 200, body
    ok = [i for i, r in enumerate(body["Records"]) if "SequenceNumber" in r]
    failed = [r for r in body["Records"] if "ErrorCode" in r]
    # A shard starts with one second's allowance; the request takes far less than the time to
    # earn another record.
    assert len(ok) == RECORDS_PER_SECOND, body
    assert ok == list(range(RECORDS_PER_SECOND)), body
    assert body["FailedRecordCount"] == len(failed) == len(records) - RECORDS_PER_SECOND
    for r in failed:
        assert r == {"ErrorCode": THROTTLED, "ErrorMessage": rate_exceeded(stream)}, r

    # At once: PutRecord on the exhausted shard is throttled as a whole ...
    assert_error(put_record(limited, stream, "one-more", b"throttled"), THROTTLED,
                 rate_exceeded(stream))
    # ... and nothing of it, nor of the failed PutRecords entries, reached Kafka.
    assert kafka_values(kafka_bootstrap, stream) == [b"warm-up"] + [records[i][1] for i in ok]

    time.sleep(1.2)  # the allowance refills
    status, body = put_record(limited, stream, "later", b"accepted")
    assert status == 200, body
    assert kafka_values(kafka_bootstrap, stream)[-1] == b"accepted"


def test_bytes_per_second_limit_writes(limited, kafka_bootstrap):
    stream = create(limited, kafka_bootstrap)
    warm_up(limited, stream)
    blob = bytes(300 * 1024)  # three fit into 1 MiB, the fourth does not
    status, body = put_records(limited, stream, [(f"k{i}", blob) for i in range(4)])
    assert status == 200, body
    assert [("SequenceNumber" in r) for r in body["Records"]] == [True, True, True, False], body
    assert body["Records"][3] == {"ErrorCode": THROTTLED, "ErrorMessage": rate_exceeded(stream)}


def test_read_calls_per_second_are_throttled(limited, kafka_bootstrap):
    stream = create(limited, kafka_bootstrap)
    status, body = put_records(limited, stream, [("k", b"x")])
    assert status == 200 and body["FailedRecordCount"] == 0, body
    # The first read starts a fetch cursor (it may take a while); then the allowance refills and
    # the reads at the end of the shard answer at once.
    status, body, _ = get_records(limited, shard_iterator(limited, stream))
    assert status == 200 and [r["Data"] for r in body["Records"]] == [b64(b"x")], body
    iterator = body["NextShardIterator"]
    time.sleep(1.2)
    answers = [get_records(limited, iterator)[:2] for _ in range(READ_CALLS_PER_SECOND + 1)]
    assert [status for status, _ in answers[:-1]] == [200] * READ_CALLS_PER_SECOND, answers
    assert_error(answers[-1], THROTTLED, rate_exceeded(stream))
    time.sleep(0.6)
    status, body, _ = get_records(limited, iterator)
    assert status == 200, body


def test_a_large_read_blocks_the_shard_until_its_bytes_are_earned(limited, kafka_bootstrap):
    stream = create(limited, kafka_bootstrap)
    status, body = put_records(limited, stream, [(f"k{i}", bytes(500)) for i in range(4)])
    assert status == 200 and body["FailedRecordCount"] == 0, body
    iterator = shard_iterator(limited, stream)
    status, body, _ = get_records(limited, iterator)
    assert status == 200 and len(body["Records"]) == 4, body  # ~2000 bytes: 1000 in debt
    time.sleep(0.6)  # a call is allowed again, the bytes are still short
    assert_error(get_records(limited, body["NextShardIterator"])[:2], THROTTLED,
                 rate_exceeded(stream))
    time.sleep(1.2)
    status, _, _ = get_records(limited, body["NextShardIterator"])
    assert status == 200


def test_one_dry_run_per_second_per_stream(limited, kafka_bootstrap):
    """Kinesis's developer guide ("Test your permissions and request inputs with dry run"): dry
    runs have a limit of their own, 1 TPS per stream shared by PutRecord, PutRecords, GetRecords
    and GetShardIterator; beyond it the answer is ThrottlingException."""
    stream, other = create(limited, kafka_bootstrap), create(limited, kafka_bootstrap)
    iterator = shard_iterator(limited, stream)
    time.sleep(1.1)  # the stream's dry-run allowance is full
    passed = ("DryRunOperationException", "Request would have succeeded, but DryRun flag is set.")
    throttled = ("ThrottlingException",
                 f"Rate exceeded for DryRun requests on stream {stream} under account {ACCOUNT_ID}.")
    assert_error(put_record(limited, stream, "k", b"x", DryRun=True), *passed)
    for action, body in [
            ("PutRecord", {"PartitionKey": "k", "Data": b64(b"x")}),
            ("PutRecords", {"Records": [{"PartitionKey": "k", "Data": b64(b"x")}]}),
            ("GetShardIterator", {"ShardId": "shardId-000000000000",
                                  "ShardIteratorType": "TRIM_HORIZON"})]:
        assert_error(call(limited, action, {"StreamName": stream, "DryRun": True, **body}),
                     *throttled)
    assert_error(call(limited, "GetRecords", {"ShardIterator": iterator, "DryRun": True}),
                 *throttled)
    assert_error(put_record(limited, other, "k", b"x", DryRun=True), *passed)  # its own allowance
    status, body = put_record(limited, stream, "k", b"real")  # real requests are not counted
    assert status == 200, body
    time.sleep(1.1)
    assert_error(call(limited, "GetRecords", {"ShardIterator": iterator, "DryRun": True}), *passed)
    assert kafka_values(kafka_bootstrap, stream) == [b"real"]


def test_limits_are_off_by_default(kbridge, kafka_bootstrap):
    stream = create(kbridge, kafka_bootstrap)
    status, body = put_records(kbridge, stream, [(f"k{i}", b"x") for i in range(500)])
    assert status == 200 and body["FailedRecordCount"] == 0, body
    iterator = shard_iterator(kbridge, stream)
    for _ in range(10):
        status, body, _ = get_records(kbridge, iterator)
        assert status == 200, body
    for _ in range(3):  # nor is the dry-run limit
        assert_error(put_record(kbridge, stream, "k", b"x", DryRun=True), "DryRunOperationException",
                     "Request would have succeeded, but DryRun flag is set.")
