#include "auth/sigv4.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>

namespace kbridge::auth {
namespace {

constexpr std::string_view kTerminator = "aws4_request";

bool isUnreserved(unsigned char c) {
  return std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (;;) {
    auto end = text.find(separator, start);
    parts.push_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
std::int64_t daysFromCivil(int y, int m, int d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;
  const std::int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

std::optional<std::int64_t> civilToMillis(int y, int mo, int d, int h, int mi, int s) {
  // Four-digit years only: what the ISO form can carry, and no overflow in the arithmetic below
  // for an HTTP date's arbitrary %d year.
  if (y < 0 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 ||
      mi > 59 || s < 0 || s > 60)
    return std::nullopt;
  // No 31 April or 29 February 2026 (they would silently become the next month's first days).
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (d > kDays[mo - 1] + (mo == 2 && leap ? 1 : 0)) return std::nullopt;
  return ((daysFromCivil(y, mo, d) * 24 + h) * 60 + mi) * 60000 + std::int64_t{s} * 1000;
}

struct QueryParam {
  std::string name;  // decoded
  std::string value;
};

std::vector<QueryParam> parseQuery(std::string_view rawQuery) {
  std::vector<QueryParam> params;
  if (rawQuery.empty()) return params;
  for (auto pair : split(rawQuery, '&')) {
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    params.push_back({percentDecode(pair.substr(0, eq)), eq == std::string_view::npos
                                                             ? std::string()
                                                             : percentDecode(pair.substr(eq + 1))});
  }
  return params;
}

const std::string* findParam(const std::vector<QueryParam>& params, std::string_view name) {
  for (const auto& p : params) {
    if (p.name == name) return &p.value;
  }
  return nullptr;
}

std::string credentialScope(const SignatureParams& p) {
  return p.scopeDate + "/" + p.region + "/" + p.service + "/" + p.terminator;
}

}  // namespace

std::string uriEncode(std::string_view text, bool keepSlash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (isUnreserved(c) || (keepSlash && c == '/')) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  return out;
}

std::string percentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      const int hi = hexValue(text[i + 1]), lo = hexValue(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

std::string canonicalUri(std::string_view rawPath) {
  if (rawPath.empty()) return "/";
  std::vector<std::string_view> segments;
  for (auto segment : split(rawPath, '/')) {
    if (segment.empty() || segment == ".") continue;
    if (segment == "..") {
      if (!segments.empty()) segments.pop_back();
      continue;
    }
    segments.push_back(segment);
  }
  std::string path = "/";
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (i > 0) path += '/';
    path += segments[i];
  }
  if (!segments.empty() && rawPath.back() == '/') path += '/';
  return uriEncode(path, /*keepSlash=*/true);
}

std::string canonicalQuery(std::string_view rawQuery, std::string_view omit) {
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const auto& p : parseQuery(rawQuery)) {
    if (!omit.empty() && p.name == omit) continue;
    pairs.emplace_back(uriEncode(p.name, false), uriEncode(p.value, false));
  }
  std::sort(pairs.begin(), pairs.end());
  std::string out;
  for (const auto& [name, value] : pairs) {
    if (!out.empty()) out += '&';
    out += name;
    out += '=';
    out += value;
  }
  return out;
}

std::string canonicalHeaders(const http::Headers& headers, const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) {
    out += lower(name);
    out += ':';
    bool first = true;
    for (const auto& [key, value] : headers) {
      if (!equalsIgnoreCase(key, name)) continue;
      if (!first) out += ',';
      first = false;
      // Trim, and collapse each run of spaces (and tabs) inside the value to one space.
      std::size_t b = 0, e = value.size();
      while (b < e && (value[b] == ' ' || value[b] == '\t')) ++b;
      while (e > b && (value[e - 1] == ' ' || value[e - 1] == '\t')) --e;
      bool inSpace = false;
      for (std::size_t i = b; i < e; ++i) {
        const bool space = value[i] == ' ' || value[i] == '\t';
        if (space && inSpace) continue;
        out += space ? ' ' : value[i];
        inSpace = space;
      }
    }
    out += '\n';
  }
  return out;
}

std::string canonicalRequest(std::string_view method, std::string_view uri, std::string_view query,
                             std::string_view headers, std::string_view signedHeaders,
                             std::string_view payloadHash) {
  std::string out;
  out.reserve(method.size() + uri.size() + query.size() + headers.size() + signedHeaders.size() +
              payloadHash.size() + 5);
  out.append(method).append("\n");
  out.append(uri).append("\n");
  out.append(query).append("\n");
  out.append(headers).append("\n");
  out.append(signedHeaders).append("\n");
  out.append(payloadHash);
  return out;
}

std::string stringToSign(std::string_view amzDate, std::string_view scope,
                         std::string_view canonicalRequest) {
  std::string out(kAlgorithm);
  out.append("\n").append(amzDate).append("\n").append(scope).append("\n");
  out += sha256Hex(canonicalRequest);
  return out;
}

Digest signingKey(std::string_view secret, std::string_view date, std::string_view region,
                  std::string_view service) {
  const std::string first = "AWS4" + std::string(secret);
  const Digest kDate = hmacSha256(first, date);
  const Digest kRegion = hmacSha256(asView(kDate), region);
  const Digest kService = hmacSha256(asView(kRegion), service);
  return hmacSha256(asView(kService), kTerminator);
}

std::optional<std::int64_t> parseAmzDate(std::string_view text) {
  if (text.size() != 16 || text[8] != 'T' || text[15] != 'Z') return std::nullopt;
  for (std::size_t i : {0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14}) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
  }
  auto num = [&](std::size_t at, std::size_t n) {
    int v = 0;
    for (std::size_t i = at; i < at + n; ++i) v = v * 10 + (text[i] - '0');
    return v;
  };
  return civilToMillis(num(0, 4), num(4, 2), num(6, 2), num(9, 2), num(11, 2), num(13, 2));
}

std::optional<std::int64_t> parseHttpDate(std::string_view text) {
  static constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char weekday[4] = {}, month[4] = {}, zone[4] = {};
  int d = 0, y = 0, h = 0, mi = 0, s = 0, consumed = 0;
  const std::string copy(text);
  if (std::sscanf(copy.c_str(), "%3s, %d %3s %d %d:%d:%d %3s%n", weekday, &d, month, &y, &h, &mi,
                  &s, zone, &consumed) != 8 ||
      static_cast<std::size_t>(consumed) != copy.size() || std::string_view(zone) != "GMT") {
    return std::nullopt;
  }
  for (int m = 0; m < 12; ++m) {
    if (kMonths[m] == month) return civilToMillis(y, m + 1, d, h, mi, s);
  }
  return std::nullopt;
}

std::string formatAmzDate(std::int64_t epochMs) {
  const std::time_t seconds = static_cast<std::time_t>(epochMs / 1000 - (epochMs % 1000 < 0));
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  // The year always in four digits (strftime's %Y writes 15 for the year 15).
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d%02d%02dT%02d%02d%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

Result<SignatureParams, AuthError> parseSignature(const http::Request& request,
                                                  std::string_view region,
                                                  std::string_view service) {
  const std::string_view target = request.target;
  const auto questionMark = target.find('?');
  const auto query =
      parseQuery(questionMark == std::string_view::npos ? std::string_view{}
                                                        : target.substr(questionMark + 1));
  const std::string_view authorization = request.header("Authorization");
  const bool queryAuth = findParam(query, "X-Amz-Algorithm") != nullptr;
  if (!authorization.empty() && queryAuth) {
    return authError(AuthErrorKind::kInvalidSignature,
                     "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as "
                     "HTTP header.");
  }
  if (authorization.empty() && !queryAuth) {
    return authError(AuthErrorKind::kMissingAuthenticationToken, "Missing Authentication Token");
  }

  SignatureParams p;
  std::string missing;
  std::string_view dateText;
  bool dateIsHttp = false;
  if (!queryAuth) {
    // "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...": the algorithm, then
    // name=value parameters separated by commas and/or spaces.
    std::vector<std::string_view> tokens;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= authorization.size(); ++i) {
      if (i == authorization.size() || authorization[i] == ',' || authorization[i] == ' ') {
        if (i > start) tokens.push_back(authorization.substr(start, i - start));
        start = i + 1;
      }
    }
    if (!tokens.empty()) p.algorithm = std::string(tokens.front());
    for (std::size_t i = 1; i < tokens.size(); ++i) {
      const auto eq = tokens[i].find('=');
      if (eq == std::string_view::npos) continue;
      const auto name = tokens[i].substr(0, eq);
      const std::string value(tokens[i].substr(eq + 1));
      if (name == "Credential") p.credential = value;
      if (name == "Signature") p.signature = value;
      if (name == "SignedHeaders") p.signedHeaders = value;
    }
    for (auto [name, value] :
         {std::pair<const char*, const std::string*>{"Credential", &p.credential},
          {"Signature", &p.signature},
          {"SignedHeaders", &p.signedHeaders}}) {
      if (value->empty())
        missing += std::string("Authorization header requires '") + name + "' parameter. ";
    }
    dateText = request.header("X-Amz-Date");
    if (dateText.empty()) {
      dateText = request.header("Date");
      dateIsHttp = !dateText.empty();
    }
    if (dateText.empty()) {
      missing +=
          "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ";
    }
    if (!missing.empty()) {
      return authError(AuthErrorKind::kIncompleteSignature,
                       missing + "Authorization=" + std::string(authorization));
    }
  } else {
    p.presigned = true;
    auto read = [&](const char* name, std::string& out) {
      const std::string* value = findParam(query, name);
      if (value && !value->empty()) {
        out = *value;
      } else {
        missing += std::string("AWS query-string parameters must include '") + name + "'. ";
      }
    };
    std::string date;  // checked below, with the header form's
    read("X-Amz-Algorithm", p.algorithm);
    read("X-Amz-Credential", p.credential);
    read("X-Amz-Signature", p.signature);
    read("X-Amz-SignedHeaders", p.signedHeaders);
    read("X-Amz-Date", date);
    if (!missing.empty()) {
      return authError(AuthErrorKind::kIncompleteSignature,
                       missing + "Re-examine the query-string parameters.");
    }
    dateText = *findParam(query, "X-Amz-Date");
    if (const std::string* expires = findParam(query, "X-Amz-Expires")) {
      char* end = nullptr;
      const long long value = std::strtoll(expires->c_str(), &end, 10);
      if (expires->empty() || *end != '\0' || value < 0) {
        return authError(AuthErrorKind::kIncompleteSignature, "X-Amz-Expires must be non-negative");
      }
      if (value > 604800) {
        return authError(AuthErrorKind::kIncompleteSignature,
                         "X-Amz-Expires must be less than a week (in seconds) that is 604800");
      }
      p.expiresS = value;
    }
  }

  if (p.algorithm != kAlgorithm) {
    return authError(AuthErrorKind::kIncompleteSignature,
                     "Unsupported AWS 'algorithm': '" + p.algorithm + "'");
  }
  const auto scope = split(p.credential, '/');
  if (scope.size() != 5) {
    return authError(AuthErrorKind::kIncompleteSignature,
                     "Credential must have exactly 5 slash-delimited elements, e.g. "
                     "keyid/date/region/service/term, got '" +
                         p.credential + "'");
  }
  p.accessKeyId = std::string(scope[0]);
  p.scopeDate = std::string(scope[1]);
  p.region = std::string(scope[2]);
  p.service = std::string(scope[3]);
  p.terminator = std::string(scope[4]);

  const auto time = dateIsHttp ? parseHttpDate(dateText) : parseAmzDate(dateText);
  if (!time) {
    return authError(AuthErrorKind::kIncompleteSignature,
                     "Date must be in ISO-8601 'basic format'. Got '" + std::string(dateText) +
                         "'. See http://en.wikipedia.org/wiki/ISO_8601");
  }
  p.requestTimeMs = *time;
  p.amzDate = dateIsHttp ? formatAmzDate(*time) : std::string(dateText);
  if (p.scopeDate != std::string_view(p.amzDate).substr(0, 8)) {
    return authError(AuthErrorKind::kInvalidSignature,
                     "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of "
                     "date from HTTP: '" +
                         p.scopeDate + "' != '" + p.amzDate.substr(0, 8) + "', from '" + p.amzDate +
                         "'.");
  }
  if (p.region != region) {
    return authError(AuthErrorKind::kInvalidSignature,
                     "Credential should be scoped to a valid region, not '" + p.region + "'. ");
  }
  if (p.service != service) {
    return authError(
        AuthErrorKind::kInvalidSignature,
        "Credential should be scoped to correct service: '" + std::string(service) + "'. ");
  }
  if (p.terminator != kTerminator) {
    return authError(AuthErrorKind::kInvalidSignature,
                     "Credential should be scoped with a valid terminator: 'aws4_request', not '" +
                         p.terminator + "'. ");
  }
  bool signsHost = false;
  for (auto name : split(p.signedHeaders, ';')) {
    p.signedHeaderNames.emplace_back(name);
    signsHost = signsHost || equalsIgnoreCase(name, "host");
  }
  if (!signsHost) {
    return authError(AuthErrorKind::kInvalidSignature,
                     "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  }
  return p;
}

SigV4Verifier::SigV4Verifier(std::string region, std::string service,
                             std::map<std::string, std::string> secrets, const Clock& clock)
    : region_(std::move(region)),
      service_(std::move(service)),
      secrets_(std::move(secrets)),
      clock_(clock) {}

Digest SigV4Verifier::cachedSigningKey(const std::string& accessKeyId, const std::string& secret,
                                       const std::string& date) const {
  std::string cacheKey = accessKeyId;
  cacheKey += '/';
  cacheKey += date;
  {
    std::shared_lock lock(cacheMutex_);
    if (auto it = keyCache_.find(cacheKey); it != keyCache_.end()) return it->second;
  }
  const Digest key = signingKey(secret, date, region_, service_);
  std::unique_lock lock(cacheMutex_);
  // Keys of past days are never needed again; a bound keeps clients with odd dates from growing it.
  if (keyCache_.size() >= 4 * secrets_.size() + 16) keyCache_.clear();
  keyCache_.emplace(std::move(cacheKey), key);
  return key;
}

Result<std::string, AuthError> SigV4Verifier::verify(const http::Request& request) const {
  auto parsed = parseSignature(request, region_, service_);
  if (!parsed) return fail(parsed.error());
  const SignatureParams& p = *parsed;

  const std::string_view target = request.target;
  const auto questionMark = target.find('?');
  const std::string_view path = target.substr(0, questionMark);
  const std::string_view rawQuery =
      questionMark == std::string_view::npos ? std::string_view{} : target.substr(questionMark + 1);

  // kbridge issues no temporary credentials, so no session token can be valid.
  if (!request.header("X-Amz-Security-Token").empty() ||
      (p.presigned && rawQuery.find("X-Amz-Security-Token=") != std::string_view::npos)) {
    return authError(AuthErrorKind::kUnrecognizedClient, std::string(kUnrecognizedClientMessage));
  }
  const auto secret = secrets_.find(p.accessKeyId);
  if (secret == secrets_.end()) {
    return authError(AuthErrorKind::kUnrecognizedClient, std::string(kUnrecognizedClientMessage));
  }

  const std::int64_t now = clock_.nowMillis();
  if (p.requestTimeMs > now + kMaxSkewMs) {
    return authError(AuthErrorKind::kInvalidSignature, "Signature not yet current: " + p.amzDate +
                                                           " is still later than " +
                                                           formatAmzDate(now + kMaxSkewMs) + " (" +
                                                           formatAmzDate(now) + " + 5 min.)");
  }
  if (p.presigned && p.expiresS >= 0) {
    if (now > p.requestTimeMs + p.expiresS * 1000) {
      return authError(AuthErrorKind::kInvalidSignature,
                       "Signature expired: " + p.amzDate + " is now earlier than " +
                           formatAmzDate(now - p.expiresS * 1000) + " (" + formatAmzDate(now) +
                           " - " + std::to_string(p.expiresS) + " sec.)");
    }
  } else if (p.requestTimeMs < now - kMaxSkewMs) {
    return authError(AuthErrorKind::kInvalidSignature, "Signature expired: " + p.amzDate +
                                                           " is now earlier than " +
                                                           formatAmzDate(now - kMaxSkewMs) + " (" +
                                                           formatAmzDate(now) + " - 5 min.)");
  }

  // The payload hash: the client's x-amz-content-sha256 when it sent one (UNSIGNED-PAYLOAD signs
  // no body), else the body's SHA-256 — Kinesis clients do not send the header.
  std::string payloadHash;
  const std::string_view declared = request.header("X-Amz-Content-Sha256");
  if (declared.empty()) {
    payloadHash = sha256Hex(request.body);
  } else if (declared == "UNSIGNED-PAYLOAD") {
    payloadHash = std::string(declared);
  } else {
    payloadHash = sha256Hex(request.body);
    if (!constantTimeEquals(lower(declared), payloadHash)) {
      return authError(AuthErrorKind::kInvalidSignature,
                       "The provided 'x-amz-content-sha256' header does not match what was "
                       "computed.");
    }
    payloadHash = std::string(declared);
  }

  const std::string canonical = canonicalRequest(
      request.method, canonicalUri(path),
      canonicalQuery(rawQuery, p.presigned ? "X-Amz-Signature" : ""),
      canonicalHeaders(request.headers, p.signedHeaderNames), p.signedHeaders, payloadHash);
  const std::string toSign = stringToSign(p.amzDate, credentialScope(p), canonical);
  const Digest key = cachedSigningKey(p.accessKeyId, secret->second, p.scopeDate);
  const std::string expected = toHex(hmacSha256(asView(key), toSign));
  if (!constantTimeEquals(expected, lower(p.signature))) {
    return authError(AuthErrorKind::kInvalidSignature, std::string(kSignatureMismatchMessage));
  }
  return p.accessKeyId;
}

}  // namespace kbridge::auth
