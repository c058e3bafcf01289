// Hamming-distance kernels for 256-bit PDQ hashes: a plain portable kernel and a fast one
// using the CPU's popcount instruction, chosen once at one dispatch point (ScanKernel()).
//
// A test compares the kernels on random data; the plain kernel is the reference.
//
// Thread safety: all functions are reentrant.
#ifndef WARDEN_SRC_INDEX_HAMMING_KERNELS_H_
#define WARDEN_SRC_INDEX_HAMMING_KERNELS_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "warden/pdq.h"

namespace warden {

// One scan hit: the position of a hash in the scanned array and its distance (0..256).
struct ScanHit {
  uint32_t index = 0;
  uint32_t distance = 0;
};

// Appends to `out` one ScanHit for every i in [0, n) with
// HammingDistance(base[i], query) <= max_distance (INCLUSIVE), in increasing i.
// REQUIRES: n <= 2^32; `base` holds n hashes.
using ScanFn = void (*)(const PdqHash* base, size_t n, const PdqHash& query, int max_distance,
                        std::vector<ScanHit>* out);

// Hamming distance with a portable bit-counting routine (no popcount instruction).
int HammingDistancePlain(const PdqHash& a, const PdqHash& b);

// The reference scan, built on HammingDistancePlain.
void ScanPlain(const PdqHash* base, size_t n, const PdqHash& query, int max_distance,
               std::vector<ScanHit>* out);
// The same scan using the x86-64 POPCNT instruction. REQUIRES: PopcntAvailable().
void ScanPopcnt(const PdqHash* base, size_t n, const PdqHash& query, int max_distance,
                std::vector<ScanHit>* out);

// True when this CPU has the POPCNT instruction.
bool PopcntAvailable();

// The dispatch point: the fastest scan this CPU supports (decided once, then cached).
ScanFn ScanKernel();
// "popcnt" or "plain": which kernel ScanKernel() returns.
const char* ScanKernelName();

}  // namespace warden

#endif  // WARDEN_SRC_INDEX_HAMMING_KERNELS_H_
