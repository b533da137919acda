"""Issue 9, acceptance 1: the deployment files (compose/, Dockerfile, the systemd unit) are valid,
checked without a container engine.

- compose/docker-compose.yml parses and validates with the Compose client alone: `docker compose
  config` when the Compose v2 plugin is installed, otherwise Debian's standalone `docker-compose
  config` (package docker-compose, installed by scripts/setup), which validates the same file
  against the Compose schema; neither talks to a daemon for `config`. A copy with an unknown key
  must be rejected, so the validator really validates;
- the compose topology: Kafka pinned to scripts/versions.env's version, two kbridge replicas built
  from the Dockerfile with the config mounted read-only, a /healthz health check, Prometheus and
  Grafana wired to the files of this directory;
- `promtool check config`, `promtool check rules`, and `promtool test rules` of alerts_test.yml,
  which must test every alert both firing and staying quiet;
- the Dockerfile: build-stage packages are scripts/setup's, runtime-stage packages provide every
  shared library the kbridge executable needs (dpkg's view), all known to apt; a non-root user;
- the compose kbridge config passes `kbridge config check`; the systemd unit passes
  `systemd-analyze verify` (pointed at the kbridge under test).

The helpers here (YAML loading, metric names of PromQL expressions) are shared with
test_deploy_topology.py.
"""
from __future__ import annotations

import json
import os
import pathlib
import re
import shutil
import subprocess


REPO = pathlib.Path(__file__).resolve().parents[2]
COMPOSE = REPO / "compose"
COMPOSE_FILE = COMPOSE / "docker-compose.yml"
PROMETHEUS_DIR = COMPOSE / "prometheus"
DASHBOARD = COMPOSE / "grafana" / "kbridge.json"
SYSTEMD_UNIT = COMPOSE / "systemd" / "kbridge.service"
# The system interpreter: Debian's python3-yaml (scripts/setup) reads YAML for these tests; the
# test venv has no YAML parser.
SYSTEM_PYTHON = "/usr/bin/python3"


# --- shared helpers -------------------------------------------------------------------------------

def run(cmd: list[str], timeout: float = 60, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kwargs)


def load_yaml(path: pathlib.Path):
    """The YAML file as Python data (merge keys resolved), read by the system's PyYAML."""
    done = run([SYSTEM_PYTHON, "-c",
                "import json, sys, yaml; json.dump(yaml.safe_load(open(sys.argv[1])), sys.stdout)",
                str(path)])
    assert done.returncode == 0, \
        f"cannot read {path} as YAML (python3-yaml missing?):\n{done.stderr}"
    return json.loads(done.stdout)


def promtool() -> str:
    path = shutil.which("promtool")
    assert path, "promtool not found: scripts/setup installs Debian's prometheus package"
    return path


def compose_command() -> tuple[list[str], str]:
    """The Compose client that validates files: (argv prefix, name for messages)."""
    docker = shutil.which("docker")
    if docker and run([docker, "compose", "version"]).returncode == 0:
        return [docker, "compose"], "docker compose (v2 plugin)"
    standalone = shutil.which("docker-compose")
    assert standalone, ("neither `docker compose` nor `docker-compose` is installed: scripts/setup "
                        "installs Debian's docker-compose")
    return [standalone], "docker-compose (Debian's standalone client; the v2 plugin is missing)"


STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
IDENT = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")


def metric_names(expr: str) -> set[str]:
    """The kbridge metric names a PromQL expression selects (quoted strings are dropped first, so
    label values never count; `up` and functions are not kbridge_ names)."""
    return {m.group(0) for m in IDENT.finditer(STRING.sub('""', expr))
            if m.group(0).startswith("kbridge_")}


def family_of(name: str, histograms: set[str]) -> str:
    """The metric family of a sample name: `x_bucket`/`x_sum`/`x_count` belong to histogram `x`
    only when `x` is a histogram; other names are their own family."""
    for suffix in HISTOGRAM_SUFFIXES:
        if name.endswith(suffix) and name[: -len(suffix)] in histograms:
            return name[: -len(suffix)]
    return name


