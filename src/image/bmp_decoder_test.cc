#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "src/image/decoders.h"
#include "src/image/test_images.h"

namespace warden::image_internal {
namespace {

using test_images::Pattern;

void Put16(std::vector<uint8_t>& b, uint32_t v) {
  b.push_back(v & 0xFF);
  b.push_back((v >> 8) & 0xFF);
}
void Put32(std::vector<uint8_t>& b, uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back((v >> (8 * i)) & 0xFF);
}

struct BmpSpec {
  int width = 0;
  int height = 0;  // negative: top-down
  int bpp = 24;
  uint32_t compression = 0;
  std::vector<uint32_t> masks;      // bit fields, written after a 40-byte header
  std::vector<uint8_t> palette;     // B, G, R, 0 entries
  std::vector<uint8_t> pixel_data;  // exactly as stored
};

// Writes a BITMAPINFOHEADER file around already-encoded pixel data.
std::vector<uint8_t> WriteBmp(const BmpSpec& s) {
  std::vector<uint8_t> b = {'B', 'M'};
  const uint32_t offset = 14 + 40 + 4 * s.masks.size() + s.palette.size();
  Put32(b, offset + s.pixel_data.size());
  Put32(b, 0);
  Put32(b, offset);
  Put32(b, 40);
  Put32(b, static_cast<uint32_t>(s.width));
  Put32(b, static_cast<uint32_t>(s.height));
  Put16(b, 1);
  Put16(b, s.bpp);
  Put32(b, s.compression);
  Put32(b, s.pixel_data.size());
  Put32(b, 2835);
  Put32(b, 2835);
  Put32(b, s.palette.size() / 4);
  Put32(b, 0);
  for (uint32_t m : s.masks) Put32(b, m);
  b.insert(b.end(), s.palette.begin(), s.palette.end());
  b.insert(b.end(), s.pixel_data.begin(), s.pixel_data.end());
  return b;
}

// 24-bit rows (BGR, padded to 4 bytes), bottom-up unless top_down.
std::vector<uint8_t> Rows24(int width, int height, const std::vector<uint8_t>& rgb, bool top_down) {
  std::vector<uint8_t> out;
  const int stride = (width * 3 + 3) / 4 * 4;
  for (int r = 0; r < height; ++r) {
    const int y = top_down ? r : height - 1 - r;
    for (int x = 0; x < width; ++x) {
      const uint8_t* p = &rgb[(y * width + x) * 3];
      out.insert(out.end(), {p[2], p[1], p[0]});
    }
    out.resize(out.size() + stride - width * 3);
  }
  return out;
}

TEST(BmpDecoderTest, TwentyFourBitBothRowOrders) {
  const auto rgb = Pattern(13, 7, 3);  // 13 * 3 = 39 bytes: rows need padding
  for (bool top_down : {false, true}) {
    BmpSpec spec{13, top_down ? -7 : 7, 24, 0, {}, {}, Rows24(13, 7, rgb, top_down)};
    auto image = DecodeBmp(WriteBmp(spec), {});
    ASSERT_TRUE(image.ok()) << image.status().ToString();
    EXPECT_EQ(image->format, ImageFormat::kBmp);
    EXPECT_EQ(image->width, 13);
    EXPECT_EQ(image->height, 7);
    EXPECT_EQ(image->channels, 3);
    EXPECT_EQ(image->pixels, rgb) << "top_down " << top_down;
  }
}

TEST(BmpDecoderTest, ThirtyTwoBitRgbAndBitfields) {
  // Two pixels: BI_RGB stores B, G, R, X.
  BmpSpec plain{2, 1, 32, 0, {}, {}, {1, 2, 3, 99, 4, 5, 6, 99}};
  auto image = DecodeBmp(WriteBmp(plain), {});
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  EXPECT_EQ(image->pixels, (std::vector<uint8_t>{3, 2, 1, 6, 5, 4}));

  // BI_BITFIELDS with R in the low byte: 0x00CCBBAA -> R=AA, G=BB, B=CC.
  BmpSpec fields{1, 1, 32, 3, {0x000000FF, 0x0000FF00, 0x00FF0000}, {}, {0xAA, 0xBB, 0xCC, 0}};
  image = DecodeBmp(WriteBmp(fields), {});
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  EXPECT_EQ(image->pixels, (std::vector<uint8_t>{0xAA, 0xBB, 0xCC}));
}

TEST(BmpDecoderTest, SixteenBitScalesByBitReplication) {
  // 5-6-5: R=31, G=32, B=1 -> 255, 130 (100000 -> 10000010), 8 (00001 -> 00001000).
  const uint16_t pixel = (31 << 11) | (32 << 5) | 1;
  BmpSpec spec{1,
               1,
               16,
               3,
               {0xF800, 0x07E0, 0x001F},
               {},
               {uint8_t(pixel & 0xFF), uint8_t(pixel >> 8), 0, 0}};
  auto image = DecodeBmp(WriteBmp(spec), {});
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  EXPECT_EQ(image->pixels, (std::vector<uint8_t>{255, 130, 8}));
}

TEST(BmpDecoderTest, PaletteBitDepths) {
  const std::vector<uint8_t> palette = {30, 20, 10, 0, 60, 50, 40, 0, 90, 80, 70, 0};
  // 8-bit: indices 2, 0, 1 (row padded to 4 bytes).
  auto image = DecodeBmp(WriteBmp({3, 1, 8, 0, {}, palette, {2, 0, 1, 0}}), {});
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  EXPECT_EQ(image->pixels, (std::vector<uint8_t>{70, 80, 90, 10, 20, 30, 40, 50, 60}));
  // 4-bit: high nibble first: 1, 2, 0.
  image = DecodeBmp(WriteBmp({3, 1, 4, 0, {}, palette, {0x12, 0x00, 0, 0}}), {});
  ASSERT_TRUE(image.ok());
  EXPECT_EQ(image->pixels, (std::vector<uint8_t>{40, 50, 60, 70, 80, 90, 10, 20, 30}));
  // 1-bit: most significant bit first: 1, 0, 1.
  image = DecodeBmp(WriteBmp({3, 1, 1, 0, {}, {0, 0, 0, 0, 9, 8, 7, 0}, {0xA0, 0, 0, 0}}), {});
  ASSERT_TRUE(image.ok());
  EXPECT_EQ(image->pixels, (std::vector<uint8_t>{7, 8, 9, 0, 0, 0, 7, 8, 9}));
}

TEST(BmpDecoderTest, GreyRampPaletteGivesOneChannel) {
  std::vector<uint8_t> ramp;
  for (int i = 0; i < 256; ++i) ramp.insert(ramp.end(), {uint8_t(i), uint8_t(i), uint8_t(i), 0});
  auto image = DecodeBmp(WriteBmp({4, 1, 8, 0, {}, ramp, {0, 77, 200, 255}}), {});
  ASSERT_TRUE(image.ok());
  EXPECT_EQ(image->channels, 1);
  EXPECT_EQ(image->pixels, (std::vector<uint8_t>{0, 77, 200, 255}));
  // Black and white at 1 bit is grey too: 0/255.
  image =
      DecodeBmp(WriteBmp({2, 1, 1, 0, {}, {0, 0, 0, 0, 255, 255, 255, 0}, {0x40, 0, 0, 0}}), {});
  ASSERT_TRUE(image.ok());
  EXPECT_EQ(image->channels, 1);
  EXPECT_EQ(image->pixels, (std::vector<uint8_t>{0, 255}));
}

TEST(BmpDecoderTest, Rle8AndRle4) {
  const std::vector<uint8_t> palette = {0, 0, 0, 0, 1, 1, 1, 0, 2, 2, 2, 0, 3, 3, 3, 0};
  // RLE8, 4x2 bottom-up. Bottom row: a run of 3 x index 1, end of line. Top row: an absolute
  // run of 4 pixels 3, 2, 1, 0, end of bitmap.
  std::vector<uint8_t> rle8 = {3, 1, 0, 0, 0, 4, 3, 2, 1, 0, 0, 1};
  auto image = DecodeBmp(WriteBmp({4, 2, 8, 1, {}, palette, rle8}), {});
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  // The palette is the grey ramp 0..3, so the output is 1 channel of indices. Top row first;
  // the bottom row's last pixel was skipped (index 0).
  ASSERT_EQ(image->channels, 1);
  EXPECT_EQ(image->pixels, (std::vector<uint8_t>{3, 2, 1, 0, 1, 1, 1, 0}));
  // RLE4, 4x1: run of 4 alternating nibbles 2,3 then EOB.
  std::vector<uint8_t> rle4 = {4, 0x23, 0, 1};
  image = DecodeBmp(WriteBmp({4, 1, 4, 2, {}, palette, rle4}), {});
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  EXPECT_EQ(image->pixels, (std::vector<uint8_t>{2, 3, 2, 3}));
  // Data that stops mid-bitmap without an end marker.
  image = DecodeBmp(WriteBmp({4, 2, 8, 1, {}, palette, {3, 1}}), {});
  ASSERT_FALSE(image.ok());
  EXPECT_EQ(image.status().code(), StatusCode::kTruncated);
}

TEST(BmpDecoderTest, RefusesWhatItCannotRead) {
  auto result = DecodeBmp(WriteBmp({2, 2, 24, 4, {}, {}, std::vector<uint8_t>(16)}), {});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kUnsupportedFormat);
  result = DecodeBmp(WriteBmp({2, 2, 7, 0, {}, {}, std::vector<uint8_t>(16)}), {});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kCorruptData);
  result = DecodeBmp(WriteBmp({1, 1, 32, 3, {0x0F0F, 0xF000, 0xFF0000}, {}, {0, 0, 0, 0}}), {});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().message(), "BMP: colour masks are empty or not contiguous");
  result = DecodeBmp(WriteBmp({0, 2, 24, 0, {}, {}, {}}), {});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kCorruptData);
}

TEST(BmpDecoderTest, HugeHeaderIsTooLarge) {
  auto result = DecodeBmp(WriteBmp({100000, -100000, 24, 0, {}, {}, std::vector<uint8_t>(64)}), {});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kTooLarge);
  EXPECT_EQ(result.status().message(),
            "BMP: image is 100000x100000, over the limit of 100000000 pixels");
}

TEST(BmpDecoderTest, MissingPixelsAreTruncated) {
  auto bytes = WriteBmp({13, 7, 24, 0, {}, {}, Rows24(13, 7, Pattern(13, 7, 3), false)});
  bytes.pop_back();  // one byte of the last row missing
  auto result = DecodeBmp(bytes, {});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kTruncated);
}

TEST(BmpDecoderTest, HostileInputsAreRejected) {
  auto decode = [](const std::vector<uint8_t>& b) { return DecodeBmp(b, {}); };
  test_images::ExpectHostileInputsRejected(
      decode, WriteBmp({40, 30, 24, 0, {}, {}, Rows24(40, 30, Pattern(40, 30, 3), false)}));
}

}  // namespace
}  // namespace warden::image_internal
