#include "streams/shard_iterator.h"

#include <gtest/gtest.h>

#include "kinesis/codec.h"
#include "streams/routing.h"

namespace kbridge::streams {
namespace {

ShardIterator sample() {
  return ShardIterator{"orders", 1700000000123, 7, 42, 1700000001000};
}

TEST(ShardIteratorTest, RoundTrips) {
  auto token = encodeShardIterator(sample(), "secret");
  auto back = decodeShardIterator(token, "secret");
  ASSERT_TRUE(back);
  EXPECT_EQ(back->stream, "orders");
  EXPECT_EQ(back->generation, 1700000000123u);
  EXPECT_EQ(back->shard, 7u);
  EXPECT_EQ(back->offset, 42u);
  EXPECT_EQ(back->issuedMs, 1700000001000);
  EXPECT_LE(token.size(), 512u);  // the model's ShardIterator limit
}

TEST(ShardIteratorTest, LongestStreamNameFitsTheModelLimit) {
  auto it = sample();
  it.stream = std::string(128, 'a');
  it.offset = kTrimHorizonOffset;
  auto token = encodeShardIterator(it, "secret");
  EXPECT_LE(token.size(), 512u);
  EXPECT_EQ(decodeShardIterator(token, "secret")->offset, kTrimHorizonOffset);
}

TEST(ShardIteratorTest, RejectsAnotherSecret) {
  EXPECT_FALSE(decodeShardIterator(encodeShardIterator(sample(), "secret"), "other"));
}

TEST(ShardIteratorTest, RejectsEveryAlteredByte) {
  auto raw = *kinesis::base64Decode(encodeShardIterator(sample(), "secret"));
  for (size_t i = 0; i < raw.size(); ++i) {
    auto altered = raw;
    altered[i] = static_cast<char>(altered[i] ^ 0x01);
    EXPECT_FALSE(decodeShardIterator(kinesis::base64Encode(altered), "secret")) << i;
  }
}

TEST(ShardIteratorTest, RejectsGarbage) {
  EXPECT_FALSE(decodeShardIterator("", "secret"));
  EXPECT_FALSE(decodeShardIterator("not base64!", "secret"));
  EXPECT_FALSE(decodeShardIterator("AAAA", "secret"));
}

TEST(RoutingTest, PartitionKeyHashIsMd5BigEndian) {
  // md5("a") = 0cc175b9c0f1b6a831c399e269772661
  EXPECT_EQ(toDecimal(partitionKeyHash("a")), "16955237001963240173058271559858726497");
}

TEST(RoutingTest, PicksTheOpenShardHoldingTheKey) {
  StreamMeta s;
  s.shards = initialShards(4, 1);
  EXPECT_EQ(shardForHashKey(s, 0), 0u);
  EXPECT_EQ(shardForHashKey(s, kUint128Max), 3u);
  EXPECT_EQ(shardForHashKey(s, s.shards[2].hashKeyRange.start), 2u);
  EXPECT_EQ(shardForHashKey(s, s.shards[2].hashKeyRange.start - 1), 1u);
  s.shards[3].endingSequenceNumber = "1";  // closed shards take no records
  EXPECT_FALSE(shardForHashKey(s, kUint128Max));
}

}  // namespace
}  // namespace kbridge::streams
