// PdqIndex: an exact in-memory index answering "which indexed PDQ hashes are within Hamming
// distance r of this query?" for millions of hashes, kept current by every add and remove.
//
// The index knows only ids (uint64, chosen by the caller) and 256-bit hashes. Banks, enabled
// flags and negative banks belong to the matcher above it, which maps ids to items.
//
// Two implementations share this interface (one contract test suite runs on both):
//  - FlatIndex (src/index/flat_index.h): a contiguous array scanned linearly with hardware
//    popcount. About 48 bytes per hash; search time linear in size() (~1 ns per hash).
//  - MihIndex (src/index/mih_index.h): multi-index hashing (Norouzi, Punjani, Fleet, "Fast
//    search in Hamming space with multi-index hashing", CVPR 2012). Sub-millisecond exact
//    search at 10M hashes, O(1) expected add and remove, at most ~120 bytes per hash.
//
// Unlike FAISS's range_search, whose radius is EXCLUSIVE (dis < radius), max_distance here is
// INCLUSIVE: Search(q, 31) returns every hash with distance <= 31, PDQ's standard threshold.
//
// Thread safety: every method may be called from many threads at once. Search, SearchBatch,
// Contains, size and memory_bytes take a shared (reader) lock; Add, AddBatch and Remove take
// an exclusive (writer) lock. A write is visible to every Search that starts after it returns.
#ifndef WARDEN_PDQ_INDEX_H_
#define WARDEN_PDQ_INDEX_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "warden/pdq.h"
#include "warden/status.h"

namespace warden {

// Largest max_distance a Search accepts: 256 (the whole hash).
inline constexpr int kPdqMaxDistance = 256;
// Largest max_distance for which MihIndex uses its tables; above it every search is a scan.
inline constexpr int kPdqMihMaxDistance = 63;
// An index holds at most this many hashes (slots are 32-bit).
inline constexpr size_t kPdqIndexMaxSize = 0xFFFFFFFEu;

// One search result: an indexed id and its Hamming distance (0..256) to the query.
struct PdqNeighbor {
  uint64_t id = 0;
  int distance = 0;

  friend bool operator==(const PdqNeighbor&, const PdqNeighbor&) = default;
};

class PdqIndex {
 public:
  virtual ~PdqIndex() = default;

  // Indexes `hash` under `id`. Re-adding an existing id replaces its hash (one entry per id).
  // Errors: kResourceExhausted when the index already holds kPdqIndexMaxSize hashes.
  virtual Status Add(uint64_t id, const PdqHash& hash) = 0;

  // Adds ids[i] -> hashes[i] for every i under one writer lock; the same as calling Add for
  // each in order (a later duplicate id replaces an earlier one). Cheaper than single adds.
  // REQUIRES: ids.size() == hashes.size(). Errors: as Add; on error, the pairs before the
  // failing one are indexed and the rest are not.
  virtual Status AddBatch(std::span<const uint64_t> ids, std::span<const PdqHash> hashes) = 0;

  // Removes `id`. Returns true if it was indexed, false if not (not an error).
  virtual bool Remove(uint64_t id) = 0;

  virtual bool Contains(uint64_t id) const = 0;

  // Number of indexed hashes (= number of distinct ids).
  virtual size_t size() const = 0;

  // Bytes of heap memory the index holds (capacity, not just size), for capacity planning.
  virtual size_t memory_bytes() const = 0;

  // Every indexed hash with HammingDistance(query, hash) <= max_distance (INCLUSIVE), with its
  // distance, sorted by distance then id. Exact: nothing within the distance is ever missed.
  // Errors: kInvalidArgument if max_distance is outside 0..256.
  virtual Result<std::vector<PdqNeighbor>> Search(const PdqHash& query, int max_distance) const = 0;

  // Search for each query; result[i] belongs to queries[i]. Queries are split over
  // `num_threads` threads (1 = the calling thread only; values < 1 are treated as 1).
  // Errors: kInvalidArgument if max_distance is outside 0..256.
  Result<std::vector<std::vector<PdqNeighbor>>> SearchBatch(std::span<const PdqHash> queries,
                                                            int max_distance,
                                                            int num_threads = 1) const;

  // Short name for logs and benchmarks: "flat" or "mih".
  virtual const char* name() const = 0;
};

// A linear-scan index (FlatIndex).
std::unique_ptr<PdqIndex> NewFlatPdqIndex();
// A multi-index hashing index (MihIndex) with its default geometry (12 substrings of 21-22
// bits), tuned for 1M..100M hashes and still exact at any size.
std::unique_ptr<PdqIndex> NewMihPdqIndex();

// Errors: kInvalidArgument naming the value if max_distance is outside 0..256.
Status ValidatePdqMaxDistance(int max_distance);

}  // namespace warden

#endif  // WARDEN_PDQ_INDEX_H_
