// LocalIndex: finds, among many registered images' local features (warden/local_features.h),
// the few that a query may derive from, then verifies those geometrically.
//
// Two stages. Retrieval: every registered descriptor is filed under short exact substrings of
// its 256 bits (a multi-table scheme in the spirit of multi-index hashing; table count and key
// width are chosen and measured in docs/local-features.md), and a query's descriptors vote for
// the images whose descriptors share a substring and lie within a Hamming radius, each vote
// weighted by how few images its descriptor found; the images with the highest sums are the
// candidates. Verification: VerifyLocalMatch against each candidate's features, which the
// index keeps in memory (compact, as stored).
//
// Ids are the caller's (the matcher uses its signal slot ids). Add of an existing id replaces
// its features; Remove forgets them. No rebuild, ever: both are in place.
//
// Thread safety: every method may be called from many threads at once; Search/Candidates
// share a reader lock, Add/Remove take a writer lock. A write is visible to every search that
// starts after it returns.
#ifndef WARDEN_SRC_LOCAL_LOCAL_INDEX_H_
#define WARDEN_SRC_LOCAL_LOCAL_INDEX_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "warden/local_features.h"
#include "warden/status.h"

namespace warden {

// Candidates votes with a query's first this many keypoints only: the extractor's first 500
// (by corner strength over the whole picture) and the first picks of its spread tail (each
// fine cell's strongest remaining corner, local_extract.cc). The rest of the tail, weaker
// corners of flat regions, serves the verifier; as votes it changed nothing measurable on the
// eval's saved queries (700 and 1000 found the same sources) at 40% more scanning.
inline constexpr int kLocalIndexVoteKeypoints = 700;

struct LocalCandidate {
  uint64_t id = 0;
  int votes = 0;  // query descriptors that found a near descriptor of this image
  // The sum over those descriptors of 1 / the number of images each found (to 1/2^20): what
  // candidates are ranked by. A descriptor near something in many images counts little.
  double weight = 0;
};

struct LocalIndexMatch {
  uint64_t id = 0;
  LocalMatch match;  // VerifyLocalMatch(query, registered features of id)
};

struct LocalSearchOptions {
  LocalVerifyOptions verify;
  // Verify at most this many of the best-voted candidates (1..1000).
  int max_candidates = 32;
};

class LocalIndex {
 public:
  virtual ~LocalIndex() = default;

  // Registers `features` (at most kLocalStoredKeypoints keypoints) under `id`, replacing what
  // the id had. Errors: kInvalidArgument for too many keypoints or a bad image size.
  virtual Status Add(uint64_t id, const LocalFeatures& features) = 0;
  // Forgets `id`. Returns whether it was registered.
  virtual bool Remove(uint64_t id) = 0;
  virtual bool Contains(uint64_t id) const = 0;

  // The best-voted registered images for `query`, highest weight first (ties: smaller id
  // first), at most max_candidates of them, none with 0 votes. Only the query's first
  // kLocalIndexVoteKeypoints keypoints vote.
  virtual std::vector<LocalCandidate> Candidates(const LocalFeatures& query,
                                                 int max_candidates) const = 0;
  // Candidates, then verification of each: the verified ones whose match.matched is true,
  // highest score first (ties: smaller id first).
  virtual std::vector<LocalIndexMatch> Search(const LocalFeatures& query,
                                              const LocalSearchOptions& options) const = 0;

  virtual size_t size() const = 0;          // registered images
  virtual size_t memory_bytes() const = 0;  // heap bytes held (approximate)
};

// The retrieval geometry (docs/local-features.md measures it). The defaults are the
// documented operating point; other values are for benchmarks and tests.
struct LocalIndexOptions {
  // Hash tables, each keyed by `key_bits` bits of the descriptor (1..32 tables, 8..24 bits,
  // tables * key_bits <= 256). The keys are disjoint and made of the most balanced bits:
  // table t takes the bits of balance rank t, t + tables, t + 2 * tables, ... (ranks measured
  // on the benign corpus, local_index.cc).
  int tables = 6;
  int key_bits = 20;
  // A registered descriptor votes for its image only if its full 256-bit Hamming distance
  // to the query descriptor is <= radius (inclusive; 0..256).
  int radius = 32;
};

std::unique_ptr<LocalIndex> NewLocalIndex();
// REQUIRES: options within the bounds above (programmer error otherwise).
std::unique_ptr<LocalIndex> NewLocalIndex(const LocalIndexOptions& options);

}  // namespace warden

#endif  // WARDEN_SRC_LOCAL_LOCAL_INDEX_H_
