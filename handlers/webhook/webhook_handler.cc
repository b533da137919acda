#include "handlers/webhook/webhook_handler.h"

#include <curl/curl.h>

#include <atomic>
#include <cassert>
#include <cctype>
#include <map>
#include <mutex>
#include <optional>
#include <string_view>

#include "config/reader.h"
#include "handlers/webhook/lambda_event.h"

namespace kbridge::handlers {
namespace {

// Lambda's limit on a synchronous invocation's response; a longer reply is not a valid one.
constexpr std::size_t kMaxReplyBytes = 6 * 1024 * 1024;
constexpr std::size_t kReplyExcerptBytes = 200;

struct WebhookSettings {
  std::string url;
  long timeoutMs = 30000;
  std::map<std::string, std::string> headers;
};

bool isHeaderName(const std::string& name) {
  if (name.empty()) return false;
  for (unsigned char c : name) {
    if (!(std::isalnum(c) || std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) !=
                                 std::string_view::npos)) {
      return false;
    }
  }
  return true;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// "HTTP 500: <the first 200 bytes of the body, one line>".
std::string statusText(long status, const std::string& body) {
  std::string out = "HTTP " + std::to_string(status);
  if (body.empty()) return out;
  out += ": ";
  for (char c : utf8Prefix(body, kReplyExcerptBytes)) {
    out += static_cast<unsigned char>(c) < 0x20 ? ' ' : c;
  }
  return out;
}

// One libcurl easy handle and its error buffer. A handle keeps its connection alive between
// requests, so each one reused from the pool saves a TCP (and TLS) handshake.
struct Connection {
  CURL* easy = curl_easy_init();
  char error[CURL_ERROR_SIZE] = {};
  ~Connection() {
    if (easy) curl_easy_cleanup(easy);
  }
};

struct ReplySink {
  std::string body;
  bool tooLong = false;
};

std::size_t collectReply(char* data, std::size_t size, std::size_t count, void* user) {
  auto* sink = static_cast<ReplySink*>(user);
  const std::size_t n = size * count;
  if (sink->body.size() + n > kMaxReplyBytes) {
    sink->tooLong = true;
    return 0;  // aborts the transfer with CURLE_WRITE_ERROR
  }
  sink->body.append(data, n);
  return n;
}

int abortWhenCancelled(void* cancelled, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<std::atomic<bool>*>(cancelled)->load() ? 1 : 0;  // 1 aborts the transfer
}

// Lifecycle: built from validated settings; open() prepares the event writer; deliver() any number
// of times; cancel() (shutdown) makes running and later deliveries give up with retryLater;
// close() frees the pooled handles (and their connections).
// Threading: deliver() runs concurrently. Each call leases an easy handle from `idle_` (a libcurl
// handle must not be used by two threads at once) and returns it afterwards, so the pool grows to
// the number of concurrent deliveries and no further. The header list and the writer are
// immutable after construction/open() and shared read-only.
class WebhookHandler final : public runtime::Handler {
 public:
  explicit WebhookHandler(WebhookSettings settings) : settings_(std::move(settings)) {
    bool contentType = false;
    bool expect = false;
    for (const auto& [name, value] : settings_.headers) {
      contentType = contentType || iequals(name, "Content-Type");
      expect = expect || iequals(name, "Expect");
      headers_ = curl_slist_append(headers_, (name + ": " + value).c_str());
    }
    if (!contentType) headers_ = curl_slist_append(headers_, "Content-Type: application/json");
    // Without this libcurl sends "Expect: 100-continue" for large bodies and waits for an answer.
    if (!expect) headers_ = curl_slist_append(headers_, "Expect:");
  }

  ~WebhookHandler() override {
    close();
    curl_slist_free_all(headers_);
  }

  std::string open(const runtime::HandlerContext& context) override {
    writer_.emplace(context);
    return "";
  }

  runtime::DeliveryResult deliver(const runtime::Batch& batch) override {
    assert(writer_ && "open() before deliver()");
    if (cancelled_.load()) return runtime::DeliveryResult::retryLater("webhook: cancelled");
    const std::string event = writer_->event(batch);
    std::unique_ptr<Connection> connection = lease();
    if (!connection->easy)
      return runtime::DeliveryResult::retryLater("webhook: curl_easy_init failed");
    CURL* easy = connection->easy;
    ReplySink reply;
    connection->error[0] = '\0';
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, event.data());
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(event.size()));
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &reply);
    const CURLcode code = curl_easy_perform(easy);
    long status = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    std::string transportError =
        connection->error[0] ? connection->error : curl_easy_strerror(code);
    giveBack(std::move(connection));

