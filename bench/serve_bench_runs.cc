#include "bench/serve_bench_runs.h"

#include <fmt/core.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bench/load_client.h"
#include "bench/server_process.h"
#include "warden/bank_store.h"
#include "warden/matcher.h"
#include "warden/pdq_index.h"

namespace warden::bench {
namespace {

using SteadyClock = std::chrono::steady_clock;

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Collects every distinct answer body per request, so each can be verified after the run
// without parsing JSON on the client thread for every response.
class AnswerCollector {
 public:
  AnswerCollector(int threads, size_t requests)
      : seen_(static_cast<size_t>(threads), std::vector<std::vector<size_t>>(requests)),
        bodies_(static_cast<size_t>(threads)) {}

  void Add(const LoadResponse& r) {
    if (r.status != 200) return;
    size_t h = std::hash<std::string_view>{}(r.body);
    auto& seen = seen_[static_cast<size_t>(r.thread)][r.request_index];
    if (std::find(seen.begin(), seen.end(), h) != seen.end()) return;
    seen.push_back(h);
    bodies_[static_cast<size_t>(r.thread)].emplace_back(r.request_index, std::string(r.body));
  }
  // (request index, body) of every distinct answer, sorted by request index.
  std::vector<std::pair<size_t, std::string>> Bodies() const {
    std::vector<std::pair<size_t, std::string>> all;
    for (const auto& b : bodies_) all.insert(all.end(), b.begin(), b.end());
    std::stable_sort(all.begin(), all.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    return all;
  }

 private:
  std::vector<std::vector<std::vector<size_t>>> seen_;
  std::vector<std::vector<std::pair<size_t, std::string>>> bodies_;
};

// Runs the load with server CPU sampling around the measured window.
Result<LoadResult> MeasuredLoad(LoadOptions options, const Target& target,
                                const std::vector<std::string>& requests,
                                const LoadObserver& observer, double* server_cpu_s) {
  double cpu0 = 0, cpu1 = 0;
  options.port = target.port;
  if (target.pid > 0) {
    auto sample = [pid = target.pid](double* out) {
      Result<double> cpu = ProcessCpuSeconds(pid);
      *out = cpu.ok() ? *cpu : 0;
    };
    // `sample` by value: these outlive this block.
    options.on_window_start = [sample, &cpu0] { sample(&cpu0); };
    options.on_window_end = [sample, &cpu1] { sample(&cpu1); };
  }
  Result<LoadResult> r = RunLoad(options, requests, observer);
  *server_cpu_s = cpu1 - cpu0;
  return r;
}

void PrintLoad(std::string_view what, const LoadResult& r, double server_cpu_s, bool has_server) {
  fmt::print(
      "{}: {:.0f}/s ({} in {:.1f} s), latency ms p50 {:.3f} p90 {:.3f} p99 {:.3f} "
      "p99.9 {:.3f} max {:.3f}\n",
      what, r.PerSecond(), r.requests, r.window_s, r.QuantileMs(0.5), r.QuantileMs(0.9),
      r.QuantileMs(0.99), r.QuantileMs(0.999), r.QuantileMs(1.0));
  std::string statuses;
  for (const auto& [code, count] : r.status_counts) statuses += fmt::format(" {}:{}", code, count);
  fmt::print("  errors: {} non-2xx, {} transport; statuses{}\n", r.non_2xx, r.transport_errors,
             statuses.empty() ? " none" : statuses);
  double per = r.requests > 0 ? 1e6 / static_cast<double>(r.requests) : 0;
  fmt::print("  CPU in the window: client {:.2f} s ({:.1f} us/request)", r.client_cpu_s,
             r.client_cpu_s * per);
  if (has_server) {
    fmt::print(", server {:.2f} s ({:.1f} us/request), both {:.2f} of 2 cores", server_cpu_s,
               server_cpu_s * per, (r.client_cpu_s + server_cpu_s) / r.window_s);
  }
  fmt::print("\n");
}

// Compares every distinct answer with the brute-force scan; returns the mismatches.
struct Verification {
  int64_t answers = 0;
  int64_t mismatches = 0;
  int64_t queries_answered = 0;
  int64_t near_dups_answered = 0;
  int64_t matches = 0;
  double brute_cpu_s_per_query = 0;
  double brute_wall_s_per_query = 0;
};

Verification VerifyLookups(const BenchData& data, const std::vector<Query>& queries,
                           const std::vector<std::pair<size_t, std::string>>& bodies) {
  Verification v;
  // The distinct queries answered (bodies come sorted by query index).
  std::vector<size_t> answered;
  for (const auto& entry : bodies) {
    if (answered.empty() || answered.back() != entry.first) answered.push_back(entry.first);
  }
  std::vector<PdqHash> hashes;
  for (size_t index : answered) hashes.push_back(queries[index].hash);
  std::vector<std::vector<Match>> expected = data.BruteForceMany(hashes);
  // The baseline: one query at a time, as a service without an index would scan; a sample of
  // the queries, whose answers must equal the blocked scan's.
  size_t sample = std::min<size_t>(answered.size(), 200);
  double cpu = 0, wall = 0;
  for (size_t k = 0; k < sample; ++k) {
    double c0 = ThreadCpuSeconds();
    auto w0 = SteadyClock::now();
    std::vector<Match> one = data.BruteForce(hashes[k]);
    cpu += ThreadCpuSeconds() - c0;
    wall += std::chrono::duration<double>(SteadyClock::now() - w0).count();
    WARDEN_CHECK(one == expected[k]);
  }
  if (sample > 0) {
    v.brute_cpu_s_per_query = cpu / static_cast<double>(sample);
    v.brute_wall_s_per_query = wall / static_cast<double>(sample);
  }
  size_t k = 0;
  for (const auto& [index, body] : bodies) {
    while (answered[k] != index) ++k;
    const std::vector<Match>& want = expected[k];
    ++v.answers;
    Result<std::vector<Match>> got = ParseHmaMatches(body, kBenchBank);
    if (got.ok() && *got == want) continue;
    if (++v.mismatches <= 5) {
      fmt::print(
          "  MISMATCH query {} ({}): expected {} matches, {}\n", index, queries[index].hash.ToHex(),
          want.size(),
          got.ok() ? fmt::format("server answered {}", got->size()) : got.status().ToString());
      for (size_t j = 0; j < std::min<size_t>(want.size(), 3); ++j) {
        fmt::print("    expected id {} distance {}\n", want[j].id, want[j].distance);
      }
    }
  }
  for (size_t j = 0; j < answered.size(); ++j) {
    ++v.queries_answered;
    v.matches += static_cast<int64_t>(expected[j].size());
    if (queries[answered[j]].near_duplicate) {
      ++v.near_dups_answered;
      WARDEN_CHECK(!expected[j].empty());  // by construction: 1..31 bits from a stored hash
    }
  }
  return v;
}

// The matcher's own cost, single-threaded CPU per query over the same hashes in this process:
// the bare MihIndex (Search(q, 31)) and the whole Matcher `warden serve` calls (the index plus
// one store read per matched item) on the same SQLite file. Returns the Matcher's (0 if it
// could not be built).
double MatcherCpuPerQuery(const BenchData& data, const std::string& db,
                          const std::vector<Query>& queries) {
  const double count = static_cast<double>(queries.size());
  {
    std::unique_ptr<PdqIndex> index = NewMihPdqIndex();
    std::vector<uint64_t> ids(data.ids.begin(), data.ids.end());
    Status s = index->AddBatch(ids, data.hashes);
    if (!s.ok()) {
      fmt::print("  MihIndex: {}\n", s.ToString());
      return 0;
    }
    double c0 = ThreadCpuSeconds();
    size_t found = 0;
    for (const Query& q : queries) {
      Result<std::vector<PdqNeighbor>> r = index->Search(q.hash, kPdqMatchThreshold);
      if (r.ok()) found += r->size();
    }
    double cpu = ThreadCpuSeconds() - c0;
    fmt::print("  MihIndex in this process: {:.1f} us CPU per Search (one thread, {} matches)\n",
               cpu * 1e6 / count, found);
  }
  Result<std::unique_ptr<BankStore>> store = OpenSqliteStore(db);
  if (!store.ok()) {
    fmt::print("  Matcher: {}\n", store.status().ToString());
    return 0;
  }
  Result<std::unique_ptr<Matcher>> matcher = NewMatcher(store->get());
  if (!matcher.ok()) {
    fmt::print("  Matcher: {}\n", matcher.status().ToString());
    return 0;
  }
  double c0 = ThreadCpuSeconds();
  size_t found = 0;
  for (const Query& q : queries) {
    MatchQuery mq;
    mq.signal.type = SignalType::kPdq;
    mq.signal.value = q.hash.ToHex();
    Result<LookupResult> r = (*matcher)->Lookup({mq}, LookupOptions{});
    if (r.ok()) found += r->matches.size();
  }
  double cpu = (ThreadCpuSeconds() - c0) / count;
  fmt::print(
      "  Matcher (index + store reads) in this process: {:.1f} us CPU per Lookup (one "
      "thread, {} matches)\n",
      cpu * 1e6, found);
  return cpu;
}

}  // namespace

bool RunLookups(const PhaseOptions& f, const BenchData& data, const Target& target) {
  std::vector<Query> queries = MakeQueries(data, f.queries, f.seed);
  std::vector<std::string> requests;
  requests.reserve(queries.size());
  for (const Query& q : queries) {
    requests.push_back(
        MakeGetRequest("/m/lookup?signal_type=pdq&signal=" + q.hash.ToHex(), target.key));
  }
  AnswerCollector collector(f.threads, requests.size());
  LoadOptions options;
  options.connections = f.connections;
  options.threads = f.threads;
  options.idle_polls = f.client_idle_polls;
  options.warmup_s = f.warmup_s;
  options.duration_s = f.duration_s;
  fmt::print(
      "\nlookups: GET /m/lookup, {} distinct queries ({} near-duplicates), {} keep-alive "
      "connections, {} client thread(s) making {} poll(s) before sleeping, {:.1f} s after "
      "{:.1f} s warm-up\n",
      queries.size(), (queries.size() + 1) / 2, f.connections, f.threads, f.client_idle_polls,
      f.duration_s, f.warmup_s);
  std::fflush(stdout);
  double server_cpu = 0;
  Result<LoadResult> r = MeasuredLoad(
      options, target, requests, [&](const LoadResponse& resp) { collector.Add(resp); },
      &server_cpu);
  if (!r.ok()) {
    fmt::print("lookups failed: {}\n", r.status().ToString());
    return false;
  }
  PrintLoad("lookups", *r, server_cpu, target.pid > 0);

  fmt::print("verifying against a brute-force scan of {} hashes...\n", data.hashes.size());
  std::fflush(stdout);
  Verification v = VerifyLookups(data, queries, collector.Bodies());
  bool ok = v.mismatches == 0 && v.answers > 0 && r->non_2xx == 0 && r->transport_errors == 0;
  fmt::print(
      "verified {}/{} answers ({} distinct queries answered, {} near-duplicates; {} "
      "matches expected in all){}\n",
      v.answers - v.mismatches, v.answers, v.queries_answered, v.near_dups_answered, v.matches,
      v.mismatches > 0 ? " -- WRONG ANSWERS" : "");
  double p50 = r->QuantileMs(0.5);
  double server_us = r->requests > 0 ? server_cpu * 1e6 / static_cast<double>(r->requests) : 0;
  fmt::print(
      "baseline: brute-force scan {:.2f} ms per query (CPU {:.2f} ms); server p50 {:.3f} "
      "ms (scan / p50 = {:.1f}x)\n",
      v.brute_wall_s_per_query * 1e3, v.brute_cpu_s_per_query * 1e3, p50,
      p50 > 0 ? v.brute_wall_s_per_query * 1e3 / p50 : 0);
  if (target.pid > 0 && server_us > 0) {
    fmt::print("  server CPU per lookup {:.1f} us = {:.1f}x less than the scan's CPU\n", server_us,
               v.brute_cpu_s_per_query * 1e6 / server_us);
  }
  if (f.matcher_baseline) {
    double matcher_cpu = MatcherCpuPerQuery(data, f.db, queries);
    if (target.pid > 0 && matcher_cpu > 0 && server_us > 0) {
      fmt::print(
          "  server CPU per lookup / Matcher Lookup CPU = {:.2f}x (the rest: HTTP, key "
          "check, rate limit, JSON, audit log, metrics, logging)\n",
          server_us / (matcher_cpu * 1e6));
    }
  }
  double rps = r->PerSecond();
  fmt::print("target (issue 4): >= 20000 lookups/s at p99 < 10 ms: {} ({:.0f}/s, p99 {:.2f} ms)\n",
             rps >= 20'000 && r->QuantileMs(0.99) < 10 ? "met" : "NOT met", rps,
             r->QuantileMs(0.99));
  return ok;
}

bool RunUploads(const PhaseOptions& f, const BenchData& data, const Target& target) {
  const std::string& path = f.photo_path;
  std::ifstream in(path, std::ios::binary);
  std::string jpeg((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (jpeg.empty()) {
    fmt::print("uploads: cannot read {}\n", path);
    return false;
  }
  std::string content_type;
  std::string body = MakeMultipartBody("photo", "aaa-orig.jpg", "image/jpeg", jpeg, &content_type);
  std::vector<std::string> requests = {
      MakePostRequest("/m/lookup", target.key, content_type, body)};
  AnswerCollector collector(1, 1);
  LoadOptions options;
  options.connections = f.upload_connections;
  options.idle_polls = f.client_idle_polls;
  options.threads = 1;
  options.warmup_s = std::min(f.warmup_s, 2.0);
  options.duration_s = f.upload_duration_s;
  fmt::print(
      "\nuploads: POST /m/lookup multipart, {} ({} bytes, 1600x1004 JPEG), {} "
      "connections, {:.1f} s after {:.1f} s warm-up\n",
      f.photo_name, jpeg.size(), f.upload_connections, f.upload_duration_s, options.warmup_s);
  std::fflush(stdout);
  double server_cpu = 0;
  Result<LoadResult> r = MeasuredLoad(
      options, target, requests,
      [&](const LoadResponse& resp) {
        LoadResponse one = resp;
        one.thread = 0;
        collector.Add(one);
      },
      &server_cpu);
  if (!r.ok()) {
    fmt::print("uploads failed: {}\n", r.status().ToString());
    return false;
  }
  PrintLoad("uploads", *r, server_cpu, target.pid > 0);
  // The server hashes the upload itself; its pipeline may differ from the manifest's fullres
  // hash by a few bits, so ids are compared and distances shown.
  std::vector<Match> expected = data.BruteForce(data.photo_hash);
  int64_t answers = 0, wrong = 0;
  for (const auto& [index, answer] : collector.Bodies()) {
    ++answers;
    Result<std::vector<Match>> got = ParseHmaUploadMatches(answer, kBenchBank);
    bool same = got.ok() && got->size() == expected.size();
    for (size_t k = 0; same && k < expected.size(); ++k) same = (*got)[k].id == expected[k].id;
    std::string shown;
    if (got.ok()) {
      for (const Match& m : *got) shown += fmt::format(" id {} distance {};", m.id, m.distance);
    }
    fmt::print("  answer {}: {}{}\n", answers, got.ok() ? shown : got.status().ToString(),
               same ? "" : " -- WRONG: expected the photo's item " + std::to_string(data.photo_id));
    if (!same) ++wrong;
  }
  fmt::print("verified {}/{} distinct upload answers (the photo's item {} expected)\n",
             answers - wrong, answers, data.photo_id);
  fmt::print("target (issue 4): >= 25 uploads/s hashed and matched: {} ({:.1f}/s)\n",
             r->PerSecond() >= 25 ? "met" : "NOT met", r->PerSecond());
  return wrong == 0 && answers > 0 && r->non_2xx == 0 && r->transport_errors == 0;
}

}  // namespace warden::bench
