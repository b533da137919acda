// libFuzzer target: a Kinesis request body in JSON 1.1, from bytes to a validated input
// (see fuzz_request.h for the input form and the invariants).

#include <cstddef>
#include <cstdint>

#include "fuzz_request.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  kbridge::fuzz::fuzzRequest(data, size, kbridge::kinesis::WireFormat::kJson);
  return 0;
}
