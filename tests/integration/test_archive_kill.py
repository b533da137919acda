"""The `archive` handler's exactly-once under crashes (issue 5), at scale.

A producer puts 200,000 records (PutRecords of 500 from 4 threads, paced over ~30 s) into a
4-shard stream through one kbridge, while a second kbridge archives them with small buffers
(1 MiB, 1 s: objects rotate every second on every shard) and is SIGKILLed three times, spread over
the run, each time after it has published something of its own, and restarted. Afterwards
`kbridge archive verify` (which compares with the topic's offsets and the checkpoint) must report
every acknowledged record exactly once, and the test checks the same by decompressing every
object itself.
"""
import json
import os
import random
import signal
import threading
import time
from collections import Counter

from kbridge_harness import unique_name
from mapping_checks import mapping, put_all
from test_archive import OBJECT, archive_handler, archived, manifest_totals, verify

TOTAL = 200_000
THREADS = 4
BATCH = 500
PRODUCE_SECONDS = 30.0
KILL_AT = (6.0, 14.0, 22.0)  # seconds after the producer started (and after a publication)
# A killed member's shards move after its session times out: the broker's minimum, 6 s.
FAST_GROUP = {"kafka": {"rdkafka": {"session.timeout.ms": "6000",
                                    "heartbeat.interval.ms": "1000"}}}


def record(i: int) -> tuple[str, bytes]:
    data = {"i": i, "user": f"user-{i % 4999:05d}", "event": ("view", "click", "buy")[i % 3],
            "pad": f"{i:08d}" * 16}
    return f"k{i % 97}", json.dumps(data, separators=(",", ":")).encode()


def test_sigkill_three_times_during_200k_records(kbridge, kbridge_factory, new_stream, tmp_path):
    stream = new_stream(shards=4, prefix="archive-kill")
    name = unique_name("archive-kill")
    dest = tmp_path / "lake"
    handler = archive_handler(dest, interval_s=1, level=1)
    config = {"mappings": [mapping(name, stream, handler, batch_size=1000)], **FAST_GROUP}

    puts, errors = [], []
    lock = threading.Lock()
    started = time.monotonic()

    def produce(thread: int) -> None:
        # Thread t puts records t*BATCH.., (t+THREADS)*BATCH.., ... on a fixed schedule.
        batches = list(range(thread * BATCH, TOTAL, THREADS * BATCH))
        try:
            for n, first in enumerate(batches):
                delay = started + PRODUCE_SECONDS * n / len(batches) - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                done = put_all(kbridge, stream, [record(i) for i in range(first, first + BATCH)],
                               chunk=BATCH)
                with lock:
                    puts.extend(done)
        except BaseException as err:  # noqa: BLE001 - reported by the test below
            errors.append(err)

    producers = [threading.Thread(target=produce, args=(t,), daemon=True) for t in range(THREADS)]
    instance = kbridge_factory.start(config=config, name="archive-kill-0")
    for p in producers:
        p.start()
    kills = []  # (seconds since the producer started, records put, records archived)
    rng = random.Random(5)
    for round_, at in enumerate(KILL_AT):
        objects_at_start = manifest_totals(dest, name)[0]
        deadline = time.monotonic() + 30
        # Kill only once this instance has published objects of its own, and not before `at`.
        while time.monotonic() < deadline and (
                time.monotonic() - started < at or manifest_totals(dest, name)[0] <= objects_at_start):
            time.sleep(0.05)
        time.sleep(rng.uniform(0, 0.5))  # anywhere in the publication cycle
        os.kill(instance.pid, signal.SIGKILL)
        instance.proc.wait(timeout=10)
        instance.stop(check=False)
        with lock:
            put_so_far = len(puts)
        kills.append((round(time.monotonic() - started, 1), put_so_far,
                      manifest_totals(dest, name)[1]))
        instance = kbridge_factory.start(config=config, name=f"archive-kill-{round_ + 1}")
    for p in producers:
        p.join(timeout=120)
    assert not errors, f"producer failed: {errors[0]!r}"
    assert len(puts) == TOTAL
    produced_in = time.monotonic() - started
    assert all(put < TOTAL for _, put, _ in kills), f"a kill came after the producer: {kills}"

    # The last instance archives the rest; verify (topic offsets and checkpoint included) until
    # nothing is left to archive.
    deadline = time.monotonic() + 90
    while True:
        result = verify(instance, name)
        if "; 0 records of the topic not yet archived" in result.stdout or \
                time.monotonic() > deadline:
            break
        time.sleep(1)
    instance.stop()
    elapsed = time.monotonic() - started
    print(f"\nproduced {TOTAL} in {produced_in:.1f} s, all archived after {elapsed:.1f} s; "
          f"kills (s, put, archived): {kills}\nverify:\n{result.stdout}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"OK: {TOTAL} records" in result.stdout, result.stdout
    assert "; 0 records of the topic not yet archived" in result.stdout, result.stdout
    assert result.stdout.count("gaps none (0 offsets); duplicates none (0 offsets)") == 4

    # The same, by decompressing every object.
    objects = archived(dest)
    counts = Counter()
    shard_of = {}
    for key, lines in objects.items():
        m = OBJECT.match(key)
        assert m and m.group(5) == stream, f"unexpected object {key}"
        for line in lines:
            counts[line] += 1
            shard_of[line] = m.group(6)
    missing = [p for p in puts if counts[p.data] == 0]
    twice = [r for r, n in counts.items() if n > 1]
    assert not missing, f"{len(missing)} acknowledged records not archived, e.g. {missing[:3]}"
    assert not twice, f"{len(twice)} records archived more than once, e.g. {twice[:3]}"
    assert sum(counts.values()) == TOTAL
    wrong_shard = [p for p in puts if shard_of[p.data] != p.shard]
    assert not wrong_shard, f"records in another shard's object, e.g. {wrong_shard[:3]}"
