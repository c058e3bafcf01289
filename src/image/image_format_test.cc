#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "warden/file_bytes.h"
#include "warden/image.h"

namespace warden {
namespace {

using namespace std::literals;

std::vector<uint8_t> Bytes(std::string_view s) { return {s.begin(), s.end()}; }

TEST(ImageFormatTest, NamesAreStable) {
  EXPECT_STREQ(ImageFormatName(ImageFormat::kJpeg), "jpeg");
  EXPECT_STREQ(ImageFormatName(ImageFormat::kPng), "png");
  EXPECT_STREQ(ImageFormatName(ImageFormat::kWebp), "webp");
  EXPECT_STREQ(ImageFormatName(ImageFormat::kGif), "gif");
  EXPECT_STREQ(ImageFormatName(ImageFormat::kBmp), "bmp");
  EXPECT_STREQ(ImageFormatName(ImageFormat::kTiff), "tiff");
  EXPECT_STREQ(ImageFormatName(ImageFormat::kHeif), "heif");
  EXPECT_STREQ(ImageFormatName(ImageFormat::kAvif), "avif");
  EXPECT_STREQ(ImageFormatName(ImageFormat::kUnknown), "unknown");
}

// An ftyp box: size, "ftyp", major brand, minor version, compatible brands.
std::vector<uint8_t> Ftyp(std::string major, std::vector<std::string> compatible) {
  std::string box = "....ftyp" + major + std::string(4, '\0');
  for (const auto& b : compatible) box += b;
  box[0] = box[1] = box[2] = '\0';
  box[3] = static_cast<char>(box.size());
  return Bytes(box);
}

TEST(ImageFormatTest, SniffsMagicNumbers) {
  EXPECT_EQ(SniffImageFormat(Bytes("\xFF\xD8\xFF\xE0")), ImageFormat::kJpeg);
  EXPECT_EQ(SniffImageFormat(Bytes("\x89PNG\r\n\x1A\n....")), ImageFormat::kPng);
  EXPECT_EQ(SniffImageFormat(Bytes("RIFF\x10\0\0\0WEBPVP8 "sv)), ImageFormat::kWebp);
  EXPECT_EQ(SniffImageFormat(Bytes("GIF87a..")), ImageFormat::kGif);
  EXPECT_EQ(SniffImageFormat(Bytes("GIF89a..")), ImageFormat::kGif);
  EXPECT_EQ(SniffImageFormat(Bytes("BM......")), ImageFormat::kBmp);
  EXPECT_EQ(SniffImageFormat(Bytes(std::string("II*\0", 4))), ImageFormat::kTiff);
  EXPECT_EQ(SniffImageFormat(Bytes(std::string("MM\0*", 4))), ImageFormat::kTiff);
  EXPECT_EQ(SniffImageFormat(Ftyp("heic", {"mif1", "heic"})), ImageFormat::kHeif);
  EXPECT_EQ(SniffImageFormat(Ftyp("mif1", {"mif1", "heic"})), ImageFormat::kHeif);
  EXPECT_EQ(SniffImageFormat(Ftyp("msf1", {})), ImageFormat::kHeif);
  EXPECT_EQ(SniffImageFormat(Ftyp("avif", {"mif1", "avif"})), ImageFormat::kAvif);
  EXPECT_EQ(SniffImageFormat(Ftyp("mif1", {"mif1", "avif"})), ImageFormat::kAvif);
  EXPECT_EQ(SniffImageFormat(Ftyp("avis", {})), ImageFormat::kAvif);
}

TEST(ImageFormatTest, RejectsNearMisses) {
  EXPECT_EQ(SniffImageFormat({}), ImageFormat::kUnknown);
  EXPECT_EQ(SniffImageFormat(Bytes("\xFF\xD8")), ImageFormat::kUnknown);
  EXPECT_EQ(SniffImageFormat(Bytes("\x89PNG\r\n\x1A")), ImageFormat::kUnknown);
  EXPECT_EQ(SniffImageFormat(Bytes("RIFF\x10\0\0\0WAVE"sv)), ImageFormat::kUnknown);
  EXPECT_EQ(SniffImageFormat(Bytes("GIF88a")), ImageFormat::kUnknown);
  EXPECT_EQ(SniffImageFormat(Ftyp("isom", {"mp41", "avc1"})), ImageFormat::kUnknown);
  EXPECT_EQ(SniffImageFormat(Bytes("<html>")), ImageFormat::kUnknown);
}

TEST(ImageFormatTest, EmptyAndUnknownInputsAreUnsupported) {
  auto result = DecodeImage({});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kUnsupportedFormat);
  EXPECT_EQ(result.status().message(), "empty file");
  result = DecodeImage(Bytes("hello, world\n"));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kUnsupportedFormat);
  EXPECT_EQ(result.status().message(), "not an image (unknown format)");
}

