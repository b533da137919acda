#pragma once
// Signs requests in tests the way an AWS client does (every header present is signed), with the
// library's canonicalisation, which sigv4_test.cc pins to AWS's published vectors.

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "auth/sigv4.h"

namespace kbridge::auth::testing {

inline void signRequest(http::Request& r, const std::string& accessKeyId, const std::string& secret,
                        const std::string& region, std::int64_t atMs,
                        const std::string& service = "kinesis") {
  const std::string date = formatAmzDate(atMs);
  r.headers.emplace_back("X-Amz-Date", date);
  std::vector<std::string> names;
  for (const auto& [name, _] : r.headers) {
    std::string lower;
    for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    names.push_back(lower);
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  std::string signedHeaders;
  for (const auto& n : names) signedHeaders += (signedHeaders.empty() ? "" : ";") + n;
  const auto q = r.target.find('?');
  const std::string scope = date.substr(0, 8) + "/" + region + "/" + service + "/aws4_request";
  const auto creq =
      canonicalRequest(r.method, canonicalUri(r.target.substr(0, q)),
                       canonicalQuery(q == std::string::npos ? "" : r.target.substr(q + 1)),
                       canonicalHeaders(r.headers, names), signedHeaders, sha256Hex(r.body));
  const auto key = signingKey(secret, date.substr(0, 8), region, service);
  r.headers.emplace_back("Authorization",
                         "AWS4-HMAC-SHA256 Credential=" + accessKeyId + "/" + scope +
                             ", SignedHeaders=" + signedHeaders + ", Signature=" +
                             toHex(hmacSha256(asView(key), stringToSign(date, scope, creq))));
}

}  // namespace kbridge::auth::testing