def alert_rules() -> list[dict]:
    return [rule for group in load_yaml(PROMETHEUS_DIR / "alerts.yml")["groups"]
            for rule in group["rules"] if "alert" in rule]


def dashboard_exprs(dashboard: dict | None = None) -> list[tuple[str, str]]:
    """(panel title, PromQL) of every panel target and every query variable of the dashboard."""
    dashboard = dashboard or json.loads(DASHBOARD.read_text())
    out = []

    def panels(items):
        for panel in items:
            yield panel
            yield from panels(panel.get("panels", []))
    for panel in panels(dashboard["panels"]):
        for target in panel.get("targets", []):
            out.append((panel["title"], target["expr"]))
    for var in dashboard.get("templating", {}).get("list", []):
        query = var.get("query")
        query = query.get("query") if isinstance(query, dict) else query
        if var.get("type") == "query" and query:
            inner = re.fullmatch(r"label_values\((.*?)(?:,\s*\w+)?\)", query.strip())
            out.append((f"variable {var['name']}", inner.group(1) if inner else query))
    return out


def grafana_to_promql(expr: str) -> str:
    """A dashboard expression as Prometheus evaluates it with every variable at "All"."""
    return (expr.replace("$__rate_interval", "1m").replace("$__interval", "1m")
            .replace("$stream", ".*").replace("$mapping", ".*"))


def apt_install_lists(dockerfile: str) -> list[list[str]]:
    """The packages of each `apt-get install` in the Dockerfile, in stage order."""
    joined = dockerfile.replace("\\\n", " ")
    lists = []
    for line in joined.splitlines():
        m = re.search(r"apt-get install ([^&;]*)", line)
        if m:
            lists.append([w for w in m.group(1).split() if not w.startswith("-")])
    return lists


def setup_apt_packages() -> set[str]:
    text = (REPO / "scripts" / "setup").read_text()
    m = re.search(r"^apt_packages=\((.*?)^\)", text, re.S | re.M)
    assert m, "apt_packages=( ... ) not found in scripts/setup"
    return {w for line in m.group(1).splitlines() for w in line.split("#", 1)[0].split()}


# --- compose --------------------------------------------------------------------------------------

def test_compose_file_validates_without_an_engine(tmp_path):
    cmd, which = compose_command()
    print(f"validating with {which}")
    done = run(cmd + ["-f", str(COMPOSE_FILE), "config", "-q"], cwd=COMPOSE)
    assert done.returncode == 0, done.stdout + done.stderr
    services = run(cmd + ["-f", str(COMPOSE_FILE), "config", "--services"], cwd=COMPOSE)
    assert services.returncode == 0, services.stderr
    assert set(services.stdout.split()) == {"kafka", "kbridge-1", "kbridge-2", "prometheus",
                                            "grafana"}, services.stdout

    # The validator rejects what the Compose schema rejects.
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(COMPOSE_FILE.read_text().replace(
        "    hostname: kbridge-2\n", "    hostname: kbridge-2\n    replicaz: 2\n"))
    assert "replicaz" in broken.read_text()
    done = run(cmd + ["-f", str(broken), "config", "-q"], cwd=tmp_path)
    assert done.returncode != 0 and "replicaz" in done.stdout + done.stderr, done


