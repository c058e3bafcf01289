#include <gtest/gtest.h>
#include <webp/encode.h>
#include <webp/mux.h>

#include <vector>

#include "src/image/decoders.h"
#include "src/image/test_images.h"

namespace warden::image_internal {
namespace {

using test_images::MaxDifference;
using test_images::Pattern;

std::vector<uint8_t> EncodeLossless(int width, int height, const std::vector<uint8_t>& rgb) {
  uint8_t* out = nullptr;
  const size_t size = WebPEncodeLosslessRGB(rgb.data(), width, height, width * 3, &out);
  std::vector<uint8_t> bytes(out, out + size);
  WebPFree(out);
  return bytes;
}

std::vector<uint8_t> EncodeLossy(int width, int height, const std::vector<uint8_t>& rgb) {
  uint8_t* out = nullptr;
  const size_t size = WebPEncodeRGB(rgb.data(), width, height, width * 3, 95, &out);
  std::vector<uint8_t> bytes(out, out + size);
  WebPFree(out);
  return bytes;
}

TEST(WebpDecoderTest, LosslessRoundTripsExactly) {
  const auto pixels = Pattern(31, 17, 3);
  auto image = DecodeWebp(EncodeLossless(31, 17, pixels), {});
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  EXPECT_EQ(image->format, ImageFormat::kWebp);
  EXPECT_EQ(image->width, 31);
  EXPECT_EQ(image->height, 17);
  EXPECT_EQ(image->channels, 3);
  EXPECT_EQ(image->pixels, pixels);
}

TEST(WebpDecoderTest, LossyIsClose) {
  std::vector<uint8_t> smooth(64 * 32 * 3);
  for (int i = 0; i < 64 * 32; ++i) {
    smooth[3 * i] = static_cast<uint8_t>(60 + (i % 64));
    smooth[3 * i + 1] = static_cast<uint8_t>(80 + (i / 64));
    smooth[3 * i + 2] = 120;
  }
  auto image = DecodeWebp(EncodeLossy(64, 32, smooth), {});
  ASSERT_TRUE(image.ok());
  EXPECT_LE(MaxDifference(image->pixels, smooth), 12);
}

TEST(WebpDecoderTest, AlphaIsDroppedWithoutCompositing) {
  const auto rgba = Pattern(12, 10, 4);
  uint8_t* out = nullptr;
  const size_t size = WebPEncodeLosslessRGBA(rgba.data(), 12, 10, 12 * 4, &out);
  std::vector<uint8_t> bytes(out, out + size);
  WebPFree(out);
  auto image = DecodeWebp(bytes, {});
  ASSERT_TRUE(image.ok());
  ASSERT_EQ(image->channels, 3);
  for (size_t i = 0; i < 12 * 10; ++i) {
    // libwebp's lossless encoder may change RGB under fully transparent pixels.
    if (rgba[4 * i + 3] == 0) continue;
    ASSERT_EQ(image->pixels[3 * i], rgba[4 * i]) << i;
    ASSERT_EQ(image->pixels[3 * i + 2], rgba[4 * i + 2]) << i;
  }
}

TEST(WebpDecoderTest, AnimationGivesFirstFrameOnCanvas) {
  // Two frames of 8x6 on a 10x8 canvas; the first at offset (2, 2).
  const auto first = Pattern(8, 6, 4);
  std::vector<uint8_t> opaque = first;
  for (size_t i = 3; i < opaque.size(); i += 4) opaque[i] = 255;
  WebPAnimEncoderOptions anim_options;
  ASSERT_TRUE(WebPAnimEncoderOptionsInit(&anim_options));
  anim_options.allow_mixed = 0;
  WebPAnimEncoder* encoder = WebPAnimEncoderNew(10, 8, &anim_options);
  ASSERT_NE(encoder, nullptr);
  WebPConfig config;
  ASSERT_TRUE(WebPConfigInit(&config));
  config.lossless = 1;
  std::vector<uint8_t> canvas(10 * 8 * 4, 0);
  for (int y = 0; y < 6; ++y) {
    for (int x = 0; x < 8; ++x) {
      for (int c = 0; c < 4; ++c)
        canvas[((y + 2) * 10 + x + 2) * 4 + c] = opaque[(y * 8 + x) * 4 + c];
    }
  }
  WebPPicture picture;
  ASSERT_TRUE(WebPPictureInit(&picture));
  picture.use_argb = 1;
  picture.width = 10;
  picture.height = 8;
  ASSERT_TRUE(WebPPictureImportRGBA(&picture, canvas.data(), 10 * 4));
  ASSERT_TRUE(WebPAnimEncoderAdd(encoder, &picture, 0, &config));
  std::vector<uint8_t> second(10 * 8 * 4, 255);
  ASSERT_TRUE(WebPPictureImportRGBA(&picture, second.data(), 10 * 4));
  ASSERT_TRUE(WebPAnimEncoderAdd(encoder, &picture, 100, &config));
  ASSERT_TRUE(WebPAnimEncoderAdd(encoder, nullptr, 200, &config));
  WebPData data;
  WebPDataInit(&data);
  ASSERT_TRUE(WebPAnimEncoderAssemble(encoder, &data));
  std::vector<uint8_t> bytes(data.bytes, data.bytes + data.size);
  WebPDataClear(&data);
  WebPPictureFree(&picture);
  WebPAnimEncoderDelete(encoder);

  auto image = DecodeWebp(bytes, {});
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  EXPECT_EQ(image->width, 10);
  EXPECT_EQ(image->height, 8);
  for (int y = 0; y < 6; ++y) {
    for (int x = 0; x < 8; ++x) {
      for (int c = 0; c < 3; ++c) {
        ASSERT_EQ(image->pixels[((y + 2) * 10 + x + 2) * 3 + c], opaque[(y * 8 + x) * 4 + c]);
      }
    }
  }
}

TEST(WebpDecoderTest, HugeHeaderIsTooLarge) {
  auto bytes = EncodeLossless(8, 8, Pattern(8, 8, 3));
  ASSERT_EQ(bytes[20], 0x2F);  // VP8L signature; 14-bit width-1 and height-1 follow
  bytes[21] = 0xFF;
  bytes[22] = 0xFF;
  bytes[23] = 0xFF;
  bytes[24] = 0x0F;
  auto result = DecodeWebp(bytes, {});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kTooLarge);
  EXPECT_EQ(result.status().message(),
            "WebP: image is 16384x16384, over the limit of 100000000 pixels");
}

TEST(WebpDecoderTest, TruncatedIsTruncated) {
  const auto valid = EncodeLossy(64, 64, Pattern(64, 64, 3));
  std::vector<uint8_t> cut(valid.begin(), valid.begin() + valid.size() / 2);
  auto result = DecodeWebp(cut, {});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kTruncated);
}

TEST(WebpDecoderTest, HostileInputsAreRejected) {
  auto decode = [](const std::vector<uint8_t>& b) { return DecodeWebp(b, {}); };
  test_images::ExpectHostileInputsRejected(decode, EncodeLossy(40, 30, Pattern(40, 30, 3)));
  test_images::ExpectHostileInputsRejected(decode, EncodeLossless(40, 30, Pattern(40, 30, 3)));
}

}  // namespace
}  // namespace warden::image_internal
