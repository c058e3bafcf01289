#include "warden/hasher.h"

#include <gtest/gtest.h>
#include <png.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "warden/file_bytes.h"
#include "warden/local_features.h"
#include "warden/local_signal.h"

namespace warden {
namespace {

// A deterministic pseudo-random image (xorshift), RGB or grey.
Image NoiseImage(int width, int height, int channels, uint32_t seed = 12345) {
  Image img;
  img.width = width;
  img.height = height;
  img.channels = channels;
  img.format = ImageFormat::kPng;
  img.source_width = width;
  img.source_height = height;
  img.pixels.resize(static_cast<size_t>(width) * height * channels);
  uint32_t s = seed;
  for (auto& p : img.pixels) {
    s ^= s << 13;
    s ^= s >> 17;
    s ^= s << 5;
    p = static_cast<uint8_t>(s >> 24);
  }
  return img;
}

// Encodes `img` as an 8-bit PNG with libpng's simplified API.
std::vector<uint8_t> EncodePng(const Image& img) {
  png_image png{};
  png.version = PNG_IMAGE_VERSION;
  png.width = static_cast<png_uint_32>(img.width);
  png.height = static_cast<png_uint_32>(img.height);
  png.format = img.channels == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
  png_alloc_size_t size = 0;
  EXPECT_TRUE(png_image_write_to_memory(&png, nullptr, &size, 0, img.pixels.data(), 0, nullptr));
  std::vector<uint8_t> out(size);
  EXPECT_TRUE(png_image_write_to_memory(&png, out.data(), &size, 0, img.pixels.data(), 0, nullptr));
  out.resize(size);
  return out;
}

// The cli512 squash written out independently of the hasher: a real 512x512 Image, sampled
// by nearest neighbour, then hashed through ComputePdq's own luma conversion.
Image Squash512(const Image& img) {
  Image out;
  out.width = out.height = 512;
  out.channels = img.channels;
  out.pixels.resize(512 * 512 * static_cast<size_t>(img.channels));
  for (int y = 0; y < 512; ++y) {
    for (int x = 0; x < 512; ++x) {
      int sx = x * img.width / 512;
      int sy = y * img.height / 512;
      for (int c = 0; c < img.channels; ++c) {
        out.pixels[(static_cast<size_t>(y) * 512 + x) * img.channels + c] =
            img.row(sy)[static_cast<size_t>(sx) * img.channels + c];
      }
    }
  }
  return out;
}

HashOptions Options(Pipeline p, bool digests = false, bool dihedral = false) {
  HashOptions o;
  o.pipeline = p;
  o.digests = digests;
  o.dihedral = dihedral;
  return o;
}

TEST(PipelineTest, NamesRoundTrip) {
  for (Pipeline p : {Pipeline::kFullres, Pipeline::kCli512, Pipeline::kFast}) {
    auto parsed = ParsePipeline(PipelineName(p));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, p);
  }
  EXPECT_STREQ(PipelineName(Pipeline::kCli512), "cli512");
  auto bad = ParsePipeline("Fullres");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(),
            "unknown pipeline \"Fullres\" (expected fullres, cli512 or fast)");
}

TEST(HasherTest, FullresHashesTheDecodedPixels) {
  Image img = NoiseImage(300, 200, 3);
  auto rec = HashImageBytes(EncodePng(img), Options(Pipeline::kFullres));
  ASSERT_TRUE(rec.ok()) << rec.status().ToString();
  PdqResult want = ComputePdq(img, false);
  EXPECT_EQ(rec->pdq.hash, want.hash);
  EXPECT_EQ(rec->pdq.quality, want.quality);
  EXPECT_EQ(rec->format, ImageFormat::kPng);
  EXPECT_EQ(rec->width, 300);
  EXPECT_EQ(rec->height, 200);
  EXPECT_EQ(rec->hashed_width, 300);
  EXPECT_EQ(rec->hashed_height, 200);
  EXPECT_EQ(rec->pipeline, Pipeline::kFullres);
  EXPECT_FALSE(rec->pdq.too_small);
  EXPECT_FALSE(rec->pdq.has_dihedral);
}

