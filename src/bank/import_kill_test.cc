// kill -9 in the middle of an import: every committed batch survives, no half batch is left,
// and importing the file again completes it. Goes through the importer and the SQLite store.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <random>

#include "src/store/store_test_util.h"
#include "warden/bank_formats.h"
#include "warden/bank_store.h"

namespace warden {
namespace {

constexpr int kLines = 50'000;
constexpr int kBatch = 500;
constexpr int kKillAfterBatches = 5;

TEST(ImportKill, SigkillLeavesWholeBatchesOnly) {
  TempDir dir;
  const std::string db = dir.File("bank.db");
  const std::string list = dir.File("list.txt");
  {
    std::ofstream out(list);
    std::mt19937_64 rng(9);
    for (int i = 0; i < kLines; ++i) out << "pdq " << RandomHex(rng, SignalType::kPdq) << '\n';
  }
  {
    Result<std::unique_ptr<BankStore>> store = OpenSqliteStore(db);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    Bank bank;
    bank.name = "LIST";
    ASSERT_TRUE((*store)->CreateBank(bank, "test").ok());
  }

  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(fds[0]);
    Result<std::unique_ptr<BankStore>> store = OpenSqliteStore(db);
    if (!store.ok()) _exit(2);
    ImportOptions options;
    options.batch_size = kBatch;
    options.progress = [&](int64_t) {
      char c = 'b';
      if (write(fds[1], &c, 1) != 1) _exit(3);
    };
    Result<ImportSummary> r = ImportFile(**store, "LIST", list, options);
    _exit(r.ok() ? 0 : 4);
  }
  close(fds[1]);
  int batches = 0;
  char c;
  while (batches < kKillAfterBatches && read(fds[0], &c, 1) == 1) ++batches;
  ASSERT_EQ(kill(child, SIGKILL), 0);
  int wstatus = 0;
  ASSERT_EQ(waitpid(child, &wstatus, 0), child);
  close(fds[0]);
  ASSERT_EQ(batches, kKillAfterBatches);
  ASSERT_TRUE(WIFSIGNALED(wstatus)) << "the import finished before it was killed";

  Result<std::unique_ptr<BankStore>> store = OpenSqliteStore(db);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  Result<StoreStats> stats = (*store)->Stats();
  ASSERT_TRUE(stats.ok());
  const int64_t items = stats->by_bank["LIST"].items;
  EXPECT_GE(items, int64_t{kKillAfterBatches} * kBatch);
  EXPECT_LT(items, kLines);
  EXPECT_EQ(items % kBatch, 0) << "a half batch was left behind";
  // Consistency: one import history entry per committed batch, one item per signal, every item
  // readable and valid.
  HistoryFilter filter;
  filter.action = HistoryAction::kImport;
  Result<std::vector<HistoryEntry>> history = (*store)->History(filter, kMaxPageSize);
  ASSERT_TRUE(history.ok());
  EXPECT_EQ(static_cast<int64_t>(history->size()), items / kBatch);
  EXPECT_EQ(stats->signals[SignalType::kPdq], items);
  int64_t seen = 0;
  ASSERT_TRUE((*store)
                  ->ForEachItem([&](const Item& item) {
                    ++seen;
                    return ValidateItem(item);
                  })
                  .ok());
  EXPECT_EQ(seen, items);

  // Importing the whole file again completes it: nothing committed is added twice.
  ImportOptions options;
  options.batch_size = 10'000;
  Result<ImportSummary> again = ImportFile(**store, "LIST", list, options);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->duplicate, items);
  EXPECT_EQ(again->added, kLines - items);
  EXPECT_EQ((*store)->Stats()->by_bank["LIST"].items, kLines);
}

}  // namespace
}  // namespace warden
