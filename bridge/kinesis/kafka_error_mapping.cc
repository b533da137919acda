#include "kinesis/kafka_error_mapping.h"

namespace kbridge::kinesis {

ApiError toApiError(const kafka::KafkaError& error) {
  using K = kafka::KafkaErrorKind;
  switch (error.kind) {
    case K::kTopicAlreadyExists:
      // Callers that can name the stream say so themselves; this is the generic fallback.
      return {ErrorType::kResourceInUse, "The Kafka topic already exists: " + error.message};
    case K::kUnknownTopic:
      return {ErrorType::kResourceNotFound, "The stream's Kafka topic does not exist."};
    case K::kQueueFull:
      return {ErrorType::kProvisionedThroughputExceeded,
              "Rate exceeded: the Kafka producer queue is full."};
    case K::kTimedOut:
    case K::kUnavailable:
      return {ErrorType::kServiceUnavailable, "Kafka is unavailable: " + error.message};
    case K::kNotAuthorized:
      return {ErrorType::kInternalFailure, "Kafka refused kbridge's credentials: " + error.message};
    case K::kTopicDeletionDisabled:
      return {ErrorType::kInternalFailure,
              "The Kafka cluster does not allow topic deletion (delete.topic.enable=false)."};
    case K::kMessageTooLarge:
      return {ErrorType::kInternalFailure,
              "The record is larger than the Kafka topic accepts (max.message.bytes): " +
                  error.message};
    case K::kInvalidRequest:
    case K::kFatal:
    case K::kOther:
      return {ErrorType::kInternalFailure, "Kafka error: " + error.message};
  }
  return {ErrorType::kInternalFailure, "Kafka error: " + error.message};
}

}  // namespace kbridge::kinesis
