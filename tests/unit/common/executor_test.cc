// ThreadPool: tasks run, destruction drains the queue, growTo adds threads that run tasks side by
// side. No sleeps: every wait is bounded and ends as soon as its condition holds.

#include "common/executor.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>

namespace kbridge {
namespace {

using namespace std::chrono_literals;

TEST(ThreadPoolTest, DestructionRunsEveryQueuedTask) {
  std::atomic<int> ran{0};
  {
    ThreadPool pool(2);
    for (int i = 0; i < 100; ++i) pool.post([&] { ++ran; });
  }
  EXPECT_EQ(ran.load(), 100);
}

TEST(ThreadPoolTest, GrowToAddsThreadsThatRunSideBySide) {
  ThreadPool pool(1);
  pool.growTo(3);
  EXPECT_EQ(pool.size(), 3);
  pool.growTo(2);  // never shrinks
  EXPECT_EQ(pool.size(), 3);

  // Three tasks that each wait until all three have started: only three threads finish them.
  std::mutex mutex;
  std::condition_variable all;
  int started = 0, together = 0, done = 0;
  for (int i = 0; i < 3; ++i) {
    pool.post([&] {
      std::unique_lock lock(mutex);
      ++started;
      all.notify_all();
      if (all.wait_for(lock, 10s, [&] { return started == 3; })) ++together;
      ++done;
      all.notify_all();
    });
  }
  std::unique_lock lock(mutex);
  ASSERT_TRUE(all.wait_for(lock, 30s, [&] { return done == 3; }));
  EXPECT_EQ(together, 3);
}

}  // namespace
}  // namespace kbridge
