#include "common/executor.h"

namespace kbridge {

ThreadPool::ThreadPool(int threads) {
  growTo(threads);
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  ready_.notify_all();
  // No thread is added once stopping_ is set, so threads_ no longer changes.
  for (auto& t : threads_) t.join();
}

void ThreadPool::growTo(int threads) {
  std::lock_guard lock(mutex_);
  if (stopping_) return;
  while (static_cast<int>(threads_.size()) < threads) threads_.emplace_back([this] { work(); });
}

int ThreadPool::size() {
  std::lock_guard lock(mutex_);
  return static_cast<int>(threads_.size());
}

void ThreadPool::work() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock lock(mutex_);
      ready_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
      if (tasks_.empty()) return;  // stopping and drained
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
}

void ThreadPool::post(std::function<void()> task) {
  {
    std::lock_guard lock(mutex_);
    tasks_.push_back(std::move(task));
  }
  ready_.notify_one();
}

}  // namespace kbridge
