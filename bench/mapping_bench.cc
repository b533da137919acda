// mapping_bench — measures kbridge's handler runtime (event source mappings, issue 4); driven by
// bench/mappings.sh. Three modes:
//
//   mapping_bench latency --port-file F --endpoints-file E --stream S --mapping M
//                         [--rate 500] [--duration 10] [--put-batch 5] [--record-bytes 100]
//                         [--drain-timeout 30] [--ready-timeout 120]
//       Serves the webhook: a blocking HTTP/1.1 server on 127.0.0.1, port picked by the kernel and
//       written to F (written whole, then renamed) before anything else, so the script can put it
//       into kbridge's config. Then waits for E ("kinesis=http://... admin=http://... [pid=P]",
//       written by the script once kbridge is ready and the stream exists; P is watched like
//       --watch-pid), waits until mapping M runs
//       (GET /v1/mappings), sends probe records until one reaches the webhook (the consumer group
//       has joined and LATEST is resolved), and then sends --rate records/s for --duration s on
//       one keep-alive connection: PutRecords of --put-batch records on a fixed schedule (open
//       loop). Each record's data carries a sequence number and its send time (taken just before
//       its request is written). Every webhook POST (Lambda's Kinesis event JSON) is timestamped
//       as soon as its body is read, answered 200 `{}`, then decoded: latency = receive - send.
//       Waits up to --drain-timeout s for every record sent to arrive.
//
//   mapping_bench raw-consume --bootstrap B --topic T --expect N [--timeout 120]
//       The yardstick: a raw librdkafka high-level consumer (subscribe with a fresh group, like
//       kbridge's mapping consumer, with kbridge's consumer settings) reads T from the beginning
//       and does nothing with each message. Rate = records after the first / (time of the N-th
//       message - time of the first), so the group join does not count (as it does not for the
//       kbridge rows).
//
//   mapping_bench watch --admin URL --mapping M --expect N [--interval-ms 20] [--timeout 300]
//       Polls kbridge's GET /v1/mappings every --interval-ms from the start, and measures mapping
//       M's `delivered` counter (--series FILE writes "ms delivered" per poll): rate = (N -
//       delivered at the first poll that saw a delivery) / (time delivered reached N - time of that
//       poll).
//
// --watch-pid P (kbridge) and --broker-pid P add their CPU share over the measured window. Each
// mode prints one `result ...` line on stdout; diagnostics go to stderr. Exit status 1 when the
// run failed (lost records, timeouts, errors), 2 on usage errors. Only loopback addresses are
// used or accepted; every wait is bounded in time.

#include <arpa/inet.h>
#include <librdkafka/rdkafka.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "bench_common.h"

namespace {

using bench::Clock;
using namespace std::chrono_literals;

struct Options {
  std::string mode;
  // latency
  std::string portFile, endpointsFile, stream, mapping;
  double rate = 500, duration = 10, drainTimeout = 30, readyTimeout = 120;
  int putBatch = 5, recordBytes = 100;
  // raw-consume / watch
  std::string bootstrap, topic, admin;
  long long expect = 0;
  double timeout = 300;
  int intervalMs = 20;
  double skip = 0.1;  // the leading share of the records that is not timed (ramp-up)
  int watchPid = 0, brokerPid = 0;
  std::string label;
  std::string seriesFile;  // watch: "ms delivered" per poll
};

[[noreturn]] void usage(const std::string& msg) {
  std::cerr << "mapping_bench: " << msg
            << "\n(see the comment at the top of bench/mapping_bench.cc)\n";
  std::exit(2);
}

void note(const std::string& msg) {
  std::cerr << "mapping_bench: " << msg << std::endl;
}

bool isLoopback(const std::string& host) {
  in_addr a{};
  return host == "localhost" ||
         (inet_pton(AF_INET, host.c_str(), &a) == 1 && (ntohl(a.s_addr) >> 24) == 127);
}

struct Endpoint {
  std::string host;
  int port = 0;
};

Endpoint parseUrl(const std::string& url) {
  const std::string prefix = "http://";
  if (url.rfind(prefix, 0) != 0) usage("not an http:// URL: " + url);
  auto hostPort = url.substr(prefix.size());
  if (auto slash = hostPort.find('/'); slash != std::string::npos) hostPort.resize(slash);
  auto colon = hostPort.rfind(':');
  if (colon == std::string::npos) usage("URL needs a port: " + url);
  Endpoint e{hostPort.substr(0, colon), std::stoi(hostPort.substr(colon + 1))};
  if (e.host == "localhost") e.host = "127.0.0.1";
  if (!isLoopback(e.host)) usage("only loopback endpoints are allowed: " + url);
  return e;
}

std::int64_t nowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

// ---- a blocking HTTP/1.1 client (keep-alive) ---------------------------------------------------

struct Response {
  int status = 0;
  std::string body;
};

bool sendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

bool recvMore(int fd, std::string& buf) {
  char tmp[65536];
  for (;;) {
    ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    buf.append(tmp, static_cast<size_t>(n));
    return true;
  }
}

// Reads the body that follows a head ending at `at` in `buf`; returns the offset past it.
std::optional<size_t> readBody(int fd, std::string& buf, size_t at, const bench::HttpHead& h,
                               std::string& body, bool untilClose) {
  body.clear();
  if (h.chunked) {
    for (;;) {
      size_t eol;
      while ((eol = buf.find("\r\n", at)) == std::string::npos)
        if (!recvMore(fd, buf)) return std::nullopt;
      size_t size = std::strtoul(buf.c_str() + at, nullptr, 16);
      at = eol + 2;
      if (size == 0) {  // trailers (none expected) end with an empty line
        size_t end;
        while ((end = buf.find("\r\n", at)) == std::string::npos)
          if (!recvMore(fd, buf)) return std::nullopt;
        return end + 2;
      }
      while (buf.size() < at + size + 2)
        if (!recvMore(fd, buf)) return std::nullopt;
      body.append(buf, at, size);
      at += size + 2;
    }
  }
  if (h.contentLength >= 0) {
    while (buf.size() < at + static_cast<size_t>(h.contentLength))
      if (!recvMore(fd, buf)) return std::nullopt;
    body.assign(buf, at, static_cast<size_t>(h.contentLength));
    return at + static_cast<size_t>(h.contentLength);
  }
  if (!untilClose) return at;  // a request without a body
  while (recvMore(fd, buf)) {
  }
  body.assign(buf, at);
  return buf.size();
}

class HttpClient {
 public:
  explicit HttpClient(Endpoint e) : e_(std::move(e)) {}
  ~HttpClient() { close(); }
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  std::optional<Response> call(const std::string& method, const std::string& path,
                               const std::string& extraHeaders, const std::string& body) {
    std::string req = method + " " + path + " HTTP/1.1\r\nHost: " + e_.host + ":" +
                      std::to_string(e_.port) + "\r\n" + extraHeaders +
                      "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (fd_ < 0 && !connect()) return std::nullopt;
      if (sendAll(fd_, req)) {
        if (auto r = readResponse()) return r;
      }
      close();
      if (attempt > 0) return std::nullopt;
    }
    return std::nullopt;
  }

