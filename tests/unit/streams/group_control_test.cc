// Group control records (streams/group_control.h): their encoding and how the catalog keeps the
// last one per group next to the streams.

#include "streams/group_control.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "fakes/fake_kafka.h"
#include "streams/catalog.h"

namespace kbridge::streams {
namespace {

GroupControl paused() {
  GroupControl c;
  c.group = "kbridge.orders-log";
  c.state = GroupControl::State::kPaused;
  c.replayId = "00ff00ff00ff00ff";
  c.mapping = "orders-log";
  c.reason = "replay to trim-horizon";
  c.deadlineMs = 1795341660000;
  c.writtenMs = 1795341600000;
  return c;
}

TEST(GroupControl, KeysLiveInTheirOwnNamespace) {
  EXPECT_EQ(groupControlKey("kbridge.m"), "#group/kbridge.m");
  EXPECT_EQ(groupOfControlKey("#group/kbridge.m"), "kbridge.m");
  EXPECT_EQ(groupOfControlKey("#group/"), std::nullopt);
  EXPECT_EQ(groupOfControlKey("#cluster"), std::nullopt);
  EXPECT_EQ(groupOfControlKey("orders"), std::nullopt);
}

TEST(GroupControl, RoundTrips) {
  for (auto state : {GroupControl::State::kPaused, GroupControl::State::kResumed}) {
    auto c = paused();
    c.state = state;
    auto back = decodeGroupControl(c.group, encodeGroupControl(c));
    ASSERT_TRUE(back);
    EXPECT_EQ(back->state, state);
    EXPECT_EQ(back->group, c.group);
    EXPECT_EQ(back->replayId, c.replayId);
    EXPECT_EQ(back->mapping, c.mapping);
    EXPECT_EQ(back->reason, c.reason);
    EXPECT_EQ(back->deadlineMs, c.deadlineMs);
    EXPECT_EQ(back->writtenMs, c.writtenMs);
  }
}

TEST(GroupControl, RejectsOtherRecords) {
  const auto good = nlohmann::json::parse(encodeGroupControl(paused()));
  EXPECT_FALSE(decodeGroupControl("other-group", good.dump()));  // key and body disagree
  EXPECT_FALSE(decodeGroupControl("g", "not json"));
  EXPECT_FALSE(decodeGroupControl("g", "[]"));
  for (const char* field : {"kind", "state", "group", "deadlineMs", "writtenMs"}) {
    auto doc = good;
    doc[field] = true;
    EXPECT_FALSE(decodeGroupControl(paused().group, doc.dump())) << field;
  }
  auto doc = good;
  doc["state"] = "stopped";
  EXPECT_FALSE(decodeGroupControl(paused().group, doc.dump()));
}

TEST(GroupControl, PausedOnlyBeforeTheDeadline) {
  auto c = paused();
  EXPECT_TRUE(c.pausedAt(c.deadlineMs - 1));
  EXPECT_FALSE(c.pausedAt(c.deadlineMs));
  c.state = GroupControl::State::kResumed;
  EXPECT_FALSE(c.pausedAt(c.deadlineMs - 1));
}

TEST(CatalogGroupControl, LastRecordPerGroupWinsAndStreamsAreUntouched) {
  auto log = std::make_unique<testing::InMemoryCatalogLog>();
  auto* raw = log.get();
  Catalog catalog(std::move(log), std::chrono::milliseconds(100));
  ASSERT_TRUE(catalog.start());
  EXPECT_FALSE(catalog.groupControl(paused().group));

  ASSERT_TRUE(catalog.putGroupControl(paused()));
  auto seen = catalog.groupControl(paused().group);
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->state, GroupControl::State::kPaused);
  EXPECT_EQ(raw->records.back().key, "#group/kbridge.orders-log");

  auto resumed = paused();
  resumed.state = GroupControl::State::kResumed;
  ASSERT_TRUE(catalog.putGroupControl(resumed));
  EXPECT_EQ(catalog.groupControl(paused().group)->state, GroupControl::State::kResumed);
  EXPECT_FALSE(catalog.groupControl("kbridge.other"));
  EXPECT_TRUE(catalog.list().empty());  // never mistaken for a stream

  // A tombstone (compaction's delete) forgets the group's record.
  ASSERT_TRUE(raw->append(groupControlKey(paused().group), std::nullopt));
  EXPECT_FALSE(catalog.groupControl(paused().group));
}

TEST(CatalogGroupControl, AnInstanceStartingLaterSeesThePause) {
  auto log = std::make_unique<testing::InMemoryCatalogLog>();
  ASSERT_TRUE(log->append(groupControlKey(paused().group), encodeGroupControl(paused())));
  Catalog catalog(std::move(log), std::chrono::milliseconds(100));
  ASSERT_TRUE(catalog.start());
  auto seen = catalog.groupControl(paused().group);
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->replayId, paused().replayId);
}

}  // namespace
}  // namespace kbridge::streams
