#pragma once
// POST /api/sources/{name}/run: runs the source now (after a run of it in progress, if any) and
// answers with its outcome when it is over — sources/run_result.h's toJson(), with 200 when every
// record was put, 502 when the fetched URL failed (timeout, non-2xx, not JSON, too large,
// unreachable), 503 when the stream is missing, Kafka failed or kbridge is shutting down; 404
// {"message"} for an unknown source. The run happens on the source's own thread, never on the I/O
// thread. Like the other /api routes it is open unless the router has a guard.

#include "api/router.h"
#include "sources/source_runner.h"

namespace kbridge::sources {

// `runner` outlives the router's requests.
void addSourceRoutes(api::ApiRouter& router, SourceRunner& runner);

}  // namespace kbridge::sources
