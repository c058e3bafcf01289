// serve_bench: issue 4's load test and memory measurement of `warden serve`.
//
// The default run builds (or reuses) a SQLite store of 1M random PDQ hashes in one bank, creates
// a matcher key with `warden keys create`, starts `warden serve` on a loopback port and then
//   1. lookups: C keep-alive connections (default 32, one request in flight each) from this
//      process's epoll client send GET /m/lookup for a fixed query set (half near-duplicates of
//      stored hashes, 1..31 bits flipped, half random hashes) for --duration seconds after a
//      warm-up; prints requests/s, latency quantiles, errors, and the client's and the server's
//      CPU time. Client and server share the machine, as the issue says.
//   2. verification: every distinct answer received is compared with a brute-force popcount scan
//      of the same hashes in this process (ids and distances); any difference fails the run.
//      The scan's time per query and an in-process MihIndex's are the baselines the server's
//      latency and CPU per request are reported against.
//   3. uploads: 4 connections POST /m/lookup with a 1600x1004 JPEG (shared/testdata
//      pdq/images/bridge-mods/aaa-orig.jpg, whose PDQ hash the store holds) for 15 s.
// --memory instead measures the server's resident size once it listens with 1M and 10M hashes.
// --self-test runs the client and the verification against an in-process stub server.
//
// Usage: serve_bench [flags]   (see Usage() below)
#include <fmt/core.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_set>
#include <vector>

#include "bench/load_client.h"
#include "bench/serve_bench_data.h"
#include "bench/server_process.h"
#include "bench/stub_server.h"
#include "warden/bank_store.h"
#include "warden/matcher.h"
#include "warden/pdq_index.h"

