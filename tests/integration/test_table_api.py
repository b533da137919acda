"""The `table` handler and the pipeline REST API (issue 7) on the real broker.

- POST /api/ingest/stream puts an object or an array into the configured stream (partition key
  from the configured field), answers the sequence numbers; bad JSON, oversize and too many
  records are 400;
- a table mapping upserts the records by id into its SQLite file; GET /api/data/{id} serves them
  (404 for unknown ids), GET /api/data pages through them with a cursor; every answer carries the
  CORS headers, OPTIONS is a preflight;
- replays are idempotent: the same records ingested twice, or the whole stream re-delivered after
  `kbridge replay --to trim-horizon`, leave one row per id and the same items;
- a record that is not JSON fails alone: the others are stored, it goes to the on_failure topic;
- TTL: items past it are not served, and the sweeper deletes them from the file.
"""
import json
import os
import sqlite3
import subprocess
import time
import urllib.parse

from kbridge_harness import require_env, unique_name, wait_for
from mapping_checks import (create_topic, end_offsets, group_of, mapping, put_all, serving,
                            wait_committed, wait_started, wait_topic_values)
from rest_checks import assert_cors, request


def ingest(instance, body):
    status, heads, answer = request(instance, "POST", "/api/ingest/stream", body)
    assert status == 200, (status, answer)
    assert_cors(heads)
    return answer


def wait_item(instance, item_id, timeout=30):
    quoted = urllib.parse.quote(item_id, safe="")
    return wait_for(lambda: (r := request(instance, "GET", f"/api/data/{quoted}"))[0] == 200
                    and r[2], timeout=timeout, interval=0.2, what=f"item {item_id}")


def all_items(instance, limit=None):
    """Every item of GET /api/data, page by page: (items, pages)."""
    items, pages, cursor = [], 0, None
    while True:
        query = {k: v for k, v in (("limit", limit), ("cursor", cursor)) if v is not None}
        status, heads, page = request(instance, "GET",
                                      "/api/data?" + urllib.parse.urlencode(query))
        assert status == 200, (status, page)
        assert_cors(heads)
        assert page["count"] == len(page["items"])
        items += page["items"]
        pages += 1
        cursor = page.get("nextCursor")
        if not cursor:
            return items, pages


def table_handler(path, **extra):
    return {"type": "table", "path": str(path), **extra}


def api_config(stream, mapping_name):
    return {"api": {"ingest": {"stream": stream, "partition_key_field": "userId"},
                    "data": {"mapping": mapping_name}}}


