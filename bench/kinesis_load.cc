// kinesis_load — a closed-loop load generator for the Kinesis JSON 1.1 API (kbridge, kinesalite).
//
//   kinesis_load --endpoint http://127.0.0.1:PORT --stream NAME [--auth] [--watch-pid PID] [--label
//   L] MODE...
//
// Modes (one per run):
//   --create-stream SHARDS     CreateStream (an existing stream is fine), then wait until ACTIVE.
//   --op putrecords|putrecord  N keep-alive connections (--connections) send precomputed requests
//                              back to back, one in flight each, for --warmup + --duration
//                              seconds; only requests completing after the warm-up count.
//                              --threads T event loops (default 1) share the connections.
//                              PutRecords carries --batch records (default 500) of --record-bytes
//                              bytes (default 100). --max-records N stops after N acknowledged
//                              records (a fill; no warm-up).
//   --op getsharditerator      Like putrecord, but each request is a GetShardIterator
//                              (TRIM_HORIZON, shard 0): the control-plane path a consumer takes at
//                              every start and every shard it picks up. records_per_s = calls/s.
//   --op drain                 Reads shard 0 from TRIM_HORIZON with GetRecords (--limit,
//                              default 10000) until --expect records were read (one pass), and
//                              starts new passes while --duration has not elapsed. Rate = records
//                              read / time. Every record must carry --record-bytes bytes of data.
//
// Prints one line `result label=... records_per_s=... mb_per_s=... p50_ms=... p99_ms=...` (with
// cpu_pct/rss_* of --watch-pid, and broker_cpu_pct of --broker-pid, when given) on stdout;
// diagnostics on stderr. Exit status 1 when the run saw errors (non-200 answers, failed records,
// short drains), 2 on usage errors.
//
// --auth adds a syntactically valid but fake SigV4 Authorization and X-Amz-Date header, which
// kinesalite requires to be present (it checks no signature). Only loopback endpoints are
// accepted. Every request loop is bounded in time; an answer is awaited at most 30 s.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "bench_common.h"

namespace {

using bench::Clock;

struct Options {
  std::string host = "127.0.0.1";
  int port = 0;
  std::string stream;
  std::string op;
  std::string label;
  bool auth = false;
  int watchPid = 0;
  int brokerPid = 0;
  int createShards = 0;
  int connections = 1;
  int threads = 1;
  double duration = 10, warmup = 1;
  int batch = 500;
  int recordBytes = 100;
  long long maxRecords = 0;
  long long expect = 0;
  int limit = 10000;
};

[[noreturn]] void usage(const std::string& msg) {
  std::cerr << "kinesis_load: " << msg
            << "\n(see the comment at the top of bench/kinesis_load.cc)\n";
  std::exit(2);
}

// ---- HTTP/1.1 responses ---------------------------------------------------------------------

struct Response {
  int status = 0;
  std::string body;
};

enum class Parse { kMore, kDone, kBad };

// Takes one whole response off the front of `buf` into `out`. kMore: `buf` holds only part of
// it (it is left untouched). `eof`: the peer has closed, which ends a body without a length.
Parse parseResponse(std::string& buf, bool eof, Response& out, bool& closeAfter) {
  size_t headerEnd = buf.find("\r\n\r\n");
  if (headerEnd == std::string::npos) return Parse::kMore;
  std::string_view head(buf.data(), headerEnd);
  if (head.size() < 12 || head.substr(0, 5) != "HTTP/") return Parse::kBad;
  out.status = std::atoi(std::string(head.substr(9, 3)).c_str());
  out.body.clear();
  const bench::HttpHead h = bench::scanHttpHead(head);
  closeAfter = h.close;
  size_t at = headerEnd + 4;
  if (h.chunked) {
    for (;;) {
      size_t eol = buf.find("\r\n", at);
      if (eol == std::string::npos) return Parse::kMore;
      size_t size = std::strtoul(buf.c_str() + at, nullptr, 16);
      at = eol + 2;
      if (buf.size() < at + size + 2) return Parse::kMore;
      out.body.append(buf, at, size);
      at += size + 2;
      if (size == 0) break;  // (no trailers expected)
    }
  } else if (h.contentLength >= 0) {
    if (buf.size() < at + static_cast<size_t>(h.contentLength)) return Parse::kMore;
    out.body.assign(buf, at, static_cast<size_t>(h.contentLength));
    at += static_cast<size_t>(h.contentLength);
  } else {
    if (!eof) return Parse::kMore;
    out.body.assign(buf, at);
    at = buf.size();
    closeAfter = true;
  }
  buf.erase(0, at);
  return Parse::kDone;
}

// ---- HTTP/1.1 over a blocking, keep-alive TCP connection ---------------------------------------

class HttpConn {
 public:
  HttpConn(std::string host, int port) : host_(std::move(host)), port_(port) {}
  ~HttpConn() { close(); }
  HttpConn(const HttpConn&) = delete;
  HttpConn& operator=(const HttpConn&) = delete;

  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    buf_.clear();
  }

