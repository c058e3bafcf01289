#include <gtest/gtest.h>
#include <png.h>
#include <zlib.h>

#include <chrono>
#include <cstring>
#include <vector>

#include "src/image/decoders.h"
#include "src/image/test_images.h"

namespace warden::image_internal {
namespace {

using test_images::Pattern;

// Encodes `samples` (rows of png_get_rowbytes bytes, already packed for bit_depth) with
// libpng. `palette`/`trans` are used for palette images.
std::vector<uint8_t> EncodePng(int width, int height, int bit_depth, int color_type,
                               const std::vector<uint8_t>& samples, bool interlace = false,
                               const std::vector<png_color>& palette = {},
                               const std::vector<uint8_t>& trans = {}) {
  std::vector<uint8_t> out;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  png_set_write_fn(
      png, &out,
      [](png_structp p, png_bytep data, png_size_t n) {
        auto* v = static_cast<std::vector<uint8_t>*>(png_get_io_ptr(p));
        v->insert(v->end(), data, data + n);
      },
      nullptr);
  png_set_IHDR(png, info, width, height, bit_depth, color_type,
               interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  if (!palette.empty()) png_set_PLTE(png, info, palette.data(), static_cast<int>(palette.size()));
  if (!trans.empty()) {
    png_set_tRNS(png, info, trans.data(), static_cast<int>(trans.size()), nullptr);
  }
  png_write_info(png, info);
  const size_t row_bytes = png_get_rowbytes(png, info);
  std::vector<png_bytep> rows(height);
  for (int y = 0; y < height; ++y) {
    rows[y] = const_cast<png_bytep>(samples.data()) + y * row_bytes;
  }
  png_write_image(png, rows.data());
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

TEST(PngDecoderTest, RgbRoundTripsExactly) {
  const auto pixels = Pattern(37, 23, 3);
  auto image = DecodePng(EncodePng(37, 23, 8, PNG_COLOR_TYPE_RGB, pixels), {});
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  EXPECT_EQ(image->format, ImageFormat::kPng);
  EXPECT_EQ(image->width, 37);
  EXPECT_EQ(image->height, 23);
  EXPECT_EQ(image->source_width, 37);
  EXPECT_EQ(image->channels, 3);
  EXPECT_EQ(image->pixels, pixels);
}

TEST(PngDecoderTest, InterlacedRgbRoundTripsExactly) {
  const auto pixels = Pattern(19, 17, 3);
  auto image = DecodePng(EncodePng(19, 17, 8, PNG_COLOR_TYPE_RGB, pixels, true), {});
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  EXPECT_EQ(image->pixels, pixels);
}

TEST(PngDecoderTest, RgbaDropsAlphaWithoutCompositing) {
  const auto rgba = Pattern(16, 9, 4);
  auto image = DecodePng(EncodePng(16, 9, 8, PNG_COLOR_TYPE_RGBA, rgba), {});
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  ASSERT_EQ(image->channels, 3);
  for (size_t i = 0; i < 16 * 9; ++i) {
    ASSERT_EQ(image->pixels[3 * i], rgba[4 * i]);
    ASSERT_EQ(image->pixels[3 * i + 1], rgba[4 * i + 1]);
    ASSERT_EQ(image->pixels[3 * i + 2], rgba[4 * i + 2]);
  }
}

TEST(PngDecoderTest, GreyAndGreyAlphaGiveOneChannel) {
  const auto grey = Pattern(12, 8, 1);
  auto image = DecodePng(EncodePng(12, 8, 8, PNG_COLOR_TYPE_GRAY, grey), {});
  ASSERT_TRUE(image.ok());
  EXPECT_EQ(image->channels, 1);
  EXPECT_EQ(image->pixels, grey);

  const auto grey_alpha = Pattern(12, 8, 2);
  image = DecodePng(EncodePng(12, 8, 8, PNG_COLOR_TYPE_GRAY_ALPHA, grey_alpha), {});
  ASSERT_TRUE(image.ok());
  ASSERT_EQ(image->channels, 1);
  for (size_t i = 0; i < 12 * 8; ++i) ASSERT_EQ(image->pixels[i], grey_alpha[2 * i]);
}

TEST(PngDecoderTest, SixteenBitKeepsHighByte) {
  std::vector<uint8_t> samples = {0x12, 0x34, 0xAB, 0xFF, 0x00, 0x80, 0xFF, 0x01};  // 4 x 1
  auto image = DecodePng(EncodePng(4, 1, 16, PNG_COLOR_TYPE_GRAY, samples), {});
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  EXPECT_EQ(image->pixels, (std::vector<uint8_t>{0x12, 0xAB, 0x00, 0xFF}));
}

TEST(PngDecoderTest, BilevelBecomesZeroAnd255) {
  std::vector<uint8_t> samples = {0b10110000};  // 4 x 1 at 1 bit
  auto image = DecodePng(EncodePng(4, 1, 1, PNG_COLOR_TYPE_GRAY, samples), {});
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  EXPECT_EQ(image->pixels, (std::vector<uint8_t>{255, 0, 255, 255}));
}

TEST(PngDecoderTest, TwoBitGreyExpandsToFullRange) {
  std::vector<uint8_t> samples = {0b00011011};  // 0, 1, 2, 3
  auto image = DecodePng(EncodePng(4, 1, 2, PNG_COLOR_TYPE_GRAY, samples), {});
  ASSERT_TRUE(image.ok());
  EXPECT_EQ(image->pixels, (std::vector<uint8_t>{0, 85, 170, 255}));
}

TEST(PngDecoderTest, PaletteBecomesRgbAndIgnoresTrns) {
  const std::vector<png_color> palette = {{10, 20, 30}, {200, 100, 50}, {0, 255, 0}};
  std::vector<uint8_t> samples = {0, 1, 2, 1};  // 4 x 1 at 8 bits
  auto image = DecodePng(
      EncodePng(4, 1, 8, PNG_COLOR_TYPE_PALETTE, samples, false, palette, {0, 128, 255}), {});
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  ASSERT_EQ(image->channels, 3);
  EXPECT_EQ(image->pixels,
            (std::vector<uint8_t>{10, 20, 30, 200, 100, 50, 0, 255, 0, 200, 100, 50}));
}

TEST(PngDecoderTest, FourBitPaletteExpands) {
  const std::vector<png_color> palette = {{1, 2, 3}, {4, 5, 6}};
  std::vector<uint8_t> samples = {0x01, 0x10};  // 4 x 1 at 4 bits: 0, 1, 1, 0
  auto image = DecodePng(EncodePng(4, 1, 4, PNG_COLOR_TYPE_PALETTE, samples, false, palette), {});
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  EXPECT_EQ(image->pixels, (std::vector<uint8_t>{1, 2, 3, 4, 5, 6, 4, 5, 6, 1, 2, 3}));
}

// Rewrites IHDR's size (and its CRC, so only the size is wrong).
std::vector<uint8_t> WithHeaderSize(std::vector<uint8_t> png, uint32_t width, uint32_t height) {
  auto put32 = [&](size_t at, uint32_t v) {
    png[at] = v >> 24;
    png[at + 1] = v >> 16;
    png[at + 2] = v >> 8;
    png[at + 3] = v;
  };
  put32(16, width);
  put32(20, height);
  put32(29, static_cast<uint32_t>(crc32(0, png.data() + 12, 17)));
  return png;
}

TEST(PngDecoderTest, HugeHeaderIsTooLargeBeforeAnyAllocation) {
  const auto valid = EncodePng(8, 8, 8, PNG_COLOR_TYPE_RGB, Pattern(8, 8, 3));
  auto result = DecodePng(WithHeaderSize(valid, 100000, 100000), {});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kTooLarge);
  EXPECT_EQ(result.status().message(),
            "PNG: image is 100000x100000, over the limit of 100000000 pixels");

  DecodeOptions small;
  small.max_pixels = 63;
  result = DecodePng(valid, small);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kTooLarge);
  small.max_pixels = 64;  // the limit is inclusive
  EXPECT_TRUE(DecodePng(valid, small).ok());
}

TEST(PngDecoderTest, ZeroWidthIsCorrupt) {
  const auto valid = EncodePng(8, 8, 8, PNG_COLOR_TYPE_RGB, Pattern(8, 8, 3));
  auto result = DecodePng(WithHeaderSize(valid, 0, 8), {});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kCorruptData);
}

TEST(PngDecoderTest, TruncatedDataIsTruncated) {
  const auto valid = EncodePng(40, 30, 8, PNG_COLOR_TYPE_RGB, Pattern(40, 30, 3));
  std::vector<uint8_t> cut(valid.begin(), valid.begin() + valid.size() / 2);
  auto result = DecodePng(cut, {});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kTruncated);
  EXPECT_EQ(result.status().message(), "PNG: premature end of data");
}

TEST(PngDecoderTest, BadCrcIsCorrupt) {
  auto bytes = EncodePng(8, 8, 8, PNG_COLOR_TYPE_RGB, Pattern(8, 8, 3));
  bytes[29] ^= 0xFF;  // IHDR CRC
  auto result = DecodePng(bytes, {});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kCorruptData);
  EXPECT_NE(result.status().message().find("PNG: "), std::string::npos);
}

TEST(PngDecoderTest, HostileInputsAreRejected) {
  test_images::ExpectHostileInputsRejected(
      [](const std::vector<uint8_t>& b) { return DecodePng(b, {}); },
      EncodePng(40, 30, 8, PNG_COLOR_TYPE_RGB, Pattern(40, 30, 3)));
}

}  // namespace
}  // namespace warden::image_internal
