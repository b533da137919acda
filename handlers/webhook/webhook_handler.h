#pragma once
// The `webhook` handler: any-language functions over HTTP. Each batch is one POST of exactly
// Lambda's Kinesis event JSON (lambda_event.h) to `url`; the reply decides the outcome:
//   2xx            → the body is read as Lambda's StreamsEventResponse (interpretReply): ok, or
//                    failed with firstFailed set (0 = the whole batch) from "batchItemFailures";
//   429, 502, 503, 504, connection errors and timeouts → retryLater;
//   any other status → failed (whole batch), reason = status and the first 200 bytes of the body.
// A failure read from batchItemFailures always carries firstFailed; the runtime honours it only
// when the mapping sets report_batch_item_failures and otherwise counts the batch as delivered,
// as Lambda ignores the reply then. Settings: url (required), timeout_ms, headers.

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "runtime/handler.h"

namespace kbridge::handlers {

std::unique_ptr<runtime::Handler> buildWebhookHandler(const nlohmann::json& settings,
                                                      const std::string& path,
                                                      std::vector<std::string>& errors);

}  // namespace kbridge::handlers
