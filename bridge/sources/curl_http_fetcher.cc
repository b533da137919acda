// The libcurl HttpFetcher: one easy handle per fetch (a poll every few seconds or minutes gains
// nothing from connection reuse), no signals, http and https only, at most 5 redirects.

#include <curl/curl.h>

#include <mutex>

#include "sources/http_fetcher.h"

namespace kbridge::sources {
namespace {

struct Sink {
  std::string body;
  std::int64_t maxBytes = 0;
  bool tooLarge = false;
};

size_t collect(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const size_t n = size * count;
  if (static_cast<std::int64_t>(sink->body.size() + n) > sink->maxBytes) {
    sink->tooLarge = true;
    return 0;  // makes libcurl stop with CURLE_WRITE_ERROR
  }
  sink->body.append(data, n);
  return n;
}

int abortWhenCancelled(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<const std::atomic<bool>*>(user)->load() ? 1 : 0;
}

class CurlHttpFetcher final : public HttpFetcher {
 public:
  FetchResponse fetch(const FetchRequest& request, const std::atomic<bool>& cancel) override {
    FetchResponse out;
    CURL* easy = curl_easy_init();
    if (!easy) {
      out.error = "curl_easy_init failed";
      return out;
    }
    curl_slist* headers = nullptr;
    for (const auto& [name, value] : request.headers) {
      headers = curl_slist_append(headers, (name + ": " + value).c_str());
    }
    Sink sink;
    sink.maxBytes = request.maxBytes;
    char error[CURL_ERROR_SIZE] = {0};
    curl_easy_setopt(easy, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(easy, CURLOPT_USERAGENT, request.userAgent.c_str());
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);  // timeouts without SIGALRM: we are threaded
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(request.connectTimeoutMs));
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeoutMs));
    curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(easy, CURLOPT_MAXREDIRS, 5L);
#if LIBCURL_VERSION_NUM >= 0x075500  // 7.85: the string form; the bitmask is deprecated there
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS, CURLPROTO_HTTP | CURLPROTO_HTTPS);
    curl_easy_setopt(easy, CURLOPT_REDIR_PROTOCOLS, CURLPROTO_HTTP | CURLPROTO_HTTPS);
#endif
    curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");  // whatever this libcurl can decode
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &collect);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(easy, CURLOPT_XFERINFOFUNCTION, &abortWhenCancelled);
    curl_easy_setopt(easy, CURLOPT_XFERINFODATA, &cancel);
    curl_easy_setopt(easy, CURLOPT_NOPROGRESS, 0L);
    const CURLcode code = curl_easy_perform(easy);
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &out.httpStatus);
    curl_easy_cleanup(easy);
    curl_slist_free_all(headers);

    const std::string why = error[0] ? error : curl_easy_strerror(code);
    if (sink.tooLarge) {
      out.status = FetchStatus::kTooLarge;
      out.error = "the response exceeds " + std::to_string(request.maxBytes) + " bytes";
    } else if (code == CURLE_OK) {
      out.status = FetchStatus::kResponse;
      out.body = std::move(sink.body);
    } else if (code == CURLE_OPERATION_TIMEDOUT) {
      out.status = FetchStatus::kTimeout;
      out.error = why;
    } else if (code == CURLE_ABORTED_BY_CALLBACK) {
      out.status = FetchStatus::kCancelled;
      out.error = "cancelled";
    } else {
      out.status = FetchStatus::kFailed;
      out.error = why;
    }
    return out;
  }
};

}  // namespace

std::unique_ptr<HttpFetcher> makeCurlHttpFetcher() {
  // libcurl's global state, set up once before any handle exists (not thread-safe before 7.84).
  static std::once_flag curlInit;
  std::call_once(curlInit, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  return std::make_unique<CurlHttpFetcher>();
}

}  // namespace kbridge::sources
