"""TLS on the Kinesis listener: the AWS CLI v2 and boto3 over https with a CA bundle.

A throw-away CA and a server certificate for 127.0.0.1/localhost are made with the openssl CLI; kbridge
serves the Kinesis API and the admin listener with them (`kinesis.tls`, `admin.tls`). Checked: create-stream, put-record and get-records
over https with --ca-bundle, the same with boto3 (verify=<ca>), that a client without the CA refuses
the server, that plain HTTP on the TLS port fails cleanly while the process keeps serving, and that
missing certificate files are reported at start-up by name; and that SIGHUP makes kbridge read renewed
certificate files without a restart.
"""
import base64
import http.client
import json
import os
import pathlib
import shutil
import signal
import socket
import ssl
import subprocess

import boto3
import pytest
from botocore.config import Config

from kbridge_harness import (REGION, aws_cli, base_config, require_env, unique_name,
                             wait_for)

OPENSSL = "openssl"


def _openssl(*args: str, cwd: pathlib.Path) -> None:
    proc = subprocess.run([OPENSSL, *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, f"openssl {' '.join(args)}\n{proc.stderr}"


def make_pki(d: pathlib.Path) -> dict[str, pathlib.Path]:
    """A CA and a server certificate it signed, for IP 127.0.0.1 and DNS localhost, in `d`."""
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    _openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
             "-subj", "/CN=kbridge test CA",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=d)
    _openssl("req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost",
             cwd=d)
    (d / "server.ext").write_text(
        "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
        "basicConstraints=critical,CA:FALSE\n"
        "keyUsage=critical,digitalSignature\n"
        "extendedKeyUsage=serverAuth\n"
        "subjectKeyIdentifier=hash\n"
        "authorityKeyIdentifier=keyid,issuer\n")
    _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
             "-CAcreateserial", "-out", "server.pem", "-days", "2", "-sha256",
             "-extfile", "server.ext", cwd=d)
    return {"ca": d / "ca.pem", "cert": d / "server.pem", "key": d / "server.key", "dir": d}


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> dict[str, pathlib.Path]:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def kbridge_tls(kbridge_factory, pki):
    tls = {"cert_file": str(pki["cert"]), "key_file": str(pki["key"])}
    instance = kbridge_factory.start({"kinesis": {"tls": tls}, "admin": {"tls": tls}},
                                     name="kbridge-tls")
    assert instance.endpoint.startswith("https://127.0.0.1:"), instance.endpoint
    assert instance.admin_endpoint.startswith("https://127.0.0.1:"), instance.admin_endpoint
    return instance


@pytest.fixture(scope="module")
def aws(kbridge_tls, pki, tmp_path_factory):
    cli, env = aws_cli(tmp_path_factory.mktemp("aws-home"))

    def run(*args, ca_bundle=True, check=True):
        cmd = [cli, "kinesis", *args, "--endpoint-url", kbridge_tls.endpoint, "--output", "json"]
        if ca_bundle:
            cmd += ["--ca-bundle", str(pki["ca"])]
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
        if check:
            assert proc.returncode == 0, f"{' '.join(cmd)}\nexit {proc.returncode}\n{proc.stderr}"
        return proc

    return run


def _json(proc):
    return json.loads(proc.stdout) if proc.stdout.strip() else None


def _wait_active(describe) -> None:
    wait_for(lambda: describe()["StreamDescriptionSummary"]["StreamStatus"] == "ACTIVE",
             timeout=30, what="stream ACTIVE")


def test_aws_cli_over_https_with_ca_bundle(aws):
    name = unique_name("tls-cli")
    aws("create-stream", "--stream-name", name, "--shard-count", "1")
    _wait_active(lambda: _json(aws("describe-stream-summary", "--stream-name", name)))
    data = b'{"userId":"test-user-123","eventType":"purchase"}'
    put = _json(aws("put-record", "--stream-name", name, "--partition-key", "test-user-123",
                    "--data", base64.b64encode(data).decode(), "--cli-binary-format", "base64"))
    assert put["ShardId"] == "shardId-000000000000"
    iterator = _json(aws("get-shard-iterator", "--stream-name", name, "--shard-id", put["ShardId"],
                         "--shard-iterator-type", "TRIM_HORIZON"))["ShardIterator"]
    records = _json(aws("get-records", "--shard-iterator", iterator))["Records"]
    assert [(base64.b64decode(r["Data"]), r["PartitionKey"], r["SequenceNumber"])
            for r in records] == [(data, "test-user-123", put["SequenceNumber"])]
    aws("delete-stream", "--stream-name", name)


def test_aws_cli_without_the_ca_refuses_the_server(aws):
    proc = aws("list-streams", ca_bundle=False, check=False)
    assert proc.returncode != 0
    assert "SSL" in proc.stderr or "certificate" in proc.stderr, proc.stderr


