#include "handlers/webhook/lambda_event.h"

#include <charconv>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "common/utf8.h"
#include "kinesis/codec.h"

namespace kbridge::handlers {
namespace {

// The body of a JSON string literal, without the quotes.
void appendJsonChars(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t i = 0;
  while (i < n) {
    // Runs of plain ASCII are copied at once.
    std::size_t j = i;
    while (j < n && p[j] >= 0x20 && p[j] < 0x80 && p[j] != '"' && p[j] != '\\') ++j;
    out.append(text.data() + i, j - i);
    i = j;
    if (i == n) break;
    const unsigned char c = p[i];
    if (c >= 0x80) {
      const std::size_t len = utf8::sequenceLength(p + i, n - i);
      if (len == 0) {
        out += "\xEF\xBF\xBD";  // U+FFFD
        i += 1;
      } else {
        out.append(text.data() + i, len);
        i += len;
      }
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 15];
    }
    ++i;
  }
}

void appendInt(std::string& out, std::int64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;  // 24 bytes hold any int64
  out.append(buf, end);
}

}  // namespace

void appendJsonString(std::string& out, std::string_view text) {
  out += '"';
  appendJsonChars(out, text);
  out += '"';
}

std::size_t utf8SequenceLength(std::string_view text) {
  if (text.empty()) return 0;
  return utf8::sequenceLength(reinterpret_cast<const unsigned char*>(text.data()), text.size());
}

bool isValidUtf8(std::string_view text) {
  return utf8::isValid(text);
}

std::string_view utf8Prefix(std::string_view text, std::size_t maxBytes) {
  if (text.size() <= maxBytes) return text;
  std::size_t cut = maxBytes;
  // A continuation byte at the cut means a sequence straddles it: cut before that sequence.
  for (int back = 0; back < 3 && cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80;
       ++back) {
    --cut;
  }
  return text.substr(0, cut);
}

void appendEpochSeconds(std::string& out, std::int64_t epochMillis) {
  if (epochMillis < 0) {
    out += '-';
    // Negative arrival times do not occur (Kafka timestamps are >= 0); kept exact all the same.
    epochMillis = -epochMillis;
  }
  appendInt(out, epochMillis / 1000);
  int frac = static_cast<int>(epochMillis % 1000);
  if (frac == 0) return;
  char digits[3] = {static_cast<char>('0' + frac / 100), static_cast<char>('0' + frac / 10 % 10),
                    static_cast<char>('0' + frac % 10)};
  std::size_t len = 3;
  while (digits[len - 1] == '0') --len;
  out += '.';
  out.append(digits, len);
}

std::string invokeIdentityArn(std::string_view accountId) {
  return "arn:aws:iam::" + std::string(accountId) + ":role/kbridge";
}

LambdaEventWriter::LambdaEventWriter(const runtime::HandlerContext& context) {
  tail_ = ",\"invokeIdentityArn\":";
  appendJsonString(tail_, invokeIdentityArn(context.accountId));
  tail_ += ",\"awsRegion\":";
  appendJsonString(tail_, context.region);
  tail_ += ",\"eventSourceARN\":";
  appendJsonString(tail_, context.streamArn);
  tail_ += '}';
}

std::string LambdaEventWriter::event(const runtime::Batch& batch) const {
  std::size_t estimate = 16;
  for (const auto& r : batch.records) {
    estimate += 300 + tail_.size() + (r.data.size() + 2) / 3 * 4 + r.partitionKey.size() +
                2 * r.sequenceNumber.size();
  }
  std::string out;
  out.reserve(estimate);
  out += "{\"Records\":[";
  bool first = true;
  for (const auto& r : batch.records) {
    if (!first) out += ',';
    first = false;
    appendRecord(out, batch.shardId, r);
  }
  out += "]}";
  return out;
}

void LambdaEventWriter::appendRecord(std::string& out, std::string_view shardId,
                                     const runtime::Record& record,
                                     std::size_t maxDataBytes) const {
  std::string_view data = record.data;
  if (maxDataBytes > 0 && data.size() > maxDataBytes) data = data.substr(0, maxDataBytes);
  out += R"({"kinesis":{"kinesisSchemaVersion":"1.0","partitionKey":)";
  appendJsonString(out, record.partitionKey);
  out += R"(,"sequenceNumber":)";
  appendJsonString(out, record.sequenceNumber);
  out += R"(,"data":")";
  out += kinesis::base64Encode(data);  // base64 needs no escaping
  out += R"(","approximateArrivalTimestamp":)";
  appendEpochSeconds(out, record.arrivalMs);
  out += R"(},"eventSource":"aws:kinesis","eventVersion":"1.0","eventID":")";
  appendJsonChars(out, shardId);
  out += ':';
  appendJsonChars(out, record.sequenceNumber);
  out += R"(","eventName":"aws:kinesis:record")";
  out += tail_;
}

runtime::DeliveryResult interpretReply(std::string_view body,
                                       std::span<const runtime::Record> records) {
  using runtime::DeliveryResult;
  const auto reply = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  // Not JSON, or not an object: an empty or null response (or a plain "OK") is a success.
  if (!reply.is_object()) return DeliveryResult::ok();
  const auto list = reply.find("batchItemFailures");
  if (list == reply.end() || list->is_null()) return DeliveryResult::ok();
  auto wholeBatch = [](std::string why) {
    return DeliveryResult::failed("batchItemFailures" + why + "; the whole batch failed", 0);
  };
  if (!list->is_array()) return wholeBatch(" must be a list");
  if (list->empty()) return DeliveryResult::ok();

  std::unordered_map<std::string_view, std::size_t> indexOf;
  indexOf.reserve(records.size());
  for (std::size_t i = 0; i < records.size(); ++i) indexOf.emplace(records[i].sequenceNumber, i);

  std::size_t lowest = records.size();
  for (std::size_t k = 0; k < list->size(); ++k) {
    const auto& item = (*list)[k];
    const std::string at = "[" + std::to_string(k) + "]";
    if (!item.is_object()) return wholeBatch(at + " must be an object");
    const auto id = item.find("itemIdentifier");
    if (id == item.end()) return wholeBatch(at + " has no itemIdentifier");
    if (id->is_null()) return wholeBatch(at + ".itemIdentifier is null");
    if (!id->is_string()) return wholeBatch(at + ".itemIdentifier must be a string");
    const auto& text = id->get_ref<const std::string&>();
    if (text.empty()) return wholeBatch(at + ".itemIdentifier is empty");
    const auto found = indexOf.find(text);
    if (found == indexOf.end()) {
      return wholeBatch(at + ".itemIdentifier \"" + text.substr(0, 64) +
                        "\" is not a sequence number of the batch");
    }
    lowest = std::min(lowest, found->second);
  }
  return DeliveryResult::failed(std::to_string(list->size()) +
                                    " record(s) reported in batchItemFailures; the first at "
                                    "sequence number " +
                                    records[lowest].sequenceNumber,
                                lowest);
}

}  // namespace kbridge::handlers
