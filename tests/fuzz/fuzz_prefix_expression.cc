// libFuzzer target: Firehose S3 prefix expressions (handlers/archive/prefix_expression.h). The
// input is the prefix text, e.g. "data/!{timestamp:yyyy/MM/dd}/!{partitionKeyFromQuery:customer}/".
//
// Invariants: a refused prefix comes with a reason; an accepted one keeps its source, parses the
// same again, evaluates (at arrival times from 1970 to the ends of int64) without crashing, to the
// source text itself when it has no expressions, to the same text for two times within one
// timeResolutionMs() tick, and to text holding every partition key's value.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "handlers/archive/prefix_expression.h"

namespace {

using kbridge::handlers::archive::PrefixTemplate;
using kbridge::handlers::archive::PrefixValues;

constexpr std::int64_t kTimes[] = {
    0,
    1,
    -1,
    999,
    -1001,
    1700000000123,    // 2023-11-14T22:13:20.123Z
    253402300799999,  // 9999-12-31T23:59:59.999Z
    -62135596800000,  // 0001-01-01T00:00:00Z
    std::numeric_limits<std::int64_t>::max(),
    std::numeric_limits<std::int64_t>::min(),
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string error;
  const auto parsed = PrefixTemplate::parse(text, error);
  if (!parsed) {
    FUZZ_CHECK(!error.empty());
    return 0;
  }
  FUZZ_CHECK(parsed->source() == text);
  std::string again;
  const auto reparsed = PrefixTemplate::parse(parsed->source(), again);
  FUZZ_CHECK(reparsed && reparsed->parts().size() == parsed->parts().size());

  std::map<std::string, std::string> keys;
  for (const auto& name : parsed->partitionKeyNames()) keys[name] = "<" + name + ">";
  PrefixValues values;
  values.partitionKeys = &keys;
  values.randomString = "abcdefghijk";
  values.errorOutputType = "processing-failed";
  const std::int64_t tick = parsed->timeResolutionMs();
  FUZZ_CHECK(tick == 1 || tick == 1000);
  for (const std::int64_t t : kTimes) {
    values.timestampMs = t;
    const std::string out = parsed->evaluate(values);
    if (!parsed->hasExpressions()) FUZZ_CHECK(out == text);
    for (const auto& [name, value] : keys) FUZZ_CHECK(out.find(value) != std::string::npos);
    // The start of t's tick (floor division) evaluates the same.
    const std::int64_t intoTick = ((t % tick) + tick) % tick;
    if (t < std::numeric_limits<std::int64_t>::min() + intoTick) continue;
    values.timestampMs = t - intoTick;
    FUZZ_CHECK(parsed->evaluate(values) == out);
  }
  // No evaluation without values may fail either.
  (void)parsed->evaluate(PrefixValues{});
  return 0;
}