TEST(HasherTest, Cli512LeavesSmallImagesAlone) {
  auto bytes = EncodePng(NoiseImage(300, 200, 3));
  auto full = HashImageBytes(bytes, Options(Pipeline::kFullres));
  auto cli = HashImageBytes(bytes, Options(Pipeline::kCli512));
  ASSERT_TRUE(full.ok() && cli.ok());
  EXPECT_EQ(cli->pdq.hash, full->pdq.hash);
  EXPECT_EQ(cli->pdq.quality, full->pdq.quality);
  EXPECT_EQ(cli->hashed_width, 300);
  EXPECT_EQ(cli->pipeline, Pipeline::kCli512);
}

TEST(HasherTest, Cli512SquashesLargeImagesTo512) {
  Image img = NoiseImage(1000, 600, 3);
  auto bytes = EncodePng(img);
  auto full = HashImageBytes(bytes, Options(Pipeline::kFullres));
  auto cli = HashImageBytes(bytes, Options(Pipeline::kCli512, false, true));
  ASSERT_TRUE(full.ok() && cli.ok());
  PdqResult want = ComputePdq(Squash512(img), true);
  EXPECT_EQ(cli->pdq.hash, want.hash);
  EXPECT_EQ(cli->pdq.quality, want.quality);
  EXPECT_EQ(cli->pdq.dihedral, want.dihedral);
  EXPECT_NE(cli->pdq.hash, full->pdq.hash);
  EXPECT_EQ(cli->width, 1000);
  EXPECT_EQ(cli->height, 600);
  EXPECT_EQ(cli->hashed_width, 512);
  EXPECT_EQ(cli->hashed_height, 512);
}

TEST(HasherTest, Cli512SquashesWhenOnlyOneSideIsLarge) {
  // 1000x50 becomes 512x512: the short side is stretched, as the reference CLI does.
  Image img = NoiseImage(1000, 50, 1, 7);
  auto cli = HashImageBytes(EncodePng(img), Options(Pipeline::kCli512));
  ASSERT_TRUE(cli.ok()) << cli.status().ToString();
  EXPECT_EQ(cli->pdq.hash, ComputePdq(Squash512(img), false).hash);
  EXPECT_EQ(cli->hashed_height, 512);
}

TEST(HasherTest, Cli512ExactlyAt512IsNotResampled) {
  Image img = NoiseImage(512, 512, 3, 99);
  auto cli = HashImageBytes(EncodePng(img), Options(Pipeline::kCli512));
  ASSERT_TRUE(cli.ok());
  EXPECT_EQ(cli->pdq.hash, ComputePdq(img, false).hash);
}

TEST(HasherTest, FastEqualsFullresForNonJpeg) {
  auto bytes = EncodePng(NoiseImage(700, 400, 3));
  auto full = HashImageBytes(bytes, Options(Pipeline::kFullres));
  auto fast = HashImageBytes(bytes, Options(Pipeline::kFast));
  ASSERT_TRUE(full.ok() && fast.ok());
  EXPECT_EQ(fast->pdq.hash, full->pdq.hash);
  EXPECT_EQ(fast->pipeline, Pipeline::kFast);
}

TEST(HasherTest, FastOnJpegScalesDownAndStaysClose) {
  auto bytes = ReadFileBytes(std::string(WARDEN_TESTDATA) + "/pdq/images/bridge-mods/aaa-orig.jpg");
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  auto full = HashImageBytes(*bytes, Options(Pipeline::kFullres));
  auto fast = HashImageBytes(*bytes, Options(Pipeline::kFast));
  ASSERT_TRUE(full.ok() && fast.ok());
  EXPECT_EQ(fast->width, 1600);
  EXPECT_EQ(fast->height, 1004);
  EXPECT_LT(fast->hashed_width, 1600);
  EXPECT_GE(std::min(fast->hashed_width, fast->hashed_height), kFastJpegMinSide);
  EXPECT_LE(HammingDistance(fast->pdq.hash, full->pdq.hash), 10);
}

