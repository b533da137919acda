"""streams.adopt against a real Kafka broker: an existing topic, written by a Kafka-native producer,
becomes a stream whose shards are its partitions. Kinesis clients read its records as they are
(key = PartitionKey, value = Data, null key = ""), and with the "kafka" partitioner a PutRecord
lands in the partition a native producer (librdkafka's murmur2_random, Java's default) puts the
same key in. kbridge never deletes or reconfigures the topic; a restart keeps the same stream.
"""
import signal

import pytest

from kbridge_harness import (ACCOUNT_ID, expected_hash_ranges, kafka_admin, kafka_topic,
                             shard_hash_ranges, shard_id, unique_name, wait_for)
from kinesis_checks import (assert_error, b64, call, kafka_partition_records, put_record,
                            read_records, routed_shard, shard_iterator)

PARTITIONS = 3
KEYS = [f"customer-{i}" for i in range(30)]


def create_native_topic(bootstrap, name, configs, partitions=PARTITIONS):
    from confluent_kafka.admin import NewTopic
    admin = kafka_admin(bootstrap)  # kept alive until the future is done
    (future,) = admin.create_topics([NewTopic(name, partitions, 1, config=configs)]).values()
    future.result(30)


def produce_natively(bootstrap, topic):
    """Kafka-native records, partitioned as Java's default partitioner does; returns
    {partition: [(key bytes or None, value bytes)]} in offset order."""
    from confluent_kafka import Producer
    producer = Producer({"bootstrap.servers": bootstrap, "partitioner": "murmur2_random",
                         "acks": "all"})
    placed = {p: [] for p in range(PARTITIONS)}
    errors = []

    def delivered(err, msg):
        if err:
            errors.append(err)
        else:
            placed[msg.partition()].append((msg.key(), msg.value()))

    for i, key in enumerate(KEYS):
        producer.produce(topic, key=key.encode(), value=f"order {i}".encode(), on_delivery=delivered)
        producer.flush(10)  # one at a time: offsets in production order
    producer.produce(topic, key=None, value=b"no key", partition=1, on_delivery=delivered)
    producer.flush(10)
    assert not errors, errors
    return placed


@pytest.fixture(scope="module")
def native(kafka_bootstrap):
    """Two native topics: one adopted with the kafka partitioner, one with the default."""
    topics = {"murmur": unique_name("native-orders"), "md5": unique_name("native-plain")}
    create_native_topic(kafka_bootstrap, topics["murmur"], {"retention.ms": str(48 * 3_600_000)})
    create_native_topic(kafka_bootstrap, topics["md5"], {})
    placed = produce_natively(kafka_bootstrap, topics["murmur"])
    return topics, placed


def adopt_config(topics):
    return {"streams": {"adopt": [
        {"topic": topics["murmur"], "name": "adopted-" + topics["murmur"], "partitioner": "kafka"},
        {"topic": topics["md5"]}]}}


@pytest.fixture(scope="module")
def adopted(kbridge_factory, native):
    topics, _ = native
    return kbridge_factory.start(adopt_config(topics), name="adopting")


def test_the_topic_is_a_stream(adopted, native):
    topics, _ = native
    name = "adopted-" + topics["murmur"]
    status, body = call(adopted, "ListStreams", {})
    assert status == 200 and {name, topics["md5"]} <= set(body["StreamNames"]), body
    status, body = call(adopted, "DescribeStream", {"StreamName": name})
    assert status == 200, body
    description = body["StreamDescription"]
    assert description["StreamStatus"] == "ACTIVE"
    assert description["RetentionPeriodHours"] == 48
    assert [s["ShardId"] for s in description["Shards"]] == [shard_id(i) for i in range(PARTITIONS)]
    assert shard_hash_ranges(description["Shards"]) == expected_hash_ranges(PARTITIONS)
    # No retention.ms override on the other topic: the broker's default, 168 hours.
    status, body = call(adopted, "DescribeStreamSummary", {"StreamName": topics["md5"]})
    assert body["StreamDescriptionSummary"]["RetentionPeriodHours"] == 168


def test_native_records_read_through_kinesis(adopted, native):
    topics, placed = native
    name = "adopted-" + topics["murmur"]
    for shard in range(PARTITIONS):
        want = placed[shard]
        got, _ = read_records(adopted, shard_iterator(adopted, name, shard), len(want))
        assert [(r["PartitionKey"], r["Data"]) for r in got] == \
            [((k or b"").decode(), b64(v)) for k, v in want], shard


def test_kafka_partitioner_puts_keys_where_native_producers_do(adopted, native, kafka_bootstrap):
    topics, placed = native
    name = "adopted-" + topics["murmur"]
    native_partition = {k.decode(): p for p, records in placed.items() for k, _ in records if k}
    for key in KEYS[:10]:
        status, body = put_record(adopted, name, key, b"from kinesis")
        assert status == 200, body
        assert body["ShardId"] == shard_id(native_partition[key]), key
    # ExplicitHashKey still picks the shard by hash-key range.
    status, body = put_record(adopted, name, "k", b"explicit", ExplicitHashKey="0")
    assert (status, body["ShardId"]) == (200, "shardId-000000000000"), body
    records = kafka_partition_records(kafka_bootstrap, topics["murmur"], list(range(PARTITIONS)))
    found = [(p, k) for p, by_offset in records.items() for k, v in by_offset.values()
             if v == b"from kinesis"]
    assert sorted(found) == sorted((native_partition[k], k.encode()) for k in KEYS[:10])


