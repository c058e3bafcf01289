// SQLite-specific behaviour beyond the shared contract: persistence across reopen, schema
// versions, refusing files that are not Warden stores, and crash safety under SIGKILL.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "src/hash/local_test_signal.h"
#include "src/store/store_test_util.h"
#include "warden/bank_store.h"

namespace warden {
namespace {

using ::testing::HasSubstr;

std::unique_ptr<BankStore> OpenOrDie(const std::string& path, const Clock* clock = nullptr) {
  SqliteStoreOptions options;
  options.clock = clock;
  Result<std::unique_ptr<BankStore>> store = OpenSqliteStore(path, options);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(store).value() : nullptr;
}

int64_t UserVersion(const std::string& path) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, nullptr), SQLITE_OK);
  EXPECT_EQ(sqlite3_step(st), SQLITE_ROW);
  int64_t v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}

void ExecOrFail(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  sqlite3_close(db);
}

TEST(SqliteStoreTest, ReopenKeepsEverything) {
  TempDir dir;
  std::string path = dir.File("warden.db");
  FakeClock clock;
  std::mt19937_64 rng(7);
  std::vector<Item> before;
  Bank bank;
  {
    std::unique_ptr<BankStore> store = OpenOrDie(path, &clock);
    ASSERT_NE(store, nullptr);
    Bank in;
    in.name = "KEEP";
    in.kind = BankKind::kNegative;
    in.matching_ratio = 0.5;
    bank = *store->CreateBank(in, "t");
    WriteBatch batch;
    for (int i = 0; i < 20; ++i) {
      Item item = MakeItem("KEEP", RandomPdq(rng, 50 + i));
      item.classification.uk_category = UkCategory::kC;
      item.classification.youngest_age = AgeBand::k16To17;
      item.provenance.external_id = "ext-" + std::to_string(i);
      item.disable_until_ms = i == 3 ? kDisabledForever : 0;
      batch.Add(item);
    }
    ASSERT_TRUE(store->ApplyBatch(batch, "t").ok());
    ASSERT_TRUE(store->ListItems("KEEP", 0, 100).ok());
    before = *store->ListItems("KEEP", 0, 100);
  }
  std::unique_ptr<BankStore> store = OpenOrDie(path, &clock);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(*store->GetBank("KEEP"), bank);
  Result<std::vector<Item>> after = store->ListItems("KEEP", 0, 100);
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->size(), 20u);
  EXPECT_EQ(*after, before);
  EXPECT_EQ((*after)[3].disable_until_ms, kDisabledForever);
  EXPECT_EQ(*store->LastSeq(), 21);
  // Ids continue after the old ones, even after the newest item was deleted.
  ASSERT_TRUE(store->DeleteItem(before.back().id, "t").ok());
  store.reset();
  store = OpenOrDie(path, &clock);
  Result<AddItemResult> added = store->AddItem(MakeItem("KEEP", RandomPdq(rng)), "t");
  ASSERT_TRUE(added.ok());
  EXPECT_GT(added->id, before.back().id);
  EXPECT_EQ(UserVersion(path), kSqliteSchemaVersion);
}

