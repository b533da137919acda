#include "handlers/archive/archive_verify.h"

#include <dirent.h>
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
  for (const auto& [f, e] : r.map()) {
    if (i++ == max) {
      s << " … (" << r.map().size() << " ranges)";
      break;
    }
    s << (i > 1 ? " " : "") << "[" << f << "," << e << ")";
  }
  return i == 0 ? "none" : s.str();
}

}  // namespace

int verifyArchive(const ArchiveSettings& settings, const std::string& mapping, std::ostream& out,
                  std::ostream& progress) {
  const std::string stateDir = archiveStateDir(settings.destinationPath, mapping);
  std::vector<std::string> manifests;
  for (const auto& n : listDir(stateDir)) {
    if (n.size() > 9 && n.ends_with(".manifest")) manifests.push_back(n);
  }
  std::sort(manifests.begin(), manifests.end());
  if (manifests.empty()) {
    out << "archive " << settings.destinationPath << ", mapping " << mapping << ": no manifests in "
        << stateDir << "\n";
    return 1;
  }
  bool bad = false;
  std::set<std::string> referenced;
  std::int64_t totalRecords = 0, totalErrors = 0, objectsDone = 0;
  auto lastProgress = std::chrono::steady_clock::now();
  for (const auto& name : manifests) {
    const std::string shardId = name.substr(0, name.size() - 9);
    std::ifstream in(stateDir + "/" + name, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    std::size_t torn = 0;
    std::string why;
    auto entries = parseManifest(text.str(), torn, why);
    if (!entries) {
      out << shardId << ": unreadable manifest: " << why << "\n";
      bad = true;
      continue;
    }
    OffsetRanges covered, overlaps;
    std::int64_t objects = 0, records = 0, errorRecords = 0, missing = 0, corrupt = 0;
    for (const auto& e : *entries) {
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
      if (++objectsDone % 100 == 0 &&
          std::chrono::steady_clock::now() - lastProgress > std::chrono::seconds(2)) {
        lastProgress = std::chrono::steady_clock::now();
        progress << "verified " << objectsDone << " objects…\n";
      }
    }
    OffsetRanges gaps;
    if (auto f = covered.first()) {
      gaps.addRange(*f, *covered.end());
      gaps.subtract(covered);
    }
    out << shardId << ": " << objects << " objects, " << records << " records (" << errorRecords
        << " in the error prefix); covered " << rangesText(covered) << "; gaps " << rangesText(gaps)
        << " (" << gaps.count() << " offsets); duplicates " << rangesText(overlaps) << " ("
        << overlaps.count() << " offsets)";
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
      << " objects, " << totalErrors << " in the error prefix\n";
  return bad ? 1 : 0;
}

int archiveVerifyCommand(const std::vector<std::string>& args, std::ostream& out,
                         std::ostream& err) {
  std::string mapping, configPath = "config/local.json";
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--mapping" && i + 1 < args.size()) {
      mapping = args[++i];
    } else if (args[i] == "--config" && i + 1 < args.size()) {
      configPath = args[++i];
    } else {
      mapping.clear();
      break;
    }
  }
  if (mapping.empty()) {
    err << "usage: kbridge archive verify --mapping NAME [--config FILE]\n";
    return 2;
  }
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
    return verifyArchive(*settings, mapping, out, err);
  }
  err << "no mapping named " << mapping << " in " << configPath << "\n";
  return 2;
}

}  // namespace kbridge::handlers::archive
