#pragma once
// GetRecords' JSON 1.1 body written directly, without a Json tree: the response of the hottest
// read path, whose tree building and generic serialization cost more than the fetch itself. It
// produces what encodeBody(pageJson(...)) produces (same members, same number formats); a unit test
// holds the two together.

#include <cstdint>
#include <string>
#include <vector>

#include "kafka/fetcher.h"

namespace kbridge::kinesis::actions {

std::string getRecordsJson(std::uint64_t generation, std::uint32_t shard,
                           const std::vector<kafka::FetchedRecord>& records,
                           const std::string& nextIterator, std::int64_t millisBehind);

}  // namespace kbridge::kinesis::actions
