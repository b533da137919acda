"""A real HTTP endpoint for kbridge's webhook handler (tests of event source mappings).

WebhookSink runs a ThreadingHTTPServer on 127.0.0.1 (port 0 unless given) in a thread and records every POSTed
Lambda Kinesis event ({"Records": [{"kinesis": {...}, "eventID": ..., ...}]}) with what it answered.
Its behaviour is programmable while it runs (every knob is read under the sink's lock per call):

- poison:        predicate(SinkRecord) -> bool; a batch holding a matching record gets HTTP 500;
- delay_s:       seconds every call waits before it answers (a slow handler);
- fail_first:    the first N calls get `fail_status` (500 unless changed);
- unavailable:   while True every call gets 503 (retry later);
- item_failures: function(records) -> list of sequence numbers to report in a 2xx reply's
                 {"batchItemFailures": [{"itemIdentifier": seq}]} (an empty list = plain success);
- responder:     function(records) -> (status, body dict or None) or None; overrides all of the above
                 when it returns a tuple.

Concurrency is tracked as the server sees it: the peak number of requests in flight, and every
time a batch arrived while another in-flight batch held one of its partition keys (the in-flight
bookkeeping ends before the answer is written, so the handler's next batch for a lane can never
look concurrent with the previous one).

Thread-safe: requests run on the server's threads; tests read through the accessor methods, which
return copies.
"""

from __future__ import annotations

import base64
import collections
import dataclasses
import http.server
import json
import threading
import time
from typing import Any, Callable, Iterable

OFFSET_MASK = (1 << 60) - 1
SHARD_MASK = (1 << 20) - 1


@dataclasses.dataclass(frozen=True)
class SinkRecord:
    shard: str             # "shardId-000000000000"
    sequence: str          # Kinesis sequence number (decimal)
    key: str               # partitionKey
    data: bytes            # decoded data
    arrival: float         # approximateArrivalTimestamp (epoch seconds)
    raw: Any = dataclasses.field(compare=False, repr=False, default=None)  # the event record

    @property
    def offset(self) -> int:
        """The Kafka offset the sequence number encodes ([generation48|shard20|offset60])."""
        return int(self.sequence) & OFFSET_MASK

    @property
    def shard_index(self) -> int:
        return (int(self.sequence) >> 60) & SHARD_MASK

    def json(self) -> Any:
        return json.loads(self.data)


@dataclasses.dataclass
class SinkCall:
    index: int
    path: str
    records: list[SinkRecord]
    started: float             # time.monotonic()
    ended: float = 0.0
    status: int = 0
    reply: Any = None          # the JSON body answered, if any
    failed_items: list[str] = dataclasses.field(default_factory=list)
    event: Any = dataclasses.field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def accepted(self) -> list[SinkRecord]:
        """The records this call delivered as Lambda counts them with ReportBatchItemFailures:
        all of a plain 2xx; with reported failures, those before the lowest failed one."""
        if not self.ok:
            return []
        if not self.failed_items:
            return list(self.records)
        failed = set(self.failed_items)
        first = next((i for i, r in enumerate(self.records) if r.sequence in failed),
                     len(self.records))
        return self.records[:first]


def parse_event(event: Any) -> list[SinkRecord]:
    records = []
    for item in event.get("Records", []):
        kin = item["kinesis"]
        seq = kin["sequenceNumber"]
        shard = item.get("eventID", "").split(":", 1)[0] or \
            f"shardId-{(int(seq) >> 60) & SHARD_MASK:012d}"
        records.append(SinkRecord(shard=shard, sequence=seq, key=kin["partitionKey"],
                                  data=base64.b64decode(kin["data"]),
                                  arrival=float(kin.get("approximateArrivalTimestamp", 0)),
                                  raw=item))
    return records


