"""config/examples/url-ingestion.json (seed 002) end to end.

The shipped file, with only a test's changes (test broker, port 0, unique stream name, the archive
in a tmp dir with its 300 s buffer scaled down to 1 s, the poller's URL pointing at a local
http.server): the declared 2-shard stream is created, the http_poll source fetches the JSON array
at start and when triggered through POST /api/sources/{name}/run, and the archive mapping writes
every element as the seed's `{timestamp, sourceUrl, data}` record into gzip objects under the
Firehose prefix.
"""
import datetime
import http.server
import json
import pathlib
import re
import threading
import urllib.request

from example_checks import archived_objects, archived_records, example_copy, load_example, start
from kbridge_harness import kafka_topic, wait_for

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
ARRAY = [{"id": 1, "title": "first", "tags": ["a", "b"]},
         {"id": 2, "title": "second", "nested": {"x": 1.5}},
         {"id": 3, "title": "third"}]


class JsonServer:
    """http.server on 127.0.0.1:0 answering GET /data.json with a JSON array."""

    def __init__(self, body):
        self.hits = 0
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's naming)
                server.hits += 1
                data = json.dumps(body).encode()
                self.send_response(200 if self.path == "/data.json" else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/data.json"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_url_ingestion(kbridge_factory, kafka_bootstrap, tmp_path):
    server = JsonServer(ARRAY)
    try:
        shipped = load_example("url-ingestion")

        def scaled(path, value):
            if path.endswith("buffering.interval_s"):
                return 1
            if path.endswith(".url"):
                return server.url
            return value  # the poller's 300 s: it runs at start, and when triggered
        cfg, renamed = example_copy(shipped, kafka_bootstrap, tmp_path, scaled)
        (stream,) = renamed.values()
        (source,) = cfg["sources"]
        (archive,) = cfg["mappings"]
        assert source["type"] == "http_poll" and archive["handler"]["type"] == "archive"

        instance = start(kbridge_factory, cfg, "url-ingestion")
        topic = kafka_topic(kafka_bootstrap, stream)
        assert topic and topic["partitions"] == 2, topic

        lake = pathlib.Path(archive["handler"]["destination"]["path"])
        first = wait_for(lambda: len(r := archived_records(lake)) >= len(ARRAY) and r,
                         timeout=45, what="the first poll's records in the archive")
        assert server.hits >= 1
        # Triggered as the seed's API triggers its function: a second copy of the array.
        request = urllib.request.Request(f"{instance.endpoint}/api/sources/{source['name']}/run",
                                         data=b"", method="POST")
        with urllib.request.urlopen(request, timeout=30) as response:
            run = json.loads(response.read())
        assert run["outcome"] == "ok" and run["recordsPut"] == len(ARRAY), run
        got = wait_for(lambda: len(r := archived_records(lake)) >= 2 * len(ARRAY) and r,
                       timeout=45, what="the triggered poll's records in the archive")
        assert len(got) == 2 * len(ARRAY), got
        assert len(first) == len(ARRAY)

        records = [rec for _, rec in got]
        for rec in records:
            assert set(rec) == {"timestamp", "sourceUrl", "data"}, rec
            assert rec["sourceUrl"] == server.url
            assert ISO.match(rec["timestamp"]), rec
        assert sorted((r["data"] for r in records), key=lambda d: d["id"]) == sorted(
            ARRAY * 2, key=lambda d: d["id"])

        today = datetime.datetime.now(datetime.timezone.utc)
        for obj in archived_objects(lake):
            rel = obj.relative_to(lake).as_posix()
            assert rel.startswith(f"year={today:%Y}/month={today:%m}/day="), rel
            assert obj.name.startswith(f"{stream}-shardId-00000000000"), rel
        instance.stop()
    finally:
        server.close()
