#pragma once
// SendGate: how many hand-overs ("sends") of records to librdkafka a partition has in flight,
// and the records that wait for one. Nagle's algorithm for the producer: records that find their
// partition idle go at once (no linger); small records that arrive while it has a send in flight
// are held here, in arrival order, and go together when a send ends; large ones (a PutRecords
// batch) are handed over at once, up to 5 sends per partition.
//
// Why not leave it to librdkafka with linger.ms 0: librdkafka 2.0.2's idempotent producer sends
// nothing more for a partition once 5 of its *messages* are in flight (it compares the in-flight
// message count with its 5-request window), and with more records queued its broker thread sets
// its next wake-up to "now" and spins on poll(0) until the response arrives
// (rd_kafka_toppar_producer_serve computes the wake-up before it applies that limit). Under 16
// concurrent PutRecord clients that was ~600,000 poll calls a second, taking CPU from kbridge and
// the broker on a small machine; with the gate, ~11,000, and PutRecord throughput rose by two
// thirds (bench/README.md has the figures). Large batches still queue behind one another inside
// librdkafka (and the thread spins while they do), but handing them over at once measured better
// than holding them: librdkafka sends the next one the moment a response arrives. linger.ms > 0
// would batch too, but librdkafka's broker thread sleeps in whole milliseconds, so a lone
// PutRecord would wait ~1 ms for nothing.
//
// Threading: every member is safe from any thread. The gate only counts and queues; the caller
// hands records over outside its lock. Items are whatever the caller uses to find a record again
// (the producer's delivery slots); the gate never dereferences them.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace kbridge::kafka {

template <typename Item>
class SendGate {
  using Key = std::pair<std::string, std::int32_t>;
  struct Partition {
    int inFlight = 0;
    std::deque<Item> held;
    std::size_t heldBytes = 0;
  };
  using Partitions = std::map<Key, Partition>;  // only partitions with a send in flight

 public:
  // One admitted hand-over. Lives until finish(); the caller counts its records down.
  struct Send {
    typename Partitions::iterator partition;
    std::atomic<std::size_t> remaining;
    std::atomic<bool> timedOut{false};
  };

  // `maxInFlight`: sends per partition at most. `parallelBytes`: while a partition has a send in
  // flight, a new one starts only once the records waiting for it reach this size; smaller ones
  // wait for a send to end and then go together (Nagle's algorithm: a small request's cost is per
  // request). `maxHeldBytes`: what all partitions together may hold; records beyond it are refused,
  // as a full librdkafka queue refuses them (back-pressure, never unbounded growth while Kafka is
  // slow).
  SendGate(int maxInFlight, std::size_t parallelBytes, std::size_t maxHeldBytes)
      : maxInFlight_(maxInFlight < 1 ? 1 : maxInFlight),
        parallelBytes_(parallelBytes),
        maxHeldBytes_(maxHeldBytes) {}
  SendGate(const SendGate&) = delete;
  SendGate& operator=(const SendGate&) = delete;

  // Records to hand over now, and the Send to hand them over under; no items and no send when
  // there is nothing to hand over. Items without a send fail: from offer(), `refused` (the gate
  // holds its maximum; the caller fails them as a full queue); from finish(), the send had timed
  // out, and the caller fails the partition's held records with the same error instead of making
  // them wait out a timeout of their own behind it.
  // `alone`: the send is the partition's only one in flight (it found the partition idle).
  struct Next {
    std::string topic;
    std::int32_t partition = 0;
    std::vector<Item> items;
    Send* send = nullptr;
    bool refused = false;
    bool alone = false;
  };

  // Offers `items` (non-empty, in order; `bytes` in all) for one partition. They go at once when
  // the partition is idle; otherwise they wait behind the records already held, and all of those
  // go together if that makes them large enough and a send is free.
  Next offer(const std::string& topic, std::int32_t partition, std::vector<Item> items,
             std::size_t bytes) {
    Next next{topic, partition, {}, nullptr, false, false};
    std::lock_guard lock(mutex_);
    const auto it = partitions_.try_emplace({topic, partition}).first;
    Partition& p = it->second;
    if (p.inFlight == 0 ||
        (p.inFlight < maxInFlight_ && p.held.empty() && bytes >= parallelBytes_)) {
      next.items = std::move(items);
      startSend(it, next);
      return next;
    }
    if (heldBytes_ + bytes > maxHeldBytes_) {
      next.items = std::move(items);
      next.refused = true;
      return next;
    }
    for (auto& item : items) p.held.push_back(std::move(item));
    p.heldBytes += bytes;
    heldBytes_ += bytes;
    held_ += items.size();
    if (p.inFlight < maxInFlight_ && p.heldBytes >= parallelBytes_) take(it, next, /*send=*/true);
    return next;
  }

  // Counts `n` records of `send` as reported; true when they were its last ones (then call
  // finish). Marks the send timed out when `timedOut`.
  bool delivered(Send* send, std::size_t n, bool timedOut) {
    if (timedOut) send->timedOut.store(true);
    return send->remaining.fetch_sub(n) == n;
  }

  // Ends `send` (every record reported) and deletes it. Hands back the partition's held records.
  Next finish(Send* send) {
    Next next;
    std::lock_guard lock(mutex_);
    const auto it = send->partition;
    Partition& p = it->second;
    const bool timedOut = send->timedOut.load();
    delete send;
    --p.inFlight;
    if (!p.held.empty()) {
      next.topic = it->first.first;
      next.partition = it->first.second;
      take(it, next, /*send=*/!timedOut);
    }
    if (p.inFlight == 0 && p.held.empty()) partitions_.erase(it);
    return next;
  }

  // Records held (not yet handed over).
  std::size_t held() const {
    std::lock_guard lock(mutex_);
    return held_;
  }

 private:
  // Moves every held record of the partition into `next`, under a new send if `send`.
  void take(typename Partitions::iterator it, Next& next, bool send) {
    Partition& p = it->second;
    next.items.assign(std::make_move_iterator(p.held.begin()),
                      std::make_move_iterator(p.held.end()));
    p.held.clear();
    heldBytes_ -= p.heldBytes;
    p.heldBytes = 0;
    held_ -= next.items.size();
    if (send) startSend(it, next);
  }

  // Starts a send of `next.items` on the partition.
  void startSend(typename Partitions::iterator it, Next& next) {
    next.alone = it->second.inFlight == 0;
    ++it->second.inFlight;
    next.send = new Send{it, next.items.size()};
  }

  const int maxInFlight_;
  const std::size_t parallelBytes_;
  const std::size_t maxHeldBytes_;
  mutable std::mutex mutex_;
  Partitions partitions_;
  std::size_t held_ = 0;       // records
  std::size_t heldBytes_ = 0;  // their keys and values
};

}  // namespace kbridge::kafka
