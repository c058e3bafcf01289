// Test fixtures: small synthetic local features and the kLocal signal holding them, for the
// tests of every module that carries local signals (store, bank formats, CLI). No pixels.
//
// Thread safety: reentrant functions.
#ifndef WARDEN_SRC_HASH_LOCAL_TEST_SIGNAL_H_
#define WARDEN_SRC_HASH_LOCAL_TEST_SIGNAL_H_

#include <cstdint>
#include <random>

#include "warden/local_features.h"
#include "warden/local_signal.h"
#include "warden/signal.h"

namespace warden {

// `count` keypoints (<= kLocalStoredKeypoints) spread over a 640x480 image, with descriptors
// drawn from `seed`: different seeds give different values.
inline LocalFeatures SyntheticLocalFeatures(uint32_t seed, int count = 12) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> unit(0.0f, 1.0f);
  LocalFeatures f;
  f.width = 640;
  f.height = 480;
  for (int i = 0; i < count; ++i) {
    LocalKeypoint k;
    k.x = 0.5f + unit(rng) * 638.0f;
    k.y = 0.5f + unit(rng) * 478.0f;
    k.scale = 1.0f + static_cast<float>(i % 4) * 0.2f;
    k.angle = -3.0f + unit(rng) * 6.0f;
    k.response = 100.0f - static_cast<float>(i);
    for (uint8_t& b : k.descriptor) b = static_cast<uint8_t>(rng() & 0xff);
    f.keypoints.push_back(k);
  }
  return f;
}

inline Signal SyntheticLocalSignal(uint32_t seed, int count = 12) {
  return LocalSignalFromFeatures(SyntheticLocalFeatures(seed, count));
}

}  // namespace warden

#endif  // WARDEN_SRC_HASH_LOCAL_TEST_SIGNAL_H_
