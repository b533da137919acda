"""The limits that protect kbridge's Kinesis listener (README "Security"), against a running process.

Two instances: `limited` has short timeouts (header_timeout_s 2, idle_timeout_s 2) and a 1 KiB body
limit; `crowded` has long timeouts and room for 205 connections. Checked: a slow-loris client that
sends one header byte per second is disconnected after header_timeout_s; an idle kept-alive
connection is closed after idle_timeout_s; an oversize body gets 413 and nothing reaches Kafka; with
max_connections open, one more is closed at once while the admitted ones keep being served; the
process's resident memory stays flat with 200 idle sockets open; /metrics counts the refused
connection and the header timeout. Loopback only, bounded waits.
"""
import http.client
import json
import socket
import time

import pytest

from kbridge_harness import raw_call, wait_for
from kinesis_checks import kafka_partition_records
from metrics_checks import metric, scrape

HEADER_TIMEOUT_S = 2
IDLE_TIMEOUT_S = 2
MAX_BODY = 1024
CROWD = 205  # max_connections of the `crowded` instance
IDLE_SOCKETS = 200
RSS_GROWTH_LIMIT_KIB = 8 * 1024  # 200 idle sessions cost about 1.2 MiB; the bound is loose


@pytest.fixture(scope="module")
def limited(kbridge_factory):
    return kbridge_factory.start({"kinesis": {
        "header_timeout_s": HEADER_TIMEOUT_S, "idle_timeout_s": IDLE_TIMEOUT_S,
        "max_body_bytes": MAX_BODY, "max_connections": 50}}, name="limited")


@pytest.fixture(scope="module")
def crowded(kbridge_factory):
    return kbridge_factory.start({"kinesis": {
        "header_timeout_s": 60, "idle_timeout_s": 60, "max_connections": CROWD}}, name="crowded")


def _connect(port: int, timeout: float = 10.0) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=timeout)


def _closed_within(sock: socket.socket, seconds: float) -> bool:
    """True when the server ends the connection (EOF or reset) within `seconds`."""
    sock.settimeout(seconds)
    try:
        while True:
            if not sock.recv(4096):
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


def _list_streams(conn: http.client.HTTPConnection) -> int:
    conn.request("POST", "/", body=b"{}", headers={
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "Kinesis_20131202.ListStreams"})
    response = conn.getresponse()
    response.read()
    return response.status


def _rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


