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
#include <vector>

#include "bench/load_client.h"
#include "bench/serve_bench_data.h"
#include "bench/serve_bench_runs.h"
#include "bench/server_process.h"
#include "bench/stub_server.h"

namespace warden::bench {
namespace {

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
  int client_polls = 2;
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
  --client-polls P       non-blocking polls (sched_yield between two) an idle client
                         thread makes before it sleeps in epoll_wait; 0 = sleep at once
                         (default 2; docs/performance.md says why)
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
      {"--client-polls", to_int(&f->client_polls)},
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
         f->threads >= 1 && f->threads <= 2 && f->client_polls >= 0 && f->duration_s > 0 &&
         f->upload_duration_s > 0;
}

PhaseOptions PhaseOptionsOf(const Flags& f, const std::string& db) {
  PhaseOptions p;
  p.queries = f.queries;
  p.seed = f.seed;
  p.connections = f.connections;
  p.threads = f.threads;
  p.client_idle_polls = f.client_polls;
  p.warmup_s = f.warmup_s;
  p.duration_s = f.duration_s;
  p.matcher_baseline = f.index_baseline;
  p.db = db;
  p.photo_path = f.testdata + "/pdq/" + kPhotoFile;
  p.photo_name = kPhotoFile;
  p.upload_connections = f.upload_connections;
  p.upload_duration_s = f.upload_duration_s;
  return p;
}

std::string DbPath(const Flags& f, int64_t n) {
  return fmt::format("{}/serve_bench_{}_seed{}.db", f.data_dir, n, f.seed);
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
  PhaseOptions phases = PhaseOptionsOf(f, DbPath(f, f.n));
  if (f.lookups) ok &= RunLookups(phases, *data, target);
  if (f.uploads) ok &= RunUploads(phases, *data, target);
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
  PhaseOptions phases = PhaseOptionsOf(f, db);
  if (ok && f.lookups) ok &= RunLookups(phases, *data, target);
  if (ok && f.uploads) ok &= RunUploads(phases, *data, target);
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
