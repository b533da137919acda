"""Test harness for kbridge's integration and compat suites (pytest).

Imported by tests/integration/conftest.py and tests/compat/conftest.py. It starts real kbridge
processes against the Kafka broker of the ctest fixture `kafka` (tests/support/CMakeLists.txt) and
offers small helpers to talk to them and to look at Kafka's own view of the data.

Environment (set by ctest, see tests/support/CMakeLists.txt):
  KBRIDGE_BIN             the kbridge executable
  KBRIDGE_BOOTSTRAP_FILE  file holding the broker's "host:port" (written by kafka_broker.sh start);
                          KBRIDGE_TEST_BOOTSTRAP, when set, names a broker directly instead
  KBRIDGE_SOURCE_DIR      the repository root

Lifecycle: every KbridgeProcess is stopped by its PID (SIGTERM, then SIGKILL after a grace period)
when its fixture ends; a test that fails gets the tail of every instance's log in its report, and
the fixture directory gets a `failed` marker so kafka_broker.sh stop keeps the broker's data.
"""

from __future__ import annotations

import datetime
import http.client
import json
import os
import pathlib
import re
import signal
import subprocess
import threading
import time
import urllib.parse
import uuid
from typing import Any, Callable

import pytest

READY_PREFIX = "kbridge ready"
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 15.0
LOG_CAP_BYTES = 64 * 1024 * 1024  # per kbridge instance
TAIL_BYTES = 256 * 1024  # how much of a log's end failure reports look at
TARGET_PREFIX = "Kinesis_20131202."
JSON_CONTENT_TYPE = "application/x-amz-json-1.1"
CBOR_CONTENT_TYPE = "application/x-amz-cbor-1.1"
REGION = "us-east-1"
ACCOUNT_ID = "000000000000"

# Dummy credentials: kbridge accepts any; real clients insist on having some.
DUMMY_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "test",
    "AWS_SECRET_ACCESS_KEY": "test",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
}


def aws_cli(home: pathlib.Path, max_attempts: int = 1,
            credentials: bool = True) -> tuple[str, dict[str, str]]:
    """The AWS CLI v2 to run (KBRIDGE_AWS_CLI, default /usr/bin/aws) and its environment, in which
    nothing of the user's changes what it sends: no AWS_* variable or CA bundle of the caller's,
    config and credentials files under `home` (which need not exist), no pager, `max_attempts`
    attempts, and the dummy credentials unless `credentials` is False. Checks that it is v2."""
    cli = os.environ.get("KBRIDGE_AWS_CLI", "/usr/bin/aws")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AWS_") and k not in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE")}
    if credentials:
        env.update(DUMMY_CREDENTIALS)
    env.update({"AWS_CONFIG_FILE": str(home / "config"),
                "AWS_SHARED_CREDENTIALS_FILE": str(home / "credentials"),
                "AWS_PAGER": "", "AWS_MAX_ATTEMPTS": str(max_attempts), "HOME": str(home)})
    version = subprocess.run([cli, "--version"], env=env, capture_output=True, text=True)
    assert version.returncode == 0 and version.stdout.startswith("aws-cli/2."), version
    return cli, env


def require_env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set; run the tests through ctest (scripts/test)", pytrace=False)
    return value


def bootstrap_servers() -> str:
    """The test broker's bootstrap address."""
    direct = os.environ.get("KBRIDGE_TEST_BOOTSTRAP")
    if direct:
        return direct
    path = pathlib.Path(require_env("KBRIDGE_BOOTSTRAP_FILE"))
    if not path.is_file():
        pytest.fail(f"{path} does not exist: the kafka fixture did not start", pytrace=False)
    return path.read_text().strip()


