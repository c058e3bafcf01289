#include <gtest/gtest.h>
// clang-format off
#include <cstdio>  // jpeglib.h needs FILE and size_t declared first.
#include <jpeglib.h>
// clang-format on

#include <cstdlib>
#include <vector>

#include "src/image/decoders.h"
#include "src/image/test_images.h"
#include "warden/image.h"

namespace warden::image_internal {
namespace {

using test_images::MaxDifference;
using test_images::Pattern;

// Encodes `pixels` (components per pixel given by in_space) with libjpeg at `quality`.
std::vector<uint8_t> EncodeJpeg(int width, int height, J_COLOR_SPACE in_space, int components,
                                const std::vector<uint8_t>& pixels, int quality = 95,
                                bool progressive = false) {
  jpeg_compress_struct cinfo;
  jpeg_error_mgr jerr;
  cinfo.err = jpeg_std_error(&jerr);
  jpeg_create_compress(&cinfo);
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&cinfo, &buffer, &size);
  cinfo.image_width = width;
  cinfo.image_height = height;
  cinfo.input_components = components;
  cinfo.in_color_space = in_space;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, quality, TRUE);
  if (in_space == JCS_CMYK) jpeg_set_colorspace(&cinfo, JCS_CMYK);  // writes an Adobe marker
  if (progressive) jpeg_simple_progression(&cinfo);
  jpeg_start_compress(&cinfo, TRUE);
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row = const_cast<JSAMPROW>(pixels.data() + cinfo.next_scanline * width * components);
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  std::vector<uint8_t> out(buffer, buffer + size);
  jpeg_destroy_compress(&cinfo);
  std::free(buffer);
  return out;
}

// A smooth pattern (JPEG keeps smooth content close) at quality 100.
std::vector<uint8_t> Smooth(int width, int height, int channels) {
  std::vector<uint8_t> p(static_cast<size_t>(width) * height * channels);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      for (int c = 0; c < channels; ++c) {
        p[(static_cast<size_t>(y) * width + x) * channels + c] =
            static_cast<uint8_t>(c == 0   ? 40 + x * 2
                                 : c == 1 ? 60 + y * 2
                                          : 200 - x - y);
      }
    }
  }
  return p;
}

TEST(JpegDecoderTest, BaselineRgbDecodesCloseToSource) {
  const auto pixels = Smooth(64, 48, 3);
  auto image = DecodeJpeg(EncodeJpeg(64, 48, JCS_RGB, 3, pixels, 100), {});
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  EXPECT_EQ(image->format, ImageFormat::kJpeg);
  EXPECT_EQ(image->width, 64);
  EXPECT_EQ(image->height, 48);
  EXPECT_EQ(image->channels, 3);
  EXPECT_LE(MaxDifference(image->pixels, pixels), 4);
}

TEST(JpegDecoderTest, ProgressiveEqualsBaselineWithinRounding) {
  const auto pixels = Smooth(40, 24, 3);
  auto baseline = DecodeJpeg(EncodeJpeg(40, 24, JCS_RGB, 3, pixels, 90), {});
  auto progressive = DecodeJpeg(EncodeJpeg(40, 24, JCS_RGB, 3, pixels, 90, true), {});
  ASSERT_TRUE(baseline.ok());
  ASSERT_TRUE(progressive.ok()) << progressive.status().ToString();
  EXPECT_LE(MaxDifference(progressive->pixels, pixels), 6);
  EXPECT_LE(MaxDifference(progressive->pixels, baseline->pixels), 2);
}

TEST(JpegDecoderTest, GreyGivesOneChannel) {
  const auto grey = Smooth(32, 16, 1);
  auto image = DecodeJpeg(EncodeJpeg(32, 16, JCS_GRAYSCALE, 1, grey, 100), {});
  ASSERT_TRUE(image.ok());
  EXPECT_EQ(image->channels, 1);
  EXPECT_LE(MaxDifference(image->pixels, grey), 2);
}

TEST(JpegDecoderTest, AdobeCmykIsInvertedAndConverted) {
  // Photoshop's convention: stored sample = 255 - ink. Inks: C=0, M=255, Y=255, K=0 is red;
  // C=M=Y=0 with K=128 is grey 127.
  std::vector<uint8_t> cmyk;
  std::vector<uint8_t> expected;
  for (int i = 0; i < 16 * 16; ++i) {
    const bool red = (i % 16) < 8;
    const uint8_t ink[4] = {0, uint8_t(red ? 255 : 0), uint8_t(red ? 255 : 0),
                            uint8_t(red ? 0 : 128)};
    for (uint8_t v : ink) cmyk.push_back(255 - v);
    if (red) {
      expected.insert(expected.end(), {255, 0, 0});
    } else {
      expected.insert(expected.end(), {127, 127, 127});
    }
  }
  auto image = DecodeJpeg(EncodeJpeg(16, 16, JCS_CMYK, 4, cmyk, 100), {});
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  EXPECT_EQ(image->channels, 3);
  EXPECT_LE(MaxDifference(image->pixels, expected), 6);
}

