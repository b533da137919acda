#include "handlers/webhook/webhook_handler.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <future>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "handlers/webhook/lambda_event.h"
#include "http/server.h"

namespace kbridge::handlers {
namespace {

using nlohmann::json;
using runtime::Outcome;
using runtime::Record;

// --- settings ------------------------------------------------------------------------------

std::vector<std::string> buildErrors(const json& settings) {
  std::vector<std::string> errors;
  auto handler = buildWebhookHandler(settings, "$.mappings[1].handler", errors);
  EXPECT_EQ(handler == nullptr, !errors.empty());
  return errors;
}

TEST(WebhookHandlerSettings, AcceptsAValidConfiguration) {
  EXPECT_TRUE(buildErrors({{"url", "http://localhost:8080/hook"}}).empty());
  EXPECT_TRUE(buildErrors({{"url", "HTTPS://example.com/fn"},
                           {"timeout_ms", 900000},
                           {"headers", {{"Authorization", "Bearer x"}, {"X-Count", 3}}}})
                  .empty());
}

TEST(WebhookHandlerSettings, ReportsEveryErrorWithItsPath) {
  EXPECT_EQ(buildErrors(json::object()),
            (std::vector<std::string>{"$.mappings[1].handler.url: is required"}));
  EXPECT_EQ(buildErrors({{"url", "ftp://example.com/"},
                         {"timeout_ms", 0},
                         {"headers", {{"Bad Name", "v"}, {"X-Ok", "a\r\nb"}, {"X-Obj", {1}}}},
                         {"report_batch_item_failures", true}}),
            (std::vector<std::string>{
                "$.mappings[1].handler.url: must be an http:// or https:// URL",
                "$.mappings[1].handler.timeout_ms: must be between 1 and 900000",
                "$.mappings[1].handler.headers.X-Obj: must be a string",
                "$.mappings[1].handler.headers.Bad Name: is not a valid HTTP header name",
                "$.mappings[1].handler.headers.X-Ok: must not contain CR, LF or NUL",
                "$.mappings[1].handler.report_batch_item_failures: unknown key"}));
  EXPECT_EQ(buildErrors({{"url", "http://a b/"}, {"timeout_ms", 900001}}),
            (std::vector<std::string>{
                "$.mappings[1].handler.url: must not contain spaces or control characters",
                "$.mappings[1].handler.timeout_ms: must be between 1 and 900000"}));
  EXPECT_EQ(buildErrors({{"url", "https://"}, {"headers", {{"content-length", "5"}}}}),
            (std::vector<std::string>{
                "$.mappings[1].handler.url: must be an http:// or https:// URL",
                "$.mappings[1].handler.headers.content-length: is set by kbridge"}));
  EXPECT_EQ(
      buildErrors({{"url", 5}, {"headers", "x"}}),
      (std::vector<std::string>{"$.mappings[1].handler.url: must be a string",
                                "$.mappings[1].handler.headers: must be an object of strings"}));
  EXPECT_EQ(buildErrors("http://x/"),
            (std::vector<std::string>{"$.mappings[1].handler: must be an object"}));
}

// --- a real HTTP server on 127.0.0.1, port 0 -------------------------------------------------

// kbridge's own Beast listener. `reply` answers each request; nullopt holds the request unanswered
// until the server is destroyed (for the timeout test).
class TestServer final : public http::Handler {
 public:
  using Reply = std::function<std::optional<http::Response>(const http::Request&)>;

  explicit TestServer(Reply reply) : reply_(std::move(reply)), io_(2), listener_(io_, {}, *this) {
    io_.run();
  }
  ~TestServer() override {
    io_.stop();
    pending_.clear();  // after the threads are gone: drops the sessions of unanswered requests
  }

  void handle(http::Request request, http::Respond respond) override {
    auto response = reply_(request);
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(request);
      if (!response) pending_.push_back(std::move(respond));
    }
    if (response) respond(std::move(*response));
  }

