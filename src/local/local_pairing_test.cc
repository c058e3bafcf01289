#include "src/local/local_pairing.h"

#include <bitset>
#include <cstring>
#include <random>
#include <vector>

#include <gtest/gtest.h>

namespace warden {
namespace {

int NaiveDistance(const LocalKeypoint& a, const LocalKeypoint& b) {
  int d = 0;
  for (int i = 0; i < kLocalDescriptorBytes; ++i) {
    d += static_cast<int>(std::bitset<8>(a.descriptor[i] ^ b.descriptor[i]).count());
  }
  return d;
}

std::vector<LocalKeypoint> RandomKeypoints(std::mt19937& rng, int n) {
  std::vector<LocalKeypoint> out(n);
  for (LocalKeypoint& k : out) {
    for (uint8_t& b : k.descriptor) b = static_cast<uint8_t>(rng());
  }
  return out;
}

LocalKeypoint Flipped(const LocalKeypoint& k, std::mt19937& rng, int bits) {
  LocalKeypoint out = k;
  for (int i = 0; i < bits; ++i) {
    const int bit = static_cast<int>(rng() % 256);
    out.descriptor[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
  }
  return out;
}

TEST(LocalPairingTest, AgreesWithNaiveNearestTwo) {
  std::mt19937 rng(7);
  std::vector<LocalKeypoint> query = RandomKeypoints(rng, 300);
  const std::vector<LocalKeypoint> reference = RandomKeypoints(rng, 60);
  // Half the reference keypoints reappear in the query with a few bits flipped.
  for (int i = 0; i < 30; ++i) query[i * 7] = Flipped(reference[i], rng, static_cast<int>(i % 40));
  const PairingOptions options{64, 0.8};
  const std::vector<DescriptorPair> pairs = PairDescriptors(query, reference, options);

  int expected = 0;
  for (size_t r = 0; r < reference.size(); ++r) {
    int best = 1000, second = 1000, best_q = -1;
    for (size_t q = 0; q < query.size(); ++q) {
      const int d = NaiveDistance(query[q], reference[r]);
      if (d < best) {
        second = best;
        best = d;
        best_q = static_cast<int>(q);
      } else if (d < second) {
        second = d;
      }
    }
    const bool kept = best <= 64 && best < 0.8 * second;
    expected += kept ? 1 : 0;
    const auto it = std::find_if(pairs.begin(), pairs.end(), [&](const DescriptorPair& p) {
      return p.reference == static_cast<int>(r);
    });
    ASSERT_EQ(it != pairs.end(), kept) << "reference " << r;
    if (kept) {
      EXPECT_EQ(it->query, best_q);
      EXPECT_EQ(it->distance, best);
      EXPECT_EQ(it->second, std::min(second, 81));
    }
  }
  EXPECT_EQ(static_cast<int>(pairs.size()), expected);
  EXPECT_EQ(expected, 30);  // every planted copy (<= 39 flipped bits), no random descriptor
  EXPECT_STRNE(PairingKernelName(), "");
}

TEST(LocalPairingTest, EachQueryKeypointPairsOnceWithTheCloserReference) {
  std::mt19937 rng(3);
  std::vector<LocalKeypoint> query = RandomKeypoints(rng, 20);
  std::vector<LocalKeypoint> reference = {Flipped(query[5], rng, 10), Flipped(query[5], rng, 3)};
  const std::vector<DescriptorPair> pairs = PairDescriptors(query, reference, {64, 0.8});
  ASSERT_EQ(pairs.size(), 1u);
  EXPECT_EQ(pairs[0].query, 5);
  EXPECT_EQ(pairs[0].reference, 1);
  EXPECT_LE(pairs[0].distance, 3);
}

TEST(LocalPairingTest, RatioTestDropsAmbiguousPairs) {
  std::mt19937 rng(11);
  std::vector<LocalKeypoint> reference = RandomKeypoints(rng, 1);
  // Two query descriptors equally near the reference: ambiguous, dropped.
  std::vector<LocalKeypoint> query = {Flipped(reference[0], rng, 4), Flipped(reference[0], rng, 4)};
  query[1] = query[0];
  EXPECT_TRUE(PairDescriptors(query, reference, {64, 0.8}).empty());
  EXPECT_TRUE(PairDescriptors({}, reference, {64, 0.8}).empty());
  EXPECT_TRUE(PairDescriptors(query, {}, {64, 0.8}).empty());
}

}  // namespace
}  // namespace warden