def unique_name(prefix: str = "kb") -> str:
    """A stream name no other test (also in parallel runs) uses: prefix + random suffix."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def base_config(bootstrap: str) -> dict[str, Any]:
    return {
        "kinesis": {"listen": "127.0.0.1:0", "region": REGION, "account_id": ACCOUNT_ID},
        "admin": {"listen": "127.0.0.1:0"},
        "kafka": {
            "bootstrap_servers": bootstrap,
            "topic_prefix": "",
            "catalog_topic": "__kbridge_catalog",
        },
        "log": {"level": "info"},
    }


def _merge(into: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value
    return into


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("State:"):
                    return "Z" not in line.split()[1]
    except FileNotFoundError:
        return False
    return True


class KbridgeProcess:
    """One `kbridge serve` child process with its own config file and log file.

    Not thread-safe; owned by the fixture that created it. The process's stdout and stderr go
    through one reader thread that copies them into `log_path` and watches for the ready line.
    """

    def __init__(self, workdir: pathlib.Path, name: str, config: dict[str, Any],
                 env: dict[str, str] | None = None):
        self.name = name
        self.workdir = workdir
        self.config_path = workdir / f"{name}.json"
        self.log_path = workdir / f"{name}.log"
        self.config = config
        self.extra_env = env or {}
        self.proc: subprocess.Popen[bytes] | None = None
        self.endpoint = ""
        self.admin_endpoint = ""
        self.returncode: int | None = None
        self._ready = threading.Event()
        self._reader: threading.Thread | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    @property
    def port(self) -> int:
        return urllib.parse.urlsplit(self.endpoint).port or 0

    def start(self, timeout: float = START_TIMEOUT_S) -> "KbridgeProcess":
        binary = require_env("KBRIDGE_BIN")
        self.config_path.write_text(json.dumps(self.config, indent=2))
        env = dict(os.environ)
        env.pop("KBRIDGE_BOOTSTRAP", None)  # the config file is the one source of truth here
        env.update(self.extra_env)
        self.proc = subprocess.Popen(
            [binary, "serve", "--config", str(self.config_path)],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            env=env, cwd=self.workdir)
        self._reader = threading.Thread(target=self._read_output, name=f"{self.name}-log",
                                        daemon=True)
        self._reader.start()
        deadline = time.monotonic() + timeout
        while not self._ready.wait(0.05):
            if self.proc.poll() is not None:
                self._reader.join(2)
                pytest.fail(f"{self.name} exited with {self.proc.returncode} before it was ready\n"
                            f"{self.log_tail()}", pytrace=False)
            if time.monotonic() > deadline:
                self.stop(check=False)
                pytest.fail(f"{self.name} not ready after {timeout}s\n{self.log_tail()}",
                            pytrace=False)
        return self

    def _read_output(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        written, dropped = 0, 0
        with open(self.log_path, "ab", buffering=0) as log:
            for raw in self.proc.stdout:
                # A runaway log must not fill the disk: past the cap, lines are only counted.
                if written < LOG_CAP_BYTES:
                    log.write(raw)
                    written += len(raw)
                else:
                    dropped += 1
                line = raw.decode("utf-8", "replace").strip()
                if not self._ready.is_set() and line.startswith(READY_PREFIX):
                    fields = dict(part.split("=", 1) for part in line.split()[2:] if "=" in part)
                    self.endpoint = fields.get("kinesis", "")
                    self.admin_endpoint = fields.get("admin", "")
                    self._ready.set()
            if dropped:
                log.write(f"[harness] log capped at {LOG_CAP_BYTES} bytes; {dropped} more lines "
                          f"dropped\n".encode())

    def stop(self, check: bool = True, timeout: float = STOP_TIMEOUT_S) -> int | None:
        """SIGTERM by PID, SIGKILL after `timeout`. With check, a non-zero exit is a failure."""
        if self.proc is None or self.returncode is not None:
            return self.returncode
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                if check:
                    raise AssertionError(
                        f"{self.name} did not stop within {timeout}s of SIGTERM; killed\n"
                        f"{self.log_tail()}")
        if self._reader is not None:
            self._reader.join(5)
        self.returncode = self.proc.returncode
        if check and self.returncode != 0:
            raise AssertionError(
                f"{self.name} exited with {self.returncode} after SIGTERM (expected 0)\n"
                f"{self.log_tail()}")
        return self.returncode

    def log_tail(self, lines: int = 60) -> str:
        """The log's last `lines` lines, runs of repeated messages collapsed into one."""
        try:
            with open(self.log_path, "rb") as log:
                size = log.seek(0, os.SEEK_END)
                log.seek(max(0, size - TAIL_BYTES))
                text = log.read().decode("utf-8", "replace").splitlines()
        except FileNotFoundError:
            return f"(no log at {self.log_path})"
        collapsed: list[str] = []
        previous, repeats = None, 0
        for line in text + [None]:
            message = re.sub(r"^\[[^]]*\]\s*", "", line) if line is not None else None
            if message is not None and message == previous:
                repeats += 1
                continue
            if repeats:
                collapsed.append(f"    (last message repeated {repeats} more times)")
            if line is not None:
                collapsed.append(line)
            previous, repeats = message, 0
        return f"--- end of {self.log_path} ---\n" + "\n".join(collapsed[-lines:])


