"""Fault test: the Kafka broker dies while clients are putting. Every PutRecord / PutRecords record
either failed visibly (a retriable error: 5xx, or ProvisionedThroughputExceededException, or a
per-record ErrorCode) or is in the topic after the broker returns, at the offset its sequence number
names, with its partition key and data: zero acknowledged records missing.

This module never touches the shared test broker: it runs its own single-node broker
(tests/support/kafka_broker.sh, persistent mode so the data survives the restart) in a temporary
directory, and its own kbridge on it with kafka.request_timeout_ms 5000 so that failures come back
quickly. The broker is killed (SIGKILL, by the PID its script recorded) while five client threads
put, then started again on the same ports and data directory. Everything is bounded in time and
stopped by PID.
"""
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import threading
import time

import pytest

from kbridge_harness import KbridgeFactory, raw_call, require_env, unique_name, wait_for
from kinesis_checks import b64, call, decode_sequence, kafka_partition_records, read_records, \
    record_tuple, shard_iterator

SHARDS = 2
REQUEST_TIMEOUT_MS = 5000
BEFORE_KILL_S = 2.0  # putting against a healthy broker
DOWN_S = 1.0  # broker dead before its restart begins (which itself takes seconds)
AFTER_RESTART_S = 2.0  # putting again once a put succeeded after the restart
RECOVERY_LIMIT_S = 40.0  # the first successful put after the restart must come within this
CLIENT_TIMEOUT_S = 30.0  # an answer must come within this, success or failure
RETRIABLE_TYPES = {"InternalFailure", "ServiceUnavailable",
                   "ProvisionedThroughputExceededException", "LimitExceededException"}


def _free_ports(n=2):
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


class Broker:
    """A persistent-mode broker of kafka_broker.sh in `directory`, on fixed ports."""

    def __init__(self, directory):
        self.dir = pathlib.Path(directory)
        self.port, self.controller_port = _free_ports()
        root = pathlib.Path(require_env("KBRIDGE_SOURCE_DIR"))
        self.script = root / "tests/support/kafka_broker.sh"

    @property
    def bootstrap(self):
        return f"127.0.0.1:{self.port}"

    def _start(self):
        return subprocess.run(
            ["bash", str(self.script), "start", str(self.dir), "--persistent",
             "--port", str(self.port), "--controller-port", str(self.controller_port)],
            capture_output=True, text=True, timeout=120)

    def start(self):
        """A restart: same ports, same data."""
        result = self._start()
        assert result.returncode == 0, f"broker start failed:\n{result.stdout}\n{result.stderr}"

    def start_fresh(self, attempts=3):
        """The first start. Ports picked free can be taken by another test's process before the
        JVM binds them, so a failed first start is retried on new ports with an empty directory;
        the scenario itself (kill, restart on the same ports) is never retried."""
        for _ in range(attempts):
            result = self._start()
            if result.returncode == 0:
                return
            self.stop()
            shutil.rmtree(self.dir, ignore_errors=True)
            self.port, self.controller_port = _free_ports()
        assert False, f"broker start failed {attempts} times:\n{result.stdout}\n{result.stderr}"

    def pid(self):
        return int((self.dir / "pid").read_text().strip())

    def kill(self):
        """SIGKILL to the recorded PID, after checking it is this directory's broker JVM."""
        pid = self.pid()
        cmdline = pathlib.Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        assert f"{self.dir}/server.properties" in cmdline, (pid, cmdline)
        os.kill(pid, signal.SIGKILL)
        wait_for(lambda: not _alive(pid), timeout=10, interval=0.05, what=f"broker {pid} gone")

    def stop(self):
        subprocess.run(["bash", str(self.script), "stop", str(self.dir)], capture_output=True,
                       timeout=60)


def _alive(pid):
    try:
        with open(f"/proc/{pid}/status") as status:
            return not any(line.startswith("State:") and "Z" in line.split()[1] for line in status)
    except FileNotFoundError:
        return False


