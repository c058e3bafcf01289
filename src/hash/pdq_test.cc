#include "warden/pdq.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "src/hash/pdq_naive.h"

namespace warden {
namespace {

TEST(PdqHexTest, LayoutAndRoundTrip) {
  PdqHash h;
  EXPECT_EQ(h.ToHex(), std::string(64, '0'));
  h.set_bit(0);
  EXPECT_EQ(h.ToHex(), std::string(63, '0') + "1");
  PdqHash top;
  top.set_bit(255);  // bit 15 of word 15: the first hex digit
  EXPECT_EQ(top.ToHex(), "8" + std::string(63, '0'));
  PdqHash mid;
  mid.set_bit(16 * 1 + 4);  // word 1, bit 4: 0x0010 in the second-to-last group
  EXPECT_EQ(mid.ToHex(), std::string(56, '0') + "00100000");

  const std::string hex = "d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22";
  auto parsed = PdqHash::FromHex(hex);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->ToHex(), hex);
  auto upper = PdqHash::FromHex("D8F8F0CEE0F4A84F0637022A078F67F0B36E2ED596621E1D33E6339C4E9C9B22");
  ASSERT_TRUE(upper.ok());
  EXPECT_EQ(*upper, *parsed);
}

TEST(PdqHexTest, RejectsMalformed) {
  const std::string good(64, 'a');
  EXPECT_FALSE(PdqHash::FromHex(good.substr(0, 63)).ok());
  EXPECT_FALSE(PdqHash::FromHex(good + "a").ok());
  EXPECT_FALSE(PdqHash::FromHex("").ok());
  // The 32-character "PDQ" that once crashed HMA's index rebuild (DOMAIN.md).
  auto short_hash = PdqHash::FromHex(std::string(32, 'f'));
  ASSERT_FALSE(short_hash.ok());
  EXPECT_EQ(short_hash.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(short_hash.status().message().find("got 32 characters"), std::string::npos);
  std::string bad = good;
  bad[10] = 'g';
  auto r = PdqHash::FromHex(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("'g' at position 11"), std::string::npos);
  EXPECT_FALSE(PdqHash::FromHex("0x" + good.substr(2)).ok());
  bad = good;
  bad[0] = ' ';
  EXPECT_FALSE(PdqHash::FromHex(bad).ok());
  bad[0] = '\0';
  EXPECT_FALSE(PdqHash::FromHex(bad).ok());
}

TEST(PdqDistanceTest, Hamming) {
  PdqHash a, b;
  EXPECT_EQ(HammingDistance(a, b), 0);
  for (int k = 0; k < 256; k += 8) b.set_bit(k);
  EXPECT_EQ(HammingDistance(a, b), 32);
  EXPECT_EQ(b.popcount(), 32);
  auto x = PdqHash::FromHex(std::string(64, 'f'));
  ASSERT_TRUE(x.ok());
  EXPECT_EQ(HammingDistance(a, *x), 256);
  EXPECT_EQ(HammingDistance(*x, b), 224);
}

std::vector<float> RandomLuma(int rows, int cols, uint32_t seed, bool smooth) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(0.0f, 255.0f);
  std::vector<float> v(static_cast<size_t>(rows) * cols);
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < cols; ++c) {
      float val = u(rng);
      if (smooth) val = 0.5f * val + 60.0f * (1.0f + std::sin(r * 0.05f) * std::cos(c * 0.03f));
      v[static_cast<size_t>(r) * cols + c] = val;
    }
  }
  return v;
}

TEST(PdqCoreTest, TooSmallHashesToZero) {
  for (auto [rows, cols] : std::vector<std::pair<int, int>>{{4, 4}, {4, 100}, {100, 4}, {0, 0}}) {
    std::vector<float> luma(static_cast<size_t>(rows) * cols + 1, 100.0f);
    PdqResult r = ComputePdqFromLuma(luma.data(), rows, cols, true);
    EXPECT_TRUE(r.too_small);
    EXPECT_TRUE(r.hash.is_zero());
    EXPECT_EQ(r.quality, 0);
    EXPECT_TRUE(r.dihedral[3].is_zero());
  }
  std::vector<float> five(25, 7.0f);
  EXPECT_FALSE(ComputePdqFromLuma(five.data(), 5, 5, false).too_small);
}

