"""Helpers of the event source mapping tests (tests/integration/test_mapping_*.py).

- mapping(): one `mappings[]` entry of kbridge's config;
- put_all(): PutRecords in chunks of 500, returning where every record went;
- Kafka's view of a mapping's checkpoint: committed_offsets() / end_offsets() / wait_committed(),
  and Kafka's own tool: consumer_groups_describe() runs kafka-consumer-groups (ConsumerGroupCommand
  from the broker's jars, the same class bin/kafka-consumer-groups.sh runs);
- on_failure destinations: create_topic(), topic_values(), stream_values().
"""
from __future__ import annotations

import contextlib
import json
import os
import pathlib
import subprocess
import time
from typing import Any

from kbridge_harness import kafka_admin, wait_for
from kinesis_checks import call, put_ok

REPO = pathlib.Path(__file__).resolve().parents[2]


def mapping(name: str, stream: str, handler: dict[str, Any], **options: Any) -> dict[str, Any]:
    """A mappings[] entry: TRIM_HORIZON and a quick retry back-off unless `options` say otherwise."""
    entry = {"name": name, "stream": stream, "handler": handler,
             "starting_position": "TRIM_HORIZON",
             "retry_backoff": {"initial_ms": 50, "max_ms": 500}}
    entry.update(options)
    return entry


def group_of(mapping_name: str) -> str:
    return f"kbridge.{mapping_name}"


class Put:
    """Where one put record went."""
    __slots__ = ("key", "data", "shard", "sequence")

    def __init__(self, key, data, shard, sequence):
        self.key, self.data, self.shard, self.sequence = key, data, shard, sequence

    @property
    def offset(self) -> int:
        return int(self.sequence) & ((1 << 60) - 1)

    @property
    def partition(self) -> int:
        return int(self.shard.rsplit("-", 1)[1])

    def __repr__(self):
        return f"Put({self.key!r}, {self.data[:40]!r}, {self.shard}, {self.offset})"


def put_all(kb, stream: str, records: list[tuple[str, bytes]], chunk: int = 500) -> list[Put]:
    """PutRecords of (key, data) in chunks; every record must succeed."""
    out = []
    for i in range(0, len(records), chunk):
        part = records[i:i + chunk]
        answers = put_ok(kb, stream, part)
        out.extend(Put(k, d, a["ShardId"], a["SequenceNumber"]) for (k, d), a in zip(part, answers))
    return out


# --- Kafka's view of a checkpoint ------------------------------------------------------------------

def end_offsets(bootstrap: str, topic: str, partitions: int) -> dict[int, int]:
    from confluent_kafka import Consumer, TopicPartition
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "kbridge-tests-watermarks",
                         "enable.auto.commit": False})
    try:
        return {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
                for p in range(partitions)}
    finally:
        consumer.close()


def committed_offsets(bootstrap: str, group: str, topic: str, partitions: int) -> dict[int, int]:
    """The group's committed offset per partition (-1001 = none), as Kafka's OffsetFetch reports
    them; the consumer only asks, it never joins the group."""
    from confluent_kafka import Consumer, TopicPartition
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group,
                         "enable.auto.commit": False})
    try:
        got = consumer.committed([TopicPartition(topic, p) for p in range(partitions)], timeout=10)
        return {tp.partition: tp.offset for tp in got}
    finally:
        consumer.close()


def wait_committed(bootstrap: str, group: str, topic: str, expected: dict[int, int],
                   timeout: float = 20.0) -> dict[int, int]:
    """Waits until the group's committed offsets equal `expected` ({partition: offset})."""
    partitions = max(expected) + 1
    last = {}

    def check():
        nonlocal last
        last = committed_offsets(bootstrap, group, topic, partitions)
        return all(last.get(p) == o for p, o in expected.items())
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"group {group} committed {last} on {topic}; expected {expected} "
                                 f"within {timeout}s")
        time.sleep(0.2)
    return last


def wait_started(bootstrap: str, group: str, topic: str, partitions: int,
                 timeout: float = 30.0) -> dict[int, int]:
    """Waits until the group has a committed offset for every partition (kbridge commits the
    starting position as soon as a partition is assigned)."""
    return wait_for(lambda: (c := committed_offsets(bootstrap, group, topic, partitions))
                    and all(o >= 0 for o in c.values()) and c,
                    timeout=timeout, interval=0.2, what=f"group {group} assigned on {topic}")


def kafka_libs() -> pathlib.Path:
    env = os.environ.get("KBRIDGE_KAFKA_LIBS")
    if env:
        return pathlib.Path(env)
    versions = dict(line.split("=", 1) for line in (REPO / "scripts/versions.env").read_text()
                    .splitlines() if "=" in line and not line.startswith("#"))
    cache = pathlib.Path(os.environ.get("KBRIDGE_CACHE", pathlib.Path.home() / ".cache/kbridge"))
    return cache / f"kafka-{versions['KAFKA_VERSION'].strip()}" / "libs"


