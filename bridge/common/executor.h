#pragma once
// A fixed pool of threads for work that may block (Kafka admin calls, catalog writes), so that the
// HTTP threads never wait on Kafka (DESIGN.md §4). Tasks run in submission order per thread, in any
// order across threads. Destruction drains queued tasks and joins.

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace kbridge {

class Executor {
 public:
  virtual ~Executor() = default;
  virtual void post(std::function<void()> task) = 0;
};

class ThreadPool final : public Executor {
 public:
  explicit ThreadPool(int threads);
  ~ThreadPool() override;
  void post(std::function<void()> task) override;
  // Adds threads until there are `threads` (never removes any; nothing once destruction began).
  void growTo(int threads);
  int size();

 private:
  void work();

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

// Runs tasks inline on the caller's thread: for tests.
class InlineExecutor final : public Executor {
 public:
  void post(std::function<void()> task) override { task(); }
};

}  // namespace kbridge
