// SourceRunner with a ManualClock, a scripted fetcher, in-memory topics and a real metrics
// registry: schedules, record routing, error outcomes and their counters, without threads.

#include "sources/source_runner.h"

#include <gtest/gtest.h>

#include <deque>

#include "config/config.h"
#include "fakes/fake_kafka.h"
#include "ops/metrics.h"
#include "streams/routing.h"

namespace kbridge::sources {
namespace {

using Json = nlohmann::json;
constexpr std::int64_t kStart = 1795336200000;  // 2026-11-22T08:30:00.000Z

class ScriptedFetcher final : public HttpFetcher {
 public:
  FetchResponse fetch(const FetchRequest& request, const std::atomic<bool>&) override {
    requests.push_back(request);
    if (script.empty()) return ok(200, "[]");
    auto next = script.front();
    script.pop_front();
    return next;
  }
  static FetchResponse ok(long status, std::string body) {
    FetchResponse r;
    r.status = FetchStatus::kResponse;
    r.httpStatus = status;
    r.body = std::move(body);
    return r;
  }
  static FetchResponse transport(FetchStatus status, std::string error) {
    FetchResponse r;
    r.status = status;
    r.error = std::move(error);
    return r;
  }
  std::deque<FetchResponse> script;
  std::vector<FetchRequest> requests;
};

class SourceRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    stream_.name = "data-ingestion-stream";
    stream_.topic = "kb-data-ingestion-stream";
    stream_.generation = 42;
    stream_.shards = streams::initialShards(2, 42);
  }

  std::unique_ptr<SourceRunner> runner(const std::string& sources) {
    config::ConfigErrors errors;
    config_ = config::parseConfig(R"({"sources":)" + sources + "}", {}, errors);
    EXPECT_TRUE(config_) << (errors.errors.empty() ? "" : errors.errors.front());
    return std::make_unique<SourceRunner>(
        config_,
        [this](const std::string& name) -> std::optional<streams::StreamMeta> {
          if (!streamExists_ || name != stream_.name) return std::nullopt;
          return stream_;
        },
        topics_, fetcher_, clock_, &metrics_, [this] { return ++randomState_; });
  }

  std::vector<testing::InMemoryTopics::Stored> stored() {
    std::vector<testing::InMemoryTopics::Stored> out;
    for (auto& [where, log] : topics_.partitions) {
      EXPECT_EQ(where.first, stream_.topic);
      for (auto& r : log) {
        // Routed as PutRecords routes: MD5 of the key picks the shard.
        EXPECT_EQ(streams::shardForHashKey(stream_, streams::partitionKeyHash(r.key)),
                  static_cast<std::uint32_t>(where.second))
            << r.key;
        out.push_back(r);
      }
    }
    return out;
  }

  double metric(const std::string& name, const std::string& labels) {
    const std::string text = metrics_.render();
    const std::string prefix = name + "{" + labels + "} ";
    auto at = text.find(prefix);
    if (at == std::string::npos) return -1;
    return std::stod(text.substr(at + prefix.size()));
  }

  ManualClock clock_{kStart};
  ops::MetricsRegistry metrics_;
  testing::InMemoryTopics topics_;
  ScriptedFetcher fetcher_;
  streams::StreamMeta stream_;
  bool streamExists_ = true;
  std::uint64_t randomState_ = 0;
  std::shared_ptr<const config::Config> config_;
};

constexpr const char* kPoll = R"([{"name":"ingest","type":"http_poll",
    "stream":"data-ingestion-stream","interval_s":60,"url":"http://127.0.0.1:9/items",
    "timeout_ms":250,"connect_timeout_ms":100,"max_response_bytes":4096,"user_agent":"kb-test",
    "headers":{"X-Token":"t"}}])";