def test_compose_topology():
    compose = load_yaml(COMPOSE_FILE)
    services = compose["services"]
    versions = dict(line.split("=", 1) for line in (REPO / "scripts/versions.env").read_text()
                    .splitlines() if re.match(r"^[A-Z0-9_]+=", line))
    kafka = services["kafka"]
    assert kafka["image"] == f"apache/kafka:{versions['KAFKA_VERSION']}", kafka["image"]
    env = kafka["environment"]
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"  # KRaft, no ZooKeeper
    assert "kafka:9092" in env["KAFKA_ADVERTISED_LISTENERS"]
    assert kafka["healthcheck"]["test"]
    for name, service in services.items():  # every image pinned to a version
        if "image" in service and name not in ("kbridge-1", "kbridge-2"):
            tag = service["image"].rsplit(":", 1)
            assert len(tag) == 2 and tag[1] not in ("latest", ""), service["image"]

    kbridge_config = load_config_json()
    for name in ("kbridge-1", "kbridge-2"):
        kb = services[name]
        assert kb["build"] == {"context": "..", "dockerfile": "Dockerfile"}, kb["build"]
        assert (COMPOSE / kb["build"]["context"] / kb["build"]["dockerfile"]).is_file()
        assert "./kbridge/kbridge.json:/etc/kbridge/kbridge.json:ro" in kb["volumes"]
        assert kb["depends_on"]["kafka"]["condition"] == "service_healthy"
        health = " ".join(kb["healthcheck"]["test"])
        assert "http://127.0.0.1:9400/healthz" in health, health
        assert kb.get("user", "") not in ("root", "0", "0:0")
    assert kbridge_config["kafka"]["bootstrap_servers"] == "kafka:9092"
    assert kbridge_config["admin"]["listen"].endswith(":9400")
    assert kbridge_config["kinesis"]["listen"].endswith(":4567")

    prometheus = services["prometheus"]
    mounts = {v.split(":")[0]: v.split(":")[1] for v in prometheus["volumes"] if v.startswith("./")}
    assert mounts["./prometheus/prometheus.yml"] == "/etc/prometheus/prometheus.yml"
    assert mounts["./prometheus/alerts.yml"] == "/etc/prometheus/alerts.yml"
    scrape = load_yaml(PROMETHEUS_DIR / "prometheus.yml")
    assert scrape["rule_files"] == ["alerts.yml"]
    (job,) = scrape["scrape_configs"]
    assert job["job_name"] == "kbridge"
    assert sorted(job["static_configs"][0]["targets"]) == ["kbridge-1:9400", "kbridge-2:9400"]

    grafana = services["grafana"]
    mounts = {v.split(":")[0]: v.split(":")[1] for v in grafana["volumes"] if v.startswith("./")}
    provider = load_yaml(COMPOSE / "grafana/provisioning/dashboards/kbridge.yml")
    dash_dir = provider["providers"][0]["options"]["path"]
    assert mounts["./grafana/kbridge.json"] == f"{dash_dir}/kbridge.json"
    assert mounts["./grafana/provisioning/datasources"] == "/etc/grafana/provisioning/datasources"
    datasources = load_yaml(COMPOSE / "grafana/provisioning/datasources/prometheus.yml")
    (source,) = datasources["datasources"]
    assert source["type"] == "prometheus" and source["url"] == "http://prometheus:9090"
    dashboard = json.loads(DASHBOARD.read_text())
    for panel in dashboard["panels"]:
        if panel["type"] != "row":
            assert panel["datasource"]["uid"] == source["uid"], panel["title"]
            assert panel["targets"], panel["title"]


def load_config_json() -> dict:
    return json.loads((COMPOSE / "kbridge" / "kbridge.json").read_text())


def test_compose_kbridge_config_passes_config_check():
    binary = os.environ.get("KBRIDGE_BIN")
    assert binary, "KBRIDGE_BIN is not set; run through ctest"
    done = run([binary, "config", "check", str(COMPOSE / "kbridge" / "kbridge.json")])
    assert done.returncode == 0, done.stdout + done.stderr


# --- Prometheus -----------------------------------------------------------------------------------

def test_promtool_checks_config_and_rules():
    done = run([promtool(), "check", "config", str(PROMETHEUS_DIR / "prometheus.yml")])
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout + done.stderr
    done = run([promtool(), "check", "rules", str(PROMETHEUS_DIR / "alerts.yml")])
    assert done.returncode == 0, done.stdout + done.stderr


