"""Helpers of the example pipeline tests (tests/integration/test_example_*.py).

Each test loads a shipped config of config/examples/ and changes only what a test must
(example_copy): the bootstrap servers (the test broker), the listen addresses (port 0), the stream
names (a unique suffix, so that runs on the shared broker never meet each other's records), file
paths (into the test's tmp dir), and the intervals and batching windows it names (scaled down).
assert_only_test_changes() checks that nothing else differs from the shipped file.
"""
from __future__ import annotations

import copy
import gzip
import json
import pathlib
import re
import uuid
from typing import Any, Callable

from kbridge_harness import KbridgeProcess, require_env

# JSON paths (with [*] for any index) a test copy may change; see example_copy().
TEST_CHANGES = [
    r"\$\.kafka\.bootstrap_servers",
    r"\$\.kinesis\.listen",
    r"\$\.admin\.listen",
    r"\$\.streams\.create\[\*\]\.name",
    r"\$\.api\.ingest\.stream",
    r"\$\.mappings\[\*\]\.stream",
    r"\$\.mappings\[\*\]\.on_failure\.stream",
    r"\$\.sources\[\*\]\.stream",
    r"\$\.mappings\[\*\]\.handler\.path",
    r"\$\.mappings\[\*\]\.handler\.destination\.path",
    r"\$\.mappings\[\*\]\.handler\.emf\.output",
    r"\$\.mappings\[\*\]\.handler\.output",
    r"\$\.mappings\[\*\]\.handler\.buffering\.interval_s",
    r"\$\.mappings\[\*\]\.max_batching_window_ms",
    r"\$\.sources\[\*\]\.interval_s",
    r"\$\.sources\[\*\]\.url",
]


def examples_dir() -> pathlib.Path:
    return pathlib.Path(require_env("KBRIDGE_SOURCE_DIR")) / "config" / "examples"


def load_example(name: str) -> dict[str, Any]:
    return json.loads((examples_dir() / f"{name}.json").read_text())


def example_copy(shipped: dict[str, Any], bootstrap: str, tmp: pathlib.Path,
              scale: Callable[[str, Any], Any] | None = None) -> tuple[dict[str, Any], dict]:
    """The shipped config as a test runs it, and {shipped stream name: test stream name}.

    `scale(path, value)` may return a new value for the intervals and windows of TEST_CHANGES
    (called with "mappings[i].max_batching_window_ms", "mappings[i].handler.buffering.interval_s",
    "sources[i].interval_s", "sources[i].url"); returning the value unchanged keeps it."""
    cfg = copy.deepcopy(shipped)
    suffix = uuid.uuid4().hex[:8]
    renamed = {s["name"]: f"{s['name']}-{suffix}" for s in cfg["streams"]["create"]}
    cfg["kafka"]["bootstrap_servers"] = bootstrap
    cfg["kinesis"]["listen"] = "127.0.0.1:0"
    cfg["admin"]["listen"] = "127.0.0.1:0"
    for s in cfg["streams"]["create"]:
        s["name"] = renamed[s["name"]]
    ingest = cfg.get("api", {}).get("ingest")
    if ingest:
        ingest["stream"] = renamed.get(ingest["stream"], ingest["stream"])
    scale = scale or (lambda _path, value: value)
    files = tmp / "files"
    for i, m in enumerate(cfg.get("mappings", [])):
        m["stream"] = renamed.get(m["stream"], m["stream"])
        if "on_failure" in m and "stream" in m["on_failure"]:
            m["on_failure"]["stream"] = renamed.get(m["on_failure"]["stream"],
                                                    m["on_failure"]["stream"])
        h = m["handler"]
        if h["type"] == "table":
            h["path"] = str(files / h["path"])
        if h["type"] == "archive":
            h["destination"]["path"] = str(files / h["destination"]["path"])
            if "buffering" in h and "interval_s" in h["buffering"]:
                h["buffering"]["interval_s"] = scale(f"mappings[{i}].handler.buffering.interval_s",
                                                     h["buffering"]["interval_s"])
        if h["type"] == "metrics" and "emf" in h and h["emf"].get("output", "stdout") != "stdout":
            h["emf"]["output"] = str(files / h["emf"]["output"])
        if h["type"] == "log" and h.get("output", "stdout") not in ("stdout", "stderr"):
            h["output"] = str(files / h["output"])
        if "max_batching_window_ms" in m:
            m["max_batching_window_ms"] = scale(f"mappings[{i}].max_batching_window_ms",
                                                m["max_batching_window_ms"])
    for i, s in enumerate(cfg.get("sources", [])):
        s["stream"] = renamed.get(s["stream"], s["stream"])
        s["interval_s"] = scale(f"sources[{i}].interval_s", s["interval_s"])
        if "url" in s:
            s["url"] = scale(f"sources[{i}].url", s["url"])
    files.mkdir(parents=True, exist_ok=True)
    assert_only_test_changes(shipped, cfg)
    return cfg, renamed


def changed_paths(a: Any, b: Any, path: str = "$") -> list[str]:
    """JSON paths where `a` and `b` differ (keys added or removed included)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                out.append(f"{path}.{key}")
            else:
                out += changed_paths(a[key], b[key], f"{path}.{key}")
        return out
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [path]
        out = []
        for i, (x, y) in enumerate(zip(a, b)):
            out += changed_paths(x, y, f"{path}[{i}]")
        return out
    return [] if a == b else [path]


def assert_only_test_changes(shipped: dict[str, Any], copy_: dict[str, Any]) -> None:
    allowed = [re.compile("^" + p.replace(r"\[\*\]", r"\[\d+\]") + "$") for p in TEST_CHANGES]
    for path in changed_paths(shipped, copy_):
        assert any(p.match(path) for p in allowed), f"the test changed {path} of the shipped config"


def start(factory, cfg: dict[str, Any], name: str) -> KbridgeProcess:
    """Starts `kbridge serve` with exactly `cfg` (not merged into the harness's base config);
    the factory stops it by PID at the end of the module."""
    instance = KbridgeProcess(factory.workdir, name, cfg)
    factory.instances.append(instance)
    return instance.start()


def archived_objects(root: pathlib.Path) -> list[pathlib.Path]:
    """The published objects under an archive directory (its .kbridge state and temp files left
    out), sorted."""
    return sorted(p for p in root.rglob("*.gz")
                  if ".kbridge" not in p.relative_to(root).parts and p.is_file())


def archived_records(root: pathlib.Path) -> list[tuple[pathlib.Path, Any]]:
    """(object, JSON record) of every line of every gzip object under `root`."""
    out = []
    for obj in archived_objects(root):
        with gzip.open(obj, "rt", encoding="utf-8") as f:
            out += [(obj, json.loads(line)) for line in f.read().splitlines() if line]
    return out