TEST(PdqCoreTest, FlatImages) {
  std::vector<float> black(100 * 80, 0.0f);
  PdqResult r = ComputePdqFromLuma(black.data(), 80, 100, false);
  EXPECT_TRUE(r.hash.is_zero());
  EXPECT_EQ(r.quality, 0);
  std::vector<float> grey(64 * 64, 128.0f);
  r = ComputePdqFromLuma(grey.data(), 64, 64, false);
  EXPECT_EQ(r.quality, 0);
  // PDQ.md: a mid-grey image gets a non-zero hash driven by rounding (MANIFEST row s01).
  EXPECT_EQ(r.hash.ToHex(), "000000002c4b11342c4b2c4b0000554b00002c4b113411342c4b585e2c4b017e");
}

// The optimised core must equal the direct transcription bit for bit, at every size class:
// tiny, 64x64 (no blur), windows 1..8, odd sizes, fewer rows than 64 (repeated samples).
TEST(PdqCoreTest, OptimisedEqualsNaive) {
  const std::vector<std::pair<int, int>> sizes = {
      {5, 5},     {5, 9},     {7, 300},   {50, 1000}, {63, 64},    {64, 64},   {64, 65},
      {65, 65},   {100, 160}, {127, 129}, {128, 256}, {200, 300},  {399, 224}, {512, 512},
      {700, 300}, {1004, 1600}, {1030, 777}};
  uint32_t seed = 1;
  for (auto [rows, cols] : sizes) {
    for (bool smooth : {false, true}) {
      std::vector<float> luma = RandomLuma(rows, cols, seed++, smooth);
      PdqResult fast = ComputePdqFromLuma(luma.data(), rows, cols, true);
      PdqResult naive = NaivePdqFromLuma(luma.data(), rows, cols, true);
      SCOPED_TRACE(testing::Message() << rows << "x" << cols << (smooth ? " smooth" : " noise"));
      EXPECT_EQ(fast.hash.ToHex(), naive.hash.ToHex());
      EXPECT_EQ(fast.quality, naive.quality);
      for (int k = 0; k < kDihedralCount; ++k) {
        EXPECT_EQ(fast.dihedral[k].ToHex(), naive.dihedral[k].ToHex()) << DihedralName(Dihedral(k));
      }
      EXPECT_EQ(fast.hash, fast.dihedral[0]);
    }
  }
}

TEST(PdqCoreTest, Deterministic) {
  std::vector<float> luma = RandomLuma(300, 400, 99, true);
  PdqResult a = ComputePdqFromLuma(luma.data(), 300, 400, false);
  PdqResult b = ComputePdqFromLuma(luma.data(), 300, 400, false);
  EXPECT_EQ(a.hash, b.hash);
  EXPECT_EQ(a.hash.popcount(), 128);  // a normal hash has 128 one-bits
  EXPECT_EQ(a.quality, 100);
}

TEST(PdqCoreTest, LumaFromImage) {
  Image rgb;
  rgb.width = 8;
  rgb.height = 8;
  rgb.channels = 3;
  Image grey = rgb;
  grey.channels = 1;
  std::vector<float> luma;
  for (int i = 0; i < 64; ++i) {
    const uint8_t r = static_cast<uint8_t>(i * 3), g = static_cast<uint8_t>(255 - i),
                  b = static_cast<uint8_t>(i * i % 256);
    rgb.pixels.insert(rgb.pixels.end(), {r, g, b});
    grey.pixels.push_back(g);
    luma.push_back(0.299f * r + 0.587f * g + 0.114f * b);
  }
  EXPECT_EQ(ComputePdq(rgb, false).hash, ComputePdqFromLuma(luma.data(), 8, 8, false).hash);
  std::vector<float> gl(grey.pixels.begin(), grey.pixels.end());
  EXPECT_EQ(ComputePdq(grey, false).hash, ComputePdqFromLuma(gl.data(), 8, 8, false).hash);
}

}  // namespace
}  // namespace warden
