#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "warden/local_features.h"

namespace warden {
namespace {

constexpr double kPi = 3.14159265358979323846;

LocalFeatures RandomFeatures(int n, int w, int h, uint32_t seed) {
  std::mt19937 rng(seed);
  LocalFeatures f;
  f.width = w;
  f.height = h;
  for (int i = 0; i < n; ++i) {
    LocalKeypoint k;
    k.x = static_cast<float>(rng() % (w * 100)) / 100.0f;
    k.y = static_cast<float>(rng() % (h * 100)) / 100.0f;
    // Pyramid levels 0..6, and an enlarged view's finer ones (down to 1/4).
    k.scale = static_cast<float>(std::pow(1.2, static_cast<int>(rng() % 7)) /
                                 std::pow(2.0, static_cast<int>(rng() % 3)));
    k.angle = static_cast<float>(-kPi + (rng() % 100000) * (2 * kPi / 100000));
    k.response = 5;
    for (auto& b : k.descriptor) b = static_cast<uint8_t>(rng());
    f.keypoints.push_back(k);
  }
  return f;
}

double AngleDiff(double a, double b) {
  double d = std::fmod(std::fabs(a - b), 2 * kPi);
  return std::min(d, 2 * kPi - d);
}

TEST(LocalCodecTest, RoundTripKeepsEveryFieldWithinItsQuantum) {
  const LocalFeatures f = RandomFeatures(kLocalStoredKeypoints, 1600, 1004, 1);
  const std::vector<uint8_t> bytes = EncodeLocalFeatures(f);
  EXPECT_EQ(bytes.size(), 14u + 38u * kLocalStoredKeypoints);
  EXPECT_LE(bytes.size(), kLocalMaxStoredBytes);
  EXPECT_EQ(bytes[0], 'W');
  EXPECT_EQ(bytes[3], 2);
  Result<LocalFeatures> d = DecodeLocalFeatures(bytes);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->width, 1600);
  EXPECT_EQ(d->height, 1004);
  ASSERT_EQ(d->keypoints.size(), f.keypoints.size());
  for (size_t i = 0; i < f.keypoints.size(); ++i) {
    const LocalKeypoint& a = f.keypoints[i];
    const LocalKeypoint& b = d->keypoints[i];
    EXPECT_LE(std::fabs(a.x - b.x), 1600.0 / 65536) << i;
    EXPECT_LE(std::fabs(a.y - b.y), 1004.0 / 65536) << i;
    EXPECT_LT(b.x, 1600.0f);
    EXPECT_LT(b.y, 1004.0f);
    // Steps of 1/16 level: within half a step (0.57%).
    EXPECT_NEAR(b.scale, a.scale, a.scale * 0.006) << i;
    EXPECT_LE(AngleDiff(a.angle, b.angle), kPi / 256 + 1e-6) << i;
    EXPECT_GE(b.angle, -kPi - 1e-6);
    EXPECT_LT(b.angle, kPi);
    EXPECT_EQ(a.descriptor, b.descriptor) << i;
  }
  // Encoding the decoded form again gives the same bytes.
  EXPECT_EQ(EncodeLocalFeatures(*d), bytes);
}

TEST(LocalCodecTest, VersionOneFormsStillDecodeWithTheirUnsignedScales) {
  LocalFeatures f = RandomFeatures(3, 640, 480, 4);
  f.keypoints[0].scale = 1;
  f.keypoints[1].scale = 1.44f;    // level 2: 32 steps
  f.keypoints[2].scale = 0.6944f;  // level -2: -32 steps, 224 as a byte
  std::vector<uint8_t> bytes = EncodeLocalFeatures(f);
  ASSERT_EQ(bytes.size(), 14u + 3 * 38u);
  EXPECT_EQ(bytes[14 + 4], 0);
  EXPECT_EQ(bytes[14 + 38 + 4], 32);
  EXPECT_EQ(bytes[14 + 76 + 4], 224);
  Result<LocalFeatures> v2 = DecodeLocalFeatures(bytes);
  ASSERT_TRUE(v2.ok()) << v2.status().ToString();
  EXPECT_NEAR(v2->keypoints[2].scale, 1 / 1.44, 1e-4);
  // The same bytes as version 1 (unsigned scale, as written before version 2): 224 steps is
  // 1.2^14, and everything else decodes the same.
  bytes[3] = 1;
  Result<LocalFeatures> v1 = DecodeLocalFeatures(bytes);
  ASSERT_TRUE(v1.ok()) << v1.status().ToString();
  EXPECT_FLOAT_EQ(v1->keypoints[0].scale, 1);
  EXPECT_NEAR(v1->keypoints[1].scale, 1.44, 1e-4);
  EXPECT_NEAR(v1->keypoints[2].scale, std::pow(1.2, 14), 1e-2);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(v1->keypoints[i].x, v2->keypoints[i].x);
    EXPECT_EQ(v1->keypoints[i].descriptor, v2->keypoints[i].descriptor);
  }
}

