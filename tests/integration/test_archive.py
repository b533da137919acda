"""The `archive` handler on the real broker (issue 5): the seed's Firehose settings scaled down.

- Records land gzip-compressed under year=/month=/day=/hour= computed from their arrival time,
  newline-delimited, each exactly once; `kbridge archive verify` agrees, topic offsets included.

Also the helpers of test_archive_kill.py (SIGKILL x3 during 200,000 records) and
test_archive_partitions.py (dynamic partitioning, 50 values, bounded memory).
"""
import datetime
import gzip
import json
import pathlib
import re
import subprocess
import time
from collections import Counter

from kbridge_harness import require_env, unique_name
from mapping_checks import mapping, put_all, serving

SEED_PREFIX = ("year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/"
               "hour=!{timestamp:HH}/")
OBJECT = re.compile(r"^year=(\d{4})/month=(\d\d)/day=(\d\d)/hour=(\d\d)/"
                    r"(.+)-(shardId-\d{12})-(\d+)\.gz$")


def archive_handler(dest: pathlib.Path, interval_s: int = 2, level: int = 6) -> dict:
    return {"type": "archive", "destination": {"path": str(dest)}, "prefix": SEED_PREFIX,
            "error_output_prefix": "errors/", "buffering": {"size_mib": 1, "interval_s": interval_s},
            "compression": "gzip", "compression_level": level}


def manifest_totals(dest: pathlib.Path, mapping_name: str) -> tuple[int, int]:
    """(objects, records) that the mapping's manifests say are published: a cheap progress
    measure (no decompression). A torn last line is ignored."""
    objects = records = 0
    state = dest / ".kbridge" / mapping_name
    for manifest in state.glob("*.manifest") if state.is_dir() else []:
        intents = {}
        for line in manifest.read_bytes().split(b"\n")[:-1]:
            entry = json.loads(line)
            if "intent" in entry:
                intents[entry["intent"]] = entry["records"]
            elif entry.get("done") in intents:
                objects += 1
                records += intents.pop(entry["done"])
    return objects, records


def archived(dest: pathlib.Path) -> dict[str, list[bytes]]:
    """Every published object's records (temp files live under .kbridge/ and are skipped)."""
    out = {}
    for p in dest.rglob("*"):
        rel = p.relative_to(dest).as_posix()
        if p.is_file() and not rel.startswith(".kbridge/"):
            out[rel] = gzip.decompress(p.read_bytes()).split(b"\n")[:-1]
    return out


def wait_archived(dest: pathlib.Path, count: int, timeout: float = 90) -> dict[str, list[bytes]]:
    deadline = time.monotonic() + timeout
    while True:
        objects = archived(dest)
        if sum(len(v) for v in objects.values()) >= count or time.monotonic() > deadline:
            return objects
        time.sleep(0.5)


def hours_between(start: float, end: float) -> set[tuple[str, str, str, str]]:
    hours, t = set(), start - 3600
    while t <= end + 3600:
        d = datetime.datetime.fromtimestamp(t, datetime.timezone.utc)
        hours.add((f"{d.year:04}", f"{d.month:02}", f"{d.day:02}", f"{d.hour:02}"))
        t += 600
    return hours


def verify(instance, name: str, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([require_env("KBRIDGE_BIN"), "archive", "verify", "--mapping", name,
                           "--config", str(instance.config_path), *extra],
                          capture_output=True, text=True, timeout=60)


def check_exactly_once(objects, puts, stream):
    counts = Counter(r for records in objects.values() for r in records)
    missing = [p for p in puts if counts[p.data] == 0]
    twice = [r for r, n in counts.items() if n > 1]
    assert not missing, f"{len(missing)} records not archived, e.g. {missing[:3]}"
    assert not twice, f"{len(twice)} records archived more than once, e.g. {twice[:3]}"
    assert sum(counts.values()) == len(puts)
    for key in objects:
        m = OBJECT.match(key)
        assert m, f"unexpected object name {key}"
        assert m.group(5) == stream


def test_seed_settings_land_under_the_arrival_hour(kbridge, kbridge_factory, new_stream,
                                                   tmp_path):
    stream = new_stream(shards=2, prefix="archive-seed")
    name = unique_name("archive")
    dest = tmp_path / "lake"
    started = time.time()
    puts = put_all(kbridge, stream, [(f"key-{i % 17}", json.dumps({"i": i, "pad": "x" * 200}).encode())
                                     for i in range(6000)])
    with serving(kbridge_factory, [mapping(name, stream, archive_handler(dest), batch_size=500)],
                 name="archive-seed") as instance:
        objects = wait_archived(dest, len(puts))
        result = verify(instance, name)
    ended = time.time()
    check_exactly_once(objects, puts, stream)
    hours = hours_between(started, ended)
    for key in objects:
        assert OBJECT.match(key).group(1, 2, 3, 4) in hours, key
    # 6000 × ~215 bytes ≈ 1.3 MB over two shards: interval rotation, maybe size rotation too.
    shards = Counter(OBJECT.match(k).group(6) for k in objects)
    assert set(shards) == {"shardId-000000000000", "shardId-000000000001"}
    print(f"\n{len(objects)} objects; verify: {result.stdout}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK: 6000 records" in result.stdout
    # Compared with the topic: two shards, every record below the end offset archived.
    assert result.stdout.count("topic offsets [0,") == 2, result.stdout
    assert "; 0 records of the topic not yet archived" in result.stdout, result.stdout
    offline = verify(instance, name, "--offline")
    assert offline.returncode == 0 and "OK: 6000 records" in offline.stdout, offline.stdout
