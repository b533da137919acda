// The direct PutRecord(s) JSON readers and writers against the generic path: what a reader accepts,
// the generic decode + validation accepts with the same values; what is unusual, a reader leaves to
// the generic path; and the writers write what encodeBody() writes.

#include "kinesis/actions/records_json.h"

#include <gtest/gtest.h>

#include "kinesis/codec.h"
#include "kinesis/model.h"
#include "kinesis/shape.h"

namespace kbridge::kinesis::actions {
namespace {

ApiResult<Json> generic(const std::string& body, std::string_view action) {
  auto decoded = decodeBody(body, WireFormat::kJson);
  if (!decoded) return fail(decoded.error());
  return validateInput(*decoded, *inputShapeFor(action), WireFormat::kJson);
}

std::string binaryString(const Json& blob) {
  const auto& b = blob.get_binary();
  return std::string(b.begin(), b.end());
}

void expectSameRecords(const std::vector<RecordInput>& read, const Json& records) {
  ASSERT_EQ(read.size(), records.size());
  for (std::size_t i = 0; i < read.size(); ++i) {
    EXPECT_EQ(read[i].partitionKey, records[i]["PartitionKey"]);
    EXPECT_EQ(read[i].data, binaryString(records[i]["Data"]));
    if (records[i].contains("ExplicitHashKey")) {
      EXPECT_EQ(read[i].explicitHashKey, records[i]["ExplicitHashKey"].get<std::string>());
    } else {
      EXPECT_FALSE(read[i].explicitHashKey);
    }
  }
}

TEST(RecordsJsonTest, PutRecordsCommonFormReadsAsTheGenericPathDoes) {
  const std::vector<std::string> bodies = {
      R"({"StreamName":"s","Records":[{"Data":"AQID","PartitionKey":"k1"}]})",
      R"({"Records":[{"PartitionKey":"a","Data":"","ExplicitHashKey":"0"},)"
      R"({"PartitionKey":"b b","Data":"AA==","ExplicitHashKey":"340282366920938463463374607431768211455"},)"
      R"({"PartitionKey":"c","Data":"AAE="}],"StreamName":"my.stream-1_x"})",
      " \n{ \"StreamName\" : \"s\" ,\r\n\t\"Records\" : [ { \"PartitionKey\" : \"k\" , \"Data\" : "
      "\"/+/+\" } ] } \n",
  };
  for (const auto& body : bodies) {
    auto read = readPutRecordsJson(body);
    auto tree = generic(body, "PutRecords");
    ASSERT_TRUE(read) << body;
    ASSERT_TRUE(tree) << body;
    EXPECT_EQ(read->streamName, (*tree)["StreamName"]);
    expectSameRecords(read->records, (*tree)["Records"]);
  }
}

TEST(RecordsJsonTest, PutRecordsFiveHundredRecordsButNotMore) {
  auto body = [](int n) {
    std::string b = R"({"StreamName":"s","Records":[)";
    for (int i = 0; i < n; ++i)
      b += std::string(i ? "," : "") + R"({"PartitionKey":"k","Data":"AQ=="})";
    return b + "]}";
  };
  EXPECT_TRUE(readPutRecordsJson(body(500)));
  EXPECT_FALSE(readPutRecordsJson(body(501)));
  EXPECT_FALSE(readPutRecordsJson(body(0)));
}

TEST(RecordsJsonTest, UnusualPutRecordsAreLeftToTheGenericPath) {
  const std::string big(1048577, 'x');
  const std::vector<std::string> bodies = {
      "",
      "[]",
      "{}",
      R"({"StreamName":"s"})",
      R"({"Records":[{"PartitionKey":"k","Data":"AQ=="}]})",                        // no name
      R"({"StreamName":"s","Records":[]})",                                         // empty
      R"({"StreamName":"s","Records":[{"PartitionKey":"k"}]})",                     // no Data
      R"({"StreamName":"s","Records":[{"Data":"AQ=="}]})",                          // no key
      R"({"StreamName":"s","Records":[{"PartitionKey":"","Data":"AQ=="}]})",        // empty key
      R"({"StreamName":"s","Records":[{"PartitionKey":"k","Data":"AQ="}]})",        // bad length
      R"({"StreamName":"s","Records":[{"PartitionKey":"k","Data":"AR=="}]})",       // bad tail
      R"({"StreamName":"s","Records":[{"PartitionKey":"k","Data":"A==="}]})",       // 3 pads
      R"({"StreamName":"s","Records":[{"PartitionKey":"k","Data":"A=AA"}]})",       // inner pad
      R"({"StreamName":"s","Records":[{"PartitionKey":"k","Data":"AQ\u003d="}]})",  // escape
      R"({"StreamName":"s","Records":[{"PartitionKey":"k\"q","Data":"AQ=="}]})",    // escape
      R"({"StreamName":"s","Records":[{"PartitionKey":"caf\u00e9","Data":"AQ=="}]})",
      "{\"StreamName\":\"s\",\"Records\":[{\"PartitionKey\":\"caf\xc3\xa9\",\"Data\":\"AQ==\"}]}",
      R"({"StreamName":"s","Records":[{"PartitionKey":"k","Data":"AQ==","Extra":"x"}]})",
      R"({"StreamName":"s","Records":[{"PartitionKey":"k","Data":"AQ==","Data":"AQ=="}]})",
      R"({"StreamName":"s","Records":[{"PartitionKey":"k","Data":"AQ==","ExplicitHashKey":"01"}]})",
      R"({"StreamName":"s","Records":[{"PartitionKey":"k","Data":"AQ==","ExplicitHashKey":null}]})",
      R"({"StreamName":"s","Records":[{"PartitionKey":"k","Data":"AQ==","ExplicitHashKey":"1234567890123456789012345678901234567890"}]})",
      R"({"StreamName":"s","Records":[{"PartitionKey":"k","Data":"AQ=="},]})",   // trailing comma
      R"({"StreamName":"s","Records":[{"PartitionKey":"k","Data":"AQ=="}]} x)",  // trailing text
      R"({"StreamName":"s","Records":[{"PartitionKey":"k","Data":"AQ=="}]})"
      R"({"StreamName":"s"})",
      R"({"StreamName":"s","StreamName":"s","Records":[{"PartitionKey":"k","Data":"AQ=="}]})",
      R"({"StreamName":"bad name","Records":[{"PartitionKey":"k","Data":"AQ=="}]})",
      R"({"StreamName":"s","StreamARN":"arn:aws:kinesis:us-east-1:000000000000:stream/s",)"
      R"("Records":[{"PartitionKey":"k","Data":"AQ=="}]})",
      R"({"StreamName":"s","Records":{"PartitionKey":"k","Data":"AQ=="}})",
      R"({"StreamName":"s","Records":[{"PartitionKey":1,"Data":"AQ=="}]})",
      R"({"StreamName":"s","Records":[null]})",
      "{\"StreamName\":\"s\",\"Records\":[{\"PartitionKey\":\"k\",\"Data\":\"" + base64Encode(big) +
          "\"}]}",  // 1 MiB + 1
      "{\"StreamName\":\"s\",\"Records\":[{\"PartitionKey\":\"" + std::string(257, 'k') +
          "\",\"Data\":\"AQ==\"}]}",
      "{\"StreamName\":\"" + std::string(129, 's') +
          "\",\"Records\":[{\"PartitionKey\":\"k\",\"Data\":\"AQ==\"}]}",
  };
  for (const auto& body : bodies) EXPECT_FALSE(readPutRecordsJson(body)) << body.substr(0, 200);
}