// Reads column `sql` (one integer or text per row) from a closed store file.
std::vector<std::string> QueryColumn(const std::string& path, const char* sql) {
  std::vector<std::string> out;
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &st, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  while (sqlite3_step(st) == SQLITE_ROW) {
    const unsigned char* text = sqlite3_column_text(st, 0);
    out.emplace_back(text != nullptr ? reinterpret_cast<const char*>(text) : "");
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return out;
}

TEST(SqliteStoreTest, LocalSignalsAreStoredAsBytesWithTheirAlgorithm) {
  TempDir dir;
  std::string path = dir.File("local.db");
  const Signal a = SyntheticLocalSignal(11, kLocalStoredKeypoints);
  const Signal b = SyntheticLocalSignal(12, kLocalStoredKeypoints);
  int64_t id_a = 0;
  {
    std::unique_ptr<BankStore> store = OpenOrDie(path);
    ASSERT_NE(store, nullptr);
    Bank bank;
    bank.name = "LOCAL";
    ASSERT_TRUE(store->CreateBank(bank, "t").ok());
    Result<AddItemResult> added = store->AddItem(MakeItem("LOCAL", a), "t");
    ASSERT_TRUE(added.ok()) << added.status().ToString();
    id_a = added->id;
    ASSERT_TRUE(store->AddItem(MakeItem("LOCAL", b), "t").ok());
  }
  EXPECT_EQ(QueryColumn(path, "SELECT algorithm || '/' || algorithm_version FROM signals"),
            (std::vector<std::string>{"warden-local/2", "warden-local/2"}));
  EXPECT_EQ(QueryColumn(path, "SELECT length(value) FROM signals ORDER BY item_id"),
            (std::vector<std::string>{std::to_string(a.value.size() / 2),
                                      std::to_string(b.value.size() / 2)}));
  // Both values start with the same header, yet their dedupe keys differ (a hash of the value).
  EXPECT_EQ(QueryColumn(path, "SELECT COUNT(DISTINCT prefix) FROM signals"),
            (std::vector<std::string>{"2"}));
  {
    std::unique_ptr<BankStore> store = OpenOrDie(path);
    ASSERT_NE(store, nullptr);
    Result<Item> got = store->GetItem(id_a);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(got->signals[0].signal, a);
  }
  // A damaged row (an empty local value) is reported, not returned.
  const std::string damage =
      "UPDATE signals SET value = x'' WHERE item_id = " + std::to_string(id_a);
  ExecOrFail(path, damage.c_str());
  std::unique_ptr<BankStore> store = OpenOrDie(path);
  ASSERT_NE(store, nullptr);
  Result<Item> damaged = store->GetItem(id_a);
  ASSERT_FALSE(damaged.ok());
  EXPECT_EQ(damaged.status().code(), StatusCode::kCorruptData);
  EXPECT_THAT(damaged.status().message(), HasSubstr("local value of 0 bytes"));
}

TEST(SqliteStoreTest, MigratesAnEmptyFile) {
  TempDir dir;
  std::string path = dir.File("empty.db");
  { std::ofstream(path, std::ios::binary); }
  std::unique_ptr<BankStore> store = OpenOrDie(path);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(UserVersion(path), kSqliteSchemaVersion);
  Bank bank;
  bank.name = "NEW";
  EXPECT_TRUE(store->CreateBank(bank, "t").ok());
}

TEST(SqliteStoreTest, RefusesANewerSchema) {
  TempDir dir;
  std::string path = dir.File("future.db");
  ASSERT_NE(OpenOrDie(path), nullptr);
  ExecOrFail(path, "PRAGMA user_version=99");
  Result<std::unique_ptr<BankStore>> store = OpenSqliteStore(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kUnsupportedFormat);
  EXPECT_THAT(store.status().message(), HasSubstr(path));
  EXPECT_THAT(store.status().message(), HasSubstr("99"));
  EXPECT_EQ(UserVersion(path), 99);  // untouched
}

TEST(SqliteStoreTest, RefusesAFileThatIsNotADatabase) {
  TempDir dir;
  std::string path = dir.File("garbage.db");
  {
    std::ofstream out(path, std::ios::binary);
    std::mt19937 rng(3);
    for (int i = 0; i < 8192; ++i) out.put(static_cast<char>(rng()));
  }
  Result<std::unique_ptr<BankStore>> store = OpenSqliteStore(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kCorruptData);
  EXPECT_THAT(store.status().message(), HasSubstr(path));
  EXPECT_THAT(store.status().message(), HasSubstr("not a SQLite database"));
}

TEST(SqliteStoreTest, RefusesAnotherApplicationsDatabase) {
  TempDir dir;
  std::string path = dir.File("other.db");
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE banks(x)", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  Result<std::unique_ptr<BankStore>> store = OpenSqliteStore(path);
  ASSERT_FALSE(store.ok());
  EXPECT_THAT(store.status().message(), HasSubstr(path));
  EXPECT_THAT(store.status().message(), HasSubstr("schema version 1"));
}

TEST(SqliteStoreTest, RefusesBadPaths) {
  TempDir dir;
  EXPECT_EQ(OpenSqliteStore(":memory:").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(OpenSqliteStore("").status().code(), StatusCode::kInvalidArgument);
  Result<std::unique_ptr<BankStore>> missing_dir = OpenSqliteStore(dir.File("no/such/dir.db"));
  EXPECT_EQ(missing_dir.status().code(), StatusCode::kIoError);
  EXPECT_THAT(missing_dir.status().message(), HasSubstr("no/such/dir.db"));
  Result<std::unique_ptr<BankStore>> a_dir = OpenSqliteStore(dir.path());
  EXPECT_FALSE(a_dir.ok());
  EXPECT_THAT(a_dir.status().message(), HasSubstr(dir.path()));
  SqliteStoreOptions bad;
  bad.reader_connections = 0;
  EXPECT_EQ(OpenSqliteStore(dir.File("x.db"), bad).status().code(), StatusCode::kInvalidArgument);
}

TEST(SqliteStoreTest, TwoStoresOnOneFileSeeEachOther) {
  TempDir dir;
  std::string path = dir.File("shared.db");
  std::unique_ptr<BankStore> a = OpenOrDie(path);
  std::unique_ptr<BankStore> b = OpenOrDie(path);
  ASSERT_TRUE(a && b);
  Bank bank;
  bank.name = "SHARED";
  ASSERT_TRUE(a->CreateBank(bank, "t").ok());
  std::mt19937_64 rng(1);
  Result<AddItemResult> added = b->AddItem(MakeItem("SHARED", RandomPdq(rng)), "t");
  ASSERT_TRUE(added.ok()) << added.status().ToString();
  EXPECT_TRUE(a->GetItem(added->id).ok());
}

// The child applies batches in a loop and reports each commit through a pipe; the parent
// SIGKILLs it mid-way. Afterwards the store must hold whole batches only, and at least every
// batch the child saw committed.
TEST(SqliteStoreTest, KillDashNineLosesNoCommittedBatchAndLeavesNoHalfBatch) {
  TempDir dir;
  std::string path = dir.File("crash.db");
  {
    std::unique_ptr<BankStore> store = OpenOrDie(path);
    ASSERT_NE(store, nullptr);
    Bank bank;
    bank.name = "CRASH";
    ASSERT_TRUE(store->CreateBank(bank, "t").ok());
  }
  constexpr int kBatch = 500;
  constexpr int kMaxBatches = 400;
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(fds[0]);
    Result<std::unique_ptr<BankStore>> store = OpenSqliteStore(path);
    if (!store.ok()) _exit(2);
    std::mt19937_64 rng(99);
    for (int b = 1; b <= kMaxBatches; ++b) {
      WriteBatch batch;
      for (int i = 0; i < kBatch; ++i) batch.Add(MakeItem("CRASH", RandomPdq(rng)));
      if (!(*store)->ApplyBatch(batch, "child").ok()) _exit(3);
      if (write(fds[1], &b, sizeof b) != sizeof b) _exit(4);
    }
    _exit(0);
  }
  close(fds[1]);
  int reported = 0;
  int b = 0;
  // Kill after the third commit, while the child is (most likely) inside the fourth batch.
  while (reported < 3 && read(fds[0], &b, sizeof b) == sizeof b) reported = b;
  ASSERT_EQ(kill(child, SIGKILL), 0);
  // Anything the child reported before dying counts too.
  while (read(fds[0], &b, sizeof b) == sizeof b) reported = b;
  close(fds[0]);
  int wstatus = 0;
  ASSERT_EQ(waitpid(child, &wstatus, 0), child);
  ASSERT_TRUE(WIFSIGNALED(wstatus)) << "child exited early with " << WEXITSTATUS(wstatus);
  EXPECT_EQ(WTERMSIG(wstatus), SIGKILL);
  ASSERT_GE(reported, 3);

  std::unique_ptr<BankStore> store = OpenOrDie(path);
  ASSERT_NE(store, nullptr);
  Result<StoreStats> stats = store->Stats();
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->items % kBatch, 0) << stats->items << " items is not whole batches";
  EXPECT_GE(stats->items, int64_t{reported} * kBatch);
  EXPECT_EQ(stats->signals[SignalType::kPdq], stats->items);
  // History and items commit together: one item_added per item plus bank_created.
  EXPECT_EQ(*store->LastSeq(), stats->items + 1);
}

}  // namespace
}  // namespace warden
