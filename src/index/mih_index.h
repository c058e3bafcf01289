// MihIndex: exact Hamming-range search over PDQ hashes by multi-index hashing (Norouzi,
// Punjani, Fleet, "Fast search in Hamming space with multi-index hashing", CVPR 2012).
//
// The 256 bits are cut into m disjoint substrings (default 12: four of 22 bits, eight of 21).
// Table t maps each value of substring t to the hashes that have it. If two hashes are within
// distance r, their substring distances d_t sum to at most r, so for any radii s_t with
// sum_t (s_t + 1) >= r + 1 some substring satisfies d_t <= s_t (the paper's pigeonhole
// argument, generalised to unequal radii; s_t = -1 skips table t). A search therefore probes
// table t with every key within s_t of the query's substring and verifies each candidate on
// all 256 bits, which makes it exact. The radii are picked per search by a cost model
// (probes + expected candidates), so small thresholds probe few tables; when the model
// predicts a scan is cheaper (max_distance above kPdqMihMaxDistance always) the index scans.
//
// Layout (bytes per hash at 10M with the default geometry, ~115 in total):
//  - heads: one uint32 per possible substring value per table (4 * 2^22 + 8 * 2^21 cells,
//    128 MiB, ~13 B/hash at 10M), holding 1 + the first slot of the bucket, 0 if empty;
//  - per slot: the hash (32 B) in 8 MiB chunks that a fallback scan reads sequentially, the
//    id (8 B) and one uint32 "next slot + 1" per table (48 B), each table's in its own array
//    so that walking a list touches two cache lines per node;
//  - an id -> slot map (IdSlotMap, 8-16 B) and a free list of removed slots.
// Buckets are singly linked lists threaded through the per-table next arrays, so Add is O(m) and
// Remove O(m * bucket length) (~3 entries per bucket at 10M) with no rebuild, ever.
// Memory is allocated with mmap (untouched pages cost nothing) and advised for huge pages.
//
// Thread safety: as PdqIndex (a std::shared_mutex: readers share, writers exclude).
#ifndef WARDEN_SRC_INDEX_MIH_INDEX_H_
#define WARDEN_SRC_INDEX_MIH_INDEX_H_

#include <shared_mutex>
#include <vector>

#include "src/index/id_slot_map.h"
#include "warden/pdq_index.h"

namespace warden {

class MihIndex final : public PdqIndex {
 public:
  struct Options {
    // Width of each substring in bits, from hash bit 0 upwards. REQUIRES: 1..64 entries,
    // each 1..28, summing to 256.
    std::vector<int> substring_bits = DefaultSubstringBits();
    // For tests: probe the tables whenever max_distance <= kPdqMihMaxDistance, even where
    // the cost model would scan (as it does for small indexes).
    bool always_probe = false;
  };
  // {22, 22, 22, 22, 21, 21, 21, 21, 21, 21, 21, 21}: the cheapest geometry for 1M..100M
  // hashes at threshold 31 under the cost model (docs/index.md).
  static std::vector<int> DefaultSubstringBits();

  MihIndex();
  explicit MihIndex(Options options);
  ~MihIndex() override;
  MihIndex(const MihIndex&) = delete;
  MihIndex& operator=(const MihIndex&) = delete;

  Status Add(uint64_t id, const PdqHash& hash) override;
  Status AddBatch(std::span<const uint64_t> ids, std::span<const PdqHash> hashes) override;
  bool Remove(uint64_t id) override;
  bool Contains(uint64_t id) const override;
  size_t size() const override;
  size_t memory_bytes() const override;
  Result<std::vector<PdqNeighbor>> Search(const PdqHash& query, int max_distance) const override;
  const char* name() const override { return "mih"; }

  // The probe radius per table (-1 = not probed) a Search with `max_distance` would use at
  // the current size, or an empty vector when it would scan instead. For tests and tuning.
  std::vector<int> ProbePlan(int max_distance) const;

 private:
  struct Substring {
    int start = 0;            // first bit, 0..255
    int bits = 0;             // width, 1..28
    uint32_t mask = 0;        // (1 << bits) - 1
    size_t heads_offset = 0;  // first cell of this table in heads_
  };

  Status AddLocked(uint64_t id, const PdqHash& hash);
  void Link(uint32_t slot, const PdqHash& hash);
  void Unlink(uint32_t slot, const PdqHash& hash);
  bool PlanLocked(int max_distance, std::vector<int>* radii) const;
  void ScanLocked(const PdqHash& query, int max_distance, std::vector<PdqNeighbor>* out) const;
  void ProbeLocked(const PdqHash& query, int max_distance, const std::vector<int>& radii,
                   std::vector<PdqNeighbor>* out) const;
  uint32_t Key(const PdqHash& hash, const Substring& s) const;
  const PdqHash& HashAt(uint32_t slot) const;
  uint64_t IdAt(uint32_t slot) const;
  uint32_t* NextAt(uint32_t slot, size_t table) const;

  std::vector<Substring> substrings_;
  bool always_probe_;
  size_t link_words_;  // uint32 words per slot in a link chunk: 2 (id) + m (next per table)

  mutable std::shared_mutex mu_;
  uint32_t* heads_ = nullptr;  // mmap'd, heads_bytes_ long
  size_t heads_bytes_ = 0;
  std::vector<void*> hash_chunks_;  // kChunkSlots hashes each
  std::vector<void*> link_chunks_;  // per chunk: kChunkSlots ids, then m next arrays
  std::vector<uint64_t> live_;      // bit per slot: 1 = holds an entry
  std::vector<uint32_t> free_slots_;
  uint32_t slot_count_ = 0;  // slots ever handed out (live + free)
  IdSlotMap slots_;          // id -> slot
};

}  // namespace warden

#endif  // WARDEN_SRC_INDEX_MIH_INDEX_H_
