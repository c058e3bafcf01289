// Clock: the one seam through which Warden reads wall-clock time, so that timestamps and
// time-dependent rules (an item's disable_until) can be tested with a clock the test moves.
//
// Times are Unix epoch milliseconds (int64). SystemClock reads the real clock; FakeClock
// returns whatever the test set.
//
// Thread safety: NowMs() may be called from any thread on every implementation here.
// FakeClock's setters are atomic too, so a test may move time while other threads read it.
#ifndef WARDEN_CLOCK_H_
#define WARDEN_CLOCK_H_

#include <atomic>
#include <chrono>
#include <cstdint>

namespace warden {

class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds since the Unix epoch.
  virtual int64_t NowMs() const = 0;
};

// The real wall clock (std::chrono::system_clock).
class SystemClock final : public Clock {
 public:
  int64_t NowMs() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  // A process-wide instance; never destroyed, so it may be used during static teardown.
  static const Clock* Default() {
    static const SystemClock* const clock = new SystemClock();
    return clock;
  }
};

// A clock for tests: starts at `start_ms` and moves only when told to.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t start_ms = 1'700'000'000'000) : now_ms_(start_ms) {}
  int64_t NowMs() const override { return now_ms_.load(std::memory_order_relaxed); }
  void SetMs(int64_t now_ms) { now_ms_.store(now_ms, std::memory_order_relaxed); }
  void AdvanceMs(int64_t delta_ms) { now_ms_.fetch_add(delta_ms, std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> now_ms_;
};

}  // namespace warden

#endif  // WARDEN_CLOCK_H_
