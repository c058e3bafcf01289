// RateLimiter: a token bucket per API key. Each key refills at `rate` requests per second up to
// `burst` tokens; a request takes one token or is refused with the seconds after which one will
// be there (the Retry-After of the 429 answer, rounded up, at least 1).
//
// Thread safety: Acquire may be called from many threads at once (striped locks).
#ifndef WARDEN_SRC_SERVER_RATE_LIMITER_H_
#define WARDEN_SRC_SERVER_RATE_LIMITER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "warden/clock.h"

namespace warden {

struct RateDecision {
  bool allowed = true;
  int retry_after_s = 0;  // when !allowed: whole seconds until a token is available (>= 1)
};

class RateLimiter {
 public:
  // `clock` (not owned; nullptr = the system clock) lets tests move time by hand.
  explicit RateLimiter(const Clock* clock = nullptr);
  ~RateLimiter();
  // Takes one token from `key`'s bucket, created full on first use with capacity
  // max(1, rate * burst_seconds). rate <= 0 means unlimited.
  RateDecision Acquire(std::string_view key, double rate, double burst_seconds = 2.0);
  // Buckets held now. A bucket that has refilled to capacity may be forgotten (it would be
  // re-created full, so no decision changes); this keeps memory bounded under many keys.
  size_t BucketCount() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace warden

#endif  // WARDEN_SRC_SERVER_RATE_LIMITER_H_