// The hasher reuses one pixel buffer per thread (DecodeOptions::pixel_storage): a hash must
// not depend on which image the buffer held before, whatever the order and the formats.
TEST(HasherTest, ReusedPixelBufferDoesNotLeakBetweenImages) {
  const std::string dir = std::string(WARDEN_TESTDATA) + "/pdq/images/";
  const std::vector<std::string> files = {
      "bridge-mods/aaa-orig.jpg", "synthetic/s18_palette16_160x120.png", "misc-images/wee.jpg",
      "misc-images/modes/RGBA.png", "synthetic/s13_rgba_alpha_ramp_300x200.png"};
  std::vector<std::vector<uint8_t>> bytes;
  for (const std::string& f : files) {
    auto b = ReadFileBytes(dir + f);
    ASSERT_TRUE(b.ok()) << f;
    bytes.push_back(std::move(b).value());
  }
  for (Pipeline pipeline : {Pipeline::kFullres, Pipeline::kFast}) {
    HashOptions options;
    options.pipeline = pipeline;
    options.digests = false;
    std::vector<std::string> first;
    for (const auto& b : bytes) first.push_back(HashImageBytes(b, options)->pdq.hash.ToHex());
    // Large to small and back, in reverse order.
    for (size_t i = bytes.size(); i-- > 0;) {
      EXPECT_EQ(HashImageBytes(bytes[i], options)->pdq.hash.ToHex(), first[i]) << files[i];
    }
  }
}

TEST(HasherTest, DigestsOnlyWhenAsked) {
  auto bytes = EncodePng(NoiseImage(64, 64, 3));
  auto without = HashImageBytes(bytes, Options(Pipeline::kFullres, false));
  ASSERT_TRUE(without.ok());
  EXPECT_TRUE(without->md5.empty());
  EXPECT_TRUE(without->sha1.empty());
  EXPECT_TRUE(without->sha256.empty());
  ASSERT_EQ(without->Signals().size(), 1u);
  EXPECT_EQ(without->Signals()[0].type, SignalType::kPdq);

  auto with = HashImageBytes(bytes, Options(Pipeline::kFullres, true));
  ASSERT_TRUE(with.ok());
  EXPECT_EQ(with->md5, DigestHex(SignalType::kMd5, bytes));
  EXPECT_EQ(with->sha1, DigestHex(SignalType::kSha1, bytes));
  EXPECT_EQ(with->sha256, DigestHex(SignalType::kSha256, bytes));
  auto sig = with->Signals();
  ASSERT_EQ(sig.size(), 4u);
  EXPECT_EQ(sig[0].value, with->pdq.hash.ToHex());
  EXPECT_EQ(sig[0].quality, with->pdq.quality);
  EXPECT_EQ(sig[1].ToTagged(), "md5:" + with->md5);
  EXPECT_EQ(sig[2].type, SignalType::kSha1);
  EXPECT_EQ(sig[3].ToTagged(), "sha256:" + with->sha256);
  EXPECT_EQ(with->pdq.hash, without->pdq.hash);
}

TEST(HasherTest, LocalOnlyWhenAskedAndPrefixOfAQuery) {
  auto bytes = ReadFileBytes(std::string(WARDEN_TESTDATA) + "/pdq/images/bridge-mods/aaa-orig.jpg");
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  HashOptions options = Options(Pipeline::kFullres, false);
  auto without = HashImageBytes(*bytes, options);
  ASSERT_TRUE(without.ok());
  EXPECT_TRUE(without->local.empty());
  EXPECT_EQ(without->local_keypoints, 0);

  options.local = true;
  auto with = HashImageBytes(*bytes, options);
  ASSERT_TRUE(with.ok()) << with.status().ToString();
  EXPECT_EQ(with->pdq.hash, without->pdq.hash);
  EXPECT_EQ(with->local_keypoints, kLocalStoredKeypoints);  // a photo has plenty of corners
  auto signals = with->Signals();
  ASSERT_EQ(signals.size(), 2u);
  EXPECT_EQ(signals[1].type, SignalType::kLocal);
  EXPECT_TRUE(Signal::Make(SignalType::kLocal, signals[1].value).ok());
  // The registration form is the first kLocalStoredKeypoints of a query extraction.
  auto query = ExtractLocalFeaturesFromBytes(*bytes, LocalExtractOptions{kLocalQueryKeypoints});
  ASSERT_TRUE(query.ok());
  ASSERT_GE(query->keypoints.size(), static_cast<size_t>(kLocalStoredKeypoints));
  query->keypoints.resize(kLocalStoredKeypoints);
  EXPECT_EQ(with->local, LocalSignalFromFeatures(*query).value);
  // The local signal does not depend on the PDQ pipeline.
  options.pipeline = Pipeline::kFast;
  auto fast = HashImageBytes(*bytes, options);
  ASSERT_TRUE(fast.ok());
  EXPECT_EQ(fast->local, with->local);
}

