"""`kbridge replay` (issue 6): moving a mapping's checkpoint on the real broker.

- the dry run prints the plan (current → new offset, records re-delivered) and changes nothing;
- --execute on a plain group (--group G --stream S) is refused while it has members (the running
  kbridge's mapping; `--mapping M` pauses a running mapping instead: test_replay_live.py);
- with the mapping stopped, --execute moves the group's committed offsets — Kafka's own
  kafka-consumer-groups --describe shows them — and the restarted mapping re-delivers exactly the
  records from the new position: trim-horizon, a sequence number, a timestamp;
- a sequence number of another stream generation or shard is an error; offsets clamp with a note.
"""
import datetime
import json
import os
import subprocess

from kbridge_harness import require_env, unique_name
from mapping_checks import (committed_offsets, consumer_groups_describe, group_of, mapping, put_all,
                            serving, wait_committed)


def records(n, start=0):
    return [("k", json.dumps({"i": i}).encode()) for i in range(start, start + n)]


def index_of(record):
    return json.loads(record.data)["i"]


def kbridge_cli(instance, *args, timeout=60):
    """Runs `kbridge ARGS --config <the instance's config>`; returns (exit code, stdout, stderr)."""
    env = dict(os.environ)
    env.pop("KBRIDGE_BOOTSTRAP", None)
    done = subprocess.run([require_env("KBRIDGE_BIN"), *args, "--config", str(instance.config_path)],
                          capture_output=True, text=True, timeout=timeout, env=env)
    return done.returncode, done.stdout, done.stderr


def delivered_indices(sink):
    return [index_of(r) for r in sink.delivered()]


def test_replay_trim_horizon_refused_while_running_then_redelivers(
        kbridge, kbridge_factory, kafka_bootstrap, new_stream, sinks, tmp_path):
    stream = new_stream(shards=1, prefix="replay-th")
    name = unique_name("replay-th")
    group = group_of(name)
    sink = sinks()
    put_all(kbridge, stream, records(20))
    config = mapping(name, stream, sink.handler_config(), batch_size=5)
    with serving(kbridge_factory, [config], name="replay-th-1") as running:
        sink.wait_for_delivered(20, timeout=30)
        wait_committed(kafka_bootstrap, group, stream, {0: 20})
        # Dry run while running: a plan, nothing changed.
        code, out, err = kbridge_cli(running, "replay", "--mapping", name, "--to", "trim-horizon")
        assert code == 0, (out, err)
        print(out)
        assert "dry run" in out
        row = next(line.split() for line in out.splitlines()
                   if line.startswith("shardId-000000000000"))
        assert row[1:5] == ["20", "0", "20", "0"], out  # current, new, redeliver, skip
        # --execute on the plain group while the mapping runs: refused, checkpoint untouched.
        code, out, err = kbridge_cli(running, "replay", "--group", group, "--stream", stream,
                                     "--to", "trim-horizon", "--execute")
        assert code == 1, (out, err)
        assert "active member" in err and "replay --mapping" in err, err
        assert committed_offsets(kafka_bootstrap, group, stream, 1) == {0: 20}
        config_path = running.config_path
    assert sink.delivered_count() == 20

    # Stopped: --execute moves the checkpoint; Kafka's tool shows it.
    code, out, err = kbridge_cli(running, "replay", "--mapping", name, "--to", "trim-horizon",
                                 "--execute", "--json")
    assert code == 0, (out, err)
    plan = json.loads(out)
    assert plan["executed"] is True
    assert plan["shards"][0]["current_offset"] == 20 and plan["shards"][0]["new_offset"] == 0
    rows, text = consumer_groups_describe(kafka_bootstrap, group, tmp_path)
    assert [(r["PARTITION"], r["CURRENT-OFFSET"], r["LOG-END-OFFSET"]) for r in rows] == \
        [("0", "0", "20")], text
    assert config_path.exists()

    # Restarted: everything again, in order.
    with serving(kbridge_factory, [config], name="replay-th-2"):
        sink.wait_for_delivered(40, timeout=30)
        wait_committed(kafka_bootstrap, group, stream, {0: 20})
        assert sink.quiet(0.5)
    assert delivered_indices(sink) == list(range(20)) * 2


