"""config/schema.json (DESIGN.md §9) against the code that reads the config, so neither drifts:

- the schema is a valid JSON Schema (draft 7), and every shipped config conforms to it;
- the key names it knows are exactly those the readers ask for (bridge/config/config.cc and the
  handlers' settings parsers, read from the sources);
- a config using every section, every handler type and both source types is accepted by both;
  an unknown key added to any of its objects is refused by both, and so is a value out of range
  at a few places where the schema states the code's bounds.

`kbridge config check` stays the authority for what a schema cannot say (names used twice, a
mapping's stream, prefix expressions, environment variables).
"""
import copy
import json
import pathlib
import re
import subprocess

import jsonschema
import pytest

from kbridge_harness import require_env

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "config" / "schema.json").read_text())
SHIPPED = sorted([ROOT / "config" / "local.json", *(ROOT / "config" / "examples").glob("*.json"),
                  *(ROOT / "compose" / "kbridge").glob("*.json")])
READERS = [ROOT / "bridge" / "config" / "config.cc", *sorted((ROOT / "handlers").rglob("*.cc"))]
# ObjectReader calls and the helpers that read a key by name.
KEY_READ = re.compile(r'(?:\.(?:string|integer|boolean|endpoint|stringMap|object|raw)'
                      r'|\b(?:stringList|only))\(\s*(?:[a-z]+,\s*)?"([a-z_]+)"')

FULL = {
    "kinesis": {"listen": "127.0.0.1:0", "region": "eu-west-1", "account_id": "123456789012",
                "threads": 2, "max_body_bytes": 1048576, "max_connections": 100,
                "idle_timeout_s": 30, "header_timeout_s": 5, "body_timeout_s": 10,
                "min_body_bytes_per_s": 1024, "max_pipelined": 2, "max_header_bytes": 8192},
    "admin": {"listen": "127.0.0.1:0", "enabled": True, "max_connections": 10},
    "kafka": {"bootstrap_servers": "127.0.0.1:9092", "topic_prefix": "kinesis.",
              "catalog_topic": "__kbridge_catalog_test", "replication_factor": 1,
              "request_timeout_ms": 5000, "rdkafka": {"socket.keepalive.enable": "true"}},
    "streams": {"shard_limit": 100, "on_demand_shard_count": 2, "on_demand_stream_limit": 5,
                "default_retention_hours": 48,
                "create": [{"name": "orders", "shards": 2, "retention_hours": 72}],
                "adopt": [{"topic": "legacy.orders", "name": "legacy", "partitioner": "kafka"}]},
    "limits": {"enabled": True, "write_bytes_per_second": 1000, "write_records_per_second": 10,
               "read_bytes_per_second": 2000, "read_calls_per_second": 5,
               "dry_runs_per_second": 1},
    "log": {"level": "debug", "json": True},
    "lag": {"interval_s": 10, "window": 5, "groups": ["legacy-*"]},
    "auth": {"mode": "sigv4", "region": "eu-west-1", "principals": [
        {"access_key_id": "AKIDTEST", "name": "tester", "secret_env": "KB_SCHEMA_SECRET",
         "actions": ["kinesis:Put*", "*"], "streams": ["orders", "legacy*"],
         "api_token_env": "KB_SCHEMA_TOKEN"}]},
    "mappings": [
        {"name": "archive", "stream": "orders", "starting_position": "TRIM_HORIZON",
         "handler": {"type": "archive", "destination": {"path": "archive"},
                     "prefix": "data/!{partitionKeyFromQuery:customer}/",
                     "error_output_prefix": "errors/!{firehose:error-output-type}/",
                     "buffering": {"size_mib": 1, "interval_s": 60}, "compression": "GZIP",
                     "compression_level": 6, "record_delimiter": "newline",
                     "file_extension": ".json.gz", "partition_keys": {"customer": ".customer"},
                     "max_open_objects": 10, "max_open_objects_total": 100},
         "consumer_group": "archive-group", "batch_size": 500, "max_batching_window_ms": 1000,
         "parallelization_factor": 2, "bisect_on_error": True, "max_retry_attempts": 3,
         "max_record_age_s": 3600, "report_batch_item_failures": True, "enabled": True,
         "on_failure": {"topic": "orders-dlq", "include_records": True},
         "filter": [{"data": {"kind": ["order"]}}],
         "retry_backoff": {"initial_ms": 10, "max_ms": 1000}},
        {"name": "log", "stream": "orders", "starting_position": "AT_TIMESTAMP",
         "starting_position_timestamp": "2026-11-22T10:00:00Z",
         "handler": {"type": "log", "output": "stderr", "format": "json", "max_data_bytes": 64},
         "on_failure": {"stream": "legacy"}, "filter": {"data": {"kind": ["x"]}}},
        {"name": "metrics", "stream": "orders", "starting_position": "LATEST",
         "handler": {"type": "metrics", "environment": "test", "source_field": "source",
                     "max_sources": 10, "emf": {"namespace": "Kb", "output": "stdout"}}},
        {"name": "null", "stream": "orders", "starting_position": "LATEST",
         "handler": {"type": "null"}},
        {"name": "table", "stream": "orders", "starting_position": "LATEST",
         "handler": {"type": "table", "path": "table.db", "id_field": "id",
                     "ttl_attribute": "expires", "ttl_s": 60, "sweep_interval_s": 10}},
        {"name": "webhook", "stream": "orders", "starting_position": "LATEST",
         "handler": {"type": "webhook", "url": "http://127.0.0.1:9/hook", "timeout_ms": 500,
                     "headers": {"X-Test": "1"}}},
    ],
    "sources": [
        {"name": "poll", "type": "http_poll", "stream": "orders", "interval_s": 60,
         "enabled": False, "partition_key": "{{.id}}", "url": "http://127.0.0.1:9/feed",
         "connect_timeout_ms": 100, "timeout_ms": 1000, "max_response_bytes": 1024,
         "user_agent": "kbridge-test", "headers": {"Accept": "application/json"}},
        {"name": "gen", "type": "generator", "stream": "orders", "interval_s": 0,
         "template": {"id": "{{uuid}}"}},
    ],
    "api": {"ingest": {"stream": "orders", "partition_key_field": "id"},
            "data": {"mapping": "table", "default_limit": 10, "max_limit": 100},
            "cors": {"allow_origin": "*", "allow_methods": "GET", "allow_headers": "Content-Type",
                     "max_age_s": 60}},
}
ENV = {"KB_SCHEMA_SECRET": "secret", "KB_SCHEMA_TOKEN": "token"}