  std::optional<Response> kinesis(const std::string& operation, const std::string& body) {
    return call("POST", "/",
                "Content-Type: application/x-amz-json-1.1\r\nX-Amz-Target: Kinesis_20131202." +
                    operation + "\r\n",
                body);
  }

 private:
  bool connect() {
    fd_ = bench::dial(e_.host, e_.port);
    return fd_ >= 0;
  }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    buf_.clear();
  }
  std::optional<Response> readResponse() {
    size_t headerEnd;
    while ((headerEnd = buf_.find("\r\n\r\n")) == std::string::npos)
      if (!recvMore(fd_, buf_)) return std::nullopt;
    std::string_view head(buf_.data(), headerEnd);
    if (head.size() < 12 || head.substr(0, 5) != "HTTP/") return std::nullopt;
    Response r;
    r.status = std::atoi(std::string(head.substr(9, 3)).c_str());
    bench::HttpHead h = bench::scanHttpHead(head);
    auto end = readBody(fd_, buf_, headerEnd + 4, h, r.body, true);
    if (!end) return std::nullopt;
    buf_.erase(0, *end);
    if (h.close || (h.contentLength < 0 && !h.chunked)) close();
    return r;
  }

  Endpoint e_;
  int fd_ = -1;
  std::string buf_;
};

// ---- base64 decoding -----------------------------------------------------------------------

std::string unbase64(std::string_view in) {
  static const auto table = [] {
    std::array<int8_t, 256> t{};
    t.fill(-1);
    const char* chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(chars[i])] = static_cast<int8_t>(i);
    return t;
  }();
  std::string out;
  out.reserve(in.size() / 4 * 3);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v = table[static_cast<unsigned char>(c)];
    if (v < 0) continue;  // '=' padding
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return out;
}

// ---- the webhook server --------------------------------------------------------------------

// A blocking HTTP/1.1 server on 127.0.0.1: one thread accepts, one thread per connection reads
// requests (Content-Length or chunked bodies, Expect: 100-continue), timestamps each body as soon
// as it is complete, answers 200 `{}` (keep-alive) and then passes (body, receive time) on.
class WebhookServer {
 public:
  using OnPost = std::function<void(const std::string& body, std::int64_t receivedNs)>;

