// MihIndex beyond the shared contract: the probe plan and randomized cross-checks against
// FlatIndex on uniform and clustered data.
#include "src/index/mih_index.h"

#include <gtest/gtest.h>

#include <numeric>
#include <random>

#include "src/index/flat_index.h"
#include "src/index/random_hashes.h"

namespace warden {
namespace {

int Coverage(const std::vector<int>& radii) {
  int sum = 0;
  for (int s : radii) sum += s + 1;
  return sum;
}

TEST(MihIndexTest, ProbePlanCoversTheThreshold) {
  MihIndex::Options o;
  o.always_probe = true;
  MihIndex index(o);
  for (int r = 0; r <= kPdqMihMaxDistance; ++r) {
    std::vector<int> radii = index.ProbePlan(r);
    ASSERT_EQ(radii.size(), 12u);
    // Pigeonhole: sum (s_t + 1) >= r + 1 makes the search exact; the plan uses exactly that.
    EXPECT_EQ(Coverage(radii), r + 1) << "max_distance " << r;
  }
  // Exact match probes one table at radius 0.
  std::vector<int> zero = index.ProbePlan(0);
  EXPECT_EQ(std::count(zero.begin(), zero.end(), 0), 1);
  EXPECT_EQ(std::count(zero.begin(), zero.end(), -1), 11);
  // Above kPdqMihMaxDistance the index always scans.
  EXPECT_TRUE(index.ProbePlan(kPdqMihMaxDistance + 1).empty());
  EXPECT_TRUE(index.ProbePlan(256).empty());
}

TEST(MihIndexTest, CostModelScansTinyIndexesAndProbesLargeOnes) {
  MihIndex index;  // the cost model decides
  std::mt19937_64 rng(5);
  ASSERT_TRUE(index.Add(1, RandomPdqHash(rng)).ok());
  EXPECT_TRUE(index.ProbePlan(31).empty());  // one hash: a scan is cheaper than ~2000 probes
  EXPECT_FALSE(index.ProbePlan(0).empty());  // one probe beats any scan
  std::vector<uint64_t> ids(200000);
  std::iota(ids.begin(), ids.end(), 10);
  std::vector<PdqHash> hashes;
  for (size_t i = 0; i < ids.size(); ++i) hashes.push_back(RandomPdqHash(rng));
  ASSERT_TRUE(index.AddBatch(ids, hashes).ok());
  EXPECT_EQ(Coverage(index.ProbePlan(31)), 32);
  // Both paths give the same answer.
  PdqHash q = FlipRandomBits(hashes[77], 20, rng);
  auto res = index.Search(q, 31);
  ASSERT_TRUE(res.ok());
  ASSERT_EQ(res->size(), 1u);
  EXPECT_EQ((*res)[0], (PdqNeighbor{87, 20}));
}

struct CrossCheckCase {
  const char* name;
  std::vector<int> bits;
  bool clustered;
};

class MihCrossCheckTest : public ::testing::TestWithParam<CrossCheckCase> {};

TEST_P(MihCrossCheckTest, SameResultsAsFlat) {
  const CrossCheckCase& c = GetParam();
  MihIndex::Options o;
  o.substring_bits = c.bits;
  o.always_probe = true;
  MihIndex mih(o);
  FlatIndex flat;
  std::mt19937_64 rng(11);
  uint64_t id = 0;
  std::vector<PdqHash> queries;
  for (int i = 0; i < 3000; ++i) {
    PdqHash h = RandomPdqHash(rng);
    ASSERT_TRUE(mih.Add(id, h).ok());
    ASSERT_TRUE(flat.Add(id++, h).ok());
  }
  for (int qi = 0; qi < 12; ++qi) {
    PdqHash q = RandomPdqHash(rng);
    queries.push_back(q);
    for (int d = 0; d <= 40; ++d) {
      // Clustered: near-duplicates of near-duplicates, so many share substrings and the
      // bucket lists grow long.
      int copies = c.clustered ? 6 : 1;
      PdqHash base = q;
      for (int k = 0; k < copies; ++k) {
        PdqHash h = FlipRandomBits(c.clustered ? base : q, d, rng);
        if (c.clustered) base = FlipRandomBits(q, d / 4, rng);
        ASSERT_TRUE(mih.Add(id, h).ok());
        ASSERT_TRUE(flat.Add(id++, h).ok());
      }
    }
  }
  // Churn: remove a third, replace a third.
  for (uint64_t i = 0; i < id; i += 3) {
    EXPECT_TRUE(mih.Remove(i));
    EXPECT_TRUE(flat.Remove(i));
  }
  for (uint64_t i = 1; i < id; i += 3) {
    PdqHash h = FlipRandomBits(queries[i % queries.size()], static_cast<int>(i % 41), rng);
    ASSERT_TRUE(mih.Add(i, h).ok());
    ASSERT_TRUE(flat.Add(i, h).ok());
  }
  ASSERT_EQ(mih.size(), flat.size());
  size_t total = 0;
  for (const PdqHash& q : queries) {
    for (int r = 0; r <= 40; ++r) {
      auto want = flat.Search(q, r);
      auto got = mih.Search(q, r);
      ASSERT_TRUE(want.ok() && got.ok());
      ASSERT_EQ(*got, *want) << c.name << " max_distance " << r;
      total += want->size();
    }
    for (int r : {48, 63}) ASSERT_EQ(*mih.Search(q, r), *flat.Search(q, r)) << c.name << " " << r;
  }
  EXPECT_GT(total, 1000u);  // the planted neighbours were really found
}

INSTANTIATE_TEST_SUITE_P(
    Geometries, MihCrossCheckTest,
    ::testing::Values(CrossCheckCase{"default", MihIndex::DefaultSubstringBits(), false},
                      CrossCheckCase{"default_clustered", MihIndex::DefaultSubstringBits(), true},
                      CrossCheckCase{"m16", std::vector<int>(16, 16), false},
                      CrossCheckCase{
                          "uneven", {24, 24, 21, 21, 21, 21, 21, 21, 21, 21, 20, 20}, true}),
    [](const ::testing::TestParamInfo<CrossCheckCase>& param_info) {
      return std::string(param_info.param.name);
    });

}  // namespace
}  // namespace warden