  // Sends `request` (a complete HTTP request) and reads the response. Reconnects once when a
  // kept-alive connection turns out closed. Returns nullopt on I/O errors.
  std::optional<Response> roundTrip(std::string_view request) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (fd_ < 0 && !connect()) return std::nullopt;
      bool fresh = attempt > 0;
      if (!sendAll(request)) {
        close();
        if (fresh) return std::nullopt;
        continue;
      }
      auto r = readResponse();
      if (r) return r;
      close();
      if (fresh) return std::nullopt;
    }
    return std::nullopt;
  }

 private:
  bool connect() {
    fd_ = bench::dial(host_, port_);
    return fd_ >= 0;
  }

  bool sendAll(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  bool fill() {
    char tmp[65536];
    for (;;) {
      ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      buf_.append(tmp, static_cast<size_t>(n));
      return true;
    }
  }

  std::optional<Response> readResponse() {
    for (;;) {
      Response r;
      bool closeAfter = false;
      switch (parseResponse(buf_, false, r, closeAfter)) {
        case Parse::kDone:
          if (closeAfter) close();
          return r;
        case Parse::kBad:
          return std::nullopt;
        case Parse::kMore:
          if (fill()) break;
          // The peer closed: a body delimited by the close ends here.
          if (parseResponse(buf_, true, r, closeAfter) != Parse::kDone) return std::nullopt;
          close();
          return r;
      }
    }
  }

  std::string host_;
  int port_;
  int fd_ = -1;
  std::string buf_;
};

std::string request(const Options& o, std::string_view operation, std::string_view body) {
  std::string r;
  r.reserve(body.size() + 512);
  r += "POST / HTTP/1.1\r\nHost: ";
  r += o.host + ":" + std::to_string(o.port);
  r += "\r\nContent-Type: application/x-amz-json-1.1\r\nX-Amz-Target: Kinesis_20131202.";
  r += operation;
  r += "\r\n";
  if (o.auth) {
    r += "X-Amz-Date: 20240101T000000Z\r\n"
         "Authorization: AWS4-HMAC-SHA256 "
         "Credential=AKIDBENCH/20240101/us-east-1/kinesis/aws4_request, "
         "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=00\r\n";
  }
  r += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  r += body;
  return r;
}

// The string value of "key":"..." in a flat JSON text (values here never contain quotes).
std::string jsonString(std::string_view body, std::string_view key) {
  std::string needle = "\"" + std::string(key) + "\"";
  size_t p = body.find(needle);
  if (p == std::string_view::npos) return {};
  p = body.find('"', p + needle.size());
  if (p == std::string_view::npos) return {};
  size_t e = body.find('"', p + 1);
  return e == std::string_view::npos ? std::string{} : std::string(body.substr(p + 1, e - p - 1));
}

long long jsonInt(std::string_view body, std::string_view key, long long dflt) {
  std::string needle = "\"" + std::string(key) + "\"";
  size_t p = body.find(needle);
  if (p == std::string_view::npos) return dflt;
  p = body.find(':', p + needle.size());
  if (p == std::string_view::npos) return dflt;
  return std::atoll(std::string(body.substr(p + 1, 24)).c_str());
}

std::string errorType(const Response& r) {
  auto t = jsonString(r.body, "__type");
  return "HTTP " + std::to_string(r.status) + (t.empty() ? "" : " " + t);
}

// Reports the first few distinct errors; callers count them.
void noteError(const std::string& what, const std::string& body) {
  static std::mutex mu;
  static std::map<std::string, int> seen;
  std::lock_guard lock(mu);
  if (seen[what]++ == 0 && seen.size() <= 5)
    std::cerr << "kinesis_load: " << what << ": " << body.substr(0, 300) << "\n";
}

