#pragma once
// Injected time, so tests control it.

#include <chrono>
#include <cstdint>

namespace kbridge {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::int64_t nowMillis() const = 0;  // epoch milliseconds
};

class SystemClock final : public Clock {
 public:
  std::int64_t nowMillis() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

class ManualClock final : public Clock {
 public:
  explicit ManualClock(std::int64_t now = 0) : now_(now) {}
  std::int64_t nowMillis() const override { return now_; }
  void set(std::int64_t now) { now_ = now; }
  void advance(std::int64_t ms) { now_ += ms; }

 private:
  std::int64_t now_;
};

}  // namespace kbridge