  explicit WebhookServer(OnPost onPost) : onPost_(std::move(onPost)) {
    listenFd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (listenFd_ < 0) throw std::runtime_error("socket: " + std::string(std::strerror(errno)));
    int one = 1;
    setsockopt(listenFd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = 0;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listenFd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listenFd_, 64) != 0)
      throw std::runtime_error("bind/listen: " + std::string(std::strerror(errno)));
    socklen_t len = sizeof addr;
    getsockname(listenFd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { acceptLoop(); });
  }

  ~WebhookServer() { stop(); }

  int port() const { return port_; }
  uint64_t requests() const { return requests_.load(); }
  uint64_t badRequests() const { return bad_.load(); }

  void stop() {
    if (stopping_.exchange(true)) return;
    ::shutdown(listenFd_, SHUT_RDWR);
    acceptor_.join();
    ::close(listenFd_);
    std::vector<std::thread> threads;
    {
      std::lock_guard lock(mu_);
      for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
      threads.swap(threads_);
    }
    for (auto& t : threads) t.join();
  }

 private:
  void acceptLoop() {
    while (!stopping_) {
      int fd = ::accept(listenFd_, nullptr, nullptr);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        return;  // shut down
      }
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      std::lock_guard lock(mu_);
      if (stopping_) {
        ::close(fd);
        return;
      }
      fds_.push_back(fd);
      threads_.emplace_back([this, fd] { serve(fd); });
    }
  }

  void serve(int fd) {
    std::string buf, body;
    for (;;) {
      size_t headerEnd;
      bool ok = true;
      while ((headerEnd = buf.find("\r\n\r\n")) == std::string::npos)
        if (!recvMore(fd, buf)) {
          ok = false;
          break;
        }
      if (!ok) break;
      std::string_view head(buf.data(), headerEnd);
      bool post = head.rfind("POST ", 0) == 0;
      bench::HttpHead h = bench::scanHttpHead(head);
      if (h.expectContinue && !sendAll(fd, "HTTP/1.1 100 Continue\r\n\r\n")) break;
      auto end = readBody(fd, buf, headerEnd + 4, h, body, false);
      if (!end) break;
      std::int64_t received = nowNs();
      buf.erase(0, *end);
      ++requests_;
      const char* reply = post ? "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                 "Content-Length: 2\r\n\r\n{}"
                               : "HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n";
      if (!sendAll(fd, reply)) break;
      if (post)
        onPost_(body, received);
      else
        ++bad_;
      if (h.close) break;
    }
    std::lock_guard lock(mu_);
    ::close(fd);
    fds_.erase(std::remove(fds_.begin(), fds_.end(), fd), fds_.end());
  }

  OnPost onPost_;
  int listenFd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> requests_{0}, bad_{0};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<int> fds_;
  std::vector<std::thread> threads_;
};

// ---- helpers shared by the modes -----------------------------------------------------------

// The mapping's entry in GET /v1/mappings, or a null json when it is absent or kbridge did not
// answer.
nlohmann::json mappingStatus(HttpClient& admin, const std::string& name) {
  auto r = admin.call("GET", "/v1/mappings", "", "");
  if (!r || r->status != 200) return nullptr;
  auto doc = nlohmann::json::parse(r->body, nullptr, false);
  if (doc.is_discarded() || !doc.contains("mappings") || !doc["mappings"].is_array())
    return nullptr;
  for (const auto& m : doc["mappings"])
    if (m.value("name", "") == name) return m;
  return nullptr;
}

uint64_t counter(const nlohmann::json& m, const char* key) {
  if (!m.is_object() || !m.contains(key) || !m[key].is_number()) return 0;
  return m[key].get<uint64_t>();
}

void writeFileAtomically(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp);
    f << text;
    if (!f) usage("cannot write " + tmp);
  }
  std::filesystem::rename(tmp, path);
}

// ---- latency -------------------------------------------------------------------------------

// The data of a bench record: "KBMB" + phase ('P' probe, 'M' measured) + 16 hex digits of the
// sequence + 16 hex digits of the send time (steady clock, ns) + filler up to --record-bytes.
constexpr std::string_view kMagic = "KBMB";
constexpr size_t kHeaderBytes = 4 + 1 + 16 + 16;

std::string recordData(char phase, uint64_t seq, std::int64_t sendNs, size_t bytes) {
  char head[kHeaderBytes + 1];
  std::snprintf(head, sizeof head, "KBMB%c%016llx%016llx", phase,
                static_cast<unsigned long long>(seq), static_cast<unsigned long long>(sendNs));
  std::string out(head, kHeaderBytes);
  static const auto filler = bench::payload(4096, 42);
  for (size_t i = out.size(); i < bytes; ++i) out += static_cast<char>(filler[i % filler.size()]);
  return out;
}

struct LatencyState {
  std::mutex mu;
  bench::Histogram hist;
  std::vector<uint8_t> seen;             // measured records, by sequence
  std::vector<std::int64_t> receivedNs;  // when each measured record reached the webhook
  uint64_t measured = 0;                 // distinct measured records received
  uint64_t duplicates = 0;
  uint64_t probes = 0;
  uint64_t foreign = 0;  // records that are not ours
  uint64_t posts = 0, postRecords = 0, maxBatch = 0;
  uint64_t badPosts = 0;
  double maxMs = 0, sumMs = 0;
};

