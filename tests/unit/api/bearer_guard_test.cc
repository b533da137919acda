#include "api/bearer_guard.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <optional>

#include "auth/authenticator.h"
#include "common/clock.h"

namespace kbridge::api {
namespace {

class Recording final : public http::Handler {
 public:
  void handle(http::Request, http::Respond respond) override {
    respond(http::Response{200, {}, "kinesis"});
  }
};

std::string header(const http::Response& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

// A router with an ingest route (PutRecords on "orders-eu") and a data route (GetRecords on
// "payments") behind the guard, and three principals: a writer limited to kinesis:PutRecord* on
// orders-*, a reader of everything, and one without an api token.
class BearerGuardTest : public ::testing::Test {
 protected:
  BearerGuardTest() : router_(fallback_, config::CorsConfig{}) {
    config::Config config;
    config.auth.mode = config::AuthMode::kSigV4;
    config.auth.region = "us-east-1";
    config.kinesis.accountId = "123456789012";
    config.auth.principals = {
        {"writer", "AKIDW", "E", "s", {"kinesis:PutRecord*"}, {"orders-*"}, "T", "w-token"},
        {"reader", "AKIDR", "E", "s", {"kinesis:Get*"}, {"*"}, "T", "r-token"},
        {"sigv4-only", "AKIDS", "E", "s", {"kinesis:*"}, {"*"}, "", ""}};
    authenticator_ = std::make_unique<auth::Authenticator>(config, clock_);
    router_.add("POST", "/api/ingest/stream", [this](ApiRequest, http::Respond respond) {
      ++calls_;
      respond(jsonResponse(200, {{"ok", true}}));
    });
    router_.add("GET", "/api/data/{id}", [this](ApiRequest, http::Respond respond) {
      ++calls_;
      respond(jsonResponse(200, {{"ok", true}}));
    });
    router_.add("GET", "/api/other", [this](ApiRequest, http::Respond respond) {
      ++calls_;
      respond(jsonResponse(200, {{"ok", true}}));
    });
    router_.setGuard(makeBearerGuard(*authenticator_,
                                     [](const ApiRequest& request, std::string_view method,
                                        std::string_view pattern) -> std::optional<RouteAccess> {
                                       if (pattern == "/api/ingest/stream")
                                         return RouteAccess{"PutRecords", "orders-eu"};
                                       if (pattern == "/api/data/{id}") {
                                         EXPECT_EQ(method, "GET");
                                         EXPECT_EQ(request.params.at("id"), "42");
                                         return RouteAccess{"GetRecords", "payments"};
                                       }
                                       return std::nullopt;
                                     }));
  }

  http::Response send(std::string method, std::string target, std::string authorization) {
    http::Request request;
    request.method = std::move(method);
    request.target = std::move(target);
    if (!authorization.empty()) request.headers.emplace_back("Authorization", authorization);
    std::optional<http::Response> out;
    router_.handle(std::move(request), [&](http::Response r) { out = std::move(r); });
    EXPECT_TRUE(out);
    return out.value_or(http::Response{});
  }

  static std::string message(const http::Response& r) {
    return nlohmann::json::parse(r.body).at("message").get<std::string>();
  }

  ManualClock clock_{1'763'800'000'000};
  std::unique_ptr<auth::Authenticator> authenticator_;
  Recording fallback_;
  ApiRouter router_;
  int calls_ = 0;
};

TEST_F(BearerGuardTest, AllowedTokensReachTheirRoutes) {
  EXPECT_EQ(send("POST", "/api/ingest/stream", "Bearer w-token").status, 200);
  EXPECT_EQ(send("GET", "/api/data/42", "Bearer r-token").status, 200);
  EXPECT_EQ(calls_, 2);
}

TEST_F(BearerGuardTest, MissingOrUnknownTokensGet401AndNeverReachTheRoute) {
  for (const char* auth : {"", "Bearer nope", "Basic dzp0b2tlbg==", "Bearer ", "bearer w-token"}) {
    const auto r = send("POST", "/api/ingest/stream", auth);
    EXPECT_EQ(r.status, 401) << auth;
    EXPECT_EQ(message(r), "Unauthorized") << auth;
    EXPECT_EQ(header(r, "WWW-Authenticate"), "Bearer") << auth;
    EXPECT_EQ(header(r, "Access-Control-Allow-Origin"), "*") << "CORS on refusals too";
  }
  EXPECT_EQ(calls_, 0);
}

TEST_F(BearerGuardTest, ThePrincipalsPolicyDecides) {
  // The writer may put to orders-*, not read payments; the reader the other way round.
  auto denied = send("GET", "/api/data/42", "Bearer w-token");
  EXPECT_EQ(denied.status, 403);
  EXPECT_EQ(message(denied),
            "User: arn:aws:iam::123456789012:user/writer is not authorized to perform: "
            "kinesis:GetRecords on resource: arn:aws:kinesis:us-east-1:123456789012:stream/"
            "payments because no identity-based policy allows the kinesis:GetRecords action");
  EXPECT_EQ(send("POST", "/api/ingest/stream", "Bearer r-token").status, 403);
  EXPECT_EQ(calls_, 0);
}

TEST_F(BearerGuardTest, RoutesWithoutAKnownAccessAreDenied) {
  EXPECT_EQ(send("GET", "/api/other", "Bearer r-token").status, 403);
  EXPECT_EQ(calls_, 0);
}

TEST_F(BearerGuardTest, PreflightsNeedNoToken) {
  EXPECT_EQ(send("OPTIONS", "/api/ingest/stream", "").status, 204);
}

}  // namespace
}  // namespace kbridge::api
