"""GET /metrics of a kbridge instance, read back by the tests: the one parser of the Prometheus
text format they share (samples with their labels, and the families' types)."""
from __future__ import annotations

import re
import urllib.request

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')

Samples = dict[tuple[str, frozenset], float]


def parse_samples(text: str) -> Samples:
    """{(name, frozenset(labels)): value} of every sample line; every other line is a comment."""
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        assert m, f"not a sample line: {line!r}"
        samples[(m.group(1), frozenset(LABEL.findall(m.group(3) or "")))] = float(m.group(4))
    return samples


def metric_types(text: str) -> dict[str, str]:
    """{family: type} from the # TYPE lines."""
    types = {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            types[name] = kind
    return types


def fetch_metrics(instance) -> tuple[str, str, Samples]:
    """(Content-Type, text, samples) of GET /metrics on the instance's admin listener."""
    with urllib.request.urlopen(instance.admin_endpoint + "/metrics", timeout=10) as response:
        assert response.status == 200
        content_type = response.headers.get("Content-Type", "")
        text = response.read().decode()
    return content_type, text, parse_samples(text)


def scrape(instance) -> Samples:
    """The samples of GET /metrics."""
    return fetch_metrics(instance)[2]


def metric(samples: Samples, name: str, **labels) -> float | None:
    """The one sample of `name` whose labels include `labels`; None when there is none."""
    want = set(labels.items())
    found = [v for (n, ls), v in samples.items() if n == name and want <= set(ls)]
    assert len(found) <= 1, (name, labels, found)
    return found[0] if found else None


def value(samples: Samples, name: str, **labels) -> float:
    """As metric(), but the sample must exist."""
    found = metric(samples, name, **labels)
    assert found is not None, (name, labels)
    return found
