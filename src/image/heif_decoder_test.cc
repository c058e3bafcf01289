#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "src/image/decoders.h"
#include "src/image/test_images.h"
#include "warden/file_bytes.h"

namespace warden::image_internal {
namespace {

// Fixtures made with `heif-enc -q 95` (and `-A` for AVIF) from a 64x48 synthetic gradient:
// R = x * 255 / 63, G = y * 255 / 47, B = 127 (ImageMagick -fx 'i/63', 'j/47', '0.5').
std::vector<uint8_t> Fixture(const std::string& name) {
  auto bytes = ReadFileBytes(std::string(WARDEN_SOURCE_DIR) + "/src/image/testdata/" + name);
  EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
  return bytes.ok() ? *bytes : std::vector<uint8_t>{};
}

std::vector<uint8_t> Gradient() {
  std::vector<uint8_t> rgb;
  for (int y = 0; y < 48; ++y) {
    for (int x = 0; x < 64; ++x) {
      rgb.insert(rgb.end(), {uint8_t((x * 255 + 31) / 63), uint8_t((y * 255 + 23) / 47), 127});
    }
  }
  return rgb;
}

class HeifDecoderTest : public ::testing::TestWithParam<std::pair<const char*, ImageFormat>> {};

TEST_P(HeifDecoderTest, DecodesCloseToSource) {
  const auto [name, format] = GetParam();
  auto image = DecodeHeif(Fixture(name), format, {});
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  EXPECT_EQ(image->format, format);
  EXPECT_EQ(image->width, 64);
  EXPECT_EQ(image->height, 48);
  EXPECT_EQ(image->channels, 3);
  EXPECT_LE(test_images::MaxDifference(image->pixels, Gradient()), 16);
}

TEST_P(HeifDecoderTest, PixelLimitIsCheckedBeforeDecoding) {
  const auto [name, format] = GetParam();
  DecodeOptions options;
  options.max_pixels = 64 * 48 - 1;
  auto result = DecodeHeif(Fixture(name), format, options);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kTooLarge);
  EXPECT_EQ(result.status().message(), std::string(format == ImageFormat::kAvif ? "AVIF" : "HEIF") +
                                           ": image is 64x48, over the limit of 3071 pixels");
}

TEST_P(HeifDecoderTest, HugeIspeIsTooLarge) {
  const auto [name, format] = GetParam();
  auto bytes = Fixture(name);
  // The ispe property: box header, version/flags, then 32-bit width and height.
  const std::string ispe = "ispe";
  auto it = std::search(bytes.begin(), bytes.end(), ispe.begin(), ispe.end());
  ASSERT_NE(it, bytes.end());
  const size_t at = static_cast<size_t>(it - bytes.begin()) + 8;
  const uint8_t big[8] = {0, 1, 0x86, 0xA0, 0, 1, 0x86, 0xA0};  // 100000 x 100000
  std::copy(big, big + 8, bytes.begin() + static_cast<ptrdiff_t>(at));
  auto result = DecodeHeif(bytes, format, {});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kTooLarge) << result.status().ToString();
}

TEST_P(HeifDecoderTest, HostileInputsAreRejected) {
  const auto [name, format] = GetParam();
  const ImageFormat f = format;
  test_images::ExpectHostileInputsRejected(
      [f](const std::vector<uint8_t>& b) { return DecodeHeif(b, f, {}); }, Fixture(name));
}

INSTANTIATE_TEST_SUITE_P(Formats, HeifDecoderTest,
                         ::testing::Values(std::pair{"gradient_64x48.heic", ImageFormat::kHeif},
                                           std::pair{"gradient_64x48.avif", ImageFormat::kAvif}));

}  // namespace
}  // namespace warden::image_internal