TEST_F(SourceRunnerTest, HttpPollPutsOneRecordPerElement) {
  fetcher_.script.push_back(ScriptedFetcher::ok(200, R"([{"id":1},{"id":2},{"id":3}])"));
  auto r = runner(kPoll);
  r->runDue();
  ASSERT_EQ(fetcher_.requests.size(), 1u);
  const auto& request = fetcher_.requests[0];
  EXPECT_EQ(request.url, "http://127.0.0.1:9/items");
  EXPECT_EQ(request.timeoutMs, 250);
  EXPECT_EQ(request.connectTimeoutMs, 100);
  EXPECT_EQ(request.maxBytes, 4096);
  EXPECT_EQ(request.userAgent, "kb-test");
  EXPECT_EQ(request.headers.at("X-Token"), "t");
  EXPECT_EQ(request.headers.at("Accept"), "application/json");

  auto records = stored();
  ASSERT_EQ(records.size(), 3u);
  std::set<int> ids;
  for (const auto& record : records) {
    auto doc = Json::parse(record.value);
    EXPECT_EQ(doc["timestamp"], "2026-11-22T08:30:00.000Z");
    EXPECT_EQ(doc["sourceUrl"], "http://127.0.0.1:9/items");
    ids.insert(doc["data"]["id"].get<int>());
    // Seed 002's key: partition-<ms>-<random>.
    EXPECT_EQ(record.key.rfind("partition-1795336200000-", 0), 0u) << record.key;
    EXPECT_EQ(record.key.size(), std::string("partition-1795336200000-").size() + 8);
  }
  EXPECT_EQ(ids, (std::set<int>{1, 2, 3}));
  EXPECT_EQ(metric("kbridge_source_runs_total", R"(outcome="ok",source="ingest")"), 1);
  EXPECT_EQ(metric("kbridge_source_records_total", R"(source="ingest")"), 3);
  EXPECT_EQ(metric("kbridge_source_runs_total", R"(outcome="timeout",source="ingest")"), 0);
}

TEST_F(SourceRunnerTest, ErrorsAreCountedAndPutNothing) {
  fetcher_.script = {ScriptedFetcher::ok(500, "oops"),
                     ScriptedFetcher::ok(200, "not json"),
                     ScriptedFetcher::transport(FetchStatus::kTimeout, "timed out"),
                     ScriptedFetcher::transport(FetchStatus::kFailed, "Connection refused"),
                     ScriptedFetcher::transport(FetchStatus::kTooLarge, "too big"),
                     ScriptedFetcher::ok(200, R"({"single":1})")};
  auto r = runner(kPoll);
  std::vector<RunOutcome> outcomes;
  for (int i = 0; i < 6; ++i) outcomes.push_back(r->runOnce("ingest")->outcome);
  EXPECT_EQ(outcomes, (std::vector<RunOutcome>{RunOutcome::kHttpStatus, RunOutcome::kNotJson,
                                               RunOutcome::kTimeout, RunOutcome::kFetchFailed,
                                               RunOutcome::kTooLarge, RunOutcome::kOk}));
  EXPECT_EQ(stored().size(), 1u);
  for (const char* outcome :
       {"http_status", "not_json", "timeout", "fetch_failed", "too_large", "ok"}) {
    EXPECT_EQ(metric("kbridge_source_runs_total",
                     std::string("outcome=\"") + outcome + "\",source=\"ingest\""),
              1)
        << outcome;
  }
  EXPECT_EQ(metric("kbridge_source_records_total", R"(source="ingest")"), 1);
}

TEST_F(SourceRunnerTest, KafkaFailuresAreCountedPerRecord) {
  fetcher_.script.push_back(ScriptedFetcher::ok(200, "[1,2]"));
  topics_.failWith = kafka::KafkaError{kafka::KafkaErrorKind::kQueueFull, -184, "queue full"};
  auto r = runner(kPoll);
  auto result = r->runOnce("ingest");
  EXPECT_EQ(result->outcome, RunOutcome::kPutFailed);
  EXPECT_EQ(result->recordsPut, 0u);
  EXPECT_EQ(result->recordsFailed, 2u);
  EXPECT_NE(result->error.find("2 of 2 records not put: Kafka: queue full"), std::string::npos)
      << result->error;
  EXPECT_EQ(metric("kbridge_source_record_failures_total", R"(source="ingest")"), 2);
  EXPECT_EQ(metric("kbridge_source_runs_total", R"(outcome="put_failed",source="ingest")"), 1);
}

TEST_F(SourceRunnerTest, ScheduleRunsAtStartThenEveryInterval) {
  auto r = runner(kPoll);
  EXPECT_EQ(r->nextRunMs("ingest"), kStart);
  r->runDue();
  EXPECT_EQ(fetcher_.requests.size(), 1u);
  EXPECT_EQ(r->nextRunMs("ingest"), kStart + 60000);
  clock_.advance(59999);
  r->runDue();
  EXPECT_EQ(fetcher_.requests.size(), 1u) << "not due yet";
  clock_.advance(1);
  r->runDue();
  EXPECT_EQ(fetcher_.requests.size(), 2u);
  EXPECT_EQ(r->nextRunMs("ingest"), kStart + 120000) << "fixed rate";
  // Far behind (e.g. a long pause): one run, not a burst of catch-up runs.
  clock_.advance(300000 + 5);
  r->runDue();
  r->runDue();
  EXPECT_EQ(fetcher_.requests.size(), 3u);
  EXPECT_EQ(r->nextRunMs("ingest"), clock_.nowMillis() + 60000);
  // A triggered run does not move the schedule.
  const auto next = r->nextRunMs("ingest");
  EXPECT_EQ(r->runOnce("ingest")->outcome, RunOutcome::kOk);
  EXPECT_EQ(r->nextRunMs("ingest"), next);
  EXPECT_FALSE(r->runOnce("nope"));
}

