// serve_bench's data: the SQLite bank store of N random PDQ hashes the server loads, the same
// hashes kept in memory for a brute-force reference, the query set, and the check of an HMA
// lookup answer against that reference.
//
// The store holds one bank, kBenchBank, with N random hashes (quality 100, generated in order
// from a std::mt19937_64 seeded with `seed`) plus one item holding the PDQ hash of the upload
// photo, so that uploads match. Its bank description records N, the seed and the photo hash
// once the build has finished; a file whose description matches is reused, any other file at
// the path is replaced.
//
// Thread safety: BenchData is immutable after BuildOrReuse and may be read from many threads.
#ifndef WARDEN_BENCH_SERVE_BENCH_DATA_H_
#define WARDEN_BENCH_SERVE_BENCH_DATA_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "warden/pdq.h"
#include "warden/status.h"

namespace warden::bench {

inline constexpr const char* kBenchBank = "BENCH";

// One match: an item id and its distance. Ordered by (id, distance).
struct Match {
  int64_t id = 0;
  int distance = 0;
  friend bool operator==(const Match&, const Match&) = default;
  friend auto operator<=>(const Match&, const Match&) = default;
};

struct BenchData {
  std::vector<PdqHash> hashes;  // empty unless asked for (10M only needs the store)
  std::vector<int64_t> ids;     // ids[i] is the store id of hashes[i]
  int64_t photo_id = 0;
  PdqHash photo_hash;
  bool reused = false;  // the store file was there already
  double build_s = 0;   // time to build (or to read back) the store
  double file_mib = 0;  // size of the SQLite file (+ WAL)

  // Every stored hash (the photo included) within kPdqMatchThreshold (inclusive) of `query`,
  // by a plain popcount scan over `hashes`; sorted. REQUIRES: hashes were kept.
  std::vector<Match> BruteForce(const PdqHash& query) const;
  // BruteForce for many queries at once, the same answers; the hashes are scanned in blocks
  // that stay in cache while every query meets them, so the scan is not memory-bound.
  std::vector<std::vector<Match>> BruteForceMany(const std::vector<PdqHash>& queries) const;
};

struct BuildOptions {
  std::string path;  // the SQLite file
  int64_t n = 1'000'000;
  uint64_t seed = 1;
  PdqHash photo_hash;
  bool keep_hashes = true;  // fill BenchData::hashes / ids
  bool verbose = true;      // progress lines on stdout
};

// Builds the store (batches of 50,000 through ApplyBatch) or reuses a matching one.
// Errors: whatever the store returns, naming the path.
Result<BenchData> BuildOrReuse(const BuildOptions& options);

// The i-th hash of the deterministic sequence for `seed` (only for spot checks: O(i)).
PdqHash NthRandomHash(uint64_t seed, int64_t i);

struct Query {
  PdqHash hash;
  bool near_duplicate = false;  // a stored hash with 1..31 bits flipped: must match
};
// `count` queries, alternating near-duplicates of random stored hashes and random hashes.
// REQUIRES: data.hashes non-empty.
std::vector<Query> MakeQueries(const BenchData& data, int count, uint64_t seed);

// Parses an HMA lookup answer `{"BANK": [{"bank_content_id": 12, "distance": "5"}, ...], ...}`
// into the matches of bank `bank` (other banks are an error: the store has only one).
// Errors: kInvalidArgument naming what is malformed.
Result<std::vector<Match>> ParseHmaMatches(std::string_view json, std::string_view bank);
// The same for an upload answer `{"pdq": {"BANK": [...]}}` (other signal types are ignored).
Result<std::vector<Match>> ParseHmaUploadMatches(std::string_view json, std::string_view bank);

// The fullres PDQ hash of the shared/testdata photo `file` (e.g.
// "images/bridge-mods/aaa-orig.jpg") from pdq/MANIFEST.tsv. Errors: kNotFound.
Result<PdqHash> ManifestHash(const std::string& testdata_dir, std::string_view file);

}  // namespace warden::bench

#endif  // WARDEN_BENCH_SERVE_BENCH_DATA_H_
