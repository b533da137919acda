// GetRecords: the records after an iterator's position, read through the fetch cursors (a
// sequential reader costs no seek), with a fresh NextShardIterator. An empty shard answers at once.

#include <cstdio>
#include <ctime>

#include "kafka/fetcher.h"
#include "kinesis/actions/actions.h"
#include "kinesis/actions/common.h"
#include "kinesis/actions/get_records_json.h"
#include "kinesis/kafka_error_mapping.h"
#include "streams/catalog.h"
#include "streams/sequence_number.h"
#include "streams/shard_iterator.h"
#include "streams/shard_limits.h"

namespace kbridge::kinesis::actions {
namespace {

constexpr std::size_t kMaxResponseBytes = 10 * 1024 * 1024;

// "Thu Jan 01 00:00:00 UTC 2015", as Kinesis prints times in ExpiredIteratorException.
std::string amzTime(std::int64_t ms) {
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a %b %d %H:%M:%S UTC %Y", &tm);
  return buf;
}

struct RecordsPage {
  std::uint64_t generation = 0;
  std::uint32_t shard = 0;
  std::vector<kafka::FetchedRecord> records;
  std::string nextIterator;
  std::int64_t millisBehind = 0;
};

Json pageJson(RecordsPage& page, WireFormat format) {
  Json records = Json::array();
  for (auto& r : page.records) {
    streams::SequenceNumber seq{page.generation, page.shard, static_cast<std::uint64_t>(r.offset)};
    records.push_back({{"SequenceNumber", seq.toString()},
                       {"ApproximateArrivalTimestamp", timestampValue(r.timestampMs, format)},
                       {"Data", blobValue(r.value, format)},
                       {"PartitionKey", std::move(r.key)}});
  }
  return Json{
      {"Records", std::move(records)},
      {"NextShardIterator", std::move(page.nextIterator)},
      {"MillisBehindLatest", page.millisBehind}};  // ChildShards: only at the end of a closed shard
}

ApiResult<RecordsPage> readPage(const Json& input, Services& services) {
  const auto& config = *services.config;
  const std::string token = input.at("ShardIterator").get<std::string>();
  const std::string secret = services.catalog->iteratorSecret();
  auto it = streams::decodeShardIterator(token, secret);
  if (!it) return apiError(ErrorType::kInvalidArgument, "Invalid ShardIterator.");
  const std::int64_t now = services.clock->nowMillis();
  if (now - it->issuedMs > streams::kIteratorLifetimeMs) {
    return apiError(ErrorType::kExpiredIterator,
                    "Iterator expired. The iterator was created at time " + amzTime(it->issuedMs) +
                        " while right now it is " + amzTime(now) +
                        " which is further in the future than the tolerated delay of 300000 "
                        "milliseconds.");
  }
  const std::string shardId = streams::shardIdName(it->shard);
  const ApiError noShard{ErrorType::kResourceNotFound,
                         "Shard " + shardId + " in stream " + it->stream + " under account " +
                             config.kinesis.accountId + " does not exist"};
  auto meta = services.catalog->find(it->stream);
  if (!meta) {
    auto loaded = loadStream(it->stream, services);
    if (!loaded)
      return fail(loaded.error().type == ErrorType::kResourceNotFound ? noShard : loaded.error());
    meta = std::move(*loaded);
  }
  // An iterator of an earlier stream with the same name reads nothing of the new one.
  if (meta->generation != it->generation || it->shard >= meta->shards.size()) return fail(noShard);
  if (isDryRun(input)) return fail(dryRunPassed(meta->name, services));

  // Optional per-shard read limits: 5 calls/s, and no call while the shard's read bytes are in
  // debt (2 MiB/s); the bytes of this answer are charged after the fetch.
  if (services.limits && !services.limits->tryRead(it->stream, it->shard)) {
    return fail(shardThrottled(it->stream, it->shard, config));
  }
  const std::size_t limit = static_cast<std::size_t>(input.value("Limit", 10000));
  const std::int64_t from =
      it->offset == streams::kTrimHorizonOffset ? 0 : static_cast<std::int64_t>(it->offset);
  auto fetched = services.fetcher->fetch(meta->topic, static_cast<std::int32_t>(it->shard), from,
                                         limit, kMaxResponseBytes);
  if (!fetched) return fail(toApiError(fetched.error()));
  if (services.limits) {
    std::size_t bytes = 0;
    for (const auto& r : fetched->records) bytes += r.key.size() + r.value.size();
    services.limits->chargeRead(it->stream, it->shard, bytes);
  }

  std::int64_t behind = 0;
  if (fetched->nextOffset < fetched->watermarks.high) {
    behind = fetched->records.empty()
                 ? 0
                 : std::max<std::int64_t>(0, now - fetched->records.back().timestampMs);
  }
  streams::ShardIterator next = *it;
  next.offset = static_cast<std::uint64_t>(fetched->nextOffset);
  next.issuedMs = now;
  RecordsPage page;
  page.generation = meta->generation;
  page.shard = it->shard;
  page.records = std::move(fetched->records);
  page.nextIterator = streams::encodeShardIterator(next, secret);
  page.millisBehind = behind;
  return page;
}

}  // namespace

void getRecords(ActionCall call) {
  Executor* fetch = call.services->fetch;
  fetch->post([call = std::move(call)]() mutable {
    auto page = readPage(call.input, *call.services);
    if (!page) return call.reply(fail(page.error()));
    if (call.format == WireFormat::kJson && call.replyEncoded) {
      return call.replyEncoded(getRecordsJson(page->generation, page->shard, page->records,
                                              page->nextIterator, page->millisBehind));
    }
    call.reply(pageJson(*page, call.format));
  });
}

}  // namespace kbridge::kinesis::actions
