#pragma once
// PeriodicTask: runs a task on a thread of its own every `interval` and whenever poke() asks, so
// that a task which may block on Kafka (e.g. the adopted topics' refresh) never holds up the thread
// that pokes it (serve's signal loop). Runs never overlap; a poke during a run asks for one more.
// The destructor stops the thread, after the run in progress if any.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace kbridge {

class PeriodicTask {
 public:
  PeriodicTask(std::chrono::milliseconds interval, std::function<void()> task);
  ~PeriodicTask();
  PeriodicTask(const PeriodicTask&) = delete;
  PeriodicTask& operator=(const PeriodicTask&) = delete;

  // Asks for a run now (or right after the one in progress).
  void poke();

 private:
  void run();

  const std::chrono::milliseconds interval_;
  const std::function<void()> task_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool poked_ = false;
  bool stopping_ = false;
  std::thread thread_;  // last: started once the members above exist
};

}  // namespace kbridge
