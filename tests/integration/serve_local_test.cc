// The local-feature signal through the real `warden serve` (docs/api.md, "Local features"):
// a photo registered in a bank by its local signal and PDQ over /v1, then found again by
// /v1/match in derived copies that PDQ alone may miss (a 70% crop, a copy whose right part was
// replaced by noise), with the right item, a score and a region inside the query; an unrelated
// photo finds nothing; the match answers never carry the 8 KB stored value; a matcher key can
// match but cannot read or export the bank; HMA's paths answer as before.
//
// The derived copies are made here from the decoded photo (warden's decoder, plain pixel
// copies) and written as JPEG with libjpeg. One server serves the whole file.
#include <gtest/gtest.h>

#include <jpeglib.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "src/local/block_lettering.h"
#include "tests/integration/serve_fixture.h"
#include "warden/image.h"
#include "warden/local_features.h"

namespace warden::serve_test {
namespace {

constexpr char kPhoto[] = "bridge-mods/aaa-orig.jpg";                 // 1600x1004
constexpr char kUnrelated[] = "reg-test-input/pen-and-coaster.png";   // another photo
constexpr char kBank[] = "LOCAL_TEST";

Image Decode(const std::string& bytes) {
  Result<Image> image = DecodeImage(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
  EXPECT_TRUE(image.ok()) << image.status().ToString();
  return image.ok() ? std::move(*image) : Image{};
}

// The pixels of `image` inside [x0, x0 + w) x [y0, y0 + h).
Image Crop(const Image& image, int x0, int y0, int w, int h) {
  Image out;
  out.width = w;
  out.height = h;
  out.channels = image.channels;
  out.pixels.resize(static_cast<size_t>(w) * h * image.channels);
  for (int y = 0; y < h; ++y) {
    const uint8_t* src = image.row(y0 + y) + static_cast<size_t>(x0) * image.channels;
    std::copy(src, src + static_cast<size_t>(w) * image.channels,
              out.pixels.begin() + static_cast<size_t>(y) * w * image.channels);
  }
  return out;
}

// `image` with every pixel at x >= x_from replaced by uniform noise (a fixed seed).
Image ReplaceRightPart(Image image, int x_from) {
  std::mt19937 rng(3);
  for (int y = 0; y < image.height; ++y) {
    uint8_t* row = image.pixels.data() + static_cast<size_t>(y) * image.width * image.channels;
    for (size_t i = static_cast<size_t>(x_from) * image.channels;
         i < static_cast<size_t>(image.width) * image.channels; ++i) {
      row[i] = static_cast<uint8_t>(rng());
    }
  }
  return image;
}

// `image` shrunk by an integer `factor` (each output pixel the mean of a factor x factor block).
Image Shrink(const Image& image, int factor) {
  Image out;
  out.width = image.width / factor;
  out.height = image.height / factor;
  out.channels = image.channels;
  out.pixels.resize(static_cast<size_t>(out.width) * out.height * out.channels);
  for (int y = 0; y < out.height; ++y) {
    for (int x = 0; x < out.width; ++x) {
      for (int c = 0; c < image.channels; ++c) {
        int sum = 0;
        for (int dy = 0; dy < factor; ++dy) {
          const uint8_t* row = image.row(y * factor + dy);
          for (int dx = 0; dx < factor; ++dx) sum += row[(x * factor + dx) * image.channels + c];
        }
        out.pixels[(static_cast<size_t>(y) * out.width + x) * out.channels + c] =
            static_cast<uint8_t>((sum + factor * factor / 2) / (factor * factor));
      }
    }
  }
  return out;
}

// `image` with three lines of block lettering across it (src/local/block_lettering.h): white
// bars in 3-pixel black outlines, as meme captions are drawn.
Image Letter(Image image) {
  auto bar = [&](int x0, int y0, int x1, int y1, uint8_t v) {
    for (int y = std::max(0, y0); y < std::min(image.height, y1); ++y) {
      uint8_t* row = image.pixels.data() + static_cast<size_t>(y) * image.width * image.channels;
      for (int x = std::max(0, x0); x < std::min(image.width, x1); ++x) {
        for (int c = 0; c < image.channels; ++c) row[x * image.channels + c] = v;
      }
    }
  };
  auto outlined = [&](int x0, int y0, int x1, int y1) {
    bar(x0 - 3, y0 - 3, x1 + 3, y1 + 3, 0);
    bar(x0, y0, x1, y1, 255);
  };
  for (const local::LetteringBar& b : local::BlockLettering(image.width, image.height, 5, 10)) {
    outlined(b.x0, b.y0, b.x1, b.y1);
  }
  return image;
}

// JPEG at `quality` (libjpeg's defaults otherwise). The inputs are valid, so libjpeg's default
// error handler, which exits, never runs.
std::string EncodeJpeg(const Image& image, int quality) {
  jpeg_compress_struct cinfo;
  jpeg_error_mgr jerr;
  cinfo.err = jpeg_std_error(&jerr);
  jpeg_create_compress(&cinfo);
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&cinfo, &buffer, &size);
  cinfo.image_width = static_cast<JDIMENSION>(image.width);
  cinfo.image_height = static_cast<JDIMENSION>(image.height);
  cinfo.input_components = image.channels;
  cinfo.in_color_space = image.channels == 3 ? JCS_RGB : JCS_GRAYSCALE;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, quality, TRUE);
  jpeg_start_compress(&cinfo, TRUE);
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row = const_cast<JSAMPROW>(image.row(static_cast<int>(cinfo.next_scanline)));
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  std::string out(reinterpret_cast<const char*>(buffer), size);
  jpeg_destroy_compress(&cinfo);
  std::free(buffer);
  return out;
}

class ServeLocalTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    env_ = new ServeEnv("local");
    ready_ = env_->Start();
    if (!ready_) return;
    photo_ = new std::string(ReadFileBytes(TestImagePath(kPhoto)));
    local_hex_ = new std::string();
    // Register the photo by its PDQ and local signal, computed by the server itself.
    Json hashed = env_->CallJson(200, "POST", "/v1/hash?signals=pdq,local", env_->key("hasher"),
                                 *photo_, "image/jpeg");
    std::string pdq;
    for (const Json& s : hashed["signals"]) {
      if (s.value("type", "") == "pdq") pdq = s.value("value", "");
      if (s.value("type", "") == "local") *local_hex_ = s.value("value", "");
    }
    ready_ = !pdq.empty() && !local_hex_->empty();
    EXPECT_TRUE(ready_) << hashed.dump().substr(0, 400);
    env_->CallJson(201, "POST", "/v1/banks", env_->key("curator"),
                   Json({{"name", kBank}}).dump(), "application/json");
    Json item = {{"signals", Json::array({{{"type", "pdq"}, {"value", pdq}},
                                          {{"type", "local"}, {"value", *local_hex_}}})},
                 {"provenance", {{"external_id", "bridge"}}}};
    Json added = env_->CallJson(201, "POST", std::string("/v1/banks/") + kBank + "/items",
                                env_->key("curator"), item.dump(), "application/json");
    item_id_ = added["item"].value("id", int64_t{-1});
    ready_ = ready_ && item_id_ > 0;
  }
  static void TearDownTestSuite() {
    if (env_->server().running()) {
      EXPECT_EQ(env_->Stop(), 0) << env_->server().Log();
    }
    delete env_;
    delete photo_;
    delete local_hex_;
  }
  void SetUp() override { ASSERT_TRUE(ready_) << "the server did not start or register"; }

  // POST /v1/match of `jpeg` with the matcher key; the parsed answer.
  static Json Match(const std::string& jpeg, const std::string& query = "") {
    ClientResponse r = env_->Call("POST", "/v1/match" + query, env_->key("matcher"), jpeg,
                                  "image/jpeg");
    EXPECT_EQ(r.status, 200) << r.body.substr(0, 400);
    // The stored value (up to 8 KB of hex) is never echoed in a match answer.
    EXPECT_EQ(r.body.find(local_hex_->substr(0, 64)), std::string::npos);
    return ParseJson(r.body);
  }

  // The match of the registered item in `answer`, checked to carry local evidence inside a
  // width x height query; returns it (null after a failure).
  static Json LocalMatchOfItem(const Json& answer, int width, int height) {
    for (const Json& m : answer["matches"]) {
      if (m.value("item_id", int64_t{0}) != item_id_) continue;
      EXPECT_EQ(m.value("bank", ""), kBank);
      EXPECT_TRUE(m.contains("score")) << m.dump();
      if (!m.contains("score")) return nullptr;
      EXPECT_GE(m["score"].get<double>(), 8.0) << m.dump();  // kLocalDefaultMinScore
      EXPECT_GT(m.value("inliers", 0), 0) << m.dump();
      const Json& region = m["region"];
      EXPECT_GE(region.value("x0", -1), 0) << m.dump();
      EXPECT_GE(region.value("y0", -1), 0) << m.dump();
      EXPECT_LE(region.value("x1", width + 1), width) << m.dump();
      EXPECT_LE(region.value("y1", height + 1), height) << m.dump();
      EXPECT_LT(region.value("x0", 0), region.value("x1", 0)) << m.dump();
      EXPECT_LT(region.value("y0", 0), region.value("y1", 0)) << m.dump();
      if (m.value("signal_type", "") == "local") {
        EXPECT_TRUE(m["distance"].is_null()) << m.dump();
        EXPECT_TRUE(m["signal_value"].is_null()) << m.dump();
      }
      return m;
    }
    ADD_FAILURE() << "no match of item " << item_id_ << ": " << answer.dump().substr(0, 600);
    return nullptr;
  }

  static ServeEnv* env_;
  static bool ready_;
  static std::string* photo_;
  static std::string* local_hex_;
  static int64_t item_id_;
};

