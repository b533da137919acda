// Shared by the bench programs: a TCP dial, an HTTP head scan, a log-bucketed latency histogram, a
// /proc sampler for the CPU and RSS of a watched process, base64, and the one-line `result
// key=value ...` output that bench/run.sh parses.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace bench {

using Clock = std::chrono::steady_clock;

inline double secondsSince(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// A TCP connection to host:port with Nagle off and 30 s send/receive timeouts; -1 on failure.
inline int dial(const std::string& host, int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  timeval tv{30, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int e = errno;
    ::close(fd);
    errno = e;
    return -1;
  }
  return fd;
}

inline bool iprefix(std::string_view line, std::string_view name) {
  if (line.size() < name.size()) return false;
  for (size_t i = 0; i < name.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(line[i])) != name[i]) return false;
  return true;
}

// Headers of one HTTP message (request or response) found in `head` (without the final CRLFCRLF).
struct HttpHead {
  long long contentLength = -1;
  bool chunked = false, close = false, expectContinue = false;
};

inline HttpHead scanHttpHead(std::string_view head) {
  HttpHead h;
  size_t pos = head.find("\r\n");
  while (pos != std::string_view::npos && pos < head.size()) {
    size_t next = head.find("\r\n", pos + 2);
    std::string_view line =
        head.substr(pos + 2, (next == std::string_view::npos ? head.size() : next) - pos - 2);
    if (iprefix(line, "content-length:"))
      h.contentLength = std::atoll(std::string(line.substr(15)).c_str());
    else if (iprefix(line, "transfer-encoding:") && line.find("chunked") != std::string_view::npos)
      h.chunked = true;
    else if (iprefix(line, "connection:") && line.find("close") != std::string_view::npos)
      h.close = true;
    else if (iprefix(line, "expect:") && line.find("100") != std::string_view::npos)
      h.expectContinue = true;
    pos = next;
  }
  return h;
}

// HDR-style histogram of microsecond values: exact below 128 µs, then 128 sub-buckets per power
// of two (< 1 % relative error). Fixed size, so recording never allocates.
class Histogram {
 public:
  static constexpr int kSubBits = 7;
  static constexpr uint64_t kSub = 1u << kSubBits;

  Histogram() : counts_((64 - kSubBits + 1) * kSub, 0) {}

  void add(uint64_t us) {
    ++counts_[index(us)];
    ++total_;
  }
  void merge(const Histogram& o) {
    for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += o.counts_[i];
    total_ += o.total_;
  }
  uint64_t count() const { return total_; }

  // Value (µs, bucket midpoint) at quantile q in [0, 1]; 0 when empty.
  double quantile(double q) const {
    if (!total_) return 0;
    uint64_t rank = static_cast<uint64_t>(q * static_cast<double>(total_ - 1)) + 1, seen = 0;
    for (size_t i = 0; i < counts_.size(); ++i) {
      seen += counts_[i];
      if (seen >= rank) return midpoint(i);
    }
    return midpoint(counts_.size() - 1);
  }

 private:
  static size_t index(uint64_t v) {
    if (v < kSub) return v;
    int msb = 63 - __builtin_clzll(v);
    int shift = msb - kSubBits;
    return (static_cast<size_t>(shift + 1) << kSubBits) + ((v >> shift) - kSub);
  }
  static double midpoint(size_t i) {
    size_t b = i >> kSubBits, s = i & (kSub - 1);
    if (b == 0) return static_cast<double>(s);
    int shift = static_cast<int>(b) - 1;
    double lo = static_cast<double>((kSub + s) << shift);
    return lo + static_cast<double>((uint64_t{1} << shift) - 1) / 2.0;
  }

  std::vector<uint64_t> counts_;
  uint64_t total_ = 0;
};

// CPU time (utime + stime, seconds) and VmRSS / VmHWM (MiB) of a process, from /proc.
struct ProcSample {
  bool ok = false;
  double cpuSec = 0, rssMb = 0, hwmMb = 0;
};

