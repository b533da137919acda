#include "kafka/errors.h"

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

namespace kbridge::kafka {
namespace {

TEST(KafkaErrorsTest, FoldsLibrdkafkaCodesIntoKinds) {
  const std::pair<rd_kafka_resp_err_t, KafkaErrorKind> rows[] = {
      {RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS, KafkaErrorKind::kTopicAlreadyExists},
      {RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, KafkaErrorKind::kUnknownTopic},
      {RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC, KafkaErrorKind::kUnknownTopic},
      {RD_KAFKA_RESP_ERR_TOPIC_DELETION_DISABLED, KafkaErrorKind::kTopicDeletionDisabled},
      {RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR, KafkaErrorKind::kInvalidRequest},
      {RD_KAFKA_RESP_ERR_POLICY_VIOLATION, KafkaErrorKind::kInvalidRequest},
      {RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED, KafkaErrorKind::kNotAuthorized},
      {RD_KAFKA_RESP_ERR__TIMED_OUT, KafkaErrorKind::kTimedOut},
      {RD_KAFKA_RESP_ERR__MSG_TIMED_OUT, KafkaErrorKind::kTimedOut},
      {RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, KafkaErrorKind::kUnavailable},
      {RD_KAFKA_RESP_ERR__TRANSPORT, KafkaErrorKind::kUnavailable},
      {RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS, KafkaErrorKind::kUnavailable},
      {RD_KAFKA_RESP_ERR__QUEUE_FULL, KafkaErrorKind::kQueueFull},
      {RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE, KafkaErrorKind::kMessageTooLarge},
      {RD_KAFKA_RESP_ERR__FATAL, KafkaErrorKind::kFatal},
      {RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER, KafkaErrorKind::kFatal},
      {RD_KAFKA_RESP_ERR_UNKNOWN, KafkaErrorKind::kOther},
  };
  for (const auto& [code, kind] : rows) {
    EXPECT_EQ(kindOfRdKafkaError(code), kind) << rd_kafka_err2name(code);
  }
}

TEST(KafkaErrorsTest, KeepsLibrdkafkaTextWhenNoneIsGiven) {
  auto e = makeKafkaError(RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, "");
  EXPECT_EQ(e.kind, KafkaErrorKind::kUnavailable);
  EXPECT_FALSE(e.message.empty());
}

}  // namespace
}  // namespace kbridge::kafka
