#pragma once
// An in-memory kafka::GroupOffsets: topics with watermarks and record timestamps, groups with
// committed offsets and members. Not thread-safe (tests drive it from one thread).

#include <map>
#include <string>
#include <vector>

#include "kafka/group_offsets.h"

namespace kbridge::testing {

class FakeGroupOffsets final : public kafka::GroupOffsets {
 public:
  struct Partition {
    std::int64_t low = 0;
    std::int64_t high = 0;
    std::map<std::int64_t, std::int64_t> timestamps;  // offset → epoch ms
  };
  std::map<std::string, std::vector<Partition>> topics;
  std::map<std::string, std::map<std::string, kafka::OffsetMap>> committedOffsets;  // group→topic
  std::map<std::string, int> members;
  bool unavailable = false;
  int alterCalls = 0;

  kafka::KafkaResult<kafka::OffsetMap> committed(const std::string& group,
                                                 const std::string& topic) override {
    if (unavailable) return down();
    return committedOffsets[group][topic];
  }
  kafka::KafkaResult<std::vector<std::string>> committedTopics(const std::string& group) override {
    std::vector<std::string> out;
    for (const auto& [t, _] : committedOffsets[group]) out.push_back(t);
    return out;
  }
  kafka::KafkaResult<int> partitionCount(const std::string& topic) override {
    return static_cast<int>(topics.at(topic).size());
  }
  kafka::KafkaResult<kafka::Watermarks> watermarks(const std::string& topic,
                                                   std::int32_t partition) override {
    if (unavailable) return down();
    const auto& p = topics.at(topic).at(static_cast<std::size_t>(partition));
    return kafka::Watermarks{p.low, p.high};
  }
  kafka::KafkaResult<kafka::OffsetMap> timestampsAt(const std::string& topic,
                                                    const kafka::OffsetMap& offsets) override {
    kafka::OffsetMap out;
    for (const auto& [p, o] : offsets) {
      const auto& ts = topics.at(topic).at(static_cast<std::size_t>(p)).timestamps;
      if (auto it = ts.lower_bound(o); it != ts.end()) out[p] = it->second;
    }
    return out;
  }
  kafka::KafkaResult<std::int64_t> offsetForTime(const std::string& topic, std::int32_t partition,
                                                 std::int64_t timestampMs) override {
    const auto& p = topics.at(topic).at(static_cast<std::size_t>(partition));
    for (const auto& [o, ts] : p.timestamps) {
      if (ts >= timestampMs) return o;
    }
    return p.high;
  }
  kafka::KafkaResult<kafka::GroupMembership> membership(const std::string& group) override {
    if (unavailable) return down();
    const int n = members[group];
    return kafka::GroupMembership{n > 0 ? "Stable" : "Empty", n};
  }
  kafka::KafkaResult<std::vector<std::string>> listGroups() override {
    std::vector<std::string> out;
    for (const auto& [g, _] : committedOffsets) out.push_back(g);
    return out;
  }
  kafka::KafkaStatus alterCommitted(const std::string& group, const std::string& topic,
                                    const kafka::OffsetMap& offsets) override {
    ++alterCalls;
    if (members[group] > 0) {
      return fail(kafka::KafkaError{kafka::KafkaErrorKind::kOther, 25, "UNKNOWN_MEMBER_ID"});
    }
    for (const auto& [p, o] : offsets) committedOffsets[group][topic][p] = o;
    return {};
  }

 private:
  static Unexpected<kafka::KafkaError> down() {
    return fail(kafka::KafkaError{kafka::KafkaErrorKind::kUnavailable, 0, "down"});
  }
};

}  // namespace kbridge::testing
