"""The `archive` handler's dynamic partitioning (issue 5): `!{partitionKeyFromQuery:customer}` with
50 distinct values of a JSON field, and a bounded number of open objects.

60,000 JSON records (+ 100 that are not JSON) go into a 2-shard stream. Each PutRecords of 500
holds 10 of the 50 customers, moving on by 10 every batch, so all 50 recur all the time while the
handler may keep only 24 objects open across both shards (`max_open_objects_total`): the least
recently written objects are published to make room, over and over. Checked: every record exactly
once under its own customer's prefix (the non-JSON ones in the error prefix as Firehose's error
JSON), `kbridge archive verify` agrees, the handler's temp files (one per open object) never exceed
the limit, and kbridge's peak RSS (VmHWM from /proc/PID/status) stays under a bound; it is printed.
"""
import base64
import json
import re
import threading
import time
from collections import Counter

from kbridge_harness import unique_name
from mapping_checks import mapping, put_all
from test_archive import archived, manifest_totals, verify

CUSTOMERS = 50
RECORDS = 60_000
NOT_JSON = 100
OPEN_LIMIT = 24
RSS_BOUND_MB = 200  # kbridge's whole peak RSS; 24 open objects take ~10 MiB of it
OBJECT = re.compile(r"^customer=(c\d\d)/\d{4}/\d\d/\d\d/\d\d/(.+)-(shardId-\d{12})-(\d+)\.gz$")
ERROR_OBJECT = re.compile(r"^errors/partitioning-failed/\d{4}/\d\d/\d\d/\d\d/.+\.gz$")


def vm_hwm_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmHWM in /proc/{pid}/status")


def batch(b: int) -> list[tuple[str, bytes]]:
    out = []
    for j in range(500):
        i = b * 500 + j
        customer = f"c{(b * 10 + j % 10) % CUSTOMERS:02d}"
        out.append((f"pk-{i % 211}", json.dumps(
            {"i": i, "customer": customer, "event": "purchase", "amount": i % 997,
             "pad": "p" * 120}).encode()))
    return out


def test_fifty_customers_land_in_their_prefixes_with_bounded_memory(kbridge, kbridge_factory,
                                                                    new_stream, tmp_path):
    stream = new_stream(shards=2, prefix="archive-dyn")
    name = unique_name("archive-dyn")
    dest = tmp_path / "lake"
    handler = {"type": "archive", "destination": {"path": str(dest)},
               "prefix": "customer=!{partitionKeyFromQuery:customer}/!{timestamp:yyyy/MM/dd/HH}/",
               "error_output_prefix": "errors/!{firehose:error-output-type}/",
               "partition_keys": {"customer": ".customer"},
               "buffering": {"size_mib": 1, "interval_s": 3},
               "compression": "gzip", "compression_level": 6,
               "max_open_objects_total": OPEN_LIMIT}
    instance = kbridge_factory.start(
        config={"mappings": [mapping(name, stream, handler, batch_size=1000)]},
        name="archive-dyn")
    temp_dir = dest / ".kbridge" / name / "tmp"
    most_open, stop = 0, threading.Event()

    def watch_open_objects():
        nonlocal most_open
        while not stop.is_set():
            try:
                most_open = max(most_open, sum(1 for _ in temp_dir.iterdir()))
            except FileNotFoundError:
                pass
            time.sleep(0.02)

    watcher = threading.Thread(target=watch_open_objects, daemon=True)
    watcher.start()
    started = time.monotonic()
    puts = []
    for b in range(RECORDS // 500):
        puts += put_all(kbridge, stream, batch(b))
    bad = [(f"pk-{i}", f"not json {i}".encode()) for i in range(NOT_JSON)]
    puts += put_all(kbridge, stream, bad)

    total = RECORDS + NOT_JSON
    deadline = time.monotonic() + 90
    while manifest_totals(dest, name)[1] < total and time.monotonic() < deadline:
        time.sleep(0.5)
    result = verify(instance, name)
    hwm = vm_hwm_mb(instance.pid)
    stop.set()
    watcher.join()
    instance.stop()
    objects = archived(dest)
    print(f"\n{len(objects)} objects in {time.monotonic() - started:.1f} s; most open objects seen "
          f"{most_open} (limit {OPEN_LIMIT}); kbridge VmHWM {hwm:.1f} MB (bound {RSS_BOUND_MB} MB)"
          f"\nverify:\n{result.stdout}")

    assert result.returncode == 0, result.stdout + result.stderr
    assert f"OK: {total} records" in result.stdout and f"{NOT_JSON} in the error prefix" in \
        result.stdout, result.stdout
    assert "; 0 records of the topic not yet archived" in result.stdout, result.stdout

    counts, prefixes, errors = Counter(), Counter(), []
    for key, lines in objects.items():
        m = OBJECT.match(key)
        if m:
            prefixes[m.group(1)] += 1
            for line in lines:
                assert json.loads(line)["customer"] == m.group(1), (key, line[:80])
                counts[line] += 1
        else:
            assert ERROR_OBJECT.match(key), f"unexpected object {key}"
            for line in lines:
                e = json.loads(line)
                assert e["errorCode"] == "DynamicPartitioning.MetadataExtractionFailed", e
                counts[base64.b64decode(e["rawData"])] += 1
                errors.append(e)
    missing = [p for p in puts if counts[p.data] == 0]
    twice = [r for r, n in counts.items() if n > 1]
    assert not missing, f"{len(missing)} records not archived, e.g. {missing[:3]}"
    assert not twice, f"{len(twice)} records archived more than once, e.g. {twice[:3]}"
    assert sum(counts.values()) == total and len(errors) == NOT_JSON
    assert set(prefixes) == {f"c{c:02d}" for c in range(CUSTOMERS)}
    # The limit made the handler publish least recently written objects again and again: every
    # customer has several objects (a customer's records span the whole run).
    assert min(prefixes.values()) >= 3, prefixes
    assert 0 < most_open <= OPEN_LIMIT + 2, most_open  # + 1 per shard at most
    assert hwm <= RSS_BOUND_MB, f"kbridge's peak RSS {hwm:.1f} MB > {RSS_BOUND_MB} MB"
