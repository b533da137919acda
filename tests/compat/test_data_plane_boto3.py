"""boto3 (JSON 1.1) against kbridge: the data plane, with the scenario of kinesis_checks.py.

10,000 records in PutRecords batches of 500 over 4 shards with random partition keys (some with an
ExplicitHashKey), two PutRecord calls chained by SequenceNumberForOrdering, every iterator type read
back per shard, then the same records straight from the Kafka topic.
"""
import datetime
import time

import boto3
import pytest
from botocore.config import Config

from kbridge_harness import REGION, unique_name
from kinesis_checks import (DATA_PLANE_SHARDS, DataPlaneReport, DataPlaneWorkload,
                            check_data_plane_report, check_kafka_view, epoch_ms,
                            next_whole_second_ms, read_shard)
from kinesis_checks import kinesis_target  # noqa: F401  (a fixture, found by name)


@pytest.fixture(scope="module")
def client(kinesis_target):
    server, _ = kinesis_target
    return boto3.client(
        "kinesis", endpoint_url=server.endpoint, region_name=REGION,
        aws_access_key_id="test", aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=30))


def now_ms():
    return int(time.time() * 1000)


def run_scenario(client, name, workload):
    report = DataPlaneReport()
    for shard in client.list_shards(StreamName=name)["Shards"]:
        report.shards.append((shard["ShardId"], int(shard["HashKeyRange"]["StartingHashKey"]),
                              int(shard["HashKeyRange"]["EndingHashKey"])))
    shard_ids = [s[0] for s in report.shards]

    def iterator(shard, kind, **extra):
        return client.get_shard_iterator(StreamName=name, ShardId=shard, ShardIteratorType=kind,
                                         **extra)["ShardIterator"]

    def get_records(shard_iterator, limit):
        args = {"ShardIterator": shard_iterator}
        if limit:
            args["Limit"] = limit
        started = time.monotonic()
        answer = client.get_records(**args)
        elapsed = round((time.monotonic() - started) * 1000)
        records = [(r["SequenceNumber"], r["PartitionKey"], r["Data"],
                    epoch_ms(r["ApproximateArrivalTimestamp"])) for r in answer["Records"]]
        return records, answer.get("MillisBehindLatest"), answer.get("NextShardIterator"), elapsed

    def put_batches(records):
        for batch in workload.batches(records):
            entries = []
            for r in batch:
                entry = {"Data": r.data, "PartitionKey": r.key}
                if r.ehk is not None:
                    entry["ExplicitHashKey"] = r.ehk
                entries.append(entry)
            answer = client.put_records(StreamName=name, Records=entries)
            failed = [(r, e) for r, e in zip(batch, answer["Records"]) if "ErrorCode" in e]
            assert answer.get("FailedRecordCount", 0) == 0 and not failed, \
                f"PutRecords: FailedRecordCount {answer.get('FailedRecordCount')}: {failed[:5]}"
            assert len(answer["Records"]) == len(batch)
            for r, e in zip(batch, answer["Records"]):
                report.puts[r.section][r.index] = (e["ShardId"], e["SequenceNumber"])

    for shard in shard_ids:  # 1. every shard is still empty
        read_shard(report, "EMPTY", shard, get_records, iterator(shard, "TRIM_HORIZON"))

    report.times["start"] = now_ms()  # 2. bulk, cut at a whole second for AT_TIMESTAMP
    put_batches(workload.bulk[:workload.cut])
    report.times["cut"] = next_whole_second_ms()
    put_batches(workload.bulk[workload.cut:])

    first, second = workload.single  # 3. PutRecord, the second ordered after the first
    answer = client.put_record(StreamName=name, Data=first.data, PartitionKey=first.key)
    report.puts["single"][0] = (answer["ShardId"], answer["SequenceNumber"])
    answer = client.put_record(StreamName=name, Data=second.data, PartitionKey=second.key,
                               SequenceNumberForOrdering=answer["SequenceNumber"])
    report.puts["single"][1] = (answer["ShardId"], answer["SequenceNumber"])

    latest = {shard: read_shard(report, "LATEST", shard, get_records, iterator(shard, "LATEST"))
              for shard in shard_ids}  # 4. LATEST: empty now, then exactly what comes next
    put_batches(workload.latest)
    report.times["end"] = now_ms()
    for shard in shard_ids:
        read_shard(report, "LATEST", shard, get_records, latest[shard],
                   want=report.put_count(shard, ["latest"]))

    cut = datetime.datetime.fromtimestamp(report.times["cut"] / 1000, datetime.timezone.utc)
    for shard in shard_ids:  # 5. the other iterator types
        want = report.put_count(shard)
        read_shard(report, "TRIM_HORIZON", shard, get_records, iterator(shard, "TRIM_HORIZON"),
                   limit=1000, want=want)
        records = report.read("TRIM_HORIZON", shard)["records"]
        if records:
            start = records[len(records) * 3 // 4][0]
            for kind in ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"):
                report.read(kind, shard)["start"] = start
                read_shard(report, kind, shard, get_records,
                           iterator(shard, kind, StartingSequenceNumber=start))
        read_shard(report, "AT_TIMESTAMP", shard, get_records,
                   iterator(shard, "AT_TIMESTAMP", Timestamp=cut))
    return report


def test_put_and_read_10000_records(client, kinesis_target):
    server, bootstrap = kinesis_target
    workload = DataPlaneWorkload(bulk=10_000, batch=500)
    name = unique_name("dp-boto3")
    client.create_stream(StreamName=name, ShardCount=DATA_PLANE_SHARDS)
    try:
        client.get_waiter("stream_exists").wait(StreamName=name,
                                                WaiterConfig={"Delay": 1, "MaxAttempts": 30})
        report = run_scenario(client, name, workload)
        check_data_plane_report(report, workload)
        if bootstrap is not None:
            check_kafka_view(bootstrap, name, report, workload)
    finally:
        client.delete_stream(StreamName=name)
