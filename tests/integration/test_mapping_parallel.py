"""Event source mappings, issue 4 acceptance 2: parallelization_factor.

With factor 5 and 20 partition keys, 50,000 records put while the mapping runs reach the handler
(a real HTTP server) with per-key order intact, exactly once, and no two batches sharing a key are
ever in flight at once. Then the throughput of factor 5 against factor 1 with a slow handler
(40 ms per batch) is measured and reported.
"""
import collections
import time

from kbridge_harness import unique_name
from mapping_checks import group_of, mapping, put_all, serving, wait_committed, wait_started

KEYS = 20
LANES = 5


def lane_of(key, lanes):
    """kbridge's lane of a partition key (FNV-1a 64 modulo the factor, bridge/runtime). Used only
    to pick keys that spread evenly over the lanes, so the throughput comparison is fair; the
    checks do not depend on it."""
    h = 1469598103934665603
    for c in key.encode():
        h ^= c
        h = (h * 1099511628211) % 2**64
    return h % lanes


def balanced_keys(count, lanes, prefix):
    per_lane = collections.defaultdict(list)
    i = 0
    while sum(min(len(v), count // lanes) for v in per_lane.values()) < count:
        key = f"{prefix}-{i}"
        i += 1
        if len(per_lane[lane_of(key, lanes)]) < count // lanes:
            per_lane[lane_of(key, lanes)].append(key)
    return sorted(k for v in per_lane.values() for k in v)


def keyed_records(keys, total):
    counters = collections.Counter()
    out = []
    for i in range(total):
        key = keys[i % len(keys)] if i % 3 else keys[(i * 7) % len(keys)]
        out.append((key, f"{key}:{counters[key]}".encode()))
        counters[key] += 1
    return out, counters


def test_per_key_order_with_parallelization_factor_5(kbridge, kbridge_factory, kafka_bootstrap,
                                                     new_stream, sinks):
    total = 50_000
    stream = new_stream(shards=1, prefix="map-parallel")
    name = unique_name("parallel")
    sink = sinks()
    # A little time in the handler, so that the lanes' batches really overlap at the sink (which
    # otherwise answers faster than kbridge sends).
    sink.delay_s = 0.005
    keys = balanced_keys(KEYS, LANES, "pk")
    data, per_key = keyed_records(keys, total)
    config = mapping(name, stream, sink.handler_config(), batch_size=100,
                     parallelization_factor=LANES)
    with serving(kbridge_factory, [config], name="parallel"):
        wait_started(kafka_bootstrap, group_of(name), stream, 1)
        started = time.monotonic()
        puts = put_all(kbridge, stream, data)
        put_s = time.monotonic() - started
        sink.wait_for_delivered(total, timeout=90)
        delivered_s = time.monotonic() - started
        wait_committed(kafka_bootstrap, group_of(name), stream, {0: total})
        assert sink.quiet(0.5)
    calls = sink.calls()
    sizes = [len(c.records) for c in calls]
    print(f"\n{total} records: put in {put_s:.1f}s, all delivered {delivered_s:.1f}s after the "
          f"first put; {len(calls)} calls (batch sizes {min(sizes)}..{max(sizes)}, mean "
          f"{sum(sizes) / len(sizes):.0f}); at most {sink.max_in_flight()} calls in flight")
    assert sink.errors() == []
    assert all(c.ok for c in calls)
    assert len(puts) == total
    # Exactly once, and per key in put order: "key:n" counts 0, 1, 2, ... per key.
    seen = collections.defaultdict(list)
    for c in calls:
        for r in c.records:
            key, n = r.data.decode().split(":")
            assert key == r.key
            seen[key].append(int(n))
    broken = {k: next(i for i, n in enumerate(v) if n != i) for k, v in seen.items()
              if v != list(range(len(v)))}
    assert not broken, f"keys out of order or duplicated (first bad position): {broken}"
    assert {k: len(v) for k, v in seen.items()} == dict(per_key)
    # Within a batch, records keep their shard order too.
    for c in calls:
        offsets = [r.offset for r in c.records]
        assert offsets == sorted(offsets), f"call {c.index} not in offset order"
    assert sink.key_overlaps() == [], "two in-flight batches shared a partition key"
    assert 1 < sink.max_in_flight() <= LANES


def test_throughput_factor_5_against_factor_1(kbridge, kbridge_factory, kafka_bootstrap,
                                              new_stream, sinks):
    total, delay = 5_000, 0.04
    stream = new_stream(shards=1, prefix="map-throughput")
    keys = balanced_keys(KEYS, LANES, "tk")
    data, _ = keyed_records(keys, total)
    put_all(kbridge, stream, data)
    runs = {}
    for factor in (1, LANES):
        name = unique_name(f"throughput-{factor}")
        sink = sinks()
        sink.delay_s = delay
        config = mapping(name, stream, sink.handler_config(), batch_size=100,
                         parallelization_factor=factor)
        with serving(kbridge_factory, [config], name=f"throughput-{factor}"):
            sink.wait_for_delivered(total, timeout=60)
            wait_committed(kafka_bootstrap, group_of(name), stream, {0: total})
        calls = sink.calls()
        span = max(c.ended for c in calls) - min(c.started for c in calls)
        runs[factor] = (span, len(calls), sink.max_in_flight())
        assert sorted(sink.counts_by_data().values()) == [1] * total
        assert sink.key_overlaps() == []
    (t1, n1, c1), (t5, n5, c5) = runs[1], runs[LANES]
    print(f"\nslow handler ({delay * 1000:.0f} ms per batch, batch_size 100, {total} records, "
          f"{KEYS} keys):\n  factor 1: {t1:.2f}s, {total / t1:.0f} records/s, {n1} calls, "
          f"{c1} in flight at most\n  factor {LANES}: {t5:.2f}s, {total / t5:.0f} records/s, "
          f"{n5} calls, {c5} in flight at most\n  speed-up {t1 / t5:.1f}x")
    assert c1 == 1
    assert t1 / t5 >= 2.0, f"factor {LANES} is only {t1 / t5:.1f}x faster than factor 1"
