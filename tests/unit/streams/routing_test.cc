#include "streams/routing.h"

#include <gtest/gtest.h>

namespace kbridge::streams {
namespace {

TEST(KafkaMurmur2, MatchesKafkasOwnVectors) {
  // The values of Kafka's UtilsTest.testMurmur2 (Java's signed ints).
  EXPECT_EQ(kafkaMurmur2("21"), -973932308);
  EXPECT_EQ(kafkaMurmur2("foobar"), -790332482);
  EXPECT_EQ(kafkaMurmur2("a-little-bit-long-string"), -985981536);
  EXPECT_EQ(kafkaMurmur2("a-little-bit-longer-string"), -1486304829);
  EXPECT_EQ(kafkaMurmur2("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8"), -58897971);
  EXPECT_EQ(kafkaMurmur2("abc"), 479470107);
}

TEST(KafkaMurmur2, PartitionIsThePositiveHashModuloTheCount) {
  for (std::string_view key : {"21", "foobar", "abc", "x"}) {
    const auto positive = static_cast<std::uint32_t>(kafkaMurmur2(key)) & 0x7fffffffU;
    EXPECT_EQ(kafkaPartitionFor(key, 7), positive % 7) << key;
    EXPECT_EQ(kafkaPartitionFor(key, 1), 0u);
  }
}

TEST(ShardForPartitionKey, Md5RangesUnlessTheStreamUsesKafkasPartitioner) {
  StreamMeta stream;
  stream.shards = initialShards(7, 1);
  for (std::string_view key : {"21", "foobar", "abc", "customer-1"}) {
    EXPECT_EQ(shardForPartitionKey(stream, key), shardForHashKey(stream, partitionKeyHash(key)));
  }
  stream.kafkaPartitioner = true;
  for (std::string_view key : {"21", "foobar", "abc", "customer-1"}) {
    EXPECT_EQ(shardForPartitionKey(stream, key), kafkaPartitionFor(key, 7)) << key;
  }
}

}  // namespace
}  // namespace kbridge::streams
