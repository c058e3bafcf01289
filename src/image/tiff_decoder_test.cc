#include <gtest/gtest.h>
#include <tiffio.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "src/image/decoders.h"
#include "src/image/test_images.h"

namespace warden::image_internal {
namespace {

using test_images::Pattern;

struct TiffSpec {
  int width = 0;
  int height = 0;
  int samples = 3;  // per pixel, including alpha
  int bits = 8;     // 8 or 16
  uint16_t photometric = PHOTOMETRIC_RGB;
  uint16_t compression = COMPRESSION_NONE;
  std::vector<uint8_t> data;  // rows of width * samples * bits / 8 bytes
};

// Writes `spec` with libtiff to a temporary file and returns the file's bytes.
std::vector<uint8_t> EncodeTiff(const TiffSpec& s) {
  const std::string path = (std::filesystem::path(::testing::TempDir()) /
                            ("warden_tiff_" + std::to_string(::getpid()) + ".tif"))
                               .string();
  TIFF* tif = TIFFOpen(path.c_str(), "w");
  EXPECT_NE(tif, nullptr);
  TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, s.width);
  TIFFSetField(tif, TIFFTAG_IMAGELENGTH, s.height);
  TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, s.samples);
  TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, s.bits);
  TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, s.photometric);
  TIFFSetField(tif, TIFFTAG_COMPRESSION, s.compression);
  TIFFSetField(tif, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
  TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, 4);
  if (s.samples == 4 && s.photometric == PHOTOMETRIC_RGB) {
    const uint16_t extra[] = {EXTRASAMPLE_UNASSALPHA};
    TIFFSetField(tif, TIFFTAG_EXTRASAMPLES, 1, extra);
  }
  const size_t row_bytes = static_cast<size_t>(s.width) * s.samples * s.bits / 8;
  for (int y = 0; y < s.height; ++y) {
    TIFFWriteScanline(tif, const_cast<uint8_t*>(s.data.data() + y * row_bytes), y, 0);
  }
  TIFFClose(tif);
  std::ifstream in(path, std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), {});
  std::filesystem::remove(path);
  return bytes;
}

TEST(TiffDecoderTest, RgbRoundTripsExactlyWithEachCompression) {
  const auto rgb = Pattern(21, 13, 3);
  for (uint16_t compression : {COMPRESSION_NONE, COMPRESSION_LZW, COMPRESSION_ADOBE_DEFLATE}) {
    auto image = DecodeTiff(EncodeTiff({21, 13, 3, 8, PHOTOMETRIC_RGB, compression, rgb}), {});
    ASSERT_TRUE(image.ok()) << image.status().ToString();
    EXPECT_EQ(image->format, ImageFormat::kTiff);
    EXPECT_EQ(image->width, 21);
    EXPECT_EQ(image->height, 13);
    EXPECT_EQ(image->channels, 3);
    EXPECT_EQ(image->pixels, rgb) << "compression " << compression;
  }
}

TEST(TiffDecoderTest, AlphaIsDropped) {
  const auto rgba = Pattern(9, 5, 4);
  auto image = DecodeTiff(EncodeTiff({9, 5, 4, 8, PHOTOMETRIC_RGB, COMPRESSION_NONE, rgba}), {});
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  ASSERT_EQ(image->channels, 3);
  for (size_t i = 0; i < 9 * 5; ++i) {
    ASSERT_EQ(image->pixels[3 * i], rgba[4 * i]);
    ASSERT_EQ(image->pixels[3 * i + 2], rgba[4 * i + 2]);
  }
}

