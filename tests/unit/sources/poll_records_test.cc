#include "sources/poll_records.h"

#include <gtest/gtest.h>

namespace kbridge::sources {
namespace {

using Json = nlohmann::json;
constexpr const char* kUrl = "http://127.0.0.1:8080/items";
constexpr std::int64_t kNow = 1795336200123;  // 2026-11-22T08:30:00.123Z

FetchResponse response(long status, std::string body) {
  FetchResponse r;
  r.status = FetchStatus::kResponse;
  r.httpStatus = status;
  r.body = std::move(body);
  return r;
}

TEST(PollRecords, WrapsEachElementOfAnArray) {
  auto out = recordsOfResponse(response(200, R"([{"id":1,"b":2,"a":3},"two",3,null])"), kUrl, kNow);
  ASSERT_EQ(out.outcome, RunOutcome::kOk) << out.error;
  ASSERT_EQ(out.data.size(), 4u);
  // The seed's shape and key order; the element's own key order is kept.
  EXPECT_EQ(out.data[0],
            R"({"timestamp":"2026-11-22T08:30:00.123Z","sourceUrl":"http://127.0.0.1:8080/items",)"
            R"("data":{"id":1,"b":2,"a":3}})");
  EXPECT_EQ(Json::parse(out.data[1])["data"], "two");
  EXPECT_EQ(Json::parse(out.data[2])["data"], 3);
  EXPECT_TRUE(Json::parse(out.data[3])["data"].is_null());
}

TEST(PollRecords, ASingleObjectIsOneRecord) {
  auto out = recordsOfResponse(response(201, R"({"only":true})"), kUrl, kNow);
  ASSERT_EQ(out.outcome, RunOutcome::kOk);
  ASSERT_EQ(out.data.size(), 1u);
  EXPECT_EQ(Json::parse(out.data[0]), Json({{"timestamp", "2026-11-22T08:30:00.123Z"},
                                            {"sourceUrl", kUrl},
                                            {"data", {{"only", true}}}}));
}

TEST(PollRecords, AnEmptyArrayIsOkWithNoRecords) {
  auto out = recordsOfResponse(response(200, " [ ] "), kUrl, kNow);
  EXPECT_EQ(out.outcome, RunOutcome::kOk);
  EXPECT_TRUE(out.data.empty());
}

TEST(PollRecords, NonSuccessStatusIsAnError) {
  auto out = recordsOfResponse(response(503, "busy\n\x01"), kUrl, kNow);
  EXPECT_EQ(out.outcome, RunOutcome::kHttpStatus);
  EXPECT_EQ(out.error, "GET http://127.0.0.1:8080/items: HTTP 503: busy..");
  EXPECT_TRUE(out.data.empty());
  EXPECT_EQ(recordsOfResponse(response(302, "[]"), kUrl, kNow).outcome, RunOutcome::kHttpStatus);
}

TEST(PollRecords, NonJsonIsAnError) {
  auto out = recordsOfResponse(response(200, "<html>hello</html>"), kUrl, kNow);
  EXPECT_EQ(out.outcome, RunOutcome::kNotJson);
  EXPECT_NE(out.error.find("not JSON: <html>hello</html>"), std::string::npos) << out.error;
  EXPECT_EQ(recordsOfResponse(response(200, "[1,2"), kUrl, kNow).outcome, RunOutcome::kNotJson);
  EXPECT_EQ(recordsOfResponse(response(200, ""), kUrl, kNow).outcome, RunOutcome::kNotJson);
}

TEST(PollRecords, TransportProblemsMapToOutcomes) {
  FetchResponse r;
  r.error = "Operation timed out after 200 milliseconds";
  r.status = FetchStatus::kTimeout;
  EXPECT_EQ(recordsOfResponse(r, kUrl, kNow).outcome, RunOutcome::kTimeout);
  r.status = FetchStatus::kTooLarge;
  EXPECT_EQ(recordsOfResponse(r, kUrl, kNow).outcome, RunOutcome::kTooLarge);
  r.status = FetchStatus::kFailed;
  auto failed = recordsOfResponse(r, kUrl, kNow);
  EXPECT_EQ(failed.outcome, RunOutcome::kFetchFailed);
  EXPECT_EQ(failed.error, std::string("GET ") + kUrl + ": " + r.error);
  r.status = FetchStatus::kCancelled;
  EXPECT_EQ(recordsOfResponse(r, kUrl, kNow).outcome, RunOutcome::kCancelled);
}

TEST(RunResult, JsonAndHttpStatus) {
  RunResult r{"ingest", RunOutcome::kOk, 3, 0, "", kNow, 12};
  EXPECT_EQ(toJson(r), Json({{"source", "ingest"},
                             {"outcome", "ok"},
                             {"recordsPut", 3},
                             {"recordsFailed", 0},
                             {"startedAt", "2026-11-22T08:30:00.123Z"},
                             {"durationMs", 12}}));
  EXPECT_EQ(httpStatusOf(r), 200);
  r.outcome = RunOutcome::kNotJson;
  r.error = "bad";
  EXPECT_EQ(toJson(r)["error"], "bad");
  EXPECT_EQ(toJson(r)["outcome"], "not_json");
  EXPECT_EQ(httpStatusOf(r), 502);
  r.outcome = RunOutcome::kStreamMissing;
  EXPECT_EQ(httpStatusOf(r), 503);
  for (auto outcome : kAllRunOutcomes) EXPECT_NE(outcomeName(outcome), "unknown");
}

}  // namespace
}  // namespace kbridge::sources
