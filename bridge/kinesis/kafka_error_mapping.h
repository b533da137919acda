#pragma once
// The one translation of Kafka failures into Kinesis wire errors (DESIGN.md §5).

#include "kafka/errors.h"
#include "kinesis/errors.h"

namespace kbridge::kinesis {

ApiError toApiError(const kafka::KafkaError& error);

}  // namespace kbridge::kinesis
