// Dihedral variants of a PDQ hash from its bits, and the roll-out gate (warden/matcher.h).
#include <array>
#include <cstdint>

#include "warden/matcher.h"
#include "warden/pdq.h"

namespace warden {
namespace {

// PDQ.md step 8 maps coefficient B[i][j] to position (i, j) or (j, i) of the variant, times
// +1 or -1. On bits (bit 16*i + j is "B[i][j] > median") a factor of -1 becomes a flipped bit;
// that is exact only where the variant's median equals minus the original's, hence the
// approximation documented in the header.
struct Rule {
  bool transpose;
  // The factor is -1 when this returns true.
  bool (*negate)(int i, int j);
};

bool Never(int, int) { return false; }
bool JEven(int, int j) { return j % 2 == 0; }
bool IEven(int i, int) { return i % 2 == 0; }
bool SumOdd(int i, int j) { return (i + j) % 2 == 1; }

constexpr std::array<Rule, kDihedralCount> kRules = {{
    {false, Never},   // orig
    {true, JEven},    // rot90: B'[j][i] = (j odd ? 1 : -1) B[i][j]
    {false, SumOdd},  // rot180: B'[i][j] = ((i+j) odd ? -1 : 1) B[i][j]
    {true, IEven},    // rot270: B'[j][i] = (i odd ? 1 : -1) B[i][j]
    {false, IEven},   // flipx: B'[i][j] = (i odd ? 1 : -1) B[i][j]
    {false, JEven},   // flipy: B'[i][j] = (j odd ? 1 : -1) B[i][j]
    {true, Never},    // flipplus1: B'[j][i] = B[i][j]
    {true, SumOdd},   // flipminus1: B'[j][i] = ((i+j) odd ? -1 : 1) B[i][j]
}};

}  // namespace

std::array<PdqHash, kDihedralCount> DihedralVariantsOfHash(const PdqHash& hash) {
  std::array<PdqHash, kDihedralCount> out{};
  for (int d = 0; d < kDihedralCount; ++d) {
    const Rule& rule = kRules[d];
    for (int i = 0; i < 16; ++i) {
      for (int j = 0; j < 16; ++j) {
        bool bit = hash.bit(16 * i + j) != rule.negate(i, j);
        if (bit) out[d].set_bit(rule.transpose ? 16 * j + i : 16 * i + j);
      }
    }
  }
  return out;
}

double RatioGate(int64_t item_id) {
  // splitmix64 (Steele, Lea, Flood, "Fast splittable pseudorandom number generators"): a
  // fixed, well-mixed function of the id, so the gate is the same in every process.
  uint64_t z = static_cast<uint64_t>(item_id) + 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) * 0x1.0p-53;
}

}  // namespace warden
