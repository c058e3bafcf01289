#include <gif_lib.h>
#include <gtest/gtest.h>

#include <vector>

#include "src/image/decoders.h"
#include "src/image/test_images.h"

namespace warden::image_internal {
namespace {

struct GifFrame {
  int left = 0;
  int top = 0;
  int width = 0;
  int height = 0;
  bool interlace = false;
  std::vector<uint8_t> indices;  // width * height, row-major
};

// Writes a GIF with a global map of `colors` (RGB triples, count a power of 2) and `frames`.
std::vector<uint8_t> EncodeGif(int screen_width, int screen_height,
                               const std::vector<GifColorType>& colors, int background,
                               const std::vector<GifFrame>& frames) {
  std::vector<uint8_t> out;
  int error = 0;
  GifFileType* gif = EGifOpen(
      &out,
      [](GifFileType* g, const GifByteType* data, int n) {
        auto* v = static_cast<std::vector<uint8_t>*>(g->UserData);
        v->insert(v->end(), data, data + n);
        return n;
      },
      &error);
  ColorMapObject* map = GifMakeMapObject(static_cast<int>(colors.size()), colors.data());
  EGifSetGifVersion(gif, true);
  EGifPutScreenDesc(gif, screen_width, screen_height, 8, background, map);
  for (const GifFrame& f : frames) {
    EGifPutImageDesc(gif, f.left, f.top, f.width, f.height, f.interlace, nullptr);
    if (f.interlace) {
      static constexpr int kStart[] = {0, 4, 2, 1};
      static constexpr int kStep[] = {8, 8, 4, 2};
      for (int pass = 0; pass < 4; ++pass) {
        for (int y = kStart[pass]; y < f.height; y += kStep[pass]) {
          EGifPutLine(gif, const_cast<GifPixelType*>(f.indices.data() + y * f.width), f.width);
        }
      }
    } else {
      for (int y = 0; y < f.height; ++y) {
        EGifPutLine(gif, const_cast<GifPixelType*>(f.indices.data() + y * f.width), f.width);
      }
    }
  }
  EGifCloseFile(gif, &error);
  GifFreeMapObject(map);
  return out;
}

std::vector<GifColorType> Ramp() {
  std::vector<GifColorType> colors(256);
  for (int i = 0; i < 256; ++i) {
    colors[i] = {static_cast<GifByteType>(i), static_cast<GifByteType>(255 - i),
                 static_cast<GifByteType>(i * 3)};
  }
  return colors;
}

GifFrame FullFrame(int width, int height, bool interlace) {
  GifFrame f{0, 0, width, height, interlace, test_images::Pattern(width, height, 1)};
  return f;
}

std::vector<uint8_t> ThroughRamp(const std::vector<uint8_t>& indices) {
  std::vector<uint8_t> rgb;
  for (uint8_t i : indices) rgb.insert(rgb.end(), {i, uint8_t(255 - i), uint8_t(i * 3)});
  return rgb;
}

TEST(GifDecoderTest, FrameRendersThroughColourMap) {
  for (bool interlace : {false, true}) {
    const GifFrame frame = FullFrame(23, 19, interlace);
    auto image = DecodeGif(EncodeGif(23, 19, Ramp(), 0, {frame}), {});
    ASSERT_TRUE(image.ok()) << image.status().ToString();
    EXPECT_EQ(image->format, ImageFormat::kGif);
    EXPECT_EQ(image->width, 23);
    EXPECT_EQ(image->height, 19);
    EXPECT_EQ(image->channels, 3);
    EXPECT_EQ(image->pixels, ThroughRamp(frame.indices)) << "interlace " << interlace;
  }
}

TEST(GifDecoderTest, FirstFrameOnlyOverBackground) {
  GifFrame small{3, 2, 4, 2, false, {1, 2, 3, 4, 5, 6, 7, 8}};
  GifFrame second{0, 0, 10, 6, false, std::vector<uint8_t>(60, 99)};
  auto image = DecodeGif(EncodeGif(10, 6, Ramp(), 200, {small, second}), {});
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  ASSERT_EQ(image->width, 10);
  ASSERT_EQ(image->height, 6);
  auto at = [&](int x, int y) { return image->pixels[(y * 10 + x) * 3]; };
  EXPECT_EQ(at(0, 0), 200);  // background (red channel of ramp entry 200)
  EXPECT_EQ(at(3, 2), 1);
  EXPECT_EQ(at(6, 3), 8);
  EXPECT_EQ(at(9, 5), 200);
}

TEST(GifDecoderTest, FrameOutsideScreenGrowsCanvas) {
  GifFrame frame{4, 0, 4, 2, false, std::vector<uint8_t>(8, 7)};
  auto image = DecodeGif(EncodeGif(5, 1, Ramp(), 0, {frame}), {});
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  EXPECT_EQ(image->width, 8);
  EXPECT_EQ(image->height, 2);
  EXPECT_EQ(image->pixels[(1 * 8 + 7) * 3], 7);
}

TEST(GifDecoderTest, HugeScreenIsTooLarge) {
  auto bytes = EncodeGif(8, 8, Ramp(), 0, {FullFrame(8, 8, false)});
  bytes[6] = bytes[7] = bytes[8] = bytes[9] = 0xFF;  // logical screen 65535 x 65535
  auto result = DecodeGif(bytes, {});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kTooLarge);
  EXPECT_EQ(result.status().message(),
            "GIF: image is 65535x65535, over the limit of 100000000 pixels");
}

TEST(GifDecoderTest, TruncatedIsTruncated) {
  const auto valid = EncodeGif(40, 30, Ramp(), 0, {FullFrame(40, 30, false)});
  std::vector<uint8_t> cut(valid.begin(), valid.end() - valid.size() / 3);
  auto result = DecodeGif(cut, {});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kTruncated);
}

TEST(GifDecoderTest, NoImageIsCorrupt) {
  auto bytes = EncodeGif(4, 4, Ramp(), 0, {});
  auto result = DecodeGif(bytes, {});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kCorruptData);
  EXPECT_EQ(result.status().message(), "GIF: file holds no image");
}

TEST(GifDecoderTest, HostileInputsAreRejected) {
  test_images::ExpectHostileInputsRejected(
      [](const std::vector<uint8_t>& b) { return DecodeGif(b, {}); },
      EncodeGif(40, 30, Ramp(), 0, {FullFrame(40, 30, true)}));
}

}  // namespace
}  // namespace warden::image_internal
