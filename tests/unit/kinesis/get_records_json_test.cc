#include "kinesis/actions/get_records_json.h"

#include <gtest/gtest.h>

#include "kinesis/codec.h"
#include "streams/sequence_number.h"

namespace kbridge::kinesis::actions {
namespace {

// The generic encoding of the same page, as the CBOR path builds it.
std::string generic(std::uint64_t generation, std::uint32_t shard,
                    const std::vector<kafka::FetchedRecord>& records, const std::string& next,
                    std::int64_t behind) {
  Json list = Json::array();
  for (const auto& r : records) {
    list.push_back(
        {{"SequenceNumber",
          streams::SequenceNumber{generation, shard, static_cast<std::uint64_t>(r.offset)}
              .toString()},
         {"ApproximateArrivalTimestamp", timestampValue(r.timestampMs, WireFormat::kJson)},
         {"Data", blobValue(r.value, WireFormat::kJson)},
         {"PartitionKey", r.key}});
  }
  return encodeBody(
      Json{{"Records", list}, {"NextShardIterator", next}, {"MillisBehindLatest", behind}},
      WireFormat::kJson);
}

TEST(GetRecordsJsonTest, WritesExactlyWhatTheGenericEncoderWrites) {
  std::vector<kafka::FetchedRecord> records = {
      {0, 1700000000000, "plain", std::string("\x00\xff\x01", 3)},
      {1, 1700000000123, "quote\"back\\slash\ncontrol\x01", "data"},
      {2, 1700000000120, "caf\xc3\xa9 \xe2\x82\xac", ""},
      {3, 1700000000001, std::string("bad\xff utf8"), std::string(1000, 'x')},
      {(std::int64_t{1} << 40), 1, "k", "v"},
  };
  EXPECT_EQ(getRecordsJson(1700000000000, 7, records, "AQID/+==", 42),
            generic(1700000000000, 7, records, "AQID/+==", 42));
  EXPECT_EQ(getRecordsJson(1, 0, {}, "x", 0), generic(1, 0, {}, "x", 0));
}

TEST(GetRecordsJsonTest, ConsecutiveOffsetsAndSharedTimestampsAsTheGenericEncoder) {
  // Runs of consecutive offsets (their sequence numbers carry through 9s), gaps, repeated and
  // changing arrival times, values of every length modulo 3.
  std::vector<kafka::FetchedRecord> records;
  std::int64_t offset = 987;
  for (int i = 0; i < 3000; ++i) {
    offset += i % 700 == 699 ? 5 : 1;
    const std::int64_t ms = 1700000000000 + (i / 100) * 7 + (i % 1000 == 0 ? 1 : 0);
    records.push_back({offset, ms, "k" + std::to_string(i), std::string(i % 5, 'v')});
  }
  EXPECT_EQ(getRecordsJson(1700000000000, 3, records, "n", 0),
            generic(1700000000000, 3, records, "n", 0));
  EXPECT_EQ(
      getRecordsJson(
          0, 0, {{9, 0, "k", "v"}, {10, 0, "k", "v"}, {99, 0, "k", ""}, {100, 0, "k", ""}}, "n", 0),
      generic(0, 0, {{9, 0, "k", "v"}, {10, 0, "k", "v"}, {99, 0, "k", ""}, {100, 0, "k", ""}}, "n",
              0));
}

}  // namespace
}  // namespace kbridge::kinesis::actions
