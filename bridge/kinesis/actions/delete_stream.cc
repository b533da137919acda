// DeleteStream: mark the stream DELETING in the catalog, delete its topic, then remove the record.
// Returns when the stream is gone, so a CreateStream of the same name can follow at once.

#include "kafka/admin.h"
#include "kafka/fetcher.h"
#include "kinesis/actions/actions.h"
#include "kinesis/actions/common.h"
#include "kinesis/kafka_error_mapping.h"
#include "streams/catalog.h"

namespace kbridge::kinesis::actions {
namespace {

ApiResult<Json> deleteStream(const Json& input, WireFormat, Services& services) {
  auto name = streamNameOf(input, services);
  if (!name) return fail(name.error());
  std::lock_guard writeLock(services.catalog->writeMutex());
  auto meta = loadStream(*name, services);
  if (!meta) return fail(meta.error());
  if (auto ok = refuseAdopted(*meta, services, "delete"); !ok) return fail(ok.error());
  const bool enforce = input.value("EnforceConsumerDeletion", false);
  if (!meta->consumers.empty() && !enforce) {
    return apiError(ErrorType::kResourceInUse,
                    "Stream " + *name + " under account " + services.config->kinesis.accountId +
                        " has registered consumers. Delete them first or set "
                        "EnforceConsumerDeletion.");
  }
  if (meta->status != streams::StreamStatus::kDeleting) {
    meta->status = streams::StreamStatus::kDeleting;
    if (auto put = services.catalog->put(*meta); !put) return fail(toApiError(put.error()));
  }
  services.fetcher->forgetTopic(meta->topic);  // before the topic goes (see Fetcher)
  auto deleted = services.admin->deleteTopic(meta->topic);
  if (!deleted && deleted.error().kind != kafka::KafkaErrorKind::kUnknownTopic) {
    // The stream stays DELETING; a retried DeleteStream finishes the job.
    return fail(toApiError(deleted.error()));
  }
  if (auto erased = services.catalog->erase(*name); !erased) {
    return fail(toApiError(erased.error()));
  }
  return noOutput();
}

}  // namespace

void deleteStream(ActionCall call) {
  runOnControl(std::move(call), &deleteStream);
}

}  // namespace kbridge::kinesis::actions
