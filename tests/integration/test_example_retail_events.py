"""config/examples/retail-events.json (seed 003) end to end, with the AWS CLI v2 as the seed uses it.

The shipped file, with only a test's changes (test broker, port 0, unique stream names, the table
in a tmp dir): kbridge creates the event stream and its dead-letter stream;
- seed 003's exact test event, sent with `aws kinesis put-record`, becomes a row of the table
  (GET /api/data lists it);
- a poisoned event (not JSON) sent between two good ones is isolated — the table handler fails
  it alone, the runtime bisects and retries it (3 retries) — and ends up in the DLQ stream as
  Lambda's failure record of a batch of 1 with the record itself, while the good events are rows;
- the alert rules the seed's CloudWatch alarms become (mapping errors, iterator age) exist in
  compose/prometheus/alerts.yml (their promtool tests are test_deploy_files.py's).
"""
import base64
import http.client
import json
import pathlib
import subprocess
import urllib.parse

import pytest

from example_checks import example_copy, load_example, start
from kbridge_harness import aws_cli, kafka_topic, require_env, wait_for
from mapping_checks import stream_values
from metrics_checks import metric, scrape

TEST_EVENT = ('{"userId":"test-user-123","eventType":"purchase","productId":"P0001",'
              '"timestamp":1640995200000}')
POISON = '{"userId":"poison","eventType":"purchase",'  # cut short: not JSON


@pytest.fixture(scope="module")
def aws(tmp_path_factory):
    cli, env = aws_cli(tmp_path_factory.mktemp("aws-home"), max_attempts=2)

    def run(endpoint, *args):
        cmd = [cli, "kinesis", *args, "--endpoint-url", endpoint, "--output", "json",
               "--cli-binary-format", "raw-in-base64-out"]
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, f"{' '.join(cmd)}\nexit {proc.returncode}\n{proc.stderr}"
        return json.loads(proc.stdout) if proc.stdout.strip() else None
    return run


def items(instance):
    url = urllib.parse.urlsplit(instance.endpoint)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        conn.request("GET", "/api/data?limit=100")
        resp = conn.getresponse()
        assert resp.status == 200
        return json.loads(resp.read())["items"]
    finally:
        conn.close()


def test_alert_rules_for_mapping_errors_and_iterator_age():
    rules = (pathlib.Path(require_env("KBRIDGE_SOURCE_DIR")) / "compose" / "prometheus"
             / "alerts.yml").read_text()
    assert "kbridge_mapping_errors_total" in rules
    assert "kbridge_mapping_on_failure_records_total" in rules
    assert "kbridge_mapping_iterator_age_seconds" in rules


def test_retail_events(kbridge_factory, kafka_bootstrap, tmp_path, aws):
    shipped = load_example("retail-events")
    cfg, renamed = example_copy(shipped, kafka_bootstrap, tmp_path)
    (processor,) = cfg["mappings"]
    stream = processor["stream"]
    dlq = processor["on_failure"]["stream"]
    assert set(renamed.values()) == {stream, dlq}
    assert processor["bisect_on_error"] and processor["max_retry_attempts"] == 3
    assert processor["handler"]["type"] == "table"

    instance = start(kbridge_factory, cfg, "retail-events")
    for name, hours in ((stream, 24), (dlq, 168)):
        topic = kafka_topic(kafka_bootstrap, name)
        assert topic and topic["partitions"] == 1, (name, topic)
        assert topic["configs"]["retention.ms"] == str(hours * 3600 * 1000), (name, topic)

    # Seed 003's test event, exactly as its README sends it.
    put = aws(instance.endpoint, "put-record", "--stream-name", stream, "--data", TEST_EVENT,
              "--partition-key", "test-user-123")
    assert put["ShardId"] == "shardId-000000000000"
    row = wait_for(lambda: [i for i in items(instance) if i["sequenceNumber"] ==
                            put["SequenceNumber"]], timeout=30, what="the test event's row")[0]
    assert row["data"] == json.loads(TEST_EVENT)
    assert row["partitionKey"] == "test-user-123"

    # A poisoned event between two good ones, in one batch.
    good = [{"userId": f"user-{i}", "eventType": "view", "productId": f"P000{i}",
             "timestamp": 1640995200000 + i} for i in (1, 2)]
    records = [{"Data": json.dumps(good[0]), "PartitionKey": "user-1"},
               {"Data": POISON, "PartitionKey": "poison"},
               {"Data": json.dumps(good[1]), "PartitionKey": "user-2"}]
    batch = aws(instance.endpoint, "put-records", "--stream-name", stream, "--records",
                json.dumps(records))
    assert batch["FailedRecordCount"] == 0, batch
    poison_seq = batch["Records"][1]["SequenceNumber"]

    failures = wait_for(lambda: stream_values(instance, dlq), timeout=45,
                        what="the poisoned event in the DLQ")
    assert len(failures) == 1, failures
    failure = failures[0][2]
    info = failure["KinesisBatchInfo"]
    assert info["batchSize"] == 1, failure  # isolated: the good events are not in it
    assert info["startSequenceNumber"] == info["endSequenceNumber"] == poison_seq
    assert info["streamArn"].endswith(f":stream/{stream}")
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted", failure
    (record,) = failure["Records"]  # include_records: the poisoned event itself
    assert record["kinesis"]["sequenceNumber"] == poison_seq
    assert base64.b64decode(record["kinesis"]["data"]).decode() == POISON

    # The good events are rows; the poisoned one is not.
    wanted = {batch["Records"][0]["SequenceNumber"], batch["Records"][2]["SequenceNumber"]}
    def stored():
        got = items(instance)
        return wanted <= {i["sequenceNumber"] for i in got} and got
    rows = wait_for(stored, timeout=30, what="the good events' rows")
    assert poison_seq not in {i["sequenceNumber"] for i in rows}
    assert sorted(i["data"]["userId"] for i in rows) == ["test-user-123", "user-1", "user-2"]

    samples = scrape(instance)
    name = processor["name"]
    assert metric(samples, "kbridge_mapping_bisects_total", mapping=name) >= 1
    assert metric(samples, "kbridge_mapping_retries_total", mapping=name) >= 3
    assert metric(samples, "kbridge_mapping_on_failure_records_total", mapping=name) == 1
    assert metric(samples, "kbridge_mapping_errors_total", mapping=name) >= 1
    instance.stop()
