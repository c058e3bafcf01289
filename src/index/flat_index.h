// FlatIndex: the PdqIndex baseline. Hashes live in one contiguous array (32 bytes each) that
// every search scans from end to end with the fastest Hamming kernel the CPU supports
// (src/index/hamming_kernels.h). Exact at every max_distance 0..256.
//
// Costs: about 48-56 bytes per hash (hash, id, id map); Add and Remove O(1) expected
// (Remove moves the last entry into the hole); Search O(size()), memory bound.
//
// Thread safety: as PdqIndex (a std::shared_mutex: readers share, writers exclude).
#ifndef WARDEN_SRC_INDEX_FLAT_INDEX_H_
#define WARDEN_SRC_INDEX_FLAT_INDEX_H_

#include <shared_mutex>
#include <vector>

#include "src/index/hamming_kernels.h"
#include "src/index/id_slot_map.h"
#include "warden/pdq_index.h"

namespace warden {

class FlatIndex final : public PdqIndex {
 public:
  // Scans with `kernel`; by default the dispatch point's choice (ScanKernel()).
  explicit FlatIndex(ScanFn kernel = nullptr);

  Status Add(uint64_t id, const PdqHash& hash) override;
  Status AddBatch(std::span<const uint64_t> ids, std::span<const PdqHash> hashes) override;
  bool Remove(uint64_t id) override;
  bool Contains(uint64_t id) const override;
  size_t size() const override;
  size_t memory_bytes() const override;
  Result<std::vector<PdqNeighbor>> Search(const PdqHash& query, int max_distance) const override;
  const char* name() const override { return "flat"; }

 private:
  Status AddLocked(uint64_t id, const PdqHash& hash);

  ScanFn kernel_;
  mutable std::shared_mutex mu_;
  std::vector<PdqHash> hashes_;  // hashes_[slot]
  std::vector<uint64_t> ids_;    // ids_[slot]
  IdSlotMap slots_;              // id -> slot
};

}  // namespace warden

#endif  // WARDEN_SRC_INDEX_FLAT_INDEX_H_
