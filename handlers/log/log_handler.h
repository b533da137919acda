#pragma once
// The `log` handler: the seed's consumer that logs what it receives. Writes one line per record to
// stdout, stderr, or a file (appended):
//   text: [mapping] shardId-000000000000 <seq> partitionKey=<key> data=<text>
//         (data_base64=<base64> when the data is not valid UTF-8; control characters escaped)
//   json: Lambda's event record for the record ({"kinesis":{...},"eventSource":...}) per line.
// Settings: output ("stdout" | "stderr" | a file path), format ("text" | "json"),
// max_data_bytes (default 1024, 0 = no limit).

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "runtime/handler.h"

namespace kbridge::handlers {

std::unique_ptr<runtime::Handler> buildLogHandler(const nlohmann::json& settings,
                                                  const std::string& path,
                                                  std::vector<std::string>& errors);

}  // namespace kbridge::handlers