class WebhookSink:
    def __init__(self, path: str = "/events", port: int = 0):
        self.path = path
        self._lock = threading.Lock()
        self._calls: list[SinkCall] = []
        self._in_flight = 0
        self._max_in_flight = 0
        self._keys_in_flight: collections.Counter[str] = collections.Counter()
        self._overlaps: list[tuple[int, list[str]]] = []  # (call index, keys already in flight)
        self._errors: list[str] = []
        # behaviour
        self.poison: Callable[[SinkRecord], bool] | None = None
        self.delay_s: float = 0.0
        self.fail_first: int = 0
        self.fail_status: int = 500
        self.unavailable: bool = False
        self.item_failures: Callable[[list[SinkRecord]], list[str]] | None = None
        self.responder: Callable[[list[SinkRecord]], tuple[int, Any] | None] | None = None
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", port), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.1}, name="webhook-sink",
                                        daemon=True)
        self._thread.start()

    # --- lifecycle ---------------------------------------------------------------------------

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}"

    def handler_config(self, timeout_ms: int = 5000) -> dict[str, Any]:
        return {"type": "webhook", "url": self.url, "timeout_ms": timeout_ms}

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def __enter__(self) -> "WebhookSink":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- what was received ---------------------------------------------------------------------

    def calls(self) -> list[SinkCall]:
        """Every finished or running call, in arrival order (copies of the lists)."""
        with self._lock:
            return [dataclasses.replace(c, records=list(c.records),
                                        failed_items=list(c.failed_items))
                    for c in self._calls]

    def ok_calls(self) -> list[SinkCall]:
        return [c for c in self.calls() if c.ok]

    def received(self) -> list[SinkRecord]:
        """Every record of every call (also failed ones), in arrival order."""
        return [r for c in self.calls() for r in c.records]

    def delivered(self, honour_item_failures: bool = True) -> list[SinkRecord]:
        """Records of successful calls in the order the calls arrived; with
        `honour_item_failures`, a partial reply counts only the records before its lowest failed
        item (Lambda's ReportBatchItemFailures), else the whole batch."""
        out = []
        for c in self.calls():
            out.extend(c.accepted() if honour_item_failures else (c.records if c.ok else []))
        return out

    def delivered_by_shard(self, honour_item_failures: bool = True) -> dict[str, list[SinkRecord]]:
        by_shard: dict[str, list[SinkRecord]] = collections.defaultdict(list)
        for r in self.delivered(honour_item_failures):
            by_shard[r.shard].append(r)
        return dict(by_shard)

    def delivered_count(self) -> int:
        with self._lock:
            return sum(len(c.accepted()) for c in self._calls)

    def counts_by_data(self, honour_item_failures: bool = True) -> collections.Counter[bytes]:
        return collections.Counter(r.data for r in self.delivered(honour_item_failures))

    def counts_by_key(self, honour_item_failures: bool = True) -> collections.Counter[str]:
        return collections.Counter(r.key for r in self.delivered(honour_item_failures))

    def call_count(self) -> int:
        with self._lock:
            return len(self._calls)

    def in_flight(self) -> int:
        with self._lock:
            return self._in_flight

    def max_in_flight(self) -> int:
        with self._lock:
            return self._max_in_flight

    def key_overlaps(self) -> list[tuple[int, list[str]]]:
        """(call index, partition keys another in-flight batch held) for every batch that arrived
        while a batch sharing one of its keys was still in flight. Empty = never."""
        with self._lock:
            return list(self._overlaps)

    def errors(self) -> list[str]:
        """Requests the sink could not understand (bad JSON, wrong path, wrong method)."""
        with self._lock:
            return list(self._errors)

    def wait_until(self, predicate: Callable[["WebhookSink"], Any], timeout: float = 30.0,
                   interval: float = 0.05, what: str = "sink condition") -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = predicate(self)
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout}s waiting for {what}; "
                                     f"{self.call_count()} calls, {self.delivered_count()} records "
                                     f"delivered; last: {value!r}")
            time.sleep(interval)

    def wait_for_delivered(self, count: int, timeout: float = 30.0) -> None:
        self.wait_until(lambda s: s.delivered_count() >= count, timeout,
                        what=f"{count} delivered records")

    def quiet(self, seconds: float) -> bool:
        """True once no call has arrived for `seconds` (polls until then; use with a deadline)."""
        deadline = time.monotonic() + seconds
        count = self.call_count()
        while time.monotonic() < deadline:
            time.sleep(0.05)
            if self.call_count() != count:
                return False
        return True

    # --- the server side ---------------------------------------------------------------------

    def _decide(self, call: SinkCall) -> tuple[int, Any]:
        with self._lock:
            responder, poison = self.responder, self.poison
            item_failures, unavailable = self.item_failures, self.unavailable
            fail_now = call.index < self.fail_first
            fail_status = self.fail_status
        if responder is not None:
            answer = responder(call.records)
            if answer is not None:
                return answer
        if unavailable:
            return 503, {"message": "unavailable"}
        if fail_now:
            return fail_status, {"errorMessage": f"failing call {call.index}"}
        if poison is not None:
            bad = [r.sequence for r in call.records if poison(r)]
            if bad:
                return 500, {"errorType": "PoisonRecord",
                             "errorMessage": f"poison record(s) {','.join(bad)}"}
        if item_failures is not None:
            failed = item_failures(call.records)
            if failed:
                return 200, {"batchItemFailures": [{"itemIdentifier": s} for s in failed]}
        return 200, {}

    def _handle(self, request: http.server.BaseHTTPRequestHandler) -> None:
        body = _read_body(request)
        if request.path.split("?", 1)[0] != self.path:
            with self._lock:
                self._errors.append(f"POST to unexpected path {request.path}")
            return _answer(request, 404, {"message": "not found"})
        try:
            event = json.loads(body)
            records = parse_event(event)
        except (ValueError, KeyError, TypeError) as err:
            with self._lock:
                self._errors.append(f"bad event ({err}): {body[:200]!r}")
            return _answer(request, 400, {"message": "bad event"})
        keys = {r.key for r in records}
        with self._lock:
            call = SinkCall(index=len(self._calls), path=request.path, records=records,
                            started=time.monotonic(), event=event)
            self._calls.append(call)
            self._in_flight += 1
            self._max_in_flight = max(self._max_in_flight, self._in_flight)
            shared = sorted(k for k in keys if self._keys_in_flight[k] > 0)
            if shared:
                self._overlaps.append((call.index, shared))
            self._keys_in_flight.update(keys)
            delay = self.delay_s
        try:
            if delay > 0:
                time.sleep(delay)
            status, reply = self._decide(call)
        finally:
            with self._lock:
                self._in_flight -= 1
                self._keys_in_flight.subtract(keys)
                call.ended = time.monotonic()
        with self._lock:
            call.status = status
            call.reply = reply
            if 200 <= status < 300 and isinstance(reply, dict):
                call.failed_items = [f.get("itemIdentifier") for f in
                                     reply.get("batchItemFailures", [])]
        _answer(request, status, reply)

    def _handler_class(self):
        sink = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as a webhook client may use it
            # The status line and headers go out in one write and the body in another: without
            # TCP_NODELAY, Nagle's algorithm and the client's delayed ACK hold the body ~40 ms.
            disable_nagle_algorithm = True

            def do_POST(self):  # noqa: N802 (http.server's naming)
                sink._handle(self)

            def do_GET(self):  # noqa: N802
                with sink._lock:
                    sink._errors.append(f"GET {self.path}")
                _answer(self, 405, {"message": "POST only"})

            def log_message(self, format, *args):  # noqa: A002 (quiet)
                pass

        return Handler