void onWebhookPost(LatencyState& st, const std::string& body, std::int64_t receivedNs) {
  auto doc = nlohmann::json::parse(body, nullptr, false);
  std::lock_guard lock(st.mu);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("Records") ||
      !doc["Records"].is_array()) {
    if (st.badPosts++ == 0) note("webhook: not a Kinesis event: " + body.substr(0, 300));
    return;
  }
  const auto& records = doc["Records"];
  ++st.posts;
  st.postRecords += records.size();
  st.maxBatch = std::max<uint64_t>(st.maxBatch, records.size());
  for (const auto& r : records) {
    const nlohmann::json* data = nullptr;
    if (r.is_object() && r.contains("kinesis") && r["kinesis"].is_object() &&
        r["kinesis"].contains("data") && r["kinesis"]["data"].is_string())
      data = &r["kinesis"]["data"];
    if (!data) {
      ++st.foreign;
      continue;
    }
    std::string raw = unbase64(data->get_ref<const std::string&>());
    if (raw.size() < kHeaderBytes || std::string_view(raw).substr(0, 4) != kMagic) {
      ++st.foreign;
      continue;
    }
    char phase = raw[4];
    uint64_t seq = std::strtoull(raw.substr(5, 16).c_str(), nullptr, 16);
    auto sendNs = static_cast<std::int64_t>(std::strtoull(raw.substr(21, 16).c_str(), nullptr, 16));
    if (phase == 'P') {
      ++st.probes;
      continue;
    }
    if (phase != 'M' || seq >= st.seen.size()) {
      ++st.foreign;
      continue;
    }
    if (st.seen[seq]) {
      ++st.duplicates;
      continue;
    }
    st.seen[seq] = 1;
    st.receivedNs[seq] = receivedNs;
    ++st.measured;
    double ms = static_cast<double>(receivedNs - sendNs) / 1e6;
    st.maxMs = std::max(st.maxMs, ms);
    st.sumMs += ms;
    st.hist.add(static_cast<uint64_t>(std::max<std::int64_t>(0, (receivedNs - sendNs) / 1000)));
  }
}

std::string putRecordsBody(const std::string& stream, char phase, uint64_t firstSeq, int n,
                           std::int64_t sendNs, size_t bytes) {
  std::string body = "{\"StreamName\":\"" + stream + "\",\"Records\":[";
  for (int i = 0; i < n; ++i) {
    auto data = recordData(phase, firstSeq + static_cast<uint64_t>(i), sendNs, bytes);
    if (i) body += ",";
    body += "{\"Data\":\"" +
            bench::base64(reinterpret_cast<const unsigned char*>(data.data()), data.size()) +
            "\",\"PartitionKey\":\"pk-" + std::to_string(firstSeq + static_cast<uint64_t>(i)) +
            "\"}";
  }
  body += "]}";
  return body;
}

// PutRecords; true when every record was accepted.
bool putRecords(HttpClient& kin, const std::string& body, int n, std::string& why) {
  auto r = kin.kinesis("PutRecords", body);
  if (!r) {
    why = "connection error";
    return false;
  }
  if (r->status != 200) {
    why = "HTTP " + std::to_string(r->status) + " " + r->body.substr(0, 200);
    return false;
  }
  auto doc = nlohmann::json::parse(r->body, nullptr, false);
  if (doc.is_discarded() || doc.value("FailedRecordCount", -1) != 0 || !doc.contains("Records") ||
      static_cast<int>(doc["Records"].size()) != n) {
    why = "PutRecords reply: " + r->body.substr(0, 200);
    return false;
  }
  return true;
}

