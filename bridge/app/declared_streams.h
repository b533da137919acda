#pragma once
// The streams a config declares (`streams.create`, issue 7), so that a pipeline's config is
// self-contained: at start-up each absent stream is created through the Kinesis CreateStream
// action itself (its input validation, shard limit, topic and catalog record), then given its
// retention period through Increase/DecreaseStreamRetentionPeriod. An existing stream is left as
// it is; a shard count or retention that differs from the declaration is logged at info.

#include "config/config.h"
#include "kinesis/action.h"

namespace kbridge::app {

// Blocks the calling thread until every declaration is handled (the actions themselves run on
// services.control). A stream that another instance creates meanwhile counts as existing. Throws
// std::runtime_error naming the stream and Kinesis's error when one cannot be created or given
// its retention period; run before the listeners, mappings and sources start.
void createDeclaredStreams(const std::vector<config::StreamDeclaration>& declared,
                           kinesis::Services& services);

}  // namespace kbridge::app
