#include <array>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "warden/matcher.h"
#include "warden/pdq.h"

namespace warden {
namespace {

PdqHash Hex(const std::string& hex) {
  Result<PdqHash> hash = PdqHash::FromHex(hex);
  EXPECT_TRUE(hash.ok()) << hex;
  return hash.ok() ? *hash : PdqHash{};
}

TEST(DihedralVariantsOfHashTest, OrigIsTheHashAndFlipPlus1IsTheTranspose) {
  PdqHash hash;
  hash.set_bit(16 * 2 + 5);  // B[2][5]
  std::array<PdqHash, kDihedralCount> v = DihedralVariantsOfHash(hash);
  EXPECT_EQ(v[0], hash);
  PdqHash transposed;
  transposed.set_bit(16 * 5 + 2);
  EXPECT_EQ(v[static_cast<int>(Dihedral::kFlipPlus1)], transposed);
  // flipx negates even rows: B[2][5] stays 1 flipped to 0, every other even-row bit turns on.
  const PdqHash& flipx = v[static_cast<int>(Dihedral::kFlipX)];
  EXPECT_FALSE(flipx.bit(16 * 2 + 5));
  EXPECT_TRUE(flipx.bit(16 * 0 + 0));
  EXPECT_FALSE(flipx.bit(16 * 1 + 0));
  EXPECT_EQ(flipx.popcount(), 8 * 16 - 1);
}

TEST(DihedralVariantsOfHashTest, VariantsComposeLikeTheGroup) {
  PdqHash hash = Hex("d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22");
  auto v = DihedralVariantsOfHash(hash);
  auto rot90 = static_cast<int>(Dihedral::kRot90);
  // rot90 twice is rot180; four times is the identity; a flip twice is the identity.
  EXPECT_EQ(DihedralVariantsOfHash(v[rot90])[rot90], v[static_cast<int>(Dihedral::kRot180)]);
  EXPECT_EQ(DihedralVariantsOfHash(
                v[static_cast<int>(Dihedral::kRot180)])[static_cast<int>(Dihedral::kRot180)],
            hash);
  for (Dihedral flip :
       {Dihedral::kFlipX, Dihedral::kFlipY, Dihedral::kFlipPlus1, Dihedral::kFlipMinus1}) {
    int f = static_cast<int>(flip);
    EXPECT_EQ(DihedralVariantsOfHash(v[f])[f], hash) << DihedralName(flip);
  }
}

// The image's true dihedral hashes (MANIFEST.tsv) against the ones derived from its hash:
// flipplus1 only transposes (exact); the others are near (the median shift, see matcher.h).
TEST(DihedralVariantsOfHashTest, CloseToTheImagesTrueVariantsOnTheManifest) {
  std::ifstream in(std::string(WARDEN_TESTDATA) + "/pdq/MANIFEST.tsv");
  ASSERT_TRUE(in) << "MANIFEST.tsv";
  std::string line;
  std::getline(in, line);  // header
  int rows = 0;
  while (std::getline(in, line)) {
    std::vector<std::string> cols;
    std::stringstream ss(line);
    for (std::string col; std::getline(ss, col, '\t');) cols.push_back(col);
    if (cols.size() < 5 || cols[4].empty() || std::stoi(cols[3]) < kPdqMinQuality) continue;
    // A checkerboard's coefficients are almost all zero: every sign flip moves the median.
    if (cols[0].find("checker") != std::string::npos) continue;
    std::vector<PdqHash> truth;
    std::stringstream ds(cols[4]);
    for (std::string h; std::getline(ds, h, ';');) truth.push_back(Hex(h));
    ASSERT_EQ(truth.size(), 8u) << cols[0];
    auto derived = DihedralVariantsOfHash(truth[0]);
    EXPECT_EQ(derived[static_cast<int>(Dihedral::kFlipPlus1)],
              truth[static_cast<int>(Dihedral::kFlipPlus1)])
        << cols[0];
    for (int d = 0; d < kDihedralCount; ++d) {
      EXPECT_LE(HammingDistance(derived[d], truth[d]), kPdqMatchThreshold)
          << cols[0] << " " << DihedralName(static_cast<Dihedral>(d));
    }
    ++rows;
  }
  EXPECT_GT(rows, 50);
}

TEST(RatioGateTest, InUnitIntervalDeterministicAndSpread) {
  int below_half = 0;
  for (int64_t id = 1; id <= 10000; ++id) {
    double g = RatioGate(id);
    ASSERT_GE(g, 0.0);
    ASSERT_LT(g, 1.0);
    ASSERT_EQ(g, RatioGate(id));
    if (g < 0.5) ++below_half;
  }
  EXPECT_NEAR(below_half, 5000, 300);
}

}  // namespace
}  // namespace warden
