// archive_bench — the archive handler's throughput (issue 5) against raw zlib on the same bytes, in
// one process and one run; driven by bench/archive.sh.
//
//   archive_bench [--records 100000] [--levels 1,6] [--rounds 3] [--size-mib 5] [--dir DIR]
//                 [--keys 0]
//
// The handler is built from settings exactly as a mapping's config gives them (the seed's
// Firehose settings: year=/month=/day=/hour= prefix, gzip, --size-mib of buffering, interval 300 s)
// and driven through the Handler interface (bridge/runtime/handler.h): open(), deliver() of
// batches of 500 records of one shard, flush(), close(), on a fresh directory under DIR (default
// $TMPDIR or /tmp) that is removed after each round. Its time covers everything the handler does:
// routing, streaming gzip, temp files, fsyncs, manifest intents, renames. With --keys N > 0 the
// prefix is dynamically partitioned by a JSON field with N distinct values instead.
//
// The yardstick, in the same process between the handler's rounds: zlib's deflate (gzip wrapper,
// same level, windowBits 15+16, memLevel 8) over the very same bytes (each record + "\n"), cut into
// streams at the same object boundaries, fed in 64 KiB chunks into a 64 KiB output buffer, nothing
// written anywhere. Rounds alternate handler and zlib; each side's best round counts. Records are
// realistic JSON events (~260 B; user, event type, product, amount, session id, a nested object),
// generated deterministically.
//
// Output: one `result level=L ...` line per level, then `target archive_gzipL_vs_zlib <x>x >=0.7x
// PASS|FAIL` (handler MB/s / zlib MB/s, wall time) and an `info` line with the same ratio in CPU
// time (this thread's), which other processes on the machine disturb less. Exit status 1 when
// the archive written in the first round does not verify (`kbridge archive verify`'s check), 2 on
// usage errors.

#include <ftw.h>
#include <stdlib.h>
#include <time.h>
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "handlers/archive/archive_handler.h"
#include "handlers/archive/archive_verify.h"
#include "runtime/handler.h"