class Putter(threading.Thread):
    """Puts until told to stop; records every outcome with the time it was sent."""

    def __init__(self, endpoint, stream, name, batch):
        super().__init__(name=name, daemon=True)
        self.endpoint, self.stream, self.batch = endpoint, stream, batch
        self.stop_flag = threading.Event()
        self.acked = []  # (sent_at, key, data, shard id, sequence number)
        self.failed = []  # (sent_at, key, status, type or ErrorCode, message)
        self.problems = []  # answers that are neither a success nor a retriable failure

    def run(self):
        i = 0
        while not self.stop_flag.is_set():
            records = [(f"{self.name}-{i + j}", f"{self.name}:{i + j}:".encode() + os.urandom(6) +
                        b"\x00\xff") for j in range(self.batch or 1)]
            i += len(records)
            sent_at = time.monotonic()
            try:
                if self.batch:
                    self._put_records(sent_at, records)
                else:
                    self._put_record(sent_at, *records[0])
            except Exception as err:  # noqa: BLE001 - a client-side timeout or reset is a finding
                self.problems.append(f"{records[0][0]}..: no answer: {err!r}")

    def _call(self, action, body):
        status, _, payload = raw_call(self.endpoint, action, body, timeout=CLIENT_TIMEOUT_S)
        return status, payload if isinstance(payload, dict) else {"raw": payload}

    def _failure(self, sent_at, key, status, payload):
        type_ = payload.get("__type")
        self.failed.append((sent_at, key, status, type_, payload.get("message")))
        retriable = status >= 500 or (status == 400 and type_ in RETRIABLE_TYPES)
        if not retriable or type_ not in RETRIABLE_TYPES:
            self.problems.append(f"{key}: not a retriable failure: {status} {payload}")

    def _put_record(self, sent_at, key, data):
        status, payload = self._call("PutRecord", {"StreamName": self.stream, "PartitionKey": key,
                                                   "Data": b64(data)})
        if status == 200:
            self.acked.append((sent_at, key, data, payload.get("ShardId"),
                               payload.get("SequenceNumber")))
        else:
            self._failure(sent_at, key, status, payload)

    def _put_records(self, sent_at, records):
        status, payload = self._call("PutRecords", {
            "StreamName": self.stream,
            "Records": [{"PartitionKey": k, "Data": b64(d)} for k, d in records]})
        if status != 200:
            for key, _ in records:
                self._failure(sent_at, key, status, payload)
            return
        results = payload.get("Records", [])
        if len(results) != len(records):
            self.problems.append(f"PutRecords answered {len(results)} results for {len(records)}")
            return
        failed = 0
        for (key, data), result in zip(records, results):
            if "SequenceNumber" in result:
                self.acked.append((sent_at, key, data, result.get("ShardId"),
                                   result["SequenceNumber"]))
            else:
                failed += 1
                self.failed.append((sent_at, key, 200, result.get("ErrorCode"),
                                    result.get("ErrorMessage")))
                if result.get("ErrorCode") not in ("ProvisionedThroughputExceededException",
                                                   "InternalFailure"):
                    self.problems.append(f"{key}: per-record ErrorCode {result!r}")
        if payload.get("FailedRecordCount") != failed:
            self.problems.append(f"FailedRecordCount {payload.get('FailedRecordCount')} but "
                                 f"{failed} records failed")


def _run(factory, broker):
    kb = factory.start(config={"kafka": {"request_timeout_ms": REQUEST_TIMEOUT_MS}},
                       name="kbridge-fault")
    stream = unique_name("fault")
    status, body = call(kb, "CreateStream", {"StreamName": stream, "ShardCount": SHARDS})
    assert status == 200, body
    wait_for(lambda: call(kb, "DescribeStreamSummary", {"StreamName": stream})[1]
             .get("StreamDescriptionSummary", {}).get("StreamStatus") == "ACTIVE",
             timeout=30, what=f"{stream} ACTIVE")

    putters = [Putter(kb.endpoint, stream, f"single{i}", 0) for i in range(3)] + \
        [Putter(kb.endpoint, stream, f"batch{i}", 5) for i in range(2)]
    try:
        for p in putters:
            p.start()
        time.sleep(BEFORE_KILL_S)
        killed_at = time.monotonic()
        broker.kill()
        time.sleep(DOWN_S)
        broker.start()
        restarted_at = time.monotonic()
        # Go on until every putter had a success sent after the restart (or the limit passed).
        deadline = restarted_at + RECOVERY_LIMIT_S
        while time.monotonic() < deadline and not all(
                any(a[0] >= restarted_at for a in p.acked) for p in putters):
            time.sleep(0.2)
        time.sleep(AFTER_RESTART_S)
    finally:
        for p in putters:
            p.stop_flag.set()
        for p in putters:
            p.join(CLIENT_TIMEOUT_S + 5)
    return {"kb": kb, "broker": broker, "stream": stream, "putters": putters,
            "killed_at": killed_at, "restarted_at": restarted_at}


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    """Runs the whole fault scenario once; the tests below judge its outcome."""
    workdir = tmp_path_factory.mktemp("fault")
    broker = Broker(workdir / "kafka")
    (workdir / "kbridge").mkdir()
    factory = None
    try:
        broker.start_fresh()
        factory = KbridgeFactory(workdir / "kbridge", broker.bootstrap)
        yield _run(factory, broker)
        factory.stop_all(check=True)
    finally:
        if factory:
            factory.stop_all(check=False)  # no-op for instances already stopped
        broker.stop()