int runLatency(const Options& o) {
  if (o.portFile.empty() || o.endpointsFile.empty() || o.stream.empty() || o.mapping.empty())
    usage("latency needs --port-file, --endpoints-file, --stream and --mapping");
  if (o.rate <= 0 || o.putBatch < 1 || o.putBatch > 500) usage("bad --rate or --put-batch");
  if (o.recordBytes < static_cast<int>(kHeaderBytes) || o.recordBytes > 1 << 20)
    usage("--record-bytes must be at least " + std::to_string(kHeaderBytes));
  const auto requestsTotal = static_cast<uint64_t>(o.rate * o.duration / o.putBatch + 0.5);
  const uint64_t planned = requestsTotal * static_cast<uint64_t>(o.putBatch);

  LatencyState st;
  st.seen.assign(planned, 0);
  st.receivedNs.assign(planned, 0);
  std::vector<std::int64_t> ackNs(requestsTotal, 0);  // when each PutRecords' answer was read
  WebhookServer server(
      [&](const std::string& body, std::int64_t t) { onWebhookPost(st, body, t); });
  writeFileAtomically(o.portFile, std::to_string(server.port()) + "\n");
  note("webhook listening on 127.0.0.1:" + std::to_string(server.port()));

  // The endpoints, once the script has started kbridge and created the stream.
  std::string kinesisUrl, adminUrl;
  int kbridgePid = o.watchPid;
  auto readyBy = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(o.readyTimeout));
  while (Clock::now() < readyBy) {
    std::ifstream f(o.endpointsFile);
    std::string word;
    while (f >> word) {
      if (word.rfind("kinesis=", 0) == 0) kinesisUrl = word.substr(8);
      if (word.rfind("admin=", 0) == 0) adminUrl = word.substr(6);
      if (word.rfind("pid=", 0) == 0) kbridgePid = std::atoi(word.c_str() + 4);
    }
    if (!kinesisUrl.empty() && !adminUrl.empty()) break;
    std::this_thread::sleep_for(50ms);
  }
  if (kinesisUrl.empty() || adminUrl.empty()) {
    note("no endpoints in " + o.endpointsFile + " within the ready timeout");
    return 1;
  }
  HttpClient kin(parseUrl(kinesisUrl)), admin(parseUrl(adminUrl));

  // 1. The mapping runs.
  auto t0 = Clock::now();
  nlohmann::json status;
  while (Clock::now() < readyBy) {
    status = mappingStatus(admin, o.mapping);
    if (status.is_object() && status.value("running", false)) break;
    std::this_thread::sleep_for(100ms);
  }
  if (!status.is_object() || !status.value("running", false)) {
    note("mapping " + o.mapping +
         " is not running: " + (status.is_null() ? "absent" : status.dump()));
    return 1;
  }
  // 2. Probes until one is delivered: the group has joined and the shard's LATEST is resolved.
  uint64_t probeSeq = 0;
  bool joined = false;
  while (Clock::now() < readyBy) {
    std::string why;
    if (!putRecords(kin,
                    putRecordsBody(o.stream, 'P', probeSeq++, 1, nowNs(),
                                   static_cast<size_t>(o.recordBytes)),
                    1, why))
      note("probe: " + why);
    for (int i = 0; i < 20 && !joined; ++i) {
      std::this_thread::sleep_for(10ms);
      std::lock_guard lock(st.mu);
      joined = st.probes > 0;
    }
    if (joined) break;
  }
  if (!joined) {
    note("no probe record reached the webhook within the ready timeout; mapping: " +
         mappingStatus(admin, o.mapping).dump());
    return 1;
  }
  double joinSecs = bench::secondsSince(t0);
  note("mapping delivers (after " + std::to_string(joinSecs) + " s, " + std::to_string(probeSeq) +
       " probes); measuring " + std::to_string(planned) + " records");
  std::this_thread::sleep_for(500ms);  // let stragglers of the probe phase arrive
  uint64_t postsBefore, recordsBefore;
  {
    std::lock_guard lock(st.mu);
    postsBefore = st.posts;
    recordsBefore = st.postRecords;
  }
  auto mBefore = mappingStatus(admin, o.mapping);

  // 3. The measured load: open loop, one request every putBatch / rate seconds.
  bench::ProcWatcher watch(kbridgePid);
  bench::CpuMeter broker(o.brokerPid);
  double cpu0 = bench::selfCpuSeconds();
  watch.start();
  broker.start();
  const auto interval = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(o.putBatch / o.rate));
  auto start = Clock::now();
  uint64_t sent = 0, putErrors = 0, late = 0;
  bench::Histogram putLatency;
  for (uint64_t i = 0; i < requestsTotal; ++i) {
    auto due = start + interval * static_cast<long>(i);
    if (Clock::now() < due)
      std::this_thread::sleep_until(due);
    else if (Clock::now() > due + interval)
      ++late;
    std::int64_t sendNs = nowNs();
    std::string body = putRecordsBody(o.stream, 'M', i * static_cast<uint64_t>(o.putBatch),
                                      o.putBatch, sendNs, static_cast<size_t>(o.recordBytes));
    std::string why;
    auto p0 = Clock::now();
    if (putRecords(kin, body, o.putBatch, why)) {
      ackNs[i] = nowNs();
      sent += static_cast<uint64_t>(o.putBatch);
      putLatency.add(static_cast<uint64_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - p0).count()));
    } else {
      // A failed request is not retried: its records may or may not be in the stream, so they
      // are excluded from "sent" and a delivery of one of them is counted as extra.
      ++putErrors;
      note("PutRecords: " + why);
    }
  }
  double sendSecs = bench::secondsSince(start);

  // 4. Wait for every record sent to arrive.
  auto drainBy = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(o.drainTimeout));
  while (Clock::now() < drainBy) {
    {
      std::lock_guard lock(st.mu);
      if (st.measured >= sent) break;
    }
    std::this_thread::sleep_for(10ms);
  }
  std::this_thread::sleep_for(200ms);  // duplicates that follow late
  watch.stop();
  broker.stop();
  double cpu = bench::selfCpuSeconds() - cpu0;
  auto mAfter = mappingStatus(admin, o.mapping);
  server.stop();

  std::lock_guard lock(st.mu);
  uint64_t posts = st.posts - postsBefore, postRecords = st.postRecords - recordsBefore;
  // The runtime's share: delivery time after the PutRecords answer was read (Kafka has the
  // records by then). A delivery can precede the answer by a little; those count as 0.
  bench::Histogram afterAck;
  uint64_t beforeAck = 0;
  for (uint64_t seq = 0; seq < planned; ++seq) {
    std::int64_t ack = ackNs[seq / static_cast<uint64_t>(o.putBatch)];
    if (!st.seen[seq] || !ack) continue;
    std::int64_t d = st.receivedNs[seq] - ack;
    if (d < 0) ++beforeAck;
    afterAck.add(static_cast<uint64_t>(std::max<std::int64_t>(0, d / 1000)));
  }
  char buf[2048];
  std::snprintf(
      buf, sizeof buf,
      "result label=%s sent=%llu delivered=%llu lost=%llu duplicates=%llu put_errors=%llu "
      "late_sends=%llu rate=%.0f secs=%.2f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f "
      "mean_ms=%.3f posts=%llu records_per_post=%.1f max_post_records=%llu "
      "invocations=%llu errors=%llu put_p50_ms=%.3f put_p99_ms=%.3f join_s=%.1f "
      "foreign=%llu bad_posts=%llu after_ack_p50_ms=%.3f after_ack_p99_ms=%.3f "
      "delivered_before_ack=%llu loadgen_cpu_pct=%.1f",
      o.label.empty() ? "mapping_latency" : o.label.c_str(), static_cast<unsigned long long>(sent),
      static_cast<unsigned long long>(st.measured),
      static_cast<unsigned long long>(sent > st.measured ? sent - st.measured : 0),
      static_cast<unsigned long long>(st.duplicates), static_cast<unsigned long long>(putErrors),
      static_cast<unsigned long long>(late), static_cast<double>(sent) / sendSecs, sendSecs,
      st.hist.quantile(0.50) / 1000.0, st.hist.quantile(0.90) / 1000.0,
      st.hist.quantile(0.99) / 1000.0, st.maxMs,
      st.measured ? st.sumMs / static_cast<double>(st.measured) : 0.0,
      static_cast<unsigned long long>(posts),
      posts ? static_cast<double>(postRecords) / static_cast<double>(posts) : 0.0,
      static_cast<unsigned long long>(st.maxBatch),
      static_cast<unsigned long long>(counter(mAfter, "invocations") -
                                      counter(mBefore, "invocations")),
      static_cast<unsigned long long>(counter(mAfter, "errors") - counter(mBefore, "errors")),
      putLatency.quantile(0.5) / 1000.0, putLatency.quantile(0.99) / 1000.0, joinSecs,
      static_cast<unsigned long long>(st.foreign), static_cast<unsigned long long>(st.badPosts),
      afterAck.quantile(0.5) / 1000.0, afterAck.quantile(0.99) / 1000.0,
      static_cast<unsigned long long>(beforeAck), 100.0 * cpu / bench::secondsSince(start));
  std::string line = buf;
  watch.describe(line);
  broker.describe(line, "broker_cpu_pct");
  std::cout << line << std::endl;
  bool ok = st.measured == sent && putErrors == 0 && sent == planned && st.badPosts == 0;
  if (!ok)
    note("latency run incomplete: " + std::to_string(st.measured) + " of " + std::to_string(sent) +
         " records delivered, " + std::to_string(putErrors) + " failed PutRecords");
  return ok ? 0 : 1;
}

