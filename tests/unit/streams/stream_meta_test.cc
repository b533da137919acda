#include "streams/stream_meta.h"

#include <gtest/gtest.h>

#include "streams/sequence_number.h"

namespace kbridge::streams {
namespace {

TEST(ShardIdTest, FormatsAndParses) {
  EXPECT_EQ(shardIdName(0), "shardId-000000000000");
  EXPECT_EQ(shardIdName(7), "shardId-000000000007");
  EXPECT_EQ(shardIdName(1048575), "shardId-000001048575");
  EXPECT_EQ(shardIdName(4294967295u), "shardId-004294967295");
  std::string out = "x";
  appendShardIdName(out, 42);
  EXPECT_EQ(out, "xshardId-000000000042");
  EXPECT_EQ(parseShardId("shardId-000000000123"), 123u);
  EXPECT_FALSE(parseShardId("shardId-00000000012"));
  EXPECT_FALSE(parseShardId("shardid-000000000001"));
  EXPECT_FALSE(parseShardId("shardId-00000000001a"));
  EXPECT_FALSE(parseShardId("shardId-999999999999"));  // beyond the 20-bit shard field
}

TEST(InitialShardsTest, OneShardCoversTheWholeRange) {
  auto shards = initialShards(1, 42);
  ASSERT_EQ(shards.size(), 1u);
  EXPECT_EQ(toDecimal(shards[0].hashKeyRange.start), "0");
  EXPECT_EQ(toDecimal(shards[0].hashKeyRange.end), "340282366920938463463374607431768211455");
}

// The ranges Kinesis itself assigns for CreateStream (as seen from AWS and kinesalite).
TEST(InitialShardsTest, MatchesKinesisRanges) {
  auto three = initialShards(3, 1);
  EXPECT_EQ(toDecimal(three[0].hashKeyRange.end), "113427455640312821154458202477256070484");
  EXPECT_EQ(toDecimal(three[1].hashKeyRange.start), "113427455640312821154458202477256070485");
  EXPECT_EQ(toDecimal(three[1].hashKeyRange.end), "226854911280625642308916404954512140969");
  EXPECT_EQ(toDecimal(three[2].hashKeyRange.start), "226854911280625642308916404954512140970");
  EXPECT_EQ(toDecimal(three[2].hashKeyRange.end), "340282366920938463463374607431768211455");

  auto two = initialShards(2, 1);  // a power of two divides 2^128 exactly
  EXPECT_EQ(toDecimal(two[0].hashKeyRange.end), "170141183460469231731687303715884105727");
  EXPECT_EQ(toDecimal(two[1].hashKeyRange.start), "170141183460469231731687303715884105728");
}

TEST(InitialShardsTest, RangesAreContiguousAndCoverEverything) {
  for (int n : {1, 2, 3, 4, 5, 7, 16, 100, 1000}) {
    auto shards = initialShards(n, 9);
    ASSERT_EQ(shards.size(), static_cast<size_t>(n));
    EXPECT_EQ(shards.front().hashKeyRange.start, 0u);
    EXPECT_EQ(shards.back().hashKeyRange.end, kUint128Max);
    for (int i = 1; i < n; ++i) {
      EXPECT_EQ(shards[i].hashKeyRange.start, shards[i - 1].hashKeyRange.end + 1) << n;
    }
  }
}

TEST(InitialShardsTest, StartingSequenceNumbersDecodeToShardAndOffsetZero) {
  auto shards = initialShards(4, 1700000000000);
  for (const auto& s : shards) {
    auto seq = SequenceNumber::parse(s.startingSequenceNumber);
    ASSERT_TRUE(seq);
    EXPECT_EQ(seq->generation, 1700000000000u);
    EXPECT_EQ(seq->shard, s.index);
    EXPECT_EQ(seq->offset, 0u);
  }
}

TEST(StreamMetaTest, CatalogJsonRoundTrips) {
  StreamMeta m;
  m.name = "orders";
  m.topic = "kb.orders";
  m.generation = 1700000000123;
  m.creationTimeMs = 1700000000123;
  m.status = StreamStatus::kDeleting;
  m.mode = StreamMode::kOnDemand;
  m.retentionHours = 48;
  m.shards = initialShards(3, m.generation);
  m.shards[1].endingSequenceNumber = "123";
  m.shards[2].parent = 1;
  m.tags = {{"team", "data"}, {"env", "prod"}};
  m.consumers = {"c1"};
  auto back = fromCatalogJson(toCatalogJson(m));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->name, "orders");
  EXPECT_EQ(back->topic, "kb.orders");
  EXPECT_EQ(back->generation, m.generation);
  EXPECT_EQ(back->status, StreamStatus::kDeleting);
  EXPECT_EQ(back->mode, StreamMode::kOnDemand);
  EXPECT_EQ(back->retentionHours, 48);
  ASSERT_EQ(back->shards.size(), 3u);
  EXPECT_EQ(back->shards[2].hashKeyRange.end, kUint128Max);
  EXPECT_EQ(back->shards[1].endingSequenceNumber, "123");
  EXPECT_EQ(back->shards[2].parent, 1u);
  EXPECT_EQ(back->openShardCount(), 2);
  EXPECT_EQ(back->tags, m.tags);
  EXPECT_EQ(back->consumers, m.consumers);
  EXPECT_FALSE(back->adopted);
  EXPECT_FALSE(back->kafkaPartitioner);
  EXPECT_FALSE(toCatalogJson(m).contains("adopted"));  // ordinary records stay as they were
}

TEST(StreamMetaTest, AdoptedTopicsRoundTrip) {
  StreamMeta m;
  m.name = "orders";
  m.topic = "orders.v1";
  m.shards = initialShards(2, 1);
  m.adopted = true;
  m.kafkaPartitioner = true;
  auto back = fromCatalogJson(toCatalogJson(m));
  ASSERT_TRUE(back);
  EXPECT_TRUE(back->adopted);
  EXPECT_TRUE(back->kafkaPartitioner);
  EXPECT_EQ(back->topic, "orders.v1");
}

TEST(StreamMetaTest, RejectsForeignDocuments) {
  EXPECT_FALSE(fromCatalogJson(nlohmann::json::array()));
  EXPECT_FALSE(fromCatalogJson({{"kind", "stream"}, {"v", 2}}));
  EXPECT_FALSE(fromCatalogJson({{"kind", "stream"}, {"v", 1}, {"name", 5}}));
}

}  // namespace
}  // namespace kbridge::streams
