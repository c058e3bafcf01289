#include "src/image/cmyk.h"

#include <gtest/gtest.h>

#include <vector>

namespace warden::image_internal {
namespace {

TEST(CmykTest, PlainSamplesUseRoundedProduct) {
  // C, M, Y, K ink amounts (0 = no ink).
  const std::vector<uint8_t> cmyk = {
      0,   0,   0,   0,    // white
      255, 255, 255, 0,    // full CMY: black
      0,   255, 255, 0,    // red
      0,   0,   0,   128,  // grey: round(255 * 127 / 255) = 127
      100, 50,  0,   60,   // checked below
  };
  std::vector<uint8_t> rgb(5 * 3);
  CmykToRgb(cmyk.data(), /*inverted=*/false, 5, rgb.data());
  EXPECT_EQ(rgb[0], 255);
  EXPECT_EQ(rgb[1], 255);
  EXPECT_EQ(rgb[2], 255);
  EXPECT_EQ(rgb[3], 0);
  EXPECT_EQ(rgb[5], 0);
  EXPECT_EQ(rgb[6], 255);
  EXPECT_EQ(rgb[7], 0);
  EXPECT_EQ(rgb[8], 0);
  EXPECT_EQ(rgb[9], 127);
  // (255-100)*(255-60) = 30225 -> 30225/255 = 118.53 -> 119; (205*195)/255 = 156.76 -> 157;
  // 255*195/255 = 195.
  EXPECT_EQ(rgb[12], 119);
  EXPECT_EQ(rgb[13], 157);
  EXPECT_EQ(rgb[14], 195);
}

TEST(CmykTest, InvertedSamplesAreFlippedFirst) {
  const uint8_t plain[4] = {100, 50, 0, 60};
  const uint8_t inverted[4] = {155, 205, 255, 195};
  uint8_t a[3];
  uint8_t b[3];
  CmykToRgb(plain, false, 1, a);
  CmykToRgb(inverted, true, 1, b);
  EXPECT_EQ(a[0], b[0]);
  EXPECT_EQ(a[1], b[1]);
  EXPECT_EQ(a[2], b[2]);
}

TEST(CmykTest, EqualsExactRoundingForEveryInkAndBlack) {
  uint8_t px[4];
  uint8_t out[3];
  for (int ink = 0; ink < 256; ++ink) {
    for (int black = 0; black < 256; ++black) {
      px[0] = px[1] = px[2] = static_cast<uint8_t>(ink);
      px[3] = static_cast<uint8_t>(black);
      CmykToRgb(px, false, 1, out);
      const double exact = (255.0 - ink) * (255.0 - black) / 255.0;
      ASSERT_EQ(out[0], static_cast<int>(exact + 0.5)) << ink << " " << black;
    }
  }
}

}  // namespace
}  // namespace warden::image_internal
