// MappingWorker against test doubles of its seams: a scripted group consumer, the in-memory
// catalog and topics, and a recording handler. The worker's own threads run for real; the tests
// wait on conditions (with deadlines), never on fixed sleeps.

#include "runtime/mapping_worker.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>

#include "fakes/fake_kafka.h"
#include "ops/metric_values.h"
#include "streams/catalog.h"
#include "streams/sequence_number.h"

namespace kbridge::runtime {
namespace {

using namespace std::chrono_literals;

// Hands out scripted records; assigns its partitions on the first poll, revokes them on close().
class ScriptedConsumer final : public kafka::GroupConsumer {
 public:
  ScriptedConsumer(kafka::GroupRebalanceListener& listener, kafka::PartitionOffsets assignment)
      : listener_(listener), assignment_(std::move(assignment)) {}

  kafka::KafkaResult<std::vector<kafka::ConsumedRecord>> poll(std::chrono::milliseconds timeout,
                                                              std::size_t max) override {
    if (!assigned_) {
      assigned_ = true;
      listener_.onAssigned(assignment_);
    }
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, timeout, [this] { return !pending_.empty() || revokeNow_; });
    if (revokeNow_) {
      revokeNow_ = false;
      lock.unlock();
      std::vector<std::int32_t> partitions;
      for (const auto& [p, _] : assignment_) partitions.push_back(p);
      listener_.onRevoked(partitions);
      return std::vector<kafka::ConsumedRecord>{};
    }
    std::vector<kafka::ConsumedRecord> out;
    while (!pending_.empty() && out.size() < max) {
      out.push_back(std::move(pending_.front()));
      pending_.pop_front();
    }
    return out;
  }
  kafka::KafkaStatus commit(const kafka::PartitionOffsets& offsets) override {
    std::lock_guard lock(mutex_);
    for (const auto& [p, o] : offsets) committed_[p] = o;
    changed_.notify_all();
    return {};
  }
  void pause(const std::vector<std::int32_t>&) override {}
  void resume(const std::vector<std::int32_t>&) override {}
  void close() override {
    if (closed_) return;
    closed_ = true;
    std::vector<std::int32_t> partitions;
    for (const auto& [p, _] : assignment_) partitions.push_back(p);
    listener_.onRevoked(partitions);
  }

  void push(kafka::ConsumedRecord r) {
    std::lock_guard lock(mutex_);
    pending_.push_back(std::move(r));
    changed_.notify_all();
  }
  void revoke() {
    std::lock_guard lock(mutex_);
    revokeNow_ = true;
    changed_.notify_all();
  }
  bool waitCommitted(std::int32_t partition, std::int64_t offset) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, 10s, [&] {
      auto it = committed_.find(partition);
      return it != committed_.end() && it->second == offset;
    });
  }
  std::int64_t committed(std::int32_t partition) {
    std::lock_guard lock(mutex_);
    auto it = committed_.find(partition);
    return it == committed_.end() ? -1 : it->second;
  }

 private:
  kafka::GroupRebalanceListener& listener_;
  kafka::PartitionOffsets assignment_;
  bool assigned_ = false;
  bool closed_ = false;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<kafka::ConsumedRecord> pending_;
  std::map<std::int32_t, std::int64_t> committed_;
  bool revokeNow_ = false;
};

// Records what it is given; fails batches holding a poison value; can hold deliveries back.
class RecordingHandler final : public Handler {
 public:
  std::string open(const HandlerContext& context) override {
    streamArn = context.streamArn;
    return "";
  }
  DeliveryResult deliver(const Batch& batch) override {
    std::unique_lock lock(mutex_);
    entered += 1;
    changed_.notify_all();
    changed_.wait(lock, [this] { return !holding; });
    for (const auto& r : batch.records) {
      if (r.data == poison) return DeliveryResult::failed("poison in batch");
    }
    for (const auto& r : batch.records) delivered.push_back(r.data);
    changed_.notify_all();
    return DeliveryResult::ok();
  }
  void release(std::int32_t partition) override {
    std::lock_guard lock(mutex_);
    released.insert(partition);
  }
  void setHolding(bool hold) {
    std::lock_guard lock(mutex_);
    holding = hold;
    changed_.notify_all();
  }
  bool waitDelivered(std::size_t n) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, 10s, [&] { return delivered.size() >= n; });
  }
  bool waitEntered(int n) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, 10s, [&] { return entered >= n; });
  }
  std::vector<std::string> snapshot() {
    std::lock_guard lock(mutex_);
    return delivered;
  }

  std::string poison = "\x01none";
  std::string streamArn;
  std::vector<std::string> delivered;
  std::set<std::int32_t> released;
  bool holding = false;
  int entered = 0;

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
};

class MappingWorkerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    catalog_ =
        std::make_unique<streams::Catalog>(std::make_unique<testing::InMemoryCatalogLog>(), 100ms);
    ASSERT_TRUE(catalog_->start());
    streams::StreamMeta stream;
    stream.name = "orders";
    stream.topic = "orders";
    stream.generation = 1700000000000;
    stream.shards = streams::initialShards(1, stream.generation);
    ASSERT_TRUE(catalog_->put(stream));
    streams::StreamMeta dlq = stream;
    dlq.name = dlq.topic = "orders-dlq";
    ASSERT_TRUE(catalog_->put(dlq));
    config_ = std::make_shared<config::Config>();
  }

  void TearDown() override {
    if (worker_) worker_->stop();
  }

  void startWorker(config::MappingConfig mapping, std::optional<RecordFilter> filter = {}) {
    auto config = std::make_shared<config::Config>(*config_);
    config->mappings.push_back(std::move(mapping));
    config_ = config;
    auto handler = std::make_unique<RecordingHandler>();
    handler_ = handler.get();
    MappingWorker::Deps deps;
    deps.config = config_;
    deps.mapping = &config_->mappings.back();
    deps.catalog = catalog_.get();
    deps.producer = &topics_;
    deps.handler = std::move(handler);
    deps.filter = std::move(filter);
    deps.clock = &clock_;
    deps.metrics = &metrics_;
    deps.makeConsumer = [this](const kafka::GroupConsumerOptions& options,
                               kafka::GroupRebalanceListener& listener) {
      options_ = options;
      auto consumer = std::make_unique<ScriptedConsumer>(listener, kafka::PartitionOffsets{{0, 0}});
      consumer_ = consumer.get();
      consumerReady_.set_value();
      return consumer;
    };
    worker_ = std::make_unique<MappingWorker>(std::move(deps));
    worker_->start();
    ASSERT_EQ(consumerReady_.get_future().wait_for(10s), std::future_status::ready);
  }

  void put(std::int64_t offset, std::string data, std::string key = "k") {
    consumer_->push({0, offset, std::move(key), std::move(data), clock_.nowMillis()});
  }

  static config::MappingConfig mapping() {
    config::MappingConfig m;
    m.name = "m";
    m.stream = "orders";
    m.handlerType = "recording";
    m.consumerGroup = "kbridge.m";
    m.startingPosition = config::StartingPosition::kTrimHorizon;
    m.retryBackoffInitialMs = 1;
    m.retryBackoffMaxMs = 1;
    return m;
  }

  SystemClock clock_;
  ops::MetricsRegistry metrics_;  // outlives worker_
  std::unique_ptr<streams::Catalog> catalog_;
  testing::InMemoryTopics topics_;
  std::shared_ptr<const config::Config> config_;
  std::unique_ptr<MappingWorker> worker_;
  RecordingHandler* handler_ = nullptr;
  ScriptedConsumer* consumer_ = nullptr;
  std::promise<void> consumerReady_;
  kafka::GroupConsumerOptions options_;
};

TEST_F(MappingWorkerTest, DeliversInOrderAndCommitsWhatWasDelivered) {
  startWorker(mapping());
  EXPECT_EQ(options_.groupId, "kbridge.m");
  EXPECT_EQ(options_.topic, "orders");
  EXPECT_EQ(options_.startFrom, kafka::StartFrom::kEarliest);
  for (int i = 0; i < 250; ++i) put(i, "r" + std::to_string(i));
  ASSERT_TRUE(handler_->waitDelivered(250));
  auto delivered = handler_->snapshot();
  for (int i = 0; i < 250; ++i)
    EXPECT_EQ(delivered[static_cast<std::size_t>(i)], "r" + std::to_string(i));
  EXPECT_TRUE(consumer_->waitCommitted(0, 250));
  EXPECT_EQ(handler_->streamArn, "arn:aws:kinesis:us-east-1:000000000000:stream/orders");
  worker_->stop();
  EXPECT_EQ(handler_->released, std::set<std::int32_t>{0}) << "close() revokes and releases";
  EXPECT_EQ(worker_->counters().delivered.load(), 250u);
}

