#include "kinesis/kafka_error_mapping.h"

#include <gtest/gtest.h>

namespace kbridge::kinesis {
namespace {

using kafka::KafkaErrorKind;

struct Row {
  KafkaErrorKind kind;
  ErrorType type;
  int status;
};

// Every kind, with the wire error and status a client sees. Retriable conditions must be 5xx or
// throttling so that SDKs retry them; nothing here may look like a client mistake.
TEST(KafkaErrorMappingTest, EveryKindHasItsWireError) {
  const Row rows[] = {
      {KafkaErrorKind::kTopicAlreadyExists, ErrorType::kResourceInUse, 400},
      {KafkaErrorKind::kUnknownTopic, ErrorType::kResourceNotFound, 400},
      {KafkaErrorKind::kTopicDeletionDisabled, ErrorType::kInternalFailure, 500},
      {KafkaErrorKind::kInvalidRequest, ErrorType::kInternalFailure, 500},
      {KafkaErrorKind::kNotAuthorized, ErrorType::kInternalFailure, 500},
      {KafkaErrorKind::kTimedOut, ErrorType::kServiceUnavailable, 503},
      {KafkaErrorKind::kUnavailable, ErrorType::kServiceUnavailable, 503},
      {KafkaErrorKind::kQueueFull, ErrorType::kProvisionedThroughputExceeded, 400},
      {KafkaErrorKind::kMessageTooLarge, ErrorType::kInternalFailure, 500},
      {KafkaErrorKind::kFatal, ErrorType::kInternalFailure, 500},
      {KafkaErrorKind::kOther, ErrorType::kInternalFailure, 500},
  };
  for (const auto& row : rows) {
    auto e = toApiError({row.kind, 0, "detail"});
    EXPECT_EQ(e.type, row.type) << static_cast<int>(row.kind);
    EXPECT_EQ(httpStatus(e.type), row.status) << static_cast<int>(row.kind);
    EXPECT_FALSE(e.message.empty());
  }
}

TEST(KafkaErrorMappingTest, UnavailabilityIsRetriable) {
  EXPECT_TRUE(isRetriable(toApiError({KafkaErrorKind::kUnavailable, 0, ""}).type));
  EXPECT_TRUE(isRetriable(toApiError({KafkaErrorKind::kTimedOut, 0, ""}).type));
  EXPECT_TRUE(isRetriable(toApiError({KafkaErrorKind::kQueueFull, 0, ""}).type));
}

}  // namespace
}  // namespace kbridge::kinesis
