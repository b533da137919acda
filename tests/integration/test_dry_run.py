"""DryRun on the data-plane operations (PutRecord, PutRecords, GetShardIterator, GetRecords): the
request goes through every check of the real one and then answers 400 DryRunOperationException
instead of writing or reading; a request that would fail gets the real error. Nothing reaches
Kafka.

Facts: botocore's kinesis model (DryRun: BooleanObject on the four inputs, DryRunOperationException
in their errors) and the Kinesis developer guide's "Test your permissions and request inputs with
dry run": "If all checks pass, the API returns HTTP 400 with a DryRunOperationException ... If any
check fails, the API returns the same error that the actual operation would return".
"""
import time

import pytest

from kbridge_harness import ACCOUNT_ID
from kinesis_checks import (BOOLEAN, assert_error, b64, call, check_type_errors,
                            kafka_partition_records, not_found, put_record, shard_iterator)

DRY_RUN = "DryRunOperationException"
PASSED = "Request would have succeeded, but DryRun flag is set."
HASH_KEY_RANGE = ("Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. "
                  "Specified value was ")


@pytest.fixture(scope="module")
def stream(new_stream):
    return new_stream(shards=2, prefix="dry-run")


def assert_topic_empty(kafka_bootstrap, name):
    records = kafka_partition_records(kafka_bootstrap, name, [0, 1])
    assert records == {0: {}, 1: {}}, records


@pytest.mark.parametrize("action,extra", [
    ("PutRecord", {"PartitionKey": "k", "Data": ""}),
    ("PutRecords", {"Records": [{"PartitionKey": "k", "Data": ""}]}),
    ("GetShardIterator", {"ShardId": "shardId-000000000000", "ShardIteratorType": "LATEST"}),
    ("GetRecords", {"ShardIterator": "x"})])
def test_type_errors(kbridge, action, extra):
    """DryRun is part of the model: a value that is not a boolean is a SerializationException."""
    check_type_errors(kbridge, action, "DryRun", BOOLEAN)


def test_put_record(kbridge, kafka_bootstrap, stream):
    assert_error(put_record(kbridge, stream, "k", b"dry", DryRun=True), DRY_RUN, PASSED)
    assert_error(put_record(kbridge, stream, "k", b"dry", DryRun=True, ExplicitHashKey=str(2**128)),
                 "InvalidArgumentException", HASH_KEY_RANGE + str(2**128))
    assert_error(put_record(kbridge, "dry-run-absent", "k", b"dry", DryRun=True),
                 "ResourceNotFoundException", not_found("dry-run-absent"))
    # SequenceNumberForOrdering is checked too.
    status, body = put_record(kbridge, stream, "k", b"dry", DryRun=True,
                              SequenceNumberForOrdering="1" + "0" * 60)
    assert (status, body["__type"]) == (400, "InvalidArgumentException"), body
    assert_topic_empty(kafka_bootstrap, stream)


def test_put_records(kbridge, kafka_bootstrap, stream):
    records = [{"PartitionKey": f"k{i}", "Data": b64(b"dry")} for i in range(20)]
    assert_error(call(kbridge, "PutRecords", {"StreamName": stream, "Records": records,
                                              "DryRun": True}), DRY_RUN, PASSED)
    bad = records + [{"PartitionKey": "k", "Data": "", "ExplicitHashKey": str(2**128)}]
    assert_error(call(kbridge, "PutRecords", {"StreamName": stream, "Records": bad,
                                              "DryRun": True}),
                 "InvalidArgumentException", HASH_KEY_RANGE + str(2**128))
    assert_topic_empty(kafka_bootstrap, stream)


def test_dry_run_false_writes(kbridge, kafka_bootstrap, new_stream):
    name = new_stream(shards=1, prefix="dry-run-false")
    status, body = put_record(kbridge, name, "k", b"real", DryRun=False)
    assert status == 200, body
    status, body = call(kbridge, "PutRecords", {"StreamName": name, "DryRun": False,
                                                "Records": [{"PartitionKey": "k", "Data": b64(b"x")}]})
    assert status == 200 and body["FailedRecordCount"] == 0, body
    records = kafka_partition_records(kafka_bootstrap, name, [0])
    assert sorted(records[0].values()) == [(b"k", b"real"), (b"k", b"x")]


def test_get_shard_iterator(kbridge, stream):
    def dry(**extra):
        return call(kbridge, "GetShardIterator", {"StreamName": stream, "DryRun": True,
                                                  "ShardId": "shardId-000000000001", **extra})

    for type_ in ("TRIM_HORIZON", "LATEST"):
        assert_error(dry(ShardIteratorType=type_), DRY_RUN, PASSED)
    assert_error(dry(ShardIteratorType="AT_TIMESTAMP", Timestamp=time.time() - 60), DRY_RUN, PASSED)
    status, body = dry(ShardIteratorType="AT_TIMESTAMP", Timestamp=time.time() + 3600)
    assert (status, body["__type"]) == (400, "InvalidArgumentException"), body
    assert_error(call(kbridge, "GetShardIterator", {
        "StreamName": stream, "DryRun": True, "ShardId": "shardId-000000000007",
        "ShardIteratorType": "LATEST"}), "ResourceNotFoundException",
        f"Shard shardId-000000000007 in stream {stream} under account {ACCOUNT_ID} does not exist")
    status, body = dry(ShardIteratorType="AT_SEQUENCE_NUMBER")
    assert (status, body["__type"]) == (400, "InvalidArgumentException"), body


def test_get_records(kbridge, stream):
    iterator = shard_iterator(kbridge, stream, 0)
    assert_error(call(kbridge, "GetRecords", {"ShardIterator": iterator, "DryRun": True}),
                 DRY_RUN, PASSED)
    tampered = iterator[:-4] + ("AAAA" if not iterator.endswith("AAAA") else "BBBB")
    assert_error(call(kbridge, "GetRecords", {"ShardIterator": tampered, "DryRun": True}),
                 "InvalidArgumentException", "Invalid ShardIterator.")
    # The iterator is still good afterwards: a dry run reads nothing and spends nothing.
    status, body = call(kbridge, "GetRecords", {"ShardIterator": iterator})
    assert status == 200 and body["Records"] == [], body
