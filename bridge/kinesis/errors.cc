#include "kinesis/errors.h"

namespace kbridge::kinesis {

std::string_view errorTypeName(ErrorType type) {
  switch (type) {
    case ErrorType::kAccessDenied:
      return "AccessDeniedException";
    case ErrorType::kDryRunOperation:
      return "DryRunOperationException";
    case ErrorType::kExpiredIterator:
      return "ExpiredIteratorException";
    case ErrorType::kExpiredNextToken:
      return "ExpiredNextTokenException";
    case ErrorType::kIncompleteSignature:
      return "IncompleteSignatureException";
    case ErrorType::kInternalFailure:
      return "InternalFailure";
    case ErrorType::kInvalidArgument:
      return "InvalidArgumentException";
    case ErrorType::kInvalidSignature:
      return "InvalidSignatureException";
    case ErrorType::kLimitExceeded:
      return "LimitExceededException";
    case ErrorType::kMissingAuthenticationToken:
      return "MissingAuthenticationTokenException";
    case ErrorType::kProvisionedThroughputExceeded:
      return "ProvisionedThroughputExceededException";
    case ErrorType::kResourceInUse:
      return "ResourceInUseException";
    case ErrorType::kResourceNotFound:
      return "ResourceNotFoundException";
    case ErrorType::kSerialization:
      return "SerializationException";
    case ErrorType::kServiceUnavailable:
      return "ServiceUnavailable";
    case ErrorType::kThrottling:
      return "ThrottlingException";
    case ErrorType::kUnknownOperation:
      return "UnknownOperationException";
    case ErrorType::kUnrecognizedClient:
      return "UnrecognizedClientException";
    case ErrorType::kValidation:
      return "ValidationException";
  }
  return "InternalFailure";
}

int httpStatus(ErrorType type) {
  switch (type) {
    case ErrorType::kInternalFailure:
      return 500;
    case ErrorType::kServiceUnavailable:
      return 503;
    case ErrorType::kMissingAuthenticationToken:
    case ErrorType::kIncompleteSignature:
    case ErrorType::kInvalidSignature:
    case ErrorType::kUnrecognizedClient:
      return 403;
    case ErrorType::kAccessDenied:
    case ErrorType::kDryRunOperation:
    case ErrorType::kExpiredIterator:
    case ErrorType::kExpiredNextToken:
    case ErrorType::kInvalidArgument:
    case ErrorType::kLimitExceeded:
    case ErrorType::kProvisionedThroughputExceeded:
    case ErrorType::kResourceInUse:
    case ErrorType::kResourceNotFound:
    case ErrorType::kSerialization:
    case ErrorType::kThrottling:
    case ErrorType::kUnknownOperation:
    case ErrorType::kValidation:
      return 400;
  }
  return 500;
}

bool isRetriable(ErrorType type) {
  switch (type) {
    case ErrorType::kInternalFailure:
    case ErrorType::kServiceUnavailable:
    case ErrorType::kProvisionedThroughputExceeded:
    case ErrorType::kLimitExceeded:
    case ErrorType::kThrottling:
      return true;
    default:
      return false;
  }
}

}  // namespace kbridge::kinesis
