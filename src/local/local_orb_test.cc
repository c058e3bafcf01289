#include "src/local/local_orb.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "src/local/local_pyramid.h"

namespace warden::local {
namespace {

constexpr double kPi = 3.14159265358979323846;

GreyImage Filled(int w, int h, uint8_t v) {
  GreyImage g;
  g.width = w;
  g.height = h;
  g.pixels.assign(static_cast<size_t>(w) * h, v);
  return g;
}

TEST(LocalOrbTest, DeterministicTrigMatchesLibm) {
  for (double y = -3; y <= 3; y += 0.37) {
    for (double x = -3; x <= 3; x += 0.41) {
      EXPECT_NEAR(DeterministicAtan2(y, x), std::atan2(y, x), 1e-12) << y << " " << x;
    }
  }
  EXPECT_EQ(DeterministicAtan2(0, 0), 0);
  EXPECT_NEAR(DeterministicAtan2(0, -1), kPi, 1e-12);
  for (double a = -7; a <= 7; a += 0.13) {
    double s = 0;
    double c = 0;
    DeterministicSinCos(a, &s, &c);
    EXPECT_NEAR(s, std::sin(a), 1e-12);
    EXPECT_NEAR(c, std::cos(a), 1e-12);
  }
}

TEST(LocalOrbTest, FastFindsTheCornerOfASquareOnly) {
  GreyImage g = Filled(60, 60, 40);
  for (int y = 30; y < 60; ++y) {
    for (int x = 30; x < 60; ++x) g.pixels[y * 60 + x] = 200;
  }
  const std::vector<FastCorner> c = DetectFastCorners(g, 20, 3);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_NEAR(c[0].x, 30, 1);
  EXPECT_NEAR(c[0].y, 30, 1);
  EXPECT_GT(c[0].score, 0);
  // A corner nearer the edge than the margin is not tested.
  EXPECT_TRUE(DetectFastCorners(g, 20, 31).empty());
  // Below the contrast threshold nothing is found.
  EXPECT_TRUE(DetectFastCorners(g, 170, 3).empty());
  EXPECT_GT(HarrisResponse(g, c[0].x, c[0].y), 0);
  // On a straight edge Harris is negative (one dominant gradient direction).
  EXPECT_LT(HarrisResponse(g, 45, 30), 0);
}

TEST(LocalOrbTest, CentroidAnglePointsToTheBrightSide) {
  GreyImage g = Filled(64, 64, 0);
  for (int y = 0; y < 64; ++y) {
    for (int x = 32; x < 64; ++x) g.pixels[y * 64 + x] = 255;  // bright to the right
  }
  EXPECT_NEAR(IntensityCentroidAngle(g, 32, 32), 0, 0.1);
  GreyImage v = Filled(64, 64, 0);
  for (int y = 40; y < 64; ++y) {
    for (int x = 0; x < 64; ++x) v.pixels[y * 64 + x] = 255;  // bright below (+y)
  }
  EXPECT_NEAR(IntensityCentroidAngle(v, 32, 32), kPi / 2, 0.1);
}

TEST(LocalOrbTest, DescriptorRotatesWithThePatch) {
  // A random patch and its exact 90-degree rotation give the same bits when the descriptor
  // angle differs by pi/2 (8 of the 32 bins, no rounding).
  GreyImage g = Filled(41, 41, 0);
  uint32_t s = 12345;
  for (auto& p : g.pixels) {
    s = s * 1664525u + 1013904223u;
    p = static_cast<uint8_t>(s >> 24);
  }
  GreyImage r = Filled(41, 41, 0);
  for (int y = 0; y < 41; ++y) {
    for (int x = 0; x < 41; ++x) r.pixels[x * 41 + (40 - y)] = g.pixels[y * 41 + x];
  }
  uint8_t a[32];
  uint8_t b[32];
  ComputeDescriptor(g, 20, 20, 0.3f, a);
  ComputeDescriptor(r, 20, 20, 0.3f + static_cast<float>(kPi / 2), b);
  for (int i = 0; i < 32; ++i) EXPECT_EQ(a[i], b[i]) << i;
  ComputeDescriptor(r, 20, 20, 0.3f, b);
  int differ = 0;
  for (int i = 0; i < 32; ++i) differ += __builtin_popcount(a[i] ^ b[i]);
  EXPECT_GT(differ, 64);
}

TEST(LocalPyramidTest, AreaResampleAveragesAndKeepsFlatImagesFlat) {
  const GreyImage flat = Filled(100, 70, 77);
  const GreyImage f = ResampleArea(flat, 37, 23);
  for (uint8_t p : f.pixels) EXPECT_EQ(p, 77);
  GreyImage stripes = Filled(4, 2, 0);
  for (int y = 0; y < 2; ++y) stripes.pixels[y * 4 + 1] = stripes.pixels[y * 4 + 3] = 200;
  const GreyImage h = ResampleArea(stripes, 2, 1);
  EXPECT_EQ(h.pixels[0], 100);
  EXPECT_EQ(h.pixels[1], 100);
  const GreyImage third = ResampleArea(stripes, 3, 2);  // [0 200 0 200] -> 4/3-pixel bins
  EXPECT_EQ(third.pixels[0], 50);                       // 1 * 0 + 1/3 * 200 over 4/3
  EXPECT_EQ(third.pixels[1], 100);                      // 2/3 * 200 + 2/3 * 0
  EXPECT_EQ(third.pixels[2], 150);
}

TEST(LocalPyramidTest, BilinearEnlargementInterpolatesBetweenPixelCentres) {
  const GreyImage flat = Filled(75, 50, 123);
  const GreyImage f = EnlargeBilinear(flat, 150, 100);
  ASSERT_EQ(f.width, 150);
  ASSERT_EQ(f.height, 100);
  for (uint8_t p : f.pixels) EXPECT_EQ(p, 123);
  // Two pixels 0 and 200, doubled: output centres fall at source x = -0.25, 0.25, 0.75, 1.25,
  // clamped at the edges: 0, 50, 150, 200.
  GreyImage two = Filled(2, 1, 0);
  two.pixels[1] = 200;
  const GreyImage d = EnlargeBilinear(two, 4, 1);
  EXPECT_EQ(d.pixels, (std::vector<uint8_t>{0, 50, 150, 200}));
  // Both directions at once: a 2x2 of 0, 100 / 100, 200 tripled has its centre pixel at the
  // mean (source 0.5, 0.5) and its corners at the corner pixels.
  GreyImage quad = Filled(2, 2, 0);
  quad.pixels = {0, 100, 100, 200};
  const GreyImage t = EnlargeBilinear(quad, 3, 3);
  EXPECT_EQ(t.pixels[4], 100);
  EXPECT_EQ(t.pixels[0], 0);
  EXPECT_EQ(t.pixels[8], 200);
  // The same size copies.
  EXPECT_EQ(EnlargeBilinear(quad, 2, 2).pixels, quad.pixels);
}

TEST(LocalPyramidTest, LumaAndSmoothing) {
  Image rgb;
  rgb.width = 2;
  rgb.height = 1;
  rgb.channels = 3;
  rgb.pixels = {255, 0, 0, 10, 20, 30};
  const GreyImage l = ToLuma(rgb);
  EXPECT_EQ(l.pixels[0], 77);  // (77 * 255 + 128) >> 8
  EXPECT_EQ(l.pixels[1], 18);  // (770 + 3000 + 870 + 128) >> 8
  GreyImage dot = Filled(9, 9, 0);
  dot.pixels[4 * 9 + 4] = 255;
  const GreyImage s = SmoothBinomial5(dot);
  EXPECT_EQ(s.pixels[4 * 9 + 4], 36);  // 255 * 36 / 256
  EXPECT_EQ(s.pixels[2 * 9 + 2], 1);   // 255 / 256 rounds to 1
  EXPECT_EQ(s.pixels[0], 0);
}

}  // namespace
}  // namespace warden::local
