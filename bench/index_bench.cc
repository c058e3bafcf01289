// index_bench: Warden's PDQ indexes against a brute-force popcount scan and FAISS, in one run.
//
// For each N and data set (uniform random 256-bit hashes with planted neighbours at distances
// 0..31, and a clustered set mimicking near-duplicate-rich lists) it prints, per index: build
// time, bytes per hash (as the index reports it and as resident memory grew), single-query
// latency (median, p99), batch throughput and recall against the brute-force scan, then the
// speed-up ratios against the baselines measured in the same process, and the latency of an
// Add followed by the Search that must see it.
//
//   index_bench --n 100000                  quick run (seconds)
//   index_bench --n 1000000,10000000        the documented run (minutes)
//   flags: --queries Q (1000) --threads T (2) --flat-queries F (100) --faiss-queries F (= Q)
//          --datasets uniform,clustered
//          --faiss 16x16f1,12x21f2 (nhash x bits, f = nflip; "none" skips FAISS) --seed S
//
// PDQ's threshold is inclusive (<= 31); FAISS's range_search radius is exclusive (< radius),
// so FAISS is asked for radius 32.
#include <faiss/IndexBinaryFlat.h>
#include <faiss/IndexBinaryHash.h>
#include <faiss/impl/AuxIndexStructures.h>
#include <malloc.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "src/index/flat_index.h"
#include "src/index/hamming_kernels.h"
#include "src/index/mih_index.h"
#include "src/index/random_hashes.h"
#include "warden/pdq_index.h"

namespace warden {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kThreshold = kPdqMatchThreshold;  // 31, inclusive

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// CPU time of the calling thread: on a machine shared with other jobs a query can be
// descheduled, so the tables report both wall-clock and CPU latency.
double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec * 1e-9;
}

// Resident set size in bytes, from /proc/self/statm.
size_t ResidentBytes() {
  malloc_trim(0);
  std::ifstream statm("/proc/self/statm");
  size_t pages_total = 0, pages_resident = 0;
  statm >> pages_total >> pages_resident;
  return pages_resident * 4096;
}