ServeEnv* ServeLocalTest::env_ = nullptr;
bool ServeLocalTest::ready_ = false;
std::string* ServeLocalTest::photo_ = nullptr;
std::string* ServeLocalTest::local_hex_ = nullptr;
int64_t ServeLocalTest::item_id_ = 0;

TEST_F(ServeLocalTest, HashAnswersTheLocalSignalOnlyWhenAsked) {
  Json plain = env_->CallJson(200, "POST", "/v1/hash", env_->key("hasher"), *photo_, "image/jpeg");
  std::vector<std::string> types;
  for (const Json& s : plain["signals"]) types.push_back(s.value("type", ""));
  EXPECT_EQ(types, (std::vector<std::string>{"pdq", "md5", "sha1", "sha256"}));

  Json local = env_->CallJson(200, "POST", "/v1/hash?signals=local", env_->key("hasher"),
                              *photo_, "image/jpeg");
  ASSERT_EQ(local["signals"].size(), 1u) << local.dump().substr(0, 300);
  const Json& s = local["signals"][0];
  EXPECT_EQ(s.value("type", ""), "local");
  EXPECT_EQ(s.value("algorithm", ""), "warden-local");
  EXPECT_EQ(s.value("algorithm_version", 0), 2);
  EXPECT_GT(s.value("keypoints", 0), 20);
  EXPECT_LE(s.value("keypoints", 1000), 100);  // kLocalStoredKeypoints
  const std::string value = s.value("value", "");
  EXPECT_EQ(value, *local_hex_) << "deterministic";
  EXPECT_LE(value.size(), 8192u);
  EXPECT_EQ(local.value("width", 0), 1600);

  ClientResponse bad = env_->Call("POST", "/v1/hash?signals=pdq,blurhash", env_->key("hasher"),
                                  *photo_, "image/jpeg");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(ErrorCode(bad), "bad_request");
}

