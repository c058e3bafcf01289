// Every `core` row of ../shared/testdata/pdq/MANIFEST.tsv, bit for bit: the PNG under core/
// is the exact buffer Meta's reference fed to its core, so hash, quality and all 8
// dihedral hashes must be equal.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "warden/file_bytes.h"
#include "warden/image.h"
#include "warden/pdq.h"

namespace warden {
namespace {

struct CoreRow {
  std::string file, pdq, dihedral;
  int quality = 0;
};

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string field;
  while (std::getline(ss, field, sep)) out.push_back(field);
  return out;
}

std::vector<CoreRow> CoreRows() {
  std::vector<CoreRow> rows;
  std::ifstream in(std::string(WARDEN_TESTDATA) + "/pdq/MANIFEST.tsv");
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::vector<std::string> f = Split(line, '\t');
    if (f.size() < 5 || f[1] != "core") continue;
    rows.push_back({f[0], f[2], f[4], std::stoi(f[3])});
  }
  return rows;
}

class PdqCoreManifestTest : public ::testing::TestWithParam<CoreRow> {};

TEST_P(PdqCoreManifestTest, HashQualityAndDihedralEqualReference) {
  const CoreRow& row = GetParam();
  auto bytes = ReadFileBytes(std::string(WARDEN_TESTDATA) + "/pdq/" + row.file);
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  auto image = DecodeImage(*bytes);
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  PdqResult r = ComputePdq(*image, /*with_dihedral=*/true);
  EXPECT_EQ(r.hash.ToHex(), row.pdq);
  EXPECT_EQ(r.quality, row.quality);
  std::vector<std::string> want = Split(row.dihedral, ';');
  ASSERT_EQ(want.size(), 8u);
  for (int k = 0; k < kDihedralCount; ++k) {
    EXPECT_EQ(r.dihedral[k].ToHex(), want[k]) << DihedralName(Dihedral(k));
  }
}

std::string RowName(const testing::TestParamInfo<CoreRow>& info) {
  std::string name;
  for (char c : info.param.file.substr(5)) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(Manifest, PdqCoreManifestTest, ::testing::ValuesIn(CoreRows()), RowName);

// The reference's rotated and flipped copies of one photo: the matching dihedral variant of
// the original is within 18 bits of each copy's own hash (PDQ.md), the others far away.
TEST(PdqDihedralTest, VariantsFindRotatedAndFlippedCopies) {
  const std::string dir = std::string(WARDEN_TESTDATA) + "/pdq/core/reg-test-input/dih/";
  const char* names[kDihedralCount] = {"bridge-1-original", "bridge-2-rotate-90",
                                       "bridge-3-rotate-180", "bridge-4-rotate-270",
                                       "bridge-5-flipx", "bridge-6-flipy",
                                       "bridge-7-flip-plus-1", "bridge-8-flip-minus-1"};
  auto hash_of = [&](const char* name, bool dihedral) {
    auto bytes = ReadFileBytes(dir + name + ".jpg.core.png");
    EXPECT_TRUE(bytes.ok());
    auto image = DecodeImage(*bytes);
    EXPECT_TRUE(image.ok());
    return ComputePdq(*image, dihedral);
  };
  PdqResult orig = hash_of(names[0], true);
  for (int k = 0; k < kDihedralCount; ++k) {
    PdqResult copy = hash_of(names[k], false);
    SCOPED_TRACE(names[k]);
    EXPECT_LE(HammingDistance(orig.dihedral[k], copy.hash), 18);
    for (int other = 0; other < kDihedralCount; ++other) {
      if (other != k) {
        EXPECT_GT(HammingDistance(orig.dihedral[other], copy.hash), 60);
      }
    }
  }
}

TEST(PdqCoreManifestCount, AllCoreRowsPresent) { EXPECT_EQ(CoreRows().size(), 61u); }

}  // namespace
}  // namespace warden