TEST(JpegDecoderTest, ScaleDenominatorShrinksOutputAndKeepsSourceSize) {
  const auto bytes = EncodeJpeg(100, 60, JCS_RGB, 3, Smooth(100, 60, 3));
  DecodeOptions options;
  options.jpeg_scale_denom = 8;
  auto image = DecodeJpeg(bytes, options);
  ASSERT_TRUE(image.ok());
  EXPECT_EQ(image->width, 13);  // ceil(100 / 8)
  EXPECT_EQ(image->height, 8);  // ceil(60 / 8)
  EXPECT_EQ(image->source_width, 100);
  EXPECT_EQ(image->source_height, 60);
  EXPECT_EQ(image->pixels.size(), 13u * 8 * 3);

  options.jpeg_min_side = 20;  // 1/8 -> 8 rows, 1/4 -> 15, 1/2 -> 30: picks 1/2
  image = DecodeJpeg(bytes, options);
  ASSERT_TRUE(image.ok());
  EXPECT_EQ(image->width, 50);
  EXPECT_EQ(image->height, 30);

  options.jpeg_min_side = 1000;  // unreachable: full size
  image = DecodeJpeg(bytes, options);
  ASSERT_TRUE(image.ok());
  EXPECT_EQ(image->width, 100);
}

TEST(JpegDecoderTest, BadScaleDenominatorIsInvalidArgument) {
  DecodeOptions options;
  options.jpeg_scale_denom = 3;
  auto result = DecodeJpeg(EncodeJpeg(8, 8, JCS_RGB, 3, Smooth(8, 8, 3)), options);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
}

TEST(JpegDecoderTest, FastModeGivesLumaOnly) {
  const auto pixels = Smooth(48, 32, 3);
  DecodeOptions options;
  options.jpeg_fast = true;
  auto image = DecodeJpeg(EncodeJpeg(48, 32, JCS_RGB, 3, pixels, 100), options);
  ASSERT_TRUE(image.ok());
  ASSERT_EQ(image->channels, 1);
  // Y of the source, computed in integers (JFIF: 0.299 R + 0.587 G + 0.114 B).
  std::vector<uint8_t> luma(48 * 32);
  for (size_t i = 0; i < luma.size(); ++i) {
    luma[i] = static_cast<uint8_t>(
        (299 * pixels[3 * i] + 587 * pixels[3 * i + 1] + 114 * pixels[3 * i + 2] + 500) / 1000);
  }
  EXPECT_LE(MaxDifference(image->pixels, luma), 4);
}

// Overwrites the size in the SOF0 marker.
std::vector<uint8_t> WithFrameSize(std::vector<uint8_t> jpeg, uint16_t width, uint16_t height) {
  for (size_t i = 2; i + 9 < jpeg.size(); ++i) {
    if (jpeg[i] == 0xFF && jpeg[i + 1] == 0xC0) {
      jpeg[i + 5] = height >> 8;
      jpeg[i + 6] = height & 0xFF;
      jpeg[i + 7] = width >> 8;
      jpeg[i + 8] = width & 0xFF;
      return jpeg;
    }
  }
  ADD_FAILURE() << "no SOF0";
  return jpeg;
}

TEST(JpegDecoderTest, HugeFrameIsTooLarge) {
  const auto valid = EncodeJpeg(16, 16, JCS_RGB, 3, Smooth(16, 16, 3));
  auto result = DecodeJpeg(WithFrameSize(valid, 65000, 65000), {});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kTooLarge);
  EXPECT_EQ(result.status().message(),
            "JPEG: image is 65000x65000, over the limit of 100000000 pixels");
}

TEST(JpegDecoderTest, TruncatedScanIsTruncated) {
  const auto valid = EncodeJpeg(64, 64, JCS_RGB, 3, Pattern(64, 64, 3));
  for (size_t cut : {valid.size() / 2, valid.size() - 10, size_t{100}}) {
    std::vector<uint8_t> bytes(valid.begin(), valid.begin() + static_cast<ptrdiff_t>(cut));
    auto result = DecodeJpeg(bytes, {});
    ASSERT_FALSE(result.ok()) << cut;
    EXPECT_EQ(result.status().code(), StatusCode::kTruncated) << cut;
    EXPECT_EQ(result.status().message(), "JPEG: premature end of data");
  }
}

TEST(JpegDecoderTest, BogusMarkerIsCorruptWithLibjpegMessage) {
  // SOF0 whose length field (2) cannot hold a frame header.
  std::vector<uint8_t> bytes = {0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x02, 0x08, 0x00, 0x10, 0x00,
                                0x10, 0x03, 0x01, 0x11, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11};
  auto result = DecodeJpeg(bytes, {});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kCorruptData);
  EXPECT_EQ(result.status().message().rfind("JPEG: ", 0), 0u);
}

TEST(JpegDecoderTest, HostileInputsAreRejected) {
  test_images::ExpectHostileInputsRejected(
      [](const std::vector<uint8_t>& b) { return DecodeJpeg(b, {}); },
      EncodeJpeg(40, 30, JCS_RGB, 3, Pattern(40, 30, 3)));
}

}  // namespace
}  // namespace warden::image_internal