namespace warden::bench {
namespace {

using SteadyClock = std::chrono::steady_clock;
constexpr const char* kPhotoFile = "images/bridge-mods/aaa-orig.jpg";

struct Flags {
  std::string warden = WARDEN_BINARY;
  std::string testdata = WARDEN_TESTDATA;
  std::string data_dir = "/tmp/warden_serve_bench";
  std::string log = "";  // server stderr; default <data_dir>/serve.log
  int64_t n = 1'000'000;
  int64_t memory_n = 10'000'000;
  uint64_t seed = 1;
  int queries = 10'000;
  int connections = 32;
  int threads = 1;
  double warmup_s = 2;
  double duration_s = 20;
  int upload_connections = 4;
  double upload_duration_s = 15;
  std::string rate_limit = "10000000";
  std::vector<std::string> server_args;
  bool lookups = true;
  bool uploads = true;
  bool index_baseline = true;
  bool memory = false;
  bool build_only = false;
  bool self_test = false;
  bool self_test_corrupt = false;
};

void Usage() {
  fmt::print(stderr, R"(usage: serve_bench [flags]
  --data-dir DIR         where the SQLite stores live (default /tmp/warden_serve_bench)
  --n N                  hashes in the lookup store (default 1000000)
  --seed S               hash generator seed (default 1)
  --queries Q            distinct lookup queries, half near-duplicates (default 10000)
  --connections C        keep-alive lookup connections (default 32)
  --threads T            client threads, 1 or 2 (default 1)
  --warmup S             seconds before measuring (default 2)
  --duration S           measured seconds of lookups (default 20)
  --upload-connections C (default 4)   --upload-duration S (default 15)
  --rate-limit R         passed to warden serve (default 10000000)
  --server-arg ARG       passed to warden serve (repeatable), e.g. --server-arg=--io-threads=1
  --skip-lookups --skip-uploads --no-index-baseline
  --memory               resident size of the server with --n and --memory-n hashes instead
  --memory-n N           (default 10000000)
  --build-only           build the stores (--n, and --memory-n with --memory) and exit
  --warden PATH          the warden binary (default: the one built beside this bench)
  --log PATH             the server's stderr (default DIR/serve.log)
  --self-test [--self-test-corrupt]   client + verification against an in-process stub
)");
}

bool ParseFlags(int argc, char** argv, Flags* f) {
  using Setter = std::function<void(const std::string&)>;
  const std::map<std::string, bool*> switches = {{"--memory", &f->memory},
                                                 {"--build-only", &f->build_only},
                                                 {"--self-test", &f->self_test},
                                                 {"--self-test-corrupt", &f->self_test_corrupt}};
  const std::map<std::string, bool*> negations = {{"--skip-lookups", &f->lookups},
                                                  {"--skip-uploads", &f->uploads},
                                                  {"--no-index-baseline", &f->index_baseline}};
  auto to_i64 = [](int64_t* out) {
    return [out](const std::string& v) { *out = std::atoll(v.c_str()); };
  };
  auto to_int = [](int* out) {
    return [out](const std::string& v) { *out = std::atoi(v.c_str()); };
  };
  auto to_dbl = [](double* out) {
    return [out](const std::string& v) { *out = std::atof(v.c_str()); };
  };
  auto to_str = [](std::string* out) { return [out](const std::string& v) { *out = v; }; };
  const std::map<std::string, Setter> values = {
      {"--data-dir", to_str(&f->data_dir)},
      {"--n", to_i64(&f->n)},
      {"--memory-n", to_i64(&f->memory_n)},
      {"--seed", [f](const std::string& v) { f->seed = std::strtoull(v.c_str(), nullptr, 10); }},
      {"--queries", to_int(&f->queries)},
      {"--connections", to_int(&f->connections)},
      {"--threads", to_int(&f->threads)},
      {"--warmup", to_dbl(&f->warmup_s)},
      {"--duration", to_dbl(&f->duration_s)},
      {"--upload-connections", to_int(&f->upload_connections)},
      {"--upload-duration", to_dbl(&f->upload_duration_s)},
      {"--rate-limit", to_str(&f->rate_limit)},
      {"--server-arg", [f](const std::string& v) { f->server_args.push_back(v); }},
      {"--warden", to_str(&f->warden)},
      {"--log", to_str(&f->log)}};
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    // --server-arg=--io-threads=1 keeps a value that starts with "--" readable.
    if (arg.rfind("--server-arg=", 0) == 0) {
      f->server_args.push_back(arg.substr(arg.find('=') + 1));
    } else if (auto s = switches.find(arg); s != switches.end()) {
      *s->second = true;
    } else if (auto n = negations.find(arg); n != negations.end()) {
      *n->second = false;
    } else if (auto v = values.find(arg); v != values.end() && i + 1 < argc) {
      v->second(argv[++i]);
    } else {
      return false;
    }
  }
  return f->n >= 2 && f->memory_n >= 2 && f->queries >= 2 && f->connections >= 1 &&
         f->threads >= 1 && f->threads <= 2 && f->duration_s > 0 && f->upload_duration_s > 0;
}

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

std::string DbPath(const Flags& f, int64_t n) {
  return fmt::format("{}/serve_bench_{}_seed{}.db", f.data_dir, n, f.seed);
}

// The server under test: its port, the key it accepts and (for CPU sampling) its pid.
struct Target {
  int port = 0;
  std::string key;
  pid_t pid = -1;  // -1: in-process stub, no separate CPU figure
};

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

bool RunLookups(const Flags& f, const BenchData& data, const std::string& db,
                const Target& target) {
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
  options.warmup_s = f.warmup_s;
  options.duration_s = f.duration_s;
  fmt::print(
      "\nlookups: GET /m/lookup, {} distinct queries ({} near-duplicates), {} keep-alive "
      "connections, {} client thread(s), {:.1f} s after {:.1f} s warm-up\n",
      queries.size(), (queries.size() + 1) / 2, f.connections, f.threads, f.duration_s, f.warmup_s);
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
  if (f.index_baseline) {
    double matcher_cpu = MatcherCpuPerQuery(data, db, queries);
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

bool RunUploads(const Flags& f, const BenchData& data, const Target& target) {
  std::string path = f.testdata + "/pdq/" + kPhotoFile;
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
  options.threads = 1;
  options.warmup_s = std::min(f.warmup_s, 2.0);
  options.duration_s = f.upload_duration_s;
  fmt::print(
      "\nuploads: POST /m/lookup multipart, {} ({} bytes, 1600x1004 JPEG), {} "
      "connections, {:.1f} s after {:.1f} s warm-up\n",
      kPhotoFile, jpeg.size(), f.upload_connections, f.upload_duration_s, options.warmup_s);
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

Result<std::string> CreateKey(const Flags& f, const std::string& db) {
  // Active key names are unique: one per run.
  std::string name = fmt::format("serve-bench-{}-{}", ::time(nullptr), ::getpid());
  WARDEN_ASSIGN_OR_RETURN(CommandResult r, RunCommand({f.warden, "keys", "create", "--role",
                                                       "matcher", "--name", name, "--db", db}));
  std::string key = r.out.substr(0, r.out.find('\n'));
  if (r.exit_status != 0 || key.empty()) {
    return Status::Unavailable(
        fmt::format("warden keys create exited {}: {}", r.exit_status, r.err.substr(0, 500)));
  }
  return key;
}

Status StartServer(const Flags& f, const std::string& db, ServerProcess* server) {
  std::vector<std::string> argv = {f.warden,      "serve", "--db",         db,
                                   "--port",      "0",     "--listen",     "127.0.0.1",
                                   "--log-level", "warn",  "--rate-limit", f.rate_limit};
  argv.insert(argv.end(), f.server_args.begin(), f.server_args.end());
  std::string log = f.log.empty() ? f.data_dir + "/serve.log" : f.log;
  std::string shown;
  for (size_t i = 1; i < argv.size(); ++i) shown += " " + argv[i];
  fmt::print("server: warden{} (stderr: {})\n", shown, log);
  std::fflush(stdout);
  return server->Start(argv, log, 1800);
}

void PrintMemory(std::string_view when, pid_t pid) {
  Result<ProcessMemory> m = ReadProcessMemory(pid);
  if (!m.ok()) return;
  fmt::print("server memory {}: VmRSS {:.1f} MiB, VmHWM {:.1f} MiB\n", when,
             static_cast<double>(m->rss_kib) / 1024, static_cast<double>(m->hwm_kib) / 1024);
}

Result<BenchData> Store(const Flags& f, int64_t n, bool keep_hashes, const PdqHash& photo) {
  BuildOptions b;
  b.path = DbPath(f, n);
  b.n = n;
  b.seed = f.seed;
  b.photo_hash = photo;
  b.keep_hashes = keep_hashes;
  fmt::print("store: {} ({} random PDQ hashes + the upload photo, seed {})\n", b.path, n, f.seed);
  std::fflush(stdout);
  Result<BenchData> data = BuildOrReuse(b);
  if (data.ok()) {
    fmt::print("store: {} in {:.1f} s, {:.0f} MiB on disk\n",
               !data->reused ? "built"
               : keep_hashes ? "reused, hashes read back"
                             : "reused",
               data->build_s, data->file_mib);
  }
  return data;
}

int RunMemory(const Flags& f, const PdqHash& photo) {
  bool ok = true;
  int64_t prev_n = 0, prev_rss_kib = 0;
  for (int64_t n : {f.n, f.memory_n}) {
    fmt::print("\nmemory with {} hashes\n", n);
    Result<BenchData> data = Store(f, n, false, photo);
    if (!data.ok()) {
      fmt::print("store: {}\n", data.status().ToString());
      return 1;
    }
    if (f.build_only) continue;
    std::string db = DbPath(f, n);
    Result<std::string> key = CreateKey(f, db);
    if (!key.ok()) {
      fmt::print("{}\n", key.status().ToString());
      return 1;
    }
    ServerProcess server;
    Status s = StartServer(f, db, &server);
    if (!s.ok()) {
      fmt::print("{}\n", s.ToString());
      return 1;
    }
    fmt::print("server listening after {:.1f} s (loading {} hashes)\n", server.startup_s(), n);
    PrintMemory("once listening", server.pid());
    // One lookup of a near-duplicate of the first stored hash must find it.
    PdqHash first = NthRandomHash(f.seed, 0);
    first.words[0] ^= 0xF;
    Result<SimpleResponse> r = FetchOnce(
        "127.0.0.1", server.port(),
        MakeGetRequest("/m/lookup?signal_type=pdq&signal=" + first.ToHex(), *key), 30'000);
    bool found = r.ok() && r->status == 200 && r->body.find("\"distance\"") != std::string::npos;
    fmt::print(
        "lookup of a near-duplicate of hash 0: {}\n",
        r.ok() ? fmt::format("{} {}", r->status, r->body.substr(0, 120)) : r.status().ToString());
    ok &= found;
    std::this_thread::sleep_for(std::chrono::seconds(2));
    Result<ProcessMemory> m = ReadProcessMemory(server.pid());
    PrintMemory("2 s later", server.pid());
    if (m.ok()) {
      fmt::print("  {:.2f} GiB resident, {:.1f} bytes per hash", m->rss_kib / (1024.0 * 1024.0),
                 static_cast<double>(m->rss_kib) * 1024 / static_cast<double>(n));
      // What each further hash costs, free of the fixed part (code, SQLite caches, threads).
      if (prev_n > 0 && n > prev_n) {
        fmt::print(
            "; {:.1f} bytes per hash from {} to {} hashes",
            static_cast<double>(m->rss_kib - prev_rss_kib) * 1024 / static_cast<double>(n - prev_n),
            prev_n, n);
      }
      fmt::print("\n");
      prev_n = n;
      prev_rss_kib = m->rss_kib;
      if (n >= 10'000'000) {
        fmt::print(
            "target (issue 4): RSS with 10M hashes < 2 GiB: {}\n",
            m->rss_kib < 2 * 1024 * 1024 && m->hwm_kib < 2 * 1024 * 1024 ? "met" : "NOT met");
      }
    }
    int exit_status = server.Stop(60);
    fmt::print("server stopped with SIGTERM: exit status {}\n", exit_status);
    ok &= exit_status == 0;
  }
  return ok ? 0 : 1;
}

int RunSelfTest(Flags f, const PdqHash& photo) {
  std::string templ = (std::filesystem::temp_directory_path() / "serve_bench_XXXXXX").string();
  if (mkdtemp(templ.data()) == nullptr) return 1;
  f.data_dir = templ;
  Result<BenchData> data = Store(f, f.n, true, photo);
  if (!data.ok()) {
    fmt::print("store: {}\n", data.status().ToString());
    return 1;
  }
  StubServer stub(&*data, "stub-key", f.self_test_corrupt);
  Status s = stub.Start();
  if (!s.ok()) {
    fmt::print("{}\n", s.ToString());
    return 1;
  }
  Target target{stub.port(), "stub-key", -1};
  // A request without the key must be refused, so the client really sends it.
  Result<SimpleResponse> unauth =
      FetchOnce("127.0.0.1", stub.port(), MakeGetRequest("/status", ""), 5000);
  bool ok = unauth.ok() && unauth->status == 401;
  if (f.lookups) ok &= RunLookups(f, *data, DbPath(f, f.n), target);
  if (f.uploads) ok &= RunUploads(f, *data, target);
  stub.Stop();
  std::error_code ec;
  std::filesystem::remove_all(templ, ec);
  fmt::print("self-test: {}\n", ok ? "passed" : "FAILED");
  return ok ? 0 : 1;
}

int Main(int argc, char** argv) {
  Flags f;
  if (!ParseFlags(argc, argv, &f)) {
    Usage();
    return 2;
  }
  Result<PdqHash> photo = ManifestHash(f.testdata, kPhotoFile);
  if (!photo.ok()) {
    fmt::print(stderr, "{}\n", photo.status().ToString());
    return 1;
  }
  if (f.self_test) return RunSelfTest(f, *photo);
  if (f.memory) return RunMemory(f, *photo);

  Result<BenchData> data = Store(f, f.n, !f.build_only, *photo);
  if (!data.ok()) {
    fmt::print("store: {}\n", data.status().ToString());
    return 1;
  }
  if (f.build_only) return 0;
  std::string db = DbPath(f, f.n);
  Result<std::string> key = CreateKey(f, db);
  if (!key.ok()) {
    fmt::print("{}\n", key.status().ToString());
    return 1;
  }
  ServerProcess server;
  Status s = StartServer(f, db, &server);
  if (!s.ok()) {
    fmt::print("{}\n", s.ToString());
    return 1;
  }
  fmt::print("server listening on port {} after {:.1f} s\n", server.port(), server.startup_s());
  PrintMemory("once listening", server.pid());
  Result<SimpleResponse> status =
      FetchOnce("127.0.0.1", server.port(), MakeGetRequest("/status", *key), 10'000);
  fmt::print("GET /status: {}\n", status.ok() ? fmt::format("{} {}", status->status, status->body)
                                              : status.status().ToString());
  Target target{server.port(), *key, server.pid()};
  bool ok = status.ok() && status->status == 200;
  if (ok && f.lookups) ok &= RunLookups(f, *data, DbPath(f, f.n), target);
  if (ok && f.uploads) ok &= RunUploads(f, *data, target);
  PrintMemory("at the end", server.pid());
  int exit_status = server.Stop(60);
  fmt::print("server stopped with SIGTERM: exit status {}\n", exit_status);
  ok &= exit_status == 0;
  fmt::print("serve_bench: {}\n", ok ? "all answers right" : "FAILED");
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace warden::bench

int main(int argc, char** argv) { return warden::bench::Main(argc, argv); }
