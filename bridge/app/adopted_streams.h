#pragma once
// The Kafka topics a config exposes as streams (`streams.adopt`, DESIGN.md §3), so that
// Kafka-native producers and consumers share data with Kinesis clients. At start-up each adopted
// topic without a catalog record gets one: a shard per partition (hash-key ranges as CreateStream
// would give them), the retention its topic's retention.ms says, a generation of its own. The
// topic itself is left as it is: kbridge never creates, deletes or reconfigures it (DeleteStream
// and the retention actions refuse), and its records are read as they are.

#include "config/config.h"
#include "kinesis/action.h"

namespace kbridge::app {

// Blocks until every adoption is recorded in the catalog; run after createDeclaredStreams and
// before the listeners, mappings and sources start. Throws std::runtime_error naming the stream
// when a topic does not exist, or the name belongs to another topic or to a stream kbridge created.
// An adoption already recorded is kept (its partitioner follows the config, its shards the topic's
// partitions: see refreshAdoptedStreams).
void adoptStreams(const std::vector<config::StreamAdoption>& adopt, kinesis::Services& services);

// Grows each adopted stream whose topic has gained partitions since (Kafka can only add them): one
// shard per partition again, the hash-key ranges split anew as CreateStream would split them (the
// existing shards keep their ids and sequence numbers; a key may route to another shard, as a
// native producer's key moves to another partition). Never throws: a problem is logged and the
// stream stays as it is. adoptStreams runs it at start-up; serve runs it every minute and on
// SIGHUP.
void refreshAdoptedStreams(const std::vector<config::StreamAdoption>& adopt,
                           kinesis::Services& services);

// RetentionPeriodHours of a topic whose retention.ms is `retentionMs` (nullopt: the topic has no
// override and the broker's default of 168 hours is assumed): whole hours rounded up, and 8760
// (Kinesis's maximum) for an unlimited retention (-1) or a longer one.
int retentionHoursOf(std::optional<std::int64_t> retentionMs);

}  // namespace kbridge::app