def consumer_groups_describe(bootstrap: str, group: str, workdir: pathlib.Path,
                             timeout: float = 60.0) -> tuple[list[dict[str, str]], str]:
    """Runs Kafka's kafka-consumer-groups --describe --group (ConsumerGroupCommand, as
    bin/kafka-consumer-groups.sh does) and parses its table: (rows, full output)."""
    libs = kafka_libs()
    assert libs.is_dir(), f"no Kafka jars at {libs} (scripts/setup installs them)"
    log4j = workdir / "tools-log4j.properties"
    log4j.write_text("log4j.rootLogger=WARN, stderr\n"
                     "log4j.appender.stderr=org.apache.log4j.ConsoleAppender\n"
                     "log4j.appender.stderr.Target=System.err\n"
                     "log4j.appender.stderr.layout=org.apache.log4j.PatternLayout\n"
                     "log4j.appender.stderr.layout.ConversionPattern=%p %m%n\n")
    cmd = ["java", "-Xmx256m", f"-Dlog4j.configuration=file:{log4j}", "-cp", f"{libs}/*",
           "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",
           "--bootstrap-server", bootstrap, "--describe", "--group", group]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"{' '.join(cmd)} failed ({done.returncode}):\n{output}"
    rows, header = [], None
    for line in done.stdout.splitlines():
        fields = line.split()
        if fields[:2] == ["GROUP", "TOPIC"]:
            header = fields
        elif header and len(fields) >= 6 and fields[0] == group:
            rows.append(dict(zip(header, fields)))
    return rows, output


# --- on_failure destinations -----------------------------------------------------------------------

def create_topic(bootstrap: str, name: str, partitions: int = 1) -> None:
    from confluent_kafka.admin import NewTopic
    admin = kafka_admin(bootstrap)
    (future,) = admin.create_topics([NewTopic(name, partitions, 1)]).values()
    future.result(30)
    wait_for(lambda: name in admin.list_topics(timeout=10).topics, timeout=20,
             what=f"topic {name}")


def topic_values(bootstrap: str, topic: str, partitions: int = 1) -> list[tuple[bytes, Any]]:
    """(key, JSON value) of every record of `topic`, partition by partition."""
    from kinesis_checks import kafka_partition_records
    got = kafka_partition_records(bootstrap, topic, list(range(partitions)))
    return [(key, json.loads(value)) for p in sorted(got) for _, (key, value) in
            sorted(got[p].items())]


def wait_topic_values(bootstrap: str, topic: str, count: int, partitions: int = 1,
                      timeout: float = 30.0) -> list[tuple[bytes, Any]]:
    last: list = []

    def enough():
        nonlocal last
        last = topic_values(bootstrap, topic, partitions)
        return len(last) >= count
    wait_for(enough, timeout=timeout, interval=0.3,
             what=f"{count} record(s) in {topic} (have {len(last)})")
    return last


def stream_values(instance, stream: str) -> list[tuple[str, str, Any]]:
    """(shard id, partition key, JSON data) of every record of `stream`, read with boto3's
    ListShards / GetShardIterator(TRIM_HORIZON) / GetRecords."""
    client = boto3_client(instance)
    out = []
    for shard in client.list_shards(StreamName=stream)["Shards"]:
        iterator = client.get_shard_iterator(StreamName=stream, ShardId=shard["ShardId"],
                                             ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        while iterator:
            page = client.get_records(ShardIterator=iterator)
            out.extend((shard["ShardId"], r["PartitionKey"], json.loads(r["Data"]))
                       for r in page["Records"])
            iterator = page.get("NextShardIterator")
            if not page["Records"] and page.get("MillisBehindLatest") == 0:
                break
    return out


def create_stream(kb, bootstrap: str, name: str, shards: int) -> str:
    """CreateStream through `kb`; waits until it is ACTIVE and its topic exists."""
    from kinesis_checks import topic_of
    status, body = call(kb, "CreateStream", {"StreamName": name, "ShardCount": shards})
    assert status == 200, (status, body)
    wait_for(lambda: call(kb, "DescribeStreamSummary", {"StreamName": name})[1]
             .get("StreamDescriptionSummary", {}).get("StreamStatus") == "ACTIVE",
             timeout=30, what=f"{name} ACTIVE")
    topic_of(bootstrap, name)
    return name


@contextlib.contextmanager
def serving(factory, mappings: list[dict[str, Any]], name: str | None = None,
            extra: dict[str, Any] | None = None):
    """A `kbridge serve` running `mappings` for the duration of the block; stopped by PID at its
    end (SIGTERM; a non-zero exit fails the test unless the block already raised)."""
    instance = factory.start(config={"mappings": mappings, **(extra or {})}, name=name)
    try:
        yield instance
    except BaseException:
        instance.stop(check=False)
        raise
    instance.stop(check=True)


def mappings_view(instance) -> dict[str, Any]:
    """GET /v1/mappings of the admin listener: {name: entry}."""
    from kbridge_harness import http_get
    status, body = http_get(instance.admin_endpoint + "/v1/mappings")
    assert status == 200, body
    return {m["name"]: m for m in json.loads(body)["mappings"]}


def boto3_client(instance):
    import boto3
    from botocore.config import Config
    from kbridge_harness import REGION
    return boto3.client("kinesis", endpoint_url=instance.endpoint, region_name=REGION,
                        aws_access_key_id="test", aws_secret_access_key="test",
                        config=Config(retries={"max_attempts": 1}, connect_timeout=5,
                                      read_timeout=30))
