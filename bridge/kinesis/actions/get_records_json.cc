#include "kinesis/actions/get_records_json.h"

#include <nlohmann/json.hpp>

#include "kinesis/codec.h"
#include "streams/sequence_number.h"

namespace kbridge::kinesis::actions {
namespace {

// Epoch seconds with the millisecond fraction, as timestampValue() renders them in JSON: whole
// seconds as an integer, otherwise the shortest decimal that round-trips the double. Records of
// one page mostly share their arrival millisecond, so the last rendering is kept.
class TimestampWriter {
 public:
  void append(std::string& out, std::int64_t ms) {
    if (ms != lastMs_ || text_.empty()) {
      lastMs_ = ms;
      text_ = ms % 1000 == 0 ? std::to_string(ms / 1000)
                             : nlohmann::json(static_cast<double>(ms) / 1000.0).dump();
    }
    out += text_;
  }

 private:
  std::int64_t lastMs_ = 0;
  std::string text_;
};

void appendString(std::string& out, const std::string& s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80) {
      // Rare: let the library escape (and repair invalid UTF-8) exactly as encodeBody does.
      out += nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      return;
    }
  }
  out.push_back('"');
  out += s;
  out.push_back('"');
}

}  // namespace

std::string getRecordsJson(std::uint64_t generation, std::uint32_t shard,
                           const std::vector<kafka::FetchedRecord>& records,
                           const std::string& nextIterator, std::int64_t millisBehind) {
  std::string out;
  std::size_t estimate = 128 + nextIterator.size();
  for (const auto& r : records) estimate += 160 + r.key.size() + r.value.size() * 4 / 3;
  out.reserve(estimate);
  out += "{\"MillisBehindLatest\":";
  out += std::to_string(millisBehind);
  out += ",\"NextShardIterator\":";
  appendString(out, nextIterator);
  out += ",\"Records\":[";
  bool first = true;
  TimestampWriter timestamps;
  streams::SequenceText sequences(generation, shard);
  for (const auto& r : records) {
    if (!first) out.push_back(',');
    first = false;
    out += "{\"ApproximateArrivalTimestamp\":";
    timestamps.append(out, r.timestampMs);
    out += ",\"Data\":\"";
    base64EncodeTo(out, r.value);
    out += "\",\"PartitionKey\":";
    appendString(out, r.key);
    out += ",\"SequenceNumber\":\"";
    out += sequences.of(static_cast<std::uint64_t>(r.offset));
    out += "\"}";
  }
  out += "]}";
  return out;
}

}  // namespace kbridge::kinesis::actions