def test_replay_by_sequence_and_timestamp(kbridge, kbridge_factory, kafka_bootstrap, new_stream,
                                          sinks):
    stream = new_stream(shards=2, prefix="replay-seq")
    name = unique_name("replay-seq")
    group = group_of(name)
    sink = sinks()
    puts = put_all(kbridge, stream, records(30))
    config = mapping(name, stream, sink.handler_config(), batch_size=10)
    with serving(kbridge_factory, [config], name="replay-seq-1") as first:
        sink.wait_for_delivered(30, timeout=30)
        ends = {}
        for p in puts:
            ends[p.partition] = max(ends.get(p.partition, 0), p.offset + 1)
        wait_committed(kafka_bootstrap, group, stream, ends)
    first_round = {r.sequence: r for r in sink.delivered()}
    assert len(first_round) == 30

    # Sequence number: only that record's shard moves, to that record.
    target = puts[12]
    code, out, err = kbridge_cli(first, "replay", "--mapping", name, "--to",
                                 f"sequence:{target.sequence}", "--execute")
    assert code == 0, (out, err)
    print(out)
    expected = [p for p in puts if p.partition == target.partition and p.offset >= target.offset]
    with serving(kbridge_factory, [config], name="replay-seq-2"):
        sink.wait_for_delivered(30 + len(expected), timeout=30)
        wait_committed(kafka_bootstrap, group, stream, ends)
        assert sink.quiet(0.5)
    again = sink.delivered()[30:]
    assert [r.sequence for r in again] == [p.sequence for p in expected]

    # Timestamp: every shard from the first record at or after the arrival time of record 20.
    arrival_ms = round(first_round[puts[20].sequence].arrival * 1000)  # approximateArrival
    stamp = datetime.datetime.fromtimestamp(arrival_ms // 1000, datetime.timezone.utc)
    iso = stamp.strftime("%Y-%m-%dT%H:%M:%S") + f".{arrival_ms % 1000:03d}Z"
    code, out, err = kbridge_cli(first, "replay", "--mapping", name, "--to", f"timestamp:{iso}",
                                 "--execute")
    assert code == 0, (out, err)
    print(out)
    expected_ts = sorted(p.sequence for p in puts
                         if round(first_round[p.sequence].arrival * 1000) >= arrival_ms)
    before = len(sink.delivered())
    with serving(kbridge_factory, [config], name="replay-seq-3"):
        sink.wait_for_delivered(before + len(expected_ts), timeout=30)
        wait_committed(kafka_bootstrap, group, stream, ends)
        assert sink.quiet(0.5)
    assert sorted(r.sequence for r in sink.delivered()[before:]) == expected_ts


def test_replay_validation(kbridge, kbridge_factory, kafka_bootstrap, new_stream, sinks):
    stream = new_stream(shards=1, prefix="replay-bad")
    other = new_stream(shards=1, prefix="replay-other")
    name = unique_name("replay-bad")
    sink = sinks()
    put_all(kbridge, stream, records(5))
    (foreign,) = put_all(kbridge, other, records(1))
    config = mapping(name, stream, sink.handler_config())
    with serving(kbridge_factory, [config], name="replay-bad") as running:
        wait_committed(kafka_bootstrap, group_of(name), stream, {0: 5})
        code, out, err = kbridge_cli(running, "replay", "--mapping", name, "--to",
                                     f"sequence:{foreign.sequence}")
        assert code == 1 and "another generation" in err, (out, err)
        code, out, err = kbridge_cli(running, "replay", "--mapping", name, "--to", "offset:3=1")
        assert code == 1 and "no shard" in err, (out, err)
        code, out, err = kbridge_cli(running, "replay", "--mapping", name, "--to", "offset:0=99")
        assert code == 0 and "clamped to 5" in out, (out, err)
        code, out, err = kbridge_cli(running, "replay", "--mapping", name, "--to", "yesterday")
        assert code == 2 and "unknown position" in err, (out, err)
        # The plain-group form names the group and the stream.
        code, out, err = kbridge_cli(running, "replay", "--group", group_of(name), "--stream",
                                     stream, "--to", "latest", "--json")
        assert code == 0, (out, err)
        assert json.loads(out)["shards"][0]["current_offset"] == 5