TEST_F(ServeLocalTest, TheItemHoldsTheLocalSignal) {
  Json item = env_->CallJson(200, "GET", "/v1/items/" + std::to_string(item_id_),
                             env_->key("curator"));
  bool found = false;
  for (const Json& s : item["signals"]) {
    if (s.value("type", "") != "local") continue;
    found = true;
    EXPECT_EQ(s.value("value", ""), *local_hex_);
  }
  EXPECT_TRUE(found) << item.dump().substr(0, 300);
  Json bank = env_->CallJson(200, "GET", std::string("/v1/banks/") + kBank, env_->key("matcher"));
  EXPECT_EQ(bank.value("items", 0), 1) << bank.dump();
}

TEST_F(ServeLocalTest, TheOriginalMatchesByPdqWithLocalEvidence) {
  Json answer = Match(*photo_);
  EXPECT_TRUE(answer.value("matched", false)) << answer.dump().substr(0, 600);
  Json m = LocalMatchOfItem(answer, 1600, 1004);
  ASSERT_FALSE(m.is_null());
  EXPECT_EQ(m.value("signal_type", ""), "pdq");
  EXPECT_EQ(m.value("distance", -1), 0);
  // A query extraction: kLocalQueryKeypoints (the photo has far more corners than that).
  EXPECT_EQ(answer["hash"]["local"].value("keypoints", 0), kLocalQueryKeypoints)
      << answer["hash"].dump();
}