std::optional<Response> call(HttpConn& c, const Options& o, std::string_view op,
                             const std::string& body) {
  return c.roundTrip(request(o, op, body));
}

// ---- CreateStream + wait for ACTIVE --------------------------------------------------------

int createStream(const Options& o) {
  HttpConn c(o.host, o.port);
  std::string name = "\"StreamName\":\"" + o.stream + "\"";
  auto r = call(c, o, "CreateStream",
                "{" + name + ",\"ShardCount\":" + std::to_string(o.createShards) + "}");
  if (!r) usage("cannot reach " + o.host + ":" + std::to_string(o.port));
  if (r->status != 200 && errorType(*r).find("ResourceInUseException") == std::string::npos) {
    std::cerr << "kinesis_load: CreateStream: " << errorType(*r) << " " << r->body << "\n";
    return 1;
  }
  auto deadline = Clock::now() + std::chrono::seconds(60);
  while (Clock::now() < deadline) {
    auto d = call(c, o, "DescribeStreamSummary", "{" + name + "}");
    if (d && d->status == 200 && jsonString(d->body, "StreamStatus") == "ACTIVE") {
      std::cout << "stream " << o.stream << " ACTIVE\n";
      return 0;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::cerr << "kinesis_load: stream " << o.stream << " not ACTIVE after 60 s\n";
  return 1;
}

// ---- PutRecords, PutRecord, GetShardIterator ------------------------------------------------

std::vector<std::string> putBodies(const Options& o, int conn, bool batch) {
  // A few distinct precomputed requests per connection, cycled; partition keys vary per record.
  std::vector<std::string> out;
  int variants = batch ? 4 : 64;
  for (int v = 0; v < variants; ++v) {
    std::string body;
    if (batch) {
      body = "{\"StreamName\":\"" + o.stream + "\",\"Records\":[";
      for (int i = 0; i < o.batch; ++i) {
        auto data =
            bench::payload(static_cast<size_t>(o.recordBytes), (conn * 1000003ull + v) * 7919 + i);
        if (i) body += ",";
        body += "{\"Data\":\"" + bench::base64(data.data(), data.size()) +
                "\",\"PartitionKey\":\"pk-" + std::to_string(conn) + "-" + std::to_string(v) + "-" +
                std::to_string(i) + "\"}";
      }
      body += "]}";
      out.push_back(request(o, "PutRecords", body));
    } else {
      auto data = bench::payload(static_cast<size_t>(o.recordBytes), conn * 1000003ull + v);
      body = "{\"StreamName\":\"" + o.stream + "\",\"Data\":\"" +
             bench::base64(data.data(), data.size()) + "\",\"PartitionKey\":\"pk-" +
             std::to_string(conn) + "-" + std::to_string(v) + "\"}";
      out.push_back(request(o, "PutRecord", body));
    }
  }
  return out;
}

std::vector<std::string> iteratorBodies(const Options& o) {
  return {request(o, "GetShardIterator",
                  "{\"StreamName\":\"" + o.stream +
                      "\",\"ShardId\":\"shardId-000000000000\",\"ShardIteratorType\":"
                      "\"TRIM_HORIZON\"}")};
}

// A closed loop of PutRecords, PutRecord or GetShardIterator requests: --connections keep-alive
// connections, each with one request in flight, driven by --threads event loops (epoll over
// non-blocking sockets, as wrk does). One loop wakes once for every answer that is ready, where
// a thread per connection would wake once per answer: on a small machine that the server shares
// with the load generator, those wake-ups would be charged to the server under test.
struct LoopShared {
  explicit LoopShared(const Options& options) : o(options) {}
  const Options& o;
  std::vector<std::vector<std::string>> bodies;  // per connection, cycled
  bool batch = false, iterator = false, fill = false;
  int perRequest = 1;
  uint64_t recordBytes = 0;
  Clock::time_point measureFrom, end;
  std::atomic<long long> tickets{-1};  // requests left to start in a fill; -1: unbounded
  std::atomic<bool> failedConnect{false};
};

class RequestLoop {
 public:
  RequestLoop(LoopShared& sh, bench::Totals& totals) : sh_(sh), t_(totals) {}
  ~RequestLoop() {
    for (auto& c : conns_) closeConn(c);
    if (ep_ >= 0) ::close(ep_);
  }
  RequestLoop(const RequestLoop&) = delete;
  RequestLoop& operator=(const RequestLoop&) = delete;

  void add(int connection) {
    conns_.emplace_back();
    conns_.back().index = connection;
  }

  void run() {
    ep_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (ep_ < 0) {
      noteError("epoll_create1", std::strerror(errno));
      ++t_.errors;
      return;
    }
    for (auto& c : conns_) start(c);
    // Answers still missing this long after the end count as errors (a blocking socket waited
    // 30 s for them too).
    const auto giveUp = sh_.end + std::chrono::seconds(30);
    epoll_event events[64];
    while (active() > 0) {
      auto now = Clock::now();
      if (now >= giveUp) {
        for (auto& c : conns_)
          if (c.request) {
            ++t_.errors;
            noteError("no answer within 30 s after the end", "");
            closeConn(c);
            c.request = nullptr;
          }
        break;
      }
      auto wake = giveUp;
      for (auto& c : conns_)
        if (!c.done && !c.request) wake = std::min(wake, c.resumeAt);
      auto waitMs = std::chrono::ceil<std::chrono::milliseconds>(wake - now).count();
      int n = ::epoll_wait(ep_, events, 64, static_cast<int>(std::max<long long>(0, waitMs)));
      if (n < 0 && errno != EINTR) {
        noteError("epoll_wait", std::strerror(errno));
        ++t_.errors;
        break;
      }
      for (int i = 0; i < n; ++i) {
        Conn& c = conns_[events[i].data.u32];
        if (events[i].events & EPOLLOUT) send(c);
        if (c.fd >= 0 && (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))) receive(c);
      }
      now = Clock::now();
      for (auto& c : conns_)
        if (!c.done && !c.request && c.resumeAt <= now) start(c);
    }
  }

 private:
  struct Conn {
    int index = 0;  // the connection's number: picks its requests
    int fd = -1;
    bool fresh = false;    // connected for the request in flight: a failure is not retried
    bool writing = false;  // waits for EPOLLOUT
    bool done = false;     // starts no more requests
    const std::string* request = nullptr;  // in flight
    size_t sent = 0, started = 0;
    std::string in;
    Clock::time_point t0, resumeAt;
  };

  size_t active() const {
    size_t n = 0;
    for (auto& c : conns_) n += !c.done || c.request;
    return n;
  }

  uint32_t slot(const Conn& c) const { return static_cast<uint32_t>(&c - conns_.data()); }

  void closeConn(Conn& c) {
    if (c.fd >= 0) ::close(c.fd);  // (closing removes it from the epoll set)
    c.fd = -1;
    c.writing = false;
    c.in.clear();
  }

  bool connect(Conn& c) {
    c.fd = bench::dial(sh_.o.host, sh_.o.port);
    if (c.fd < 0) return false;
    ::fcntl(c.fd, F_SETFL, ::fcntl(c.fd, F_GETFL) | O_NONBLOCK);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = slot(c);
    if (::epoll_ctl(ep_, EPOLL_CTL_ADD, c.fd, &ev) != 0) {
      closeConn(c);
      return false;
    }
    return true;
  }

  void start(Conn& c) {
    auto now = Clock::now();
    if (now >= sh_.end || (sh_.fill && sh_.tickets.fetch_sub(1) <= 0)) {
      c.done = true;
      return;
    }
    const auto& mine = sh_.bodies[static_cast<size_t>(c.index)];
    c.request = &mine[c.started++ % mine.size()];
    c.t0 = now;
    c.fresh = false;
    transmit(c);
  }

  // Sends the request in flight from its start, on the open connection or a new one.
  void transmit(Conn& c) {
    c.sent = 0;
    c.in.clear();
    if (c.fd < 0) {
      c.fresh = true;
      if (!connect(c)) return failed(c, errno);
    }
    send(c);
  }

  void send(Conn& c) {
    if (!c.request) return;
    while (c.sent < c.request->size()) {
      ssize_t n = ::send(c.fd, c.request->data() + c.sent, c.request->size() - c.sent,
                         MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        c.sent += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return watchWrites(c, true);
      return broken(c, n < 0 ? errno : ECONNRESET);
    }
    watchWrites(c, false);
  }

  void watchWrites(Conn& c, bool on) {
    if (c.writing == on) return;
    epoll_event ev{};
    ev.events = EPOLLIN | (on ? EPOLLOUT : 0u);
    ev.data.u32 = slot(c);
    ::epoll_ctl(ep_, EPOLL_CTL_MOD, c.fd, &ev);
    c.writing = on;
  }

  void receive(Conn& c) {
    char tmp[65536];
    bool eof = false;
    int err = 0;
    for (;;) {
      ssize_t n = ::recv(c.fd, tmp, sizeof tmp, MSG_DONTWAIT);
      if (n > 0) {
        c.in.append(tmp, static_cast<size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      eof = true;
      err = n < 0 ? errno : ECONNRESET;
      break;
    }
    if (!c.request) {  // an idle connection closed by the server: reconnect for the next request
      if (eof) closeConn(c);
      return;
    }
    Response r;
    bool closeAfter = false;
    // Everything the socket had is read, so whether the peer has closed is known already.
    const Parse p = parseResponse(c.in, eof, r, closeAfter);
    if (p == Parse::kDone) {
      if (closeAfter || eof) closeConn(c);
      return answered(c, r);
    }
    if (p == Parse::kBad || eof) broken(c, p == Parse::kBad ? EPROTO : err);
  }

  // The connection failed under the request in flight: a kept-alive connection may have been
  // closed by the server meanwhile, so the request goes once more on a new one.
  void broken(Conn& c, int err) {
    closeConn(c);
    if (!c.fresh) return transmit(c);
    failed(c, err);
  }

  void failed(Conn& c, int err) {
    auto now = Clock::now();
    if (c.t0 >= sh_.measureFrom && now <= sh_.end) ++t_.errors;
    noteError("connection error", std::strerror(err));
    if (c.started == 1) sh_.failedConnect = true;
    if (sh_.fill) sh_.tickets.fetch_add(1);
    pause(c, std::chrono::milliseconds(100));
  }

  void pause(Conn& c, std::chrono::milliseconds d) {
    c.request = nullptr;
    c.resumeAt = Clock::now() + d;
  }

  void answered(Conn& c, const Response& r) {
    auto t1 = Clock::now();
    bool counted = c.t0 >= sh_.measureFrom && t1 <= sh_.end;
    c.request = nullptr;
    if (r.status != 200) {
      if (counted) ++t_.errors;
      noteError(errorType(r), r.body);
      if (sh_.fill) sh_.tickets.fetch_add(1);  // the fill must reach its count
      return pause(c, std::chrono::milliseconds(10));
    }
    long long failed = sh_.batch ? jsonInt(r.body, "FailedRecordCount", 0) : 0;
    if (failed) noteError("PutRecords FailedRecordCount > 0", r.body);
    if (sh_.iterator && jsonString(r.body, "ShardIterator").empty()) {
      if (counted) ++t_.errors;
      noteError("GetShardIterator without a ShardIterator", r.body);
    } else if (counted) {
      ++t_.requests;
      t_.records += static_cast<uint64_t>(sh_.perRequest - failed);
      t_.bytes += static_cast<uint64_t>(sh_.perRequest - failed) * sh_.recordBytes;
      t_.failedRecords += static_cast<uint64_t>(failed);
      t_.latency.add(static_cast<uint64_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(t1 - c.t0).count()));
    }
    start(c);
  }

  LoopShared& sh_;
  bench::Totals& t_;
  std::vector<Conn> conns_;
  int ep_ = -1;
};

int runLoop(const Options& o) {
  LoopShared sh(o);
  sh.batch = o.op == "putrecords";
  sh.iterator = o.op == "getsharditerator";
  sh.perRequest = sh.batch ? o.batch : 1;
  sh.recordBytes = static_cast<uint64_t>(sh.iterator ? 0 : o.recordBytes);
  sh.fill = o.maxRecords > 0;
  double warmup = sh.fill ? 0 : o.warmup;
  for (int c = 0; c < o.connections; ++c)
    sh.bodies.push_back(sh.iterator ? iteratorBodies(o) : putBodies(o, c, sh.batch));
  if (sh.fill) sh.tickets = (o.maxRecords + sh.perRequest - 1) / sh.perRequest;

  int threads = std::min(o.threads, o.connections);
  std::vector<bench::Totals> totals(static_cast<size_t>(threads));
  std::vector<std::unique_ptr<RequestLoop>> loops;
  for (int i = 0; i < threads; ++i)
    loops.push_back(std::make_unique<RequestLoop>(sh, totals[static_cast<size_t>(i)]));
  for (int c = 0; c < o.connections; ++c) loops[static_cast<size_t>(c % threads)]->add(c);

  bench::ProcWatcher watch(o.watchPid);
  bench::CpuMeter broker(o.brokerPid);
  auto start = Clock::now();
  sh.measureFrom =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(warmup));
  sh.end = sh.measureFrom +
           std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.duration));
  std::vector<std::thread> running;
  for (auto& l : loops) running.emplace_back([&l] { l->run(); });
  std::this_thread::sleep_until(sh.measureFrom);
  double cpu0 = bench::selfCpuSeconds();
  watch.start();
  broker.start();
  for (auto& th : running) th.join();
  watch.stop();
  broker.stop();
  double secs = sh.fill ? bench::secondsSince(start) : o.duration;
  if (!sh.fill && Clock::now() < sh.end)
    secs = bench::secondsSince(sh.measureFrom);  // every connection failed early
  bench::Totals all;
  for (auto& t : totals) {
    all.requests += t.requests;
    all.records += t.records;
    all.bytes += t.bytes;
    all.failedRecords += t.failedRecords;
    all.errors += t.errors;
    all.latency.merge(t.latency);
  }
  std::string line = bench::resultLine(o.label.empty() ? o.op : o.label, all, secs,
                                       bench::selfCpuSeconds() - cpu0);
  watch.describe(line);
  broker.describe(line, "broker_cpu_pct");
  std::cout << line << std::endl;
  if (sh.fill && static_cast<long long>(all.records) < o.maxRecords) {
    std::cerr << "kinesis_load: fill stopped at " << all.records << " of " << o.maxRecords
              << " records\n";
    return 1;
  }
  return (all.errors || all.failedRecords || sh.failedConnect) ? 1 : 0;
}

