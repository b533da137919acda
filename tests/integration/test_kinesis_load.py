"""The benchmark's load generator (bench/kinesis_load.cc) against kbridge and the real broker.

bench/run.sh's figures are only as good as this tool: the records it reports acknowledged must be
in Kafka, its request loops must end on time, and a failing server must give a failing exit
status, not a quiet zero. Each run here is bounded (at most a few seconds, a `timeout` on top).
"""
import os
import socket
import pathlib
import re
import subprocess
import time

import pytest

from kbridge_harness import unique_name
from kinesis_checks import kafka_partition_records

RUN_TIMEOUT_S = 60


@pytest.fixture(scope="module")
def load_tool():
    tool = pathlib.Path(os.environ["KBRIDGE_BIN"]).parent / "kinesis_load"
    assert tool.exists(), f"{tool} is not built (bench/CMakeLists.txt builds it with kbridge)"
    return tool


def run(tool, *args):
    proc = subprocess.run([str(tool), *map(str, args)], capture_output=True, text=True,
                          timeout=RUN_TIMEOUT_S)
    result = {}
    for line in proc.stdout.splitlines():
        if line.startswith("result "):
            result = dict(re.findall(r"(\w+)=(\S+)", line))
    return proc.returncode, result, proc.stdout + proc.stderr


def test_a_fill_writes_exactly_what_it_reports(kbridge, kafka_bootstrap, load_tool):
    stream = unique_name("load")
    code, _, out = run(load_tool, "--endpoint", kbridge.endpoint, "--stream", stream,
                       "--create-stream", 1)
    assert code == 0 and f"stream {stream} ACTIVE" in out, out

    code, result, out = run(load_tool, "--endpoint", kbridge.endpoint, "--stream", stream,
                            "--op", "putrecords", "--connections", 3, "--threads", 2, "--batch",
                            40, "--record-bytes", 64, "--max-records", 1000)
    assert code == 0, out
    assert int(result["records"]) == 1000 and int(result["errors"]) == 0, out
    assert int(result["bytes"]) == 1000 * 64, out
    records = kafka_partition_records(kafka_bootstrap, stream, [0])[0]
    assert len(records) == 1000
    assert all(len(value) == 64 and key.startswith(b"pk-") for key, value in records.values())

    code, result, out = run(load_tool, "--endpoint", kbridge.endpoint, "--stream", stream,
                            "--op", "drain", "--expect", 1000, "--record-bytes", 64, "--limit",
                            300, "--duration", 0.5)
    assert code == 0, out
    assert int(result["records"]) >= 1000 and int(result["records"]) % 1000 == 0, out


def test_timed_loops_count_only_answered_calls_and_end_on_time(kbridge, load_tool):
    stream = unique_name("load")
    assert run(load_tool, "--endpoint", kbridge.endpoint, "--stream", stream,
               "--create-stream", 1)[0] == 0
    for op, connections in (("putrecord", 8), ("getsharditerator", 2)):
        started = time.monotonic()
        code, result, out = run(load_tool, "--endpoint", kbridge.endpoint, "--stream", stream,
                                "--op", op, "--connections", connections, "--duration", 1,
                                "--warmup", 0.2)
        took = time.monotonic() - started
        assert code == 0, out
        assert 1.2 <= took < 15, (took, out)  # (it waits for answers in flight)
        assert int(result["requests"]) > 0 and int(result["errors"]) == 0, out
        assert int(result["records"]) == int(result["requests"]), out
        assert 0 < float(result["p50_ms"]) <= float(result["p99_ms"]), out


def test_failures_give_a_failing_exit_status(kbridge, load_tool):
    # A stream that does not exist: every answer is a 400.
    code, result, out = run(load_tool, "--endpoint", kbridge.endpoint, "--stream",
                            unique_name("missing"), "--op", "putrecord", "--connections", 2,
                            "--duration", 0.5, "--warmup", 0)
    assert code == 1, out
    assert int(result["requests"]) == 0 and int(result["errors"]) > 0, out
    assert "ResourceNotFoundException" in out

    # Nothing listens: connection errors, and the loop still ends on time.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, never listening: connections are refused
        code, result, out = run(load_tool, "--endpoint", f"http://127.0.0.1:{port}", "--stream",
                                "s", "--op", "putrecord", "--connections", 2, "--duration", 0.5,
                                "--warmup", 0)
    assert code == 1, out
    assert int(result["errors"]) > 0 and "connection error" in out, out