def _read_body(request: http.server.BaseHTTPRequestHandler) -> bytes:
    if request.headers.get("Transfer-Encoding", "").lower() == "chunked":
        chunks = []
        while True:
            size = int(request.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while request.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                break
            chunks.append(request.rfile.read(size))
            request.rfile.readline()
        return b"".join(chunks)
    length = int(request.headers.get("Content-Length") or 0)
    return request.rfile.read(length) if length else b""


def _answer(request: http.server.BaseHTTPRequestHandler, status: int, reply: Any) -> None:
    payload = json.dumps(reply).encode() if reply is not None else b""
    try:
        request.send_response(status)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(payload)))
        request.end_headers()
        request.wfile.write(payload)
        request.wfile.flush()
    except (BrokenPipeError, ConnectionResetError):
        pass  # the client gave up (its timeout); the call stays recorded


def by_shard(records: Iterable[SinkRecord]) -> dict[str, list[SinkRecord]]:
    out: dict[str, list[SinkRecord]] = collections.defaultdict(list)
    for r in records:
        out[r.shard].append(r)
    return dict(out)


def order_violations(records: Iterable[SinkRecord], key=lambda r: r.shard) -> list[str]:
    """Places where, within a group (shard by default), a record's offset is not above the one
    before it: an order violation or a duplicate."""
    last: dict[Any, SinkRecord] = {}
    bad = []
    for r in records:
        group = key(r)
        prev = last.get(group)
        if prev is not None and r.offset <= prev.offset:
            bad.append(f"{group}: offset {r.offset} ({r.data[:40]!r}) after {prev.offset}")
        last[group] = r
    return bad


__all__ = ["SinkCall", "SinkRecord", "WebhookSink", "by_shard", "order_violations", "parse_event"]
