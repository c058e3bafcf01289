#include "src/index/hamming_kernels.h"

#include <gtest/gtest.h>

#include <random>

#include "src/index/random_hashes.h"

namespace warden {
namespace {

TEST(HammingKernelsTest, PlainDistanceMatchesDefinition) {
  PdqHash zero;
  PdqHash ones;
  for (uint64_t& w : ones.words) w = ~uint64_t{0};
  EXPECT_EQ(HammingDistancePlain(zero, ones), 256);
  EXPECT_EQ(HammingDistancePlain(ones, ones), 0);
  std::mt19937_64 rng(1);
  for (int d = 0; d <= 256; ++d) {
    PdqHash a = RandomPdqHash(rng);
    PdqHash b = FlipRandomBits(a, d, rng);
    EXPECT_EQ(HammingDistancePlain(a, b), d);
    EXPECT_EQ(HammingDistance(a, b), d);
  }
}

void ExpectSameHits(const std::vector<ScanHit>& a, const std::vector<ScanHit>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].index, b[i].index);
    EXPECT_EQ(a[i].distance, b[i].distance);
  }
}

TEST(HammingKernelsTest, PopcntScanEqualsPlainScan) {
  if (!PopcntAvailable()) GTEST_SKIP() << "CPU without POPCNT";
  std::mt19937_64 rng(2);
  PdqHash query = RandomPdqHash(rng);
  std::vector<PdqHash> base;
  for (int d = 0; d <= 256; ++d) base.push_back(FlipRandomBits(query, d, rng));
  for (int i = 0; i < 2000; ++i) base.push_back(RandomPdqHash(rng));
  for (int t : {0, 1, 31, 32, 100, 128, 140, 255, 256}) {
    std::vector<ScanHit> plain, fast;
    ScanPlain(base.data(), base.size(), query, t, &plain);
    ScanPopcnt(base.data(), base.size(), query, t, &fast);
    ExpectSameHits(plain, fast);
    // The planted hash at distance d is at index d: every d <= t must be among the hits.
    size_t planted = 0;
    for (const ScanHit& h : plain) {
      EXPECT_LE(h.distance, static_cast<uint32_t>(t));
      if (h.index <= 256) {
        EXPECT_EQ(h.distance, h.index);
        ++planted;
      }
    }
    EXPECT_EQ(planted, static_cast<size_t>(t) + 1);
  }
}

TEST(HammingKernelsTest, DispatchPicksPopcntWhenAvailable) {
  EXPECT_EQ(ScanKernel() == &ScanPopcnt, PopcntAvailable());
  EXPECT_STREQ(ScanKernelName(), PopcntAvailable() ? "popcnt" : "plain");
}

}  // namespace
}  // namespace warden
