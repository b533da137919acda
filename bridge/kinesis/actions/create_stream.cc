// CreateStream: a stream is a Kafka topic with one partition per shard (DESIGN.md §3). The topic
// is created first, so that the broker decides races between instances (TOPIC_ALREADY_EXISTS →
// ResourceInUseException); the catalog record follows. The call returns when the stream is ACTIVE.
// WarmThroughputMiBps is accepted and has no effect (Kafka has no warm-up); AUTO distribution and
// records above 1 MiB are refused.

#include "kafka/admin.h"
#include "kinesis/actions/actions.h"
#include "kinesis/actions/common.h"
#include "kinesis/kafka_error_mapping.h"
#include "streams/catalog.h"
#include "streams/sequence_number.h"

namespace kbridge::kinesis::actions {
namespace {

using streams::StreamMeta;

ApiResult<Json> createStream(const Json& input, WireFormat, Services& services) {
  const auto& config = *services.config;
  const std::string name = input.at("StreamName").get<std::string>();
  const bool onDemand = input.contains("StreamModeDetails") &&
                        input["StreamModeDetails"].value("StreamMode", "") == "ON_DEMAND";
  int shardCount = config.streams.onDemandShardCount;
  if (!onDemand) {
    if (!input.contains("ShardCount")) {
      return apiError(
          ErrorType::kValidation,
          validationMessage({constraintFailure("null", "shardCount", "Member must not be null")}));
    }
    shardCount = input["ShardCount"].get<int>();
  }
  // What kbridge's streams cannot be, refused rather than ignored: records route by partition key
  // (a Kafka partition per hash-key range), and a record is at most 1 MiB.
  if (input.value("RecordDistributionStrategy", "USER_PARTITION_KEY") != "USER_PARTITION_KEY") {
    return apiError(ErrorType::kInvalidArgument,
                    "RecordDistributionStrategy " +
                        input["RecordDistributionStrategy"].get<std::string>() +
                        " is not supported by kbridge: streams distribute records by partition "
                        "key (USER_PARTITION_KEY).");
  }
  if (input.value("MaxRecordSizeInKiB", 1024) != 1024) {
    return apiError(ErrorType::kInvalidArgument,
                    "MaxRecordSizeInKiB " + std::to_string(input["MaxRecordSizeInKiB"].get<int>()) +
                        " is not supported by kbridge: a record is at most 1024 KiB.");
  }
  std::map<std::string, std::string> tags;
  if (input.contains("Tags")) {
    std::vector<std::string> strings;
    for (const auto& [k, v] : input["Tags"].items()) {
      tags[k] = v.get<std::string>();
      strings.push_back(k);
      strings.push_back(tags[k]);
    }
    if (auto ok = checkTagCharacters(name, strings, config, false); !ok) return fail(ok.error());
  }
  if (auto ok = checkTagCount(name, tags.size(), config); !ok) return fail(ok.error());

  std::lock_guard writeLock(services.catalog->writeMutex());
  if (auto synced = services.catalog->sync(); !synced) return fail(toApiError(synced.error()));
  if (services.catalog->find(name)) {
    return apiError(ErrorType::kResourceInUse, "Stream " + name + " under account " +
                                                   config.kinesis.accountId + " already exists.");
  }
  // 64-bit: ShardCount may be as large as 2^31 - 1. The shard limit (at most 100,000 by config)
  // also keeps every shard index within a sequence number's 20-bit shard field.
  std::int64_t openShards = 0;
  const auto all = services.catalog->list();
  for (const auto& s : all) openShards += s.openShardCount();
  if (onDemand) {
    if (auto ok = checkOnDemandStreamLimit(all, config); !ok) return fail(ok.error());
  }
  if (openShards + shardCount > std::int64_t{config.streams.shardLimit}) {
    return apiError(
        ErrorType::kLimitExceeded,
        "This request would exceed the shard limit for the account " + config.kinesis.accountId +
            " in " + config.kinesis.region + ". Current shard count for the account: " +
            std::to_string(openShards) + ". Limit: " + std::to_string(config.streams.shardLimit) +
            ". Number of additional shards that would have resulted from this request: " +
            std::to_string(shardCount) +
            ". Refer to the AWS Service Limits page "
            "(http://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html) for current "
            "limits and how to request higher limits.");
  }

  StreamMeta meta;
  meta.name = name;
  meta.topic = config.kafka.topicPrefix + name;
  meta.creationTimeMs = services.clock->nowMillis();
  meta.generation = static_cast<std::uint64_t>(meta.creationTimeMs);
  meta.status = streams::StreamStatus::kActive;
  meta.mode = onDemand ? streams::StreamMode::kOnDemand : streams::StreamMode::kProvisioned;
  meta.retentionHours = config.streams.defaultRetentionHours;
  meta.shards = streams::initialShards(shardCount, meta.generation);
  meta.tags = std::move(tags);

  const std::int64_t retentionMs = std::int64_t{meta.retentionHours} * 3'600'000;
  auto created = services.admin->createTopic(
      meta.topic, shardCount, config.kafka.replicationFactor,
      {{"retention.ms", std::to_string(retentionMs)},
       {"cleanup.policy", "delete"},
       {"message.timestamp.type", "LogAppendTime"},
       // A 1 MiB record plus its key, headers and batch overhead exceeds Kafka's default 1 MB.
       {"max.message.bytes", "2097152"}});
  if (!created) {
    if (created.error().kind == kafka::KafkaErrorKind::kTopicAlreadyExists) {
      return apiError(ErrorType::kResourceInUse, "Stream " + name + " under account " +
                                                     config.kinesis.accountId + " already exists.");
    }
    return fail(toApiError(created.error()));
  }
  // CreateTopics returns when the controller has the topic; wait until the broker serves it too,
  // so that the first request on the new stream (a config change, a put) finds it.
  if (auto ready =
          kafka::awaitTopic(*services.admin, meta.topic, shardCount, config.kafka.requestTimeoutMs);
      !ready) {
    (void)services.admin->deleteTopic(meta.topic);
    return fail(toApiError(ready.error()));
  }
  if (auto put = services.catalog->put(meta); !put) {
    // Without a catalog record the topic is unreachable as a stream: take it back.
    (void)services.admin->deleteTopic(meta.topic);
    return fail(toApiError(put.error()));
  }
  return noOutput();
}

}  // namespace

void createStream(ActionCall call) {
  runOnControl(std::move(call), &createStream);
}

}  // namespace kbridge::kinesis::actions
