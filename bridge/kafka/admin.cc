#include "kafka/admin.h"

#include <algorithm>
#include <chrono>
#include <thread>

namespace kbridge::kafka {

KafkaStatus awaitTopic(KafkaAdmin& admin, const std::string& topic, int partitions, int timeoutMs) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
  constexpr auto kMaxPause = std::chrono::milliseconds(200);
  for (auto pause = std::chrono::milliseconds(10);; pause = std::min(pause * 2, kMaxPause)) {
    auto described = admin.describeTopic(topic);
    if (described && described->partitions == partitions) return {};
    if (std::chrono::steady_clock::now() + pause > deadline) {
      if (!described) return fail(described.error());
      return fail(KafkaError{
          KafkaErrorKind::kTimedOut, 0,
          "topic " + topic + " has " + std::to_string(described->partitions) + " partitions"});
    }
    std::this_thread::sleep_for(pause);
  }
}

}  // namespace kbridge::kafka
