// RateLimiter with a FakeClock: burst capacity, refill, Retry-After rounding, per-key
// independence, rate changes, unlimited rates, a clock stepping back, forgetting idle buckets,
// and exact token accounting under concurrent use.
#include "src/server/rate_limiter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <string>
#include <thread>
#include <vector>

namespace warden {
namespace {

// Acquires until refused; returns how many were allowed (stops at `cap`).
int Drain(RateLimiter& limiter, const std::string& key, double rate, double burst,
          int cap = 100000) {
  for (int i = 0; i < cap; ++i) {
    if (!limiter.Acquire(key, rate, burst).allowed) return i;
  }
  return cap;
}

TEST(RateLimiterTest, BurstThenRefusedWithRetryAfter) {
  FakeClock clock;
  RateLimiter limiter(&clock);
  // 10/s with 2 s of burst: 20 tokens.
  EXPECT_EQ(Drain(limiter, "k", 10, 2.0), 20);
  RateDecision refused = limiter.Acquire("k", 10, 2.0);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_s, 1);  // 0.1 s rounds up to 1
  // 100 ms later one token is back, and only one.
  clock.AdvanceMs(100);
  EXPECT_TRUE(limiter.Acquire("k", 10, 2.0).allowed);
  EXPECT_FALSE(limiter.Acquire("k", 10, 2.0).allowed);
  // 99 ms is not enough.
  clock.AdvanceMs(99);
  EXPECT_FALSE(limiter.Acquire("k", 10, 2.0).allowed);
  clock.AdvanceMs(1);
  EXPECT_TRUE(limiter.Acquire("k", 10, 2.0).allowed);
}

TEST(RateLimiterTest, RefillStopsAtCapacity) {
  FakeClock clock;
  RateLimiter limiter(&clock);
  EXPECT_EQ(Drain(limiter, "k", 5, 2.0), 10);
  clock.AdvanceMs(3'600'000);  // an hour idle refills only the 10-token bucket
  EXPECT_EQ(Drain(limiter, "k", 5, 2.0), 10);
  clock.AdvanceMs(1000);  // 1 s at 5/s
  EXPECT_EQ(Drain(limiter, "k", 5, 2.0), 5);
}

TEST(RateLimiterTest, RetryAfterRoundsUpWholeSeconds) {
  FakeClock clock;
  RateLimiter limiter(&clock);
  // 0.25/s: capacity max(1, 0.5) = 1; the next token needs 4 s.
  EXPECT_TRUE(limiter.Acquire("slow", 0.25).allowed);
  RateDecision d = limiter.Acquire("slow", 0.25);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after_s, 4);
  clock.AdvanceMs(1500);  // 2.5 s to go -> 3
  d = limiter.Acquire("slow", 0.25);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after_s, 3);
  clock.AdvanceMs(2499);  // 1 ms to go -> still 1, never 0
  d = limiter.Acquire("slow", 0.25);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after_s, 1);
  clock.AdvanceMs(1);
  EXPECT_TRUE(limiter.Acquire("slow", 0.25).allowed);
  // A refused request takes nothing: it did not push the next token further away.
  clock.AdvanceMs(4000);
  EXPECT_TRUE(limiter.Acquire("slow", 0.25).allowed);
}

TEST(RateLimiterTest, TinyRatesGiveALargeButValidRetryAfter) {
  FakeClock clock;
  RateLimiter limiter(&clock);
  EXPECT_TRUE(limiter.Acquire("k", 1e-12).allowed);
  RateDecision d = limiter.Acquire("k", 1e-12);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after_s, 2'147'483'647);
}

TEST(RateLimiterTest, KeysAreIndependent) {
  FakeClock clock;
  RateLimiter limiter(&clock);
  EXPECT_EQ(Drain(limiter, "a", 1, 3.0), 3);
  EXPECT_EQ(Drain(limiter, "b", 1, 3.0), 3);
  EXPECT_FALSE(limiter.Acquire("a", 1, 3.0).allowed);
  EXPECT_TRUE(limiter.Acquire("c", 1, 3.0).allowed);
}

