// SigV4 verification against AWS's published signature test suite (aws-sig-v4-test-suite: the
// requests, credentials and expected signatures are written here as data), plus canonicalisation,
// clock skew, presigned query strings and every error AWS answers with.

#include "auth/sigv4.h"

#include <gtest/gtest.h>

#include "auth/test_signer.h"

namespace kbridge::auth {
namespace {

// The test suite's credentials and time.
constexpr std::string_view kSuiteKeyId = "AKIDEXAMPLE";
constexpr std::string_view kSuiteSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr std::string_view kSuiteDate = "20150830T123600Z";
constexpr std::string_view kSuiteScope = "AKIDEXAMPLE/20150830/us-east-1/service/aws4_request";

std::int64_t suiteTime() {
  return *parseAmzDate(kSuiteDate);
}

http::Request suiteRequest(std::string method, std::string target, http::Headers extra = {},
                           std::string body = "") {
  http::Request r;
  r.method = std::move(method);
  r.target = std::move(target);
  r.headers = {{"Host", "example.amazonaws.com"}};
  for (auto& h : extra) r.headers.push_back(std::move(h));
  r.headers.emplace_back("X-Amz-Date", std::string(kSuiteDate));
  r.body = std::move(body);
  return r;
}

void authorize(http::Request& r, std::string_view signedHeaders, std::string_view signature) {
  r.headers.emplace_back("Authorization",
                         "AWS4-HMAC-SHA256 Credential=" + std::string(kSuiteScope) +
                             ", SignedHeaders=" + std::string(signedHeaders) +
                             ", Signature=" + std::string(signature));
}

class SuiteTest : public ::testing::Test {
 protected:
  ManualClock clock_{suiteTime()};
  SigV4Verifier verifier_{
      "us-east-1", "service", {{std::string(kSuiteKeyId), std::string(kSuiteSecret)}}, clock_};

