#include "handlers/table/table_store.h"

#include <gtest/gtest.h>

#include <fstream>
#include <vector>

#include "table_test_dir.h"

namespace kbridge::handlers::table {
namespace {

constexpr std::int64_t kNow = 1'763'794'862'000;  // epoch ms
constexpr std::int64_t kNowS = kNow / 1000;

TableStore::Row row(std::string id, std::string item, std::int64_t arrivalMs,
                    std::int64_t offset = 0, std::optional<std::int64_t> expiresAtS = std::nullopt,
                    std::string shard = "shardId-000000000000") {
  return {std::move(id), std::move(item), arrivalMs, std::move(shard), offset, expiresAtS};
}

class TableStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = freshTestDir("table-store");
    path_ = (dir_ / "sub" / "items.db").string();
    auto s = TableStore::open(path_, TableStore::Mode::kWriter);
    ASSERT_TRUE(s) << s.error();
    store_ = std::move(*s);
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  void put(std::vector<TableStore::Row> rows, std::int64_t now = kNow) {
    auto s = store_->upsert(rows, now);
    ASSERT_TRUE(s) << s.error();
  }
  std::optional<std::string> get(const std::string& id, std::int64_t now = kNow) {
    auto r = store_->get(id, now);
    EXPECT_TRUE(r) << r.error();
    return r ? *r : std::nullopt;
  }
  std::int64_t rows() { return *store_->rowCount(); }

  std::filesystem::path dir_;
  std::string path_;
  std::unique_ptr<TableStore> store_;
};

TEST_F(TableStoreTest, UpsertsByIdAndReadsBack) {
  put({row("a", R"({"v":1})", kNow - 10, 1), row("b", R"({"v":2})", kNow - 10, 2)});
  EXPECT_EQ(get("a"), R"({"v":1})");
  EXPECT_EQ(get("b"), R"({"v":2})");
  EXPECT_EQ(get("c"), std::nullopt);
  put({row("a", R"({"v":3})", kNow - 5, 3)});
  EXPECT_EQ(get("a"), R"({"v":3})");
  EXPECT_EQ(rows(), 2);
}

TEST_F(TableStoreTest, TheFileIsInWalMode) {
  EXPECT_TRUE(std::filesystem::exists(path_));
  put({row("a", "{}", kNow)});
  EXPECT_TRUE(std::filesystem::exists(path_ + "-wal"));
}

TEST_F(TableStoreTest, ReplayingOlderRecordsChangesNothing) {
  put({row("k", R"({"v":"new"})", kNow - 100, 7)});
  // The same record again, and an older one with the same id (a replay from an earlier offset).
  put({row("k", R"({"v":"old"})", kNow - 200, 5), row("k", R"({"v":"new"})", kNow - 100, 7)});
  EXPECT_EQ(get("k"), R"({"v":"new"})");
  // Same arrival millisecond: the later offset wins, in either order.
  put({row("t", R"({"v":2})", kNow, 11), row("t", R"({"v":1})", kNow, 10)});
  EXPECT_EQ(get("t"), R"({"v":2})");
  EXPECT_EQ(rows(), 2);
}

TEST_F(TableStoreTest, ExpiredItemsAreNeitherServedNorWritten) {
  put({row("live", "1", kNow, 0, kNowS + 10), row("forever", "2", kNow, 1)});
  // Expired on arrival: not written at all.
  put({row("dead", "3", kNow - 60'000, 2, kNowS - 1)});
  EXPECT_EQ(rows(), 2);
  EXPECT_EQ(get("live", kNow + 9'999), "1");
  EXPECT_EQ(get("live", (kNowS + 10) * 1000), std::nullopt);  // at its TTL second
  EXPECT_EQ(get("forever", kNow + 1'000'000'000), "2");
  auto page = store_->list(std::nullopt, 10, (kNowS + 10) * 1000);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->items, std::vector<std::string>{"2"});
}

TEST_F(TableStoreTest, SweepDeletesExpiredRowsOnly) {
  std::vector<TableStore::Row> batch;
  for (int i = 0; i < 25; ++i) {
    batch.push_back(row("e" + std::to_string(i), "{}", kNow, i, kNowS + 5));
  }
  batch.push_back(row("later", "{}", kNow, 100, kNowS + 50));
  batch.push_back(row("never", "{}", kNow, 101));
  put(batch);
  auto none = store_->sweep(kNow + 4'000);
  ASSERT_TRUE(none);
  EXPECT_EQ(*none, 0);
  auto swept = store_->sweep(kNow + 5'000, /*chunk=*/10);  // three chunks: 10, 10, 5
  ASSERT_TRUE(swept);
  EXPECT_EQ(*swept, 25);
  EXPECT_EQ(rows(), 2);
  EXPECT_EQ(*store_->sweep(kNow + 3'600'000), 1);
  EXPECT_EQ(rows(), 1);
}

TEST_F(TableStoreTest, ListPagesByIdWithACursor) {
  std::vector<TableStore::Row> batch;
  for (int i = 0; i < 7; ++i)
    batch.push_back(row("id" + std::to_string(i), std::to_string(i), kNow));
  batch.push_back(row("id3x", "expired", kNow, 9, kNowS + 1));
  put(batch);
  const std::int64_t later = kNow + 2'000;
  std::vector<std::string> seen;
  std::optional<std::string> after;
  int pages = 0;
  for (;;) {
    auto page = store_->list(after, 3, later);
    ASSERT_TRUE(page) << page.error();
    ++pages;
    seen.insert(seen.end(), page->items.begin(), page->items.end());
    if (!page->more) break;
    after = page->lastId;
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, (std::vector<std::string>{"0", "1", "2", "3", "4", "5", "6"}));
  auto exact = store_->list(std::nullopt, 7, later);
  EXPECT_FALSE(exact->more);
  EXPECT_EQ(exact->lastId, "id6");
}

TEST_F(TableStoreTest, AReaderSeesTheWritersCommitsAndCannotWrite) {
  auto reader = TableStore::open(path_, TableStore::Mode::kReader);
  ASSERT_TRUE(reader) << reader.error();
  EXPECT_EQ(*(*reader)->get("a", kNow), std::nullopt);
  put({row("a", "{}", kNow)});
  EXPECT_EQ(*(*reader)->get("a", kNow), "{}");
  const std::vector<TableStore::Row> rejected{row("b", "{}", kNow)};
  EXPECT_FALSE((*reader)->upsert(rejected, kNow));
  EXPECT_EQ(rows(), 1);
}

TEST_F(TableStoreTest, AnUnopenableFileIsAnError) {
  auto blocked = dir_ / "file";
  { std::ofstream(blocked) << "x"; }
  auto s = TableStore::open((blocked / "items.db").string(), TableStore::Mode::kWriter);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().find("cannot"), std::string::npos) << s.error();
}

}  // namespace
}  // namespace kbridge::handlers::table