class KbridgeFactory:
    """Starts any number of kbridge instances on the test broker; stops them all at the end."""

    def __init__(self, workdir: pathlib.Path, bootstrap: str):
        self.workdir = workdir
        self.bootstrap = bootstrap
        self.instances: list[KbridgeProcess] = []

    def start(self, config: dict[str, Any] | None = None, env: dict[str, str] | None = None,
              name: str | None = None) -> KbridgeProcess:
        """Starts one instance; `config` is merged into the default config (nested dicts merge)."""
        cfg = _merge(base_config(self.bootstrap), config or {})
        name = name or f"kbridge{len(self.instances) + 1}"
        instance = KbridgeProcess(self.workdir, name, cfg, env)
        self.instances.append(instance)
        return instance.start()

    def stop_all(self, check: bool = True) -> None:
        errors = []
        for instance in reversed(self.instances):
            try:
                instance.stop(check=check)
            except AssertionError as err:
                errors.append(str(err))
        if errors:
            raise AssertionError("\n".join(errors))

    def log_tails(self) -> str:
        return "\n".join(i.log_tail() for i in self.instances)


# --- pytest fixtures and hooks (conftest.py imports these names) -----------------------------------

@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    return bootstrap_servers()


@pytest.fixture(scope="module")
def kbridge_factory(kafka_bootstrap, tmp_path_factory, request):
    """Starts kbridge instances on demand (module scope: one set per test file)."""
    factory = KbridgeFactory(tmp_path_factory.mktemp("kbridge"), kafka_bootstrap)
    request.node._kbridge_factory = factory  # the Module node; read by the report hook below
    yield factory
    factory.stop_all(check=True)


@pytest.fixture(scope="module")
def kbridge(kbridge_factory) -> KbridgeProcess:
    """One kbridge instance shared by the tests of a module."""
    return kbridge_factory.start()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed and report.when == "call":  # start-up failures already carry the log
        factory = _module_factory(item)
        if factory is not None and factory.instances:
            report.sections.append(("kbridge logs", factory.log_tails()))


def _module_factory(item) -> KbridgeFactory | None:
    node = item.getparent(pytest.Module)
    return getattr(node, "_kbridge_factory", None) if node is not None else None


def pytest_sessionfinish(session, exitstatus):
    """Marks the broker fixture directory as failed so kafka_broker.sh stop keeps its data."""
    if exitstatus not in (0, 5):
        path = os.environ.get("KBRIDGE_BOOTSTRAP_FILE")
        if path and pathlib.Path(path).parent.is_dir():
            (pathlib.Path(path).parent / "failed").touch()


# --- raw HTTP ------------------------------------------------------------------------------------

def _sigv4_headers(url: str, body: bytes, headers: dict[str, str]) -> dict[str, str]:
    """Signs like a real client would (dummy credentials), using botocore's SigV4 signer."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest(method="POST", url=url, data=body, headers=headers)
    SigV4Auth(Credentials("test", "test"), "kinesis", REGION).add_auth(request)
    return dict(request.headers.items())


def raw_call(endpoint: str, target: str, body: bytes | str | dict | None,
             content_type: str = JSON_CONTENT_TYPE, headers: dict[str, str] | None = None,
             sign: bool = True, timeout: float = 30.0) -> tuple[int, dict[str, str], Any]:
    """POSTs one Kinesis request and returns (status, headers with lower-case names, body).

    `target` is the X-Amz-Target value; a bare action name ("CreateStream") gets the
    Kinesis_20131202. prefix. A dict body is encoded as JSON or CBOR to match `content_type`.
    The body comes back decoded when the response's Content-Type is JSON or CBOR, else as bytes.
    """
    if "." not in target:
        target = TARGET_PREFIX + target
    if isinstance(body, dict):
        if "cbor" in content_type:
            import cbor2
            body = cbor2.dumps(body)
        else:
            body = json.dumps(body).encode()
    elif isinstance(body, str):
        body = body.encode()
    elif body is None:
        body = b""
    all_headers = {"Content-Type": content_type, "X-Amz-Target": target}
    url = endpoint.rstrip("/") + "/"
    if sign:
        all_headers = _sigv4_headers(url, body, all_headers)
    all_headers.update(headers or {})
    parts = urllib.parse.urlsplit(endpoint)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.request("POST", "/", body=body, headers=all_headers)
        response = conn.getresponse()
        data = response.read()
        resp_headers = {k.lower(): v for k, v in response.getheaders()}
        status = response.status
    finally:
        conn.close()
    return status, resp_headers, _decode(resp_headers.get("content-type", ""), data)


def _decode(content_type: str, data: bytes) -> Any:
    if not data:
        return None
    try:
        if "cbor" in content_type:
            import cbor2
            return cbor2.loads(data)
        if "json" in content_type:
            return json.loads(data)
    except ValueError:
        pass
    return data


def http_get(url: str, timeout: float = 10.0) -> tuple[int, str]:
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.request("GET", parts.path or "/")
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        conn.close()


# --- Kafka's own view ------------------------------------------------------------------------------

def kafka_admin(bootstrap: str):
    from confluent_kafka.admin import AdminClient
    return AdminClient({"bootstrap.servers": bootstrap, "socket.timeout.ms": 10000})


def kafka_topic(bootstrap: str, name: str, timeout: float = 10.0) -> dict[str, Any] | None:
    """Kafka's view of topic `name`: {"partitions": N, "configs": {key: value}}, or None if absent."""
    from confluent_kafka.admin import ConfigResource, ResourceType

    admin = kafka_admin(bootstrap)
    metadata = admin.list_topics(topic=name, timeout=timeout)
    topic = metadata.topics.get(name)
    if topic is None or topic.error is not None:
        return None
    futures = admin.describe_configs([ConfigResource(ResourceType.TOPIC, name)])
    (future,) = futures.values()
    configs = {key: entry.value for key, entry in future.result(timeout).items()}
    return {"partitions": len(topic.partitions), "configs": configs}


