// store_bench: how fast a large hash list goes into a new bank (issue 3: 1M PDQ hashes in
// under 20 s, i.e. > 50k items/s), through BankStore::ApplyBatch in batches, for SqliteStore
// (a fresh file) and MemoryStore in the same run. Also times importing the same list again
// (all duplicates) and reading everything back with ForEachItem (what an index does at start).
//
// Usage: store_bench [--n N] [--batch B] [--dir DIR] [--cache-mib M] [--skip-memory]
//   N items (default 1000000) in batches of B (default 10000); the SQLite file goes into DIR
//   (default: a new directory under /tmp, removed at the end); M = the SQLite page cache
//   (default SqliteStoreOptions::cache_size_kib).
#include <fmt/core.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "warden/bank_store.h"

namespace warden {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

// CPU seconds used by this thread: the store does its work in the calling thread, and on a
// shared machine wall time also counts other processes' turns.
double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Batch `b` of the synthetic list: random 256-bit PDQ hashes (quality 80..100) with a little
// provenance, deterministic in (seed, b) so a second import repeats it exactly.
WriteBatch MakeBatch(int b, int size, const std::string& bank) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::mt19937_64 rng(0x5eed0000ULL + static_cast<uint64_t>(b));
  WriteBatch batch;
  batch.ops.reserve(static_cast<size_t>(size));
  for (int i = 0; i < size; ++i) {
    Signal s;
    s.type = SignalType::kPdq;
    s.value.resize(64);
    for (int w = 0; w < 4; ++w) {
      uint64_t word = rng();
      for (int k = 0; k < 16; ++k)
        s.value[static_cast<size_t>(w * 16 + k)] = kDigits[(word >> (4 * k)) & 15];
    }
    s.quality = 80 + static_cast<int>(rng() % 21);
    Item item = MakeItem(bank, std::move(s));
    item.provenance.source_list = "bench";
    batch.Add(std::move(item));
  }
  return batch;
}

struct Timing {
  double import_s = 0;      // ApplyBatch wall time only (batch construction excluded)
  double import_cpu_s = 0;  // the same in thread CPU time
  double reimport_s = 0;    // the same batches again: every op a duplicate
  double scan_s = 0;        // ForEachItem over everything
  int64_t added = 0;
  int64_t duplicates = 0;
  int64_t scanned = 0;
};

bool Run(BankStore& store, int n, int batch_size, Timing* t) {
  Bank bank;
  bank.name = "BENCH";
  if (Result<Bank> b = store.CreateBank(bank, "bench"); !b.ok()) {
    fmt::print(stderr, "create bank: {}\n", b.status().ToString());
    return false;
  }
  int batches = (n + batch_size - 1) / batch_size;
  for (int pass = 0; pass < 2; ++pass) {
    for (int b = 0; b < batches; ++b) {
      WriteBatch batch = MakeBatch(b, std::min(batch_size, n - b * batch_size), "BENCH");
      auto start = Clock::now();
      double cpu_start = ThreadCpuSeconds();
      Result<BatchResult> r = store.ApplyBatch(batch, "bench");
      (pass == 0 ? t->import_s : t->reimport_s) += Seconds(start);
      if (pass == 0) t->import_cpu_s += ThreadCpuSeconds() - cpu_start;
      if (!r.ok()) {
        fmt::print(stderr, "batch {}: {}\n", b, r.status().ToString());
        return false;
      }
      t->added += r->added;
      t->duplicates += r->duplicate;
    }
  }
  auto start = Clock::now();
  Status s = store.ForEachItem([&](const Item&) {
    ++t->scanned;
    return Status::Ok();
  });
  t->scan_s = Seconds(start);
  if (!s.ok()) {
    fmt::print(stderr, "scan: {}\n", s.ToString());
    return false;
  }
  return true;
}

void PrintRow(const char* name, int n, const Timing& t) {
  fmt::print("{:<8} {:>10} {:>10.2f} {:>14.0f} {:>10.2f} {:>14.0f} {:>14.0f} {:>14.0f}\n", name,
             t.added, t.import_s, n / t.import_s, t.import_cpu_s, n / t.import_cpu_s,
             n / t.reimport_s, static_cast<double>(t.scanned) / t.scan_s);
}

int Main(int argc, char** argv) {
  int n = 1'000'000;
  int batch_size = 10'000;
  std::string dir;
  bool skip_memory = false;
  SqliteStoreOptions options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--n" && i + 1 < argc) {
      n = std::atoi(argv[++i]);
    } else if (arg == "--batch" && i + 1 < argc) {
      batch_size = std::atoi(argv[++i]);
    } else if (arg == "--dir" && i + 1 < argc) {
      dir = argv[++i];
    } else if (arg == "--cache-mib" && i + 1 < argc) {
      options.cache_size_kib = int64_t{1024} * std::atoi(argv[++i]);
    } else if (arg == "--skip-memory") {
      skip_memory = true;
    } else {
      fmt::print(
          stderr,
          "usage: store_bench [--n N] [--batch B] [--dir DIR] [--cache-mib M] [--skip-memory]\n");
      return 2;
    }
  }
  if (n <= 0 || batch_size <= 0) {
    fmt::print(stderr, "--n and --batch must be positive\n");
    return 2;
  }
  bool own_dir = dir.empty();
  if (own_dir) {
    std::string templ = (std::filesystem::temp_directory_path() / "store_bench_XXXXXX").string();
    if (mkdtemp(templ.data()) == nullptr) {
      fmt::print(stderr, "cannot create a temporary directory\n");
      return 1;
    }
    dir = templ;
  }
  std::string path = dir + "/store_bench.db";
  std::error_code ec;
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix, ec);

  fmt::print("store_bench: {} random PDQ items into a new bank, batches of {}\n", n, batch_size);
  fmt::print("{:<8} {:>10} {:>10} {:>14} {:>10} {:>14} {:>14} {:>14}\n", "store", "added",
             "import s", "import items/s", "cpu s", "items/cpu-s", "re-import/s", "scan items/s");
  Timing sqlite_t;
  bool ok = true;
  {
    Result<std::unique_ptr<BankStore>> store = OpenSqliteStore(path, options);
    if (!store.ok()) {
      fmt::print(stderr, "{}\n", store.status().ToString());
      return 1;
    }
    ok = Run(**store, n, batch_size, &sqlite_t);
  }
  if (ok) PrintRow("sqlite", n, sqlite_t);
  uintmax_t bytes = std::filesystem::file_size(path, ec);
  uintmax_t wal = std::filesystem::file_size(path + "-wal", ec);
  Timing memory_t;
  if (ok && !skip_memory) {
    std::unique_ptr<BankStore> store = NewMemoryStore();
    ok = Run(*store, n, batch_size, &memory_t);
    if (ok) PrintRow("memory", n, memory_t);
  }
  if (ok) {
    fmt::print("sqlite file: {:.1f} MB ({:.0f} bytes/item) + WAL {:.1f} MB\n", bytes / 1e6,
               static_cast<double>(bytes) / n, ec ? 0.0 : wal / 1e6);
    if (!skip_memory) {
      fmt::print("sqlite / memory import time: {:.2f}x\n", sqlite_t.import_s / memory_t.import_s);
    }
    fmt::print("target (issue 3): 1M items in < 20 s, i.e. > 50000 items/s: {}\n",
               n / sqlite_t.import_s > 50'000 ? "met" : "NOT met");
  }
  if (own_dir) std::filesystem::remove_all(dir, ec);
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace warden

int main(int argc, char** argv) { return warden::Main(argc, argv); }
