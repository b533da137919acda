"""AWS SDK for JavaScript v3 (@aws-sdk/client-kinesis, JSON 1.1) against kbridge: the data plane.

js/data_plane.mjs runs the scenario of kinesis_checks.py (10,000 records in PutRecords batches of 500
over 4 shards, PutRecord with SequenceNumberForOrdering, every iterator type) and reports what the SDK
returned; this test checks the report, then the same records straight from the Kafka topic.
The SDK comes from js/package-lock.json (`npm ci` in tests/compat/js, done by scripts/setup).
"""
import os
import pathlib
import shutil
import subprocess

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from kbridge_harness import JSON_CONTENT_TYPE, REGION, unique_name
from kinesis_checks import (DataPlaneReport, DataPlaneWorkload, check_data_plane_report,
                            check_kafka_view)
from kinesis_checks import kinesis_target  # noqa: F401  (a fixture, found by name)

JS_DIR = pathlib.Path(__file__).resolve().parent / "js"


def delete_stream(endpoint, name):
    client = boto3.client("kinesis", endpoint_url=endpoint, region_name=REGION,
                          aws_access_key_id="test", aws_secret_access_key="test",
                          config=Config(retries={"max_attempts": 1}))
    try:
        client.delete_stream(StreamName=name)
    except ClientError as err:
        assert err.response["Error"]["Code"] == "ResourceNotFoundException", err


def test_put_and_read_10000_records(kinesis_target, tmp_path):
    server, bootstrap = kinesis_target
    node = shutil.which("node")
    assert node, "node not found"
    assert (JS_DIR / "node_modules" / "@aws-sdk" / "client-kinesis").is_dir(), \
        f"{JS_DIR}/node_modules lacks @aws-sdk/client-kinesis; run scripts/setup (npm ci there)"
    workload = DataPlaneWorkload(bulk=10_000, batch=500)
    workload.write_tsv(tmp_path / "workload.tsv")
    name = unique_name("dp-js")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["HOME"] = str(tmp_path)  # no ~/.aws profile may leak in
    try:
        proc = subprocess.run(
            [node, str(JS_DIR / "data_plane.mjs"), server.endpoint, name,
             str(tmp_path / "workload.tsv"), str(tmp_path / "report.jsonl"), str(workload.batch),
             str(workload.cut), "1000"],
            cwd=JS_DIR, env=env, capture_output=True, text=True, timeout=180)
        output = proc.stdout + proc.stderr
        assert proc.returncode == 0 and "scenario done" in proc.stdout, \
            f"data_plane.mjs failed (exit {proc.returncode}):\n{output}"
        report = DataPlaneReport.from_jsonl(tmp_path / "report.jsonl")
        assert report.http and all(ct == JSON_CONTENT_TYPE for ct, _ in report.http), \
            f"not every request was {JSON_CONTENT_TYPE}: {sorted(set(report.http))}"
        assert {"PutRecordsCommand", "PutRecordCommand", "GetShardIteratorCommand",
                "GetRecordsCommand"} <= {op for _, op in report.http}
        check_data_plane_report(report, workload)
        if bootstrap is not None:
            check_kafka_view(bootstrap, name, report, workload)
    finally:
        delete_stream(server.endpoint, name)