TEST(RateLimiterTest, UnlimitedAndMinimumCapacity) {
  FakeClock clock;
  RateLimiter limiter(&clock);
  EXPECT_EQ(Drain(limiter, "free", 0, 2.0, 1000), 1000);
  EXPECT_EQ(Drain(limiter, "free2", -3, 2.0, 1000), 1000);
  EXPECT_EQ(Drain(limiter, "nan", std::nan(""), 2.0, 1000), 1000);
  EXPECT_EQ(limiter.BucketCount(), 0u);  // unlimited keys hold no state
  // Capacity is at least one token, whatever the burst.
  EXPECT_EQ(Drain(limiter, "tiny", 0.1, 0.5), 1);
  EXPECT_EQ(Drain(limiter, "noburst", 100, 0), 1);
  EXPECT_EQ(Drain(limiter, "negburst", 100, -5), 1);
}

TEST(RateLimiterTest, ARateChangeAppliesToTheExistingBucket) {
  FakeClock clock;
  RateLimiter limiter(&clock);
  EXPECT_EQ(Drain(limiter, "k", 10, 2.0), 20);
  clock.AdvanceMs(1000);
  // Now 1/s with 2 s of burst: 10 tokens refilled at the new rate would be 1; the bucket
  // refills at the rate of the call that reads it, capped at the new capacity of 2.
  EXPECT_EQ(Drain(limiter, "k", 1, 2.0), 1);
  clock.AdvanceMs(10'000);
  EXPECT_EQ(Drain(limiter, "k", 1, 2.0), 2);
}

TEST(RateLimiterTest, ClockSteppingBackRefillsNothing) {
  FakeClock clock(1'000'000);
  RateLimiter limiter(&clock);
  EXPECT_EQ(Drain(limiter, "k", 1, 2.0), 2);
  clock.SetMs(500'000);
  EXPECT_FALSE(limiter.Acquire("k", 1, 2.0).allowed);
  clock.SetMs(1'000'000);
  EXPECT_FALSE(limiter.Acquire("k", 1, 2.0).allowed);  // no credit for the jump back
  clock.SetMs(1'001'000);
  EXPECT_TRUE(limiter.Acquire("k", 1, 2.0).allowed);
}

TEST(RateLimiterTest, FullBucketsAreForgottenUnderManyKeys) {
  FakeClock clock;
  RateLimiter limiter(&clock);
  // 100,000 keys take one token each; their buckets (capacity 2 at 1/s) are full again a
  // second later, so the sweeps made room for 100,000 more drop them all.
  for (int i = 0; i < 100'000; ++i) {
    ASSERT_TRUE(limiter.Acquire("a" + std::to_string(i), 1, 2.0).allowed);
  }
  EXPECT_EQ(limiter.BucketCount(), 100'000u);
  clock.AdvanceMs(1000);
  for (int i = 0; i < 100'000; ++i) {
    ASSERT_TRUE(limiter.Acquire("b" + std::to_string(i), 1, 2.0).allowed);
  }
  // Every stripe held over 1,024 "a" buckets, so the first "b" in each swept all of them.
  EXPECT_EQ(limiter.BucketCount(), 100'000u);
  // A drained key is never forgotten: its refusal stands.
  FakeClock clock2;
  RateLimiter limiter2(&clock2);
  EXPECT_EQ(Drain(limiter2, "hot", 1, 2.0), 2);
  for (int i = 0; i < 100'000; ++i) limiter2.Acquire("x" + std::to_string(i), 1, 2.0);
  EXPECT_FALSE(limiter2.Acquire("hot", 1, 2.0).allowed);
}

TEST(RateLimiterTest, ConcurrentAcquireGrantsExactlyTheTokens) {
  FakeClock clock;
  RateLimiter limiter(&clock);
  // 8 keys of 500 tokens each (250/s, 2 s burst); 4 threads each try 400 times per key.
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 400; ++i) {
        for (int k = 0; k < 8; ++k) {
          if (limiter.Acquire("key" + std::to_string(k), 250, 2.0).allowed) ++allowed;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(allowed.load(), 8 * 500);
}

}  // namespace
}  // namespace warden
