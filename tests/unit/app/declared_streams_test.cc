// streams.create at start-up, hermetically: the catalog and topics in memory, the streams created
// through the CreateStream action, retention through the retention actions.

#include "app/declared_streams.h"

#include <gtest/gtest.h>

#include <stdexcept>

#include "fakes/fake_kafka.h"
#include "fakes/fake_services.h"
#include "streams/catalog.h"

namespace kbridge::app {
namespace {

class DeclaredStreamsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    catalog_ = std::make_unique<streams::Catalog>(std::make_unique<testing::InMemoryCatalogLog>(),
                                                  std::chrono::milliseconds(100));
    ASSERT_TRUE(catalog_->start());
    auto config = std::make_shared<config::Config>();
    config->streams.shardLimit = 5;
    testing::useFakes(services_, config, *catalog_, admin_, clock_, inline_, topics_);
  }

  static config::StreamDeclaration declare(std::string name, int shards, int hours = 24) {
    config::StreamDeclaration d;
    d.name = std::move(name);
    d.shards = shards;
    d.retentionHours = hours;
    return d;
  }

  std::unique_ptr<streams::Catalog> catalog_;
  testing::FakeKafkaAdmin admin_;
  testing::InMemoryTopics topics_;
  ManualClock clock_{1'700'000'000'000};
  InlineExecutor inline_;
  kinesis::Services services_;
};

TEST_F(DeclaredStreamsTest, CreatesAbsentStreamsWithTheirShardsAndRetention) {
  createDeclaredStreams({declare("data-stream", 2, 24), declare("MyStream", 1, 168)}, services_);

  auto data = catalog_->find("data-stream");
  ASSERT_TRUE(data);
  EXPECT_EQ(data->openShardCount(), 2);
  EXPECT_EQ(data->retentionHours, 24);
  ASSERT_TRUE(admin_.topics.count("data-stream"));
  EXPECT_EQ(admin_.topics["data-stream"].partitions, 2);
  EXPECT_EQ(admin_.topics["data-stream"].configs["retention.ms"], "86400000");
  EXPECT_EQ(admin_.topics["data-stream"].configs["message.timestamp.type"], "LogAppendTime");

  auto mine = catalog_->find("MyStream");
  ASSERT_TRUE(mine);
  EXPECT_EQ(mine->openShardCount(), 1);
  EXPECT_EQ(mine->retentionHours, 168);
  EXPECT_EQ(admin_.topics["MyStream"].configs["retention.ms"], std::to_string(168LL * 3600000));
}

TEST_F(DeclaredStreamsTest, LeavesAnExistingStreamAsItIs) {
  createDeclaredStreams({declare("s", 1, 48)}, services_);
  const auto before = catalog_->find("s");
  ASSERT_TRUE(before);
  // Declared again with other shards and retention (the next start with an edited config).
  createDeclaredStreams({declare("s", 3, 24)}, services_);
  const auto after = catalog_->find("s");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->openShardCount(), 1);
  EXPECT_EQ(after->retentionHours, 48);
  EXPECT_EQ(after->generation, before->generation);
  EXPECT_EQ(admin_.topics["s"].partitions, 1);
}

TEST_F(DeclaredStreamsTest, ATopicCreatedMeanwhileByAnotherInstanceCountsAsExisting) {
  // The topic exists (another instance won the race) but this catalog has no record of it yet:
  // CreateStream answers ResourceInUseException, which is not an error here.
  admin_.topics["raced"] = testing::FakeKafkaAdmin::Topic{1, {}};
  EXPECT_NO_THROW(createDeclaredStreams({declare("raced", 1)}, services_));
  EXPECT_FALSE(catalog_->find("raced"));
}

TEST_F(DeclaredStreamsTest, FailsNamingTheStreamAndKinesissError) {
  createDeclaredStreams({declare("first", 4)}, services_);
  try {
    createDeclaredStreams({declare("second", 2)}, services_);
    FAIL() << "expected an exception";
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("streams.create: cannot create stream second: LimitExceededException"),
              std::string::npos)
        << what;
  }
  EXPECT_FALSE(catalog_->find("second"));
}

TEST_F(DeclaredStreamsTest, AKafkaFailureIsAnError) {
  admin_.failNext = kafka::KafkaError{kafka::KafkaErrorKind::kUnavailable, 0, "broker down"};
  EXPECT_THROW(createDeclaredStreams({declare("down", 1)}, services_), std::runtime_error);
  EXPECT_FALSE(catalog_->find("down"));
}

}  // namespace
}  // namespace kbridge::app
