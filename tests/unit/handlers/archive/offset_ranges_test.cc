#include "handlers/archive/offset_ranges.h"

#include <gtest/gtest.h>

#include <random>
#include <set>

namespace kbridge::handlers::archive {
namespace {

using Ranges = std::vector<OffsetRanges::Range>;

TEST(OffsetRanges, MergesSubtractsIntersects) {
  OffsetRanges r;
  r.add(1);
  r.add(3);
  r.add(2);
  r.addRange(10, 20);
  EXPECT_EQ(r.ranges(), (Ranges{{1, 4}, {10, 20}}));
  OffsetRanges s;
  s.addRange(2, 3);
  s.addRange(12, 25);
  EXPECT_EQ(r.intersect(s).ranges(), (Ranges{{2, 3}, {12, 20}}));
  r.subtract(s);
  EXPECT_EQ(r.ranges(), (Ranges{{1, 2}, {3, 4}, {10, 12}}));
  EXPECT_TRUE(r.contains(11));
  EXPECT_FALSE(r.contains(12));
  EXPECT_EQ(r.count(), 4);
  EXPECT_EQ(r.countIn(0, 11), 3);
}

TEST(OffsetRanges, InsertsBeforeTheEndAndBridgesRanges) {
  OffsetRanges r;
  r.addRange(20, 30);
  r.addRange(0, 5);  // before everything
  r.addRange(10, 12);
  EXPECT_EQ(r.ranges(), (Ranges{{0, 5}, {10, 12}, {20, 30}}));
  r.addRange(5, 20);  // touches all three: one range
  EXPECT_EQ(r.ranges(), (Ranges{{0, 30}}));
  r.addRange(3, 7);  // inside: nothing changes
  EXPECT_EQ(r.ranges(), (Ranges{{0, 30}}));
  r.addRange(7, 7);  // empty
  EXPECT_EQ(r.ranges(), (Ranges{{0, 30}}));
}

TEST(OffsetRanges, MergingInterleavedSets) {
  // Two objects of a dynamically partitioned shard: even and odd offsets.
  OffsetRanges even, odd;
  for (int i = 0; i < 100; i += 2) even.add(i);
  for (int i = 1; i < 100; i += 2) odd.add(i);
  EXPECT_EQ(even.ranges().size(), 50u);
  EXPECT_TRUE(even.intersect(odd).empty());
  OffsetRanges all = even;
  all.add(odd);
  EXPECT_EQ(all.ranges(), (Ranges{{0, 100}}));
  all.subtract(even);
  EXPECT_EQ(all, odd);
}

// Every operation against a std::set of offsets, on random sets.
TEST(OffsetRanges, AgreesWithASetOfOffsets) {
  std::mt19937 rng(7);
  auto randomSet = [&](OffsetRanges& r, std::set<std::int64_t>& s) {
    const int n = static_cast<int>(rng() % 40);
    for (int i = 0; i < n; ++i) {
      const std::int64_t f = rng() % 200, len = rng() % 8;
      r.addRange(f, f + len);
      for (auto o = f; o < f + len; ++o) s.insert(o);
    }
  };
  auto same = [](const OffsetRanges& r, const std::set<std::int64_t>& s) {
    std::set<std::int64_t> got;
    for (std::size_t i = 0; i < r.ranges().size(); ++i) {
      const auto [f, e] = r.ranges()[i];
      EXPECT_LT(f, e);
      if (i > 0) {
        EXPECT_LT(r.ranges()[i - 1].second, f) << "ranges touch or overlap";
      }
      for (auto o = f; o < e; ++o) got.insert(o);
    }
    return got == s;
  };
  for (int round = 0; round < 300; ++round) {
    OffsetRanges a, b;
    std::set<std::int64_t> sa, sb;
    randomSet(a, sa);
    randomSet(b, sb);
    ASSERT_TRUE(same(a, sa));
    for (std::int64_t o = -1; o < 210; ++o) ASSERT_EQ(a.contains(o), sa.count(o) == 1) << o;
    std::set<std::int64_t> both, either = sa, diff;
    for (auto o : sa) {
      if (sb.count(o)) both.insert(o);
      if (!sb.count(o)) diff.insert(o);
    }
    either.insert(sb.begin(), sb.end());
    ASSERT_TRUE(same(a.intersect(b), both));
    OffsetRanges u = a;
    u.add(b);
    ASSERT_TRUE(same(u, either));
    OffsetRanges d = a;
    d.subtract(b);
    ASSERT_TRUE(same(d, diff));
    ASSERT_EQ(a.count(), static_cast<std::int64_t>(sa.size()));
  }
}

}  // namespace
}  // namespace kbridge::handlers::archive
