#include "api/router.h"

#include <gtest/gtest.h>

#include <optional>

namespace kbridge::api {
namespace {

class RecordingHandler final : public http::Handler {
 public:
  void handle(http::Request request, http::Respond respond) override {
    seen.push_back(request.target);
    respond(http::Response{200, {}, "kinesis"});
  }
  std::vector<std::string> seen;
};

std::string header(const http::Response& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

class RouterTest : public ::testing::Test {
 protected:
  RouterTest() : router_(kinesis_, config::CorsConfig{}) {
    router_.add("GET", "/api/data", [this](ApiRequest r, http::Respond respond) {
      last_ = std::move(r);
      respond(jsonResponse(200, {{"route", "list"}}));
    });
    router_.add("GET", "/api/data/{id}", [this](ApiRequest r, http::Respond respond) {
      last_ = std::move(r);
      respond(jsonResponse(200, {{"route", "item"}}));
    });
    router_.add("POST", "/api/sources/{name}/run", [this](ApiRequest r, http::Respond respond) {
      last_ = std::move(r);
      respond(jsonResponse(202, {{"route", "run"}}));
    });
  }

  http::Response send(std::string method, std::string target) {
    http::Request request;
    request.method = std::move(method);
    request.target = std::move(target);
    std::optional<http::Response> out;
    router_.handle(std::move(request), [&](http::Response r) { out = std::move(r); });
    EXPECT_TRUE(out);
    return out.value_or(http::Response{});
  }

  RecordingHandler kinesis_;
  ApiRouter router_;
  std::optional<ApiRequest> last_;
};

TEST_F(RouterTest, KinesisRequestsGoStraightToTheDispatcher) {
  for (const char* target : {"/", "/apis", "/ap", "/?x=1", "/API/data"}) {
    EXPECT_EQ(send("POST", target).body, "kinesis") << target;
  }
  EXPECT_EQ(kinesis_.seen.size(), 5u);
  EXPECT_TRUE(ApiRouter::isApiTarget("/api"));
  EXPECT_TRUE(ApiRouter::isApiTarget("/api?x"));
  EXPECT_FALSE(ApiRouter::isApiTarget("/apix"));
}

TEST_F(RouterTest, RoutesCaptureDecodedParametersAndQueries) {
  auto r = send("GET", "/api/data/order%2F1%20a?limit=5&cursor=a%2Bb+c&flag");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"route":"item"})");
  ASSERT_TRUE(last_);
  EXPECT_EQ(last_->params.at("id"), "order/1 a");
  EXPECT_EQ(last_->query.at("limit"), "5");
  EXPECT_EQ(last_->query.at("cursor"), "a+b c");
  EXPECT_EQ(last_->query.at("flag"), "");
  EXPECT_EQ(send("GET", "/api/data").body, R"({"route":"list"})");
  EXPECT_EQ(send("POST", "/api/sources/poller/run").status, 202);
  EXPECT_EQ(last_->params.at("name"), "poller");
  EXPECT_TRUE(kinesis_.seen.empty());
}

TEST_F(RouterTest, EveryAnswerCarriesCorsHeaders) {
  for (auto r : {send("GET", "/api/data"), send("GET", "/api/nothing"), send("DELETE", "/api/data"),
                 send("OPTIONS", "/api/data/x")}) {
    EXPECT_EQ(header(r, "Access-Control-Allow-Origin"), "*");
    EXPECT_EQ(header(r, "Access-Control-Allow-Methods"), "GET,POST,OPTIONS");
    EXPECT_EQ(header(r, "Access-Control-Allow-Headers"),
              "Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token");
  }
}

TEST_F(RouterTest, PreflightUnknownPathsAndWrongMethods) {
  auto preflight = send("OPTIONS", "/api/sources/x/run");
  EXPECT_EQ(preflight.status, 204);
  EXPECT_TRUE(preflight.body.empty());
  auto missing = send("GET", "/api/unknown/route");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body, R"({"message":"Not Found"})");
  EXPECT_EQ(header(missing, "Content-Type"), "application/json");
  EXPECT_EQ(send("GET", "/api/data/").status, 404);  // an empty {id} matches nothing
  auto wrong = send("PUT", "/api/data/x");
  EXPECT_EQ(wrong.status, 405);
  EXPECT_EQ(header(wrong, "Allow"), "GET, OPTIONS");
  EXPECT_EQ(send("GET", "/api/data/%zz").status, 400);
  EXPECT_EQ(send("GET", "/api/data?limit=%4").status, 400);
}

TEST_F(RouterTest, CorsAndMaxAgeAreConfigurable) {
  config::CorsConfig cors;
  cors.allowOrigin = "https://app.example";
  cors.maxAgeS = 600;
  ApiRouter router(kinesis_, cors);
  router.add("GET", "/api/x", [](ApiRequest, http::Respond respond) {
    respond(jsonResponse(200, nlohmann::json::object()));
  });
  std::optional<http::Response> out;
  router.handle(http::Request{"OPTIONS", "/api/x", {}, "", ""},
                [&](http::Response r) { out = std::move(r); });
  ASSERT_TRUE(out);
  EXPECT_EQ(header(*out, "Access-Control-Allow-Origin"), "https://app.example");
  EXPECT_EQ(header(*out, "Access-Control-Max-Age"), "600");
}

TEST_F(RouterTest, AGuardRunsBeforeRoutesButNotPreflights) {
  std::vector<std::string> guarded;
  router_.setGuard([&](const ApiRequest& request, std::string_view method,
                       std::string_view pattern) -> std::optional<http::Response> {
    guarded.push_back(std::string(method) + " " + std::string(pattern));
    if (request.http.header("Authorization") == "Bearer ok") return std::nullopt;
    return errorResponse(401, "Unauthorized");
  });
  auto refused = send("GET", "/api/data/x");
  EXPECT_EQ(refused.status, 401);
  EXPECT_EQ(header(refused, "Access-Control-Allow-Origin"), "*");
  EXPECT_FALSE(last_);
  http::Request allowed{"GET", "/api/data/x", {{"Authorization", "Bearer ok"}}, "", ""};
  std::optional<http::Response> out;
  router_.handle(std::move(allowed), [&](http::Response r) { out = std::move(r); });
  EXPECT_EQ(out->status, 200);
  EXPECT_EQ(send("OPTIONS", "/api/data/x").status, 204);
  EXPECT_EQ(send("POST", "/").body, "kinesis");
  EXPECT_EQ(guarded, (std::vector<std::string>{"GET /api/data/{id}", "GET /api/data/{id}"}));
}

TEST(PercentDecodeTest, DecodesAndRejectsMalformedEscapes) {
  EXPECT_EQ(percentDecode("a%20b%2fc", false), "a b/c");
  EXPECT_EQ(percentDecode("a+b", false), "a+b");
  EXPECT_EQ(percentDecode("a+b", true), "a b");
  EXPECT_EQ(percentDecode("%", false), std::nullopt);
  EXPECT_EQ(percentDecode("%a", false), std::nullopt);
  EXPECT_EQ(percentDecode("%g0", false), std::nullopt);
}

}  // namespace
}  // namespace kbridge::api
