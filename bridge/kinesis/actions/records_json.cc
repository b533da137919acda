#include "kinesis/actions/records_json.h"

#include <cstring>
#include <nlohmann/json.hpp>

#include "kinesis/codec.h"
#include "streams/stream_meta.h"

namespace kbridge::kinesis::actions {
namespace {

// The input shapes' constraints (kinesis/model.cc), for the values this reader accepts.
constexpr std::size_t kMaxStreamName = 128;
constexpr std::size_t kMaxPartitionKey = 256;
constexpr std::size_t kMaxData = 1048576;
constexpr std::size_t kMaxRecords = 500;
constexpr std::size_t kMaxHashKeyDigits = 39;
constexpr std::size_t kMaxSequenceNumberDigits = 129;

bool streamNameOk(std::string_view s) {
  if (s.empty() || s.size() > kMaxStreamName) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
          c == '.' || c == '-')) {
      return false;
    }
  }
  return true;
}

// 0|([1-9]\d{0,max-1})
bool decimalOk(std::string_view s, std::size_t maxDigits) {
  if (s.empty() || s.size() > maxDigits) return false;
  if (s[0] == '0') return s.size() == 1;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// A cursor over the body. Every method returns false when the input is not of the accepted form;
// the caller then gives up (the generic path decides).
class Reader {
 public:
  explicit Reader(std::string_view body) : p_(body.data()), end_(body.data() + body.size()) {}

  bool consume(char c) {
    skipSpace();
    if (p_ == end_ || *p_ != c) return false;
    ++p_;
    return true;
  }
  bool peek(char c) {
    skipSpace();
    return p_ != end_ && *p_ == c;
  }
  bool atEnd() {
    skipSpace();
    return p_ == end_;
  }

  // A string of printable ASCII without escapes.
  bool plainString(std::string_view& out) {
    if (!consume('"')) return false;
    const char* start = p_;
    for (; p_ != end_; ++p_) {
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        out = std::string_view(start, static_cast<std::size_t>(p_ - start));
        ++p_;
        return true;
      }
      if (c < 0x20 || c == '\\' || c >= 0x80) return false;
    }
    return false;
  }

  // A base64 string decoded into `out`. The decoder refuses every byte outside the alphabet, so
  // escapes, control characters and non-ASCII text fail it.
  bool base64String(std::string& out) {
    if (!consume('"')) return false;
    const void* quote = std::memchr(p_, '"', static_cast<std::size_t>(end_ - p_));
    if (quote == nullptr) return false;
    const auto* q = static_cast<const char*>(quote);
    const std::string_view text(p_, static_cast<std::size_t>(q - p_));
    p_ = q + 1;
    return base64DecodeTo(text, out);
  }

 private:
  void skipSpace() {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }

  const char* p_;
  const char* end_;
};

// Reads the members of one object: `member(name)` reads the value of each (returning false to give
// up). Gives up on an empty object too (the generic path reports the missing members).
template <class Member>
bool readObject(Reader& in, Member&& member) {
  if (!in.consume('{')) return false;
  do {
    std::string_view name;
    if (!in.plainString(name) || !in.consume(':') || !member(name)) return false;
  } while (in.consume(','));
  return in.consume('}');
}

// Reads a record's members into `record`; `extra` handles the members of PutRecord's top level.
template <class Extra>
bool readRecordMembers(Reader& in, RecordInput& record, Extra&& extra) {
  bool key = false, data = false, hash = false;
  const bool ok = readObject(in, [&](std::string_view name) {
    std::string_view text;
    if (name == "Data") {
      if (data) return false;
      data = true;
      return in.base64String(record.data) && record.data.size() <= kMaxData;
    }
    if (name == "PartitionKey") {
      if (key || !in.plainString(text) || text.empty() || text.size() > kMaxPartitionKey) {
        return false;
      }
      key = true;
      record.partitionKey.assign(text);
      return true;
    }
    if (name == "ExplicitHashKey") {
      if (hash || !in.plainString(text) || !decimalOk(text, kMaxHashKeyDigits)) return false;
      hash = true;
      record.explicitHashKey.emplace(text);
      return true;
    }
    return extra(name);
  });
  return ok && key && data;
}

}  // namespace