TEST(ImageFormatTest, DispatchesToEachDecoder) {
  // Each decoder's own error prefix shows the dispatch reached it.
  const std::pair<std::string, std::string> cases[] = {
      {"\xFF\xD8\xFF", "JPEG: "},
      {"\x89PNG\r\n\x1A\n", "PNG: "},
      {"RIFF\x10\0\0\0WEBP"s, "WebP: "},
      {"GIF89a", "GIF: "},
      {"BM", "BMP: "},
      {std::string("II*\0", 4), "TIFF: "},
  };
  for (const auto& [bytes, prefix] : cases) {
    auto result = DecodeImage(Bytes(bytes));
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.status().message().rfind(prefix, 0), 0u) << result.status().ToString();
  }
  auto heif = DecodeImage(Ftyp("heic", {"mif1"}));
  ASSERT_FALSE(heif.ok());
  EXPECT_EQ(heif.status().message().rfind("HEIF: ", 0), 0u) << heif.status().ToString();
  auto avif = DecodeImage(Ftyp("avif", {"mif1"}));
  ASSERT_FALSE(avif.ok());
  EXPECT_EQ(avif.status().message().rfind("AVIF: ", 0), 0u) << avif.status().ToString();
}

struct ManifestImage {
  std::string path;
  std::string format;  // "JPEG", "PNG", "WEBP"
  int width = 0;
  int height = 0;
  int channels = 0;
};

// Every distinct images/ row of the PDQ test set, with image_info "JPEG 1600x1004 srgb 8bit".
std::vector<ManifestImage> ManifestImages() {
  const std::string root = std::string(WARDEN_TESTDATA) + "/pdq/";
  std::ifstream in(root + "MANIFEST.tsv");
  EXPECT_TRUE(in.good()) << "cannot open " << root << "MANIFEST.tsv";
  std::vector<ManifestImage> out;
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> cols;
    std::stringstream ss(line);
    for (std::string c; std::getline(ss, c, '\t');) cols.push_back(c);
    if (cols.size() < 7 || cols[0].rfind("images/", 0) != 0) continue;
    if (std::any_of(out.begin(), out.end(), [&](auto& m) { return m.path == root + cols[0]; })) {
      continue;
    }
    ManifestImage m;
    m.path = root + cols[0];
    std::string dims, space;
    std::stringstream info(cols[6]);
    info >> m.format >> dims >> space;
    const size_t x = dims.find('x');
    m.width = std::stoi(dims.substr(0, x));
    m.height = std::stoi(dims.substr(x + 1));
    m.channels = space.rfind("gray", 0) == 0 ? 1 : 3;
    out.push_back(m);
  }
  return out;
}

TEST(ImageFormatTest, DecodesEveryTestSetImageAtItsManifestSize) {
  const auto images = ManifestImages();
  ASSERT_GE(images.size(), 60u);
  for (const auto& m : images) {
    auto bytes = ReadFileBytes(m.path);
    ASSERT_TRUE(bytes.ok()) << m.path;
    auto image = DecodeImage(*bytes);
    ASSERT_TRUE(image.ok()) << m.path << ": " << image.status().ToString();
    std::string name = ImageFormatName(image->format);
    std::transform(name.begin(), name.end(), name.begin(), ::toupper);
    EXPECT_EQ(name, m.format) << m.path;
    EXPECT_EQ(image->width, m.width) << m.path;
    EXPECT_EQ(image->height, m.height) << m.path;
    EXPECT_EQ(image->channels, m.channels) << m.path;
    EXPECT_EQ(image->pixels.size(), static_cast<size_t>(m.width) * m.height * m.channels);
  }
}

TEST(ImageFormatTest, ConcurrentDecodesAgreeWithSerialOnes) {
  const auto images = ManifestImages();
  ASSERT_FALSE(images.empty());
  // One JPEG, one PNG, one WebP and the HEIF fixture, decoded on 4 threads at once.
  std::vector<std::string> paths;
  for (const char* format : {"JPEG", "PNG", "WEBP"}) {
    auto it =
        std::find_if(images.begin(), images.end(), [&](auto& m) { return m.format == format; });
    ASSERT_NE(it, images.end());
    paths.push_back(it->path);
  }
  paths.push_back(std::string(WARDEN_SOURCE_DIR) + "/src/image/testdata/gradient_64x48.heic");
  std::vector<std::vector<uint8_t>> files;
  std::vector<std::vector<uint8_t>> serial;
  for (const auto& p : paths) {
    auto bytes = ReadFileBytes(p);
    ASSERT_TRUE(bytes.ok()) << p;
    auto image = DecodeImage(*bytes);
    ASSERT_TRUE(image.ok()) << p;
    files.push_back(*bytes);
    serial.push_back(image->pixels);
  }
  std::vector<int> mismatches(paths.size(), 0);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < paths.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 3; ++round) {
        const size_t i = (t + round) % files.size();
        auto image = DecodeImage(files[i]);
        if (!image.ok() || image->pixels != serial[i]) ++mismatches[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (size_t t = 0; t < paths.size(); ++t) EXPECT_EQ(mismatches[t], 0) << "thread " << t;
}

}  // namespace
}  // namespace warden