  void expectValid(http::Request r) {
    auto result = verifier_.verify(r);
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_EQ(*result, kSuiteKeyId);
  }
};

struct Vector {
  const char* name;
  const char* method;
  const char* target;
  http::Headers headers;  // besides Host and X-Amz-Date
  const char* body;
  const char* signedHeaders;
  const char* signature;
};

TEST_F(SuiteTest, PublishedVectorsVerify) {
  const std::vector<Vector> vectors = {
      {"get-vanilla",
       "GET",
       "/",
       {},
       "",
       "host;x-amz-date",
       "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
      {"post-vanilla",
       "POST",
       "/",
       {},
       "",
       "host;x-amz-date",
       "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
      {"get-vanilla-query-order-key-case",
       "GET",
       "/?Param2=value2&Param1=value1",
       {},
       "",
       "host;x-amz-date",
       "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
      {"post-header-value-case",
       "POST",
       "/",
       {{"My-Header1", "VALUE1"}},
       "",
       "host;my-header1;x-amz-date",
       "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d"},
      {"get-header-key-duplicate",
       "GET",
       "/",
       {{"My-Header1", "value2"}, {"My-Header1", "value2"}, {"My-Header1", "value1"}},
       "",
       "host;my-header1;x-amz-date",
       "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"},
      {"get-header-value-trim",
       "GET",
       "/",
       {{"My-Header1", " value1"}, {"My-Header2", " \"a   b   c\""}},
       "",
       "host;my-header1;my-header2;x-amz-date",
       "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"},
      {"get-utf8",
       "GET",
       "/\xe1\x88\xb4",
       {},
       "",
       "host;x-amz-date",
       "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"},
      {"get-space",
       "GET",
       "/example space/",
       {},
       "",
       "host;x-amz-date",
       "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741"},
      {"get-slashes",
       "GET",
       "//example//",
       {},
       "",
       "host;x-amz-date",
       "9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84"},
      {"get-relative",
       "GET",
       "/example/..",
       {},
       "",
       "host;x-amz-date",
       "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
      {"get-vanilla-utf8-query",
       "GET",
       "/?\xe1\x88\xb4=bar",
       {},
       "",
       "host;x-amz-date",
       "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"},
      {"post-x-www-form-urlencoded",
       "POST",
       "/",
       {{"Content-Type", "application/x-www-form-urlencoded"}},
       "Param1=value1",
       "content-type;host;x-amz-date",
       "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"},
  };
  for (const auto& v : vectors) {
    SCOPED_TRACE(v.name);
    auto r = suiteRequest(v.method, v.target, v.headers, v.body);
    authorize(r, v.signedHeaders, v.signature);
    expectValid(r);
  }
}

TEST(SigV4Canonical, GetVanillaCanonicalRequestAndStringToSign) {
  http::Headers headers = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}};
  const auto creq = canonicalRequest("GET", canonicalUri("/"), canonicalQuery(""),
                                     canonicalHeaders(headers, {"host", "x-amz-date"}),
                                     "host;x-amz-date", sha256Hex(""));
  EXPECT_EQ(creq,
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-"
            "date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(stringToSign(kSuiteDate, "20150830/us-east-1/service/aws4_request", creq),
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
            "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
}

TEST(SigV4Canonical, SigningKeyOfTheDocumentationExample) {
  // The IAM user guide's example: secret wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY, 20120215,
  // us-east-1, iam.
  EXPECT_EQ(
      toHex(signingKey("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1", "iam")),
      "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

TEST(SigV4Canonical, UriNormalisation) {
  EXPECT_EQ(canonicalUri(""), "/");
  EXPECT_EQ(canonicalUri("/"), "/");
  EXPECT_EQ(canonicalUri("//"), "/");
  EXPECT_EQ(canonicalUri("/./"), "/");
  EXPECT_EQ(canonicalUri("/./example"), "/example");
  EXPECT_EQ(canonicalUri("/example1/example2/../.."), "/");
  EXPECT_EQ(canonicalUri("//example//"), "/example/");
  EXPECT_EQ(canonicalUri("/example space/"), "/example%20space/");
  // Non-S3 services encode the path twice: an escape the client sent is escaped again.
  EXPECT_EQ(canonicalUri("/a%20b"), "/a%2520b");
  EXPECT_EQ(canonicalUri("/-._~AZaz09"), "/-._~AZaz09");
}

TEST(SigV4Canonical, QueryNormalisation) {
  EXPECT_EQ(canonicalQuery("Param2=value2&Param1=value1"), "Param1=value1&Param2=value2");
  EXPECT_EQ(canonicalQuery("Param1=value2&Param1=Value1"), "Param1=Value1&Param1=value2");
  EXPECT_EQ(canonicalQuery("a=%7e&b=%2f&c=+"), "a=~&b=%2F&c=%2B");
  EXPECT_EQ(canonicalQuery("flag&x="), "flag=&x=");
  EXPECT_EQ(canonicalQuery("X-Amz-Signature=abc&b=1", "X-Amz-Signature"), "b=1");
  EXPECT_EQ(percentDecode("%E1%88%B4%zz%4"), "\xe1\x88\xb4%zz%4");
}

TEST(SigV4Canonical, HeaderValuesAreTrimmedCollapsedAndJoined) {
  http::Headers headers = {{"My-Header1", "  a  \t b  "}, {"my-header1", "c"}, {"Other", "x"}};
  EXPECT_EQ(canonicalHeaders(headers, {"my-header1", "absent"}), "my-header1:a b,c\nabsent:\n");
}

TEST(SigV4Canonical, Dates) {
  EXPECT_EQ(parseAmzDate("20150830T123600Z"), std::optional<std::int64_t>(1440938160000));
  EXPECT_FALSE(parseAmzDate("2015-08-30T12:36:00Z"));
  EXPECT_FALSE(parseAmzDate("20151330T123600Z"));
  // Days past the month's end are refused, not rolled over into the next month.
  EXPECT_FALSE(parseAmzDate("20150431T000000Z"));
  EXPECT_FALSE(parseAmzDate("20150229T000000Z"));
  EXPECT_TRUE(parseAmzDate("20160229T000000Z"));
  EXPECT_TRUE(parseAmzDate("20000229T000000Z"));
  EXPECT_FALSE(parseAmzDate("19000229T000000Z"));
  EXPECT_FALSE(parseHttpDate("Thu, 31 Sep 2015 12:36:00 GMT"));
  EXPECT_EQ(parseHttpDate("Sun, 30 Aug 2015 12:36:00 GMT"),
            std::optional<std::int64_t>(1440938160000));
  EXPECT_FALSE(parseHttpDate("Sun, 30 Aug 2015 12:36:00 PST"));
  EXPECT_EQ(formatAmzDate(1440938160000), "20150830T123600Z");
}

// --- the verifier's decisions, with requests this test signs itself --------------------------

constexpr std::string_view kKey = "AKIDKBRIDGE";
constexpr std::string_view kSecret = "kbridge-secret";
constexpr std::int64_t kNow = 1795334400000;  // 2026-11-22T08:00:00Z

// A Kinesis-like POST signed as a client signs it.
http::Request signedPost(std::string body, std::int64_t at = kNow, std::string region = "us-east-1",
                         std::string secret = std::string(kSecret)) {
  http::Request r;
  r.method = "POST";
  r.target = "/";
  r.headers = {{"Content-Type", "application/x-amz-json-1.1"},
               {"Host", "localhost:4567"},
               {"X-Amz-Target", "Kinesis_20131202.ListStreams"}};
  r.body = std::move(body);
  testing::signRequest(r, std::string(kKey), secret, region, at);
  return r;
}

class VerifierTest : public ::testing::Test {
 protected:
  ManualClock clock_{kNow};
  SigV4Verifier verifier_{
      "us-east-1", "kinesis", {{std::string(kKey), std::string(kSecret)}}, clock_};

  AuthError error(const http::Request& r) {
    auto result = verifier_.verify(r);
    EXPECT_FALSE(result);
    return result ? AuthError{} : result.error();
  }
};

TEST_F(VerifierTest, AcceptsACorrectSignature) {
  auto result = verifier_.verify(signedPost("{}"));
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(*result, kKey);
}

TEST_F(VerifierTest, WrongSecretIsASignatureMismatch) {
  auto e = error(signedPost("{}", kNow, "us-east-1", "wrong"));
  EXPECT_EQ(e.kind, AuthErrorKind::kInvalidSignature);
  EXPECT_EQ(e.message, kSignatureMismatchMessage);
}

TEST_F(VerifierTest, ModifiedBodyOrHeaderIsASignatureMismatch) {
  auto r = signedPost("{}");
  r.body = "{\"Limit\":1}";
  EXPECT_EQ(error(r).message, kSignatureMismatchMessage);
  auto h = signedPost("{}");
  h.headers[2].second = "Kinesis_20131202.DeleteStream";  // X-Amz-Target
  EXPECT_EQ(error(h).message, kSignatureMismatchMessage);
  // An unsigned header may change freely.
  auto u = signedPost("{}");
  u.headers.emplace_back("User-Agent", "changed");
  EXPECT_TRUE(verifier_.verify(u));
}

TEST_F(VerifierTest, UnknownAccessKeyIsUnrecognizedClient) {
  auto r = signedPost("{}");
  auto& auth = r.headers.back().second;
  auth.replace(auth.find(kKey), kKey.size(), "AKIDOTHER");
  auto e = error(r);
  EXPECT_EQ(e.kind, AuthErrorKind::kUnrecognizedClient);
  EXPECT_EQ(e.message, "The security token included in the request is invalid.");
}

TEST_F(VerifierTest, SessionTokensAreNotRecognized) {
  auto r = signedPost("{}");
  r.headers.emplace_back("X-Amz-Security-Token", "token");
  EXPECT_EQ(error(r).kind, AuthErrorKind::kUnrecognizedClient);
}

TEST_F(VerifierTest, WrongRegion) {
  auto e = error(signedPost("{}", kNow, "eu-west-9"));
  EXPECT_EQ(e.kind, AuthErrorKind::kInvalidSignature);
  EXPECT_EQ(e.message, "Credential should be scoped to a valid region, not 'eu-west-9'. ");
}

TEST_F(VerifierTest, ClockSkewOfFiveMinutesEitherWay) {
  EXPECT_TRUE(verifier_.verify(signedPost("{}", kNow - 5 * 60 * 1000)));
  EXPECT_TRUE(verifier_.verify(signedPost("{}", kNow + 5 * 60 * 1000)));
  auto old = error(signedPost("{}", kNow - 5 * 60 * 1000 - 1000));
  EXPECT_EQ(old.kind, AuthErrorKind::kInvalidSignature);
  EXPECT_EQ(old.message,
            "Signature expired: 20261122T075459Z is now earlier than 20261122T075500Z "
            "(20261122T080000Z - 5 min.)");
  auto future = error(signedPost("{}", kNow + 10 * 60 * 1000));
  EXPECT_EQ(future.message,
            "Signature not yet current: 20261122T081000Z is still later than 20261122T080500Z "
            "(20261122T080000Z + 5 min.)");
}

TEST_F(VerifierTest, MissingAndIncompleteSignatures) {
  http::Request r;
  r.method = "POST";
  r.target = "/";
  r.headers = {{"Host", "localhost"}};
  auto missing = error(r);
  EXPECT_EQ(missing.kind, AuthErrorKind::kMissingAuthenticationToken);
  EXPECT_EQ(missing.message, "Missing Authentication Token");

  r.headers.emplace_back("Authorization", "X");
  auto incomplete = error(r);
  EXPECT_EQ(incomplete.kind, AuthErrorKind::kIncompleteSignature);
  EXPECT_EQ(incomplete.message,
            "Authorization header requires 'Credential' parameter. Authorization header requires "
            "'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. "
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' "
            "header. Authorization=X");

  r.headers.back().second = "AWS4- Signature=b,Credential=a";
  r.headers.emplace_back("Date", "a");
  EXPECT_EQ(error(r).message,
            "Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4- "
            "Signature=b,Credential=a");

  r.target = "/?X-Amz-Algorithm";
  auto both = error(r);
  EXPECT_EQ(both.kind, AuthErrorKind::kInvalidSignature);
  EXPECT_EQ(both.message,
            "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP "
            "header.");

  r.headers.pop_back();
  r.headers.pop_back();
  auto query = error(r);
  EXPECT_EQ(query.kind, AuthErrorKind::kIncompleteSignature);
  EXPECT_EQ(query.message,
            "AWS query-string parameters must include 'X-Amz-Algorithm'. AWS query-string "
            "parameters must include 'X-Amz-Credential'. AWS query-string parameters must "
            "include 'X-Amz-Signature'. AWS query-string parameters must include "
            "'X-Amz-SignedHeaders'. AWS query-string parameters must include 'X-Amz-Date'. "
            "Re-examine the query-string parameters.");
}

TEST_F(VerifierTest, MalformedCredentialAndScope) {
  auto r = signedPost("{}");
  auto& auth = r.headers.back().second;
  auto withCredential = [&](const std::string& credential) {
    auto copy = r;
    auto& a = copy.headers.back().second;
    const auto start = a.find("Credential=") + 11;
    a.replace(start, a.find(',', start) - start, credential);
    return error(copy);
  };
  (void)auth;
  auto e = withCredential("AKIDKBRIDGE/20261122/us-east-1/kinesis");
  EXPECT_EQ(e.kind, AuthErrorKind::kIncompleteSignature);
  EXPECT_EQ(e.message,
            "Credential must have exactly 5 slash-delimited elements, e.g. "
            "keyid/date/region/service/term, got 'AKIDKBRIDGE/20261122/us-east-1/kinesis'");
  EXPECT_EQ(withCredential("AKIDKBRIDGE/20261121/us-east-1/kinesis/aws4_request").message,
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
            "from HTTP: '20261121' != '20261122', from '20261122T080000Z'.");
  EXPECT_EQ(withCredential("AKIDKBRIDGE/20261122/us-east-1/dynamodb/aws4_request").message,
            "Credential should be scoped to correct service: 'kinesis'. ");
  EXPECT_EQ(withCredential("AKIDKBRIDGE/20261122/us-east-1/kinesis/aws5_request").message,
            "Credential should be scoped with a valid terminator: 'aws4_request', not "
            "'aws5_request'. ");
}

TEST_F(VerifierTest, HostMustBeSigned) {
  auto r = signedPost("{}");
  auto& a = r.headers.back().second;
  a.replace(a.find("content-type;host;"), 18, "content-type;");
  EXPECT_EQ(error(r).message,
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
}

TEST_F(VerifierTest, DeclaredPayloadHash) {
  // A client may declare the payload's hash, or UNSIGNED-PAYLOAD; the declared value is what the
  // signature covers, and a declared hash must be the body's.
  for (std::string declared : {std::string("UNSIGNED-PAYLOAD"), sha256Hex("{}")}) {
    http::Request r;
    r.method = "POST";
    r.target = "/";
    const std::string date = formatAmzDate(kNow);
    r.headers = {{"Host", "h"}, {"X-Amz-Content-Sha256", declared}, {"X-Amz-Date", date}};
    r.body = "{}";
    const std::string scope = date.substr(0, 8) + "/us-east-1/kinesis/aws4_request";
    const auto creq = canonicalRequest(
        "POST", "/", "",
        canonicalHeaders(r.headers, {"host", "x-amz-content-sha256", "x-amz-date"}),
        "host;x-amz-content-sha256;x-amz-date", declared);
    const auto key = signingKey(kSecret, date.substr(0, 8), "us-east-1", "kinesis");
    r.headers.emplace_back("Authorization",
                           "AWS4-HMAC-SHA256 Credential=AKIDKBRIDGE/" + scope +
                               ", SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=" +
                               toHex(hmacSha256(asView(key), stringToSign(date, scope, creq))));
    EXPECT_TRUE(verifier_.verify(r)) << declared;
    if (declared != "UNSIGNED-PAYLOAD") {
      r.body = "{ }";
      EXPECT_EQ(error(r).message,
                "The provided 'x-amz-content-sha256' header does not match what was computed.");
    } else {
      r.body = "{ }";  // not covered by the signature
      EXPECT_TRUE(verifier_.verify(r));
    }
  }
}

TEST_F(VerifierTest, DateHeaderInsteadOfXAmzDate) {
  http::Request r;
  r.method = "POST";
  r.target = "/";
  r.headers = {{"Host", "h"}, {"Date", "Sun, 22 Nov 2026 08:00:00 GMT"}};
  const std::string scope = "20261122/us-east-1/kinesis/aws4_request";
  const auto creq = canonicalRequest("POST", "/", "", canonicalHeaders(r.headers, {"date", "host"}),
                                     "date;host", sha256Hex(""));
  const auto key = signingKey(kSecret, "20261122", "us-east-1", "kinesis");
  r.headers.emplace_back(
      "Authorization",
      "AWS4-HMAC-SHA256 Credential=AKIDKBRIDGE/" + scope + ", SignedHeaders=date;host, Signature=" +
          toHex(hmacSha256(asView(key), stringToSign("20261122T080000Z", scope, creq))));
  EXPECT_TRUE(verifier_.verify(r));
}

// A presigned POST: the signature in the query string, X-Amz-Signature left out of the canonical
// query.
http::Request presigned(std::int64_t at, int expires, std::string secret = std::string(kSecret)) {
  const std::string date = formatAmzDate(at);
  const std::string scope = date.substr(0, 8) + "/us-east-1/kinesis/aws4_request";
  std::string query = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" +
                      uriEncode(std::string(kKey) + "/" + scope, false) + "&X-Amz-Date=" + date +
                      "&X-Amz-Expires=" + std::to_string(expires) + "&X-Amz-SignedHeaders=host";
  http::Request r;
  r.method = "POST";
  r.headers = {{"Host", "localhost:4567"}};
  r.body = "{}";
  const auto creq =
      canonicalRequest("POST", "/", canonicalQuery(query), canonicalHeaders(r.headers, {"host"}),
                       "host", sha256Hex("{}"));
  const auto key = signingKey(secret, date.substr(0, 8), "us-east-1", "kinesis");
  r.target = "/?" + query +
             "&X-Amz-Signature=" + toHex(hmacSha256(asView(key), stringToSign(date, scope, creq)));
  return r;
}

TEST_F(VerifierTest, PresignedQueryString) {
  EXPECT_TRUE(verifier_.verify(presigned(kNow - 50 * 1000, 60)));
  EXPECT_EQ(error(presigned(kNow, 60, "wrong")).message, kSignatureMismatchMessage);
  auto expired = error(presigned(kNow - 61 * 1000, 60));
  EXPECT_EQ(expired.kind, AuthErrorKind::kInvalidSignature);
  EXPECT_EQ(expired.message,
            "Signature expired: 20261122T075859Z is now earlier than 20261122T075900Z "
            "(20261122T080000Z - 60 sec.)");
  auto tooLong = presigned(kNow, 604801);
  EXPECT_EQ(error(tooLong).message,
            "X-Amz-Expires must be less than a week (in seconds) that is 604800");
}

TEST(SigV4Presign, IamDocumentationExample) {
  // The IAM user guide's presigned ListUsers example (GET, empty body, content-type signed).
  ManualClock clock(suiteTime());
  SigV4Verifier verifier("us-east-1", "iam", {{"AKIDEXAMPLE", std::string(kSuiteSecret)}}, clock);
  http::Request r;
  r.method = "GET";
  r.target =
      "/?Action=ListUsers&Version=2010-05-08&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="
      "AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fiam%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-"
      "Expires=60&X-Amz-SignedHeaders=content-type%3Bhost&X-Amz-Signature="
      "37ac2f4fde00b0ac9bd9eadeb459b1bbee224158d66e7ae5fcadb70b2d181d02";
  r.headers = {{"Host", "iam.amazonaws.com"},
               {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
  auto result = verifier.verify(r);
  EXPECT_TRUE(result) << result.error().message;
}

TEST(SigV4Digest, ConstantTimeEquals) {
  EXPECT_TRUE(constantTimeEquals("abc", "abc"));
  EXPECT_FALSE(constantTimeEquals("abc", "abd"));
  EXPECT_FALSE(constantTimeEquals("abc", "abcd"));
}

}  // namespace
}  // namespace kbridge::auth