def test_puts_were_answered_and_failures_are_retriable(scenario):
    problems = [msg for p in scenario["putters"] for msg in p.problems]
    assert not problems, "\n".join(problems[:40])
    assert not any(p.is_alive() for p in scenario["putters"]), \
        "a putter is still waiting for an answer"


def test_the_outage_was_observed(scenario):
    """The scenario means something: successes before the kill, failures while the broker was
    down."""
    for p in scenario["putters"]:
        before = [a for a in p.acked if a[0] < scenario["killed_at"]]
        during = [f for f in p.failed if scenario["killed_at"] <= f[0] < scenario["restarted_at"]]
        print(f"{p.name}: {len(p.acked)} acknowledged ({len(before)} before the kill), "
              f"{len(p.failed)} failed ({len(during)} while down): "
              f"{sorted({(f[2], f[3]) for f in p.failed})}")
        assert before, f"{p.name}: no successful put before the broker was killed"
        assert during, f"{p.name}: no failed put while the broker was down ({len(p.acked)} acked)"


def test_puts_succeed_again_after_the_restart(scenario):
    for p in scenario["putters"]:
        after = [a for a in p.acked if a[0] >= scenario["restarted_at"]]
        late_failures = [f for f in p.failed if f[0] >= scenario["restarted_at"]]
        assert after, (f"{p.name}: no successful put within {RECOVERY_LIMIT_S}s of the broker's "
                       f"restart; failures since: {late_failures[-3:]}")


def test_no_acknowledged_record_missing(scenario):
    """Every acknowledged record is in Kafka at the offset its sequence number names."""
    acked = [a for p in scenario["putters"] for a in p.acked]
    assert acked
    kafka = kafka_partition_records(scenario["broker"].bootstrap, scenario["stream"],
                                    list(range(SHARDS)))
    missing = []
    for _, key, data, shard_id, seq in acked:
        _, shard, offset = decode_sequence(seq)
        if shard_id != f"shardId-{shard:012d}":
            missing.append(f"{key}: ShardId {shard_id} but sequence number {seq} encodes shard "
                           f"{shard}")
            continue
        got = kafka.get(shard, {}).get(offset)
        if got != (key.encode(), data):
            missing.append(f"{key} ({seq}: shard {shard} offset {offset}): Kafka has {got!r}")
    assert not missing, f"{len(missing)} of {len(acked)} acknowledged records missing:\n" + \
        "\n".join(missing[:40])


def test_acknowledged_records_read_back_through_kbridge(scenario):
    """After the restart, GetRecords from TRIM_HORIZON sees every acknowledged record, in order."""
    kb, stream = scenario["kb"], scenario["stream"]
    acked = [a for p in scenario["putters"] for a in p.acked]
    for shard in range(SHARDS):
        want = sorted(((seq, key, data) for _, key, data, sid, seq in acked
                       if sid == f"shardId-{shard:012d}"), key=lambda r: int(r[0]))
        got, _ = read_records(kb, shard_iterator(kb, stream, shard, "TRIM_HORIZON"), len(want),
                              timeout=20)
        got = [record_tuple(r) for r in got]
        seqs = {g[0] for g in got}
        lost = [w for w in want if w[0] not in seqs]
        assert not lost, \
            f"shard {shard}: {len(lost)} acknowledged records not read back: {lost[:5]}"
        assert [g for g in got if g[0] in {w[0] for w in want}] == want