// ---- GetRecords drain ----------------------------------------------------------------------

// Counts records and their decoded data bytes in a GetRecords answer, and finds the next iterator.
struct Page {
  uint64_t records = 0, bytes = 0;
  std::string next;
};

Page scanRecords(std::string_view body) {
  Page p;
  static constexpr std::string_view kData = "\"Data\":\"";
  for (size_t at = body.find(kData); at != std::string_view::npos; at = body.find(kData, at)) {
    at += kData.size();
    size_t e = body.find('"', at);
    if (e == std::string_view::npos) break;
    size_t len = e - at, pad = 0;
    if (len && body[e - 1] == '=') ++pad;
    if (len > 1 && body[e - 2] == '=') ++pad;
    p.bytes += len / 4 * 3 - pad;
    ++p.records;
    at = e;
  }
  p.next = jsonString(body, "NextShardIterator");
  return p;
}

int runDrain(const Options& o) {
  if (o.expect <= 0) usage("--op drain needs --expect N");
  HttpConn conn(o.host, o.port);
  bench::Totals t;
  bench::ProcWatcher watch(o.watchPid);
  bench::CpuMeter broker(o.brokerPid);
  std::string itBody =
      "{\"StreamName\":\"" + o.stream +
      "\",\"ShardId\":\"shardId-000000000000\",\"ShardIteratorType\":\"TRIM_HORIZON\"}";
  auto start = Clock::now();
  auto deadline = start + std::chrono::duration_cast<Clock::duration>(
                              std::chrono::duration<double>(o.duration));
  // A pass may overrun the duration, but never this hard cap.
  auto hardCap = deadline + std::chrono::seconds(60);
  double cpu0 = bench::selfCpuSeconds();
  watch.start();
  broker.start();
  int passes = 0, shortPasses = 0;
  while (Clock::now() < deadline) {
    auto r = call(conn, o, "GetShardIterator", itBody);
    if (!r || r->status != 200) {
      ++t.errors;
      noteError(r ? errorType(*r) : "connection error", r ? r->body : "");
      break;
    }
    std::string it = jsonString(r->body, "ShardIterator");
    long long got = 0;
    int emptyInARow = 0;
    while (got < o.expect && Clock::now() < hardCap) {
      auto t0 = Clock::now();
      auto g = call(conn, o, "GetRecords",
                    "{\"ShardIterator\":\"" + it + "\",\"Limit\":" + std::to_string(o.limit) + "}");
      auto t1 = Clock::now();
      if (!g || g->status != 200) {
        ++t.errors;
        noteError(g ? errorType(*g) : "connection error", g ? g->body : "");
        if (!g) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        continue;
      }
      Page p = scanRecords(g->body);
      ++t.requests;
      t.records += p.records;
      t.bytes += p.bytes;
      t.latency.add(static_cast<uint64_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(t1 - t0).count()));
      got += static_cast<long long>(p.records);
      if (p.next.empty()) break;
      it = p.next;
      // A shard that stays empty before the expected count means the fill fell short.
      if (p.records == 0 && ++emptyInARow >= 20) break;
      if (p.records) emptyInARow = 0;
    }
    ++passes;
    if (t.bytes != t.records * static_cast<uint64_t>(o.recordBytes)) {
      ++t.errors;
      noteError("drain: record sizes differ from --record-bytes",
                std::to_string(t.bytes) + " bytes in " + std::to_string(t.records) + " records");
    }
    if (got < o.expect) {
      ++shortPasses;
      std::cerr << "kinesis_load: drain pass " << passes << " read " << got << " of " << o.expect
                << " records\n";
      break;
    }
  }
  watch.stop();
  broker.stop();
  double secs = bench::secondsSince(start);
  std::string line = bench::resultLine(o.label.empty() ? "drain" : o.label, t, secs,
                                       bench::selfCpuSeconds() - cpu0);
  line += " passes=" + std::to_string(passes);
  watch.describe(line);
  broker.describe(line, "broker_cpu_pct");
  std::cout << line << std::endl;
  return (t.errors || shortPasses) ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  std::string endpoint;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) usage(a + " needs a value");
      return argv[++i];
    };
    if (a == "--endpoint")
      endpoint = next();
    else if (a == "--stream")
      o.stream = next();
    else if (a == "--op")
      o.op = next();
    else if (a == "--label")
      o.label = next();
    else if (a == "--auth")
      o.auth = true;
    else if (a == "--broker-pid")
      o.brokerPid = std::stoi(next());
    else if (a == "--watch-pid")
      o.watchPid = std::stoi(next());
    else if (a == "--create-stream")
      o.createShards = std::stoi(next());
    else if (a == "--connections")
      o.connections = std::stoi(next());
    else if (a == "--threads")
      o.threads = std::stoi(next());
    else if (a == "--duration")
      o.duration = std::stod(next());
    else if (a == "--warmup")
      o.warmup = std::stod(next());
    else if (a == "--batch")
      o.batch = std::stoi(next());
    else if (a == "--record-bytes")
      o.recordBytes = std::stoi(next());
    else if (a == "--max-records")
      o.maxRecords = std::stoll(next());
    else if (a == "--expect")
      o.expect = std::stoll(next());
    else if (a == "--limit")
      o.limit = std::stoi(next());
    else
      usage("unknown argument " + a);
  }
  const std::string prefix = "http://";
  if (endpoint.rfind(prefix, 0) != 0) usage("--endpoint http://127.0.0.1:PORT is required");
  auto hostPort = endpoint.substr(prefix.size());
  if (!hostPort.empty() && hostPort.back() == '/') hostPort.pop_back();
  auto colon = hostPort.rfind(':');
  if (colon == std::string::npos) usage("--endpoint needs a port");
  o.host = hostPort.substr(0, colon);
  if (o.host == "localhost") o.host = "127.0.0.1";
  o.port = std::stoi(hostPort.substr(colon + 1));
  in_addr a{};
  if (inet_pton(AF_INET, o.host.c_str(), &a) != 1 || (ntohl(a.s_addr) >> 24) != 127)
    usage("only loopback endpoints (127.0.0.0/8) are allowed");
  if (o.stream.empty()) usage("--stream is required");
  if (o.connections < 1 || o.connections > 256) usage("--connections must be 1..256");
  if (o.threads < 1 || o.threads > 64) usage("--threads must be 1..64");
  if (o.duration <= 0 || o.duration > 600) usage("--duration must be in (0, 600] seconds");
  if (o.batch < 1 || o.batch > 500) usage("--batch must be 1..500");

  if (o.createShards > 0) return createStream(o);
  if (o.op == "putrecords" || o.op == "putrecord" || o.op == "getsharditerator") return runLoop(o);
  if (o.op == "drain") return runDrain(o);
  usage("one of --create-stream N or --op putrecords|putrecord|getsharditerator|drain is required");
}
