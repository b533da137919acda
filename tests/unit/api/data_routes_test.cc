#include "api/data_routes.h"

#include <gtest/gtest.h>

#include <map>

namespace kbridge::api {
namespace {

using nlohmann::json;

// Items by id; an item whose "exp" (epoch ms) is reached is expired.
class MemoryTable final : public TableReader {
 public:
  Result<std::optional<std::string>, std::string> get(const std::string& id,
                                                      std::int64_t nowMs) override {
    if (broken) return fail(std::string("disk I/O error"));
    auto it = items.find(id);
    if (it == items.end() || expired(it->second, nowMs)) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }
  Result<Page, std::string> list(const std::optional<std::string>& afterId, std::size_t limit,
                                 std::int64_t nowMs) override {
    if (broken) return fail(std::string("disk I/O error"));
    Page page;
    for (auto it = afterId ? items.upper_bound(*afterId) : items.begin(); it != items.end(); ++it) {
      if (expired(it->second, nowMs)) continue;
      if (page.items.size() == limit) {
        page.more = true;
        break;
      }
      page.items.push_back(it->second);
      page.lastId = it->first;
    }
    return page;
  }
  static bool expired(const std::string& item, std::int64_t nowMs) {
    auto doc = json::parse(item);
    return doc.contains("exp") && doc["exp"].get<std::int64_t>() <= nowMs;
  }
  std::map<std::string, std::string> items;
  bool broken = false;
};

class NoFallback final : public http::Handler {
 public:
  void handle(http::Request, http::Respond respond) override { respond({500, {}, "fallback"}); }
};

class DataRoutesTest : public ::testing::Test {
 protected:
  DataRoutesTest() : router_(fallback_, config::CorsConfig{}) {
    table_ = std::make_shared<MemoryTable>();
    addDataRoutes(router_, table_, executor_, clock_, {3, 5});
  }

  http::Response get(const std::string& target) {
    std::optional<http::Response> out;
    router_.handle(http::Request{"GET", target, {}, "", ""},
                   [&](http::Response r) { out = std::move(r); });
    EXPECT_TRUE(out);
    return out.value_or(http::Response{});
  }

  NoFallback fallback_;
  ApiRouter router_;
  std::shared_ptr<MemoryTable> table_;
  InlineExecutor executor_;
  ManualClock clock_{1000};
};

TEST_F(DataRoutesTest, ItemByIdOr404) {
  table_->items["a b"] = R"({"id":"a b","data":{"x":1}})";
  auto r = get("/api/data/a%20b");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body)["data"]["x"], 1);
  auto missing = get("/api/data/zzz");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(json::parse(missing.body), json({{"message", "Item not found"}}));
}

TEST_F(DataRoutesTest, ExpiredItemsAreNotFound) {
  table_->items["t"] = R"({"id":"t","exp":2000})";
  EXPECT_EQ(get("/api/data/t").status, 200);
  clock_.set(2000);
  EXPECT_EQ(get("/api/data/t").status, 404);
  EXPECT_EQ(json::parse(get("/api/data").body)["count"], 0);
}

TEST_F(DataRoutesTest, PagesWithLimitAndCursor) {
  for (int i = 0; i < 7; ++i) {
    table_->items["id" + std::to_string(i)] = json{{"id", "id" + std::to_string(i)}}.dump();
  }
  auto first = json::parse(get("/api/data").body);  // default limit 3
  EXPECT_EQ(first["count"], 3);
  ASSERT_TRUE(first.contains("nextCursor"));
  std::vector<std::string> ids;
  json page = first;
  for (int guard = 0; guard < 10; ++guard) {
    for (const auto& item : page["items"]) ids.push_back(item["id"]);
    if (!page.contains("nextCursor")) break;
    page =
        json::parse(get("/api/data?limit=2&cursor=" + page["nextCursor"].get<std::string>()).body);
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"id0", "id1", "id2", "id3", "id4", "id5", "id6"}));
  auto all = json::parse(get("/api/data?limit=5&cursor=" + encodeCursor("id1")).body);
  EXPECT_EQ(all["count"], 5);
  EXPECT_FALSE(all.contains("nextCursor"));
}

TEST_F(DataRoutesTest, BadLimitsAndCursorsAre400) {
  for (const char* q : {"limit=0", "limit=6", "limit=x", "limit=-1", "limit=2x", "cursor=%%%",
                        "cursor=***", "cursor=A"}) {
    auto r = get(std::string("/api/data?") + q);
    EXPECT_EQ(r.status, 400) << q;
  }
  EXPECT_EQ(json::parse(get("/api/data?limit=9").body)["message"],
            "limit must be an integer between 1 and 5.");
}

TEST_F(DataRoutesTest, AnUnreadableTableIs500) {
  table_->broken = true;
  EXPECT_EQ(get("/api/data/x").status, 500);
  EXPECT_EQ(get("/api/data").status, 500);
}

TEST(CursorTest, RoundTripsAnyId) {
  for (const std::string& id :
       std::vector<std::string>{"a", "ab", "abc", "order/1 ü", std::string("\0\xff", 2)}) {
    auto back = decodeCursor(encodeCursor(id));
    ASSERT_TRUE(back) << id;
    EXPECT_EQ(*back, id);
  }
  EXPECT_FALSE(decodeCursor(""));
  EXPECT_FALSE(decodeCursor("YR"));  // non-zero padding bits
}

}  // namespace
}  // namespace kbridge::api
