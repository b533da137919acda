#include "app/adopted_streams.h"

#include <spdlog/spdlog.h>

#include <charconv>
#include <mutex>
#include <stdexcept>

#include "kafka/admin.h"
#include "streams/catalog.h"

namespace kbridge::app {

namespace {

constexpr int kMaxRetentionHours = 8760;
constexpr int kBrokerDefaultRetentionHours = 168;  // Kafka's log.retention.hours default

[[noreturn]] void failed(const config::StreamAdoption& adopted, const std::string& why) {
  throw std::runtime_error("streams.adopt: cannot adopt Kafka topic " + adopted.topic +
                           " as stream " + adopted.name + ": " + why);
}

std::optional<std::int64_t> retentionMsOf(const kafka::TopicDescription& topic) {
  auto it = topic.dynamicConfigs.find("retention.ms");
  if (it == topic.dynamicConfigs.end()) return std::nullopt;
  std::int64_t ms = 0;
  const auto& text = it->second;
  if (std::from_chars(text.data(), text.data() + text.size(), ms).ec != std::errc{}) {
    return std::nullopt;
  }
  return ms;
}

// One shard per partition of the topic when it has more partitions than the stream has shards.
// The caller holds the catalog's write mutex, after a sync().
void growToPartitions(const config::StreamAdoption& adopted, streams::StreamMeta meta,
                      kinesis::Services& services) {
  auto topic = services.admin->describeTopic(adopted.topic);
  if (!topic) {
    spdlog::warn("stream {}: cannot describe adopted topic {}: {}", adopted.name, adopted.topic,
                 topic.error().message);
    return;
  }
  const int shards = static_cast<int>(meta.shards.size());
  if (topic->partitions == shards) return;
  if (topic->partitions < shards) {
    spdlog::error(
        "stream {}: adopted topic {} has {} partitions, fewer than the stream's {} shards (was it "
        "deleted and created again?); the stream is left as it is",
        adopted.name, adopted.topic, topic->partitions, shards);
    return;
  }
  if (topic->partitions > services.config->streams.shardLimit) {
    spdlog::error(
        "stream {}: adopted topic {} now has {} partitions, more than streams.shard_limit ({}); "
        "the records of partitions {} and up stay invisible to Kinesis clients",
        adopted.name, adopted.topic, topic->partitions, services.config->streams.shardLimit,
        shards);
    return;
  }
  meta.shards = streams::initialShards(topic->partitions, meta.generation);
  if (auto put = services.catalog->put(meta); !put) {
    spdlog::warn("stream {}: cannot record the partitions added to adopted topic {}: {}",
                 adopted.name, adopted.topic, put.error().message);
    return;
  }
  spdlog::info("stream {}: adopted topic {} has {} partitions now; the stream has {} shards",
               adopted.name, adopted.topic, topic->partitions, topic->partitions);
}

}  // namespace

void refreshAdoptedStreams(const std::vector<config::StreamAdoption>& adopt,
                           kinesis::Services& services) {
  for (const auto& adopted : adopt) {
    std::lock_guard writeLock(services.catalog->writeMutex());
    if (auto synced = services.catalog->sync(); !synced) {
      spdlog::warn("adopted streams: the catalog cannot be read: {}", synced.error().message);
      return;
    }
    auto existing = services.catalog->find(adopted.name);
    if (!existing || !existing->adopted || existing->topic != adopted.topic) continue;
    growToPartitions(adopted, std::move(*existing), services);
  }
}

int retentionHoursOf(std::optional<std::int64_t> retentionMs) {
  if (!retentionMs) return kBrokerDefaultRetentionHours;
  if (*retentionMs < 0) return kMaxRetentionHours;
  const std::int64_t hours = (*retentionMs + 3'599'999) / 3'600'000;
  return static_cast<int>(std::clamp<std::int64_t>(hours, 1, kMaxRetentionHours));
}

void adoptStreams(const std::vector<config::StreamAdoption>& adopt, kinesis::Services& services) {
  for (const auto& adopted : adopt) {
    std::lock_guard writeLock(services.catalog->writeMutex());
    if (auto synced = services.catalog->sync(); !synced) {
      failed(adopted, "the catalog cannot be read: " + synced.error().message);
    }
    if (auto existing = services.catalog->find(adopted.name)) {
      if (existing->topic != adopted.topic) {
        failed(adopted, "the stream exists with topic " + existing->topic);
      }
      if (!existing->adopted) {
        failed(adopted, "the stream was created through Kinesis (its topic is kbridge's)");
      }
      if (existing->kafkaPartitioner != adopted.kafkaPartitioner) {
        existing->kafkaPartitioner = adopted.kafkaPartitioner;
        if (auto put = services.catalog->put(*existing); !put) {
          failed(adopted, "the catalog cannot be written: " + put.error().message);
        }
        spdlog::info("stream {} (adopted topic {}) now routes with the {} partitioner",
                     adopted.name, adopted.topic, adopted.kafkaPartitioner ? "kafka" : "kinesis");
      }
      growToPartitions(adopted, std::move(*existing), services);
      continue;
    }
    auto topic = services.admin->describeTopic(adopted.topic);
    if (!topic) failed(adopted, topic.error().message);
    if (topic->partitions < 1 || topic->partitions > services.config->streams.shardLimit) {
      failed(adopted, "the topic has " + std::to_string(topic->partitions) +
                          " partitions; a stream has 1 to streams.shard_limit (" +
                          std::to_string(services.config->streams.shardLimit) + ") shards");
    }
    streams::StreamMeta meta;
    meta.name = adopted.name;
    meta.topic = adopted.topic;
    meta.creationTimeMs = services.clock->nowMillis();
    meta.generation = static_cast<std::uint64_t>(meta.creationTimeMs);
    meta.status = streams::StreamStatus::kActive;
    meta.mode = streams::StreamMode::kProvisioned;
    meta.retentionHours = retentionHoursOf(retentionMsOf(*topic));
    meta.shards = streams::initialShards(topic->partitions, meta.generation);
    meta.adopted = true;
    meta.kafkaPartitioner = adopted.kafkaPartitioner;
    if (auto put = services.catalog->put(meta); !put) {
      failed(adopted, "the catalog cannot be written: " + put.error().message);
    }
    spdlog::info(
        "adopted Kafka topic {} as stream {} ({} shard(s), retention {} h, {} partitioner)",
        adopted.topic, adopted.name, topic->partitions, meta.retentionHours,
        adopted.kafkaPartitioner ? "kafka" : "kinesis");
  }
}

}  // namespace kbridge::app
