#include "handlers/table/table_handler.h"

#include <gtest/gtest.h>

#include <fstream>

#include "common/clock.h"
#include "handlers/table/table_store.h"
#include "table_test_dir.h"

namespace kbridge::handlers::table {
namespace {

using nlohmann::json;
using runtime::Outcome;
using runtime::Record;

constexpr std::int64_t kArrival = 1'763'794'862'123;  // 2025-11-22T07:01:02.123Z

Record record(std::int64_t offset, std::string data, std::string key = "pk",
              std::int64_t arrivalMs = kArrival) {
  Record r;
  r.offset = offset;
  r.sequenceNumber = "4960" + std::to_string(1000 + offset);
  r.partitionKey = std::move(key);
  r.data = std::move(data);
  r.arrivalMs = arrivalMs;
  return r;
}

class TableHandlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = freshTestDir("table-handler");
    path_ = (dir_ / "processed-data.db").string();
  }
  void TearDown() override {
    if (handler_) handler_->close();
    handler_.reset();
    reader_.reset();
    std::filesystem::remove_all(dir_);
  }

  void start(json settings = json::object()) {
    settings["path"] = path_;
    std::vector<std::string> errors;
    auto s = parseTableSettings(settings, "$.h", errors);
    ASSERT_TRUE(s) << errors.front();
    handler_ = makeTableHandler(std::move(*s), /*sweeperThread=*/false);
    runtime::HandlerContext ctx;
    ctx.mappingName = "processed";
    ctx.streamName = "data-stream";
    ctx.clock = &clock_;
    ASSERT_EQ(handler_->open(ctx), "");
    config::MappingConfig mapping;
    mapping.name = "processed";
    mapping.handlerType = "table";
    mapping.handlerSettings = settings;
    std::string error;
    reader_ = openTableReader(mapping, error);
    ASSERT_TRUE(reader_) << error;
  }

  runtime::DeliveryResult deliver(const std::vector<Record>& records,
                                  std::string_view shard = "shardId-000000000000") {
    runtime::Batch batch{shard, 0, records};
    return handler_->deliver(batch);
  }

  std::optional<json> item(const std::string& id) {
    auto got = reader_->get(id, clock_.nowMillis());
    EXPECT_TRUE(got) << got.error();
    if (!got || !*got) return std::nullopt;
    return json::parse(**got);
  }

  std::vector<std::string> allItems() {
    auto page = reader_->list(std::nullopt, 1000, clock_.nowMillis());
    EXPECT_TRUE(page);
    return page ? page->items : std::vector<std::string>{};
  }

  std::filesystem::path dir_;
  std::string path_;
  ManualClock clock_{kArrival + 1000};
  std::unique_ptr<runtime::Handler> handler_;
  std::shared_ptr<api::TableReader> reader_;
};

TEST_F(TableHandlerTest, StoresTheProcessedItem) {
  start();
  auto r = deliver({record(5, R"({"id":"order-1","amount":12.5,"source":"web"})", "user-7")});
  EXPECT_EQ(r.outcome, Outcome::kOk) << r.error;
  auto got = item("order-1");
  ASSERT_TRUE(got);
  const json expected{{"id", "order-1"},
                      {"data", {{"id", "order-1"}, {"amount", 12.5}, {"source", "web"}}},
                      {"partitionKey", "user-7"},
                      {"sequenceNumber", "49601005"},
                      {"shardId", "shardId-000000000000"},
                      {"timestamp", "2025-11-22T07:01:02.123Z"},
                      {"ttl", kArrival / 1000 + 7 * 24 * 3600}};
  EXPECT_EQ(*got, expected);
}

TEST_F(TableHandlerTest, IdComesFromTheConfiguredFieldOrTheSequenceNumber) {
  start({{"id_field", "userId"}});
  auto r = deliver({record(1, R"({"userId":"u-1","n":1})"), record(2, R"({"userId":42})"),
                    record(3, R"({"other":true})"), record(4, R"([1,2,3])"),
                    record(5, R"({"userId":null})")});
  EXPECT_EQ(r.outcome, Outcome::kOk) << r.error;
  EXPECT_TRUE(item("u-1"));
  EXPECT_TRUE(item("42"));
  EXPECT_EQ(item("49601003")->at("data"), json({{"other", true}}));
  EXPECT_EQ(item("49601004")->at("data"), json({1, 2, 3}));
  EXPECT_TRUE(item("49601005"));
  EXPECT_EQ(allItems().size(), 5u);
}