TEST_F(ServeLocalTest, ACropOfSeventyPercentMatchesLocally) {
  // 84% of each side (70% of the area), off centre.
  Image crop = Crop(Decode(*photo_), 200, 60, 1344, 843);
  Json answer = Match(EncodeJpeg(crop, 88));
  EXPECT_TRUE(answer.value("matched", false)) << answer.dump().substr(0, 600);
  Json m = LocalMatchOfItem(answer, 1344, 843);
  ASSERT_FALSE(m.is_null());
  EXPECT_EQ(m.value("signal_type", ""), "local") << "PDQ misses this crop; local features do";
  EXPECT_EQ(m["provenance"].value("external_id", ""), "bridge");
  // Without local features the same upload finds nothing or only a PDQ match: no score.
  Json hashes_only = Match(EncodeJpeg(crop, 88), "?local=false");
  for (const Json& match : hashes_only["matches"]) EXPECT_FALSE(match.contains("score"));
  EXPECT_FALSE(hashes_only["hash"].contains("local"));
}

TEST_F(ServeLocalTest, AThumbnailOfACropMatchesLocally) {
  // The 70% crop shrunk to 168x105: under 320 px, so the query carries its enlarged view too
  // (warden/local_features.h); the answer is the better view's. (This photo's thumbnails are
  // caught by the plain view alone down to 134 px and by neither below; the view's gains are
  // measured on the eval's quarter-size copies, docs/local-features.md.)
  Image thumb = Shrink(Crop(Decode(*photo_), 200, 60, 1344, 843), 8);
  ASSERT_EQ(thumb.width, 168);
  Json answer = Match(EncodeJpeg(thumb, 90));
  EXPECT_TRUE(answer.value("matched", false)) << answer.dump().substr(0, 600);
  Json found;
  for (const Json& m : answer["matches"]) {
    if (m.value("item_id", int64_t{0}) == item_id_) found = m;
  }
  ASSERT_FALSE(found.is_null()) << answer.dump().substr(0, 600);
  EXPECT_EQ(found.value("signal_type", ""), "local") << "PDQ misses this copy; local features do";
  EXPECT_GE(found.value("score", 0.0), 1.0) << found.dump();
  EXPECT_GT(found.value("inliers", 0), 0) << found.dump();
  // The region is in the thumbnail's own pixels.
  const Json& region = found["region"];
  EXPECT_GE(region.value("x0", -1.0), 0.0) << found.dump();
  EXPECT_LE(region.value("x1", 1000.0), 168.0) << found.dump();
  EXPECT_LE(region.value("y1", 1000.0), 105.0) << found.dump();
  // The hash reports the plain view's keypoints and the enlarged view's beside them.
  EXPECT_EQ(answer["hash"]["local"].value("keypoints", 0), kLocalQueryKeypoints)
      << answer["hash"].dump();
  EXPECT_GT(answer["hash"]["local"].value("enlarged_keypoints", 0), 0) << answer["hash"].dump();
}

