#pragma once
// Kafka failures as kbridge sees them. librdkafka's many error codes are folded into these kinds in
// exactly one place (kafka/errors.cc); the Kinesis layer maps kinds to wire errors in exactly one
// other place (kinesis/kafka_error_mapping.cc). Neither header includes librdkafka.

#include <string>

#include "common/result.h"

namespace kbridge::kafka {

enum class KafkaErrorKind {
  kTopicAlreadyExists,
  kUnknownTopic,
  kTopicDeletionDisabled,
  kInvalidRequest,  // invalid partitions/replication/config, policy violation
  kNotAuthorized,
  kTimedOut,
  kUnavailable,  // all brokers down, transport failure, no leader
  kQueueFull,    // local producer queue full: back-pressure
  kMessageTooLarge,
  kFatal,  // fatal producer error (idempotence broken)
  kOther,
};

struct KafkaError {
  KafkaErrorKind kind = KafkaErrorKind::kOther;
  int code = 0;         // the librdkafka rd_kafka_resp_err_t, for logs
  std::string message;  // librdkafka's text
};

// Folds a librdkafka rd_kafka_resp_err_t into a kind.
KafkaErrorKind kindOfRdKafkaError(int code);
KafkaError makeKafkaError(int code, std::string message);

template <class T>
using KafkaResult = Result<T, KafkaError>;
using KafkaStatus = Status<KafkaError>;

}  // namespace kbridge::kafka
