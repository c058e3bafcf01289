// serve_bench's two load phases against a running server (the real `warden serve` or the
// in-process stub): single-hash lookups with every distinct answer checked against the
// brute-force scan and timed against in-process baselines, and image uploads. Each prints its
// figures and returns whether every answer was right and nothing failed.
//
// Thread safety: call from one thread; each phase starts and joins its own client threads.
#ifndef WARDEN_BENCH_SERVE_BENCH_RUNS_H_
#define WARDEN_BENCH_SERVE_BENCH_RUNS_H_

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "bench/serve_bench_data.h"

namespace warden::bench {

// The server under test: its port, the key it accepts and (for CPU sampling) its pid.
struct Target {
  int port = 0;
  std::string key;
  pid_t pid = -1;  // -1: in-process stub, no separate CPU figure
};

struct PhaseOptions {
  // Lookups: `queries` distinct queries from MakeQueries(data, queries, seed), sent over
  // `connections` keep-alive connections by `threads` client threads for duration_s seconds
  // after warmup_s.
  int queries = 10'000;
  uint64_t seed = 1;
  int connections = 32;
  int threads = 1;
  double warmup_s = 2;
  double duration_s = 20;
  int client_idle_polls = 2;  // LoadOptions::idle_polls, for lookups and uploads
  // Also time MihIndex::Search and Matcher::Lookup in this process on the SQLite file `db`.
  bool matcher_baseline = true;
  std::string db;
  // Uploads: the JPEG at photo_path (whose PDQ hash is BenchData::photo_hash), shown as
  // photo_name, over upload_connections connections for upload_duration_s seconds after
  // min(warmup_s, 2) seconds.
  std::string photo_path;
  std::string photo_name;
  int upload_connections = 4;
  double upload_duration_s = 15;
};

// GET /m/lookup load, verification and baselines. REQUIRES: data.hashes kept.
bool RunLookups(const PhaseOptions& options, const BenchData& data, const Target& target);
// POST /m/lookup multipart uploads; every distinct answer must name exactly the items the scan
// finds for photo_hash.
bool RunUploads(const PhaseOptions& options, const BenchData& data, const Target& target);

}  // namespace warden::bench

#endif  // WARDEN_BENCH_SERVE_BENCH_RUNS_H_