def schema_errors(cfg):
    return [e.message for e in jsonschema.Draft7Validator(SCHEMA).iter_errors(cfg)]


def code_check(cfg, tmp_path):
    path = tmp_path / "kbridge.json"
    path.write_text(json.dumps(cfg))
    done = subprocess.run([require_env("KBRIDGE_BIN"), "config", "check", str(path)],
                          capture_output=True, text=True, timeout=30, cwd=tmp_path,
                          env={"PATH": "/usr/bin:/bin", **ENV})
    return done.returncode, done.stderr


def schema_keys(node):
    keys = set()
    if isinstance(node, dict):
        for name, sub in node.get("properties", {}).items():
            keys.add(name)
        for value in node.values():
            keys |= schema_keys(value)
    elif isinstance(node, list):
        for value in node:
            keys |= schema_keys(value)
    return keys


def objects(node, path=()):
    """(path, dict) of every object in a config, its root first."""
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from objects(value, path + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from objects(value, path + (i,))


def test_the_schema_is_a_draft_7_schema():
    jsonschema.Draft7Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_shipped_config_conforms(path):
    assert schema_errors(json.loads(path.read_text())) == []


def test_the_schema_names_exactly_the_keys_the_code_reads():
    read = set()
    for source in READERS:
        if source.name.endswith("_test.cc"):
            continue
        read |= set(KEY_READ.findall(source.read_text()))
    read.add("type")  # the handler's type, read with handler->find("type")
    read.add("$schema")  # root.raw("$schema"): editors' pointer to the schema
    known = schema_keys(SCHEMA)
    # Names in the schema that are no key (a filter pattern's content, a template's) do not occur.
    assert sorted(read - known) == [], "keys the code reads that the schema lacks"
    assert sorted(known - read) == [], "keys in the schema that no code reads"


def test_a_config_with_every_section_is_accepted_by_both(tmp_path):
    assert schema_errors(FULL) == []
    assert code_check(FULL, tmp_path) == (0, "")
    pointed = {"$schema": "../config/schema.json", **FULL}  # an editor's pointer is ignored
    assert schema_errors(pointed) == []
    assert code_check(pointed, tmp_path) == (0, "")
    pointed["$schema"] = 1
    assert schema_errors(pointed)
    code, err = code_check(pointed, tmp_path)
    assert code == 2 and "$.$schema: must be a string" in err, err


def test_an_unknown_key_anywhere_is_refused_by_both(tmp_path):
    checked = 0
    for path, _ in list(objects(FULL)):
        # Values that are free-form objects: rdkafka properties, headers, partition keys,
        # filter patterns, templates.
        if path[-1:] in {("rdkafka",), ("headers",), ("partition_keys",), ("template",)} or \
                "filter" in path:
            continue
        cfg = copy.deepcopy(FULL)
        target = cfg
        for step in path:
            target = target[step]
        target["zz_unknown"] = 1
        assert schema_errors(cfg), f"the schema accepts an unknown key at {path}"
        code, err = code_check(cfg, tmp_path)
        assert code == 2 and "zz_unknown: unknown key" in err, (path, code, err)
        checked += 1
    assert checked >= 25, checked


@pytest.mark.parametrize("path,value", [
    (("kinesis", "threads"), 257),
    (("kinesis", "account_id"), "12345"),
    (("streams", "default_retention_hours"), 23),
    (("limits", "dry_runs_per_second"), 0),
    (("log", "level"), "verbose"),
    (("mappings", 0, "batch_size"), 10001),
    (("mappings", 0, "max_record_age_s"), 0),
    (("mappings", 0, "handler", "compression"), "zstd"),
    (("mappings", 1, "handler", "format"), "xml"),
    (("sources", 0, "type"), "ftp_poll"),
    (("api", "data", "max_limit"), 10001),
])
def test_a_value_out_of_bounds_is_refused_by_both(tmp_path, path, value):
    cfg = copy.deepcopy(FULL)
    target = cfg
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    assert schema_errors(cfg), path
    code, err = code_check(cfg, tmp_path)
    assert code == 2, (path, code, err)
