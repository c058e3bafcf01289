#include "src/server/rate_limiter.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <iterator>
#include <mutex>
#include <string>
#include <unordered_map>

namespace warden {
namespace {

// 64 stripes: with a few dozen request threads, two requests for different keys rarely wait
// on the same lock, and the array stays a few KB.
constexpr size_t kStripes = 64;
// A stripe with this many buckets drops the full ones (see Stripe::Sweep).
constexpr size_t kSweepAt = 1024;
// Retry-After for absurdly small rates stays a valid int (about 68 years).
constexpr double kMaxRetryAfterS = 2'147'483'647.0;

struct Bucket {
  double tokens = 0;
  int64_t last_ms = 0;
  double rate = 0;      // of the last call, for Sweep
  double capacity = 0;  // likewise
};

// Lets find() take the string_view without building a std::string per request.
struct KeyHash {
  using is_transparent = void;
  size_t operator()(std::string_view key) const { return std::hash<std::string_view>{}(key); }
};

struct Stripe {
  std::mutex mu;
  std::unordered_map<std::string, Bucket, KeyHash, std::equal_to<>> buckets;
  size_t sweep_at = kSweepAt;
};

}  // namespace

class RateLimiter::Impl {
 public:
  explicit Impl(const Clock* clock) : clock_(clock != nullptr ? clock : SystemClock::Default()) {}

  RateDecision Acquire(std::string_view key, double rate, double burst_seconds) {
    // rate <= 0 (and NaN, which compares false) means unlimited.
    if (!(rate > 0)) return {};
    const double capacity =
        std::max(1.0, std::isfinite(burst_seconds) ? rate * burst_seconds : 1.0);
    const int64_t now = clock_->NowMs();
    // The stripe comes from the hash's high bits; the map inside uses all of them.
    Stripe& stripe = stripes_[(KeyHash{}(key) >> 20) % kStripes];
    std::lock_guard<std::mutex> lock(stripe.mu);
    auto it = stripe.buckets.find(key);
    if (it == stripe.buckets.end()) {
      if (stripe.buckets.size() >= stripe.sweep_at) Sweep(stripe, now);
      it = stripe.buckets.emplace(std::string(key), Bucket{capacity, now, rate, capacity}).first;
    } else if (now > it->second.last_ms) {
      Bucket& b = it->second;
      b.tokens = std::min(capacity, b.tokens + static_cast<double>(now - b.last_ms) * rate / 1000);
      b.last_ms = now;
    } else {
      // A clock that stepped back refills nothing; the bucket's time stays where it was.
      it->second.tokens = std::min(capacity, it->second.tokens);
    }
    Bucket& b = it->second;
    b.rate = rate;
    b.capacity = capacity;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return {};
    }
    double wait_s = std::ceil((1 - b.tokens) / rate);
    RateDecision refused;
    refused.allowed = false;
    refused.retry_after_s = static_cast<int>(std::clamp(wait_s, 1.0, kMaxRetryAfterS));
    return refused;
  }

  size_t BucketCount() {
    size_t n = 0;
    for (Stripe& s : stripes_) {
      std::lock_guard<std::mutex> lock(s.mu);
      n += s.buckets.size();
    }
    return n;
  }

 private:
  // Drops buckets that have refilled to capacity at their key's last rate: re-created on the
  // key's next request, a bucket starts full, which is what it would hold anyway. Keeps memory
  // bounded when many distinct keys pass through. The next sweep waits until the stripe has
  // doubled, so a flood of busy keys costs amortised O(1) per new key.
  static void Sweep(Stripe& stripe, int64_t now) {
    for (auto it = stripe.buckets.begin(); it != stripe.buckets.end();) {
      const Bucket& b = it->second;
      const double idle_ms = static_cast<double>(std::max<int64_t>(0, now - b.last_ms));
      it = b.tokens + idle_ms * b.rate / 1000 >= b.capacity ? stripe.buckets.erase(it)
                                                            : std::next(it);
    }
    stripe.sweep_at = std::max(kSweepAt, 2 * stripe.buckets.size());
  }

  const Clock* const clock_;
  std::array<Stripe, kStripes> stripes_;
};

RateLimiter::RateLimiter(const Clock* clock) : impl_(std::make_unique<Impl>(clock)) {}

RateLimiter::~RateLimiter() = default;

RateDecision RateLimiter::Acquire(std::string_view key, double rate, double burst_seconds) {
  return impl_->Acquire(key, rate, burst_seconds);
}

size_t RateLimiter::BucketCount() const { return impl_->BucketCount(); }

}  // namespace warden
