// Test-only helpers shared by the decoder tests: synthetic pixel patterns and the hostile
// inputs every decoder must refuse cleanly.
#ifndef WARDEN_SRC_IMAGE_TEST_IMAGES_H_
#define WARDEN_SRC_IMAGE_TEST_IMAGES_H_

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "warden/image.h"

namespace warden::test_images {

// A deterministic pattern with gradients in every channel and a sharp edge, so that a wrong
// channel order, row order or stride shows up. Row-major, `channels` bytes per pixel.
inline std::vector<uint8_t> Pattern(int width, int height, int channels) {
  std::vector<uint8_t> p(static_cast<size_t>(width) * height * channels);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      for (int c = 0; c < channels; ++c) {
        int v = c == 0   ? x * 255 / std::max(1, width - 1)
                : c == 1 ? y * 255 / std::max(1, height - 1)
                : c == 2 ? ((x / 4 + y / 4) % 2) * 200 + 20
                         : (x + y) * 7 % 256;
        p[(static_cast<size_t>(y) * width + x) * channels + c] = static_cast<uint8_t>(v);
      }
    }
  }
  return p;
}

// Largest absolute difference between two equally sized buffers (256 if sizes differ).
inline int MaxDifference(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  if (a.size() != b.size()) return 256;
  int worst = 0;
  for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(a[i] - b[i]));
  return worst;
}

inline std::vector<uint8_t> Bytes(const std::string& s) { return {s.begin(), s.end()}; }

inline std::vector<uint8_t> RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> out(n);
  for (auto& b : out) b = static_cast<uint8_t>(rng());
  return out;
}

// Runs `decode` on inputs that must all fail without crashing: empty, random, text, and the
// valid file cut at several points (header, middle, last bytes) and with its body garbled.
// Cuts must give kTruncated or kCorruptData (some cuts land where the library cannot tell).
template <typename Decode>
void ExpectHostileInputsRejected(const Decode& decode, const std::vector<uint8_t>& valid) {
  EXPECT_FALSE(decode(std::vector<uint8_t>{}).ok());
  for (uint32_t seed = 1; seed <= 8; ++seed) {
    EXPECT_FALSE(decode(RandomBytes(64 + seed * 97, seed)).ok()) << "random seed " << seed;
  }
  EXPECT_FALSE(decode(Bytes("This is plain text, not an image at all.\n")).ok());
  for (size_t cut : {size_t{16}, size_t{40}, valid.size() / 2, valid.size() * 3 / 4,
                     valid.size() > 20 ? valid.size() - 20 : size_t{1}}) {
    if (cut >= valid.size()) continue;
    std::vector<uint8_t> cut_bytes(valid.begin(), valid.begin() + static_cast<ptrdiff_t>(cut));
    auto result = decode(cut_bytes);
    ASSERT_FALSE(result.ok()) << "cut at " << cut << " of " << valid.size();
    EXPECT_TRUE(result.status().code() == StatusCode::kTruncated ||
                result.status().code() == StatusCode::kCorruptData)
        << "cut at " << cut << ": " << result.status().ToString();
  }
  // Garbled content: a decoder may accept it (lossy data has little redundancy) but must
  // return either a well-formed image or an error.
  for (uint32_t seed = 1; seed <= 16; ++seed) {
    std::vector<uint8_t> garbled = valid;
    std::mt19937 rng(seed);
    for (int i = 0; i < 8; ++i) garbled[16 + rng() % (garbled.size() - 16)] ^= 1 << (rng() % 8);
    auto result = decode(garbled);
    if (result.ok()) {
      EXPECT_EQ(result->pixels.size(),
                static_cast<size_t>(result->width) * result->height * result->channels);
    }
  }
}

}  // namespace warden::test_images

#endif  // WARDEN_SRC_IMAGE_TEST_IMAGES_H_
