#pragma once
// AWS Signature Version 4, the server's side: the canonical request, the string to sign and the
// signing key exactly as AWS defines them, and a verifier that checks a request's Authorization
// header (or its presigned query string) the way AWS does, with AWS's error types and messages.
//
// Pure: no I/O; time comes from an injected Clock. SigV4Verifier is thread-safe (its signing-key
// cache is guarded by a shared mutex); one instance serves every request of the process.

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "auth/digest.h"
#include "common/clock.h"
#include "common/result.h"
#include "http/http.h"

namespace kbridge::auth {

enum class AuthErrorKind {
  kMissingAuthenticationToken,
  kIncompleteSignature,
  kInvalidSignature,
  kUnrecognizedClient,
  kAccessDenied,
};

struct AuthError {
  AuthErrorKind kind = AuthErrorKind::kInvalidSignature;
  std::string message;
};

inline Unexpected<AuthError> authError(AuthErrorKind kind, std::string message) {
  return fail(AuthError{kind, std::move(message)});
}

// The message AWS sends with InvalidSignatureException when the signatures differ.
inline constexpr std::string_view kSignatureMismatchMessage =
    "The request signature we calculated does not match the signature you provided. Check your "
    "AWS Secret Access Key and signing method. Consult the service documentation for details.";
inline constexpr std::string_view kUnrecognizedClientMessage =
    "The security token included in the request is invalid.";
inline constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
inline constexpr std::int64_t kMaxSkewMs = 5 * 60 * 1000;

// --- canonicalisation
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html)

// Percent-encodes every byte but the unreserved ones (A-Z a-z 0-9 - . _ ~), upper-case hex; '/'
// stays as it is when `keepSlash`.
std::string uriEncode(std::string_view text, bool keepSlash);
// Decodes %XX escapes (malformed ones stay as they are); '+' is not a space in SigV4.
std::string percentDecode(std::string_view text);
// The canonical URI of a raw request path (as sent, before any decoding): dot segments removed,
// runs of '/' collapsed, then every segment encoded once more (non-S3 services encode twice).
std::string canonicalUri(std::string_view rawPath);
// The canonical query string of a raw query (without '?'): names and values decoded and
// re-encoded, sorted by name and then value. `omit` names one parameter to leave out
// (X-Amz-Signature for presigned requests).
std::string canonicalQuery(std::string_view rawQuery, std::string_view omit = {});
// "name:value\n" for each signed header (names as given, lower-case, in order): values of repeated
// headers joined with ',', each trimmed and with runs of spaces collapsed to one. A signed header
// the request lacks contributes an empty value.
std::string canonicalHeaders(const http::Headers& headers, const std::vector<std::string>& names);
std::string canonicalRequest(std::string_view method, std::string_view canonicalUri,
                             std::string_view canonicalQuery, std::string_view canonicalHeaders,
                             std::string_view signedHeaders, std::string_view payloadHash);
// "AWS4-HMAC-SHA256\n<amzDate>\n<scope>\n<hex SHA-256 of the canonical request>".
std::string stringToSign(std::string_view amzDate, std::string_view scope,
                         std::string_view canonicalRequest);
// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request").
Digest signingKey(std::string_view secret, std::string_view date, std::string_view region,
                  std::string_view service);

// "20150830T123600Z" → epoch ms; nullopt unless exactly that form.
std::optional<std::int64_t> parseAmzDate(std::string_view text);
// "Sun, 30 Aug 2015 12:36:00 GMT" (RFC 7231's IMF-fixdate) → epoch ms.
std::optional<std::int64_t> parseHttpDate(std::string_view text);
// Epoch ms → "20150830T123600Z".
std::string formatAmzDate(std::int64_t epochMs);

// What a request says about its signature, from the Authorization header or the query string.
struct SignatureParams {
  bool presigned = false;
  std::string algorithm;
  std::string credential;  // "AKID/20150830/us-east-1/kinesis/aws4_request"
  std::string accessKeyId;
  std::string scopeDate;
  std::string region;
  std::string service;
  std::string terminator;
  std::string signedHeaders;  // as sent: "host;x-amz-date"
  std::vector<std::string> signedHeaderNames;
  std::string signature;
  std::string amzDate;  // the request time in ISO-8601 basic form
  std::int64_t requestTimeMs = 0;
  std::int64_t expiresS = -1;  // X-Amz-Expires of a presigned request; -1 when absent
};

// Reads and checks the form of a request's signature (not its value): MissingAuthenticationToken
// when there is none, IncompleteSignature when parts are missing or malformed, InvalidSignature
// for a scope of another date, region or service.
Result<SignatureParams, AuthError> parseSignature(const http::Request& request,
                                                  std::string_view region,
                                                  std::string_view service);

// Verifies SigV4 signatures against a fixed set of access key → secret pairs.
class SigV4Verifier {
 public:
  SigV4Verifier(std::string region, std::string service, std::map<std::string, std::string> secrets,
                const Clock& clock);

  // The access key id of a correctly signed, current request; else AWS's error for it.
  Result<std::string, AuthError> verify(const http::Request& request) const;

  const std::string& region() const { return region_; }

 private:
  Digest cachedSigningKey(const std::string& accessKeyId, const std::string& secret,
                          const std::string& date) const;

  std::string region_;
  std::string service_;
  std::map<std::string, std::string> secrets_;
  const Clock& clock_;
  // (access key id, date) → signing key: one key per principal per day, derived once.
  mutable std::shared_mutex cacheMutex_;
  mutable std::unordered_map<std::string, Digest> keyCache_;
};

}  // namespace kbridge::auth