def test_default_partitioner_routes_by_md5(adopted, native):
    topics, _ = native
    ranges = expected_hash_ranges(PARTITIONS)
    for key in KEYS[:5]:
        status, body = put_record(adopted, topics["md5"], key, b"x")
        assert status == 200, body
        assert body["ShardId"] == shard_id(routed_shard(ranges, key)), key


def test_kbridge_leaves_the_topic_alone(adopted, native, kafka_bootstrap):
    topics, _ = native
    name = "adopted-" + topics["murmur"]
    message = (f"Stream {name} under account {ACCOUNT_ID} is the Kafka topic {topics['murmur']} "
               f"adopted through streams.adopt: kbridge does not {{}} it. Change it in Kafka, or "
               f"remove it from streams.adopt.")
    assert_error(call(adopted, "DeleteStream", {"StreamName": name}), "ResourceInUseException",
                 message.format("delete"))
    assert_error(call(adopted, "IncreaseStreamRetentionPeriod",
                      {"StreamName": name, "RetentionPeriodHours": 72}),
                 "ResourceInUseException", message.format("change the retention of"))
    topic = kafka_topic(kafka_bootstrap, topics["murmur"])
    assert topic["partitions"] == PARTITIONS
    assert topic["configs"]["retention.ms"] == str(48 * 3_600_000)
    # Metadata kbridge keeps itself is fine.
    status, body = call(adopted, "AddTagsToStream", {"StreamName": name, "Tags": {"owner": "kafka"}})
    assert status == 200, body


def test_a_restart_keeps_the_stream(kbridge_factory, adopted, native):
    topics, _ = native
    name = "adopted-" + topics["murmur"]
    before = call(adopted, "DescribeStreamSummary", {"StreamName": name})[1]
    again = kbridge_factory.start(adopt_config(topics), name="adopting-again")
    after = call(again, "DescribeStreamSummary", {"StreamName": name})[1]
    assert after["StreamDescriptionSummary"]["StreamCreationTimestamp"] == \
        before["StreamDescriptionSummary"]["StreamCreationTimestamp"]
    # An iterator from one instance reads on the other: the same stream, the same generation.
    iterator = shard_iterator(adopted, name, 0)
    status, body = call(again, "GetRecords", {"ShardIterator": iterator, "Limit": 1})
    assert status == 200 and len(body["Records"]) == 1, body


def test_a_missing_topic_stops_start_up(kbridge_factory):
    absent = unique_name("native-absent")
    with pytest.raises(pytest.fail.Exception,
                       match=f"streams.adopt: cannot adopt Kafka topic {absent} as stream {absent}: "
                             "Broker: Unknown topic or partition"):
        kbridge_factory.start({"streams": {"adopt": [{"topic": absent}]}}, name="adopting-absent")
    failed = kbridge_factory.instances.pop()  # it exited with 1, as it should: not a teardown error
    assert failed.proc.poll() == 1


def test_partitions_added_to_the_topic_become_shards(kbridge_factory, kafka_bootstrap):
    """Kafka can only add partitions: on SIGHUP (or within a minute, or at start-up) the stream has
    one shard per partition again, ranges split anew, existing shards unchanged otherwise."""
    from confluent_kafka import Producer
    from confluent_kafka.admin import NewPartitions
    topic = unique_name("native-growing")
    create_native_topic(kafka_bootstrap, topic, {}, partitions=2)
    instance = kbridge_factory.start({"streams": {"adopt": [{"topic": topic}]}}, name="growing")

    def shards():
        status, body = call(instance, "ListShards", {"StreamName": topic})
        assert status == 200, body
        return body["Shards"]

    before = shards()
    assert [s["ShardId"] for s in before] == [shard_id(0), shard_id(1)]
    admin = kafka_admin(kafka_bootstrap)
    (future,) = admin.create_partitions([NewPartitions(topic, 4)]).values()
    future.result(30)
    producer = Producer({"bootstrap.servers": kafka_bootstrap, "acks": "all"})
    producer.produce(topic, key=b"late", value=b"in a new partition", partition=3)
    assert producer.flush(10) == 0

    instance.proc.send_signal(signal.SIGHUP)  # by the PID the harness started
    wait_for(lambda: len(shards()) == 4, timeout=30, what="4 shards after SIGHUP")
    after = shards()
    assert [s["ShardId"] for s in after] == [shard_id(i) for i in range(4)]
    assert shard_hash_ranges(after) == expected_hash_ranges(4)
    for old, new in zip(before, after):
        assert new["SequenceNumberRange"] == old["SequenceNumberRange"]
    records, _ = read_records(instance, shard_iterator(instance, topic, 3), 1)
    assert [(r["PartitionKey"], r["Data"]) for r in records] == [("late", b64(b"in a new partition"))]
    # PutRecord routes over the four shards' ranges now.
    for key in KEYS:
        status, body = put_record(instance, topic, key, b"x")
        assert status == 200, body
        assert body["ShardId"] == shard_id(routed_shard(expected_hash_ranges(4), key)), key