def kafka_topic_exists(bootstrap: str, name: str, timeout: float = 10.0) -> bool:
    metadata = kafka_admin(bootstrap).list_topics(timeout=timeout)
    return name in metadata.topics


def wait_for_topic_config(bootstrap: str, name: str, key: str, value: str,
                          timeout: float = 10.0) -> dict[str, Any]:
    """Waits until Kafka shows topic `name` with config `key` = `value` (brokers apply a config
    change shortly after the controller accepted it); returns kafka_topic()'s view of it."""
    return wait_for(lambda: (topic := kafka_topic(bootstrap, name)) is not None
                    and topic["configs"][key] == value and topic,
                    timeout=timeout, what=f"{key}={value} in Kafka")


# --- waiting ---------------------------------------------------------------------------------------

def wait_for(condition: Callable[[], Any], timeout: float = 30.0, interval: float = 0.2,
             what: str = "condition") -> Any:
    """Polls `condition` until it returns something truthy; fails the test after `timeout`."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        last = condition()
        if last:
            return last
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}; last: {last!r}")
        time.sleep(interval)


def within_last(timestamp: datetime.datetime, seconds: float) -> bool:
    now = datetime.datetime.now(datetime.timezone.utc)
    if timestamp.tzinfo is None:
        timestamp = timestamp.replace(tzinfo=datetime.timezone.utc)
    return now - datetime.timedelta(seconds=seconds) <= timestamp <= now + datetime.timedelta(
        seconds=60)


# Hash-key ranges of CreateStream with n shards, as Kinesis assigns them: 2^128 split uniformly,
# the last shard ending at 2^128 - 1.
def expected_hash_ranges(shard_count: int) -> list[tuple[int, int]]:
    step = 2**128 // shard_count
    ranges = [(i * step, (i + 1) * step - 1) for i in range(shard_count)]
    ranges[-1] = (ranges[-1][0], 2**128 - 1)
    return ranges


def shard_hash_ranges(shards: list[dict[str, Any]]) -> list[tuple[int, int]]:
    """The (start, end) hash-key ranges of Kinesis Shard objects, as integers."""
    return [(int(s["HashKeyRange"]["StartingHashKey"]), int(s["HashKeyRange"]["EndingHashKey"]))
            for s in shards]


def shard_id(index: int) -> str:
    return f"shardId-{index:012d}"


def stream_arn(name: str) -> str:
    return f"arn:aws:kinesis:{REGION}:{ACCOUNT_ID}:stream/{name}"


__all__ = [
    "ACCOUNT_ID", "CBOR_CONTENT_TYPE", "DUMMY_CREDENTIALS", "JSON_CONTENT_TYPE", "REGION",
    "KbridgeFactory", "KbridgeProcess", "base_config", "bootstrap_servers", "expected_hash_ranges",
    "http_get", "kafka_admin", "kafka_topic", "kafka_topic_exists", "raw_call", "require_env",
    "shard_hash_ranges", "shard_id", "stream_arn", "unique_name", "wait_for",
    "wait_for_topic_config", "within_last",
]
