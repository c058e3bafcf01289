#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "warden/file_bytes.h"
#include "warden/image.h"
#include "warden/local_features.h"

namespace warden {
namespace {

constexpr double kPi = 3.14159265358979323846;

Image GreyImageOf(int w, int h) {
  Image img;
  img.width = w;
  img.height = h;
  img.channels = 1;
  img.source_width = w;
  img.source_height = h;
  img.pixels.assign(static_cast<size_t>(w) * h, 0);
  return img;
}

// Random filled rectangles and ellipses of random grey over a noisy ramp: many corners at
// many scales, and no symmetry a descriptor could confuse.
Image Synthetic(int w, int h, uint32_t seed) {
  Image img = GreyImageOf(w, h);
  std::mt19937 rng(seed);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) img.pixels[y * w + x] = static_cast<uint8_t>(60 + (x + y) % 64);
  }
  for (int s = 0; s < 220; ++s) {
    const int cx = static_cast<int>(rng() % w);
    const int cy = static_cast<int>(rng() % h);
    const int rx = 4 + static_cast<int>(rng() % 40);
    const int ry = 4 + static_cast<int>(rng() % 40);
    const uint8_t v = static_cast<uint8_t>(rng() % 256);
    const bool ellipse = rng() % 2 == 0;
    for (int y = std::max(0, cy - ry); y < std::min(h, cy + ry); ++y) {
      for (int x = std::max(0, cx - rx); x < std::min(w, cx + rx); ++x) {
        const double dx = static_cast<double>(x - cx) / rx;
        const double dy = static_cast<double>(y - cy) / ry;
        if (!ellipse || dx * dx + dy * dy <= 1) img.pixels[y * w + x] = v;
      }
    }
  }
  for (auto& p : img.pixels)
    p = static_cast<uint8_t>(std::clamp(p + static_cast<int>(rng() % 7) - 3, 0, 255));
  return img;
}

// Exact 90-degree clockwise rotation: source pixel (x, y) lands on (h - 1 - y, x).
Image Rotate90(const Image& src) {
  Image out = GreyImageOf(src.height, src.width);
  for (int y = 0; y < src.height; ++y) {
    for (int x = 0; x < src.width; ++x) {
      out.pixels[x * out.width + (src.height - 1 - y)] = src.pixels[y * src.width + x];
    }
  }
  return out;
}

// Rotates by `degrees` and scales by `scale` about the centres (continuous coordinates,
// pixel centres at +0.5), bilinear; outside the source is mid grey.
Image RotateScale(const Image& src, double degrees, double scale, int out_w, int out_h) {
  Image out = GreyImageOf(out_w, out_h);
  const double a = degrees * kPi / 180;
  const double c = std::cos(a) / scale;
  const double s = std::sin(a) / scale;
  for (int y = 0; y < out_h; ++y) {
    for (int x = 0; x < out_w; ++x) {
      const double dx = x + 0.5 - out_w / 2.0;
      const double dy = y + 0.5 - out_h / 2.0;
      // Inverse of [cos -sin; sin cos] * scale.
      const double u = c * dx + s * dy + src.width / 2.0 - 0.5;
      const double v = -s * dx + c * dy + src.height / 2.0 - 0.5;
      const int x0 = static_cast<int>(std::floor(u));
      const int y0 = static_cast<int>(std::floor(v));
      if (x0 < 0 || y0 < 0 || x0 + 1 >= src.width || y0 + 1 >= src.height) {
        out.pixels[y * out_w + x] = 128;
        continue;
      }
      const double fx = u - x0;
      const double fy = v - y0;
      auto p = [&](int xx, int yy) { return static_cast<double>(src.pixels[yy * src.width + xx]); };
      const double val = (1 - fy) * ((1 - fx) * p(x0, y0) + fx * p(x0 + 1, y0)) +
                         fy * ((1 - fx) * p(x0, y0 + 1) + fx * p(x0 + 1, y0 + 1));
      out.pixels[y * out_w + x] = static_cast<uint8_t>(std::lround(val));
    }
  }
  return out;
}

int Hamming(const LocalKeypoint& a, const LocalKeypoint& b) {
  int d = 0;
  for (int i = 0; i < kLocalDescriptorBytes; ++i)
    d += __builtin_popcount(a.descriptor[i] ^ b.descriptor[i]);
  return d;
}

