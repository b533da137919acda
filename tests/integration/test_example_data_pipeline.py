"""config/examples/data-pipeline.json (seeds 000/001) end to end, and config/local.json being it.

The shipped file, with only a test's changes (test broker, port 0, unique stream name, files in a
tmp dir, the 5 s / 10 s batching windows and the archive's 300 s buffer scaled down): kbridge
creates the declared stream; records POSTed to /api/ingest/stream as the seed's API receives them
are
- upserted by the table mapping: GET /api/data/{id} serves each, GET /api/data lists them (with the
  seed's CORS headers);
- measured by the metrics mapping: the seed's per-batch metrics on /metrics with the StreamName and
  Environment dimensions, RecordsBySource per `source`, EMF lines in DataPipeline/Kinesis;
- counted as the seed's shard-level IncomingRecords;
- archived by the Firehose-like mapping: gzip objects under year=/month=/day=/hour= that
  decompress to exactly the posted records.
"""
import datetime
import json
import pathlib

from example_checks import (archived_objects, archived_records, example_copy, examples_dir,
                            load_example, start)
from kbridge_harness import kafka_topic, wait_for
from mapping_checks import group_of, wait_started
from metrics_checks import metric, scrape
from rest_checks import assert_cors, request


# What the seed's API receives: JSON events with an id and a source.
PAYLOADS = [
    {"id": "evt-1001", "source": "web", "userId": "user-1", "action": "page_view",
     "page": "/home", "timestamp": "2026-11-22T10:00:00Z"},
    {"id": "evt-1002", "source": "mobile", "userId": "user-2", "action": "purchase",
     "amount": 49.99, "currency": "USD"},
    {"id": "evt-1003", "source": "web", "userId": "user-1", "action": "add_to_cart",
     "productId": "P0001", "quantity": 2},
    {"id": "evt-1004", "source": "iot", "deviceId": "sensor-7", "temperature": 21.5,
     "humidity": 0.43},
]


def scaled(path, value):
    if path.endswith("max_batching_window_ms"):
        return min(value, 500)
    if path.endswith("buffering.interval_s"):
        return 1
    return value


def test_local_json_is_the_data_pipeline():
    shipped = load_example("data-pipeline")
    local = json.loads((examples_dir().parent / "local.json").read_text())
    # The same config; each names the schema relative to where it lies.
    assert local.pop("$schema") == "schema.json"
    assert shipped.pop("$schema") == "../schema.json"
    assert local == shipped
    # scripts/run depends on these.
    assert local["kafka"]["bootstrap_servers"] == "127.0.0.1:9092"
    assert local["kafka"]["catalog_topic"] == "__kbridge_catalog"
    assert local["kinesis"]["listen"] == "127.0.0.1:4567"
    assert local["admin"]["listen"] == "127.0.0.1:9400"


