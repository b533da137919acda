"""Consumer-lag monitoring (issue 6): GET /v1/lag, the kbridge_lag_* gauges and `kbridge lag`
against Kafka's own view on the real broker.

- a stuck mapping: /v1/lag, `kbridge lag --json` and kafka-consumer-groups --describe agree on every
  shard's committed offset, end offset and lag; seconds behind is within 1 s of now − the arrival
  time of the oldest unconsumed record;
- status over the window: OK while the window fills, WARN while a slow handler falls behind,
  STALL when the handler stops taking records, and STOP (seen through lag.groups by another
  instance) once the mapping's instance is gone.
"""
import json
import threading
import time

from kbridge_harness import http_get, unique_name, wait_for
from mapping_checks import (boto3_client, committed_offsets, consumer_groups_describe, group_of,
                            mapping, put_all, serving, wait_started)
from test_replay import kbridge_cli

LAG = {"lag": {"interval_s": 1, "window": 3}}


def lag_of(instance, name):
    status, body = http_get(f"{instance.admin_endpoint}/v1/lag/{name}")
    assert status == 200, body
    return json.loads(body)


def records(n, start=0):
    return [("k", json.dumps({"i": i}).encode()) for i in range(start, start + n)]


def arrival_of(instance, stream, shard, sequence):
    client = boto3_client(instance)
    iterator = client.get_shard_iterator(StreamName=stream, ShardId=shard,
                                         ShardIteratorType="AT_SEQUENCE_NUMBER",
                                         StartingSequenceNumber=sequence)["ShardIterator"]
    (record, *_) = client.get_records(ShardIterator=iterator, Limit=1)["Records"]
    return record["ApproximateArrivalTimestamp"].timestamp()


def test_lag_matches_kafka_and_seconds_behind(kbridge, kbridge_factory, kafka_bootstrap,
                                              new_stream, sinks, tmp_path):
    stream = new_stream(shards=2, prefix="lag-match")
    name = unique_name("lag-match")
    group = group_of(name)
    sink = sinks()
    config = mapping(name, stream, sink.handler_config(), batch_size=5)
    with serving(kbridge_factory, [config], name="lag-match", extra=LAG) as running:
        wait_started(kafka_bootstrap, group, stream, 2)
        puts = put_all(running, stream, [(f"key-{i}", json.dumps({"i": i}).encode())
                                         for i in range(40)])
        sink.wait_for_delivered(40, timeout=30)
        sink.unavailable = True  # the handler stops taking records: the checkpoint stays put
        more = put_all(running, stream, [(f"key-{i}", json.dumps({"i": i}).encode())
                                         for i in range(40, 60)])
        committed = wait_for(lambda: (c := committed_offsets(kafka_bootstrap, group, stream, 2))
                             and sum(c.values()) == 40 and c, what="40 committed")
        time.sleep(2.5)  # a sample taken after the last put
        view = lag_of(running, name)
        rows, text = consumer_groups_describe(kafka_bootstrap, group, tmp_path)
        kafka_view = {int(r["PARTITION"]): (int(r["CURRENT-OFFSET"]), int(r["LOG-END-OFFSET"]),
                                            int(r["LAG"])) for r in rows}
        ours = {s["partition"]: (s["committed_offset"], s["end_offset"], s["records_behind"])
                for s in view["shards"]}
        print(json.dumps(view, indent=1), text)
        assert ours == kafka_view, (ours, kafka_view)
        assert {p: c for p, (c, _, _) in ours.items()} == committed
        assert view["records_behind"] == 20 and view["members"] >= 1

        # Seconds behind: now − arrival of the record at each lagging shard's checkpoint.
        now = time.time()
        view = lag_of(running, name)
        for shard in view["shards"]:
            if shard["records_behind"] == 0:
                assert shard["seconds_behind"] == 0
                continue
            at = next(p for p in puts + more
                      if p.partition == shard["partition"] and p.offset == shard["committed_offset"])
            truth = now - arrival_of(running, stream, at.shard, at.sequence)
            assert abs(shard["seconds_behind"] - truth) < 1.0, (shard, truth)

        # The command line reads the same from Kafka.
        code, out, err = kbridge_cli(running, "lag", "--mapping", name, "--json")
        assert code == 0, (out, err)
        (cli,) = json.loads(out)["groups"]
        assert {s["partition"]: (s["committed_offset"], s["end_offset"], s["records_behind"])
                for s in cli["shards"]} == kafka_view
        code, out, err = kbridge_cli(running, "lag", "--mapping", name)
        assert code == 0 and "shardId-000000000001" in out, (out, err)

        # And the gauges.
        status, metrics = http_get(f"{running.admin_endpoint}/metrics")
        assert status == 200
        lines = [line for line in metrics.splitlines()
                 if line.startswith("kbridge_lag_records{") and f'group="{group}"' in line]
        assert sum(float(line.rsplit(" ", 1)[1]) for line in lines) == 20, lines
        assert http_get(f"{running.admin_endpoint}/v1/lag/no-such-mapping")[0] == 404
        status, body = http_get(f"{running.admin_endpoint}/v1/lag")
        assert status == 200 and any(g["group"] == group for g in json.loads(body)["groups"])
        sink.unavailable = False


def test_status_ok_warn_stall_stop(kbridge, kbridge_factory, kafka_bootstrap, new_stream, sinks):
    stream = new_stream(shards=1, prefix="lag-status")
    name = unique_name("lag-status")
    group = group_of(name)
    sink = sinks()
    sink.delay_s = 0.3  # a slow handler: about 3 batches of 1 a second
    config = mapping(name, stream, sink.handler_config(), batch_size=1)
    seen = []
    with serving(kbridge_factory, [config], name="lag-status", extra=LAG) as running:
        wait_started(kafka_bootstrap, group, stream, 1)
        stop = threading.Event()

        def produce():
            i = 0
            while not stop.is_set():
                put_all(running, stream, records(5, i))  # ~10 records a second
                i += 5
                time.sleep(0.5)
        producer = threading.Thread(target=produce, daemon=True)
        producer.start()

        def status_is(wanted):
            status = lag_of(running, name)["status"]
            if not seen or seen[-1] != status:
                seen.append(status)
            return status in wanted
        try:
            wait_for(lambda: status_is({"WARN"}), timeout=30, interval=0.3, what="WARN")
            sink.unavailable = True  # the handler stops: commits stop, the member stays
            wait_for(lambda: status_is({"ERR"}) and
                     lag_of(running, name)["shards"][0]["status"] == "STALL",
                     timeout=30, interval=0.3, what="STALL")
        finally:
            stop.set()
            producer.join(10)
    assert seen[0] == "OK" and "WARN" in seen and seen[-1] == "ERR", seen

    # The mapping's instance is gone: another instance that watches the group sees STOP.
    with serving(kbridge_factory, [], name="lag-watcher",
                 extra={"lag": {"interval_s": 1, "window": 3, "groups": [group]}}) as watcher:
        def stopped():
            status, body = http_get(f"{watcher.admin_endpoint}/v1/lag")
            groups = [g for g in json.loads(body)["groups"] if g["group"] == group]
            return groups and groups[0]["shards"][0]["status"] == "STOP" and groups[0]
        got = wait_for(stopped, timeout=30, interval=0.3, what="STOP")
        assert got["mapping"] is None and got["stream"] == stream and got["members"] == 0