def test_ingest_store_query_and_replay(kbridge, kbridge_factory, kafka_bootstrap, new_stream,
                                       tmp_path):
    stream = new_stream(shards=2, prefix="table-api")
    name = unique_name("table")
    dlq = unique_name("table-dlq")
    create_topic(kafka_bootstrap, dlq)
    db = tmp_path / "tables" / "processed-data.db"
    entry = mapping(name, stream, table_handler(db), batch_size=100, max_batching_window_ms=200,
                    report_batch_item_failures=True, bisect_on_error=True, max_retry_attempts=1,
                    on_failure={"topic": dlq})
    with serving(kbridge_factory, [entry], name="table-api-1",
                 extra=api_config(stream, name)) as instance:
        # An object: one record keyed by its userId.
        one = ingest(instance, {"id": "order-1", "userId": "u-1", "amount": 12.5})
        assert one["count"] == 1 and one["failedRecordCount"] == 0, one
        assert one["records"][0]["partitionKey"] == "u-1"
        # An array: one record each; without a userId the key is random.
        many = ingest(instance, [{"id": f"item-{i:02}", "userId": f"u-{i % 3}", "i": i}
                                 for i in range(25)] + [{"id": "no-key", "x": 1}])
        assert many["count"] == 26 and len(many["records"]) == 26
        assert many["records"][-1]["partitionKey"].startswith("partition-")

        item = wait_item(instance, "order-1")
        assert item["id"] == "order-1"
        assert item["data"] == {"id": "order-1", "userId": "u-1", "amount": 12.5}
        assert item["partitionKey"] == "u-1"
        assert item["sequenceNumber"] == one["records"][0]["sequenceNumber"]
        assert item["shardId"] == one["records"][0]["shardId"]
        assert item["ttl"] > time.time() + 6 * 24 * 3600
        wait_item(instance, "no-key")
        wait_item(instance, "item-24")

        # 404, CORS on errors too, the preflight.
        status, heads, body = request(instance, "GET", "/api/data/nope")
        assert (status, body) == (404, {"message": "Item not found"})
        assert_cors(heads)
        status, heads, body = request(instance, "OPTIONS", "/api/data/order-1",
                                      headers={"Origin": "https://app.example",
                                               "Access-Control-Request-Method": "GET"})
        assert status == 204 and body is None
        assert_cors(heads)

        # Bad requests: 400 with a message, nothing written.
        status, heads, body = request(instance, "POST", "/api/ingest/stream", "{not json")
        assert (status, body) == (400, {"message": "The request body is not valid JSON."})
        assert_cors(heads)
        status, _, body = request(instance, "POST", "/api/ingest/stream",
                                  [{"pad": "x" * (1024 * 1024)}])
        assert status == 400 and "a record may have at most 1048576 bytes" in body["message"]
        status, _, body = request(instance, "POST", "/api/ingest/stream",
                                  [{"i": i} for i in range(501)])
        assert status == 400 and "at most 500 per request" in body["message"], body

        # Pagination: every item exactly once, by id, three pages of 10.
        items, pages = all_items(instance, limit=10)
        ids = [i["id"] for i in items]
        assert ids == sorted(ids) and len(ids) == len(set(ids)) == 27, ids
        assert pages == 3
        status, _, body = request(instance, "GET", "/api/data?limit=0")
        assert status == 400, body

        # A record that is not JSON fails alone: its neighbours are stored, it goes to the DLQ.
        put_all(kbridge, stream, [("bad", json.dumps({"id": "before-bad"}).encode()),
                                  ("bad", b"this is not json"),
                                  ("bad", json.dumps({"id": "after-bad"}).encode())])
        wait_item(instance, "before-bad")
        wait_item(instance, "after-bad")
        failures = wait_topic_values(kafka_bootstrap, dlq, 1)
        info = failures[0][1]["KinesisBatchInfo"]
        assert info["batchSize"] == 1, failures

        # The same records ingested again: still one row per id (the newer record's item).
        before = {i["id"]: i for i in all_items(instance)[0]}
        again = ingest(instance, {"id": "order-1", "userId": "u-1", "amount": 12.5})
        wait_for(lambda: request(instance, "GET", "/api/data/order-1")[2]["sequenceNumber"]
                 == again["records"][0]["sequenceNumber"], timeout=30, what="order-1 updated")
        after = {i["id"]: i for i in all_items(instance)[0]}
        assert set(after) == set(before)
        assert {k: v for k, v in after.items() if k != "order-1"} == \
               {k: v for k, v in before.items() if k != "order-1"}
        snapshot = after

    # Replay everything from the start: the table ends up exactly as it was.
    env = dict(os.environ)
    env.pop("KBRIDGE_BOOTSTRAP", None)
    done = subprocess.run([require_env("KBRIDGE_BIN"), "replay", "--mapping", name, "--to",
                           "trim-horizon", "--execute", "--config", str(instance.config_path)],
                          capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    rows_before = sqlite3.connect(db).execute("SELECT COUNT(*) FROM items").fetchone()[0]
    with serving(kbridge_factory, [entry], name="table-api-2",
                 extra=api_config(stream, name)) as instance:
        # Everything is delivered again once the checkpoint is back at the end of the stream;
        # the bad record failing a second time shows the replay really happened.
        wait_committed(kafka_bootstrap, group_of(name), stream,
                       end_offsets(kafka_bootstrap, stream, 2), timeout=60)
        failures = wait_topic_values(kafka_bootstrap, dlq, 2, timeout=30)
        assert len(failures) == 2  # the bad record failed again on replay, and only it
        replayed = {i["id"]: i for i in all_items(instance)[0]}
        assert replayed == snapshot
    rows_after = sqlite3.connect(db).execute("SELECT COUNT(*) FROM items").fetchone()[0]
    assert rows_before == rows_after == len(snapshot)


def test_ttl_expiry_through_the_api(kbridge, kbridge_factory, kafka_bootstrap, new_stream,
                                   tmp_path):
    stream = new_stream(shards=1, prefix="table-ttl")
    name = unique_name("table-ttl")
    db = tmp_path / "ttl.db"
    entry = mapping(name, stream, table_handler(db, ttl_s=6, sweep_interval_s=1))
    with serving(kbridge_factory, [entry], name="table-ttl",
                 extra=api_config(stream, name)) as instance:
        wait_started(kafka_bootstrap, group_of(name), stream, 1)
        started = time.time()
        answer = ingest(instance, [{"id": "short-lived", "n": 1}, {"id": "also", "n": 2}])
        item = wait_item(instance, "short-lived", timeout=4)
        assert started + 4 <= item["ttl"] <= time.time() + 6, item
        # Past its TTL: no longer served, then deleted from the file by the sweeper.
        wait_for(lambda: request(instance, "GET", "/api/data/short-lived")[0] == 404,
                 timeout=15, interval=0.2, what="short-lived expired")
        assert time.time() >= item["ttl"]
        wait_for(lambda: all_items(instance)[0] == [], timeout=5, what="no item listed")
        wait_for(lambda: sqlite3.connect(db).execute("SELECT COUNT(*) FROM items").fetchone()[0]
                 == 0, timeout=10, interval=0.3, what="expired rows swept")
        assert answer["count"] == 2


def test_bearer_tokens_guard_the_api_under_sigv4(kbridge_factory, new_stream, tmp_path):
    """With auth.mode "sigv4", /api takes the principals' bearer tokens and their policies: the
    ingest route is a PutRecords on its stream, the data routes a GetRecords on the table
    mapping's stream. No token or an unknown one is 401; a policy that denies is 403 with IAM's
    wording; neither writes anything. Preflights need no token."""
    stream = new_stream(shards=1, prefix="api-bearer")
    name = unique_name("table")
    db = tmp_path / "tables" / "bearer.db"
    principals = [
        {"access_key_id": "AKIDWRITER", "secret_env": "KB_T_SECRET", "name": "writer",
         "actions": ["kinesis:PutRecord*"], "streams": [stream], "api_token_env": "KB_T_WRITER"},
        {"access_key_id": "AKIDREADER", "secret_env": "KB_T_SECRET", "name": "reader",
         "actions": ["kinesis:Get*"], "streams": ["*"], "api_token_env": "KB_T_READER"},
    ]
    instance = kbridge_factory.start(
        config={"mappings": [mapping(name, stream, table_handler(db),
                                     max_batching_window_ms=100)],
                "auth": {"mode": "sigv4", "principals": principals},
                **api_config(stream, name)},
        env={"KB_T_SECRET": "s3cret", "KB_T_WRITER": "writer-token-1",
             "KB_T_READER": "reader-token-1"},
        name="api-bearer")
    try:
        writer = {"Authorization": "Bearer writer-token-1"}
        reader = {"Authorization": "Bearer reader-token-1"}
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic eDp5"}):
            status, heads, body = request(instance, "POST", "/api/ingest/stream",
                                          {"id": "denied-1"}, headers)
            assert (status, body) == (401, {"message": "Unauthorized"}), headers
            assert heads.get("www-authenticate") == "Bearer"
            assert_cors(heads)
        status, _, body = request(instance, "POST", "/api/ingest/stream", {"id": "denied-2"},
                                  reader)
        assert status == 403 and "kinesis:PutRecords" in body["message"], body
        assert body["message"].startswith("User: arn:aws:iam::000000000000:user/reader is not "
                                          "authorized to perform: kinesis:PutRecords"), body

        status, _, answer = request(instance, "POST", "/api/ingest/stream",
                                    {"id": "bearer-1", "userId": "u"}, writer)
        assert status == 200 and answer["count"] == 1, answer
        item = wait_for(lambda: (r := request(instance, "GET", "/api/data/bearer-1",
                                              headers=reader))[0] == 200 and r[2],
                        timeout=30, interval=0.2, what="item bearer-1")
        assert item["data"] == {"id": "bearer-1", "userId": "u"}
        status, _, body = request(instance, "GET", "/api/data/bearer-1", headers=writer)
        assert status == 403 and "kinesis:GetRecords" in body["message"], body
        assert request(instance, "GET", "/api/data")[0] == 401
        status, heads, _ = request(instance, "OPTIONS", "/api/data/bearer-1",
                                   headers={"Origin": "https://app.example",
                                            "Access-Control-Request-Method": "GET"})
        assert status == 204
        # Only the writer's one record reached the stream.
        status, _, page = request(instance, "GET", "/api/data", headers=reader)
        assert status == 200 and [i["id"] for i in page["items"]] == ["bearer-1"], page
    finally:
        instance.stop(check=True)
