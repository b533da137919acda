#pragma once
// HttpFetcher: the seam through which an http_poll source GETs its URL. No libcurl types here, so
// the runner is tested with a fake; curl_http_fetcher.cc is the real one.
//
// Threading: fetch() is called from one source thread at a time per source, possibly from several
// sources at once; implementations must allow concurrent calls.

#include <atomic>
#include <map>
#include <memory>
#include <string>

namespace kbridge::sources {

struct FetchRequest {
  std::string url;
  int connectTimeoutMs = 5000;
  int timeoutMs = 10000;  // the whole transfer
  std::int64_t maxBytes = 10 * 1024 * 1024;
  std::string userAgent;
  std::map<std::string, std::string> headers;
};

enum class FetchStatus {
  kResponse,   // an HTTP response arrived (any status code)
  kTimeout,    // connect or total timeout
  kTooLarge,   // the body exceeded maxBytes
  kFailed,     // DNS, refused, reset, TLS, bad URL ...
  kCancelled,  // `cancel` became true (shutdown)
};

struct FetchResponse {
  FetchStatus status = FetchStatus::kFailed;
  long httpStatus = 0;
  std::string body;
  std::string error;  // for everything but kResponse
};

class HttpFetcher {
 public:
  virtual ~HttpFetcher() = default;
  // GETs request.url; returns within about a second of `cancel` turning true.
  virtual FetchResponse fetch(const FetchRequest& request, const std::atomic<bool>& cancel) = 0;
};

std::unique_ptr<HttpFetcher> makeCurlHttpFetcher();

}  // namespace kbridge::sources
