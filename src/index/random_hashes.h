// Synthetic PDQ hashes for the index tests and benchmark: uniform random hashes and hashes at
// an exact Hamming distance from another. Never real hash lists.
//
// Thread safety: functions are reentrant; each caller owns its generator.
#ifndef WARDEN_SRC_INDEX_RANDOM_HASHES_H_
#define WARDEN_SRC_INDEX_RANDOM_HASHES_H_

#include <array>
#include <random>

#include "warden/pdq.h"
#include "warden/status.h"

namespace warden {

inline PdqHash RandomPdqHash(std::mt19937_64& rng) {
  PdqHash h;
  for (uint64_t& w : h.words) w = rng();
  return h;
}

// `h` with exactly `distance` distinct bits flipped, chosen uniformly.
// REQUIRES: 0 <= distance <= 256.
inline PdqHash FlipRandomBits(const PdqHash& h, int distance, std::mt19937_64& rng) {
  WARDEN_CHECK(distance >= 0 && distance <= 256);
  // Partial Fisher-Yates over the 256 bit positions.
  std::array<uint8_t, 256> bits;
  for (int i = 0; i < 256; ++i) bits[i] = static_cast<uint8_t>(i);
  PdqHash out = h;
  for (int i = 0; i < distance; ++i) {
    int j = i + static_cast<int>(rng() % static_cast<uint64_t>(256 - i));
    std::swap(bits[i], bits[j]);
    out.words[bits[i] >> 6] ^= uint64_t{1} << (bits[i] & 63);
  }
  return out;
}

}  // namespace warden

#endif  // WARDEN_SRC_INDEX_RANDOM_HASHES_H_
