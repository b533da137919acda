"""AWS CLI v2 (the Debian package, /usr/bin/aws) against kbridge: the data plane.

The scenario of kinesis_checks.py with fewer records, since every call is a process: 40 records in
two put-records calls, two put-record calls (binary data, --sequence-number-for-ordering), 8 more
for LATEST, over 4 shards; every iterator type read back per shard with get-shard-iterator and
get-records (shards read in parallel), then the same records straight from the Kafka topic.
To keep the process count down, a read stops once it has the records the puts announced, and the
empty-shard read of step 1 is left to the SDK tests (LATEST's first, empty read remains).
"""
import base64
import concurrent.futures
import json
import subprocess
import time

import pytest

from kbridge_harness import aws_cli, unique_name
from kinesis_checks import (DATA_PLANE_SHARDS, DataPlaneReport, DataPlaneWorkload,
                            check_data_plane_report, check_kafka_view, epoch_ms,
                            next_whole_second_ms, read_shard)
from kinesis_checks import kinesis_target  # noqa: F401  (a fixture, found by name)


@pytest.fixture(scope="module")
def aws(kinesis_target, tmp_path_factory):
    server, _ = kinesis_target
    home = tmp_path_factory.mktemp("aws-home")
    cli, env = aws_cli(home)

    def run(*args):
        cmd = [cli, "kinesis", *args, "--endpoint-url", server.endpoint, "--output", "json",
               "--cli-binary-format", "base64"]
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, f"{' '.join(cmd)}\nexit {proc.returncode}\n{proc.stderr}"
        return json.loads(proc.stdout) if proc.stdout.strip() else None

    run.home = home
    return run


def run_scenario(aws, name, workload, workdir):
    report = DataPlaneReport()
    for shard in aws("list-shards", "--stream-name", name)["Shards"]:
        report.shards.append((shard["ShardId"], int(shard["HashKeyRange"]["StartingHashKey"]),
                              int(shard["HashKeyRange"]["EndingHashKey"])))
    shard_ids = [s[0] for s in report.shards]
    pool = concurrent.futures.ThreadPoolExecutor(DATA_PLANE_SHARDS)

    def per_shard(fn):
        return dict(zip(shard_ids, pool.map(fn, shard_ids)))

    def iterator(shard, kind, *extra):
        return aws("get-shard-iterator", "--stream-name", name, "--shard-id", shard,
                   "--shard-iterator-type", kind, *extra)["ShardIterator"]

    def get_records(shard_iterator, limit):
        answer = aws("get-records", "--shard-iterator", shard_iterator,
                     *(["--limit", str(limit)] if limit else []))
        records = [(r["SequenceNumber"], r["PartitionKey"], base64.b64decode(r["Data"]),
                    epoch_ms(r["ApproximateArrivalTimestamp"])) for r in answer["Records"]]
        return records, answer.get("MillisBehindLatest"), answer.get("NextShardIterator"), None

    def put_records(records):
        path = workdir / f"put-{records[0].section}-{records[0].index}.json"
        entries = []
        for r in records:
            entry = {"Data": base64.b64encode(r.data).decode(), "PartitionKey": r.key}
            if r.ehk is not None:
                entry["ExplicitHashKey"] = r.ehk
            entries.append(entry)
        path.write_text(json.dumps(entries))
        answer = aws("put-records", "--stream-name", name, "--records", f"file://{path}")
        failed = [(r, e) for r, e in zip(records, answer["Records"]) if "ErrorCode" in e]
        assert answer.get("FailedRecordCount", 0) == 0 and not failed, \
            f"put-records: FailedRecordCount {answer.get('FailedRecordCount')}: {failed[:5]}"
        assert len(answer["Records"]) == len(records)
        for r, e in zip(records, answer["Records"]):
            report.puts[r.section][r.index] = (e["ShardId"], e["SequenceNumber"])

    report.times["start"] = int(time.time() * 1000)
    put_records(workload.bulk[:workload.cut])
    report.times["cut"] = next_whole_second_ms()
    put_records(workload.bulk[workload.cut:])

    first, second = workload.single
    answer = aws("put-record", "--stream-name", name, "--partition-key", first.key,
                 "--data", base64.b64encode(first.data).decode())
    report.puts["single"][0] = (answer["ShardId"], answer["SequenceNumber"])
    answer = aws("put-record", "--stream-name", name, "--partition-key", second.key,
                 "--data", base64.b64encode(second.data).decode(),
                 "--sequence-number-for-ordering", answer["SequenceNumber"])
    report.puts["single"][1] = (answer["ShardId"], answer["SequenceNumber"])

    latest = per_shard(lambda shard: read_shard(report, "LATEST", shard, get_records,
                                                iterator(shard, "LATEST"), confirm_end=False))
    put_records(workload.latest)
    report.times["end"] = int(time.time() * 1000)

    def read_all(shard):
        read_shard(report, "LATEST", shard, get_records, latest[shard],
                   want=report.put_count(shard, ["latest"]), confirm_end=False)
        total = report.put_count(shard)
        read_shard(report, "TRIM_HORIZON", shard, get_records, iterator(shard, "TRIM_HORIZON"),
                   want=total, confirm_end=False)
        records = report.read("TRIM_HORIZON", shard)["records"]
        if records:
            i = len(records) * 3 // 4
            for kind, want in (("AT_SEQUENCE_NUMBER", total - i),
                               ("AFTER_SEQUENCE_NUMBER", total - i - 1)):
                report.read(kind, shard)["start"] = records[i][0]
                read_shard(report, kind, shard, get_records,
                           iterator(shard, kind, "--starting-sequence-number", records[i][0]),
                           want=want, confirm_end=False)
        before_cut = sum(1 for r in workload.bulk[:workload.cut]
                         if report.puts["bulk"][r.index][0] == shard)
        read_shard(report, "AT_TIMESTAMP", shard, get_records,
                   iterator(shard, "AT_TIMESTAMP", "--timestamp", str(report.times["cut"] / 1000)),
                   want=total - before_cut, confirm_end=False)

    per_shard(read_all)
    pool.shutdown()
    return report


def test_put_and_read_50_records(aws, kinesis_target, tmp_path):
    server, bootstrap = kinesis_target
    workload = DataPlaneWorkload(bulk=40, latest=8, batch=20)
    name = unique_name("dp-cli")
    aws("create-stream", "--stream-name", name, "--shard-count", str(DATA_PLANE_SHARDS))
    try:
        deadline = time.monotonic() + 30
        while aws("describe-stream-summary", "--stream-name", name)["StreamDescriptionSummary"][
                "StreamStatus"] != "ACTIVE":
            assert time.monotonic() < deadline, f"{name} not ACTIVE after 30 s"
            time.sleep(0.2)
        report = run_scenario(aws, name, workload, tmp_path)
        check_data_plane_report(report, workload, timed=False, confirmed_ends=False,
                                empty_shards=False)
        if bootstrap is not None:
            check_kafka_view(bootstrap, name, report, workload)
    finally:
        aws("delete-stream", "--stream-name", name)
