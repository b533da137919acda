// MappingWorker and the replay pause (runtime/pause_gate.h, streams/group_control.h): a "paused"
// record in the catalog makes the worker commit what it delivered and close its consumer (leave the
// group) with the handler still open; "resumed" — or the pause's deadline on the injected clock —
// makes it join again with a new consumer. The worker's threads run for real; the tests wait on
// conditions with deadlines, never on fixed sleeps.

#include <gtest/gtest.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "fakes/fake_kafka.h"
#include "runtime/mapping_worker.h"
#include "streams/catalog.h"

namespace kbridge::runtime {
namespace {

using namespace std::chrono_literals;
using State = streams::GroupControl::State;

// The test thread moves time while the worker's threads read it.
class SharedClock final : public Clock {
 public:
  explicit SharedClock(std::int64_t now) : now_(now) {}
  std::int64_t nowMillis() const override { return now_.load(); }
  void advance(std::int64_t ms) { now_ += ms; }

 private:
  std::atomic<std::int64_t> now_;
};

// For state without a signal of its own: looks every few milliseconds, for at most 10 s.
template <class P>
bool eventually(P predicate) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!predicate()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

// What the test sees of the consumers the worker makes, across all of them.
struct Group {
  std::mutex mutex;
  std::condition_variable changed;
  int made = 0;
  int closed = 0;
  std::deque<kafka::ConsumedRecord> pending;
  std::map<std::int32_t, std::int64_t> committed;

  template <class P>
  bool waitFor(P predicate) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, 10s, [&] { return predicate(); });
  }
};

// Assigns partition 0 at the committed offset (0 without one) on its first poll; revokes on close.
class Member final : public kafka::GroupConsumer {
 public:
  Member(Group& group, kafka::GroupRebalanceListener& listener)
      : group_(group), listener_(listener) {}

  kafka::KafkaResult<std::vector<kafka::ConsumedRecord>> poll(std::chrono::milliseconds timeout,
                                                              std::size_t max) override {
    if (!assigned_) {
      assigned_ = true;
      std::int64_t start = 0;
      {
        std::lock_guard lock(group_.mutex);
        if (auto it = group_.committed.find(0); it != group_.committed.end()) start = it->second;
        while (!group_.pending.empty() && group_.pending.front().offset < start) {
          group_.pending.pop_front();
        }
      }
      listener_.onAssigned({{0, start}});
    }
    std::unique_lock lock(group_.mutex);
    group_.changed.wait_for(lock, timeout, [this] { return !group_.pending.empty(); });
    std::vector<kafka::ConsumedRecord> out;
    while (!group_.pending.empty() && out.size() < max) {
      out.push_back(std::move(group_.pending.front()));
      group_.pending.pop_front();
    }
    return out;
  }
  kafka::KafkaStatus commit(const kafka::PartitionOffsets& offsets) override {
    std::lock_guard lock(group_.mutex);
    for (const auto& [p, o] : offsets) group_.committed[p] = o;
    group_.changed.notify_all();
    return {};
  }
  void pause(const std::vector<std::int32_t>&) override {}
  void resume(const std::vector<std::int32_t>&) override {}
  void close() override {
    if (closed_) return;
    closed_ = true;
    listener_.onRevoked({0});
    std::lock_guard lock(group_.mutex);
    group_.closed += 1;
    group_.changed.notify_all();
  }

 private:
  Group& group_;
  kafka::GroupRebalanceListener& listener_;
  bool assigned_ = false;
  bool closed_ = false;
};

class Recorder final : public Handler {
 public:
  explicit Recorder(Group& group) : group_(group) {}
  std::string open(const HandlerContext&) override {
    opened += 1;
    return "";
  }
  DeliveryResult deliver(const Batch& batch) override {
    std::lock_guard lock(group_.mutex);
    for (const auto& r : batch.records) delivered.push_back(r.data);
    group_.changed.notify_all();
    return DeliveryResult::ok();
  }
  void close() override { closedCount += 1; }

  std::vector<std::string> delivered;  // guarded by group_.mutex
  std::atomic<int> opened{0};
  std::atomic<int> closedCount{0};

 private:
  Group& group_;
};

class MappingWorkerPauseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    catalog_ =
        std::make_unique<streams::Catalog>(std::make_unique<testing::InMemoryCatalogLog>(), 100ms);
    ASSERT_TRUE(catalog_->start());
    streams::StreamMeta stream;
    stream.name = stream.topic = "orders";
    stream.generation = 1700000000000;
    stream.shards = streams::initialShards(1, stream.generation);
    ASSERT_TRUE(catalog_->put(stream));
    auto config = std::make_shared<config::Config>();
    config::MappingConfig m;
    m.name = "m";
    m.stream = "orders";
    m.handlerType = "recording";
    m.consumerGroup = "kbridge.m";
    m.startingPosition = config::StartingPosition::kTrimHorizon;
    config->mappings.push_back(m);
    config_ = config;
  }

  void TearDown() override {
    if (worker_) worker_->stop();
  }

  void startWorker() {
    auto handler = std::make_unique<Recorder>(group_);
    handler_ = handler.get();
    MappingWorker::Deps deps;
    deps.config = config_;
    deps.mapping = &config_->mappings.back();
    deps.catalog = catalog_.get();
    deps.producer = &topics_;
    deps.handler = std::move(handler);
    deps.clock = &clock_;
    deps.makeConsumer = [this](const kafka::GroupConsumerOptions&,
                               kafka::GroupRebalanceListener& listener) {
      std::lock_guard lock(group_.mutex);
      group_.made += 1;
      group_.changed.notify_all();
      return std::make_unique<Member>(group_, listener);
    };
    worker_ = std::make_unique<MappingWorker>(std::move(deps));
    worker_->start();
  }

  void put(std::int64_t offset) {
    std::lock_guard lock(group_.mutex);
    group_.pending.push_back({0, offset, "k", "r" + std::to_string(offset), clock_.nowMillis()});
    group_.changed.notify_all();
  }

  // Commits run once a second of the worker's clock: move time on while waiting for one.
  bool waitCommitted(std::int64_t offset) {
    return eventually([&] {
      clock_.advance(1000);
      std::lock_guard lock(group_.mutex);
      return group_.committed[0] == offset;
    });
  }

  void control(State state, const std::string& id, std::int64_t deadline) {
    streams::GroupControl c;
    c.group = "kbridge.m";
    c.state = state;
    c.replayId = id;
    c.mapping = "m";
    c.reason = "replay to trim-horizon";
    c.deadlineMs = deadline;
    c.writtenMs = clock_.nowMillis();
    ASSERT_TRUE(catalog_->putGroupControl(c));
  }

  SharedClock clock_{1'000'000};
  Group group_;
  std::unique_ptr<streams::Catalog> catalog_;
  testing::InMemoryTopics topics_;
  std::shared_ptr<const config::Config> config_;
  std::unique_ptr<MappingWorker> worker_;
  Recorder* handler_ = nullptr;
};

TEST_F(MappingWorkerPauseTest, PauseCommitsAndLeavesResumeRejoinsFromTheCommittedOffsets) {
  startWorker();
  for (int i = 0; i < 5; ++i) put(i);
  ASSERT_TRUE(waitCommitted(5));
  EXPECT_FALSE(worker_->pauseStatus().paused);

  const auto deadline = clock_.nowMillis() + 3'600'000;  // far beyond the clock moves below
  control(State::kPaused, "r1", deadline);
  ASSERT_TRUE(group_.waitFor([&] { return group_.closed == 1; }));
  auto status = worker_->pauseStatus();
  EXPECT_TRUE(status.paused);
  EXPECT_EQ(status.replayId, "r1");
  EXPECT_EQ(status.deadlineMs, deadline);
  EXPECT_EQ(handler_->closedCount.load(), 0) << "the handler stays open while paused";

  // What replay does while the group is empty: move the checkpoint back.
  {
    std::lock_guard lock(group_.mutex);
    group_.committed[0] = 2;
    for (std::int64_t o = 2; o < 5; ++o)
      group_.pending.push_back({0, o, "k", "r" + std::to_string(o), clock_.nowMillis()});
    EXPECT_EQ(group_.made, 1) << "no new member while paused";
  }
  control(State::kResumed, "r1", deadline);
  ASSERT_TRUE(group_.waitFor([&] { return group_.made == 2; }));
  ASSERT_TRUE(group_.waitFor([&] { return handler_->delivered.size() == 8; }));
  {
    std::lock_guard lock(group_.mutex);
    EXPECT_EQ(handler_->delivered,
              (std::vector<std::string>{"r0", "r1", "r2", "r3", "r4", "r2", "r3", "r4"}));
  }
  EXPECT_FALSE(worker_->pauseStatus().paused);
  EXPECT_EQ(handler_->opened.load(), 1);
  put(5);
  ASSERT_TRUE(waitCommitted(6));
}

TEST_F(MappingWorkerPauseTest, StartsPausedAndResumesByItselfAtTheDeadline) {
  control(State::kPaused, "crashed", clock_.nowMillis() + 30'000);
  startWorker();
  ASSERT_TRUE(eventually([&] { return worker_->pauseStatus().paused; }));
  EXPECT_EQ(worker_->pauseStatus().replayId, "crashed");
  {
    std::lock_guard lock(group_.mutex);
    EXPECT_EQ(group_.made, 0) << "a pause in force is honoured before joining";
  }
  clock_.advance(30'000);
  ASSERT_TRUE(group_.waitFor([&] { return group_.made == 1; }));
  put(0);
  ASSERT_TRUE(waitCommitted(1));
  EXPECT_FALSE(worker_->pauseStatus().paused);
}

}  // namespace
}  // namespace kbridge::runtime