TEST(RecordsJsonTest, LimitsOfTheShapeAreAccepted) {
  const std::string mib(1048576, 'x');
  const std::string body = "{\"StreamName\":\"" + std::string(128, 's') +
                           "\",\"Records\":[{\"PartitionKey\":\"" + std::string(256, 'k') +
                           "\",\"Data\":\"" + base64Encode(mib) + "\"}]}";
  auto read = readPutRecordsJson(body);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->records[0].data, mib);
  ASSERT_TRUE(generic(body, "PutRecords"));
}

TEST(RecordsJsonTest, PutRecordCommonFormReadsAsTheGenericPathDoes) {
  const std::vector<std::string> bodies = {
      R"({"StreamName":"s","PartitionKey":"k","Data":"AQID"})",
      R"({"Data":"AA==","PartitionKey":"k","StreamName":"s","ExplicitHashKey":"7",)"
      R"("SequenceNumberForOrdering":"49590338271490256608559692538361571095921575989136588898"})",
  };
  for (const auto& body : bodies) {
    auto read = readPutRecordJson(body);
    auto tree = generic(body, "PutRecord");
    ASSERT_TRUE(read) << body;
    ASSERT_TRUE(tree) << body;
    EXPECT_EQ(read->streamName, (*tree)["StreamName"]);
    expectSameRecords({read->record}, Json::array({*tree}));
    if (tree->contains("SequenceNumberForOrdering")) {
      EXPECT_EQ(read->sequenceNumberForOrdering,
                (*tree)["SequenceNumberForOrdering"].get<std::string>());
    } else {
      EXPECT_FALSE(read->sequenceNumberForOrdering);
    }
  }
}

