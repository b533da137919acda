"""config/examples/producer-consumer.json (seed 004) end to end.

The shipped file, with only a test's changes (test broker, port 0, unique stream name, the
generator's 5 minutes scaled down to 1 s): kbridge creates `MyStream`, the generator puts the
seed's `{"message": "Hello", "time": <epoch ms>}` on every run, and the log mapping (batch 5) logs
each record it receives — the seed's "Consumer received: { message: 'Hello', time: ... }".
"""
import json
import re
import time

from example_checks import example_copy, load_example, start
from kbridge_harness import kafka_topic, wait_for

LINE = re.compile(r"^\[(?P<mapping>[^\]]+)\] (?P<shard>shardId-\d{12}) (?P<seq>\d+) "
                  r"partitionKey=(?P<key>\S+) data=(?P<data>.*)$")


def consumed(instance, mapping):
    """The JSON data of every log-mapping line of `mapping` in the instance's output."""
    out = []
    for line in instance.log_path.read_text(errors="replace").splitlines():
        m = LINE.match(line)
        if m and m["mapping"] == mapping:
            out.append((m["seq"], json.loads(m["data"])))
    return out


def test_producer_consumer(kbridge_factory, kafka_bootstrap, tmp_path):
    shipped = load_example("producer-consumer")
    (producer,) = shipped["sources"]
    assert producer["interval_s"] == 300  # the seed's 5 minutes

    def scaled(path, value):
        return 1 if path.endswith("interval_s") else value
    cfg, renamed = example_copy(shipped, kafka_bootstrap, tmp_path, scaled)
    (stream,) = renamed.values()
    assert next(iter(renamed)) == "MyStream"
    (consumer,) = cfg["mappings"]
    assert consumer["handler"]["type"] == "log" and consumer["batch_size"] == 5

    started = time.time() * 1000
    instance = start(kbridge_factory, cfg, "producer-consumer")
    topic = kafka_topic(kafka_bootstrap, stream)
    assert topic and topic["partitions"] == 1, topic

    got = wait_for(lambda: len(c := consumed(instance, consumer["name"])) >= 4 and c,
                   timeout=45, what="four of the generator's records in the consumer's log")
    seqs = [seq for seq, _ in got]
    assert len(set(seqs)) == len(seqs), "a record was logged twice"
    assert [int(s) for s in seqs] == sorted(int(s) for s in seqs)
    for _, data in got:
        assert set(data) == {"message", "time"}, data
        assert data["message"] == "Hello"
        assert isinstance(data["time"], int) and started - 5000 <= data["time"] <= time.time() * 1000
    times = [data["time"] for _, data in got]
    assert times == sorted(times) and times[-1] - times[0] >= 2000  # one per interval
    instance.stop()
