// PeriodicTask without sleeps: an hour-long interval, so only pokes make it run; every wait is on a
// future, bounded.

#include "common/periodic.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>

namespace kbridge {
namespace {

using namespace std::chrono_literals;

TEST(PeriodicTaskTest, APokeRunsTheTaskOnItsOwnThread) {
  std::promise<std::thread::id> ran;
  std::atomic<int> runs{0};
  PeriodicTask task(1h, [&] {
    if (runs++ == 0) ran.set_value(std::this_thread::get_id());
  });
  auto future = ran.get_future();
  task.poke();
  ASSERT_EQ(future.wait_for(10s), std::future_status::ready);
  EXPECT_NE(future.get(), std::this_thread::get_id());
}

TEST(PeriodicTaskTest, APokeDuringARunAsksForOneMoreAndRunsNeverOverlap) {
  std::promise<void> firstStarted, release, secondRan;
  auto releaseFuture = release.get_future().share();
  std::atomic<int> runs{0}, inside{0}, overlaps{0};
  PeriodicTask task(1h, [&] {
    if (inside++ != 0) ++overlaps;
    const int n = ++runs;
    if (n == 1) {
      firstStarted.set_value();
      releaseFuture.wait_for(10s);
    } else if (n == 2) {
      secondRan.set_value();
    }
    --inside;
  });
  task.poke();
  ASSERT_EQ(firstStarted.get_future().wait_for(10s), std::future_status::ready);
  task.poke();  // while the first run blocks
  task.poke();  // coalesced with the one before
  release.set_value();
  ASSERT_EQ(secondRan.get_future().wait_for(10s), std::future_status::ready);
  EXPECT_EQ(overlaps.load(), 0);
}

TEST(PeriodicTaskTest, DestructionDuringARunLetsItFinish) {
  std::promise<void> started, release;
  auto releaseFuture = release.get_future().share();
  std::atomic<bool> finished{false};
  std::atomic<int> runs{0};
  auto task = std::make_unique<PeriodicTask>(1h, [&] {
    if (runs++ == 0) started.set_value();
    releaseFuture.wait_for(10s);
    finished = true;
  });
  task->poke();
  ASSERT_EQ(started.get_future().wait_for(10s), std::future_status::ready);
  auto destroyed = std::async(std::launch::async, [&] { task.reset(); });
  release.set_value();
  ASSERT_EQ(destroyed.wait_for(10s), std::future_status::ready);
  EXPECT_TRUE(finished);
  EXPECT_EQ(runs.load(), 1);  // no poke was pending: stopping starts no other run
}

}  // namespace
}  // namespace kbridge