TEST(TiffDecoderTest, GreyGivesOneChannelAndMinIsWhiteIsInverted) {
  const auto grey = Pattern(10, 6, 1);
  auto image =
      DecodeTiff(EncodeTiff({10, 6, 1, 8, PHOTOMETRIC_MINISBLACK, COMPRESSION_NONE, grey}), {});
  ASSERT_TRUE(image.ok());
  EXPECT_EQ(image->channels, 1);
  EXPECT_EQ(image->pixels, grey);
  image = DecodeTiff(EncodeTiff({10, 6, 1, 8, PHOTOMETRIC_MINISWHITE, COMPRESSION_NONE, grey}), {});
  ASSERT_TRUE(image.ok());
  ASSERT_EQ(image->channels, 1);
  for (size_t i = 0; i < grey.size(); ++i) ASSERT_EQ(image->pixels[i], 255 - grey[i]);
}

TEST(TiffDecoderTest, SixteenBitIsReducedToEight) {
  // Little-endian host order as libtiff writes native samples: 0xAB00 -> 0xAB, 0xFFFF -> 0xFF.
  std::vector<uint8_t> data = {0x00, 0xAB, 0xFF, 0xFF, 0x00, 0x00};
  auto image =
      DecodeTiff(EncodeTiff({3, 1, 1, 16, PHOTOMETRIC_MINISBLACK, COMPRESSION_NONE, data}), {});
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  ASSERT_EQ(image->pixels.size(), 3u);
  EXPECT_NEAR(image->pixels[0], 0xAB, 1);
  EXPECT_EQ(image->pixels[1], 0xFF);
  EXPECT_EQ(image->pixels[2], 0x00);
}

// Rewrites the ImageWidth and ImageLength entries of the first IFD (little-endian file).
std::vector<uint8_t> WithSize(std::vector<uint8_t> tiff, uint32_t width, uint32_t height) {
  auto get16 = [&](size_t at) { return tiff[at] | (tiff[at + 1] << 8); };
  auto get32 = [&](size_t at) { return uint32_t(get16(at)) | (uint32_t(get16(at + 2)) << 16); };
  auto put = [&](size_t at, uint32_t v, int n) {
    for (int i = 0; i < n; ++i) tiff[at + i] = (v >> (8 * i)) & 0xFF;
  };
  EXPECT_EQ(tiff[0], 'I');
  const size_t ifd = get32(4);
  const int entries = get16(ifd);
  for (int e = 0; e < entries; ++e) {
    const size_t at = ifd + 2 + 12 * e;
    const int tag = get16(at);
    if (tag == TIFFTAG_IMAGEWIDTH || tag == TIFFTAG_IMAGELENGTH) {
      put(at + 2, TIFF_LONG, 2);
      put(at + 8, tag == TIFFTAG_IMAGEWIDTH ? width : height, 4);
    }
  }
  return tiff;
}

TEST(TiffDecoderTest, HugeHeaderIsTooLarge) {
  auto bytes =
      WithSize(EncodeTiff({8, 8, 3, 8, PHOTOMETRIC_RGB, COMPRESSION_NONE, Pattern(8, 8, 3)}),
               100000, 100000);
  auto result = DecodeTiff(bytes, {});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kTooLarge);
  EXPECT_EQ(result.status().message(),
            "TIFF: image is 100000x100000, over the limit of 100000000 pixels");
}

TEST(TiffDecoderTest, MissingStripsAreAnError) {
  const auto valid =
      EncodeTiff({40, 30, 3, 8, PHOTOMETRIC_RGB, COMPRESSION_NONE, Pattern(40, 30, 3)});
  // libtiff writes the pixel strips before the directory at the end: cutting the file loses
  // the directory, so the cut file is cut in the header sense, not the pixels.
  std::vector<uint8_t> cut(valid.begin(), valid.begin() + valid.size() / 2);
  auto result = DecodeTiff(cut, {});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kTruncated) << result.status().ToString();
}

TEST(TiffDecoderTest, HostileInputsAreRejected) {
  test_images::ExpectHostileInputsRejected(
      [](const std::vector<uint8_t>& b) { return DecodeTiff(b, {}); },
      EncodeTiff({40, 30, 3, 8, PHOTOMETRIC_RGB, COMPRESSION_LZW, Pattern(40, 30, 3)}));
}

}  // namespace
}  // namespace warden::image_internal