TEST_F(ServeLocalTest, ALetteredCropMatchesLocallyAndReportsTheOverlayRemovedView) {
  // The 70% crop with three lines of outlined lettering across it: PDQ misses it, and the
  // query carries the picture with the strokes filled in (warden/local_features.h).
  const std::string jpeg = EncodeJpeg(Letter(Crop(Decode(*photo_), 200, 60, 1344, 843)), 88);
  Json answer = Match(jpeg);
  EXPECT_TRUE(answer.value("matched", false)) << answer.dump().substr(0, 600);
  Json m;
  for (const Json& match : answer["matches"]) {
    if (match.value("item_id", int64_t{0}) == item_id_) m = match;
  }
  ASSERT_FALSE(m.is_null()) << answer.dump().substr(0, 600);
  EXPECT_EQ(m.value("signal_type", ""), "local") << "PDQ misses this copy; local features do";
  EXPECT_GE(m.value("score", 0.0), kLocalDefaultMinScore) << m.dump();
  EXPECT_GT(m.value("inliers", 0), 0) << m.dump();
  EXPECT_GE(m["region"].value("x0", -1.0), 0.0) << m.dump();
  EXPECT_LE(m["region"].value("x1", 2000.0), 1344.0) << m.dump();
  EXPECT_LE(m["region"].value("y1", 2000.0), 843.0) << m.dump();
  EXPECT_EQ(answer["hash"]["local"].value("keypoints", 0), kLocalQueryKeypoints)
      << answer["hash"].dump();
  EXPECT_GT(answer["hash"]["local"].value("overlay_removed_keypoints", 0), 0)
      << answer["hash"].dump();
  // The plain crop has no lettering, and no such view.
  Json plain = Match(EncodeJpeg(Crop(Decode(*photo_), 200, 60, 1344, 843), 88));
  EXPECT_FALSE(plain["hash"]["local"].contains("overlay_removed_keypoints"))
      << plain["hash"].dump();
}

TEST_F(ServeLocalTest, ACopyWithItsRightPartReplacedMatchesLocally) {
  // 45% of the width replaced by noise: the kept part is what is recognised.
  Image replaced = ReplaceRightPart(Decode(*photo_), 880);
  Json answer = Match(EncodeJpeg(replaced, 90));
  EXPECT_TRUE(answer.value("matched", false)) << answer.dump().substr(0, 600);
  Json m = LocalMatchOfItem(answer, 1600, 1004);
  ASSERT_FALSE(m.is_null());
  EXPECT_EQ(m.value("signal_type", ""), "local") << "PDQ misses this copy; local features do";
  // The region lies in the kept part (a few pixels of slack for keypoint support).
  EXPECT_LT(m["region"].value("x0", 2000), 880) << m.dump();
  EXPECT_LE(m["region"].value("x1", 2000), 880 + 16) << m.dump();
}

TEST_F(ServeLocalTest, WardenMatchFindsTheCropByLocalFeatures) {
  // The CLI on the server's store (SQLite allows the second reader).
  const std::string path = env_->dir() + "/crop.jpg";
  const std::string jpeg = EncodeJpeg(Crop(Decode(*photo_), 200, 60, 1344, 843), 88);
  std::FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(std::fwrite(jpeg.data(), 1, jpeg.size(), f), jpeg.size());
  std::fclose(f);
  const std::string item = std::string(kBank) + " item " + std::to_string(item_id_) + " ";
  ProcessResult r = RunWarden({"match", "--db", env_->db(), path});
  EXPECT_EQ(r.exit_status, 0) << r.err;
  EXPECT_NE(r.out.find(path + ": match " + item), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("local score "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" region "), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find(local_hex_->substr(0, 64)), std::string::npos);

  r = RunWarden({"match", "--db", env_->db(), "--format", "json", path});
  EXPECT_EQ(r.exit_status, 0) << r.err;
  Json j = ParseJson(r.out);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  ASSERT_FALSE(j["matches"].empty()) << r.out;
  EXPECT_EQ(j["matches"][0].value("item_id", int64_t{0}), item_id_);
  EXPECT_GE(j["matches"][0].value("score", 0.0), 8.0) << r.out;
  EXPECT_LE(j["matches"][0]["region"].value("x1", 99999), 1344) << r.out;

  r = RunWarden({"match", "--db", env_->db(), "--local", "off", path});
  EXPECT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(r.out.find("local score"), std::string::npos) << r.out;
}