  std::string url(const std::string& path = "/invoke") const {
    return "http://127.0.0.1:" + std::to_string(listener_.port()) + path;
  }
  std::vector<http::Request> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  Reply reply_;
  std::mutex mutex_;
  std::vector<http::Request> requests_;
  std::vector<http::Respond> pending_;
  http::IoRuntime io_;
  http::Listener listener_;
};

http::Response response(int status, std::string body = "") {
  http::Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

runtime::HandlerContext context() {
  runtime::HandlerContext c;
  c.mappingName = "fn";
  c.streamName = "orders";
  c.streamArn = "arn:aws:kinesis:eu-west-1:111122223333:stream/orders";
  c.region = "eu-west-1";
  c.accountId = "111122223333";
  return c;
}

std::vector<Record> records() {
  std::vector<Record> out;
  for (int i = 0; i < 3; ++i) {
    Record r;
    r.offset = i;
    r.sequenceNumber = "4959" + std::to_string(100 + i);
    r.partitionKey = "key-" + std::to_string(i);
    r.data = R"({"n":)" + std::to_string(i) + "}";
    r.arrivalMs = 1700000000000 + i;
    out.push_back(std::move(r));
  }
  return out;
}

std::unique_ptr<runtime::Handler> openWebhook(json settings) {
  std::vector<std::string> errors;
  auto handler = buildWebhookHandler(settings, "$.h", errors);
  EXPECT_TRUE(errors.empty()) << errors.front();
  if (handler) {
    EXPECT_EQ(handler->open(context()), "");
  }
  return handler;
}

runtime::DeliveryResult deliverTo(const std::string& url, const std::vector<Record>& batch,
                                  json extra = json::object()) {
  extra["url"] = url;
  auto handler = openWebhook(extra);
  return handler->deliver({"shardId-000000000004", 4, batch});
}

TEST(WebhookHandler, PostsLambdasKinesisEventAndSucceedsOn2xx) {
  TestServer server([](const http::Request&) { return response(200, R"({"ok":true})"); });
  const auto batch = records();
  const auto result = deliverTo(server.url("/2015-03-31/functions/fn/invocations"), batch,
                                {{"headers", {{"X-Api-Key", "secret"}}}});
  EXPECT_EQ(result.outcome, Outcome::kOk) << result.error;

  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  const auto& request = requests[0];
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.target, "/2015-03-31/functions/fn/invocations");
  EXPECT_EQ(request.header("Content-Type"), "application/json");
  EXPECT_EQ(request.header("X-Api-Key"), "secret");
  EXPECT_EQ(request.header("Expect"), "");
  EXPECT_EQ(request.body, LambdaEventWriter(context()).event({"shardId-000000000004", 4, batch}));

  const auto event = json::parse(request.body);
  ASSERT_EQ(event["Records"].size(), 3u);
  const auto& r = event["Records"][2];
  EXPECT_EQ(r["kinesis"]["kinesisSchemaVersion"], "1.0");
  EXPECT_EQ(r["kinesis"]["partitionKey"], "key-2");
  EXPECT_EQ(r["kinesis"]["sequenceNumber"], "4959102");
  EXPECT_EQ(r["kinesis"]["data"], "eyJuIjoyfQ==");  // {"n":2}
  EXPECT_EQ(r["kinesis"]["approximateArrivalTimestamp"], 1700000000.002);
  EXPECT_EQ(r["eventSource"], "aws:kinesis");
  EXPECT_EQ(r["eventVersion"], "1.0");
  EXPECT_EQ(r["eventID"], "shardId-000000000004:4959102");
  EXPECT_EQ(r["eventName"], "aws:kinesis:record");
  EXPECT_EQ(r["invokeIdentityArn"], "arn:aws:iam::111122223333:role/kbridge");
  EXPECT_EQ(r["awsRegion"], "eu-west-1");
  EXPECT_EQ(r["eventSourceARN"], "arn:aws:kinesis:eu-west-1:111122223333:stream/orders");
}

TEST(WebhookHandler, ContentTypeCanBeOverridden) {
  TestServer server([](const http::Request&) { return response(204); });
  EXPECT_EQ(deliverTo(server.url(), records(),
                      {{"headers", {{"content-type", "application/vnd.kinesis+json"}}}})
                .outcome,
            Outcome::kOk);
  ASSERT_EQ(server.requests().size(), 1u);
  EXPECT_EQ(server.requests()[0].header("Content-Type"), "application/vnd.kinesis+json");
}

TEST(WebhookHandler, ServerErrorsFailTheBatchWithStatusAndBodyExcerpt) {
  TestServer server([](const http::Request& request) {
    if (request.target == "/404") return response(404);
    return response(500, "boom\n" + std::string(300, 'x'));
  });
  auto result = deliverTo(server.url("/500"), records());
  EXPECT_EQ(result.outcome, Outcome::kFailed);
  EXPECT_EQ(result.firstFailed, std::nullopt);
  EXPECT_EQ(result.error, "webhook: HTTP 500: boom " + std::string(195, 'x'));

  result = deliverTo(server.url("/404"), records());
  EXPECT_EQ(result.outcome, Outcome::kFailed);
  EXPECT_EQ(result.firstFailed, std::nullopt);
  EXPECT_EQ(result.error, "webhook: HTTP 404");
}

TEST(WebhookHandler, ThrottlingAndGatewayErrorsAreRetryLater) {
  TestServer server([](const http::Request& request) {
    return response(std::stoi(request.target.substr(1)), "busy");
  });
  for (int status : {429, 502, 503, 504}) {
    const auto result = deliverTo(server.url("/" + std::to_string(status)), records());
    EXPECT_EQ(result.outcome, Outcome::kRetryLater) << status;
    EXPECT_EQ(result.error, "webhook: HTTP " + std::to_string(status) + ": busy");
  }
}

TEST(WebhookHandler, ATimeoutIsRetryLater) {
  TestServer server([](const http::Request&) { return std::optional<http::Response>(); });
  const auto result = deliverTo(server.url(), records(), {{"timeout_ms", 200}});
  EXPECT_EQ(result.outcome, Outcome::kRetryLater);
  EXPECT_NE(result.error.find("imed out"), std::string::npos) << result.error;
}

TEST(WebhookHandler, CancelMakesARunningDeliveryGiveUp) {
  std::promise<void> received;
  TestServer server([&received](const http::Request&) {
    received.set_value();
    return std::optional<http::Response>();  // never answers
  });
  auto handler = openWebhook({{"url", server.url()}, {"timeout_ms", 600000}});
  const auto batch = records();
  auto delivery = std::async(std::launch::async, [&] {
    return handler->deliver({"shardId-000000000004", 4, batch});
  });
  received.get_future().wait();
  handler->cancel();
  const auto result = delivery.get();  // within about a second, not the 10-minute timeout
  EXPECT_EQ(result.outcome, Outcome::kRetryLater);
  EXPECT_EQ(result.error, "webhook: cancelled");
  EXPECT_EQ(handler->deliver({"shardId-000000000004", 4, batch}).outcome, Outcome::kRetryLater);
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST(WebhookHandler, ConnectionRefusedIsRetryLater) {
  // A port that is bound but not listening refuses connections, and stays ours for the test.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  socklen_t length = sizeof address;
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
  const auto port = ntohs(address.sin_port);

  const auto result = deliverTo("http://127.0.0.1:" + std::to_string(port) + "/", records());
  ::close(fd);
  EXPECT_EQ(result.outcome, Outcome::kRetryLater);
  EXPECT_NE(result.error.find("onnect"), std::string::npos) << result.error;
}

TEST(WebhookHandler, AppliesBatchItemFailuresFromTheReply) {
  std::string body;
  TestServer server([&body](const http::Request&) { return response(200, body); });
  const auto batch = records();
  struct Case {
    std::string reply;
    Outcome outcome;
    std::optional<std::size_t> firstFailed;
  };
  const std::vector<Case> cases{
      {"", Outcome::kOk, std::nullopt},
      {"null", Outcome::kOk, std::nullopt},
      {"{}", Outcome::kOk, std::nullopt},
      {R"({"batchItemFailures":[]})", Outcome::kOk, std::nullopt},
      {R"({"batchItemFailures":null})", Outcome::kOk, std::nullopt},
      {R"({"batchItemFailures":[{"itemIdentifier":"4959102"},{"itemIdentifier":"4959101"}]})",
       Outcome::kFailed, 1},
      {R"({"batchItemFailures":[{"itemIdentifier":"4959100"}]})", Outcome::kFailed, 0},
      {R"({"batchItemFailures":[{"itemIdentifier":""}]})", Outcome::kFailed, 0},
      {R"({"batchItemFailures":[{"itemIdentifier":null}]})", Outcome::kFailed, 0},
      {R"({"batchItemFailures":[{"id":"4959101"}]})", Outcome::kFailed, 0},
      {R"({"batchItemFailures":[{"itemIdentifier":"1"}]})", Outcome::kFailed, 0},
  };
  std::vector<std::string> errors;
  auto handler = buildWebhookHandler({{"url", server.url()}}, "$.h", errors);
  ASSERT_NE(handler, nullptr);
  ASSERT_EQ(handler->open(context()), "");
  for (const auto& c : cases) {
    body = c.reply;  // the server thread reads it while the handler waits for the reply
    const auto result = handler->deliver({"shardId-000000000004", 4, batch});
    EXPECT_EQ(result.outcome, c.outcome) << c.reply << ": " << result.error;
    EXPECT_EQ(result.firstFailed, c.firstFailed) << c.reply;
  }
  EXPECT_EQ(server.requests().size(), cases.size());
}

TEST(WebhookHandler, ConcurrentDeliveriesShareTheHandler) {
  TestServer server([](const http::Request&) { return response(200); });
  auto handler = openWebhook({{"url", server.url()}});
  const auto batch = records();
  constexpr int kThreads = 6;
  constexpr int kEach = 20;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        if (handler->deliver({"shardId-000000000004", 4, batch}).outcome == Outcome::kOk) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), kThreads * kEach);
  EXPECT_EQ(server.requests().size(), static_cast<std::size_t>(kThreads * kEach));
  handler->close();
}

}  // namespace
}  // namespace kbridge::handlers
