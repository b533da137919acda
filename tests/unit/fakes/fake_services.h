#pragma once
// The Kinesis layer's Services wired to the in-memory test doubles of fake_kafka.h, as the
// dispatcher, auth, ingest-route and API-metrics tests all need them.

#include <memory>
#include <utility>

#include "common/clock.h"
#include "common/executor.h"
#include "config/config.h"
#include "fakes/fake_kafka.h"
#include "kinesis/action.h"
#include "streams/catalog.h"

namespace kbridge::testing {

// `executor` runs both control-plane and fetch work; `topics` is both the producer and the
// fetcher, and stamps records with `clock`'s current time. Tests may replace any member after.
inline void useFakes(kinesis::Services& services, std::shared_ptr<const config::Config> config,
                     streams::Catalog& catalog, FakeKafkaAdmin& admin, const Clock& clock,
                     Executor& executor, InMemoryTopics& topics) {
  services.config = std::move(config);
  services.catalog = &catalog;
  services.admin = &admin;
  services.clock = &clock;
  services.control = &executor;
  services.fetch = &executor;
  services.producer = &topics;
  services.fetcher = &topics;
  topics.nowMs = clock.nowMillis();
}

}  // namespace kbridge::testing
