"""Issue 6: Prometheus metrics on the admin listener's GET /metrics, and the `metrics` handler.

- kbridge's own metrics after puts and gets: kbridge_api_requests_total{operation,status} and the
  latency histogram, per-shard incoming/outgoing records and bytes, the producer queue gauge;
- acceptance 1: 10,000 JSON records with 3 `source` values through a stream with the metrics
  mapping; the scraped counts match exactly (records, bytes, unique keys per batch, per source),
  non-JSON records are counted as such, the EMF lines (to a file) add up to the same numbers;
- the mapping's own metrics (invocations, batch sizes, delivered, iterator age);
- the text passes `promtool check metrics` when promtool (Debian package prometheus) is installed.
"""
import base64
import json
import shutil
import subprocess

from kbridge_harness import http_get, unique_name, wait_for
from kinesis_checks import call, put_ok, shard_iterator
from mapping_checks import mapping, serving
from metrics_checks import fetch_metrics, value

SOURCES = ("web", "mobile", "iot")
def promtool_check(text):
    promtool = shutil.which("promtool")
    if not promtool:
        return
    result = subprocess.run([promtool, "check", "metrics"], input=text.encode(),
                            capture_output=True, timeout=60)
    # promtool exits 1 for lint findings too; an empty output means none.
    assert result.returncode == 0, result.stdout.decode() + result.stderr.decode()


def workload(n=10_000):
    """n JSON records over 3 sources and 50 partition keys, then 10 that are not JSON."""
    records = []
    for i in range(n):
        doc = {"i": i, "source": SOURCES[i % 3], "pad": "x" * (i % 17)}
        records.append((f"user-{(i * 7) % 50}", json.dumps(doc).encode()))
    for i in range(10):
        records.append((f"raw-{i}", b"\x00\x01 not json " + str(i).encode()))
    return records


def test_metrics_endpoint_serves_the_text_format(kbridge):
    content_type, text, samples = fetch_metrics(kbridge)
    assert content_type == "text/plain; version=0.0.4; charset=utf-8"
    assert "# TYPE kbridge_producer_queue_records gauge" in text
    assert value(samples, "kbridge_producer_queue_records") >= 0
    status, _ = http_get(kbridge.admin_endpoint + "/healthz")
    assert status == 200
    promtool_check(text)


def test_api_and_shard_metrics_after_puts_and_gets(kbridge, new_stream):
    stream = new_stream(shards=2, prefix="metrics-api")
    records = [(f"k{i}", b"d" * (i % 13 + 1)) for i in range(300)]
    _, _, before = fetch_metrics(kbridge)
    answers = put_ok(kbridge, stream, records[:200])
    for key, data in records[200:]:
        status, body = call(kbridge, "PutRecord", {"StreamName": stream, "PartitionKey": key,
                                                   "Data": base64.b64encode(data).decode()})
        assert status == 200, body
        answers.append(body)
    status, _ = call(kbridge, "PutRecord", {"StreamName": stream + "-missing", "PartitionKey": "k",
                                           "Data": "AQ=="})
    assert status == 400

    per_shard = {}
    for (key, data), answer in zip(records, answers):
        count, size = per_shard.get(answer["ShardId"], (0, 0))
        per_shard[answer["ShardId"]] = (count + 1, size + len(data))
    read = {}
    for shard in per_shard:
        iterator = shard_iterator(kbridge, stream, shard)
        got_count, got_bytes = 0, 0
        while True:
            status, page = call(kbridge, "GetRecords", {"ShardIterator": iterator, "Limit": 64})
            assert status == 200, page
            if not page["Records"]:
                break
            got_count += len(page["Records"])
            got_bytes += sum(len(base64.b64decode(r["Data"])) for r in page["Records"])
            iterator = page["NextShardIterator"]
        read[shard] = (got_count, got_bytes)
    assert read == per_shard

    _, text, after = fetch_metrics(kbridge)

    def delta(name, **labels):
        want = set(labels.items())
        old = [v for (n, ls), v in before.items() if n == name and want <= set(ls)]
        return value(after, name, **labels) - (old[0] if old else 0)

    assert delta("kbridge_api_requests_total", operation="PutRecords", status="OK") == 1
    assert delta("kbridge_api_requests_total", operation="PutRecord", status="OK") == 100
    assert delta("kbridge_api_requests_total", operation="PutRecord",
                 status="ResourceNotFoundException") == 1
    assert delta("kbridge_api_request_duration_seconds_count", operation="PutRecord") == 101
    assert delta("kbridge_api_requests_total", operation="GetRecords", status="OK") >= len(per_shard)
    assert value(after, "kbridge_api_request_duration_seconds_bucket", operation="PutRecord",
                 le="+Inf") == value(after, "kbridge_api_request_duration_seconds_count",
                                     operation="PutRecord")
    for shard, (count, size) in per_shard.items():
        assert value(after, "kbridge_shard_incoming_records_total", stream=stream, shard=shard) == count
        assert value(after, "kbridge_shard_incoming_bytes_total", stream=stream, shard=shard) == size
        assert value(after, "kbridge_shard_outgoing_records_total", stream=stream, shard=shard) == count
        assert value(after, "kbridge_shard_outgoing_bytes_total", stream=stream, shard=shard) == size
    promtool_check(text)

    # A deleted stream's series go at the next scrape; the other streams' stay.
    other = new_stream(shards=1, prefix="metrics-kept")
    put_ok(kbridge, other, [("k", b"x")])
    status, body = call(kbridge, "DeleteStream", {"StreamName": stream})
    assert status == 200, body
    _, _, gone = fetch_metrics(kbridge)
    assert not [key for key in gone if ("stream", stream) in key[1]]
    assert value(gone, "kbridge_shard_incoming_records_total", stream=other,
                 shard="shardId-000000000000") == 1


