// Descriptor pairing for the local-feature verifier: for every reference keypoint, its nearest
// query keypoint by Hamming distance between 256-bit descriptors, kept when it is close enough
// and clearly closer than the second nearest (Lowe's ratio test, applied to Hamming distances).
//
// Thread safety: pure functions; the kernel choice (POPCNT or plain) is made once, thread-safely.
#ifndef WARDEN_SRC_LOCAL_LOCAL_PAIRING_H_
#define WARDEN_SRC_LOCAL_LOCAL_PAIRING_H_

#include <cstdint>
#include <span>
#include <vector>

#include "warden/local_features.h"

namespace warden {

struct DescriptorPair {
  int query = 0;      // index into the query's keypoints
  int reference = 0;  // index into the reference's keypoints
  int distance = 0;   // Hamming distance to the nearest query descriptor, 0..256
  int second = 0;     // to the second nearest, capped (see PairDescriptors)
};

struct PairingOptions {
  int max_distance = 64;   // keep a pair only if distance <= this (inclusive), 0..256
  double max_ratio = 0.8;  // ... and distance < max_ratio * second, 0 < max_ratio <= 1
};

// The pairs passing both tests, in reference order, each query keypoint used at most once
// (when two reference keypoints pick the same query keypoint, the closer one keeps it; ties:
// the earlier reference keypoint). `second` is min(true second distance, the smallest value
// at which the ratio test can no longer fail for any distance <= max_distance): that cap lets
// the scan skip descriptors early and changes no decision. A query with one keypoint has
// second = that cap. Cost: query.size() * reference.size() Hamming distances.
std::vector<DescriptorPair> PairDescriptors(std::span<const LocalKeypoint> query,
                                            std::span<const LocalKeypoint> reference,
                                            const PairingOptions& options);

// The name of the Hamming kernel in use: "popcnt" or "plain" (for benchmarks and reports).
const char* PairingKernelName();

}  // namespace warden

#endif  // WARDEN_SRC_LOCAL_LOCAL_PAIRING_H_