TEST_F(ServeLocalTest, AnUnrelatedPhotoHasNoMatch) {
  Json answer = Match(EncodeJpeg(Decode(ReadFileBytes(TestImagePath(kUnrelated))), 90));
  EXPECT_FALSE(answer.value("matched", true)) << answer.dump().substr(0, 600);
  EXPECT_TRUE(answer["matches"].empty());
  EXPECT_GT(answer["hash"]["local"].value("keypoints", 0), 0) << "it was looked up";
}

TEST_F(ServeLocalTest, LookupByStoredLocalValue) {
  Json body = {{"hashes", Json::array({{{"signal_type", "local"}, {"value", *local_hex_}}})}};
  Json r = env_->CallJson(200, "POST", "/v1/lookup", env_->key("matcher"), body.dump(),
                          "application/json");
  ASSERT_EQ(r["results"].size(), 1u);
  const Json& one = r["results"][0];
  EXPECT_TRUE(one["value"].is_null()) << "a local value is not echoed";
  ASSERT_EQ(one["matches"].size(), 1u) << one.dump().substr(0, 400);
  EXPECT_EQ(one["matches"][0].value("item_id", int64_t{0}), item_id_);
  EXPECT_EQ(one["matches"][0].value("signal_type", ""), "local");
}

TEST_F(ServeLocalTest, AMatcherKeyMatchesButCannotReadOrExport) {
  const std::string& matcher = env_->key("matcher");
  EXPECT_EQ(env_->Call("GET", std::string("/v1/banks/") + kBank + "/export", matcher).status, 403);
  EXPECT_EQ(env_->Call("GET", std::string("/v1/banks/") + kBank + "/items", matcher).status, 403);
  EXPECT_EQ(env_->Call("GET", "/v1/items/" + std::to_string(item_id_), matcher).status, 403);
  EXPECT_EQ(env_->Call("GET", std::string("/c/bank/") + kBank + "/content/" +
                                  std::to_string(item_id_) + "?include_signals=true",
                       matcher)
                .status,
            403);
}

TEST_F(ServeLocalTest, HmaPathsAnswerAsBefore) {
  // An upload to HMA's lookup answers its two signal types, the item by PDQ distance 0.
  ClientResponse r = env_->Upload("/m/lookup", env_->key("matcher"), "photo", *photo_);
  ASSERT_EQ(r.status, 200) << r.body.substr(0, 300);
  Json j = ParseJson(r.body);
  std::vector<std::string> keys;
  for (const auto& [key, value] : j.items()) keys.push_back(key);
  EXPECT_EQ(keys, (std::vector<std::string>{"md5", "pdq"}));
  ASSERT_TRUE(j["pdq"].contains(kBank)) << r.body;
  EXPECT_EQ(j["pdq"][kBank][0].value("distance", ""), "0");
  // HMA has no local signal type.
  ClientResponse local = env_->Call(
      "GET", "/m/raw_lookup?signal_type=local&signal=" + local_hex_->substr(0, 64),
      env_->key("matcher"));
  EXPECT_EQ(local.status, 400) << local.body.substr(0, 300);
  EXPECT_EQ(ErrorCode(local), "malformed_hash");
  EXPECT_NE(local.body.find("not served on HMA paths"), std::string::npos) << local.body;
}

}  // namespace
}  // namespace warden::serve_test
