#include "src/cli/ordered_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <thread>
#include <vector>

namespace warden {
namespace {

// Work whose cost falls with the index, so later items tend to finish first and the pool has
// to hold them back to emit in order.
void Spin(size_t i, size_t count) {
  volatile uint64_t x = 0;
  for (size_t k = 0; k < (count - i) * 2000; ++k) x = x + k;
}

TEST(OrderedPoolTest, EmitsInOrderWithManyJobs) {
  for (int jobs : {1, 2, 3, 8}) {
    constexpr size_t kCount = 200;
    std::vector<int> slot(kCount, -1);
    std::vector<size_t> emitted;
    std::thread::id caller = std::this_thread::get_id();
    bool emit_on_caller = true;
    RunOrdered(
        kCount, jobs,
        [&](size_t i) {
          Spin(i, kCount);
          slot[i] = static_cast<int>(i * 3);
        },
        [&](size_t i) {
          if (std::this_thread::get_id() != caller) emit_on_caller = false;
          EXPECT_EQ(slot[i], static_cast<int>(i * 3)) << "emitted before work finished";
          emitted.push_back(i);
        });
    ASSERT_EQ(emitted.size(), kCount) << "jobs " << jobs;
    for (size_t i = 0; i < kCount; ++i) EXPECT_EQ(emitted[i], i);
    EXPECT_TRUE(emit_on_caller);
  }
}

TEST(OrderedPoolTest, UsesSeveralThreads) {
  std::atomic<int> running{0};
  std::atomic<int> max_running{0};
  std::atomic<bool> release{false};
  // Item 0 waits until a second item has started concurrently: this can only finish if at
  // least two workers run at once (it would hang, not pass, with one thread).
  RunOrdered(
      4, 2,
      [&](size_t i) {
        int now = ++running;
        int seen = max_running.load();
        while (now > seen && !max_running.compare_exchange_weak(seen, now)) {
        }
        if (i == 0) {
          while (!release.load()) std::this_thread::yield();
        } else {
          release = true;
        }
        --running;
      },
      [](size_t) {});
  EXPECT_EQ(max_running.load(), 2);
}

TEST(OrderedPoolTest, ZeroItems) {
  int calls = 0;
  RunOrdered(
      0, 4, [&](size_t) { ++calls; }, [&](size_t) { ++calls; });
  EXPECT_EQ(calls, 0);
}

TEST(OrderedPoolTest, WorkExceptionIsRethrown) {
  std::vector<size_t> emitted;
  EXPECT_THROW(RunOrdered(
                   50, 3,
                   [](size_t i) {
                     if (i == 10) throw std::runtime_error("boom");
                   },
                   [&](size_t i) { emitted.push_back(i); }),
               std::runtime_error);
  EXPECT_LE(emitted.size(), 10u);  // nothing at or after the failed item is emitted
  for (size_t i = 0; i < emitted.size(); ++i) EXPECT_EQ(emitted[i], i);
}

TEST(OrderedPoolTest, EmitExceptionStopsThePool) {
  std::vector<size_t> emitted;
  EXPECT_THROW(RunOrdered(
                   1000, 2, [](size_t) {},
                   [&](size_t i) {
                     emitted.push_back(i);
                     if (i == 5) throw std::runtime_error("write failed");
                   }),
               std::runtime_error);
  EXPECT_EQ(emitted, (std::vector<size_t>{0, 1, 2, 3, 4, 5}));  // nothing after the failure
}

}  // namespace
}  // namespace warden