TEST(HasherTest, LocalOfATinyImageIsEmpty) {
  HashOptions options = Options(Pipeline::kFullres, false);
  options.local = true;
  auto rec = HashImageBytes(EncodePng(NoiseImage(20, 20, 3)), options);
  ASSERT_TRUE(rec.ok()) << rec.status().ToString();
  EXPECT_TRUE(rec->local.empty());
  EXPECT_EQ(rec->local_keypoints, 0);
  EXPECT_EQ(rec->Signals().size(), 1u);
}

TEST(HasherTest, TooSmallIsReported) {
  auto rec = HashImageBytes(EncodePng(NoiseImage(4, 4, 3)), Options(Pipeline::kFullres, true));
  ASSERT_TRUE(rec.ok()) << rec.status().ToString();
  EXPECT_TRUE(rec->pdq.too_small);
  EXPECT_EQ(rec->pdq.quality, 0);
  EXPECT_TRUE(rec->pdq.hash.is_zero());
  EXPECT_EQ(rec->width, 4);
  EXPECT_EQ(rec->sha256.size(), 64u);  // the digests still identify the file

  auto tall = HashImageBytes(EncodePng(NoiseImage(4, 900, 1)), Options(Pipeline::kCli512));
  ASSERT_TRUE(tall.ok());
  // cli512 squashes 4x900 to 512x512 first, exactly as the reference CLI would.
  EXPECT_FALSE(tall->pdq.too_small);

  auto five = HashImageBytes(EncodePng(NoiseImage(5, 5, 3)), Options(Pipeline::kFullres));
  ASSERT_TRUE(five.ok());
  EXPECT_FALSE(five->pdq.too_small);
  EXPECT_FALSE(five->pdq.hash.is_zero());
}

TEST(HasherTest, DihedralOnlyWhenAsked) {
  auto bytes = EncodePng(NoiseImage(200, 100, 3));
  auto plain = HashImageBytes(bytes, Options(Pipeline::kFullres));
  auto dih = HashImageBytes(bytes, Options(Pipeline::kFullres, false, true));
  ASSERT_TRUE(plain.ok() && dih.ok());
  EXPECT_FALSE(plain->pdq.has_dihedral);
  EXPECT_TRUE(dih->pdq.has_dihedral);
  EXPECT_EQ(dih->pdq.dihedral[0], dih->pdq.hash);
  EXPECT_NE(dih->pdq.dihedral[1], dih->pdq.hash);
}

TEST(HasherTest, DecodeErrorsPropagate) {
  std::vector<uint8_t> empty;
  auto none = HashImageBytes(empty, Options(Pipeline::kFullres));
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), StatusCode::kUnsupportedFormat);

  auto bytes = EncodePng(NoiseImage(64, 64, 3));
  bytes.resize(bytes.size() / 2);
  auto cut = HashImageBytes(bytes, Options(Pipeline::kCli512));
  ASSERT_FALSE(cut.ok());
  EXPECT_EQ(cut.status().code(), StatusCode::kTruncated) << cut.status().ToString();

  HashOptions limited = Options(Pipeline::kFullres);
  limited.decode.max_pixels = 100;
  auto big = HashImageBytes(EncodePng(NoiseImage(20, 20, 1)), limited);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.status().code(), StatusCode::kTooLarge);
}

}  // namespace
}  // namespace warden