TEST(RecordsJsonTest, UnusualPutRecordsBodiesAreLeftToTheGenericPath) {
  const std::vector<std::string> bodies = {
      R"({"StreamName":"s","PartitionKey":"k"})",
      R"({"StreamName":"s","Data":"AQ=="})",
      R"({"PartitionKey":"k","Data":"AQ=="})",
      R"({"StreamName":"s","PartitionKey":"k","Data":"AQ==","SequenceNumberForOrdering":"01"})",
      R"({"StreamName":"s","PartitionKey":"k","Data":"AQ==","SequenceNumberForOrdering":"x"})",
      R"({"StreamName":"s","PartitionKey":"k","Data":"AQ==","Records":"x"})",
      R"({"StreamName":"s","PartitionKey":"k","Data":"AQ=","StreamId":"x"})",
  };
  for (const auto& body : bodies) EXPECT_FALSE(readPutRecordJson(body)) << body;
}

TEST(RecordsJsonTest, ResponsesAreWhatTheGenericEncoderWrites) {
  std::vector<PutRecordsResultEntry> entries(3);
  entries[0].sequenceNumber = "49590338271490256608559692538361571095921575989136588898";
  entries[0].shard = 3;
  entries[1].shard = 1;
  entries[1].errorCode = "ProvisionedThroughputExceededException";
  entries[1].errorMessage = "Rate exceeded for shard shardId-000000000001 in stream s.";
  entries[2].errorCode = "InternalFailure";
  entries[2].errorMessage = "quote \" and \\ and caf\xc3\xa9";
  Json records = Json::array();
  records.push_back(
      {{"SequenceNumber", entries[0].sequenceNumber}, {"ShardId", "shardId-000000000003"}});
  records.push_back(
      {{"ErrorCode", entries[1].errorCode}, {"ErrorMessage", entries[1].errorMessage}});
  records.push_back(
      {{"ErrorCode", entries[2].errorCode}, {"ErrorMessage", entries[2].errorMessage}});
  EXPECT_EQ(
      putRecordsResponseJson(entries, 2),
      encodeBody(Json{{"FailedRecordCount", 2}, {"Records", records}, {"EncryptionType", "NONE"}},
                 WireFormat::kJson));
  EXPECT_EQ(putRecordResponseJson(12, "42"), encodeBody(Json{{"ShardId", "shardId-000000000012"},
                                                             {"SequenceNumber", "42"},
                                                             {"EncryptionType", "NONE"}},
                                                        WireFormat::kJson));
}

// Coral's rules written out plainly (the decoder before base64DecodeTo existed): the reference.
std::optional<std::string> referenceBase64(std::string_view text) {
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  if (utf16Length(text) % 4 != 0) return std::nullopt;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool padBeforeData = text[i] == '=' && i + 1 < text.size() && text[i + 1] != '=';
    if ((text[i] != '=' && alphabet.find(text[i]) == std::string::npos) || padBeforeData) {
      return std::nullopt;
    }
  }
  std::size_t pads = 0;
  while (pads < text.size() && text[text.size() - 1 - pads] == '=') ++pads;
  const std::string_view data = text.substr(0, text.size() - pads);
  if (pads > 2) return std::nullopt;
  if (pads > 0 && (alphabet.find(data.back()) & (pads == 1 ? 0x3 : 0xf)) != 0) {
    return std::nullopt;
  }
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (char ch : data) {
    acc = (acc << 6) | static_cast<std::uint32_t>(alphabet.find(ch));
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return out;
}

TEST(RecordsJsonTest, Base64DecodeToFollowsCoralsRules) {
  std::vector<std::string> inputs = {
      "",     "AA==", "AAA=", "AAAA", "AB==",  "AAB=",        "A===",     "====",     "A=AA",
      "AA=A", "AAA",  "AQID", "/+/+", "AQ\n=", "caf\xc3\xa9", "AAAAAA==", "AAAAAAA=", "AAAA AAA"};
  std::uint64_t x = 88172645463325252ULL;  // xorshift: many short strings over a small alphabet
  const std::string alphabet = "AQgw/+=B9z";
  for (int i = 0; i < 20000; ++i) {
    std::string s;
    const int n = static_cast<int>(x % 9);
    for (int k = 0; k < n; ++k) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      s += alphabet[x % alphabet.size()];
    }
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    inputs.push_back(s);
  }
  for (const auto& in : inputs) {
    std::string out = "previous";
    const bool ok = base64DecodeTo(in, out);
    const auto reference = referenceBase64(in);
    ASSERT_EQ(ok, reference.has_value()) << in;
    ASSERT_EQ(base64Decode(in).has_value(), ok) << in;
    if (ok) {
      EXPECT_EQ(out, *reference) << in;
    }
  }
}

}  // namespace
}  // namespace kbridge::kinesis::actions