def test_slow_loris_head_is_cut_off_after_header_timeout(limited):
    head = b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Target: Kinesis_20131202.ListStreams\r\n"
    with _connect(limited.port) as sock:
        start = time.monotonic()
        closed = False
        for byte in head:  # one byte a second: the head would take over a minute
            try:
                sock.sendall(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            if _closed_within(sock, 1.0):
                closed = True
                break
        elapsed = time.monotonic() - start
    assert closed
    assert HEADER_TIMEOUT_S - 0.5 <= elapsed <= HEADER_TIMEOUT_S + 3, elapsed
    assert limited.proc.poll() is None
    # /metrics counts it (the admin listener's own connections are counted apart).
    samples = wait_for(lambda: (m := scrape(limited)) and metric(
        m, "kbridge_http_connection_timeouts_total", listener="kinesis", kind="header") and m,
        timeout=5, what="a header timeout on /metrics")
    assert metric(samples, "kbridge_http_connection_timeouts_total", listener="admin",
                  kind="header") == 0


def test_idle_kept_alive_connection_is_closed_after_idle_timeout(limited):
    conn = http.client.HTTPConnection("127.0.0.1", limited.port, timeout=10)
    try:
        assert _list_streams(conn) == 200
        start = time.monotonic()
        assert _closed_within(conn.sock, IDLE_TIMEOUT_S + 5)
        elapsed = time.monotonic() - start
    finally:
        conn.close()
    assert IDLE_TIMEOUT_S - 0.5 <= elapsed <= IDLE_TIMEOUT_S + 3, elapsed


def test_a_connection_in_use_is_not_cut_off(limited):
    """Requests more often than idle_timeout_s keep a connection open past it."""
    conn = http.client.HTTPConnection("127.0.0.1", limited.port, timeout=10)
    try:
        for _ in range(4):
            assert _list_streams(conn) == 200
            time.sleep(IDLE_TIMEOUT_S / 2)
        port = conn.sock.getsockname()[1]
        assert _list_streams(conn) == 200
        assert conn.sock.getsockname()[1] == port  # the same connection throughout
    finally:
        conn.close()


def test_oversize_body_gets_413_and_nothing_is_written(limited, kafka_bootstrap):
    name = f"limits-{time.monotonic_ns() % 10**9}"
    status, _, payload = raw_call(limited.endpoint, "CreateStream",
                                  {"StreamName": name, "ShardCount": 1})
    assert status == 200, payload
    wait_for(lambda: raw_call(limited.endpoint, "DescribeStreamSummary", {"StreamName": name})[2]
             ["StreamDescriptionSummary"]["StreamStatus"] == "ACTIVE", timeout=30,
             what=f"{name} ACTIVE")
    try:
        big = {"StreamName": name, "PartitionKey": "k", "Data": "QUFB" * 400}  # ~1.6 KiB body
        status, headers, payload = raw_call(limited.endpoint, "PutRecord", big)
        assert status == 413
        assert payload == {"__type": "SerializationException",
                           "message": f"Request body exceeds the limit of {MAX_BODY} bytes."}
        assert headers.get("connection") == "close"
        assert kafka_partition_records(kafka_bootstrap, name, [0]) == {0: {}}

        status, _, payload = raw_call(limited.endpoint, "PutRecord",
                                      {"StreamName": name, "PartitionKey": "k", "Data": "QUFB"})
        assert status == 200, payload
        assert kafka_partition_records(kafka_bootstrap, name, [0]) == {0: {0: (b"k", b"AAA")}}
    finally:
        raw_call(limited.endpoint, "DeleteStream", {"StreamName": name})
    assert limited.proc.poll() is None


def test_connection_limit_and_flat_memory_with_idle_sockets(crowded):
    pid, port = crowded.pid, crowded.port
    busy = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    idle: list[socket.socket] = []
    try:
        for _ in range(20):  # warm up: threads, allocator arenas, the first sessions
            assert _list_streams(busy) == 200
        rss_before = _rss_kib(pid)

        for _ in range(IDLE_SOCKETS):
            idle.append(_connect(port))
        assert _list_streams(busy) == 200
        time.sleep(0.5)  # accepting 200 connections takes milliseconds
        rss_idle = _rss_kib(pid)

        # Fill up to the limit, then one more: accepted by the kernel, closed by kbridge at once
        # (connections are accepted in order, so by then kbridge holds every earlier one).
        while len(idle) < CROWD - 1:
            idle.append(_connect(port))
        with _connect(port) as over:
            assert _closed_within(over, 5.0)
        assert _list_streams(busy) == 200  # admitted connections keep being served
        samples = scrape(crowded)
        assert metric(samples, "kbridge_http_connections_refused_total", listener="kinesis") == 1
        assert metric(samples, "kbridge_http_connections_open", listener="kinesis") == CROWD
        time.sleep(1.0)
        rss_later = _rss_kib(pid)

        # Free a few slots: new connections are served again.
        for sock in idle[:5]:
            sock.close()
        del idle[:5]

        def served() -> bool:
            try:
                fresh = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                try:
                    return _list_streams(fresh) == 200
                finally:
                    fresh.close()
            except (ConnectionError, http.client.RemoteDisconnected):
                return False

        wait_for(served, timeout=10, interval=0.1, what="a new connection served")
    finally:
        busy.close()
        for sock in idle:
            sock.close()
    growth = max(rss_idle, rss_later) - rss_before
    assert growth < RSS_GROWTH_LIMIT_KIB, (rss_before, rss_idle, rss_later)
    assert abs(rss_later - rss_idle) < 4 * 1024, (rss_idle, rss_later)
    assert crowded.proc.poll() is None
    print(json.dumps({"rss_before_kib": rss_before, "rss_200_idle_kib": rss_idle,
                      "rss_at_limit_kib": rss_later}))