def test_promtool_unit_tests_every_alert_both_ways():
    done = run([promtool(), "test", "rules", "alerts_test.yml"], cwd=PROMETHEUS_DIR, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout + done.stderr

    # Every alert has a case where it fires and one where it stays quiet.
    tests = load_yaml(PROMETHEUS_DIR / "alerts_test.yml")
    fires, quiet = set(), set()
    for case in tests["tests"]:
        for check in case.get("alert_rule_test", []):
            (fires if check.get("exp_alerts") else quiet).add(check["alertname"])
    names = {rule["alert"] for rule in alert_rules()}
    expected = {"KbridgeDown", "KbridgeHandlerErrors", "KbridgeDeadLetterRecords",
                "KbridgeIteratorAgeHigh", "KbridgeLagSecondsHigh", "KbridgeLagStatusErr",
                "KbridgeProducerQueueNearFull", "KbridgeConnectionsRefused"}
    assert expected <= names, names
    assert names - fires == set(), f"alerts never tested firing: {names - fires}"
    assert names - quiet == set(), f"alerts never tested quiet: {names - quiet}"


def test_promtool_unit_tests_notice_a_wrong_threshold(tmp_path):
    """The unit tests bite: the same tests against rules with one threshold changed fail."""
    rules = (PROMETHEUS_DIR / "alerts.yml").read_text()
    changed = rules.replace("kbridge_producer_queue_records > 80000",
                            "kbridge_producer_queue_records > 95000")
    assert changed != rules
    (tmp_path / "alerts.yml").write_text(changed)
    shutil.copy(PROMETHEUS_DIR / "alerts_test.yml", tmp_path / "alerts_test.yml")
    done = run([promtool(), "test", "rules", "alerts_test.yml"], cwd=tmp_path, timeout=120)
    assert done.returncode != 0 and "KbridgeProducerQueueNearFull" in done.stdout + done.stderr


# --- Dockerfile -----------------------------------------------------------------------------------

def needed_packages(binary: str) -> dict[str, str]:
    """{soname: Debian package} of every shared library the executable names (DT_NEEDED)."""
    dynamic = run(["readelf", "-d", binary])
    assert dynamic.returncode == 0, dynamic.stderr
    sonames = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", dynamic.stdout)
    assert sonames, dynamic.stdout
    ldd = run(["ldd", binary])
    paths = dict(re.findall(r"^\s*(\S+) => (\S+)", ldd.stdout, re.M))
    candidates = {}
    for soname in sonames:
        path = paths.get(soname)
        assert path, f"ldd does not resolve {soname}:\n{ldd.stdout}"
        # dpkg records a library under /lib or /usr/lib, whichever the package ships (usrmerge).
        names = {path, os.path.realpath(path)}
        names |= {n.removeprefix("/usr") for n in names}
        names |= {"/usr" + n for n in names if not n.startswith("/usr")}
        candidates[soname] = names
    found = run(["dpkg", "-S", *sorted(set().union(*candidates.values()))])
    owners = {}
    for line in found.stdout.splitlines():
        packages, path = line.split(": ", 1)
        owners[path.strip()] = packages.split(",")[0].split(":")[0].strip()
    out = {}
    for soname, names in candidates.items():
        owner = next((owners[n] for n in sorted(names) if n in owners), None)
        assert owner, f"no Debian package owns {soname} ({sorted(names)})"
        out[soname] = owner
    return out


def test_dockerfile_uses_setup_packages_and_provides_every_library():
    dockerfile = (REPO / "Dockerfile").read_text()
    stages = re.findall(r"^FROM\s+(\S+)", dockerfile, re.M)
    assert len(stages) == 2, stages  # build and runtime
    build, runtime = apt_install_lists(dockerfile)
    setup = setup_apt_packages()
    assert set(build) <= setup, \
        f"build-stage packages scripts/setup does not install: {set(build) - setup}"
    binary = os.environ.get("KBRIDGE_BIN")
    assert binary, "KBRIDGE_BIN is not set; run through ctest"
    needed = needed_packages(binary)
    missing = {so: pkg for so, pkg in needed.items() if pkg not in runtime}
    assert not missing, f"the runtime stage lacks the packages of {missing}"
    assert "curl" in runtime  # the health check
    packages = sorted(set(build) | set(runtime))
    shown = run(["apt-cache", "show", "--no-all-versions", *packages], timeout=120)
    known = set(re.findall(r"^Package: (\S+)$", shown.stdout, re.M))
    assert set(packages) <= known, f"apt does not know {set(packages) - known}"

    runtime_stage = dockerfile[dockerfile.rindex("\nFROM "):]
    user = re.search(r"^USER\s+(\S+)", runtime_stage, re.M)
    assert user and user.group(1).split(":")[0] not in ("root", "0"), user
    assert re.search(r"^HEALTHCHECK .*\n?.*http://127\.0\.0\.1:9400/healthz", runtime_stage, re.M)
    assert 'ENTRYPOINT ["/usr/local/bin/kbridge"]' in runtime_stage
    for source in re.findall(r"^COPY\s+(?!--from)(\S+)\s", dockerfile, re.M):
        assert source == "." or (REPO / source).exists(), source
    ignored = (REPO / ".dockerignore").read_text().split()
    assert "build" in ignored and "build-*" in ignored and ".git" in ignored


# --- systemd --------------------------------------------------------------------------------------

def test_systemd_unit_verifies(tmp_path):
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze not found (Debian package systemd)"
    binary = os.environ.get("KBRIDGE_BIN")
    assert binary, "KBRIDGE_BIN is not set; run through ctest"
    text = SYSTEMD_UNIT.read_text()
    assert "ExecStart=/usr/local/bin/kbridge serve --config /etc/kbridge/kbridge.json" in text
    assert re.search(r"^User=kbridge$", text, re.M)
    unit = tmp_path / "kbridge.service"
    unit.write_text(text.replace("/usr/local/bin/kbridge", binary))
    done = run([analyze, "verify", str(unit)])
    assert done.returncode == 0 and done.stdout + done.stderr == "", done.stdout + done.stderr
    # ... and it would notice a mistake.
    unit.write_text(text.replace("/usr/local/bin/kbridge", binary)
                    .replace("Restart=on-failure", "Restartt=on-failure"))
    done = run([analyze, "verify", str(unit)])
    assert "Restartt" in done.stdout + done.stderr, done


# --- dashboard and alerts: expressions ------------------------------------------------------------

def test_dashboard_and_alert_expressions_parse(tmp_path):
    """Every dashboard expression (variables at "All") is a valid PromQL expression: promtool
    checks it as the expression of a recording rule."""
    exprs = [grafana_to_promql(e) for _, e in dashboard_exprs()]
    assert len(exprs) >= 20
    rules = {"groups": [{"name": "dashboard", "rules": [
        {"record": f"dashboard:expr_{i}", "expr": e} for i, e in enumerate(exprs)]}]}
    file = tmp_path / "dashboard.rules.json"  # JSON is YAML
    file.write_text(json.dumps(rules))
    done = run([promtool(), "check", "rules", str(file)])
    assert done.returncode == 0, done.stdout + done.stderr
    names = set().union(*(metric_names(e) for e in exprs))
    assert {"kbridge_shard_incoming_records_total", "kbridge_api_request_duration_seconds_bucket",
            "kbridge_mapping_invocations_total", "kbridge_mapping_errors_total",
            "kbridge_lag_records", "kbridge_lag_seconds"} <= names, names
    assert metric_names('rate(kbridge_a_total{x="kbridge_b"}[1m]) / kbridge_c') == \
        {"kbridge_a_total", "kbridge_c"}
    assert family_of("kbridge_h_bucket", {"kbridge_h"}) == "kbridge_h"
    assert family_of("kbridge_x_count", {"kbridge_h"}) == "kbridge_x_count"
