"""Back-pressure from the producer (DESIGN.md §4): when the local Kafka producer queue is full,
kbridge answers the records that do not fit with ProvisionedThroughputExceededException at once
(retryable; per record in PutRecords) and writes none of them.

kbridge runs here with kafka.rdkafka queue.buffering.max.messages 5, against the real broker: one
PutRecords of 20 records fills the queue, librdkafka takes the first five and refuses the rest
before any of them is sent. Records that wait in the producer's send gate count too: the gate
holds at most what librdkafka's queue may (queue.buffering.max.kbytes).

Facts: Kinesis's per-record throttling is ErrorCode ProvisionedThroughputExceededException with
"Rate exceeded for shard shardId-... in stream NAME under account ACCOUNT." (kinesalite,
test/putRecords.js); the same wording as the optional per-shard limits (test_shard_limits.py).
"""
import pytest

from kbridge_harness import ACCOUNT_ID, unique_name, wait_for
from kinesis_checks import call, kafka_partition_records, put_record, put_records
from metrics_checks import metric, scrape

THROTTLED = "ProvisionedThroughputExceededException"
QUEUE_MESSAGES = 5


@pytest.fixture(scope="module")
def small_queue(kbridge_factory):
    return kbridge_factory.start(name="small-queue", config={
        "kafka": {"rdkafka": {"queue.buffering.max.messages": str(QUEUE_MESSAGES)}}})


@pytest.fixture
def stream(small_queue):
    name = unique_name("backpressure")
    status, body = call(small_queue, "CreateStream", {"StreamName": name, "ShardCount": 1})
    assert status == 200, (status, body)
    wait_for(lambda: call(small_queue, "DescribeStreamSummary", {"StreamName": name})[1]
             .get("StreamDescriptionSummary", {}).get("StreamStatus") == "ACTIVE",
             timeout=30, what=f"{name} ACTIVE")
    # One record first (a new topic's metadata can take a moment), then until the producer's
    # queue is empty again: a report is answered before librdkafka frees its record.
    status, body = put_record(small_queue, name, "warm-up", b"warm-up")
    assert status == 200, body
    wait_for(lambda: metric(scrape(small_queue), "kbridge_producer_queue_records") == 0,
             timeout=10, interval=0.05, what="an empty producer queue")
    return name


def kafka_values(kafka_bootstrap, stream):
    records = kafka_partition_records(kafka_bootstrap, stream, [0])[0]
    return [records[offset][1] for offset in sorted(records)]


def test_records_beyond_a_full_queue_are_throttled_and_not_written(small_queue, stream,
                                                                  kafka_bootstrap):
    records = [(f"key-{i}", f"value-{i}".encode()) for i in range(20)]
    status, body = put_records(small_queue, stream, records)
    assert status == 200, body
    results = body["Records"]
    assert len(results) == len(records)
    written = [i for i, r in enumerate(results) if "SequenceNumber" in r]
    assert written == list(range(QUEUE_MESSAGES)), results
    assert body["FailedRecordCount"] == len(records) - QUEUE_MESSAGES
    message = (f"Rate exceeded for shard shardId-000000000000 in stream {stream} "
               f"under account {ACCOUNT_ID}.")
    for r in results[QUEUE_MESSAGES:]:
        assert r == {"ErrorCode": THROTTLED, "ErrorMessage": message}, r
    # Only the acknowledged records are in Kafka, in order; a later put goes through.
    status, answer = put_record(small_queue, stream, "after", b"after")
    assert status == 200, answer
    assert kafka_values(kafka_bootstrap, stream) == \
        [b"warm-up"] + [records[i][1] for i in written] + [b"after"]
