"""pytest wiring for tests/integration: the shared harness lives in tests/support."""
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "support"))

from kbridge_harness import (  # noqa: E402,F401  (fixtures and hooks are found by name)
    kafka_bootstrap, kbridge, kbridge_factory, pytest_runtest_makereport, pytest_sessionfinish)
from kinesis_checks import new_stream  # noqa: E402,F401  (the test_<action>.py files' fixture)