def test_data_pipeline(kbridge_factory, kafka_bootstrap, tmp_path):
    shipped = load_example("data-pipeline")
    cfg, renamed = example_copy(shipped, kafka_bootstrap, tmp_path, scaled)
    (stream,) = renamed.values()
    by_type = {m["handler"]["type"]: m for m in cfg["mappings"]}
    assert set(by_type) == {"table", "metrics", "archive"}
    assert cfg["api"]["data"]["mapping"] == by_type["table"]["name"]

    instance = start(kbridge_factory, cfg, "data-pipeline")
    # The declared stream: 1 shard, 24 h.
    topic = kafka_topic(kafka_bootstrap, stream)
    assert topic and topic["partitions"] == 1, topic
    assert topic["configs"]["retention.ms"] == str(24 * 3600 * 1000)
    # The seed's mappings start at LATEST: what is posted before they joined is not theirs.
    for m in (by_type["table"], by_type["metrics"]):
        wait_started(kafka_bootstrap, group_of(m["name"]), stream, 1)

    # The seed's API: one object, then an array.
    status, heads, answer = request(instance, "POST", "/api/ingest/stream", PAYLOADS[0])
    assert status == 200, (status, answer)
    assert_cors(heads)
    assert answer["count"] == 1 and answer["records"][0]["partitionKey"] == "evt-1001"
    status, heads, answer = request(instance, "POST", "/api/ingest/stream", PAYLOADS[1:])
    assert status == 200, (status, answer)
    assert answer["count"] == 3 and answer["failedRecordCount"] == 0

    # The table: every record by id, and the list.
    for payload in PAYLOADS:
        item = wait_for(lambda p=payload: (r := request(instance, "GET",
                                                        f"/api/data/{p['id']}"))[0] == 200 and r,
                        timeout=30, what=f"item {payload['id']}")
        status, heads, body = item
        assert_cors(heads)
        assert body["id"] == payload["id"] and body["data"] == payload, body
        assert body["ttl"] > datetime.datetime.now().timestamp()
    status, heads, listing = request(instance, "GET", "/api/data")
    assert status == 200
    assert_cors(heads)
    assert sorted(i["id"] for i in listing["items"]) == sorted(p["id"] for p in PAYLOADS)
    status, _, missing = request(instance, "GET", "/api/data/evt-none")
    assert status == 404, missing

    # The metrics function's metrics, with the StreamName and Environment dimensions.
    env = by_type["metrics"]["handler"]["environment"]
    dims = {"stream": stream, "environment": env}

    def processed():
        samples = scrape(instance)
        return metric(samples, "kbridge_stream_records_processed_total", **dims) == len(
            PAYLOADS) and samples
    samples = wait_for(processed, timeout=30, what="RecordsProcessed of every record")
    data_bytes = sum(len(json.dumps(p, separators=(",", ":"))) for p in PAYLOADS)
    assert metric(samples, "kbridge_stream_data_bytes_total", **dims) == data_bytes
    assert metric(samples, "kbridge_stream_records_by_source_total", source="web", **dims) == 2
    assert metric(samples, "kbridge_stream_records_by_source_total", source="mobile", **dims) == 1
    assert metric(samples, "kbridge_stream_records_by_source_total", source="iot", **dims) == 1
    assert metric(samples, "kbridge_stream_processing_latency_seconds_count", **dims) == 4
    assert metric(samples, "kbridge_stream_unique_partitions_count", **dims) >= 1
    # The seed's shard-level IncomingRecords.
    assert metric(samples, "kbridge_shard_incoming_records_total", stream=stream,
                  shard="shardId-000000000000") == len(PAYLOADS)
    emf = pathlib.Path(by_type["metrics"]["handler"]["emf"]["output"])
    lines = [json.loads(line) for line in emf.read_text().splitlines()]
    namespaces = {ns["Namespace"] for line in lines
                  for ns in line["_aws"]["CloudWatchMetrics"]}
    assert namespaces == {"DataPipeline/Kinesis"}, namespaces
    assert sum(line.get("RecordsProcessed", 0) for line in lines) == len(PAYLOADS)

    # The archive: gzip objects under the seed's Firehose prefix, exactly the posted records.
    lake = pathlib.Path(by_type["archive"]["handler"]["destination"]["path"])
    got = wait_for(lambda: len(r := archived_records(lake)) >= len(PAYLOADS) and r, timeout=30,
                   what="the posted records in the archive")
    assert sorted((rec for _, rec in got), key=lambda r: r["id"]) == PAYLOADS
    today = datetime.datetime.now(datetime.timezone.utc)
    for obj in archived_objects(lake):
        rel = obj.relative_to(lake).as_posix()
        assert rel.startswith(f"year={today:%Y}/month={today:%m}/day="), rel
        assert "/hour=" in rel and obj.name.startswith(f"{stream}-shardId-000000000000-"), rel
    assert not (lake / "errors").exists()
    instance.stop()


def test_a_declared_stream_that_exists_is_left_as_it_is(kbridge_factory, kafka_bootstrap,
                                                        tmp_path):
    """Not the example itself: its declaration meeting a stream that exists (the next start, with
    an edited shard count and retention) changes nothing and says so."""
    cfg, renamed = example_copy(load_example("data-pipeline"), kafka_bootstrap, tmp_path, scaled)
    (stream,) = renamed.values()
    start(kbridge_factory, cfg, "declared-1").stop()
    cfg["streams"]["create"][0].update(shards=2, retention_hours=48)
    again = start(kbridge_factory, cfg, "declared-2")
    log = again.log_path.read_text()
    assert (f"stream {stream} exists with 1 open shard(s); streams.create declares 2 "
            f"(left as is)") in log, again.log_tail()
    assert (f"stream {stream} exists with a retention of 24 h; streams.create declares 48 h "
            f"(left as is)") in log
    topic = kafka_topic(kafka_bootstrap, stream)
    assert topic["partitions"] == 1
    assert topic["configs"]["retention.ms"] == str(24 * 3600 * 1000)
    again.stop()
