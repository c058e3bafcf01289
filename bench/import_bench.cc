// import_bench: python-threatexchange local file of N random PDQ hashes (default 1M) into a new
// bank, through ImportFile, into a fresh SqliteStore and into the MemoryStore (the in-process
// baseline), plus the parse-only rate of the reader. Issue 3's target: 1M hashes into a new
// SQLite bank in under 20 s on the project machine.
//
// Usage: import_bench [N] [batch_size]
#include <fmt/core.h>
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "warden/bank_formats.h"
#include "warden/bank_store.h"

namespace warden {
namespace {

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// CPU seconds of this thread: the importer and both stores work in the calling thread, and on
// a shared machine wall time also counts other processes' turns.
double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

int Run(int64_t n, int batch) {
  std::string templ = (std::filesystem::temp_directory_path() / "warden_import_XXXXXX").string();
  if (mkdtemp(templ.data()) == nullptr) {
    fmt::print(stderr, "import_bench: cannot create a temp dir\n");
    return 1;
  }
  const std::filesystem::path dir = templ;
  const std::string list = (dir / "list.pytx").string();
  {
    std::ofstream out(list);
    std::mt19937_64 rng(20240601);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string line = "pdq " + std::string(64, '0') + "\n";
    for (int64_t i = 0; i < n; ++i) {
      for (int k = 0; k < 64; k += 16) {
        uint64_t w = rng();
        for (int j = 0; j < 16; ++j) line[4 + k + j] = kHex[(w >> (4 * j)) & 15];
      }
      out << line;
    }
  }
  fmt::print("import_bench: {} random PDQ hashes, pytx local file ({:.1f} MB), batch {}\n", n,
             std::filesystem::file_size(list) / 1e6, batch);

  {
    auto start = std::chrono::steady_clock::now();
    double cpu_start = ThreadCpuSeconds();
    std::ifstream in(list, std::ios::binary);
    std::unique_ptr<RecordReader> reader = NewRecordReader(BankFormat::kPytx, in);
    ParsedRecord rec;
    int64_t records = 0;
    while (true) {
      Result<bool> more = reader->Next(&rec);
      if (!more.ok() || !*more) break;
      ++records;
    }
    double s = Seconds(start);
    double cpu = ThreadCpuSeconds() - cpu_start;
    fmt::print("  {:<28} {:>9} records {:>8.2f} s {:>12.0f} records/s  (CPU {:.2f} s)\n",
               "parse only (reader)", records, s, records / s, cpu);
  }

  auto import_into = [&](BankStore& store, const char* label) -> double {
    Bank bank;
    bank.name = "BENCH";
    if (!store.CreateBank(bank, "bench").ok()) return -1;
    ImportOptions options;
    options.batch_size = batch;
    options.format = BankFormat::kPytx;
    auto start = std::chrono::steady_clock::now();
    double cpu_start = ThreadCpuSeconds();
    Result<ImportSummary> r = ImportFile(store, "BENCH", list, options);
    double s = Seconds(start);
    double cpu = ThreadCpuSeconds() - cpu_start;
    if (!r.ok()) {
      fmt::print(stderr, "import_bench: {}: {}\n", label, r.status().ToString());
      return -1;
    }
    fmt::print(
        "  {:<28} {:>9} added   {:>8.2f} s {:>12.0f} records/s  (CPU {:.2f} s = {:.0f} "
        "records/CPU-s; {} duplicate, {} quarantined, {} batches)\n",
        label, r->added, s, r->records / s, cpu, r->records / cpu, r->duplicate, r->quarantined,
        r->batches);
    return s;
  };

  std::unique_ptr<BankStore> memory = NewMemoryStore();
  double mem_s = import_into(*memory, "MemoryStore (baseline)");
  memory.reset();
  Result<std::unique_ptr<BankStore>> sqlite = OpenSqliteStore((dir / "bench.db").string());
  if (!sqlite.ok()) {
    fmt::print(stderr, "import_bench: {}\n", sqlite.status().ToString());
    return 1;
  }
  double sql_s = import_into(**sqlite, "SqliteStore (new file)");
  sqlite->reset();
  if (mem_s > 0 && sql_s > 0) {
    fmt::print(
        "  SqliteStore / MemoryStore time: {:.2f}x; target for 1M into SQLite: < 20 s -> "
        "{}\n",
        sql_s / mem_s, n >= 1'000'000 ? (sql_s < 20 ? "MET" : "MISSED") : "n/a (N < 1M)");
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return (mem_s > 0 && sql_s > 0) ? 0 : 1;
}

}  // namespace
}  // namespace warden

int main(int argc, char** argv) {
  int64_t n = argc > 1 ? std::atoll(argv[1]) : 1'000'000;
  int batch = argc > 2 ? std::atoi(argv[2]) : warden::ImportOptions{}.batch_size;
  if (n < 1 || batch < 1) {
    std::fprintf(stderr, "usage: import_bench [N >= 1] [batch_size >= 1]\n");
    return 2;
  }
  return warden::Run(n, batch);
}
