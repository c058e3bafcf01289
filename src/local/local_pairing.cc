#include "src/local/local_pairing.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace warden {
namespace {

constexpr int kWords = kLocalDescriptorBytes / 8;

struct NearestTwo {
  int best = 0, best_index = -1, second = 0;
};

// Population count by summing bits in parallel (Hacker's Delight, section 5-1): used when the
// CPU has no POPCNT instruction (and in WebAssembly builds, whose compiler picks its own).
inline int PopcountPlain(uint64_t x) {
  x = x - ((x >> 1) & 0x5555555555555555ull);
  x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
  x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
  return static_cast<int>((x * 0x0101010101010101ull) >> 56);
}

// One reference descriptor against every query descriptor. Distances >= `cap` never matter
// (PairDescriptors' contract), so both start at the cap. Inlined into each kernel below so
// that the popcount builtin compiles to that kernel's instruction set.
template <int (*Popcount)(uint64_t)>
__attribute__((always_inline)) inline NearestTwo Scan(const uint64_t* words, size_t n,
                                                      const uint64_t* ref, int cap) {
  NearestTwo r{cap, -1, cap};
  for (size_t j = 0; j < n; ++j) {
    const uint64_t* w = words + j * kWords;
    const int d = Popcount(w[0] ^ ref[0]) + Popcount(w[1] ^ ref[1]) + Popcount(w[2] ^ ref[2]) +
                  Popcount(w[3] ^ ref[3]);
    if (d < r.second) {
      if (d < r.best) {
        r.second = r.best;
        r.best = d;
        r.best_index = static_cast<int>(j);
      } else {
        r.second = d;
      }
    }
  }
  return r;
}

NearestTwo NearestTwoPlain(const uint64_t* words, size_t n, const uint64_t* ref, int cap) {
  return Scan<PopcountPlain>(words, n, ref, cap);
}

#if defined(__x86_64__) || defined(__i386__)
// Expanded to one POPCNT inside NearestTwoPopcnt, into which it is inlined.
__attribute__((always_inline)) inline int PopcountBuiltin(uint64_t x) {
  return __builtin_popcountll(x);
}
// The target attribute gives this one function the POPCNT instruction without compiling the
// library for it (the same scheme as src/index/hamming_kernels.cc).
__attribute__((target("popcnt"))) NearestTwo NearestTwoPopcnt(const uint64_t* words, size_t n,
                                                              const uint64_t* ref, int cap) {
  return Scan<PopcountBuiltin>(words, n, ref, cap);
}
#endif

using NearestTwoFn = NearestTwo (*)(const uint64_t*, size_t, const uint64_t*, int);

NearestTwoFn Kernel() {
#if defined(__x86_64__) || defined(__i386__)
  static const NearestTwoFn kernel =
      __builtin_cpu_supports("popcnt") ? &NearestTwoPopcnt : &NearestTwoPlain;
  return kernel;
#else
  return &NearestTwoPlain;
#endif
}

void Pack(std::span<const LocalKeypoint> keypoints, std::vector<uint64_t>& out) {
  out.resize(keypoints.size() * kWords);
  for (size_t i = 0; i < keypoints.size(); ++i) {
    std::memcpy(out.data() + i * kWords, keypoints[i].descriptor.data(), kLocalDescriptorBytes);
  }
}

}  // namespace

const char* PairingKernelName() { return Kernel() == &NearestTwoPlain ? "plain" : "popcnt"; }

std::vector<DescriptorPair> PairDescriptors(std::span<const LocalKeypoint> query,
                                            std::span<const LocalKeypoint> reference,
                                            const PairingOptions& options) {
  std::vector<DescriptorPair> pairs;
  if (query.empty() || reference.empty()) return pairs;
  // The smallest second distance at which `d < ratio * second` holds for every kept d.
  const int cap =
      std::min(257, static_cast<int>(std::floor(options.max_distance / options.max_ratio)) + 1);
  std::vector<uint64_t> words;
  Pack(query, words);
  const NearestTwoFn kernel = Kernel();
  std::vector<int> owner(query.size(), -1);  // index into `pairs` holding each query keypoint
  uint64_t ref[kWords];
  for (size_t i = 0; i < reference.size(); ++i) {
    std::memcpy(ref, reference[i].descriptor.data(), kLocalDescriptorBytes);
    const NearestTwo r = kernel(words.data(), query.size(), ref, cap);
    if (r.best_index < 0 || r.best > options.max_distance) continue;
    if (!(r.best < options.max_ratio * r.second)) continue;
    DescriptorPair p{r.best_index, static_cast<int>(i), r.best, r.second};
    int& o = owner[r.best_index];
    if (o < 0) {
      o = static_cast<int>(pairs.size());
      pairs.push_back(p);
    } else if (p.distance < pairs[o].distance) {
      pairs[o] = p;  // the closer reference keypoint takes the query keypoint
    }
  }
  // Replacing in place can break reference order; restore it.
  std::sort(pairs.begin(), pairs.end(), [](const DescriptorPair& a, const DescriptorPair& b) {
    return a.reference < b.reference;
  });
  return pairs;
}

}  // namespace warden