// ---- raw-consume ---------------------------------------------------------------------------

int runRawConsume(const Options& o) {
  if (o.bootstrap.empty() || o.topic.empty() || o.expect <= 0)
    usage("raw-consume needs --bootstrap, --topic and --expect");
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  std::string group = "kbridge-bench-raw-" + std::to_string(getpid()) + "-" +
                      std::to_string(std::chrono::system_clock::now().time_since_epoch().count());
  // kbridge's mapping consumer settings (bridge/kafka/rdkafka_group_consumer.cc), nothing else.
  const std::pair<const char*, std::string> props[] = {{"bootstrap.servers", o.bootstrap},
                                                       {"client.id", "kbridge-bench-raw"},
                                                       {"group.id", group},
                                                       {"enable.auto.commit", "false"},
                                                       {"enable.auto.offset.store", "false"},
                                                       {"auto.offset.reset", "earliest"},
                                                       {"enable.partition.eof", "false"},
                                                       {"session.timeout.ms", "10000"},
                                                       {"heartbeat.interval.ms", "3000"},
                                                       {"fetch.wait.max.ms", "100"}};
  for (const auto& [k, v] : props)
    if (rd_kafka_conf_set(conf, k, v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK)
      usage(std::string(k) + ": " + err);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (!rk) usage(std::string("rd_kafka_new: ") + err);
  rd_kafka_poll_set_consumer(rk);

  int64_t lo = -1, hi = -1;
  if (auto e = rd_kafka_query_watermark_offsets(rk, o.topic.c_str(), 0, &lo, &hi, 10000))
    note(std::string("watermarks: ") + rd_kafka_err2str(e));
  if (hi >= 0 && hi - lo != o.expect)
    note("partition 0 holds " + std::to_string(hi - lo) + " records, not " +
         std::to_string(o.expect));

  rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(topics, o.topic.c_str(), RD_KAFKA_PARTITION_UA);
  if (auto e = rd_kafka_subscribe(rk, topics))
    usage(std::string("subscribe: ") + rd_kafka_err2str(e));
  rd_kafka_topic_partition_list_destroy(topics);

  auto begin = Clock::now();
  auto deadline =
      begin + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.timeout));
  // Timed: from the message numbered `from` (1-based; the first `skip` share is the ramp-up) to
  // the N-th; also reported from the first message.
  const long long from =
      std::max(1LL, static_cast<long long>(static_cast<double>(o.expect) * o.skip));
  Clock::time_point first{}, start{}, last{};
  long long got = 0, errors = 0;
  uint64_t bytes = 0;
  bench::ProcSample cpuFirst{}, brokerFirst{};
  while (got < o.expect && Clock::now() < deadline) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 100);
    if (!m) continue;
    if (m->err) {
      if (errors++ < 5) note(std::string("consume: ") + rd_kafka_message_errstr(m));
    } else {
      ++got;
      bytes += m->len;
      if (got == 1) first = Clock::now();
      if (got == from) {
        start = Clock::now();
        cpuFirst = bench::readProc(static_cast<int>(getpid()));
        if (o.brokerPid > 0) brokerFirst = bench::readProc(o.brokerPid);
      }
      if (got == o.expect) last = Clock::now();
    }
    rd_kafka_message_destroy(m);
  }
  bool complete = got == o.expect;
  double secs = complete && got > from ? std::chrono::duration<double>(last - start).count() : 0;
  double allSecs = complete ? std::chrono::duration<double>(last - first).count() : 0;
  auto cpuLast = bench::readProc(static_cast<int>(getpid()));
  auto brokerLast = o.brokerPid > 0 ? bench::readProc(o.brokerPid) : bench::ProcSample{};
  char buf[768];
  std::snprintf(buf, sizeof buf,
                "result label=%s records=%lld expected=%lld partition_records=%lld "
                "bytes=%llu errors=%lld timed_from=%lld secs=%.3f records_per_s=%.0f "
                "mb_per_s=%.2f from_first_secs=%.3f from_first_records_per_s=%.0f "
                "time_to_first_s=%.3f consumer_cpu_pct=%.1f",
                o.label.empty() ? "raw_consume" : o.label.c_str(), got, o.expect,
                static_cast<long long>(hi - lo), static_cast<unsigned long long>(bytes), errors,
                from, secs, secs > 0 ? static_cast<double>(got - from) / secs : 0.0,
                secs > 0 ? static_cast<double>(bytes) / static_cast<double>(got) *
                               static_cast<double>(got - from) / secs / 1e6
                         : 0.0,
                allSecs, allSecs > 0 ? static_cast<double>(got - 1) / allSecs : 0.0,
                got ? std::chrono::duration<double>(first - begin).count() : 0.0,
                secs > 0 ? 100.0 * (cpuLast.cpuSec - cpuFirst.cpuSec) / secs : 0.0);
  std::string line = buf;
  if (o.brokerPid > 0 && secs > 0 && brokerFirst.ok && brokerLast.ok) {
    std::snprintf(buf, sizeof buf, " broker_cpu_pct=%.1f",
                  100.0 * (brokerLast.cpuSec - brokerFirst.cpuSec) / secs);
    line += buf;
  }
  std::cout << line << std::endl;
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  if (got < o.expect) note("read " + std::to_string(got) + " of " + std::to_string(o.expect));
  return got == o.expect && errors == 0 ? 0 : 1;
}