TEST_F(MappingWorkerTest, PoisonRecordGoesToTheOnFailureStreamAndTheCheckpointPassesIt) {
  auto m = mapping();
  m.bisectOnError = true;
  m.maxRetryAttempts = 1;
  m.onFailure = config::OnFailureConfig{"orders-dlq", "", true};
  startWorker(m);
  handler_->poison = "r37";
  for (int i = 0; i < 100; ++i) put(i, "r" + std::to_string(i));
  ASSERT_TRUE(handler_->waitDelivered(99));
  EXPECT_TRUE(consumer_->waitCommitted(0, 100));
  auto delivered = handler_->snapshot();
  ASSERT_EQ(delivered.size(), 99u) << "each good record exactly once";
  EXPECT_EQ(std::count(delivered.begin(), delivered.end(), "r37"), 0);
  const auto& dlq = topics_.partitions[{"orders-dlq", 0}];
  ASSERT_EQ(dlq.size(), 1u);
  EXPECT_EQ(dlq[0].key, "shardId-000000000000");
  auto doc = nlohmann::json::parse(dlq[0].value);
  const auto seq = streams::SequenceNumber{1700000000000, 0, 37}.toString();
  EXPECT_EQ(doc["requestContext"]["condition"], "RetryAttemptsExhausted");
  // The poison record's own two attempts, plus the failed halves that led to it.
  EXPECT_GE(doc["requestContext"]["approximateInvokeCount"], 2);
  EXPECT_EQ(doc["KinesisBatchInfo"]["shardId"], "shardId-000000000000");
  EXPECT_EQ(doc["KinesisBatchInfo"]["startSequenceNumber"], seq);
  EXPECT_EQ(doc["KinesisBatchInfo"]["endSequenceNumber"], seq);
  EXPECT_EQ(doc["KinesisBatchInfo"]["batchSize"], 1);
  EXPECT_EQ(doc["KinesisBatchInfo"]["streamArn"],
            "arn:aws:kinesis:us-east-1:000000000000:stream/orders");
  EXPECT_EQ(doc["responseContext"]["errorMessage"], "poison in batch");
  ASSERT_EQ(doc["Records"].size(), 1u);
  EXPECT_EQ(doc["Records"][0]["kinesis"]["data"], "cjM3");  // base64("r37")

  worker_->stop();
  auto metric = [this](const char* name, bool sum = false) {
    return testing::metricValue(metrics_, name, {{"mapping", "m"}}, sum).value_or(-1);
  };
  EXPECT_EQ(metric("kbridge_mapping_on_failure_records_total"), 1.0);
  EXPECT_EQ(metric("kbridge_mapping_records_delivered_total"), 99.0);
  EXPECT_GE(metric("kbridge_mapping_bisects_total"), 1.0);
  EXPECT_GE(metric("kbridge_mapping_retries_total"), 1.0) << "the poison record alone is retried";
  const double invocations = metric("kbridge_mapping_invocations_total");
  EXPECT_EQ(invocations, static_cast<double>(worker_->counters().invocations.load()));
  EXPECT_EQ(metric("kbridge_mapping_errors_total"),
            static_cast<double>(worker_->counters().errors.load()));
  EXPECT_EQ(metric("kbridge_mapping_batch_size"), invocations) << "one sample per invocation";
  EXPECT_GE(metric("kbridge_mapping_batch_size", true), 100.0);
  EXPECT_GE(testing::metricValue(metrics_, "kbridge_mapping_iterator_age_seconds",
                                 {{"mapping", "m"}, {"shard", "shardId-000000000000"}})
                .value_or(-1),
            0.0);
}

TEST_F(MappingWorkerTest, FilteredRecordsAreSkippedButAdvanceTheCheckpoint) {
  std::vector<std::string> errors;
  auto filter = RecordFilter::compile(nlohmann::json::parse(R"([{"data":{"type":["order"]}}])"),
                                      "$.filter", errors);
  ASSERT_TRUE(filter) << (errors.empty() ? "" : errors[0]);
  startWorker(mapping(), std::move(filter));
  put(0, R"({"type":"order","n":1})");
  put(1, R"({"type":"refund","n":2})");
  put(2, "not json");
  put(3, R"({"type":"order","n":4})");
  put(4, R"({"type":"ping"})");
  ASSERT_TRUE(handler_->waitDelivered(2));
  EXPECT_TRUE(consumer_->waitCommitted(0, 5));
  EXPECT_EQ(handler_->snapshot(),
            (std::vector<std::string>{R"({"type":"order","n":1})", R"({"type":"order","n":4})"}));
  EXPECT_EQ(worker_->counters().filtered.load(), 3u);
  EXPECT_EQ(
      testing::metricValue(metrics_, "kbridge_mapping_records_filtered_total", {{"mapping", "m"}}),
      3.0);
}

TEST_F(MappingWorkerTest, RevocationWaitsForTheBatchInFlightAndCommitsOnlyDeliveredRecords) {
  startWorker(mapping());
  put(0, "a");
  ASSERT_TRUE(handler_->waitDelivered(1));
  ASSERT_TRUE(consumer_->waitCommitted(0, 1));
  handler_->setHolding(true);
  put(1, "b");
  ASSERT_TRUE(handler_->waitEntered(2));  // "b" is in flight
  put(2, "c");                            // waits behind it (same key, one lane)
  consumer_->revoke();  // onRevoked runs on the poll thread and waits for the held delivery
  handler_->setHolding(false);
  ASSERT_TRUE(handler_->waitDelivered(2));
  EXPECT_TRUE(consumer_->waitCommitted(0, 2)) << "the finished batch is committed at revocation";
  worker_->stop();
  EXPECT_EQ(consumer_->committed(0), 2) << "never past \"c\", which was not delivered";
  EXPECT_EQ(handler_->snapshot(), (std::vector<std::string>{"a", "b"}));
}

}  // namespace
}  // namespace kbridge::runtime
