// PDQ: Meta's 256-bit perceptual image hash, computed exactly as the reference does
// (../shared/docs/PDQ.md is the specification this follows step by step).
//
// The core works on a float32 luma buffer; ComputePdq(Image) converts 8-bit pixels to luma
// first (Y = 0.299R + 0.587G + 0.114B in float; grey used directly). Hashes equal Meta's
// reference bit for bit given the same pixels.
//
// Thread safety: all functions are reentrant; PdqHash is a value type.
#ifndef WARDEN_PDQ_H_
#define WARDEN_PDQ_H_

#include <array>
#include <bit>
#include <cstdint>
#include <string>
#include <string_view>

#include "warden/image.h"
#include "warden/status.h"

namespace warden {

// Name and version stored beside every PDQ hash so a future hasher never mixes silently
// with old data.
inline constexpr std::string_view kPdqAlgorithm = "pdq";
inline constexpr int kPdqAlgorithmVersion = 1;

// PDQ's standard match threshold: distance <= 31 (inclusive).
inline constexpr int kPdqMatchThreshold = 31;
// Hashes of quality below this are never matched or indexed.
inline constexpr int kPdqMinQuality = 50;

// 256 bits. Bit k (0..255) is bit (k % 64) of words[k / 64]; in PDQ terms bit k = 16*i + j
// is 1 iff DCT coefficient B[i][j] is above the median.
struct PdqHash {
  std::array<uint64_t, 4> words{};

  bool bit(int k) const { return (words[k >> 6] >> (k & 63)) & 1u; }
  void set_bit(int k) { words[k >> 6] |= uint64_t{1} << (k & 63); }
  int popcount() const {
    return std::popcount(words[0]) + std::popcount(words[1]) + std::popcount(words[2]) +
           std::popcount(words[3]);
  }
  bool is_zero() const { return (words[0] | words[1] | words[2] | words[3]) == 0; }

  // 64 lower-case hex digits, most significant 16-bit word (w[15]) first, as the reference.
  std::string ToHex() const;
  // Parses exactly 64 hex digits (either case, nothing else: no prefix, no spaces).
  // Errors: kInvalidArgument naming the length or the first bad character.
  static Result<PdqHash> FromHex(std::string_view hex);

  friend bool operator==(const PdqHash&, const PdqHash&) = default;
};

// Hamming distance, 0..256.
inline int HammingDistance(const PdqHash& a, const PdqHash& b) {
  return std::popcount(a.words[0] ^ b.words[0]) + std::popcount(a.words[1] ^ b.words[1]) +
         std::popcount(a.words[2] ^ b.words[2]) + std::popcount(a.words[3] ^ b.words[3]);
}

// The 8 dihedral variants, in the order the reference and MANIFEST.tsv list them.
enum class Dihedral { kOriginal = 0, kRot90, kRot180, kRot270, kFlipX, kFlipY, kFlipPlus1, kFlipMinus1 };
inline constexpr int kDihedralCount = 8;
// "orig", "rot90", "rot180", "rot270", "flipx", "flipy", "flipplus1", "flipminus1".
const char* DihedralName(Dihedral d);

struct PdqResult {
  PdqHash hash;
  int quality = 0;         // 0..100
  bool too_small = false;  // a side under 5 px: hash all zeros, quality 0 (PDQ.md step 2)
  // Filled only when dihedral hashes were asked for; dihedral[0] is the hash of the
  // dihedral computation's original orientation.
  bool has_dihedral = false;
  std::array<PdqHash, kDihedralCount> dihedral{};
};

// PDQ of a float luma buffer, row-major, `rows` x `cols`, `luma[r * cols + c]`.
// REQUIRES: rows >= 0, cols >= 0, luma holds rows * cols values. Never fails.
PdqResult ComputePdqFromLuma(const float* luma, int rows, int cols, bool with_dihedral);

// PDQ of a decoded image: luma conversion, then ComputePdqFromLuma.
PdqResult ComputePdq(const Image& image, bool with_dihedral);

}  // namespace warden

#endif  // WARDEN_PDQ_H_