def test_metrics_handler_counts_exactly(kbridge, kbridge_factory, new_stream, tmp_path):
    stream = new_stream(shards=1, prefix="metrics-handler")
    records = workload()
    for i in range(0, len(records), 500):
        put_ok(kbridge, stream, records[i:i + 500])
    emf_path = tmp_path / "emf.jsonl"
    name = unique_name("metrics")
    handler = {"type": "metrics", "environment": "test", "max_sources": 10,
               "emf": {"output": str(emf_path)}}
    config = mapping(name, stream, handler, batch_size=500, max_batching_window_ms=200)
    total = len(records)
    with serving(kbridge_factory, [config]) as instance:
        def processed():
            _, _, s = fetch_metrics(instance)
            found = [v for (n, ls), v in s.items()
                     if n == "kbridge_stream_records_processed_total" and ("stream", stream) in ls]
            return found and found[0] == total and s
        samples = wait_for(processed, timeout=60, what=f"{total} records processed")
        _, text, samples = fetch_metrics(instance)
        promtool_check(text)

        dims = {"stream": stream, "environment": "test"}
        assert value(samples, "kbridge_stream_records_processed_total", **dims) == total
        assert value(samples, "kbridge_stream_data_bytes_total", **dims) == \
            sum(len(d) for _, d in records)
        for source in SOURCES:
            expected = sum(1 for i in range(10_000) if SOURCES[i % 3] == source)
            assert value(samples, "kbridge_stream_records_by_source_total", source=source,
                         **dims) == expected
        assert value(samples, "kbridge_stream_records_unattributed_total", reason="not_json",
                     **dims) == 10
        assert value(samples, "kbridge_stream_records_unattributed_total",
                     reason="no_source_field", **dims) == 0
        assert value(samples, "kbridge_stream_processing_latency_seconds_count", **dims) == total

        # The batches, in order, from the EMF lines: their sizes cut the put order into
        # consecutive chunks (one shard, parallelization 1), whose distinct keys must match.
        lines = [json.loads(line) for line in emf_path.read_text().splitlines()]
        batches = [d for d in lines if "RecordsProcessed" in d]
        assert sum(b["RecordsProcessed"] for b in batches) == total
        at, unique_sum = 0, 0
        for b in batches:
            chunk = records[at:at + b["RecordsProcessed"]]
            at += b["RecordsProcessed"]
            assert b["UniquePartitions"] == len({k for k, _ in chunk}), b
            assert b["DataSizeBytes"] == sum(len(d) for _, d in chunk)
            assert b["StreamName"] == stream and b["Environment"] == "test"
            assert b["ProcessingLatencyMin"] <= b["ProcessingLatencyAvg"] <= b["ProcessingLatencyMax"]
            directive = b["_aws"]["CloudWatchMetrics"][0]
            assert directive["Namespace"] == "DataPipeline/Kinesis"
            assert directive["Dimensions"] == [["StreamName", "Environment"]]
            unique_sum += b["UniquePartitions"]
        assert value(samples, "kbridge_stream_unique_partitions_sum", **dims) == unique_sum
        assert value(samples, "kbridge_stream_unique_partitions_count", **dims) == len(batches)
        by_source = {}
        for d in lines:
            if "RecordsBySource" in d:
                by_source[d["Source"]] = by_source.get(d["Source"], 0) + d["RecordsBySource"]
        assert by_source == {s: sum(1 for i in range(10_000) if SOURCES[i % 3] == s)
                             for s in SOURCES}

        # The mapping's own metrics.
        m = {"mapping": name}
        assert value(samples, "kbridge_mapping_invocations_total", **m) == len(batches)
        assert value(samples, "kbridge_mapping_records_delivered_total", **m) == total
        assert value(samples, "kbridge_mapping_errors_total", **m) == 0
        assert value(samples, "kbridge_mapping_batch_size_count", **m) == len(batches)
        assert value(samples, "kbridge_mapping_batch_size_sum", **m) == total
        assert value(samples, "kbridge_mapping_iterator_age_seconds", shard="shardId-000000000000",
                     **m) >= 0