def test_boto3_over_https_with_verify(kbridge_tls, pki):
    client = boto3.client(
        "kinesis", endpoint_url=kbridge_tls.endpoint, region_name=REGION,
        aws_access_key_id="test", aws_secret_access_key="test", verify=str(pki["ca"]),
        config=Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=30))
    name = unique_name("tls-boto3")
    client.create_stream(StreamName=name, ShardCount=1)
    client.get_waiter("stream_exists").wait(StreamName=name,
                                            WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    sequence = [client.put_record(StreamName=name, Data=f"record-{i}".encode(),
                                  PartitionKey=f"k{i}")["SequenceNumber"] for i in range(3)]
    iterator = client.get_shard_iterator(StreamName=name, ShardId="shardId-000000000000",
                                         ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    records = client.get_records(ShardIterator=iterator)["Records"]
    assert [(r["Data"], r["SequenceNumber"]) for r in records] == [
        (f"record-{i}".encode(), sequence[i]) for i in range(3)]
    client.delete_stream(StreamName=name)


def _tls_list_streams(endpoint: str, ca: pathlib.Path) -> int:
    port = int(endpoint.rsplit(":", 1)[1])
    context = ssl.create_default_context(cafile=str(ca))
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=10)
    try:
        conn.request("POST", "/", body=b"{}", headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "Kinesis_20131202.ListStreams"})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def test_plain_http_to_the_tls_port_fails_cleanly_and_the_process_stays_up(kbridge_tls, pki):
    port = kbridge_tls.port
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("POST", "/", body=b"{}", headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "Kinesis_20131202.ListStreams"})
        response = conn.getresponse()
        body = response.read()
        status = response.status
        assert response.getheader("Connection") == "close"
    finally:
        conn.close()
    assert status == 400
    assert json.loads(body)["message"] == "This port speaks HTTPS only; use https://."

    # Garbage that is neither TLS nor HTTP, and a client that hangs up mid-handshake.
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        raw.sendall(b"\x00\x01\x02garbage\r\n\r\n")
        raw.recv(4096)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        raw.sendall(b"\x16\x03\x01\x00\x50")  # the start of a ClientHello, then nothing

    assert kbridge_tls.proc.poll() is None, kbridge_tls.log_tail()
    assert _tls_list_streams(kbridge_tls.endpoint, pki["ca"]) == 200


def test_admin_listener_over_https(kbridge_tls, pki):
    port = int(kbridge_tls.admin_endpoint.rsplit(":", 1)[1])
    context = ssl.create_default_context(cafile=str(pki["ca"]))
    conn = http.client.HTTPSConnection("localhost", port, context=context, timeout=10)
    try:
        conn.request("GET", "/healthz")
        response = conn.getresponse()
        response.read()
        assert response.status == 200
    finally:
        conn.close()


def test_missing_certificate_file_is_reported_at_start(kafka_bootstrap, pki, tmp_path):
    missing = pki["dir"] / "absent.pem"
    config = base_config(kafka_bootstrap)
    config["kinesis"]["tls"] = {"cert_file": str(missing), "key_file": str(pki["key"])}
    path = tmp_path / "bad-tls.json"
    path.write_text(json.dumps(config))
    binary = require_env("KBRIDGE_BIN")
    env = {k: v for k, v in os.environ.items() if k != "KBRIDGE_BOOTSTRAP"}
    proc = subprocess.run([binary, "serve", "--config", str(path)], env=env, capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode != 0
    output = proc.stdout + proc.stderr
    assert f"TLS certificate file {missing} cannot be read: No such file or directory" in output
    assert "kbridge ready" not in output


def test_config_check_requires_both_files(tmp_path):
    path = tmp_path / "half-tls.json"
    path.write_text(json.dumps({"kinesis": {"tls": {"cert_file": "/x/cert.pem"}},
                                "admin": {"tls": {"cert_file": "", "key_file": "/x/key.pem"}}}))
    proc = subprocess.run([require_env("KBRIDGE_BIN"), "config", "check", str(path)],
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode != 0
    output = proc.stdout + proc.stderr
    assert "$.kinesis.tls.key_file: is required" in output
    assert "$.admin.tls.cert_file: must not be empty" in output


def test_sighup_reloads_renewed_certificate_files(kbridge_factory, pki, tmp_path_factory):
    """A renewed certificate takes effect on SIGHUP (sent by PID), without a restart: new
    connections get it, and a client that trusts only the old CA is refused from then on."""
    live = tmp_path_factory.mktemp("live-tls")
    cert, key = live / "server.pem", live / "server.key"
    shutil.copy(pki["cert"], cert)
    shutil.copy(pki["key"], key)
    instance = kbridge_factory.start(
        {"kinesis": {"tls": {"cert_file": str(cert), "key_file": str(key)}}}, name="kbridge-reload")
    renewed = make_pki(tmp_path_factory.mktemp("pki-renewed"))
    assert _tls_list_streams(instance.endpoint, pki["ca"]) == 200
    with pytest.raises(ssl.SSLError):
        _tls_list_streams(instance.endpoint, renewed["ca"])

    shutil.copy(renewed["cert"], cert)
    shutil.copy(renewed["key"], key)
    instance.proc.send_signal(signal.SIGHUP)

    def serves_renewed() -> bool:
        try:
            return _tls_list_streams(instance.endpoint, renewed["ca"]) == 200
        except ssl.SSLError:
            return False

    wait_for(serves_renewed, timeout=10, interval=0.1, what="the renewed certificate served")
    with pytest.raises(ssl.SSLError):
        _tls_list_streams(instance.endpoint, pki["ca"])
    client = boto3.client(
        "kinesis", endpoint_url=instance.endpoint, region_name=REGION,
        aws_access_key_id="test", aws_secret_access_key="test", verify=str(renewed["ca"]),
        config=Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=30))
    assert "StreamNames" in client.list_streams()
    assert instance.proc.poll() is None
    assert "TLS certificate and key reloaded" in instance.log_path.read_text()