TEST_F(TableHandlerTest, InvalidJsonFailsThatRecordAndTheOthersAreWritten) {
  start();
  auto r = deliver({record(1, R"({"id":"a"})"), record(2, "not json {"), record(3, R"({"id":"c"})"),
                    record(4, R"({"id":{"nested":1}})")});
  EXPECT_EQ(r.outcome, Outcome::kFailed);
  ASSERT_TRUE(r.firstFailed);
  EXPECT_EQ(*r.firstFailed, 1u);
  EXPECT_NE(r.error.find("record 49601002 of shardId-000000000000 is not valid JSON"),
            std::string::npos)
      << r.error;
  EXPECT_TRUE(item("a"));
  EXPECT_TRUE(item("c"));
  EXPECT_EQ(allItems().size(), 2u);

  // The runtime retries from the failed record (ReportBatchItemFailures): the valid record after
  // it is written again, idempotently, and the bad one fails at index 0.
  auto retry = deliver({record(2, "not json {"), record(3, R"({"id":"c"})")});
  EXPECT_EQ(retry.outcome, Outcome::kFailed);
  EXPECT_EQ(retry.firstFailed, std::optional<std::size_t>(0));
  EXPECT_EQ(allItems().size(), 2u);
}

TEST_F(TableHandlerTest, ReplayingABatchYieldsTheSameRows) {
  start();
  std::vector<Record> batch;
  for (int i = 0; i < 50; ++i) {
    batch.push_back(
        record(i, json{{"id", "k" + std::to_string(i % 20)}, {"i", i}}.dump(), "pk", kArrival + i));
  }
  ASSERT_EQ(deliver(batch).outcome, Outcome::kOk);
  const auto first = allItems();
  ASSERT_EQ(first.size(), 20u);
  EXPECT_EQ(item("k3")->at("data").at("i"), 43);  // the latest record of the id wins

  clock_.advance(60'000);  // a replay later on: nothing depends on when it runs
  ASSERT_EQ(deliver(batch).outcome, Outcome::kOk);
  // An older part of the batch alone (a checkpoint moved back) changes nothing either.
  ASSERT_EQ(deliver({batch.begin(), batch.begin() + 25}).outcome, Outcome::kOk);
  EXPECT_EQ(allItems(), first);
}

TEST_F(TableHandlerTest, TtlHidesItemsAndTheSweeperDeletesThem) {
  start({{"ttl_s", 30}, {"ttl_attribute", "expiresAt"}});
  ASSERT_EQ(deliver({record(1, R"({"id":"short"})")}).outcome, Outcome::kOk);
  EXPECT_EQ(item("short")->at("expiresAt"), kArrival / 1000 + 30);
  EXPECT_FALSE(item("short")->contains("ttl"));

  clock_.set((kArrival / 1000 + 30) * 1000 - 1);
  EXPECT_TRUE(item("short"));
  EXPECT_EQ(sweepExpired(*handler_), 0);
  clock_.set((kArrival / 1000 + 30) * 1000);
  EXPECT_FALSE(item("short"));  // past its TTL: not served even before the sweep
  EXPECT_EQ(sweepExpired(*handler_), 1);
  auto store = TableStore::open(path_, TableStore::Mode::kReader);
  EXPECT_EQ(*(*store)->rowCount(), 0);

  // A replay of the expired record is not written again.
  ASSERT_EQ(deliver({record(1, R"({"id":"short"})")}).outcome, Outcome::kOk);
  EXPECT_EQ(*(*store)->rowCount(), 0);
}

TEST_F(TableHandlerTest, ZeroTtlNeverExpires) {
  start({{"ttl_s", 0}});
  ASSERT_EQ(deliver({record(1, R"({"id":"x"})")}).outcome, Outcome::kOk);
  EXPECT_FALSE(item("x")->contains("ttl"));
  clock_.advance(10LL * 365 * 24 * 3600 * 1000);
  EXPECT_TRUE(item("x"));
  EXPECT_EQ(sweepExpired(*handler_), 0);
}

TEST_F(TableHandlerTest, AStoreThatCannotBeOpenedKeepsTheMappingFromStarting) {
  { std::ofstream(dir_ / "blocker") << "x"; }
  std::vector<std::string> errors;
  auto s = parseTableSettings(json{{"path", (dir_ / "blocker" / "t.db").string()}}, "$.h", errors);
  ASSERT_TRUE(s);
  auto h = makeTableHandler(std::move(*s), false);
  runtime::HandlerContext ctx;
  ctx.clock = &clock_;
  EXPECT_NE(h->open(ctx).find("table: cannot"), std::string::npos);
}

}  // namespace
}  // namespace kbridge::handlers::table
