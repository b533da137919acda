#include "handlers/archive/manifest.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>

#include "handlers/archive/object_writer.h"

namespace kbridge::handlers::archive {
namespace {

std::string errnoText(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

bool readWhole(int fd, std::string& out) {
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (n == 0) return true;
    out.append(buf, static_cast<std::size_t>(n));
  }
}

bool parseEntry(const nlohmann::json& j, ManifestEntry& e) {
  const auto key = j.find("intent");
  if (key == j.end() || !key->is_string()) return false;
  e.key = key->get<std::string>();
  const auto offsets = j.find("offsets");
  if (offsets == j.end() || !offsets->is_array()) return false;
  for (const auto& r : *offsets) {
    if (!r.is_array() || r.size() != 2 || !r[0].is_number_integer() || !r[1].is_number_integer())
      return false;
    e.offsets.addRange(r[0].get<std::int64_t>(), r[1].get<std::int64_t>());
  }
  e.records = j.value("records", std::int64_t{0});
  e.bytes = j.value("bytes", std::int64_t{0});
  e.firstSequenceNumber = j.value("first_sequence_number", std::string());
  e.error = j.value("error", false);
  return true;
}

}  // namespace

std::optional<std::vector<ManifestEntry>> parseManifest(const std::string& text,
                                                        std::size_t& tornBytes,
                                                        std::string& error) {
  std::vector<ManifestEntry> entries;
  std::map<std::string, std::size_t> pending;  // key → index of its unsettled intent
  std::size_t pos = 0, line = 0;
  tornBytes = 0;
  while (pos < text.size()) {
    const auto nl = text.find('\n', pos);
    if (nl == std::string::npos) {
      tornBytes = text.size() - pos;
      break;
    }
    ++line;
    const std::string_view body(text.data() + pos, nl - pos);
    pos = nl + 1;
    if (body.empty()) continue;
    auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object()) {
      error = "line " + std::to_string(line) + " is not JSON";
      return std::nullopt;
    }
    if (j.contains("done") || j.contains("abort")) {
      const bool done = j.contains("done");
      const auto& k = done ? j["done"] : j["abort"];
      if (!k.is_string()) {
        error = "line " + std::to_string(line) + ": key must be a string";
        return std::nullopt;
      }
      if (auto it = pending.find(k.get<std::string>()); it != pending.end()) {
        entries[it->second].state =
            done ? ManifestEntry::State::kDone : ManifestEntry::State::kAborted;
        pending.erase(it);
      }
      continue;
    }
    ManifestEntry e;
    if (!parseEntry(j, e)) {
      error = "line " + std::to_string(line) + " is not a manifest entry";
      return std::nullopt;
    }
    pending[e.key] = entries.size();
    entries.push_back(std::move(e));
  }
  return entries;
}

std::unique_ptr<Manifest> Manifest::open(const std::string& path, const std::string& root,
                                         OffsetRanges& published, std::string& error) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    error = errnoText("open " + path);
    return nullptr;
  }
  std::unique_ptr<Manifest> m(new Manifest(fd, path));
  std::string text;
  if (!readWhole(fd, text)) {
    error = errnoText("read " + path);
    return nullptr;
  }
  std::size_t torn = 0;
  auto entries = parseManifest(text, torn, error);
  if (!entries) {
    error = path + ": " + error;
    return nullptr;
  }
  if (torn > 0) {
    // A crash mid-append: the line never counted (its intent was not yet fsynced).
    if (::ftruncate(fd, static_cast<off_t>(text.size() - torn)) != 0 || ::fsync(fd) != 0) {
      error = errnoText("repair " + path);
      return nullptr;
    }
  }
  if (::lseek(fd, 0, SEEK_END) < 0) {
    error = errnoText("seek " + path);
    return nullptr;
  }
  for (auto& e : *entries) {
    if (e.state == ManifestEntry::State::kPending) {
      struct stat st {};
      const bool exists = ::stat((root + "/" + e.key).c_str(), &st) == 0;
      // The rename is atomic: the object exists whole or not at all.
      error = exists ? m->appendDone(e.key) : m->appendAbort(e.key);
      if (!error.empty()) return nullptr;
      e.state = exists ? ManifestEntry::State::kDone : ManifestEntry::State::kAborted;
    }
    if (e.state == ManifestEntry::State::kDone) published.add(e.offsets);
  }
  return m;
}

Manifest::~Manifest() {
  if (fd_ >= 0) ::close(fd_);
}

std::string Manifest::appendLine(const std::string& line) {
  if (auto why = writeAll(fd_, line.data(), line.size()); !why.empty()) return why + " " + path_;
  if (::fdatasync(fd_) != 0) return errnoText("fdatasync " + path_);
  return "";
}

std::string Manifest::appendIntent(const ManifestEntry& e) {
  nlohmann::json j;
  j["intent"] = e.key;
  auto offsets = nlohmann::json::array();
  for (const auto& [f, end] : e.offsets.ranges()) offsets.push_back({f, end});
  j["offsets"] = std::move(offsets);
  j["records"] = e.records;
  j["bytes"] = e.bytes;
  j["first_sequence_number"] = e.firstSequenceNumber;
  j["error"] = e.error;
  return appendLine(j.dump() + "\n");
}

std::string Manifest::appendDone(const std::string& key) {
  return appendLine(nlohmann::json{{"done", key}}.dump() + "\n");
}

std::string Manifest::appendAbort(const std::string& key) {
  return appendLine(nlohmann::json{{"abort", key}}.dump() + "\n");
}

}  // namespace kbridge::handlers::archive
