// libFuzzer target: SigV4 verification (auth/sigv4.h) of a hostile request. The input is an HTTP
// request in text form:
//   <method> <target>\n<Name>: <value>\n...\n\n<body>
// (a missing first line or header section just means fewer parts). It runs through:
//  1. the verifier as it is (Authorization header or presigned query string): any answer but a
//     crash is fine, and an error always carries a message;
//  2. the canonicalisation helpers: percentDecode(uriEncode(x)) == x, uriEncode writes only
//     unreserved bytes and %XX, canonicalUri gives an absolute path, and
//     parseAmzDate(formatAmzDate(t)) == t for the request's date;
//  3. the same request with its signature headers replaced by a correct signature from the
//     unit tests' signer (every header signed, as AWS clients do): the verifier must accept it.

#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <string_view>

#include "auth/sigv4.h"
#include "auth/test_signer.h"
#include "common/clock.h"
#include "fuzz_check.h"

namespace {

using kbridge::auth::SigV4Verifier;
using kbridge::http::Request;

constexpr std::string_view kAccessKeyId = "AKIDEXAMPLE";
constexpr std::string_view kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr std::string_view kRegion = "us-east-1";
constexpr std::int64_t kNowMs = 1440938160000;  // 2015-08-30T12:36:00Z, AWS's example date

Request parseRequest(std::string_view text) {
  Request r;
  auto line = [&]() {
    const auto end = text.find('\n');
    std::string_view l = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    return l;
  };
  const std::string_view first = line();
  const auto space = first.find(' ');
  r.method = std::string(first.substr(0, space));
  r.target = space == std::string_view::npos ? "/" : std::string(first.substr(space + 1));
  while (!text.empty()) {
    const std::string_view header = line();
    if (header.empty()) break;
    const auto colon = header.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view value = header.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    r.headers.emplace_back(std::string(header.substr(0, colon)), std::string(value));
  }
  r.body = std::string(text);
  return r;
}

std::string lowerAscii(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

void checkEncodings(const Request& r) {
  using namespace kbridge::auth;
  for (const auto& [name, value] : r.headers) {
    const std::string encoded = uriEncode(value, /*keepSlash=*/false);
    FUZZ_CHECK(percentDecode(encoded) == value);
    for (std::size_t i = 0; i < encoded.size(); ++i) {
      const auto c = static_cast<unsigned char>(encoded[i]);
      const bool plain = std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
      FUZZ_CHECK(plain || (c == '%' && i + 2 < encoded.size()));
    }
  }
  const auto q = r.target.find('?');
  const std::string uri = canonicalUri(std::string_view(r.target).substr(0, q));
  FUZZ_CHECK(!uri.empty() && uri.front() == '/');
  (void)canonicalQuery(q == std::string::npos ? std::string_view{}
                                              : std::string_view(r.target).substr(q + 1));
  const std::string_view date = r.header("X-Amz-Date");
  if (auto ms = parseAmzDate(date)) FUZZ_CHECK(parseAmzDate(formatAmzDate(*ms)) == ms);
  (void)parseHttpDate(r.header("Date"));
}

// A name the Authorization header can list: the signer joins names with ';' and the header
// separates its parameters with ',' and ' '.
bool signableName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (c == ';' || c == ',' || c == ' ' || c == '\t' || c == '\r' || c == '\n') return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const kbridge::ManualClock clock(kNowMs);
  static const SigV4Verifier verifier(std::string(kRegion), "kinesis",
                                      {{std::string(kAccessKeyId), std::string(kSecret)}}, clock);
  Request r = parseRequest(std::string_view(reinterpret_cast<const char*>(data), size));

  if (auto result = verifier.verify(r); !result) FUZZ_CHECK(!result.error().message.empty());
  checkEncodings(r);

  // Sign it correctly and expect acceptance, unless it carries what makes AWS refuse any
  // signature: a presigned query (checked as such), a session token, a declared payload hash.
  if (kbridge::auth::percentDecode(r.target).find("X-Amz-") != std::string::npos) return 0;
  std::erase_if(r.headers, [](const auto& h) {
    const std::string name = lowerAscii(h.first);
    return name == "authorization" || name == "x-amz-date" || name == "date";
  });
  bool host = false;
  for (const auto& [name, value] : r.headers) {
    const std::string lower = lowerAscii(name);
    if (!signableName(name) || lower == "x-amz-security-token" || lower == "x-amz-content-sha256") {
      return 0;
    }
    host = host || lower == "host";
  }
  if (!host) r.headers.emplace_back("Host", "kinesis.us-east-1.amazonaws.com");
  kbridge::auth::testing::signRequest(r, std::string(kAccessKeyId), std::string(kSecret),
                                      std::string(kRegion), kNowMs);
  auto accepted = verifier.verify(r);
  if (!accepted) std::fprintf(stderr, "refused: %s\n", accepted.error().message.c_str());
  FUZZ_CHECK(accepted.ok() && *accepted == kAccessKeyId);
  return 0;
}
