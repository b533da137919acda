#include "streams/stream_meta.h"

#include "streams/sequence_number.h"

namespace kbridge::streams {

using Json = nlohmann::json;

std::string_view statusName(StreamStatus status) {
  switch (status) {
    case StreamStatus::kCreating:
      return "CREATING";
    case StreamStatus::kDeleting:
      return "DELETING";
    case StreamStatus::kActive:
      return "ACTIVE";
    case StreamStatus::kUpdating:
      return "UPDATING";
  }
  return "ACTIVE";
}

std::string_view modeName(StreamMode mode) {
  return mode == StreamMode::kOnDemand ? "ON_DEMAND" : "PROVISIONED";
}

int StreamMeta::openShardCount() const {
  int n = 0;
  for (const auto& s : shards) n += s.open() ? 1 : 0;
  return n;
}

void appendShardIdName(std::string& out, std::uint32_t index) {
  // "shardId-" and 12 digits, zero-padded (an index has at most 10): written for every record of
  // a PutRecords answer, so not through snprintf.
  char digits[12];
  for (int i = 11; i >= 0; --i) {
    digits[i] = static_cast<char>('0' + index % 10);
    index /= 10;
  }
  out += "shardId-";
  out.append(digits, sizeof digits);
}

std::string shardIdName(std::uint32_t index) {
  std::string out;
  out.reserve(20);
  appendShardIdName(out, index);
  return out;
}

std::optional<std::uint32_t> parseShardId(std::string_view shardId) {
  constexpr std::string_view prefix = "shardId-";
  if (shardId.size() != prefix.size() + 12 || shardId.substr(0, prefix.size()) != prefix) {
    return std::nullopt;
  }
  std::uint64_t v = 0;
  for (char c : shardId.substr(prefix.size())) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (v > kMaxShardIndex) return std::nullopt;
  return static_cast<std::uint32_t>(v);
}

std::vector<ShardMeta> initialShards(int count, std::uint64_t generation) {
  std::vector<ShardMeta> shards;
  shards.reserve(static_cast<size_t>(count));
  // floor(2^128 / n) computed without 2^128 itself: (2^128 - 1) / n, plus one when n divides 2^128
  // (n a power of two), since then (2^128 - 1) / n is one short.
  const uint128 n = static_cast<uint128>(count);
  uint128 step = kUint128Max / n;
  if ((kUint128Max % n) == n - 1) step += 1;
  for (int i = 0; i < count; ++i) {
    ShardMeta s;
    s.index = static_cast<std::uint32_t>(i);
    s.hashKeyRange.start = step * static_cast<uint128>(i);
    s.hashKeyRange.end = (i == count - 1) ? kUint128Max : step * static_cast<uint128>(i + 1) - 1;
    s.startingSequenceNumber = SequenceNumber{generation, s.index, 0}.toString();
    shards.push_back(std::move(s));
  }
  return shards;
}

Json toCatalogJson(const StreamMeta& m) {
  Json shards = Json::array();
  for (const auto& s : m.shards) {
    Json j{{"index", s.index},
           {"start", toDecimal(s.hashKeyRange.start)},
           {"end", toDecimal(s.hashKeyRange.end)},
           {"startSeq", s.startingSequenceNumber}};
    if (s.parent) j["parent"] = *s.parent;
    if (s.adjacentParent) j["adjacentParent"] = *s.adjacentParent;
    if (s.endingSequenceNumber) j["endSeq"] = *s.endingSequenceNumber;
    shards.push_back(std::move(j));
  }
  Json doc{{"v", 1},
           {"kind", "stream"},
           {"name", m.name},
           {"topic", m.topic},
           {"generation", m.generation},
           {"created", m.creationTimeMs},
           {"status", statusName(m.status)},
           {"mode", modeName(m.mode)},
           {"retentionHours", m.retentionHours},
           {"shards", std::move(shards)},
           {"tags", m.tags},
           {"shardLevelMetrics", m.shardLevelMetrics},
           {"consumers", m.consumers}};
  // Written only when set, so records of ordinary streams stay as they were.
  if (m.adopted) doc["adopted"] = true;
  if (m.kafkaPartitioner) doc["partitioner"] = "kafka";
  return doc;
}

std::optional<StreamMeta> fromCatalogJson(const Json& doc) {
  try {
    if (!doc.is_object() || doc.value("kind", "") != "stream" || doc.value("v", 0) != 1) {
      return std::nullopt;
    }
    StreamMeta m;
    m.name = doc.at("name").get<std::string>();
    m.topic = doc.at("topic").get<std::string>();
    m.generation = doc.at("generation").get<std::uint64_t>();
    m.creationTimeMs = doc.at("created").get<std::int64_t>();
    const auto status = doc.at("status").get<std::string>();
    m.status = status == "CREATING"   ? StreamStatus::kCreating
               : status == "DELETING" ? StreamStatus::kDeleting
               : status == "UPDATING" ? StreamStatus::kUpdating
                                      : StreamStatus::kActive;
    m.mode = doc.at("mode").get<std::string>() == "ON_DEMAND" ? StreamMode::kOnDemand
                                                              : StreamMode::kProvisioned;
    m.retentionHours = doc.at("retentionHours").get<int>();
    for (const auto& j : doc.at("shards")) {
      ShardMeta s;
      s.index = j.at("index").get<std::uint32_t>();
      auto start = parseDecimal(j.at("start").get<std::string>());
      auto end = parseDecimal(j.at("end").get<std::string>());
      if (!start || !end) return std::nullopt;
      s.hashKeyRange = {*start, *end};
      s.startingSequenceNumber = j.at("startSeq").get<std::string>();
      if (j.contains("parent")) s.parent = j["parent"].get<std::uint32_t>();
      if (j.contains("adjacentParent")) s.adjacentParent = j["adjacentParent"].get<std::uint32_t>();
      if (j.contains("endSeq")) s.endingSequenceNumber = j["endSeq"].get<std::string>();
      m.shards.push_back(std::move(s));
    }
    m.tags = doc.value("tags", std::map<std::string, std::string>{});
    m.shardLevelMetrics = doc.value("shardLevelMetrics", std::vector<std::string>{});
    m.consumers = doc.value("consumers", std::vector<std::string>{});
    m.adopted = doc.value("adopted", false);
    m.kafkaPartitioner = doc.value("partitioner", "") == "kafka";
    return m;
  } catch (const Json::exception&) {
    return std::nullopt;
  }
}

}  // namespace kbridge::streams