std::optional<PutRecordsJsonInput> readPutRecordsJson(std::string_view body) {
  Reader in(body);
  PutRecordsJsonInput out;
  bool name = false, records = false;
  const bool ok = readObject(in, [&](std::string_view member) {
    if (member == "StreamName") {
      std::string_view text;
      if (name || !in.plainString(text) || !streamNameOk(text)) return false;
      name = true;
      out.streamName.assign(text);
      return true;
    }
    if (member != "Records" || records || !in.consume('[')) return false;
    records = true;
    if (in.peek(']')) return false;  // at least one record
    out.records.reserve(kMaxRecords);
    do {
      if (out.records.size() == kMaxRecords) return false;
      if (!readRecordMembers(in, out.records.emplace_back(),
                             [](std::string_view) { return false; })) {
        return false;
      }
    } while (in.consume(','));
    return in.consume(']');
  });
  if (!ok || !name || !records || !in.atEnd()) return std::nullopt;
  return out;
}

std::optional<PutRecordJsonInput> readPutRecordJson(std::string_view body) {
  Reader in(body);
  PutRecordJsonInput out;
  bool name = false;
  const bool ok = readRecordMembers(in, out.record, [&](std::string_view member) {
    std::string_view text;
    if (member == "StreamName") {
      if (name || !in.plainString(text) || !streamNameOk(text)) return false;
      name = true;
      out.streamName.assign(text);
      return true;
    }
    if (member == "SequenceNumberForOrdering") {
      if (out.sequenceNumberForOrdering || !in.plainString(text) ||
          !decimalOk(text, kMaxSequenceNumberDigits)) {
        return false;
      }
      out.sequenceNumberForOrdering.emplace(text);
      return true;
    }
    return false;
  });
  if (!ok || !name || !in.atEnd()) return std::nullopt;
  return out;
}

void appendJsonString(std::string& out, std::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80) {
      // Rare: let the library escape (and repair invalid UTF-8) exactly as encodeBody does.
      out += nlohmann::json(std::string(s))
                 .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      return;
    }
  }
  out.push_back('"');
  out += s;
  out.push_back('"');
}

// Members in the order encodeBody() writes them: nlohmann objects are sorted by name.
std::string putRecordsResponseJson(const std::vector<PutRecordsResultEntry>& entries,
                                   int failedCount) {
  std::string out;
  out.reserve(96 + entries.size() * 96);
  out += "{\"EncryptionType\":\"NONE\",\"FailedRecordCount\":";
  out += std::to_string(failedCount);
  out += ",\"Records\":[";
  bool first = true;
  for (const auto& e : entries) {
    if (!first) out.push_back(',');
    first = false;
    if (!e.errorCode.empty()) {
      out += "{\"ErrorCode\":";
      appendJsonString(out, e.errorCode);
      out += ",\"ErrorMessage\":";
      appendJsonString(out, e.errorMessage);
      out.push_back('}');
      continue;
    }
    out += "{\"SequenceNumber\":\"";
    out += e.sequenceNumber;
    out += "\",\"ShardId\":\"";
    streams::appendShardIdName(out, e.shard);
    out += "\"}";
  }
  out += "]}";
  return out;
}

std::string putRecordResponseJson(std::uint32_t shard, const std::string& sequenceNumber) {
  std::string out;
  out.reserve(128);
  out += "{\"EncryptionType\":\"NONE\",\"SequenceNumber\":\"";
  out += sequenceNumber;
  out += "\",\"ShardId\":\"";
  streams::appendShardIdName(out, shard);
  out += "\"}";
  return out;
}

}  // namespace kbridge::kinesis::actions
