"""AWS SDK for Java v2 (CBOR 1.1) against kbridge: the data plane.

java/KinesisDataPlane.java runs the scenario of kinesis_checks.py (10,000 records in PutRecords
batches of 500 over 4 shards, PutRecord with SequenceNumberForOrdering, every iterator type) and
reports what the SDK returned; this test checks the report, that every request was CBOR, then the
same records straight from the Kafka topic.
"""
import os
import pathlib
import shutil
import subprocess

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from kbridge_harness import CBOR_CONTENT_TYPE, REGION, require_env, unique_name
from kinesis_checks import (DataPlaneReport, DataPlaneWorkload, check_data_plane_report,
                            check_kafka_view)
from kinesis_checks import kinesis_target  # noqa: F401  (a fixture, found by name)

SOURCE = pathlib.Path(__file__).resolve().parent / "java" / "KinesisDataPlane.java"


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
    libs = pathlib.Path(require_env("KBRIDGE_AWS_JAVA_SDK_LIBS"))
    assert any(libs.glob("kinesis-*.jar")), f"no AWS SDK jars in {libs}; run scripts/setup"
    java = shutil.which("java")
    assert java, "java not found"
    workload = DataPlaneWorkload(bulk=10_000, batch=500)
    workload.write_tsv(tmp_path / "workload.tsv")
    name = unique_name("dp-java")
    env = dict(os.environ)
    env.pop("CBOR_ENABLED", None)  # SDK v2's switch (aws.cborEnabled); CBOR is its default: keep it on
    env.pop("JAVA_TOOL_OPTIONS", None)
    env["HOME"] = str(tmp_path)  # no ~/.aws profile may leak in
    try:
        proc = subprocess.run(
            [java, "-Xmx512m", "-XX:TieredStopAtLevel=1", "-cp", f"{libs}/*", str(SOURCE),
             server.endpoint, name, str(tmp_path / "workload.tsv"), str(tmp_path / "report.jsonl"),
             str(workload.batch), str(workload.cut), "1000"],
            env=env, capture_output=True, text=True, timeout=240)
        output = proc.stdout + proc.stderr
        assert proc.returncode == 0 and "scenario done" in proc.stdout, \
            f"KinesisDataPlane failed (exit {proc.returncode}):\n{output[-20000:]}"
        report = DataPlaneReport.from_jsonl(tmp_path / "report.jsonl")
        assert report.http and all(ct == CBOR_CONTENT_TYPE for ct, _ in report.http), \
            f"not every request was {CBOR_CONTENT_TYPE}: {sorted(set(report.http))}"
        assert {"PutRecords", "PutRecord", "GetShardIterator", "GetRecords"} <= \
            {op for _, op in report.http}
        check_data_plane_report(report, workload)
        if bootstrap is not None:
            check_kafka_view(bootstrap, name, report, workload)
    finally:
        delete_stream(server.endpoint, name)