// Fraction of the first `n` reference keypoints whose nearest query descriptor has Hamming
// distance < 64 and lies within `tolerance` pixels of where `predict` maps the reference.
double RecoveredFraction(const LocalFeatures& ref, const LocalFeatures& query, size_t n,
                         const std::function<void(double, double, double*, double*)>& predict,
                         double tolerance) {
  n = std::min(n, ref.keypoints.size());
  int good = 0;
  for (size_t i = 0; i < n; ++i) {
    const LocalKeypoint& r = ref.keypoints[i];
    int best = 257;
    const LocalKeypoint* nn = nullptr;
    for (const LocalKeypoint& q : query.keypoints) {
      const int d = Hamming(r, q);
      if (d < best) {
        best = d;
        nn = &q;
      }
    }
    double px = 0;
    double py = 0;
    predict(r.x, r.y, &px, &py);
    if (nn != nullptr && best < 64 && std::hypot(nn->x - px, nn->y - py) <= tolerance) ++good;
  }
  const double frac = n == 0 ? 0 : static_cast<double>(good) / n;
  std::printf("recovered %d of %zu reference keypoints\n", good, n);
  return frac;
}

LocalFeatures Extract(const Image& img, int max_keypoints) {
  Result<LocalFeatures> f = ExtractLocalFeatures(img, {.max_keypoints = max_keypoints});
  EXPECT_TRUE(f.ok()) << f.status().ToString();
  return f.ok() ? *f : LocalFeatures{};
}

bool SameKeypoint(const LocalKeypoint& a, const LocalKeypoint& b) {
  return a.x == b.x && a.y == b.y && a.scale == b.scale && a.angle == b.angle &&
         a.response == b.response && a.descriptor == b.descriptor;
}

std::vector<uint8_t> ReadTestFile(const std::string& rel) {
  Result<std::vector<uint8_t>> b = ReadFileBytes(std::string(WARDEN_TESTDATA) + "/" + rel);
  EXPECT_TRUE(b.ok()) << rel << ": " << b.status().ToString();
  return b.ok() ? *b : std::vector<uint8_t>{};
}