inline ProcSample readProc(int pid) {
  ProcSample s;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return s;
  // Fields after the command (which may contain spaces) start after the last ')'.
  auto close = line.rfind(')');
  if (close == std::string::npos) return s;
  std::istringstream rest(line.substr(close + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; rest >> field; ++i) {  // field 3 is the state
    if (i == 14) utime = std::stoull(field);
    if (i == 15) {
      stime = std::stoull(field);
      break;
    }
  }
  s.cpuSec = static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  while (std::getline(status, line)) {
    auto kb = [&](const char* key) {
      return std::stod(line.substr(std::char_traits<char>::length(key))) / 1024.0;
    };
    if (line.rfind("VmRSS:", 0) == 0) s.rssMb = kb("VmRSS:");
    if (line.rfind("VmHWM:", 0) == 0) s.hwmMb = kb("VmHWM:");
  }
  s.ok = true;
  return s;
}

// Samples a process every 200 ms between start() and stop(): CPU share over the window, the RSS
// series (one value per second, for the flatness check) and the peak.
class ProcWatcher {
 public:
  explicit ProcWatcher(int pid) : pid_(pid) {}
  ~ProcWatcher() { stop(); }

  void start() {
    if (pid_ <= 0) return;
    first_ = readProc(pid_);
    t0_ = Clock::now();
    running_ = true;
    thread_ = std::thread([this] {
      int tick = 0;
      while (running_) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        auto s = readProc(pid_);
        if (!s.ok) continue;
        std::lock_guard lock(mu_);
        maxRss_ = std::max(maxRss_, s.rssMb);
        if (++tick % 5 == 0) series_.push_back(s.rssMb);
      }
    });
  }

  void stop() {
    if (!running_.exchange(false)) return;
    thread_.join();
    last_ = readProc(pid_);
    elapsed_ = secondsSince(t0_);
  }

  // Appends pid-related keys to a result line; nothing when no process is watched.
  void describe(std::string& out) const {
    if (pid_ <= 0 || !first_.ok || !last_.ok) return;
    char buf[256];
    std::snprintf(buf, sizeof buf,
                  " cpu_pct=%.1f rss_start_mb=%.1f rss_end_mb=%.1f rss_max_mb=%.1f hwm_mb=%.1f",
                  100.0 * (last_.cpuSec - first_.cpuSec) / elapsed_, first_.rssMb, last_.rssMb,
                  std::max(maxRss_, last_.rssMb), last_.hwmMb);
    out += buf;
    out += " rss_series_mb=";
    for (size_t i = 0; i < series_.size(); ++i) {
      std::snprintf(buf, sizeof buf, "%s%.0f", i ? "," : "", series_[i]);
      out += buf;
    }
    if (series_.empty()) out += "-";
  }

 private:
  int pid_;
  std::atomic<bool> running_{false};
  std::thread thread_;
  std::mutex mu_;
  ProcSample first_, last_;
  double maxRss_ = 0, elapsed_ = 0;
  std::vector<double> series_;
  Clock::time_point t0_;
};

// CPU share of another process (the Kafka broker) over a window: `KEY=PCT`, nothing without a pid.
class CpuMeter {
 public:
  explicit CpuMeter(int pid) : pid_(pid) {}
  void start() {
    if (pid_ > 0) first_ = readProc(pid_), t0_ = Clock::now();
  }
  void stop() {
    if (pid_ > 0) last_ = readProc(pid_), elapsed_ = secondsSince(t0_);
  }
  void describe(std::string& out, const char* key) const {
    if (pid_ <= 0 || !first_.ok || !last_.ok || elapsed_ <= 0) return;
    char buf[64];
    std::snprintf(buf, sizeof buf, " %s=%.1f", key,
                  100.0 * (last_.cpuSec - first_.cpuSec) / elapsed_);
    out += buf;
  }

 private:
  int pid_;
  ProcSample first_, last_;
  double elapsed_ = 0;
  Clock::time_point t0_;
};

// This process's own CPU time so far (seconds), to show the load generator is not the bottleneck.
inline double selfCpuSeconds() {
  return readProc(static_cast<int>(getpid())).cpuSec;
}

inline std::string base64(const unsigned char* p, size_t n) {
  static const char* tbl = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((n + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < n; i += 3) {
    uint32_t v = (p[i] << 16) | (p[i + 1] << 8) | p[i + 2];
    out += tbl[v >> 18];
    out += tbl[(v >> 12) & 63];
    out += tbl[(v >> 6) & 63];
    out += tbl[v & 63];
  }
  if (i < n) {
    uint32_t v = p[i] << 16;
    if (i + 1 < n) v |= p[i + 1] << 8;
    out += tbl[v >> 18];
    out += tbl[(v >> 12) & 63];
    out += i + 1 < n ? tbl[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// Deterministic, incompressible-looking payload bytes (xorshift), so no layer can cheat by
// compressing them.
inline std::vector<unsigned char> payload(size_t n, uint64_t seed) {
  std::vector<unsigned char> out(n);
  uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
  for (auto& b : out) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    b = static_cast<unsigned char>(x);
  }
  return out;
}

// The result line: `result label=... records=... ... p50_ms=... p99_ms=...`.
struct Totals {
  uint64_t requests = 0, records = 0, bytes = 0, failedRecords = 0, errors = 0;
  Histogram latency;
};

inline std::string resultLine(const std::string& label, const Totals& t, double seconds,
                              double selfCpu) {
  char buf[512];
  std::snprintf(
      buf, sizeof buf,
      "result label=%s secs=%.2f requests=%llu records=%llu bytes=%llu failed_records=%llu "
      "errors=%llu "
      "records_per_s=%.0f mb_per_s=%.2f p50_ms=%.3f p99_ms=%.3f loadgen_cpu_pct=%.1f",
      label.c_str(), seconds, static_cast<unsigned long long>(t.requests),
      static_cast<unsigned long long>(t.records), static_cast<unsigned long long>(t.bytes),
      static_cast<unsigned long long>(t.failedRecords), static_cast<unsigned long long>(t.errors),
      seconds > 0 ? static_cast<double>(t.records) / seconds : 0.0,
      seconds > 0 ? static_cast<double>(t.bytes) / seconds / 1e6 : 0.0,
      t.latency.quantile(0.50) / 1000.0, t.latency.quantile(0.99) / 1000.0,
      seconds > 0 ? 100.0 * selfCpu / seconds : 0.0);
  return buf;
}

}  // namespace bench