TEST(LocalCodecTest, EmptyFeaturesRoundTrip) {
  LocalFeatures f;
  f.width = 20;
  f.height = 10;
  const std::vector<uint8_t> bytes = EncodeLocalFeatures(f);
  EXPECT_EQ(bytes.size(), 14u);
  Result<LocalFeatures> d = DecodeLocalFeatures(bytes);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->width, 20);
  EXPECT_TRUE(d->keypoints.empty());
}

void ExpectCorrupt(const std::vector<uint8_t>& bytes, const std::string& needle) {
  Result<LocalFeatures> d = DecodeLocalFeatures(bytes);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), StatusCode::kCorruptData);
  EXPECT_NE(d.status().message().find(needle), std::string::npos) << d.status().message();
}

TEST(LocalCodecTest, RejectsBrokenStoredForms) {
  const std::vector<uint8_t> good = EncodeLocalFeatures(RandomFeatures(10, 640, 480, 2));
  std::vector<uint8_t> b = good;
  b[0] = 'X';
  ExpectCorrupt(b, "magic");
  b = good;
  b[3] = 3;
  ExpectCorrupt(b, "version 3");
  b[3] = 0;
  ExpectCorrupt(b, "unknown stored-form version 0 (this build reads versions 1 and 2)");
  b = good;
  b.pop_back();
  ExpectCorrupt(b, "10 keypoints need 394");
  b = good;
  b.push_back(0);
  ExpectCorrupt(b, "need 394");
  b = good;
  b[12] = 11;  // count says 11, 10 present
  ExpectCorrupt(b, "11 keypoints need 432");
  b = good;
  b[12] = 101;
  ExpectCorrupt(b, "101 keypoints, over the limit of 100");
  b = good;
  b[4] = b[5] = b[6] = b[7] = 0;  // width 0
  ExpectCorrupt(b, "image size 0x480");
  ExpectCorrupt({'W', 'L', 'F'}, "shorter than its 14-byte header");
  ExpectCorrupt({}, "shorter");
  ExpectCorrupt(std::vector<uint8_t>(5000, 0), "over the limit of 4096");
}

TEST(LocalCodecTest, MutatedInputsNeverCrash) {
  const std::vector<uint8_t> good = EncodeLocalFeatures(RandomFeatures(40, 800, 600, 3));
  std::mt19937 rng(4);
  int accepted = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    std::vector<uint8_t> b = good;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      switch (rng() % 3) {
        case 0:
          b[rng() % b.size()] = static_cast<uint8_t>(rng());
          break;
        case 1:
          b.resize(rng() % (b.size() + 1));
          break;
        default:
          b.insert(b.begin() + static_cast<long>(rng() % (b.size() + 1)),
                   static_cast<uint8_t>(rng()));
          break;
      }
      if (b.empty()) break;
    }
    Result<LocalFeatures> d = DecodeLocalFeatures(b);
    if (d.ok()) {
      ++accepted;
      for (const LocalKeypoint& k : d->keypoints) {
        EXPECT_GE(k.x, 0);
        EXPECT_LT(k.x, d->width);
        EXPECT_GE(k.y, 0);
        EXPECT_LT(k.y, d->height);
      }
    } else {
      EXPECT_EQ(d.status().code(), StatusCode::kCorruptData);
    }
  }
  // Byte flips inside keypoints keep the form valid; size changes never do.
  EXPECT_GT(accepted, 100);
  EXPECT_LT(accepted, 3000);
}

}  // namespace
}  // namespace warden
