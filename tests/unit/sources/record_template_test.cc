#include "sources/record_template.h"

#include <gtest/gtest.h>

namespace kbridge::sources {
namespace {

using Json = nlohmann::json;

TemplateContext context() {
  // 2026-11-22T08:30:00.123Z
  return TemplateContext{1795336200123, 7, "k3x9a0zq", "producer"};
}

RecordTemplate compiled(const Json& doc) {
  std::vector<std::string> errors;
  auto t = RecordTemplate::compile(doc, "$.t", errors);
  EXPECT_TRUE(errors.empty()) << errors.front();
  return *t;
}

TEST(RecordTemplate, IsoTimeIsUtcWithMilliseconds) {
  EXPECT_EQ(isoTime(1795336200123), "2026-11-22T08:30:00.123Z");
  EXPECT_EQ(isoTime(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(isoTime(-1), "1969-12-31T23:59:59.999Z");
}

TEST(RecordTemplate, RendersEveryPlaceholder) {
  auto t = compiled({{"message", "Hello from producer"},
                     {"time", "${time}"},
                     {"all", "${epoch_ms}/${epoch_s}/${count}/${random}/${source}"}});
  EXPECT_EQ(t.render(context()), Json({{"message", "Hello from producer"},
                                       {"time", "2026-11-22T08:30:00.123Z"},
                                       {"all", "1795336200123/1795336200/7/k3x9a0zq/producer"}}));
}

TEST(RecordTemplate, ALoneNumericPlaceholderBecomesANumber) {
  // Seed 004's producer: { message: 'Hello', time: <epoch ms> }.
  auto t =
      compiled({{"message", "Hello"}, {"time", "${epoch_ms}"}, {"n", {"${count}", "${epoch_s}"}}});
  const Json out = t.render(context());
  EXPECT_TRUE(out["time"].is_number_integer());
  EXPECT_EQ(out["time"], 1795336200123);
  EXPECT_EQ(out["n"], Json({7, 1795336200}));
  EXPECT_EQ(t.renderData(context()),
            R"({"message":"Hello","n":[7,1795336200],"time":1795336200123})");
}

TEST(RecordTemplate, AStringTemplateIsDataAsIs) {
  auto t = compiled("partition-${epoch_ms}-${random}");
  EXPECT_EQ(t.renderData(context()), "partition-1795336200123-k3x9a0zq");
  EXPECT_EQ(compiled("${count}").renderData(context()), "7");
}

TEST(RecordTemplate, DoubleDollarEscapesAPlaceholder) {
  EXPECT_EQ(compiled("cost $${time} at ${time}").renderData(context()),
            "cost ${time} at 2026-11-22T08:30:00.123Z");
  EXPECT_EQ(compiled("$5 and $").renderData(context()), "$5 and $");
}

TEST(RecordTemplate, OtherValuesAndKeysAreLeftAlone) {
  auto t = compiled({{"${time}", 1.5}, {"flag", true}, {"none", nullptr}});
  EXPECT_EQ(t.render(context()), Json({{"${time}", 1.5}, {"flag", true}, {"none", nullptr}}));
}

TEST(RecordTemplate, ReportsEveryBadPlaceholderWithItsPath) {
  std::vector<std::string> errors;
  auto t = RecordTemplate::compile(
      Json{{"a", "${nope}"}, {"b", {"ok", "${time"}}, {"c", {{"d", "${}"}}}},
      "$.sources[0].template", errors);
  EXPECT_FALSE(t);
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_EQ(errors[0].rfind("$.sources[0].template.a: unknown placeholder \"${nope}\"", 0), 0u)
      << errors[0];
  EXPECT_EQ(errors[1], "$.sources[0].template.b[1]: has a \"${\" without its \"}\"");
  EXPECT_EQ(errors[2].rfind("$.sources[0].template.c.d: unknown placeholder \"${}\"", 0), 0u)
      << errors[2];
}

}  // namespace
}  // namespace kbridge::sources