// ---- watch ---------------------------------------------------------------------------------

int runWatch(const Options& o) {
  if (o.admin.empty() || o.mapping.empty() || o.expect <= 0)
    usage("watch needs --admin, --mapping and --expect");
  HttpClient admin(parseUrl(o.admin));
  auto begin = Clock::now();
  auto deadline =
      begin + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.timeout));
  const auto interval = std::chrono::milliseconds(o.intervalMs);
  // Timed: from the first poll that sees at least `skip` of the records delivered (the ramp-up
  // before it is not timed) to the poll that sees all; also reported from the first poll that
  // sees a delivery.
  const auto from = static_cast<uint64_t>(static_cast<double>(o.expect) * o.skip);
  Clock::time_point first{}, start{}, done{};
  uint64_t firstDelivered = 0, startDelivered = 0, delivered = 0, polls = 0, failedPolls = 0;
  bool seenFirst = false, seenStart = false, finished = false;
  bench::ProcSample kbFirst{}, brokerFirst{};
  nlohmann::json m;
  std::ofstream series;
  if (!o.seriesFile.empty()) series.open(o.seriesFile);
  auto next = begin;
  while (Clock::now() < deadline) {
    m = mappingStatus(admin, o.mapping);
    auto t = Clock::now();
    ++polls;
    if (series.is_open())
      series << std::chrono::duration_cast<std::chrono::milliseconds>(t - begin).count() << " "
             << counter(m, "delivered") << "\n";
    if (!m.is_object()) {
      if (failedPolls++ == 0) note("GET /v1/mappings failed or lacks " + o.mapping);
    } else {
      delivered = counter(m, "delivered");
      if (!seenFirst && delivered > 0) {
        seenFirst = true;
        first = t;
        firstDelivered = delivered;
      }
      if (!seenStart && delivered > 0 && delivered >= from) {
        seenStart = true;
        start = t;
        startDelivered = delivered;
        if (o.watchPid > 0) kbFirst = bench::readProc(o.watchPid);
        if (o.brokerPid > 0) brokerFirst = bench::readProc(o.brokerPid);
      }
      if (delivered >= static_cast<uint64_t>(o.expect)) {
        done = t;
        finished = true;
        break;
      }
    }
    next += interval;
    if (next > Clock::now())
      std::this_thread::sleep_until(next);
    else
      next = Clock::now();
  }
  double secs = finished ? std::chrono::duration<double>(done - start).count() : 0;
  double allSecs = finished ? std::chrono::duration<double>(done - first).count() : 0;
  auto kbLast = o.watchPid > 0 ? bench::readProc(o.watchPid) : bench::ProcSample{};
  auto brokerLast = o.brokerPid > 0 ? bench::readProc(o.brokerPid) : bench::ProcSample{};
  uint64_t counted = delivered - startDelivered;
  char buf[1024];
  std::snprintf(
      buf, sizeof buf,
      "result label=%s records=%llu expected=%lld delivered=%llu timed_from=%llu secs=%.3f "
      "records_per_s=%.0f mb_per_s=%.2f first_poll_delivered=%llu from_first_secs=%.3f "
      "from_first_records_per_s=%.0f time_to_first_s=%.3f invocations=%llu errors=%llu "
      "polls=%llu",
      o.label.empty() ? "mapping_throughput" : o.label.c_str(),
      static_cast<unsigned long long>(counted), o.expect,
      static_cast<unsigned long long>(delivered), static_cast<unsigned long long>(startDelivered),
      secs, secs > 0 ? static_cast<double>(counted) / secs : 0.0,
      secs > 0 ? static_cast<double>(counted) * 100 / secs / 1e6 : 0.0,
      static_cast<unsigned long long>(firstDelivered), allSecs,
      allSecs > 0 ? static_cast<double>(delivered - firstDelivered) / allSecs : 0.0,
      seenFirst ? std::chrono::duration<double>(first - begin).count() : 0.0,
      static_cast<unsigned long long>(counter(m, "invocations")),
      static_cast<unsigned long long>(counter(m, "errors")),
      static_cast<unsigned long long>(polls));
  std::string line = buf;
  if (secs > 0 && kbFirst.ok && kbLast.ok) {
    std::snprintf(buf, sizeof buf, " cpu_pct=%.1f rss_max_mb=%.1f",
                  100.0 * (kbLast.cpuSec - kbFirst.cpuSec) / secs, kbLast.hwmMb);
    line += buf;
  }
  if (secs > 0 && brokerFirst.ok && brokerLast.ok) {
    std::snprintf(buf, sizeof buf, " broker_cpu_pct=%.1f",
                  100.0 * (brokerLast.cpuSec - brokerFirst.cpuSec) / secs);
    line += buf;
  }
  std::cout << line << std::endl;
  if (!finished)
    note("mapping " + o.mapping + " delivered " + std::to_string(delivered) + " of " +
         std::to_string(o.expect) + " records within " + std::to_string(o.timeout) +
         " s; last status: " + m.dump());
  if (finished && delivered != static_cast<uint64_t>(o.expect))
    note("mapping " + o.mapping + " delivered " + std::to_string(delivered) + ", more than " +
         std::to_string(o.expect));
  return finished && counter(m, "errors") == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (argc < 2) usage("a mode is required: latency | raw-consume | watch");
  o.mode = argv[1];
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) usage(a + " needs a value");
      return argv[++i];
    };
    if (a == "--port-file")
      o.portFile = next();
    else if (a == "--endpoints-file")
      o.endpointsFile = next();
    else if (a == "--stream")
      o.stream = next();
    else if (a == "--mapping")
      o.mapping = next();
    else if (a == "--rate")
      o.rate = std::stod(next());
    else if (a == "--duration")
      o.duration = std::stod(next());
    else if (a == "--put-batch")
      o.putBatch = std::stoi(next());
    else if (a == "--record-bytes")
      o.recordBytes = std::stoi(next());
    else if (a == "--drain-timeout")
      o.drainTimeout = std::stod(next());
    else if (a == "--ready-timeout")
      o.readyTimeout = std::stod(next());
    else if (a == "--bootstrap")
      o.bootstrap = next();
    else if (a == "--topic")
      o.topic = next();
    else if (a == "--admin")
      o.admin = next();
    else if (a == "--expect")
      o.expect = std::stoll(next());
    else if (a == "--timeout")
      o.timeout = std::stod(next());
    else if (a == "--series")
      o.seriesFile = next();
    else if (a == "--skip")
      o.skip = std::stod(next());
    else if (a == "--interval-ms")
      o.intervalMs = std::stoi(next());
    else if (a == "--watch-pid")
      o.watchPid = std::stoi(next());
    else if (a == "--broker-pid")
      o.brokerPid = std::stoi(next());
    else if (a == "--label")
      o.label = next();
    else
      usage("unknown argument " + a);
  }
  if (o.duration <= 0 || o.duration > 600) usage("--duration must be in (0, 600] seconds");
  if (o.timeout <= 0 || o.timeout > 3600) usage("--timeout must be in (0, 3600] seconds");
  if (o.drainTimeout < 0 || o.drainTimeout > 600 || o.readyTimeout <= 0 || o.readyTimeout > 600)
    usage("--drain-timeout / --ready-timeout out of range");
  if (o.skip < 0 || o.skip >= 1) usage("--skip must be in [0, 1)");
  if (o.intervalMs < 1 || o.intervalMs > 10000) usage("--interval-ms must be 1..10000");
  if (!o.bootstrap.empty()) {
    for (size_t p = 0; p < o.bootstrap.size();) {
      size_t comma = o.bootstrap.find(',', p);
      std::string hp =
          o.bootstrap.substr(p, comma == std::string::npos ? std::string::npos : comma - p);
      if (!isLoopback(hp.substr(0, hp.rfind(':'))))
        usage("only loopback bootstrap servers are allowed: " + hp);
      if (comma == std::string::npos) break;
      p = comma + 1;
    }
  }
  if (o.mode == "latency") return runLatency(o);
  if (o.mode == "raw-consume") return runRawConsume(o);
  if (o.mode == "watch") return runWatch(o);
  usage("unknown mode " + o.mode + " (latency | raw-consume | watch)");
}