TEST_F(SourceRunnerTest, MissingStreamIsRetriedSoonerAndFetchesNothing) {
  streamExists_ = false;
  auto r = runner(kPoll);
  r->runDue();
  EXPECT_TRUE(fetcher_.requests.empty()) << "no fetch while the stream is missing";
  EXPECT_EQ(r->nextRunMs("ingest"), kStart + SourceRunner::kStreamRetryMs);
  EXPECT_EQ(metric("kbridge_source_runs_total", R"(outcome="stream_missing",source="ingest")"), 1);
  streamExists_ = true;
  stream_.status = streams::StreamStatus::kCreating;
  clock_.advance(SourceRunner::kStreamRetryMs);
  r->runDue();
  EXPECT_TRUE(fetcher_.requests.empty()) << "CREATING is not writable";
  stream_.status = streams::StreamStatus::kActive;
  clock_.advance(SourceRunner::kStreamRetryMs);
  r->runDue();
  EXPECT_EQ(fetcher_.requests.size(), 1u);
  EXPECT_EQ(r->nextRunMs("ingest"), clock_.nowMillis() + 60000);
}

TEST_F(SourceRunnerTest, GeneratorRendersItsTemplate) {
  auto r = runner(R"([{"name":"producer","type":"generator","stream":"data-ingestion-stream",
      "interval_s":300,"template":{"message":"Hello from producer","time":"${time}",
      "n":"${count}"},"partition_key":"producer-${count}"},
      {"name":"seed","type":"generator","stream":"data-ingestion-stream","interval_s":0}])");
  r->runDue();
  clock_.advance(300000);
  r->runDue();
  EXPECT_EQ(r->nextRunMs("seed"), std::nullopt) << "interval_s 0: only when triggered";
  auto records = stored();
  ASSERT_EQ(records.size(), 2u);
  std::map<std::string, Json> byKey;
  for (auto& record : records) byKey[record.key] = Json::parse(record.value);
  EXPECT_EQ(
      byKey.at("producer-1"),
      Json({{"message", "Hello from producer"}, {"time", "2026-11-22T08:30:00.000Z"}, {"n", 1}}));
  EXPECT_EQ(
      byKey.at("producer-2"),
      Json({{"message", "Hello from producer"}, {"time", "2026-11-22T08:35:00.000Z"}, {"n", 2}}));
  // The default template is seed 004's producer: { message: 'Hello', time: <epoch ms> }.
  auto result = r->runOnce("seed");
  ASSERT_EQ(result->outcome, RunOutcome::kOk);
  EXPECT_EQ(result->recordsPut, 1u);
  bool found = false;
  for (auto& record : stored()) {
    auto doc = Json::parse(record.value);
    if (doc.contains("message") && doc["message"] == "Hello") {
      EXPECT_EQ(doc["time"], kStart + 300000);
      found = true;
    }
  }
  EXPECT_TRUE(found);
  EXPECT_EQ(metric("kbridge_source_records_total", R"(source="producer")"), 2);
}

TEST_F(SourceRunnerTest, DisabledSourcesAreNotScheduledButCanBeTriggered) {
  auto r = runner(R"([{"name":"g","type":"generator","stream":"data-ingestion-stream",
      "interval_s":1,"enabled":false}])");
  r->runDue();
  EXPECT_TRUE(stored().empty());
  std::optional<RunResult> answered;
  EXPECT_TRUE(r->trigger("g", [&](RunResult result) { answered = result; }));
  ASSERT_TRUE(answered) << "not started: runs on the calling thread";
  EXPECT_EQ(answered->outcome, RunOutcome::kOk);
  EXPECT_EQ(stored().size(), 1u);
  EXPECT_FALSE(r->trigger("nope", [](RunResult) { FAIL(); }));
}

TEST_F(SourceRunnerTest, TriggerAfterStopAnswersCancelled) {
  auto r = runner(R"([{"name":"g","type":"generator","stream":"data-ingestion-stream",
      "interval_s":0}])");
  r->start();
  r->stop();
  std::optional<RunResult> answered;
  EXPECT_TRUE(r->trigger("g", [&](RunResult result) { answered = result; }));
  ASSERT_TRUE(answered);
  EXPECT_EQ(answered->outcome, RunOutcome::kCancelled);
  EXPECT_TRUE(stored().empty());
}

}  // namespace
}  // namespace kbridge::sources
