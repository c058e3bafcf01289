// The stored form of local features (warden/local_features.h):
//
//   offset  size  field
//   0       3     magic "WLF"
//   3       1     format version (kFormatVersion; version 1 is still read)
//   4       4     source width, uint32 little-endian, 1..kMaxSide
//   8       4     source height, uint32 little-endian, 1..kMaxSide
//   12      2     keypoint count n, uint16 little-endian, 0..kLocalStoredKeypoints
//   14      38*n  keypoints, each:
//                   x, y     uint16 LE: floor(x / width * 65536), decoded at the bin's centre
//                   scale    int8: round(16 log_1.2 scale), so pyramid levels are exact steps
//                            (version 1: uint8, scales >= 1 only; version 2 adds the
//                            enlarged view's finer keypoints of a small registered picture)
//                   angle    uint8: round(angle / (2 pi / 256)) mod 256
//                   32 bytes descriptor
//
// 100 keypoints take 14 + 3800 = 3814 bytes, under kLocalMaxStoredBytes. The response is not
// stored (decoded keypoints keep the stored order, which is the extractor's ranking).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "warden/local_features.h"

namespace warden {
namespace {

constexpr uint8_t kMagic[3] = {'W', 'L', 'F'};
constexpr uint8_t kFormatVersion = 2;
constexpr uint8_t kFormatVersionUnsignedScale = 1;
constexpr size_t kHeaderBytes = 14;
constexpr size_t kKeypointBytes = 6 + kLocalDescriptorBytes;
// Larger than any side a decoder accepts (100 megapixels, 1 pixel wide), far below overflow.
constexpr uint32_t kMaxSide = 1u << 30;
constexpr double kPi = 3.14159265358979323846;
constexpr double kScaleBase = 1.2;
constexpr int kScaleStepsPerLevel = 16;

void PutU16(std::vector<uint8_t>& out, uint32_t v) {
  out.push_back(static_cast<uint8_t>(v & 0xFF));
  out.push_back(static_cast<uint8_t>((v >> 8) & 0xFF));
}
void PutU32(std::vector<uint8_t>& out, uint32_t v) {
  PutU16(out, v & 0xFFFF);
  PutU16(out, v >> 16);
}
uint32_t GetU16(const uint8_t* p) { return p[0] | (uint32_t{p[1]} << 8); }
uint32_t GetU32(const uint8_t* p) { return GetU16(p) | (GetU16(p + 2) << 16); }

// Fraction of `size` as a 16-bit bin: floor(v / size * 65536), clamped to the bins.
uint32_t QuantisePosition(float v, int size) {
  if (!(v > 0) || size <= 0) return 0;  // also catches NaN
  const double q = std::floor(static_cast<double>(v) / size * 65536.0);
  return q >= 65535.0 ? 65535u : static_cast<uint32_t>(q);
}

// The scale's signed byte, two's complement: steps of 1/16 level, clamped to -128..127.
uint8_t QuantiseScale(float scale) {
  if (!(scale > 0)) return 0;  // also catches NaN
  const double q = std::floor(
      std::log(static_cast<double>(scale)) / std::log(kScaleBase) * kScaleStepsPerLevel + 0.5);
  const double clamped = std::clamp(q, -128.0, 127.0);
  return static_cast<uint8_t>(static_cast<int>(clamped) & 0xFF);
}

uint32_t QuantiseAngle(float angle) {
  if (!std::isfinite(angle)) return 0;
  const double steps = std::floor(static_cast<double>(angle) / (2 * kPi) * 256.0 + 0.5);
  const double wrapped = steps - 256.0 * std::floor(steps / 256.0);
  return static_cast<uint32_t>(wrapped) & 0xFF;
}

}  // namespace

std::vector<uint8_t> EncodeLocalFeatures(const LocalFeatures& features) {
  // Only the plain view is ever stored (a query's enlarged view is not a registered form).
  const std::span<const LocalKeypoint> kps =
      std::span<const LocalKeypoint>(features.keypoints).first(PlainKeypointCount(features));
  WARDEN_CHECK(kps.size() <= static_cast<size_t>(kLocalStoredKeypoints));
  WARDEN_CHECK(features.width >= 1 && features.height >= 1);
  std::vector<uint8_t> out;
  out.reserve(kHeaderBytes + kKeypointBytes * kps.size());
  out.insert(out.end(), kMagic, kMagic + 3);
  out.push_back(kFormatVersion);
  PutU32(out, static_cast<uint32_t>(features.width));
  PutU32(out, static_cast<uint32_t>(features.height));
  PutU16(out, static_cast<uint32_t>(kps.size()));
  for (const LocalKeypoint& kp : kps) {
    PutU16(out, QuantisePosition(kp.x, features.width));
    PutU16(out, QuantisePosition(kp.y, features.height));
    out.push_back(QuantiseScale(kp.scale));
    out.push_back(static_cast<uint8_t>(QuantiseAngle(kp.angle)));
    out.insert(out.end(), kp.descriptor.begin(), kp.descriptor.end());
  }
  return out;
}

Result<LocalFeatures> DecodeLocalFeatures(std::span<const uint8_t> bytes) {
  const std::string what = "local features: ";
  if (bytes.size() > kLocalMaxStoredBytes) {
    return Status::CorruptData(what + "stored form is " + std::to_string(bytes.size()) +
                               " bytes, over the limit of " + std::to_string(kLocalMaxStoredBytes));
  }
  if (bytes.size() < kHeaderBytes) {
    return Status::CorruptData(what + "stored form is " + std::to_string(bytes.size()) +
                               " bytes, shorter than its " + std::to_string(kHeaderBytes) +
                               "-byte header");
  }
  const uint8_t* p = bytes.data();
  if (p[0] != kMagic[0] || p[1] != kMagic[1] || p[2] != kMagic[2]) {
    return Status::CorruptData(what + "bad magic (not a WLF stored form)");
  }
  if (p[3] != kFormatVersion && p[3] != kFormatVersionUnsignedScale) {
    return Status::CorruptData(what + "unknown stored-form version " + std::to_string(p[3]) +
                               " (this build reads versions " +
                               std::to_string(kFormatVersionUnsignedScale) + " and " +
                               std::to_string(kFormatVersion) + ")");
  }
  const bool signed_scale = p[3] == kFormatVersion;
  const uint32_t width = GetU32(p + 4);
  const uint32_t height = GetU32(p + 8);
  if (width < 1 || height < 1 || width > kMaxSide || height > kMaxSide) {
    return Status::CorruptData(what + "image size " + std::to_string(width) + "x" +
                               std::to_string(height) + " is outside 1.." +
                               std::to_string(kMaxSide));
  }
  const uint32_t count = GetU16(p + 12);
  if (count > static_cast<uint32_t>(kLocalStoredKeypoints)) {
    return Status::CorruptData(what + std::to_string(count) + " keypoints, over the limit of " +
                               std::to_string(kLocalStoredKeypoints));
  }
  const size_t expected = kHeaderBytes + kKeypointBytes * count;
  if (bytes.size() != expected) {
    return Status::CorruptData(what + "stored form is " + std::to_string(bytes.size()) +
                               " bytes; " + std::to_string(count) + " keypoints need " +
                               std::to_string(expected));
  }
  LocalFeatures f;
  f.width = static_cast<int>(width);
  f.height = static_cast<int>(height);
  f.keypoints.resize(count);
  const uint8_t* k = p + kHeaderBytes;
  for (uint32_t i = 0; i < count; ++i, k += kKeypointBytes) {
    LocalKeypoint& kp = f.keypoints[i];
    // Bin centres: x < width always, and the error is at most half a bin.
    kp.x = static_cast<float>((GetU16(k) + 0.5) * width / 65536.0);
    kp.y = static_cast<float>((GetU16(k + 2) + 0.5) * height / 65536.0);
    const int steps = signed_scale && k[4] >= 128 ? k[4] - 256 : k[4];
    kp.scale = static_cast<float>(std::pow(kScaleBase, steps / double{kScaleStepsPerLevel}));
    const int a = k[5] >= 128 ? k[5] - 256 : k[5];
    kp.angle = static_cast<float>(a * (2 * kPi / 256.0));
    kp.response = 0;
    std::copy(k + 6, k + kKeypointBytes, kp.descriptor.begin());
  }
  return f;
}

}  // namespace warden
