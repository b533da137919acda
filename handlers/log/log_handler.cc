#include "handlers/log/log_handler.h"

#include <cassert>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <limits>
#include <mutex>
#include <optional>

#include "config/reader.h"
#include "handlers/common/text_output.h"
#include "handlers/webhook/lambda_event.h"
#include "kinesis/codec.h"

namespace kbridge::handlers {
namespace {

enum class LogFormat { kText, kJson };

struct LogSettings {
  std::string output = "stdout";  // "stdout", "stderr" or a file path
  LogFormat format = LogFormat::kText;
  std::size_t maxDataBytes = 1024;  // 0 = no limit
};

// Text for one line: valid UTF-8 is kept, control characters become \n, \r, \t or \xNN, and bytes
// that are not UTF-8 become \xNN, so a record is always exactly one line.
void appendPrintable(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  auto escapeByte = [&](unsigned char c) {
    out += "\\x";
    out += kHex[c >> 4];
    out += kHex[c & 15];
  };
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7F) {
      out += static_cast<char>(c);
      ++i;
    } else if (c == '\n') {
      out += "\\n", ++i;
    } else if (c == '\r') {
      out += "\\r", ++i;
    } else if (c == '\t') {
      out += "\\t", ++i;
    } else if (c < 0x80) {
      escapeByte(c), ++i;
    } else {
      const std::size_t len = utf8SequenceLength(text.substr(i));
      if (len > 0) {
        out.append(text.data() + i, len);
        i += len;
      } else {
        escapeByte(c), ++i;
      }
    }
  }
}

// Lifecycle: built from validated settings; open() resolves the output (opening a file for
// appending), deliver() writes, close() closes a file it opened.
// Threading: deliver() formats a batch's lines without a lock, then writes them with one write
// loop under TextOutput's lock, so the lines of a batch stay together and batches never interleave.
class LogHandler final : public runtime::Handler {
 public:
  explicit LogHandler(LogSettings settings) : settings_(std::move(settings)) {}
  ~LogHandler() override { close(); }

  std::string open(const runtime::HandlerContext& context) override {
    mapping_ = context.mappingName;
    writer_.emplace(context);
    if (auto why = output_.open(settings_.output); !why.empty()) return "log handler: " + why;
    return "";
  }

  runtime::DeliveryResult deliver(const runtime::Batch& batch) override {
    assert(writer_ && "open() before deliver()");
    std::string text;
    for (const auto& r : batch.records) {
      if (settings_.format == LogFormat::kJson) {
        writer_->appendRecord(text, batch.shardId, r, settings_.maxDataBytes);
      } else {
        appendTextLine(text, batch.shardId, r);
      }
      text += '\n';
    }
    if (auto why = output_.write(text); !why.empty()) {
      // Records written before the error are logged again on retry: a log is at-least-once.
      return runtime::DeliveryResult::retryLater("log handler: " + why);
    }
    return runtime::DeliveryResult::ok();
  }

  void close() override { output_.close(); }

 private:
  void appendTextLine(std::string& out, std::string_view shardId, const runtime::Record& r) const {
    out += '[';
    out += mapping_;
    out += "] ";
    out += shardId;
    out += ' ';
    out += r.sequenceNumber;
    out += " partitionKey=";
    appendPrintable(out, r.partitionKey);
    const std::size_t max = settings_.maxDataBytes;
    const bool truncated = max > 0 && r.data.size() > max;
    if (isValidUtf8(r.data)) {
      out += " data=";
      appendPrintable(out, truncated ? utf8Prefix(r.data, max) : std::string_view(r.data));
    } else {
      out += " data_base64=";
      out += kinesis::base64Encode(truncated ? std::string_view(r.data).substr(0, max)
                                             : std::string_view(r.data));
    }
    if (truncated) out += " (truncated, " + std::to_string(r.data.size()) + " bytes)";
  }

  const LogSettings settings_;
  std::string mapping_;
  std::optional<LambdaEventWriter> writer_;
  TextOutput output_;
};

}  // namespace

std::unique_ptr<runtime::Handler> buildLogHandler(const nlohmann::json& settings,
                                                  const std::string& path,
                                                  std::vector<std::string>& errors) {
  const std::size_t before = errors.size();
  LogSettings s;
  {
    config::ObjectReader r(settings, path, errors);
    r.string("output", s.output, [](const std::string& v) -> std::string {
      return v.empty() ? "must be \"stdout\", \"stderr\" or a file path" : "";
    });
    std::string format = "text";
    r.string("format", format, [](const std::string& v) -> std::string {
      return v == "text" || v == "json" ? "" : "must be \"text\" or \"json\"";
    });
    s.format = format == "json" ? LogFormat::kJson : LogFormat::kText;
    r.integer("max_data_bytes", s.maxDataBytes, 0, std::numeric_limits<std::int32_t>::max());
  }  // the reader reports unknown keys when it goes out of scope
  if (errors.size() != before) return nullptr;
  return std::make_unique<LogHandler>(std::move(s));
}

}  // namespace kbridge::handlers
