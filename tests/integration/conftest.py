"""pytest wiring for tests/integration: the shared harness lives in tests/support."""
import pathlib
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "support"))

from kbridge_harness import (  # noqa: E402,F401  (fixtures and hooks are found by name)
    kafka_bootstrap, kbridge, kbridge_factory, pytest_runtest_makereport, pytest_sessionfinish)
from kinesis_checks import new_stream  # noqa: E402,F401  (the test_<action>.py files' fixture)


@pytest.fixture
def sinks():
    """Makes WebhookSink servers (tests/support/webhook_sink.py) and closes them after the test."""
    from webhook_sink import WebhookSink

    made = []

    def make(path="/events", port=0):
        sink = WebhookSink(path, port)
        made.append(sink)
        return sink

    yield make
    for sink in made:
        sink.close()
