// The PdqIndex contract, run against every implementation (and two MIH geometries).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <random>
#include <thread>

#include "src/index/flat_index.h"
#include "src/index/hamming_kernels.h"
#include "src/index/mih_index.h"
#include "src/index/random_hashes.h"
#include "warden/pdq_index.h"

namespace warden {
namespace {

struct FlatMaker {
  static std::unique_ptr<PdqIndex> Make() { return std::make_unique<FlatIndex>(); }
};
// The default geometry; small test indexes would scan under the cost model, so force the
// tables (the cost-model path is covered by mih_index_test).
struct MihMaker {
  static std::unique_ptr<PdqIndex> Make() {
    MihIndex::Options o;
    o.always_probe = true;
    return std::make_unique<MihIndex>(o);
  }
};
struct Mih16x16Maker {
  static std::unique_ptr<PdqIndex> Make() {
    MihIndex::Options o;
    o.substring_bits.assign(16, 16);
    o.always_probe = true;
    return std::make_unique<MihIndex>(o);
  }
};

template <typename Maker>
class PdqIndexContractTest : public ::testing::Test {
 protected:
  std::unique_ptr<PdqIndex> index_ = Maker::Make();
  std::mt19937_64 rng_{42};
};
using Makers = ::testing::Types<FlatMaker, MihMaker, Mih16x16Maker>;
TYPED_TEST_SUITE(PdqIndexContractTest, Makers);

std::vector<PdqNeighbor> MustSearch(const PdqIndex& index, const PdqHash& q, int r) {
  Result<std::vector<PdqNeighbor>> res = index.Search(q, r);
  EXPECT_TRUE(res.ok()) << res.status().ToString();
  return res.ok() ? *res : std::vector<PdqNeighbor>{};
}

// Brute force over (id, hash) pairs with the plain kernel: the reference answer.
std::vector<PdqNeighbor> Expected(const std::vector<std::pair<uint64_t, PdqHash>>& items,
                                  const PdqHash& q, int r) {
  std::vector<PdqNeighbor> out;
  for (const auto& [id, h] : items) {
    int d = HammingDistancePlain(q, h);
    if (d <= r) out.push_back({id, d});
  }
  std::sort(out.begin(), out.end(), [](const PdqNeighbor& a, const PdqNeighbor& b) {
    return a.distance != b.distance ? a.distance < b.distance : a.id < b.id;
  });
  return out;
}

TYPED_TEST(PdqIndexContractTest, EmptyIndexFindsNothing) {
  EXPECT_EQ(this->index_->size(), 0u);
  EXPECT_TRUE(MustSearch(*this->index_, RandomPdqHash(this->rng_), 31).empty());
  EXPECT_TRUE(MustSearch(*this->index_, RandomPdqHash(this->rng_), 256).empty());
  EXPECT_FALSE(this->index_->Contains(1));
  EXPECT_FALSE(this->index_->Remove(1));
}

TYPED_TEST(PdqIndexContractTest, ThresholdBoundaryIsInclusive) {
  PdqHash q = RandomPdqHash(this->rng_);
  ASSERT_TRUE(this->index_->Add(100, q).ok());
  ASSERT_TRUE(this->index_->Add(131, FlipRandomBits(q, 31, this->rng_)).ok());
  ASSERT_TRUE(this->index_->Add(132, FlipRandomBits(q, 32, this->rng_)).ok());
  ASSERT_TRUE(this->index_->Add(101, FlipRandomBits(q, 1, this->rng_)).ok());
  EXPECT_EQ(MustSearch(*this->index_, q, 31),
            (std::vector<PdqNeighbor>{{100, 0}, {101, 1}, {131, 31}}));
  EXPECT_EQ(MustSearch(*this->index_, q, 32),
            (std::vector<PdqNeighbor>{{100, 0}, {101, 1}, {131, 31}, {132, 32}}));
  EXPECT_EQ(MustSearch(*this->index_, q, 30), (std::vector<PdqNeighbor>{{100, 0}, {101, 1}}));
  EXPECT_EQ(MustSearch(*this->index_, q, 0), (std::vector<PdqNeighbor>{{100, 0}}));
}

TYPED_TEST(PdqIndexContractTest, RejectsThresholdsOutsideRange) {
  PdqHash q = RandomPdqHash(this->rng_);
  for (int bad : {-1, 257, 100000}) {
    EXPECT_EQ(this->index_->Search(q, bad).status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(this->index_->SearchBatch({&q, 1}, bad).status().code(),
              StatusCode::kInvalidArgument);
  }
  EXPECT_TRUE(this->index_->Search(q, 256).ok());
}

TYPED_TEST(PdqIndexContractTest, AddReplaceRemove) {
  PdqHash a = RandomPdqHash(this->rng_);
  PdqHash b = RandomPdqHash(this->rng_);
  ASSERT_TRUE(this->index_->Add(7, a).ok());
  EXPECT_TRUE(this->index_->Contains(7));
  EXPECT_EQ(MustSearch(*this->index_, a, 0), (std::vector<PdqNeighbor>{{7, 0}}));
  // Re-adding replaces: one entry, found only under the new hash.
  ASSERT_TRUE(this->index_->Add(7, b).ok());
  EXPECT_EQ(this->index_->size(), 1u);
  EXPECT_TRUE(MustSearch(*this->index_, a, 31).empty());
  EXPECT_EQ(MustSearch(*this->index_, b, 31), (std::vector<PdqNeighbor>{{7, 0}}));
  ASSERT_TRUE(this->index_->Add(7, b).ok());  // same pair again: no change
  EXPECT_EQ(this->index_->size(), 1u);
  // Two ids may share a hash.
  ASSERT_TRUE(this->index_->Add(8, b).ok());
  EXPECT_EQ(MustSearch(*this->index_, b, 0), (std::vector<PdqNeighbor>{{7, 0}, {8, 0}}));
  EXPECT_TRUE(this->index_->Remove(7));
  EXPECT_FALSE(this->index_->Remove(7));
  EXPECT_FALSE(this->index_->Contains(7));
  EXPECT_EQ(MustSearch(*this->index_, b, 31), (std::vector<PdqNeighbor>{{8, 0}}));
  EXPECT_TRUE(this->index_->Remove(8));
  EXPECT_EQ(this->index_->size(), 0u);
  EXPECT_TRUE(MustSearch(*this->index_, b, 256).empty());
}

TYPED_TEST(PdqIndexContractTest, EveryThresholdMatchesBruteForce) {
  std::vector<std::pair<uint64_t, PdqHash>> items;
  PdqHash q = RandomPdqHash(this->rng_);
  uint64_t id = 1000;
  for (int i = 0; i < 2000; ++i) items.push_back({id++, RandomPdqHash(this->rng_)});
  for (int d = 0; d <= 130; ++d) {
    for (int k = 0; k < 2; ++k) items.push_back({id++, FlipRandomBits(q, d, this->rng_)});
  }
  std::vector<uint64_t> ids;
  std::vector<PdqHash> hashes;
  for (const auto& [i, h] : items) {
    ids.push_back(i);
    hashes.push_back(h);
  }
  ASSERT_TRUE(this->index_->AddBatch(ids, hashes).ok());
  EXPECT_EQ(this->index_->size(), items.size());
  for (int r : {0, 1, 15, 16, 31, 32, 63, 64, 128, 256}) {
    std::vector<PdqNeighbor> want = Expected(items, q, r);
    EXPECT_EQ(MustSearch(*this->index_, q, r), want) << "max_distance " << r;
    if (r <= 128) {
      EXPECT_GE(want.size(), static_cast<size_t>(2 * (r + 1)));
    }
  }
}

TYPED_TEST(PdqIndexContractTest, RemovalsAndReusedSlotsStayExact) {
  std::vector<std::pair<uint64_t, PdqHash>> items;
  PdqHash q = RandomPdqHash(this->rng_);
  for (uint64_t id = 0; id < 600; ++id) {
    PdqHash h = id % 3 == 0 ? FlipRandomBits(q, static_cast<int>(id % 40), this->rng_)
                            : RandomPdqHash(this->rng_);
    items.push_back({id, h});
    ASSERT_TRUE(this->index_->Add(id, h).ok());
  }
  // Remove every other id, then add new ones (which reuse freed slots).
  std::vector<std::pair<uint64_t, PdqHash>> kept;
  for (const auto& item : items) {
    if (item.first % 2 == 0) {
      EXPECT_TRUE(this->index_->Remove(item.first));
    } else {
      kept.push_back(item);
    }
  }
  for (uint64_t id = 600; id < 800; ++id) {
    PdqHash h = FlipRandomBits(q, static_cast<int>(id % 36), this->rng_);
    kept.push_back({id, h});
    ASSERT_TRUE(this->index_->Add(id, h).ok());
  }
  EXPECT_EQ(this->index_->size(), kept.size());
  for (int r : {0, 5, 31, 32, 40, 64}) {
    EXPECT_EQ(MustSearch(*this->index_, q, r), Expected(kept, q, r)) << "max_distance " << r;
  }
  for (const auto& item : items) {
    EXPECT_EQ(this->index_->Contains(item.first), item.first % 2 == 1);
  }
}

TYPED_TEST(PdqIndexContractTest, SearchBatchEqualsSearch) {
  std::vector<PdqHash> queries;
  uint64_t id = 0;
  for (int i = 0; i < 50; ++i) {
    PdqHash q = RandomPdqHash(this->rng_);
    queries.push_back(q);
    for (int d : {0, 10, 31, 32})
      ASSERT_TRUE(this->index_->Add(id++, FlipRandomBits(q, d, this->rng_)).ok());
  }
  for (int threads : {1, 2, 3}) {
    auto batch = this->index_->SearchBatch(queries, 31, threads);
    ASSERT_TRUE(batch.ok());
    ASSERT_EQ(batch->size(), queries.size());
    for (size_t i = 0; i < queries.size(); ++i) {
      EXPECT_EQ((*batch)[i], MustSearch(*this->index_, queries[i], 31));
      EXPECT_EQ((*batch)[i].size(), 3u);
    }
  }
}

TYPED_TEST(PdqIndexContractTest, MemoryGrowsWithSize) {
  size_t empty = this->index_->memory_bytes();
  for (uint64_t id = 0; id < 70000; ++id)
    ASSERT_TRUE(this->index_->Add(id, RandomPdqHash(this->rng_)).ok());
  EXPECT_GE(this->index_->memory_bytes(), empty + 70000 * sizeof(PdqHash));
}

// The hash stored under an id in the concurrency test: a pure function of the id, so a
// reader can check every result it sees without sharing state with the writer.
PdqHash HashForId(uint64_t id, const PdqHash& centre) {
  std::mt19937_64 rng(id);
  return FlipRandomBits(centre, static_cast<int>(id % 48), rng);
}

TYPED_TEST(PdqIndexContractTest, ConcurrentReadersSeeConsistentResults) {
  PdqHash centre = RandomPdqHash(this->rng_);
  // Stable ids 0..99 are always present; the writer churns ids 1000..1999.
  for (uint64_t id = 0; id < 100; ++id)
    ASSERT_TRUE(this->index_->Add(id, HashForId(id, centre)).ok());
  for (int i = 0; i < 3000; ++i)
    ASSERT_TRUE(this->index_->Add(5000 + i, RandomPdqHash(this->rng_)).ok());
  size_t expected_stable = 0;  // stable ids whose planted distance (id % 48) is <= 31
  for (uint64_t id = 0; id < 100; ++id) expected_stable += id % 48 <= 31 ? 1 : 0;
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::atomic<int> searches{0};
  auto reader = [&] {
    while (!stop.load()) {
      auto res = this->index_->Search(centre, 31);
      if (!res.ok()) {
        ++failures;
        continue;
      }
      size_t stable = 0;
      for (size_t i = 0; i < res->size(); ++i) {
        const PdqNeighbor& n = (*res)[i];
        bool ok = n.id < 100 || (n.id >= 1000 && n.id < 2000);
        ok = ok && n.distance == HammingDistance(centre, HashForId(n.id, centre)) &&
             n.distance <= 31;
        if (i > 0) {
          const PdqNeighbor& p = (*res)[i - 1];
          ok = ok && (p.distance < n.distance || (p.distance == n.distance && p.id < n.id));
        }
        if (!ok) ++failures;
        if (n.id < 100) ++stable;
      }
      if (stable != expected_stable) ++failures;
      ++searches;
    }
  };
  std::vector<std::thread> readers;
  for (int i = 0; i < 3; ++i) readers.emplace_back(reader);
  for (int round = 0; round < 5; ++round) {
    for (uint64_t id = 1000; id < 2000; ++id)
      ASSERT_TRUE(this->index_->Add(id, HashForId(id, centre)).ok());
    for (uint64_t id = 1000; id < 2000; ++id) EXPECT_TRUE(this->index_->Remove(id));
  }
  // Every write is visible to the next search once it returned.
  ASSERT_TRUE(this->index_->Add(1999, HashForId(1999, centre)).ok());
  EXPECT_TRUE(this->index_->Contains(1999));
  auto after = MustSearch(*this->index_, centre, 31);
  EXPECT_TRUE(
      std::any_of(after.begin(), after.end(), [](const PdqNeighbor& n) { return n.id == 1999; }));
  while (searches.load() < 20) std::this_thread::yield();
  stop = true;
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace warden
