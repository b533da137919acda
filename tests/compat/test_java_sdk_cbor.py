"""AWS SDK for Java v2 against kbridge, speaking CBOR (see java/KinesisCompat.java)."""
import os
import pathlib
import shutil
import subprocess

from kbridge_harness import CBOR_CONTENT_TYPE, require_env, unique_name

SOURCE = pathlib.Path(__file__).resolve().parent / "java" / "KinesisCompat.java"


def test_java_sdk_v2_over_cbor(kbridge, tmp_path):
    libs = pathlib.Path(require_env("KBRIDGE_AWS_JAVA_SDK_LIBS"))
    assert any(libs.glob("kinesis-*.jar")), f"no AWS SDK jars in {libs}; run scripts/setup"
    java = shutil.which("java")
    assert java, "java not found"
    env = dict(os.environ)
    env.pop("CBOR_ENABLED", None)  # CBOR is SDK v2's default for Kinesis (CBOR_ENABLED=false turns it off)
    env.pop("AWS_CBOR_DISABLE", None)  # the SDK v1 spelling, in case a user environment has it
    env.pop("JAVA_TOOL_OPTIONS", None)
    env["HOME"] = str(tmp_path)  # no ~/.aws profile may leak in
    name = unique_name("java-cbor")
    proc = subprocess.run(
        [java, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", f"{libs}/*", str(SOURCE),
         kbridge.endpoint, name],
        env=env, capture_output=True, text=True, timeout=240)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"KinesisCompat failed (exit {proc.returncode}):\n{output}"
    assert "all steps passed" in proc.stdout, output

    content_types = [line.split()[1] for line in proc.stdout.splitlines()
                     if line.startswith("content-type ")]
    assert content_types, f"no requests were logged:\n{output}"
    assert all(ct == CBOR_CONTENT_TYPE for ct in content_types), f"not all requests were CBOR:\n{output}"
    operations = {line.split()[2] for line in proc.stdout.splitlines()
                  if line.startswith("content-type ")}
    assert {"CreateStream", "DescribeStreamSummary", "ListShards", "DeleteStream"} <= operations
