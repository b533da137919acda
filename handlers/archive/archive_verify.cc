#include "handlers/archive/archive_verify.h"

#include <dirent.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <zlib.h>

#include <chrono>
#include <fstream>
#include <map>
#include <ostream>
#include <set>
#include <sstream>

#include "config/config.h"
#include "handlers/archive/manifest.h"
#include "kafka/catalog_log.h"
#include "kafka/group_offsets.h"
#include "streams/catalog.h"

namespace kbridge::handlers::archive {
namespace {

std::vector<std::string> listDir(const std::string& dir) {
  std::vector<std::string> names;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (auto* e = ::readdir(d)) {
      const std::string n = e->d_name;
      if (n != "." && n != "..") names.push_back(n);
    }
    ::closedir(d);
  }
  return names;
}

// Every regular file under `root` (relative paths), skipping the archive's own state.
void walk(const std::string& root, const std::string& rel, std::set<std::string>& out) {
  for (const auto& n : listDir(rel.empty() ? root : root + "/" + rel)) {
    if (rel.empty() && n == ".kbridge") continue;
    const std::string child = rel.empty() ? n : rel + "/" + n;
    struct stat st {};
    if (::stat((root + "/" + child).c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      walk(root, child, out);
    } else if (S_ISREG(st.st_mode)) {
      out.insert(child);
    }
  }
}

// Counts newline-terminated records of an object (gzip or plain: gzread reads both).
std::optional<std::int64_t> countLines(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) return std::nullopt;
  std::int64_t lines = 0;
  char buf[65536];
  for (;;) {
    const int n = gzread(f, buf, sizeof buf);
    if (n < 0) {
      gzclose(f);
      return std::nullopt;
    }
    if (n == 0) break;
    for (int i = 0; i < n; ++i) lines += buf[i] == '\n';
  }
  gzclose(f);
  return lines;
}

std::string rangesText(const OffsetRanges& r, std::size_t max = 8) {
  std::ostringstream s;
  std::size_t i = 0;
  for (const auto& [f, e] : r.ranges()) {
    if (i++ == max) {
      s << " … (" << r.ranges().size() << " ranges)";
      break;
    }
    s << (i > 1 ? " " : "") << "[" << f << "," << e << ")";
  }
  return i == 0 ? "none" : s.str();
}

std::optional<std::int32_t> partitionOf(const std::string& shardId) {
  constexpr std::string_view kPrefix = "shardId-";
  if (!shardId.starts_with(kPrefix) || shardId.size() == kPrefix.size()) return std::nullopt;
  std::int64_t n = 0;
  for (char c : std::string_view(shardId).substr(kPrefix.size())) {
    if (c < '0' || c > '9' || n > 1'000'000'000) return std::nullopt;
    n = n * 10 + (c - '0');
  }
  return static_cast<std::int32_t>(n);
}

std::string shardIdOf(std::int32_t partition) {
  std::string digits = std::to_string(partition);
  return "shardId-" + std::string(digits.size() < 12 ? 12 - digits.size() : 0, '0') + digits;
}

struct ShardAudit {
  std::string shardId;
  std::optional<std::vector<ManifestEntry>> entries;  // nullopt: no manifest
  std::string unreadable;                             // why the manifest could not be read
};

// What a shard's topic offsets say about its covered ranges. Everything below the checkpoint
// must be archived (from the topic's start, or the archive's first offset when the mapping did not
// start at TRIM_HORIZON); what is not covered at or past the checkpoint is still to come (buffered
// in open objects, or not read yet): not an error, even inside the covered ranges, where dynamic
// partitioning interleaves published and open objects.
struct TopicComparison {
  OffsetRanges missing;    // below the checkpoint and not archived: a gap
  OffsetRanges notYet;     // at or past the checkpoint and not archived: still to come
  OffsetRanges unchecked;  // before the archive, skipped by the starting position
};

TopicComparison compare(const OffsetRanges& covered, const TopicShard& t, bool fromTrimHorizon) {
  TopicComparison c;
  const std::int64_t committed = std::max(t.committed.value_or(t.low), t.low);
  const std::int64_t first = covered.first().value_or(committed);
  const std::int64_t from = fromTrimHorizon ? std::min(first, t.low) : first;
  c.missing.addRange(from, committed);
  c.missing.subtract(covered);
  if (!fromTrimHorizon) c.unchecked.addRange(t.low, std::min(first, committed));
  c.notYet.addRange(committed, t.high);
  c.notYet.subtract(covered);
  return c;
}

}  // namespace

int verifyArchive(const ArchiveSettings& settings, const std::string& mapping, std::ostream& out,
                  std::ostream& progress, const VerifyOptions& options) {
  const std::string stateDir = archiveStateDir(settings.destinationPath, mapping);
  const TopicView* topic = options.topic;
  // Every shard that has a manifest or a partition in the topic.
  std::map<std::int32_t, ShardAudit> shards;
  std::vector<ShardAudit> oddShards;  // manifests whose name is no shard id
  std::int64_t totalObjects = 0;
  for (const auto& n : listDir(stateDir)) {
    if (n.size() <= 9 || !n.ends_with(".manifest")) continue;
    ShardAudit a;
    a.shardId = n.substr(0, n.size() - 9);
    std::ifstream in(stateDir + "/" + n, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    std::size_t torn = 0;
    a.entries = parseManifest(text.str(), torn, a.unreadable);
    if (!a.entries) a.entries.emplace();
    totalObjects += static_cast<std::int64_t>(a.entries->size());
    if (auto p = partitionOf(a.shardId)) {
      shards[*p] = std::move(a);
    } else {
      oddShards.push_back(std::move(a));
    }
  }
  if (topic) {
    for (const auto& [p, _] : topic->shards) {
      if (!shards.count(p)) shards[p].shardId = shardIdOf(p);
    }
  }
  if (shards.empty() && oddShards.empty()) {
    out << "archive " << settings.destinationPath << ", mapping " << mapping << ": no manifests in "
        << stateDir << "\n";
    return 1;
  }
  if (topic) out << "topic " << topic->topic << ", " << topic->shards.size() << " shards\n";
  std::vector<ShardAudit*> order;
  for (auto& [_, a] : shards) order.push_back(&a);
  for (auto& a : oddShards) order.push_back(&a);

  bool bad = false;
  std::set<std::string> referenced;
  std::int64_t totalRecords = 0, totalErrors = 0, objectsDone = 0, totalNotYet = 0;
  auto lastProgress = std::chrono::steady_clock::now();
  for (ShardAudit* a : order) {
    const std::string& shardId = a->shardId;
    if (!a->unreadable.empty()) {
      out << shardId << ": unreadable manifest: " << a->unreadable << "\n";
      bad = true;
      continue;
    }
    OffsetRanges covered, overlaps;
    std::int64_t objects = 0, records = 0, errorRecords = 0, missing = 0, corrupt = 0;
    for (const auto& e : a->entries ? *a->entries : std::vector<ManifestEntry>{}) {
      ++objectsDone;
      const auto now = std::chrono::steady_clock::now();
      if (objectsDone % std::max<std::int64_t>(1, options.progressEveryObjects) == 0 ||
          now - lastProgress > std::chrono::seconds(2)) {
        lastProgress = now;
        progress << "archive verify: " << objectsDone << "/" << totalObjects
                 << " manifest entries ("
                 << (100 * objectsDone / std::max<std::int64_t>(1, totalObjects)) << " %), "
                 << totalRecords + records << " records so far, at " << shardId << "\n";
      }
      if (e.state == ManifestEntry::State::kAborted) continue;
      const std::string path = settings.destinationPath + "/" + e.key;
      struct stat st {};
      const bool exists = ::stat(path.c_str(), &st) == 0;
      if (e.state == ManifestEntry::State::kPending && !exists) continue;  // never published
      referenced.insert(e.key);
      ++objects;
      if (!exists) {
        out << shardId << ": missing object " << e.key << "\n";
        ++missing;
        continue;
      }
      if (settings.newlineDelimiter || e.error) {
        const auto lines = countLines(path);
        if (!lines || *lines != e.records) {
          out << shardId << ": object " << e.key << " holds "
              << (lines ? std::to_string(*lines) : std::string("unreadable")) << " records, its "
              << "manifest entry " << e.records << "\n";
          ++corrupt;
        }
      }
      overlaps.add(covered.intersect(e.offsets));
      covered.add(e.offsets);
      records += e.records;
      if (e.error) errorRecords += e.records;
    }
    OffsetRanges gaps;
    if (auto f = covered.first()) {
      gaps.addRange(*f, *covered.end());
      gaps.subtract(covered);
    }
    out << shardId << ": ";
    std::optional<TopicComparison> cmp;
    if (topic) {
      const auto p = partitionOf(shardId);
      const auto t = p ? topic->shards.find(*p) : topic->shards.end();
      if (t == topic->shards.end()) {
        out << "not a shard of " << topic->topic << "; ";
        bad = true;
      } else {
        cmp = compare(covered, t->second, topic->fromTrimHorizon);
        gaps = cmp->missing;
        out << "topic offsets [" << t->second.low << "," << t->second.high << "), checkpoint "
            << (t->second.committed ? std::to_string(*t->second.committed) : std::string("none"))
            << "; ";
      }
    }
    if (!a->entries) out << "no manifest; ";
    out << objects << " objects, " << records << " records (" << errorRecords
        << " in the error prefix); covered " << rangesText(covered) << "; gaps " << rangesText(gaps)
        << " (" << gaps.count() << " offsets); duplicates " << rangesText(overlaps) << " ("
        << overlaps.count() << " offsets)";
    if (cmp) {
      out << "; not yet archived " << rangesText(cmp->notYet) << " (" << cmp->notYet.count()
          << " offsets)";
      if (!cmp->unchecked.empty())
        out << "; before the archive, not checked (starting position) "
            << rangesText(cmp->unchecked) << " (" << cmp->unchecked.count() << " offsets)";
      totalNotYet += cmp->notYet.count();
    }
    if (missing) out << "; " << missing << " missing objects";
    if (corrupt) out << "; " << corrupt << " objects disagree with the manifest";
    out << "\n";
    bad = bad || !gaps.empty() || !overlaps.empty() || missing > 0 || corrupt > 0;
    totalRecords += records;
    totalErrors += errorRecords;
  }
  std::set<std::string> files;
  walk(settings.destinationPath, "", files);
  std::int64_t unreferenced = 0;
  for (const auto& f : files) {
    if (!referenced.count(f)) ++unreferenced;
  }
  if (unreferenced > 0)
    out << unreferenced << " files under the destination are named by no manifest of mapping "
        << mapping << " (another mapping's, or foreign)\n";
  out << (bad ? "FAIL" : "OK") << ": " << totalRecords << " records in " << referenced.size()
      << " objects, " << totalErrors << " in the error prefix";
  if (topic) out << "; " << totalNotYet << " records of the topic not yet archived";
  out << "\n";
  return bad ? 1 : 0;
}

namespace {

// Reads the stream's topic offsets and the mapping's checkpoint; nullopt + `why` when Kafka or
// the catalog cannot be read.
std::optional<TopicView> readTopic(const config::Config& cfg, const config::MappingConfig& m,
                                   std::string& why) {
  try {
    streams::Catalog catalog(kafka::makeKafkaCatalogLog(cfg.kafka),
                             std::chrono::milliseconds(cfg.kafka.requestTimeoutMs));
    if (auto started = catalog.start(); !started) {
      why = "cannot read the stream catalog: " + started.error().message;
      return std::nullopt;
    }
    const auto meta = catalog.find(m.stream);
    if (!meta) {
      why = "no stream " + m.stream + " in the catalog";
      return std::nullopt;
    }
    auto kafka = kafka::makeRdKafkaGroupOffsets(cfg.kafka);
    TopicView view;
    view.topic = meta->topic;
    view.fromTrimHorizon = m.startingPosition == config::StartingPosition::kTrimHorizon;
    auto partitions = kafka->partitionCount(meta->topic);
    if (!partitions) {
      why = "partitions of " + meta->topic + ": " + partitions.error().message;
      return std::nullopt;
    }
    // The checkpoint first, then the watermarks: both before the manifests are read.
    auto committed = kafka->committed(m.consumerGroup, meta->topic);
    if (!committed) {
      why = "committed offsets of " + m.consumerGroup + ": " + committed.error().message;
      return std::nullopt;
    }
    for (std::int32_t p = 0; p < *partitions; ++p) {
      auto w = kafka->watermarks(meta->topic, p);
      if (!w) {
        why = "offsets of " + meta->topic + "/" + std::to_string(p) + ": " + w.error().message;
        return std::nullopt;
      }
      TopicShard& t = view.shards[p];
      t.low = w->low;
      t.high = w->high;
      if (auto c = committed->find(p); c != committed->end() && c->second >= 0)
        t.committed = c->second;
    }
    return view;
  } catch (const std::exception& e) {
    why = e.what();
    return std::nullopt;
  }
}

}  // namespace

int archiveVerifyCommand(const std::vector<std::string>& args, std::ostream& out,
                         std::ostream& err) {
  std::string mapping, configPath = "config/local.json";
  bool offline = false, usage = false;
  for (std::size_t i = 0; i < args.size() && !usage; ++i) {
    if (args[i] == "--mapping" && i + 1 < args.size()) {
      mapping = args[++i];
    } else if (args[i] == "--config" && i + 1 < args.size()) {
      configPath = args[++i];
    } else if (args[i] == "--offline") {
      offline = true;
    } else {
      usage = true;
    }
  }
  if (mapping.empty() || usage) {
    err << "usage: kbridge archive verify --mapping NAME [--config FILE] [--offline]\n"
           "  --offline  check the archive alone, without reading the topic's offsets from Kafka\n";
    return 2;
  }
  // Diagnostics (librdkafka, the catalog) to stderr: stdout is the report.
  spdlog::set_default_logger(spdlog::stderr_logger_mt("archive-verify"));
  spdlog::set_level(spdlog::level::warn);
  config::ConfigErrors errors;
  auto cfg = config::loadConfig(configPath, errors);
  if (!cfg) {
    for (const auto& e : errors.errors) err << e << "\n";
    return 2;
  }
  for (std::size_t i = 0; i < cfg->mappings.size(); ++i) {
    const auto& m = cfg->mappings[i];
    if (m.name != mapping) continue;
    if (m.handlerType != "archive") {
      err << "mapping " << mapping << " has a " << m.handlerType << " handler, not archive\n";
      return 2;
    }
    std::vector<std::string> problems;
    auto settings = parseArchiveSettings(m.handlerSettings,
                                         "$.mappings[" + std::to_string(i) + "].handler", problems);
    if (!settings) {
      for (const auto& p : problems) err << p << "\n";
      return 2;
    }
    std::optional<TopicView> topic;
    if (!offline) {
      std::string why;
      topic = readTopic(*cfg, m, why);
      if (!topic) {
        err << "archive verify: the topic's offsets are not compared: " << why
            << " (--offline checks the archive alone)\n";
        return 2;
      }
    }
    VerifyOptions options;
    options.topic = topic ? &*topic : nullptr;
    return verifyArchive(*settings, mapping, out, err, options);
  }
  err << "no mapping named " << mapping << " in " << configPath << "\n";
  return 2;
}

}  // namespace kbridge::handlers::archive