    if (reply.tooLong) {
      return runtime::DeliveryResult::failed("webhook: the reply exceeds " +
                                             std::to_string(kMaxReplyBytes) + " bytes");
    }
    if (code == CURLE_ABORTED_BY_CALLBACK) {
      return runtime::DeliveryResult::retryLater("webhook: cancelled");
    }
    if (code != CURLE_OK) {
      // Connection refused, DNS, TLS, timeouts, resets: the records are not at fault, so the
      // runtime retries the same batch after back-off rather than bisecting it.
      return runtime::DeliveryResult::retryLater("webhook: " + transportError);
    }
    if (status >= 200 && status <= 299) return interpretReply(reply.body, batch.records);
    if (status == 429 || status == 502 || status == 503 || status == 504) {
      return runtime::DeliveryResult::retryLater("webhook: " + statusText(status, reply.body));
    }
    return runtime::DeliveryResult::failed("webhook: " + statusText(status, reply.body));
  }

  // Running requests notice within about a second: libcurl calls the progress callback at least
  // once a second while a transfer runs.
  void cancel() override { cancelled_.store(true); }

  void close() override {
    std::lock_guard lock(mutex_);
    idle_.clear();
  }

 private:
  std::unique_ptr<Connection> lease() {
    {
      std::lock_guard lock(mutex_);
      if (!idle_.empty()) {
        auto c = std::move(idle_.back());
        idle_.pop_back();
        return c;
      }
    }
    auto c = std::make_unique<Connection>();
    if (!c->easy) return c;
    CURL* easy = c->easy;
    curl_easy_setopt(easy, CURLOPT_URL, settings_.url.c_str());
    curl_easy_setopt(easy, CURLOPT_POST, 1L);
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers_);
    curl_easy_setopt(easy, CURLOPT_USERAGENT, "kbridge");
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);  // timeouts without SIGALRM: we are threaded
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, settings_.timeoutMs);
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, settings_.timeoutMs);
    curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &collectReply);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, c->error);
    curl_easy_setopt(easy, CURLOPT_XFERINFOFUNCTION, &abortWhenCancelled);
    curl_easy_setopt(easy, CURLOPT_XFERINFODATA, &cancelled_);
    curl_easy_setopt(easy, CURLOPT_NOPROGRESS, 0L);
    return c;
  }

  void giveBack(std::unique_ptr<Connection> connection) {
    std::lock_guard lock(mutex_);
    idle_.push_back(std::move(connection));
  }

  const WebhookSettings settings_;
  curl_slist* headers_ = nullptr;
  std::optional<LambdaEventWriter> writer_;
  std::atomic<bool> cancelled_{false};
  std::mutex mutex_;  // guards idle_
  std::vector<std::unique_ptr<Connection>> idle_;
};

}  // namespace

std::unique_ptr<runtime::Handler> buildWebhookHandler(const nlohmann::json& settings,
                                                      const std::string& path,
                                                      std::vector<std::string>& errors) {
  // libcurl's global state, set up once before any handle exists (not thread-safe before 7.84).
  static std::once_flag curlInit;
  std::call_once(curlInit, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });

  const std::size_t before = errors.size();
  WebhookSettings s;
  {
    config::ObjectReader r(settings, path, errors);
    r.string("url", s.url, [](const std::string& url) -> std::string {
      auto hasScheme = [&](std::string_view scheme) {
        return url.size() > scheme.size() && iequals(url.substr(0, scheme.size()), scheme);
      };
      if (!hasScheme("http://") && !hasScheme("https://")) {
        return "must be an http:// or https:// URL";
      }
      for (unsigned char c : url) {
        if (c <= 0x20 || c == 0x7F) return "must not contain spaces or control characters";
      }
      return "";
    });
    if (r.valid() && s.url.empty() && !r.raw("url")) r.error(r.at("url"), "is required");
    r.integer("timeout_ms", s.timeoutMs, 1, 900000);
    r.stringMap("headers", s.headers);
    for (const auto& [name, value] : s.headers) {
      const std::string at = r.at("headers") + "." + name;
      if (!isHeaderName(name)) r.error(at, "is not a valid HTTP header name");
      if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
        r.error(at, "must not contain CR, LF or NUL");
      }
      if (iequals(name, "Content-Length") || iequals(name, "Transfer-Encoding")) {
        r.error(at, "is set by kbridge");
      }
    }
  }  // the reader reports unknown keys when it goes out of scope
  if (errors.size() != before) return nullptr;
  return std::make_unique<WebhookHandler>(std::move(s));
}

}  // namespace kbridge::handlers