std::vector<std::string> Split(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t comma = s.find(',', start);
    if (comma == std::string::npos) comma = s.size();
    if (comma > start) out.push_back(s.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

struct Flags {
  std::vector<size_t> sizes = {100000};
  size_t queries = 1000;
  int threads = 2;
  size_t flat_queries = 100;
  size_t faiss_queries = 0;  // 0: as --queries
  std::vector<std::string> datasets = {"uniform", "clustered"};
  std::vector<std::string> faiss = {"16x16f1", "12x21f2"};
  uint64_t seed = 1;
};

struct DataSet {
  std::string name;
  std::vector<uint64_t> ids;
  std::vector<PdqHash> hashes;
  std::vector<PdqHash> queries;
  std::vector<std::vector<PdqNeighbor>> truth;  // by the brute-force scan
};

// Uniform: random hashes; each query gets 4 planted neighbours at distances
// (i + 8k) % 32, k = 0..3, so the query set covers every distance 0..31.
DataSet MakeUniform(size_t n, size_t nq, std::mt19937_64& rng) {
  DataSet d;
  d.name = "uniform";
  d.hashes.reserve(n);
  for (size_t i = 0; i < nq; ++i) d.queries.push_back(RandomPdqHash(rng));
  for (size_t i = 0; i < nq && d.hashes.size() + 4 <= n; ++i) {
    for (int k = 0; k < 4; ++k) {
      d.hashes.push_back(FlipRandomBits(d.queries[i], static_cast<int>((i + 8 * k) % 32), rng));
    }
  }
  while (d.hashes.size() < n) d.hashes.push_back(RandomPdqHash(rng));
  return d;
}

// Clustered: random centres, each with 1..40 near-duplicates at distance 0..16 (a real list
// holds many re-encodings and crops of one picture). Queries sit at distance 0..12 from a
// random centre, so each has tens of true matches, some sharing most substrings.
DataSet MakeClustered(size_t n, size_t nq, std::mt19937_64& rng) {
  DataSet d;
  d.name = "clustered";
  d.hashes.reserve(n);
  std::vector<PdqHash> centres;
  while (d.hashes.size() < n) {
    PdqHash c = RandomPdqHash(rng);
    centres.push_back(c);
    size_t members = 1 + rng() % 40;
    for (size_t k = 0; k < members && d.hashes.size() < n; ++k) {
      d.hashes.push_back(FlipRandomBits(c, static_cast<int>(rng() % 17), rng));
    }
  }
  for (size_t i = 0; i < nq; ++i) {
    d.queries.push_back(
        FlipRandomBits(centres[rng() % centres.size()], static_cast<int>(rng() % 13), rng));
  }
  return d;
}

struct Row {
  std::string name;
  double build_s = 0;
  double bytes_per_hash = -1;  // as the index reports; -1 if it cannot
  double rss_per_hash = 0;
  double p50_us = 0, p99_us = 0;
  double cpu_p50_us = 0, cpu_p99_us = 0;
  size_t latency_queries = 0;
  double batch_qps = 0;
  double recall = 0;
  bool exact = true;  // no wrong result or wrong distance
};

// Recall of `got` against `truth` for one query; flags any result that is not in truth.
void Score(const std::vector<PdqNeighbor>& truth, std::vector<PdqNeighbor> got, size_t* found,
           bool* exact) {
  std::sort(got.begin(), got.end(), [](const PdqNeighbor& a, const PdqNeighbor& b) {
    return a.distance != b.distance ? a.distance < b.distance : a.id < b.id;
  });
  got.erase(std::unique(got.begin(), got.end()), got.end());
  size_t hits = 0;
  for (const PdqNeighbor& g : got) {
    if (std::binary_search(
            truth.begin(), truth.end(), g, [](const PdqNeighbor& a, const PdqNeighbor& b) {
              return a.distance != b.distance ? a.distance < b.distance : a.id < b.id;
            })) {
      ++hits;
    } else {
      *exact = false;
    }
  }
  *found += hits;
}

void Latencies(std::vector<double>* us, std::vector<double>* cpu_us, Row* row) {
  std::sort(us->begin(), us->end());
  std::sort(cpu_us->begin(), cpu_us->end());
  row->latency_queries = us->size();
  size_t p99 = std::min(us->size() - 1, us->size() * 99 / 100);
  row->p50_us = (*us)[us->size() / 2];
  row->p99_us = (*us)[p99];
  row->cpu_p50_us = (*cpu_us)[us->size() / 2];
  row->cpu_p99_us = (*cpu_us)[p99];
}

size_t TruthCount(const DataSet& d) {
  size_t n = 0;
  for (const auto& t : d.truth) n += t.size();
  return n;
}

// One Warden index: build, latency, batch, recall. `latency_queries` limits slow indexes.
Row RunWarden(PdqIndex* index, const std::string& name, const DataSet& d, size_t latency_queries,
              int threads) {
  Row row;
  row.name = name;
  size_t rss0 = ResidentBytes();
  auto t0 = Clock::now();
  Status st = index->AddBatch(d.ids, d.hashes);
  auto t1 = Clock::now();
  if (!st.ok()) {
    std::fprintf(stderr, "%s: %s\n", name.c_str(), st.ToString().c_str());
    std::exit(1);
  }
  row.build_s = Seconds(t0, t1);
  row.bytes_per_hash = static_cast<double>(index->memory_bytes()) / d.hashes.size();
  row.rss_per_hash = static_cast<double>(ResidentBytes() - rss0) / d.hashes.size();
  std::vector<double> us, cpu_us;
  size_t found = 0, truth_total = 0;
  size_t nq = std::min(latency_queries, d.queries.size());
  for (size_t i = 0; i < nq; ++i) {
    double ca = ThreadCpuSeconds();
    auto a = Clock::now();
    Result<std::vector<PdqNeighbor>> r = index->Search(d.queries[i], kThreshold);
    auto b = Clock::now();
    cpu_us.push_back((ThreadCpuSeconds() - ca) * 1e6);
    us.push_back(Seconds(a, b) * 1e6);
    Score(d.truth[i], *r, &found, &row.exact);
    truth_total += d.truth[i].size();
  }
  Latencies(&us, &cpu_us, &row);
  auto b0 = Clock::now();
  auto batch =
      index->SearchBatch(std::span<const PdqHash>(d.queries.data(), nq), kThreshold, threads);
  auto b1 = Clock::now();
  row.batch_qps = nq / Seconds(b0, b1);
  for (size_t i = 0; i < nq; ++i) {
    size_t dummy = 0;
    Score(d.truth[i], (*batch)[i], &dummy, &row.exact);
  }
  row.recall = truth_total ? static_cast<double>(found) / truth_total : 1.0;
  return row;
}

// FAISS results for query i as PdqNeighbors (ids are positions = d.ids).
std::vector<PdqNeighbor> FaissResults(const faiss::RangeSearchResult& res, size_t i) {
  std::vector<PdqNeighbor> out;
  for (size_t j = res.lims[i]; j < res.lims[i + 1]; ++j) {
    out.push_back({static_cast<uint64_t>(res.labels[j]), static_cast<int>(res.distances[j])});
  }
  return out;
}

Row RunFaiss(std::unique_ptr<faiss::IndexBinary> index, const std::string& name, const DataSet& d,
             size_t latency_queries, int threads, std::function<size_t()> extra_bytes) {
  Row row;
  row.name = name;
  const auto* codes = reinterpret_cast<const uint8_t*>(d.hashes.data());
  const auto* qcodes = reinterpret_cast<const uint8_t*>(d.queries.data());
  omp_set_num_threads(threads);
  size_t rss0 = ResidentBytes();
  auto t0 = Clock::now();
  index->add(static_cast<faiss::IndexBinary::idx_t>(d.hashes.size()), codes);
  auto t1 = Clock::now();
  row.build_s = Seconds(t0, t1);
  row.rss_per_hash = static_cast<double>(ResidentBytes() - rss0) / d.hashes.size();
  if (extra_bytes) row.bytes_per_hash = static_cast<double>(extra_bytes()) / d.hashes.size();
  // Single queries on one thread, as Warden's.
  omp_set_num_threads(1);
  std::vector<double> us, cpu_us;
  size_t found = 0, truth_total = 0;
  size_t nq = std::min(latency_queries, d.queries.size());
  for (size_t i = 0; i < nq; ++i) {
    faiss::RangeSearchResult res(1);
    double ca = ThreadCpuSeconds();
    auto a = Clock::now();
    index->range_search(1, qcodes + 32 * i, kThreshold + 1, &res);  // exclusive radius
    auto b = Clock::now();
    cpu_us.push_back((ThreadCpuSeconds() - ca) * 1e6);
    us.push_back(Seconds(a, b) * 1e6);
    Score(d.truth[i], FaissResults(res, 0), &found, &row.exact);
    truth_total += d.truth[i].size();
  }
  Latencies(&us, &cpu_us, &row);
  omp_set_num_threads(threads);
  faiss::RangeSearchResult res(static_cast<faiss::IndexBinary::idx_t>(nq));
  auto b0 = Clock::now();
  index->range_search(static_cast<faiss::IndexBinary::idx_t>(nq), qcodes, kThreshold + 1, &res);
  auto b1 = Clock::now();
  row.batch_qps = nq / Seconds(b0, b1);
  row.recall = truth_total ? static_cast<double>(found) / truth_total : 1.0;
  return row;
}

void PrintRow(const Row& r) {
  char bph[32];
  if (r.bytes_per_hash >= 0) {
    std::snprintf(bph, sizeof(bph), "%.1f", r.bytes_per_hash);
  } else {
    std::snprintf(bph, sizeof(bph), "-");
  }
  std::printf(
      "| %-30s | %8.2f | %7s | %7.1f | %8.1f | %8.1f | %8.1f | %8.1f | %5zu | %9.0f | %8.6f | %-5s "
      "|\n",
      r.name.c_str(), r.build_s, bph, r.rss_per_hash, r.p50_us, r.p99_us, r.cpu_p50_us,
      r.cpu_p99_us, r.latency_queries, r.batch_qps, r.recall, r.exact ? "yes" : "NO");
}

// Add one new hash, then Search for it at once: the add must be visible to that search.
void MeasureAdds(PdqIndex* index, size_t first_id, std::mt19937_64& rng) {
  constexpr int kAdds = 1000;
  std::vector<double> add_us, remove_us;
  int visible = 0;
  for (int i = 0; i < kAdds; ++i) {
    PdqHash h = RandomPdqHash(rng);
    uint64_t id = first_id + i;
    auto a = Clock::now();
    Status st = index->Add(id, h);
    auto b = Clock::now();
    add_us.push_back(Seconds(a, b) * 1e6);
    Result<std::vector<PdqNeighbor>> r = index->Search(FlipRandomBits(h, i % 32, rng), kThreshold);
    if (st.ok() && r.ok() &&
        std::any_of(r->begin(), r->end(), [&](const PdqNeighbor& n) { return n.id == id; })) {
      ++visible;
    }
  }
  for (int i = 0; i < kAdds; ++i) {
    auto a = Clock::now();
    bool removed = index->Remove(first_id + i);
    auto b = Clock::now();
    if (removed) remove_us.push_back(Seconds(a, b) * 1e6);
  }
  std::sort(add_us.begin(), add_us.end());
  std::sort(remove_us.begin(), remove_us.end());
  std::printf(
      "%s add: p50 %.2f us, p99 %.2f us; remove: p50 %.2f us, p99 %.2f us; "
      "added hash found by the next Search (at distance 0..31): %d/%d\n",
      index->name(), add_us[kAdds / 2], add_us[kAdds * 99 / 100], remove_us[remove_us.size() / 2],
      remove_us[remove_us.size() * 99 / 100], visible, kAdds);
}

bool ParseFaissConfig(const std::string& s, int* nhash, int* b, int* nflip) {
  return std::sscanf(s.c_str(), "%dx%df%d", nhash, b, nflip) == 3 && *nhash > 0 && *b > 0 &&
         *b <= 64 && *nhash * *b <= 256 && *nflip >= 0;
}

void RunOne(const Flags& f, size_t n, const std::string& kind) {
  std::mt19937_64 rng(f.seed + n);
  auto g0 = Clock::now();
  DataSet d =
      kind == "clustered" ? MakeClustered(n, f.queries, rng) : MakeUniform(n, f.queries, rng);
  d.ids.resize(d.hashes.size());
  for (size_t i = 0; i < d.ids.size(); ++i) d.ids[i] = i;
  std::printf(
      "\n## %s, N = %zu, %zu queries, threshold <= %d, batch threads = %d (FAISS omp "
      "threads: 1 for single queries, %d for batch)\n",
      kind.c_str(), n, d.queries.size(), kThreshold, f.threads, f.threads);
  std::fflush(stdout);

  // Ground truth by the brute-force scan (itself one of the rows).
  std::vector<Row> rows;
  {
    auto flat = std::make_unique<FlatIndex>();
    Status st = flat->AddBatch(d.ids, d.hashes);
    if (!st.ok()) std::exit(1);
    auto tb = flat->SearchBatch(d.queries, kThreshold, f.threads);
    d.truth = std::move(*tb);
  }
  std::printf("data and ground truth: %.1f s; true matches: %zu (%.1f per query)\n",
              Seconds(g0, Clock::now()), TruthCount(d),
              static_cast<double>(TruthCount(d)) / d.queries.size());
  std::printf("| %-30s | %8s | %7s | %7s | %8s | %8s | %8s | %8s | %5s | %9s | %8s | %-5s |\n",
              "index", "build s", "B/hash", "RSS B/h", "p50 us", "p99 us", "cpu p50", "cpu p99",
              "q", "batch q/s", "recall", "exact");
  std::printf("|%s|\n", std::string(148, '-').c_str());
  {
    auto mih = std::make_unique<MihIndex>();
    rows.push_back(RunWarden(mih.get(), "warden MihIndex (12 x 21-22)", d, f.queries, f.threads));
    PrintRow(rows.back());
    std::fflush(stdout);
    MeasureAdds(mih.get(), n + 1, rng);
  }
  {
    auto flat = std::make_unique<FlatIndex>();
    rows.push_back(RunWarden(flat.get(), std::string("warden FlatIndex (") + ScanKernelName() + ")",
                             d, f.flat_queries, f.threads));
    PrintRow(rows.back());
    std::fflush(stdout);
  }
  for (const std::string& cfg : f.faiss) {
    if (cfg == "none") continue;
    int nhash, b, nflip;
    if (cfg == "flat") {
      rows.push_back(RunFaiss(std::make_unique<faiss::IndexBinaryFlat>(256),
                              "faiss IndexBinaryFlat", d, f.flat_queries, f.threads, nullptr));
      PrintRow(rows.back());
      continue;
    }
    if (!ParseFaissConfig(cfg, &nhash, &b, &nflip)) {
      std::fprintf(stderr, "bad --faiss config '%s' (want NHASHxBITSfNFLIP, e.g. 16x16f1)\n",
                   cfg.c_str());
      std::exit(2);
    }
    auto idx = std::make_unique<faiss::IndexBinaryMultiHash>(256, nhash, b);
    idx->nflip = nflip;
    faiss::IndexBinaryMultiHash* raw = idx.get();
    char name[64];
    std::snprintf(name, sizeof(name), "faiss MultiHash %dx%d nflip=%d", nhash, b, nflip);
    // FAISS's own count: the codes plus 8 bytes per hash-table entry (ids only; the
    // unordered_map overhead is in the RSS column).
    size_t faiss_queries = f.faiss_queries ? f.faiss_queries : f.queries;
    rows.push_back(RunFaiss(std::move(idx), name, d, faiss_queries, f.threads, [raw, &d] {
      return d.hashes.size() * 32 + raw->hashtable_size() * 8;
    }));
    PrintRow(rows.back());
    std::fflush(stdout);
  }
  const Row& mih = rows[0];
  for (size_t i = 1; i < rows.size(); ++i) {
    std::printf(
        "MihIndex vs %-30s: median latency %7.1fx faster (CPU time %7.1fx), p99 %7.1fx, "
        "batch %7.1fx\n",
        rows[i].name.c_str(), rows[i].p50_us / mih.p50_us, rows[i].cpu_p50_us / mih.cpu_p50_us,
        rows[i].p99_us / mih.p99_us, mih.batch_qps / rows[i].batch_qps);
  }
  std::fflush(stdout);
}

int Main(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--n") {
      f.sizes.clear();
      for (const std::string& s : Split(value())) f.sizes.push_back(std::stoull(s));
    } else if (a == "--queries") {
      f.queries = std::stoull(value());
    } else if (a == "--threads") {
      f.threads = std::stoi(value());
    } else if (a == "--faiss-queries") {
      f.faiss_queries = std::stoull(value());
    } else if (a == "--flat-queries") {
      f.flat_queries = std::stoull(value());
    } else if (a == "--datasets") {
      f.datasets = Split(value());
    } else if (a == "--faiss") {
      f.faiss = Split(value());
    } else if (a == "--seed") {
      f.seed = std::stoull(value());
    } else {
      std::fprintf(stderr,
                   "usage: index_bench [--n N[,N...]] [--queries Q] [--threads T] "
                   "[--flat-queries F] [--faiss-queries F] [--datasets uniform,clustered] [--faiss "
                   "16x16f1,...|none|flat] "
                   "[--seed S]\n");
      return 2;
    }
  }
  if (f.queries == 0 || f.threads < 1 || f.flat_queries == 0) {
    std::fprintf(stderr, "--queries, --threads and --flat-queries must be positive\n");
    return 2;
  }
  std::printf("# index_bench: %s popcount kernel, %d hardware threads\n", ScanKernelName(),
              omp_get_num_procs());
  for (size_t n : f.sizes) {
    for (const std::string& kind : f.datasets) RunOne(f, n, kind);
  }
  return 0;
}

}  // namespace
}  // namespace warden

int main(int argc, char** argv) {
  try {
    return warden::Main(argc, argv);
  } catch (const std::exception& e) {  // std::stoull on a bad flag, FAISS errors
    std::fprintf(stderr, "index_bench: %s\n", e.what());
    return 1;
  }
}
