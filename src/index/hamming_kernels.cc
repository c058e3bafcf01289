#include "src/index/hamming_kernels.h"

namespace warden {
namespace {

// Population count by summing bits in parallel (Hacker's Delight, section 5-1): the
// reference the fast kernel is tested against, independent of any CPU instruction.
inline int PopcountPlain(uint64_t x) {
  x = x - ((x >> 1) & 0x5555555555555555ull);
  x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
  x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
  return static_cast<int>((x * 0x0101010101010101ull) >> 56);
}

}  // namespace

int HammingDistancePlain(const PdqHash& a, const PdqHash& b) {
  return PopcountPlain(a.words[0] ^ b.words[0]) + PopcountPlain(a.words[1] ^ b.words[1]) +
         PopcountPlain(a.words[2] ^ b.words[2]) + PopcountPlain(a.words[3] ^ b.words[3]);
}

void ScanPlain(const PdqHash* base, size_t n, const PdqHash& query, int max_distance,
               std::vector<ScanHit>* out) {
  for (size_t i = 0; i < n; ++i) {
    int d = HammingDistancePlain(base[i], query);
    if (d <= max_distance) out->push_back({static_cast<uint32_t>(i), static_cast<uint32_t>(d)});
  }
}

// The target attribute lets this one function use POPCNT without compiling the whole
// library for it; __builtin_popcountll then becomes a single instruction. The scan is
// memory bound at large n (32 bytes per hash), so wider SIMD (AVX2 Harley-Seal,
// AVX-512 VPOPCNTDQ) was not worth a third kernel: see docs/index.md.
__attribute__((target("popcnt"))) void ScanPopcnt(const PdqHash* base, size_t n,
                                                  const PdqHash& query, int max_distance,
                                                  std::vector<ScanHit>* out) {
  const uint64_t q0 = query.words[0], q1 = query.words[1], q2 = query.words[2], q3 = query.words[3];
  for (size_t i = 0; i < n; ++i) {
    const uint64_t* w = base[i].words.data();
    int d = __builtin_popcountll(w[0] ^ q0) + __builtin_popcountll(w[1] ^ q1) +
            __builtin_popcountll(w[2] ^ q2) + __builtin_popcountll(w[3] ^ q3);
    if (d <= max_distance) {
      out->push_back({static_cast<uint32_t>(i), static_cast<uint32_t>(d)});
    }
  }
}

bool PopcntAvailable() {
#if defined(__x86_64__) || defined(__i386__)
  return __builtin_cpu_supports("popcnt");
#else
  return false;
#endif
}

ScanFn ScanKernel() {
  static const ScanFn kernel = PopcntAvailable() ? &ScanPopcnt : &ScanPlain;
  return kernel;
}

const char* ScanKernelName() { return ScanKernel() == &ScanPopcnt ? "popcnt" : "plain"; }

}  // namespace warden
