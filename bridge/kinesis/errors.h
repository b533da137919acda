#pragma once
// Kinesis wire errors: the `__type` names and HTTP statuses that AWS answers with (botocore's
// kinesis/2013-12-02 model plus the common service errors). Every other layer's failure ends up as
// one of these before it reaches a client.

#include <string>
#include <string_view>

#include "common/result.h"

namespace kbridge::kinesis {

enum class ErrorType {
  kAccessDenied,
  kDryRunOperation,
  kExpiredIterator,
  kExpiredNextToken,
  kIncompleteSignature,
  kInternalFailure,
  kInvalidArgument,
  kInvalidSignature,
  kLimitExceeded,
  kMissingAuthenticationToken,
  kProvisionedThroughputExceeded,
  kResourceInUse,
  kResourceNotFound,
  kSerialization,
  kServiceUnavailable,
  kThrottling,
  kUnknownOperation,
  kUnrecognizedClient,
  kValidation,
};

// The `__type` string, e.g. "ResourceNotFoundException".
std::string_view errorTypeName(ErrorType type);
// The HTTP status AWS uses for this error.
int httpStatus(ErrorType type);
// True for errors a client should retry (throttling, service unavailable, internal failure).
bool isRetriable(ErrorType type);

struct ApiError {
  ErrorType type = ErrorType::kInternalFailure;
  std::string message;
};

inline Unexpected<ApiError> apiError(ErrorType type, std::string message) {
  return fail(ApiError{type, std::move(message)});
}

template <class T>
using ApiResult = Result<T, ApiError>;
using ApiStatus = Status<ApiError>;

}  // namespace kbridge::kinesis
