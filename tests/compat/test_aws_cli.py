"""AWS CLI v2 (the Debian package, /usr/bin/aws) against kbridge: the stream control plane."""
import json
import subprocess

import pytest

from kbridge_harness import (aws_cli, expected_hash_ranges, kafka_topic_exists,
                             shard_hash_ranges, shard_id, stream_arn, unique_name, wait_for,
                             wait_for_topic_config)
from kinesis_checks import HOUR_MS


@pytest.fixture(scope="module")
def aws(kbridge, tmp_path_factory):
    cli, env = aws_cli(tmp_path_factory.mktemp("aws-home"), max_attempts=2)

    def run(*args, check=True):
        cmd = [cli, "kinesis", *args, "--endpoint-url", kbridge.endpoint, "--output", "json"]
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
        if check:
            assert proc.returncode == 0, f"{' '.join(cmd)}\nexit {proc.returncode}\n{proc.stderr}"
        return proc

    def run_json(*args):
        out = run(*args).stdout
        return json.loads(out) if out.strip() else None

    run.json = run_json
    return run


def test_stream_lifecycle(aws, kafka_bootstrap):
    name = unique_name("cli")
    aws("create-stream", "--stream-name", name, "--shard-count", "3")

    def active():
        summary = aws.json("describe-stream-summary", "--stream-name", name)["StreamDescriptionSummary"]
        return summary if summary["StreamStatus"] == "ACTIVE" else None

    summary = wait_for(active, timeout=30, what=f"{name} ACTIVE")
    assert summary["StreamName"] == name
    assert summary["StreamARN"] == stream_arn(name)
    assert summary["OpenShardCount"] == 3
    assert summary["RetentionPeriodHours"] == 24

    shards = aws.json("list-shards", "--stream-name", name)["Shards"]
    assert [s["ShardId"] for s in shards] == [shard_id(i) for i in range(3)]
    assert shard_hash_ranges(shards) == expected_hash_ranges(3)
    assert all("StartingSequenceNumber" in s["SequenceNumberRange"] for s in shards)

    assert name in aws.json("list-streams")["StreamNames"]

    aws("add-tags-to-stream", "--stream-name", name, "--tags", "team=data,env=test")
    tags = aws.json("list-tags-for-stream", "--stream-name", name)
    assert {t["Key"]: t["Value"] for t in tags["Tags"]} == {"team": "data", "env": "test"}
    assert tags["HasMoreTags"] is False

    aws("increase-stream-retention-period", "--stream-name", name, "--retention-period-hours", "48")
    summary = aws.json("describe-stream-summary", "--stream-name", name)["StreamDescriptionSummary"]
    assert summary["RetentionPeriodHours"] == 48
    topic = wait_for_topic_config(kafka_bootstrap, name, "retention.ms", str(48 * HOUR_MS))
    assert topic["partitions"] == 3

    aws("decrease-stream-retention-period", "--stream-name", name, "--retention-period-hours", "24")
    summary = aws.json("describe-stream-summary", "--stream-name", name)["StreamDescriptionSummary"]
    assert summary["RetentionPeriodHours"] == 24
    wait_for_topic_config(kafka_bootstrap, name, "retention.ms", str(24 * HOUR_MS))

    aws("delete-stream", "--stream-name", name)

    def gone():
        proc = aws("describe-stream-summary", "--stream-name", name, check=False)
        return proc.returncode != 0 and "ResourceNotFoundException" in proc.stderr

    wait_for(gone, timeout=30, what=f"{name} deleted")
    wait_for(lambda: not kafka_topic_exists(kafka_bootstrap, name), timeout=30,
             what=f"topic {name} deleted in Kafka")


def test_describe_missing_stream_fails(aws):
    proc = aws("describe-stream-summary", "--stream-name", unique_name("missing"), check=False)
    assert proc.returncode in (254, 255), proc
    assert "ResourceNotFoundException" in proc.stderr
