#include "app/adopted_streams.h"

#include <gtest/gtest.h>

#include "common/executor.h"
#include "fakes/fake_kafka.h"
#include "fakes/fake_services.h"
#include "streams/catalog.h"

namespace kbridge::app {
namespace {

TEST(AdoptedStreams, RetentionHoursOfATopic) {
  EXPECT_EQ(retentionHoursOf(std::nullopt), 168);  // no override: the broker's default
  EXPECT_EQ(retentionHoursOf(48 * 3'600'000), 48);
  EXPECT_EQ(retentionHoursOf(48 * 3'600'000 + 1), 49);  // whole hours, rounded up
  EXPECT_EQ(retentionHoursOf(60'000), 1);
  EXPECT_EQ(retentionHoursOf(0), 1);
  EXPECT_EQ(retentionHoursOf(-1), 8760);  // unlimited
  EXPECT_EQ(retentionHoursOf(std::int64_t{10} * 8760 * 3'600'000), 8760);
}

// An adopted topic that gains partitions: the stream's shards follow (Kafka can only add them).
class AdoptedGrowth : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(catalog_.start());
    auto config = std::make_shared<config::Config>();
    config->streams.shardLimit = 8;
    testing::useFakes(services_, config, catalog_, admin_, clock_, inline_, topics_);
    admin_.topics["orders.v1"] = {2, {}};
    adoptStreams(adopt_, services_);
    meta0_ = *catalog_.find("orders");
  }
  std::vector<config::StreamAdoption> adopt_{{"orders", "orders.v1", false}};
  streams::Catalog catalog_{std::make_unique<testing::InMemoryCatalogLog>(),
                            std::chrono::milliseconds(100)};
  testing::FakeKafkaAdmin admin_;
  testing::InMemoryTopics topics_;
  ManualClock clock_{1'700'000'000'000};
  InlineExecutor inline_;
  kinesis::Services services_;
  streams::StreamMeta meta0_;
};

TEST_F(AdoptedGrowth, AddedPartitionsBecomeShardsAndTheOldOnesKeepTheirSequenceNumbers) {
  ASSERT_EQ(meta0_.shards.size(), 2u);
  admin_.topics["orders.v1"].partitions = 5;
  refreshAdoptedStreams(adopt_, services_);
  const auto grown = *catalog_.find("orders");
  EXPECT_EQ(grown.shards.size(), 5u);
  EXPECT_EQ(grown.generation, meta0_.generation);
  EXPECT_EQ(grown.creationTimeMs, meta0_.creationTimeMs);
  const auto expected = streams::initialShards(5, meta0_.generation);
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(grown.shards[i].index, i);
    EXPECT_EQ(grown.shards[i].hashKeyRange.start, expected[i].hashKeyRange.start);
    EXPECT_EQ(grown.shards[i].hashKeyRange.end, expected[i].hashKeyRange.end);
  }
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(grown.shards[i].startingSequenceNumber, meta0_.shards[i].startingSequenceNumber);
  }
}

TEST_F(AdoptedGrowth, AStartUpPicksUpAddedPartitionsToo) {
  admin_.topics["orders.v1"].partitions = 3;
  adoptStreams(adopt_, services_);  // the record exists: kept, and grown
  EXPECT_EQ(catalog_.find("orders")->shards.size(), 3u);
}

TEST_F(AdoptedGrowth, FewerPartitionsOrMoreThanTheShardLimitLeaveTheStreamAsItIs) {
  admin_.topics["orders.v1"].partitions = 1;  // deleted and created again with fewer
  refreshAdoptedStreams(adopt_, services_);
  EXPECT_EQ(catalog_.find("orders")->shards.size(), 2u);
  admin_.topics["orders.v1"].partitions = 9;  // streams.shard_limit is 8
  refreshAdoptedStreams(adopt_, services_);
  EXPECT_EQ(catalog_.find("orders")->shards.size(), 2u);
  admin_.topics.erase("orders.v1");  // describeTopic fails: logged, never thrown
  EXPECT_NO_THROW(refreshAdoptedStreams(adopt_, services_));
  EXPECT_EQ(catalog_.find("orders")->shards.size(), 2u);
}

TEST_F(AdoptedGrowth, AStreamThatIsNoLongerTheTopicsIsNotTouched) {
  ASSERT_TRUE(catalog_.erase("orders"));
  admin_.topics["orders.v1"].partitions = 4;
  refreshAdoptedStreams(adopt_, services_);
  EXPECT_FALSE(catalog_.find("orders"));
}

}  // namespace
}  // namespace kbridge::app
