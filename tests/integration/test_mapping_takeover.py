"""Event source mappings, issue 4 acceptance 3: two `kbridge serve` processes share a mapping (one
consumer group) on a 4-shard stream while a producer puts records; one is killed with SIGKILL
mid-stream and the other takes over its shards from the checkpoint (the group's committed offsets)
once the session times out.

Checked: the union of what both delivered covers every record (at-least-once); duplicates are
exactly the records the dead instance had delivered past its last commit (the uncommitted window),
counted and reported; each instance's deliveries keep per-shard order.
"""
import collections
import json
import threading
import time

from kbridge_harness import unique_name
from mapping_checks import (committed_offsets, end_offsets, group_of, mapping, put_all,
                            wait_committed, wait_started)
from webhook_sink import order_violations

SHARDS = 4
TOTAL = 20_000
PRODUCE_S = 15.0
CHUNK = 500


def test_survivor_takes_over_the_shards_of_a_killed_instance(kbridge, kbridge_factory,
                                                             kafka_bootstrap, new_stream, sinks):
    stream = new_stream(shards=SHARDS, prefix="map-takeover")
    name = unique_name("takeover")
    group = group_of(name)
    sink_a, sink_b = sinks(), sinks()
    # The same mapping on both; only the handler's URL differs, to tell the instances apart.
    a = kbridge_factory.start(config={"mappings": [mapping(name, stream, sink_a.handler_config(),
                                                           batch_size=100)]}, name="takeover-a")
    wait_started(kafka_bootstrap, group, stream, SHARDS)
    b = kbridge_factory.start(config={"mappings": [mapping(name, stream, sink_b.handler_config(),
                                                           batch_size=100)]}, name="takeover-b")

    puts, errors = [], []

    def produce():
        try:
            chunks = TOTAL // CHUNK
            began = time.monotonic()
            for c in range(chunks):
                batch = [(f"key-{(c * CHUNK + i) % 97}",
                          json.dumps({"i": c * CHUNK + i}).encode()) for i in range(CHUNK)]
                puts.extend(put_all(kbridge, stream, batch))
                time.sleep(max(0.0, began + (c + 1) * PRODUCE_S / chunks - time.monotonic()))
        except BaseException as err:  # reported by the main thread
            errors.append(err)

    producer = threading.Thread(target=produce, name="producer", daemon=True)
    producer.start()
    try:
        # Both instances deliver (B joined and got shards of its own), then A dies.
        sink_a.wait_until(lambda s: s.delivered_count() > 0, timeout=30, what="A delivering")
        sink_b.wait_until(lambda s: s.delivered_count() > 0, timeout=30, what="B delivering")
        time.sleep(2.0)  # let both get well into the stream: the kill must land mid-stream
        b_began = min(c.started for c in sink_b.calls())
        shards_a = sorted({r.shard for c in sink_a.calls() if c.started > b_began + 0.5
                           for r in c.records})
        a.proc.kill()
        killed_at = time.monotonic()
        a.stop(check=False)  # reaps it; the harness must not SIGTERM a dead PID later
        assert a.returncode == -9
        # Nobody commits A's shards until the group notices (session timeout): A's last commit.
        committed_at_kill = committed_offsets(kafka_bootstrap, group, stream, SHARDS)
        delivered_a = sink_a.delivered()
        calls_a = sink_a.calls()
        producer.join(PRODUCE_S + 30)
        assert not producer.is_alive(), "the producer did not finish"
        assert not errors, errors
        ends = end_offsets(kafka_bootstrap, stream, SHARDS)
        assert sum(ends.values()) == TOTAL
        wait_committed(kafka_bootstrap, group, stream, ends, timeout=60)
        took_over_after = None
        for c in sink_b.calls():
            if c.started > killed_at and any(r.shard in shards_a for r in c.records):
                took_over_after = round(c.started - killed_at, 1)
                break
        assert sink_b.quiet(0.5)
    finally:
        producer.join(1)
    b.stop(check=True)

    delivered_b = sink_b.delivered()
    union = collections.Counter(r.sequence for r in delivered_a + delivered_b)
    expected = {p.sequence for p in puts}
    missing = expected - set(union)
    assert len(expected) == TOTAL
    assert not missing, f"{len(missing)} records never delivered"
    assert set(union) == expected
    duplicates = {seq for seq, n in union.items() if n > 1}
    # The uncommitted window: what A delivered at or past its last committed offset.
    window = {r.sequence for r in delivered_a if r.offset >= committed_at_kill[r.shard_index]}
    window_calls = [c for c in calls_a if c.ok and any(
        r.offset >= committed_at_kill[r.shard_index] for r in c.records)]
    oldest = max((killed_at - c.ended for c in window_calls), default=0.0)
    per_shard = collections.Counter(int(seq) >> 60 & 0xFFFFF for seq in duplicates)
    print(f"\n{TOTAL} records over {SHARDS} shards; A delivered {len(delivered_a)} "
          f"(shards {shards_a} at the kill), B {len(delivered_b)}; A's last commit "
          f"{committed_at_kill}; B took A's shards over {took_over_after}s after the kill; "
          f"{len(duplicates)} duplicates (per shard {dict(per_shard)}), the uncommitted window "
          f"held {len(window)} records delivered up to {oldest:.1f}s before the kill")
    assert duplicates == window, (
        f"duplicates outside the uncommitted window: {sorted(duplicates - window)[:10]}; "
        f"window records not redelivered: {sorted(window - duplicates)[:10]}")
    assert all(union[s] == 2 for s in duplicates), "a record was delivered more than twice"
    # The window is what A delivered since its last commit (about a second's worth).
    assert oldest <= 3.0, f"A delivered records {oldest:.1f}s before the kill and never committed"
    assert order_violations(delivered_a) == [], "A broke per-shard order"
    assert order_violations(delivered_b) == [], "B broke per-shard order"
    assert took_over_after is not None and took_over_after < 30