TEST(LocalExtractTest, RejectsBadArguments) {
  Image empty;
  EXPECT_EQ(ExtractLocalFeatures(empty, {}).status().code(), StatusCode::kInvalidArgument);
  Image two = GreyImageOf(64, 64);
  two.channels = 2;
  two.pixels.resize(64 * 64 * 2);
  EXPECT_EQ(ExtractLocalFeatures(two, {}).status().code(), StatusCode::kInvalidArgument);
  const Image ok = GreyImageOf(64, 64);
  EXPECT_EQ(ExtractLocalFeatures(ok, {.max_keypoints = 0}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ExtractLocalFeatures(ok, {.max_keypoints = 2001}).status().code(),
            StatusCode::kInvalidArgument);
  const std::vector<uint8_t> junk = {1, 2, 3, 4};
  EXPECT_EQ(ExtractLocalFeaturesFromBytes(junk, {}).status().code(),
            StatusCode::kUnsupportedFormat);
}

TEST(LocalExtractTest, SmallAndFlatImagesGiveNoKeypoints) {
  const LocalFeatures tiny = Extract(Synthetic(31, 200, 1), 100);
  EXPECT_EQ(tiny.width, 31);
  EXPECT_EQ(tiny.height, 200);
  EXPECT_TRUE(tiny.keypoints.empty());
  Image flat = GreyImageOf(300, 200);
  std::fill(flat.pixels.begin(), flat.pixels.end(), 90);
  EXPECT_TRUE(Extract(flat, 100).keypoints.empty());
}

TEST(LocalExtractTest, SmallQueriesGetAnEnlargedView) {
  // A query under 320 px on its longer side: its own keypoints first, then those of the image
  // enlarged (here twice, to 320 px), in the image's own coordinates and scale units.
  const Image small = Synthetic(160, 120, 8);
  Result<LocalFeatures> viewed =
      ExtractLocalFeatures(small, {.max_keypoints = kLocalQueryKeypoints, .enlarged_view = true});
  ASSERT_TRUE(viewed.ok()) << viewed.status().ToString();
  Result<LocalFeatures> hundred =
      ExtractLocalFeatures(small, {.max_keypoints = kLocalStoredKeypoints, .enlarged_view = true});
  ASSERT_TRUE(hundred.ok());
  const size_t plain = viewed->enlarged_begin;
  ASSERT_GT(plain, 200u);
  ASSERT_GT(viewed->keypoints.size(), plain + 100);
  EXPECT_LE(viewed->keypoints.size(), plain + kLocalQueryKeypoints);
  EXPECT_EQ(PlainKeypointCount(*viewed), plain);
  // Each view is prefix-consistent on its own.
  ASSERT_EQ(hundred->enlarged_begin, static_cast<size_t>(kLocalStoredKeypoints));
  ASSERT_EQ(hundred->keypoints.size(), 2u * kLocalStoredKeypoints);
  for (size_t i = 0; i < 100; ++i) {
    ASSERT_TRUE(SameKeypoint(hundred->keypoints[i], viewed->keypoints[i])) << i;
    ASSERT_TRUE(SameKeypoint(hundred->keypoints[100 + i], viewed->keypoints[plain + i])) << i;
  }
  // The enlarged view's finest level is the image at 320x240: its keypoints sit on a
  // half-pixel grid (x = (column + 0.5) / 2) with scale 1/2, where the plain view's finest are
  // at column + 0.5 with scale 1. Every enlarged scale is 1.2^level / 2.
  std::set<float> enlarged_fractions, plain_fractions;
  for (size_t i = 0; i < viewed->keypoints.size(); ++i) {
    const LocalKeypoint& k = viewed->keypoints[i];
    EXPECT_GE(k.x, 0);
    EXPECT_LT(k.x, 160);
    EXPECT_GE(k.y, 0);
    EXPECT_LT(k.y, 120);
    const bool enlarged = i >= plain;
    const double level = std::log(k.scale * (enlarged ? 2.0 : 1.0)) / std::log(1.2);
    EXPECT_NEAR(level, std::round(level), 1e-4) << i;
    EXPECT_GE(level, -1e-4) << i;
    if (k.scale == (enlarged ? 0.5f : 1.0f)) {
      (enlarged ? enlarged_fractions : plain_fractions).insert(k.x - std::floor(k.x));
    }
  }
  EXPECT_EQ(plain_fractions, (std::set<float>{0.5f}));
  EXPECT_EQ(enlarged_fractions, (std::set<float>{0.25f, 0.75f}));

  // Registered (no view asked for): the plain view's first 50, then the enlarged keypoints
  // finer than scale 1 in their order, then the plain view's next ones, 100 in all; the same
  // as RegisteredLocalFeatures derives from the query. Encoding keeps it whole.
  const LocalFeatures registered = Extract(small, kLocalStoredKeypoints);
  EXPECT_EQ(registered.enlarged_begin, 0u);
  ASSERT_EQ(registered.keypoints.size(), static_cast<size_t>(kLocalStoredKeypoints));
  std::vector<LocalKeypoint> expected(viewed->keypoints.begin(), viewed->keypoints.begin() + 50);
  for (size_t i = plain; i < viewed->keypoints.size() && expected.size() < 100; ++i) {
    if (viewed->keypoints[i].scale < 0.99f) expected.push_back(viewed->keypoints[i]);
  }
  for (size_t i = 50; expected.size() < 100; ++i) expected.push_back(viewed->keypoints[i]);
  int finer = 0;
  for (size_t i = 0; i < 100; ++i) {
    ASSERT_TRUE(SameKeypoint(registered.keypoints[i], expected[i])) << i;
    finer += registered.keypoints[i].scale < 0.99f ? 1 : 0;
  }
  EXPECT_GT(finer, 30);  // the enlarged view's levels 0..3 (scales 0.5 to 0.86)
  EXPECT_EQ(EncodeLocalFeatures(RegisteredLocalFeatures(*viewed)), EncodeLocalFeatures(registered));
  Result<LocalFeatures> back = DecodeLocalFeatures(EncodeLocalFeatures(registered));
  ASSERT_TRUE(back.ok());
  EXPECT_LT(back->keypoints[50].scale, 0.99f);
  EXPECT_NEAR(back->keypoints[50].scale, registered.keypoints[50].scale, 0.006);

  // At 320 px and above there is no view, and the registered form is the plain first 100.
  const Image large_image = Synthetic(320, 200, 8);
  Result<LocalFeatures> large = ExtractLocalFeatures(
      large_image, {.max_keypoints = kLocalQueryKeypoints, .enlarged_view = true});
  ASSERT_TRUE(large.ok());
  EXPECT_EQ(large->enlarged_begin, 0u);
  EXPECT_EQ(large->keypoints.size(), Extract(large_image, kLocalQueryKeypoints).keypoints.size());
  EXPECT_EQ(EncodeLocalFeatures(RegisteredLocalFeatures(*large)),
            EncodeLocalFeatures(Extract(large_image, kLocalStoredKeypoints)));
}

TEST(LocalExtractTest, VersionOneFormsOfSmallPicturesStillMatch) {
  // A bank registered before version 2 holds a small picture's plain view only (stored-form
  // version 1). Today's query of the same picture still matches it, through its plain view.
  const Image small = Synthetic(160, 120, 9);
  Result<LocalFeatures> query =
      ExtractLocalFeatures(small, {.max_keypoints = kLocalQueryKeypoints, .enlarged_view = true});
  ASSERT_TRUE(query.ok());
  LocalFeatures old = *query;
  old.keypoints.resize(kLocalStoredKeypoints);
  old.enlarged_begin = 0;
  std::vector<uint8_t> bytes = EncodeLocalFeatures(old);
  bytes[3] = 1;  // every plain scale is >= 1: the same bytes as version 1 wrote
  Result<LocalFeatures> v1 = DecodeLocalFeatures(bytes);
  ASSERT_TRUE(v1.ok()) << v1.status().ToString();
  const LocalMatch m = VerifyLocalMatch(*query, *v1, {});
  EXPECT_TRUE(m.matched);
  EXPECT_GE(m.inliers, 90);
  // And it differs from today's registered form of the picture from keypoint 50 on.
  const LocalFeatures now = RegisteredLocalFeatures(*query);
  EXPECT_TRUE(SameKeypoint(now.keypoints[49], old.keypoints[49]));
  EXPECT_FALSE(SameKeypoint(now.keypoints[50], old.keypoints[50]));
}

TEST(LocalExtractTest, KeypointsLieInsideTheImageWithValidFields) {
  const Image img = Synthetic(900, 500, 2);
  const LocalFeatures f = Extract(img, 500);
  EXPECT_EQ(f.width, 900);
  EXPECT_EQ(f.height, 500);
  ASSERT_EQ(f.keypoints.size(), 500u);
  int coarse = 0;
  for (const LocalKeypoint& k : f.keypoints) {
    EXPECT_GE(k.x, 0);
    EXPECT_LT(k.x, 900);
    EXPECT_GE(k.y, 0);
    EXPECT_LT(k.y, 500);
    EXPECT_GE(k.angle, -static_cast<float>(kPi) - 1e-6f);
    EXPECT_LT(k.angle, static_cast<float>(kPi));
    EXPECT_GE(k.scale, 1.0f);
    EXPECT_GT(k.response, 0.0f);
    if (k.scale > 1.5f) ++coarse;
  }
  EXPECT_GT(coarse, 10) << "the pyramid's coarser levels contribute keypoints";
}

// Quarters the contrast (around grey 100) of every pixel at x >= x0: weak texture there.
void WeakenRightOf(Image* img, int x0) {
  for (int y = 0; y < img->height; ++y) {
    for (int x = x0; x < img->width; ++x) {
      uint8_t& p = img->pixels[static_cast<size_t>(y) * img->width + x];
      p = static_cast<uint8_t>(100 + (p - 100) / 4);
    }
  }
}

TEST(LocalExtractTest, SpreadsKeypointsOverTheImage) {
  // Strong texture on the left third only, weak texture elsewhere: the first 100 must still
  // include keypoints outside the strong third.
  Image img = Synthetic(600, 400, 3);
  WeakenRightOf(&img, 200);
  const LocalFeatures f = Extract(img, 100);
  ASSERT_EQ(f.keypoints.size(), 100u);
  const auto right = std::count_if(f.keypoints.begin(), f.keypoints.end(),
                                   [](const LocalKeypoint& k) { return k.x >= 220; });
  EXPECT_GE(right, 30);
}

TEST(LocalExtractTest, QueryTailIsSpreadWhereTheHeadIsNot) {
  // Strong texture on the left third, weak texture elsewhere, large enough for well over 1000
  // candidates. Past the first 500 (ranked by strength after the two grid rounds) the order
  // is round-robin over a finer grid: the weak two thirds get a far larger share of the tail
  // than of the strength-ranked part of the head.
  Image img = Synthetic(1280, 800, 11);
  WeakenRightOf(&img, 427);
  const LocalFeatures f = Extract(img, kLocalQueryKeypoints);
  ASSERT_EQ(f.keypoints.size(), static_cast<size_t>(kLocalQueryKeypoints));
  auto right_share = [&](size_t from, size_t to) {
    const auto n = std::count_if(f.keypoints.begin() + from, f.keypoints.begin() + to,
                                 [](const LocalKeypoint& k) { return k.x >= 440; });
    return static_cast<double>(n) / (to - from);
  };
  const double head = right_share(100, 500);
  const double tail = right_share(500, 1000);
  EXPECT_LT(head, 0.35);
  EXPECT_GT(tail, 0.5);
  EXPECT_GT(tail, head + 0.2);
}

TEST(LocalExtractTest, DeterministicAcrossRunsAndThreads) {
  const Image img = Synthetic(700, 450, 4);
  const LocalFeatures a = Extract(img, 300);
  LocalFeatures b;
  LocalFeatures c;
  std::thread t1([&] { b = Extract(img, 300); });
  std::thread t2([&] { c = Extract(img, 300); });
  t1.join();
  t2.join();
  ASSERT_EQ(a.keypoints.size(), 300u);
  ASSERT_EQ(b.keypoints.size(), a.keypoints.size());
  ASSERT_EQ(c.keypoints.size(), a.keypoints.size());
  for (size_t i = 0; i < a.keypoints.size(); ++i) {
    EXPECT_TRUE(SameKeypoint(a.keypoints[i], b.keypoints[i])) << i;
    EXPECT_TRUE(SameKeypoint(a.keypoints[i], c.keypoints[i])) << i;
  }
}

TEST(LocalExtractTest, PrefixConsistent) {
  const Image img = Synthetic(800, 600, 5);
  const LocalFeatures big = Extract(img, kLocalQueryKeypoints);
  ASSERT_EQ(big.keypoints.size(), static_cast<size_t>(kLocalQueryKeypoints));
  // Across the start of the spread tail (500) too.
  for (int n : {1, 37, 70, kLocalStoredKeypoints, 250, 499, 500, 501, 777}) {
    const LocalFeatures small = Extract(img, n);
    ASSERT_EQ(small.keypoints.size(), static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
      EXPECT_TRUE(SameKeypoint(small.keypoints[i], big.keypoints[i])) << "n=" << n << " i=" << i;
    }
  }
}

TEST(LocalExtractTest, RgbWithEqualChannelsEqualsGrey) {
  const Image grey = Synthetic(400, 300, 6);
  Image rgb = grey;
  rgb.channels = 3;
  rgb.pixels.clear();
  for (uint8_t p : grey.pixels) rgb.pixels.insert(rgb.pixels.end(), {p, p, p});
  const LocalFeatures a = Extract(grey, 200);
  const LocalFeatures b = Extract(rgb, 200);
  ASSERT_EQ(a.keypoints.size(), b.keypoints.size());
  for (size_t i = 0; i < a.keypoints.size(); ++i) {
    EXPECT_TRUE(SameKeypoint(a.keypoints[i], b.keypoints[i])) << i;
  }
}

TEST(LocalExtractTest, ExactRotationBy90IsRecovered) {
  const Image src = Synthetic(600, 420, 7);
  const Image rot = Rotate90(src);
  const LocalFeatures ref = Extract(src, 100);
  const LocalFeatures query = Extract(rot, kLocalQueryKeypoints);
  const double h = src.height;
  const double frac = RecoveredFraction(
      ref, query, 100,
      [h](double x, double y, double* px, double* py) {
        *px = h - y;
        *py = x;
      },
      3.0);
  EXPECT_GE(frac, 0.5);
}

TEST(LocalExtractTest, RotationBy10AndScale07AreRecovered) {
  const Image src = Synthetic(640, 480, 8);
  const LocalFeatures ref = Extract(src, 100);
  for (const auto& [degrees, scale] :
       {std::pair{10.0, 1.0}, std::pair{0.0, 0.7}, std::pair{-10.0, 0.8}}) {
    const int w = static_cast<int>(640 * scale);
    const int h = static_cast<int>(480 * scale);
    const Image dst = RotateScale(src, degrees, scale, w, h);
    const LocalFeatures query = Extract(dst, kLocalQueryKeypoints);
    const double a = degrees * kPi / 180;
    const double frac = RecoveredFraction(
        ref, query, 100,
        [&](double x, double y, double* px, double* py) {
          const double dx = x - 320;
          const double dy = y - 240;
          *px = scale * (std::cos(a) * dx - std::sin(a) * dy) + w / 2.0;
          *py = scale * (std::sin(a) * dx + std::cos(a) * dy) + h / 2.0;
        },
        3.0);
    EXPECT_GE(frac, 0.5) << degrees << " degrees, scale " << scale;
  }
}

TEST(LocalExtractTest, PhotoRotatedBy90IsRecoveredFromJpegBytes) {
  const std::vector<uint8_t> a =
      ReadTestFile("pdq/images/reg-test-input/dih/bridge-1-original.jpg");
  const std::vector<uint8_t> b =
      ReadTestFile("pdq/images/reg-test-input/dih/bridge-2-rotate-90.jpg");
  Result<LocalFeatures> ref = ExtractLocalFeaturesFromBytes(a, {.max_keypoints = 100});
  Result<LocalFeatures> query =
      ExtractLocalFeaturesFromBytes(b, {.max_keypoints = kLocalQueryKeypoints});
  ASSERT_TRUE(ref.ok()) << ref.status().ToString();
  ASSERT_TRUE(query.ok()) << query.status().ToString();
  EXPECT_EQ(ref->width, 1600);
  EXPECT_EQ(ref->height, 1004);
  EXPECT_EQ(query->width, 1004);
  EXPECT_EQ(query->height, 1600);
  ASSERT_EQ(ref->keypoints.size(), 100u);
  // Full-size coordinates although the JPEG was decoded at 1/2.
  float max_x = 0;
  for (const LocalKeypoint& k : ref->keypoints) max_x = std::max(max_x, k.x);
  EXPECT_GT(max_x, 1200.0f);
  // bridge-2 is bridge-1 turned 90 degrees anticlockwise: (x, y) -> (y, 1600 - x).
  const double frac = RecoveredFraction(
      *ref, *query, 100,
      [](double x, double y, double* px, double* py) {
        *px = y;
        *py = 1600 - x;
      },
      6.0);
  EXPECT_GE(frac, 0.5);
}

TEST(LocalExtractTest, BytesPathAgreesWithFullDecode) {
  const std::vector<uint8_t> bytes =
      ReadTestFile("pdq/images/reg-test-input/dih/bridge-1-original.jpg");
  Result<Image> full = DecodeImage(bytes);
  ASSERT_TRUE(full.ok());
  const LocalFeatures a = Extract(*full, 100);
  Result<LocalFeatures> b =
      ExtractLocalFeaturesFromBytes(bytes, {.max_keypoints = kLocalQueryKeypoints});
  ASSERT_TRUE(b.ok());
  const double frac = RecoveredFraction(
      a, *b, 100,
      [](double x, double y, double* px, double* py) {
        *px = x;
        *py = y;
      },
      4.0);
  EXPECT_GE(frac, 0.7);
}

TEST(LocalExtractTest, MutatedJpegsNeverCrash) {
  // Byte flips and cuts in a small JPEG, mostly in its markers (where the extractor reads the
  // frame size itself to pick the DCT scale): every result is features or a decoder error.
  const std::vector<uint8_t> good =
      ReadTestFile("pdq/images/reg-test-input/labelme-subset/q0003.jpg");
  ASSERT_GT(good.size(), 1000u);
  Result<LocalFeatures> base = ExtractLocalFeaturesFromBytes(good, {});
  ASSERT_TRUE(base.ok()) << base.status().ToString();
  EXPECT_EQ(base->width, 256);
  std::mt19937 rng(9);
  int ok = 0;
  for (int trial = 0; trial < 150; ++trial) {
    std::vector<uint8_t> b = good;
    if (trial % 5 == 0) {
      b.resize(rng() % b.size());
    } else {
      for (int e = 0; e < 3; ++e)
        b[rng() % std::min<size_t>(b.size(), 700)] = static_cast<uint8_t>(rng());
    }
    Result<LocalFeatures> f = ExtractLocalFeaturesFromBytes(b, {});
    if (f.ok()) {
      ++ok;
      for (const LocalKeypoint& k : f->keypoints) {
        EXPECT_GE(k.x, 0);
        EXPECT_LT(k.x, f->width);
        EXPECT_GE(k.y, 0);
        EXPECT_LT(k.y, f->height);
      }
    } else {
      const StatusCode c = f.status().code();
      EXPECT_TRUE(c == StatusCode::kCorruptData || c == StatusCode::kTruncated ||
                  c == StatusCode::kUnsupportedFormat || c == StatusCode::kTooLarge)
          << f.status().ToString();
    }
  }
  EXPECT_GT(ok, 0);
}

}  // namespace
}  // namespace warden
