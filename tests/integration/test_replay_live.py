"""`kbridge replay --mapping M --execute` while kbridge runs the mapping (issue 6, acceptance 3).

The running instance is paused through a control record in the catalog topic
(bridge/streams/group_control.h): it commits, leaves the group, replay moves the offsets of the
empty group and resumes it, and the instance rejoins from the new offsets by itself — the same
process the whole time. Checked here with a webhook handler:
- a dry run changes nothing and pauses nothing;
- replay by timestamp, then by sequence number, re-delivers exactly the expected records (by
  sequence number, in order per shard), and records put afterwards are delivered too;
- a pause nobody resumes (a crashed replay) ends by itself at its deadline; meanwhile
  /v1/mappings shows the mapping paused and nothing is delivered.
"""
import datetime
import json
import time

from kbridge_harness import kafka_admin, wait_for
from mapping_checks import (committed_offsets, group_of, mapping, mappings_view, put_all,
                            serving, wait_committed)
from test_replay import kbridge_cli, records


def iso(ms):
    stamp = datetime.datetime.fromtimestamp(ms // 1000, datetime.timezone.utc)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S") + f".{ms % 1000:03d}Z"


def ends_of(puts):
    ends = {}
    for p in puts:
        ends[p.partition] = max(ends.get(p.partition, 0), p.offset + 1)
    return ends


def by_shard(seqs_or_records, shard_of):
    out = {}
    for r in seqs_or_records:
        out.setdefault(shard_of(r), []).append(r)
    return out


def log_text(instance):
    return instance.log_path.read_text(errors="replace")


def test_replay_by_timestamp_and_sequence_while_running(kbridge, kbridge_factory, kafka_bootstrap,
                                                        new_stream, sinks):
    stream = new_stream(shards=2, prefix="replay-live")
    name = f"live-{stream.rsplit('-', 1)[1]}"
    group = group_of(name)
    sink = sinks()
    # Two waves a second apart, so the timestamp falls cleanly between them.
    first = put_all(kbridge, stream, [(f"k{i}", d) for i, (_, d) in enumerate(records(20))])
    time.sleep(1.2)
    second = put_all(kbridge, stream,
                     [(f"k{i}", d) for i, (_, d) in enumerate(records(20, start=20), start=20)])
    puts = first + second
    ends = ends_of(puts)
    config = mapping(name, stream, sink.handler_config(), batch_size=5)
    with serving(kbridge_factory, [config], name="replay-live") as running:
        pid = running.pid
        sink.wait_for_delivered(40, timeout=30)
        wait_committed(kafka_bootstrap, group, stream, ends)
        arrival = {r.sequence: round(r.arrival * 1000) for r in sink.delivered()}
        assert len(arrival) == 40
        assert mappings_view(running)[name]["state"] == "running"

        # Dry run: a plan, no pause, nothing moved, nothing delivered again.
        code, out, err = kbridge_cli(running, "replay", "--mapping", name, "--to", "trim-horizon")
        assert code == 0, (out, err)
        assert "dry run" in out, out
        assert sink.quiet(1.0)
        assert sink.delivered_count() == 40
        assert committed_offsets(kafka_bootstrap, group, stream, 2) == ends
        assert "pausing for replay" not in log_text(running)

        # By timestamp: every shard from the first record of the second wave.
        t_ms = min(arrival[p.sequence] for p in second)
        assert max(arrival[p.sequence] for p in first) < t_ms
        code, out, err = kbridge_cli(running, "replay", "--mapping", name, "--to",
                                     f"timestamp:{iso(t_ms)}", "--execute", "--json")
        assert code == 0, (out, err)
        plan = json.loads(out)
        assert plan["executed"] is True, plan
        replay_id = plan["replay_id"]
        assert "pausing mapping" in err and "resumed" in err, err
        expected = [p for p in puts if arrival[p.sequence] >= t_ms]
        assert sorted(p.sequence for p in expected) == sorted(p.sequence for p in second)
        assert sum(s["redeliver"] for s in plan["shards"]) == len(expected), plan
        sink.wait_for_delivered(40 + len(expected), timeout=30)
        wait_committed(kafka_bootstrap, group, stream, ends)
        assert sink.quiet(1.0)
        again = sink.delivered()[40:]
        shard_of_put = lambda p: p.shard  # noqa: E731
        shard_of_rec = lambda r: r.shard  # noqa: E731
        want = {s: [p.sequence for p in ps] for s, ps in by_shard(expected, shard_of_put).items()}
        got = {s: [r.sequence for r in rs] for s, rs in by_shard(again, shard_of_rec).items()}
        assert got == want
        log = log_text(running)
        assert f"pausing for replay {replay_id}" in log, running.log_tail()
        assert f"resumed by replay {replay_id}" in log, running.log_tail()

        # By sequence number: only that record's shard, from that record on.
        on_shard = by_shard(sorted(puts, key=lambda p: p.offset), lambda p: p.partition)
        shard = max(on_shard, key=lambda s: len(on_shard[s]))
        target = on_shard[shard][len(on_shard[shard]) // 3]
        before = sink.delivered_count()
        code, out, err = kbridge_cli(running, "replay", "--mapping", name, "--to",
                                     f"sequence:{target.sequence}", "--execute")
        assert code == 0, (out, err)
        assert "done: mapping" in out, out
        expected = [p.sequence for p in on_shard[shard] if p.offset >= target.offset]
        sink.wait_for_delivered(before + len(expected), timeout=30)
        wait_committed(kafka_bootstrap, group, stream, ends)
        assert sink.quiet(1.0)
        again = sink.delivered()[before:]
        assert [r.sequence for r in again] == expected

        # Records put after the replays are delivered, once.
        before = sink.delivered_count()
        later = put_all(kbridge, stream, records(6, start=100))
        sink.wait_for_delivered(before + 6, timeout=30)
        assert sink.quiet(0.5)
        assert sorted(r.sequence for r in sink.delivered()[before:]) == \
            sorted(p.sequence for p in later)

        # The same process the whole time: it joined the group three times and never stopped.
        assert running.proc.poll() is None and running.pid == pid
        log = log_text(running)
        assert log.count(f"mapping {name}: {stream} → webhook handler") == 3, running.log_tail()
        assert f"mapping {name}: stopped" not in log
        assert mappings_view(running)[name]["state"] == "running"


def test_abandoned_pause_ends_at_its_deadline(kbridge, kbridge_factory, kafka_bootstrap,
                                              new_stream, sinks):
    from confluent_kafka import Producer
    stream = new_stream(shards=1, prefix="replay-dl")
    name = f"dl-{stream.rsplit('-', 1)[1]}"
    group = group_of(name)
    sink = sinks()
    put_all(kbridge, stream, records(3))
    with serving(kbridge_factory, [mapping(name, stream, sink.handler_config())],
                 name="replay-dl") as running:
        sink.wait_for_delivered(3, timeout=30)
        wait_committed(kafka_bootstrap, group, stream, {0: 3})
        # What a replay that crashed right after pausing leaves behind.
        now_ms = int(time.time() * 1000)
        deadline_ms = now_ms + 10000
        record = {"v": 1, "kind": "group-control", "group": group, "state": "paused",
                  "replayId": "crashed0crashed0", "mapping": name, "reason": "replay to latest",
                  "deadlineMs": deadline_ms, "writtenMs": now_ms}
        producer = Producer({"bootstrap.servers": kafka_bootstrap, "acks": "all"})
        producer.produce("__kbridge_catalog", key=f"#group/{group}", value=json.dumps(record))
        assert producer.flush(10) == 0
        view = wait_for(lambda: (v := mappings_view(running)[name])["state"] == "paused" and v,
                        timeout=10, interval=0.1, what=f"{name} paused")
        assert view["pause"]["replay_id"] == "crashed0crashed0", view
        assert view["pause"]["deadline_ms"] == deadline_ms, view

        admin = kafka_admin(kafka_bootstrap)

        def group_empty():
            (desc,) = admin.describe_consumer_groups([group]).values()
            return not desc.result(10).members
        wait_for(group_empty, timeout=10, interval=0.2, what=f"{group} empty")
        put_all(kbridge, stream, records(2, start=3))
        # Nothing is delivered while paused ...
        assert time.time() * 1000 < deadline_ms - 1000
        assert sink.quiet(min(2.0, (deadline_ms / 1000 - time.time()) - 0.5))
        assert sink.delivered_count() == 3
        # ... and after the deadline the mapping resumes by itself.
        sink.wait_for_delivered(5, timeout=30)
        assert time.time() * 1000 >= deadline_ms
        assert [r.json()["i"] for r in sink.delivered()] == [0, 1, 2, 3, 4]
        assert mappings_view(running)[name]["state"] == "running"
        assert "passed its deadline without a resume" in log_text(running), running.log_tail()
