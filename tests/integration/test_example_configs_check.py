"""`kbridge config check` over the shipped configs (issue 7's acceptance 2).

- every shipped config — config/local.json, config/examples/*.json, compose/kbridge/*.json — is
  accepted (exit 0, "<file>: ok"), from any working directory and without creating files;
- broken variants of them are rejected with exit 2 and EVERY error, each with its JSON path, and
  nothing else: wrong types, an unknown handler, a bad stream name (and shard count) in
  streams.create, a mapping without its stream, a bad Firehose prefix expression, an api.data
  mapping that names no mapping.
"""
import copy
import json
import pathlib
import subprocess

import pytest

from kbridge_harness import require_env

ROOT = pathlib.Path(__file__).resolve().parents[2]
SHIPPED = sorted([ROOT / "config" / "local.json", *(ROOT / "config" / "examples").glob("*.json"),
                  *(ROOT / "compose" / "kbridge").glob("*.json")])


def check(path, cwd):
    done = subprocess.run([require_env("KBRIDGE_BIN"), "config", "check", str(path)],
                          capture_output=True, text=True, timeout=30, cwd=cwd)
    return done.returncode, done.stdout, done.stderr.splitlines()


def broken(tmp_path, name, change):
    cfg = json.loads((ROOT / "config" / "examples" / f"{name}.json").read_text())
    change(cfg)
    path = tmp_path / f"broken-{name}.json"
    path.write_text(json.dumps(cfg, indent=2))
    return path


def test_every_example_is_shipped():
    names = {p.stem for p in (ROOT / "config" / "examples").glob("*.json")}
    assert names == {"data-pipeline", "url-ingestion", "retail-events", "producer-consumer"}
    readme = (ROOT / "config" / "examples" / "README.md").read_text()
    main_readme = (ROOT / "README.md").read_text()
    for name in names:
        assert f"`{name}.json`" in readme, name
        assert f"`{name}.json`" in main_readme, name


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_shipped_config_is_accepted(path, tmp_path):
    code, out, err = check(path, tmp_path)
    assert (code, err) == (0, []), (code, out, err)
    assert out.strip() == f"{path}: ok"
    assert list(tmp_path.iterdir()) == []  # checking creates no table, archive or log file


def test_every_error_of_a_broken_data_pipeline_with_its_path(tmp_path):
    def change(cfg):
        cfg["kinesis"]["threads"] = "four"
        cfg["admin"]["enabled"] = "yes"
        cfg["streams"]["create"][0]["name"] = "data stream!"
        cfg["streams"]["create"][0]["shards"] = 0
        cfg["mappings"][0]["batch_size"] = "100"
        cfg["mappings"][1]["handler"]["type"] = "carrier-pigeon"
        cfg["mappings"][2]["handler"]["prefix"] = "year=!{timestamp:yyyy/"
        no_stream = copy.deepcopy(cfg["mappings"][0])
        no_stream["name"] = "no-stream"
        no_stream["batch_size"] = 100
        del no_stream["stream"]
        cfg["mappings"].append(no_stream)
        cfg["api"]["data"]["mapping"] = "nope"
    code, out, err = check(broken(tmp_path, "data-pipeline", change), tmp_path)
    assert code == 2 and out == "", (code, out)
    assert sorted(err) == sorted([
        "$.kinesis.threads: must be an integer",
        "$.admin.enabled: must be true or false",
        "$.streams.create[0].name: may contain only ASCII letters, digits, '.', '_' and '-'",
        "$.streams.create[0].shards: must be between 1 and 500",
        "$.mappings[0].batch_size: must be an integer",
        '$.mappings[1].handler.type: unknown handler type "carrier-pigeon" '
        "(known: archive, log, metrics, null, table, webhook)",
        '$.mappings[2].handler.prefix: unterminated expression at character 5 ("!{" without "}")',
        "$.mappings[3].stream: is required",
        "$.api.data.mapping: names no mapping of $.mappings",
    ]), err


def _drop_stream(cfg):
    del cfg["mappings"][0]["stream"]


def _bad_stream_declarations(cfg):
    cfg["streams"]["create"] = [
        {"name": "", "shards": 1},
        {"name": "x" * 129, "shards": 1, "retention_hours": 23},
        {"name": "retail-events", "shards": "1", "retention": 24},
        {"name": "retail-events", "shards": 1},
    ]


@pytest.mark.parametrize("name, change, expected", [
    ("url-ingestion", lambda c: c["sources"][0].update(interval_s="300", url="ftp://x"), [
        "$.sources[0].interval_s: must be an integer",
        "$.sources[0].url: must be an http:// or https:// URL",
    ]),
    ("url-ingestion", lambda c: c["mappings"][0]["handler"].update(
        prefix="y=!{timestamp:yyyy}/!{nope:x}/", compression="zip"), [
        "$.mappings[0].handler.compression: must be \"none\" or \"gzip\"",
        "$.mappings[0].handler.prefix: unknown expression namespace \"nope\" "
        "(known: timestamp, partitionKeyFromQuery, firehose)",
    ]),
    ("retail-events", _bad_stream_declarations, [
        "$.streams.create[0].name: must be 1 to 128 characters",
        "$.streams.create[1].name: must be 1 to 128 characters",
        "$.streams.create[1].retention_hours: must be between 24 and 8760",
        "$.streams.create[2].shards: must be an integer",
        "$.streams.create[2].retention: unknown key",
        '$.streams.create[3].name: "retail-events" is declared twice',
    ]),
    ("retail-events", _drop_stream, ["$.mappings[0].stream: is required"]),
    ("producer-consumer", lambda c: c["mappings"][0]["handler"].update(type="printer"), [
        '$.mappings[0].handler.type: unknown handler type "printer" '
        "(known: archive, log, metrics, null, table, webhook)",
    ]),
    ("producer-consumer", lambda c: c.update(streams={"create": {"name": "MyStream"}}), [
        '$.streams.create: must be an array of {"name", "shards", "retention_hours"} objects',
    ]),
], ids=["source-types", "archive-prefix", "stream-declarations", "mapping-without-stream",
        "unknown-handler", "create-not-an-array"])
def test_broken_variants_list_every_error(tmp_path, name, change, expected):
    code, out, err = check(broken(tmp_path, name, change), tmp_path)
    assert code == 2 and out == "", (code, out, err)
    assert sorted(err) == sorted(expected), err