namespace {

using kbridge::runtime::Record;

struct Options {
  std::int64_t records = 100000;
  std::vector<int> levels = {1, 6};
  int rounds = 3;
  int sizeMib = 5;
  int keys = 0;
  std::string dir;
};

struct Timing {
  double wall = 0, cpu = 0;
};

double now(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

std::uint64_t next(std::uint64_t& x) {
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return x;
}

std::vector<Record> makeRecords(std::int64_t count, int keys) {
  static const char* kEvents[] = {"purchase", "view", "click", "add_to_cart", "search"};
  static const char* kSources[] = {"web", "mobile", "api", "batch"};
  std::vector<Record> out;
  out.reserve(static_cast<std::size_t>(count));
  std::uint64_t x = 0x9E3779B97F4A7C15ull;
  const std::int64_t arrival = 1763794862123;  // one hour: one prefix without --keys
  char buf[512];
  for (std::int64_t i = 0; i < count; ++i) {
    const auto r1 = next(x), r2 = next(x), r3 = next(x);
    const int n = std::snprintf(
        buf, sizeof buf,
        "{\"userId\":\"user-%05llu\",\"eventType\":\"%s\",\"productId\":\"P%04llu\","
        "\"timestamp\":%lld,\"source\":\"%s\",\"customer\":\"c%02llu\",\"sessionId\":\"%016llx\","
        "\"amount\":%llu.%02llu,\"quantity\":%llu,\"data\":{\"page\":\"/products/P%04llu\","
        "\"referrer\":\"https://example.com/search?q=%llx\",\"tags\":[\"t%llu\",\"t%llu\"]}}",
        static_cast<unsigned long long>(r1 % 50000), kEvents[r1 % 5],
        static_cast<unsigned long long>(r2 % 5000), static_cast<long long>(1640995200000 + i * 37),
        kSources[r2 % 4],
        static_cast<unsigned long long>(keys > 0 ? r3 % static_cast<std::uint64_t>(keys) : 0),
        static_cast<unsigned long long>(r3), static_cast<unsigned long long>(r1 % 500),
        static_cast<unsigned long long>(r2 % 100), static_cast<unsigned long long>(r3 % 9 + 1),
        static_cast<unsigned long long>(r2 % 5000), static_cast<unsigned long long>(r1 & 0xFFFFFF),
        static_cast<unsigned long long>(r2 % 20), static_cast<unsigned long long>(r3 % 20));
    Record r;
    r.offset = i;
    r.sequenceNumber = std::to_string(4900000000000000000ull + static_cast<std::uint64_t>(i));
    r.partitionKey = "user-" + std::to_string(r1 % 50000);
    r.data.assign(buf, static_cast<std::size_t>(n));
    r.arrivalMs = arrival + i / 1000;
    out.push_back(std::move(r));
  }
  return out;
}

int removeEntry(const char* path, const struct stat*, int, struct FTW*) {
  return ::remove(path);
}

nlohmann::json settingsFor(const Options& o, const std::string& dest, int level) {
  nlohmann::json s = {{"destination", {{"path", dest}}},
                      {"error_output_prefix", "errors/"},
                      {"buffering", {{"size_mib", o.sizeMib}, {"interval_s", 300}}},
                      {"compression", "gzip"},
                      {"compression_level", level}};
  if (o.keys > 0) {
    s["prefix"] = "customer=!{partitionKeyFromQuery:customer}/!{timestamp:yyyy/MM/dd/HH}/";
    s["partition_keys"] = {{"customer", ".customer"}};
  } else {
    s["prefix"] =
        "year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/";
  }
  return s;
}

// One handler round; `verified` gets verifyArchive's verdict when asked for.
Timing runHandler(const Options& o, const std::vector<Record>& records, int level, bool verify,
                  bool& verified) {
  std::string tmpl = o.dir + "/kbridge-archive-bench.XXXXXX";
  if (!::mkdtemp(tmpl.data())) {
    std::perror("mkdtemp");
    std::exit(1);
  }
  const std::string dest = tmpl;
  std::vector<std::string> errors;
  auto settings = kbridge::handlers::archive::parseArchiveSettings(settingsFor(o, dest, level),
                                                                   "$.handler", errors);
  if (!settings) {
    for (const auto& e : errors) std::cerr << e << "\n";
    std::exit(1);
  }
  auto handler = kbridge::handlers::archive::makeArchiveHandler(*settings, false);
  kbridge::runtime::HandlerContext ctx;
  ctx.mappingName = "bench";
  ctx.streamName = "bench-stream";
  Timing t;
  const double w0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_THREAD_CPUTIME_ID);
  if (auto why = handler->open(ctx); !why.empty()) {
    std::cerr << why << "\n";
    std::exit(1);
  }
  for (std::size_t i = 0; i < records.size(); i += 500) {
    kbridge::runtime::Batch b;
    b.shardId = "shardId-000000000000";
    b.partition = 0;
    b.records =
        std::span<const Record>(records).subspan(i, std::min<std::size_t>(500, records.size() - i));
    const auto r = handler->deliver(b);
    if (r.outcome != kbridge::runtime::Outcome::kOk) {
      std::cerr << "deliver failed: " << r.error << "\n";
      std::exit(1);
    }
  }
  handler->flush();
  handler->close();
  t.wall = now(CLOCK_MONOTONIC) - w0;
  t.cpu = now(CLOCK_THREAD_CPUTIME_ID) - c0;
  if (verify) {
    std::ostringstream out, progress;
    verified = kbridge::handlers::archive::verifyArchive(*settings, "bench", out, progress) == 0;
    const auto text = out.str();
    if (!verified ||
        text.find("OK: " + std::to_string(records.size()) + " records") == std::string::npos) {
      std::cerr << "archive_bench: the archive does not verify:\n" << text;
      verified = false;
    }
  }
  handler.reset();
  ::nftw(dest.c_str(), removeEntry, 16, FTW_DEPTH | FTW_PHYS);
  return t;
}

// zlib alone over the same bytes, cut at the handler's object boundaries (one stream when
// unpartitioned: records in order until the size is reached).
Timing runZlib(const Options& o, const std::vector<Record>& records, int level,
               std::size_t& compressed) {
  const std::size_t objectBytes = static_cast<std::size_t>(o.sizeMib) * 1024 * 1024;
  std::vector<char> out(64 * 1024);
  compressed = 0;
  Timing t;
  const double w0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_THREAD_CPUTIME_ID);
  // Streams per partition value (one without --keys), as the handler keeps one object per prefix.
  const int streams = std::max(1, o.keys);
  std::vector<z_stream> zs(static_cast<std::size_t>(streams));
  std::vector<std::size_t> inObject(zs.size(), 0), pending(zs.size(), 0);
  std::vector<std::vector<char>> buffers(zs.size(), std::vector<char>(64 * 1024));
  std::vector<bool> open(zs.size(), false);
  auto drain = [&](z_stream& z, int flush) {
    for (;;) {
      z.next_out = reinterpret_cast<Bytef*>(out.data());
      z.avail_out = static_cast<uInt>(out.size());
      const int rc = deflate(&z, flush);
      compressed += out.size() - z.avail_out;
      if (flush == Z_FINISH ? rc == Z_STREAM_END : z.avail_out != 0) break;
    }
  };
  auto feed = [&](std::size_t s) {
    z_stream& z = zs[s];
    z.next_in = reinterpret_cast<Bytef*>(buffers[s].data());
    z.avail_in = static_cast<uInt>(pending[s]);
    drain(z, Z_NO_FLUSH);
    pending[s] = 0;
  };
  for (const auto& r : records) {
    std::size_t s = 0;
    if (o.keys > 0) {
      const auto pos = r.data.find("\"customer\":\"c");
      s = static_cast<std::size_t>(std::atoi(r.data.c_str() + pos + 13));
    }
    if (!open[s]) {
      zs[s] = z_stream{};
      deflateInit2(&zs[s], level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
      open[s] = true;
    }
    auto& buf = buffers[s];
    for (std::string_view piece : {std::string_view(r.data), std::string_view("\n")}) {
      while (!piece.empty()) {
        const std::size_t n = std::min(piece.size(), buf.size() - pending[s]);
        std::memcpy(buf.data() + pending[s], piece.data(), n);
        pending[s] += n;
        piece.remove_prefix(n);
        if (pending[s] == buf.size()) feed(s);
      }
    }
    inObject[s] += r.data.size() + 1;
    if (inObject[s] >= objectBytes) {
      feed(s);
      drain(zs[s], Z_FINISH);
      deflateEnd(&zs[s]);
      open[s] = false;
      inObject[s] = 0;
    }
  }
  for (std::size_t s = 0; s < zs.size(); ++s) {
    if (!open[s]) continue;
    feed(s);
    drain(zs[s], Z_FINISH);
    deflateEnd(&zs[s]);
  }
  t.wall = now(CLOCK_MONOTONIC) - w0;
  t.cpu = now(CLOCK_THREAD_CPUTIME_ID) - c0;
  return t;
}

bool parse(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) return false;
    const std::string v = argv[++i];
    if (a == "--records") {
      o.records = std::atoll(v.c_str());
    } else if (a == "--rounds") {
      o.rounds = std::atoi(v.c_str());
    } else if (a == "--size-mib") {
      o.sizeMib = std::atoi(v.c_str());
    } else if (a == "--keys") {
      o.keys = std::atoi(v.c_str());
    } else if (a == "--dir") {
      o.dir = v;
    } else if (a == "--levels") {
      o.levels.clear();
      std::stringstream s(v);
      for (std::string l; std::getline(s, l, ',');) o.levels.push_back(std::atoi(l.c_str()));
    } else {
      return false;
    }
  }
  if (o.dir.empty()) o.dir = std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp";
  if (o.records < 1 || o.rounds < 1 || o.sizeMib < 1 || o.sizeMib > 128 || o.keys < 0 ||
      o.keys > 1000 || o.levels.empty())
    return false;
  for (int l : o.levels) {
    if (l < 1 || l > 9) return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!parse(argc, argv, o)) {
    std::cerr << "usage: archive_bench [--records N] [--levels 1,6] [--rounds 3] [--size-mib 5] "
                 "[--keys 0] [--dir DIR]\n";
    return 2;
  }
  const auto records = makeRecords(o.records, o.keys);
  double mb = 0;
  for (const auto& r : records) mb += static_cast<double>(r.data.size() + 1);
  mb /= 1e6;
  std::fprintf(stderr, "archive_bench: %lld records, %.1f MB (%.0f B per record), %d round(s)\n",
               static_cast<long long>(o.records), mb, mb * 1e6 / static_cast<double>(o.records),
               o.rounds);
  bool ok = true;
  std::vector<std::string> targets;
  for (int level : o.levels) {
    Timing bestH{1e30, 1e30}, bestZ{1e30, 1e30};
    std::size_t compressed = 0;
    for (int round = 0; round < o.rounds; ++round) {
      bool verified = true;
      const auto h = runHandler(o, records, level, round == 0, verified);
      ok = ok && verified;
      const auto z = runZlib(o, records, level, compressed);
      std::fprintf(stderr,
                   "archive_bench: level %d round %d: handler %.3f s (cpu %.3f s), zlib %.3f s "
                   "(cpu %.3f s)\n",
                   level, round + 1, h.wall, h.cpu, z.wall, z.cpu);
      bestH.wall = std::min(bestH.wall, h.wall);
      bestH.cpu = std::min(bestH.cpu, h.cpu);
      bestZ.wall = std::min(bestZ.wall, z.wall);
      bestZ.cpu = std::min(bestZ.cpu, z.cpu);
    }
    const double n = static_cast<double>(o.records);
    const double ratio = bestZ.wall / bestH.wall, cpuRatio = bestZ.cpu / bestH.cpu;
    std::printf(
        "result level=%d records=%lld mb=%.1f handler_records_per_s=%.0f handler_mb_per_s=%.1f "
        "handler_cpu_s=%.3f zlib_records_per_s=%.0f zlib_mb_per_s=%.1f zlib_cpu_s=%.3f "
        "gzip_ratio=%.2f ratio=%.3f cpu_ratio=%.3f\n",
        level, static_cast<long long>(o.records), mb, n / bestH.wall, mb / bestH.wall, bestH.cpu,
        n / bestZ.wall, mb / bestZ.wall, bestZ.cpu, mb * 1e6 / static_cast<double>(compressed),
        ratio, cpuRatio);
    char line[256];
    std::snprintf(line, sizeof line, "target archive_gzip%d_vs_zlib %.2fx >=0.7x %s", level, ratio,
                  ratio >= 0.7 ? "PASS" : "FAIL");
    targets.push_back(line);
    std::snprintf(line, sizeof line,
                  "info archive_gzip%d_vs_zlib_cpu %.2fx (CPU time; not a target)", level,
                  cpuRatio);
    targets.push_back(line);
  }
  for (const auto& t : targets) std::printf("%s\n", t.c_str());
  if (!ok) std::printf("archive_bench: FAIL: an archive did not verify\n");
  return ok ? 0 : 1;
}
