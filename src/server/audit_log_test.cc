// AuditLog on a real SQLite file: fields round-trip, filters and paging newest first, exact
// counts and per-thread order under concurrent Record, the destructor's flush, field clipping,
// and failing closed: a full queue and a failing disk (another connection holding the write
// lock) make Record answer kUnavailable, and the log recovers once the lock is gone.
#include "src/server/audit_log.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "src/store/store_test_util.h"
#include "warden/bank_store.h"

namespace warden {
namespace {

using ::testing::HasSubstr;

std::unique_ptr<AuditLog> OpenOrDie(const std::string& path, const AuditLogOptions& options) {
  Result<std::unique_ptr<AuditLog>> log = OpenAuditLog(path, options);
  EXPECT_TRUE(log.ok()) << log.status().ToString();
  return log.ok() ? std::move(log).value() : nullptr;
}

AuditEntry Entry(const std::string& key_id, const std::string& endpoint, int64_t at_ms = 0) {
  AuditEntry e;
  e.at_ms = at_ms;
  e.key_id = key_id;
  e.key_name = "name-" + key_id;
  e.role = "matcher";
  e.method = "GET";
  e.endpoint = endpoint;
  e.target = endpoint + "/x";
  e.status = 200;
  e.outcome = "no_match";
  e.detail = "matches=0";
  e.remote_address = "127.0.0.1";
  return e;
}

// Rows in audit_log, read through a connection of the test's own.
int64_t CountRows(const std::string& path) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM audit_log", -1, &st, nullptr), SQLITE_OK);
  EXPECT_EQ(sqlite3_step(st), SQLITE_ROW);
  int64_t n = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return n;
}

// Another connection holding the database's write lock until Release() or destruction.
class WriteLockHolder {
 public:
  explicit WriteLockHolder(const std::string& path) {
    EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  }
  ~WriteLockHolder() { Release(); }
  void Release() {
    if (db_ == nullptr) return;
    EXPECT_EQ(sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db_);
    db_ = nullptr;
  }

 private:
  sqlite3* db_ = nullptr;
};

class AuditLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.File("warden.db");
    options_.clock = &clock_;
    options_.flush_interval_ms = 5;
  }

  TempDir dir_;
  std::string path_;
  FakeClock clock_{1'700'000'000'000};
  AuditLogOptions options_;
};

TEST_F(AuditLogTest, EntriesRoundTripNewestFirst) {
  std::unique_ptr<AuditLog> log = OpenOrDie(path_, options_);
  ASSERT_NE(log, nullptr);
  AuditEntry first = Entry("aaaaaaaaaaaaaaaa", "/v1/match");
  first.detail = R"({"bank":"B","item":7})";
  first.status = 201;
  first.outcome = "created";
  first.method = "POST";
  ASSERT_TRUE(log->Record(first).ok());
  clock_.AdvanceMs(10);
  ASSERT_TRUE(log->Record(Entry("", "/h/hash", 42)).ok());  // an explicit time is kept
  ASSERT_TRUE(log->Flush().ok());
  EXPECT_EQ(log->written(), 2);
  EXPECT_EQ(log->queued(), 0);
  EXPECT_EQ(log->failures(), 0);

  Result<std::vector<AuditEntry>> all = log->Query({}, 10);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 2u);
  const AuditEntry& newest = (*all)[0];
  const AuditEntry& oldest = (*all)[1];
  EXPECT_GT(newest.seq, oldest.seq);
  EXPECT_EQ(newest.at_ms, 42);
  EXPECT_EQ(newest.key_id, "");
  EXPECT_EQ(newest.endpoint, "/h/hash");
  EXPECT_EQ(oldest.at_ms, 1'700'000'000'000);
  EXPECT_EQ(oldest.key_id, "aaaaaaaaaaaaaaaa");
  EXPECT_EQ(oldest.key_name, "name-aaaaaaaaaaaaaaaa");
  EXPECT_EQ(oldest.role, "matcher");
  EXPECT_EQ(oldest.method, "POST");
  EXPECT_EQ(oldest.endpoint, "/v1/match");
  EXPECT_EQ(oldest.target, "/v1/match/x");
  EXPECT_EQ(oldest.status, 201);
  EXPECT_EQ(oldest.outcome, "created");
  EXPECT_EQ(oldest.detail, R"({"bank":"B","item":7})");
  EXPECT_EQ(oldest.remote_address, "127.0.0.1");
}

TEST_F(AuditLogTest, FiltersAndPaging) {
  std::unique_ptr<AuditLog> log = OpenOrDie(path_, options_);
  ASSERT_NE(log, nullptr);
  // 30 entries: keys k0..k2 in turn, endpoints /a and /b alternating, at = 1000 + i.
  for (int i = 0; i < 30; ++i) {
    ASSERT_TRUE(
        log->Record(Entry("k" + std::to_string(i % 3), i % 2 ? "/b" : "/a", 1000 + i)).ok());
  }
  ASSERT_TRUE(log->Flush().ok());

  AuditFilter by_key;
  by_key.key_id = "k1";
  Result<std::vector<AuditEntry>> r = log->Query(by_key, 100);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 10u);
  EXPECT_EQ((*r)[0].at_ms, 1028);  // i = 28 is the newest of k1's
  EXPECT_EQ((*r)[9].at_ms, 1001);

  AuditFilter both = by_key;
  both.endpoint = "/a";  // k1 and even i: 4, 10, 16, 22, 28
  r = log->Query(both, 100);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 5u);
  EXPECT_EQ((*r)[0].at_ms, 1028);
  EXPECT_EQ((*r)[4].at_ms, 1004);

  AuditFilter by_endpoint;
  by_endpoint.endpoint = "/b";
  by_endpoint.since_ms = 1020;  // odd i >= 20: 21..29
  r = log->Query(by_endpoint, 100);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 5u);
  EXPECT_EQ((*r)[4].at_ms, 1021);

  // Paging backwards in pages of 8 visits all 30 once, in order.
  std::vector<int64_t> seen;
  AuditFilter page;
  while (true) {
    r = log->Query(page, 8);
    ASSERT_TRUE(r.ok());
    if (r->empty()) break;
    for (const AuditEntry& e : *r) seen.push_back(e.at_ms);
    page.before_seq = r->back().seq;
  }
  ASSERT_EQ(seen.size(), 30u);
  for (size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], 1029 - static_cast<int64_t>(i));

  for (int bad : {0, -1, 10'001}) {
    Result<std::vector<AuditEntry>> q = log->Query({}, bad);
    ASSERT_FALSE(q.ok());
    EXPECT_EQ(q.status().code(), StatusCode::kInvalidArgument);
  }
  EXPECT_TRUE(log->Query({}, 10'000).ok());
}

TEST_F(AuditLogTest, ConcurrentRecordsAreAllWrittenInOrder) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 10'000;
  options_.max_batch = 2'000;  // several batches per flush interval
  std::unique_ptr<AuditLog> log = OpenOrDie(path_, options_);
  ASSERT_NE(log, nullptr);
  std::vector<std::thread> threads;
  std::vector<int> refused(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        AuditEntry e = Entry("thread" + std::to_string(t), "/v1/hash");
        e.status = i;
        if (!log->Record(std::move(e)).ok()) ++refused[static_cast<size_t>(t)];
      }
    });
  }
  for (std::thread& t : threads) t.join();
  ASSERT_TRUE(log->Flush().ok());
  for (int n : refused) EXPECT_EQ(n, 0);
  EXPECT_EQ(log->written(), kThreads * kPerThread);
  EXPECT_EQ(log->queued(), 0);
  EXPECT_EQ(CountRows(path_), kThreads * kPerThread);
  // Each thread's entries were committed in the order it recorded them.
  for (int t = 0; t < kThreads; ++t) {
    AuditFilter f;
    f.key_id = "thread" + std::to_string(t);
    Result<std::vector<AuditEntry>> r = log->Query(f, kPerThread);
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->size(), static_cast<size_t>(kPerThread));
    for (int i = 0; i < kPerThread; ++i) {
      ASSERT_EQ((*r)[static_cast<size_t>(i)].status, kPerThread - 1 - i) << "thread " << t;
    }
  }
}

TEST_F(AuditLogTest, DestructorFlushes) {
  options_.flush_interval_ms = 3'600'000;  // the writer would not write on its own
  {
    std::unique_ptr<AuditLog> log = OpenOrDie(path_, options_);
    ASSERT_NE(log, nullptr);
    for (int i = 0; i < 1234; ++i) ASSERT_TRUE(log->Record(Entry("k", "/h/hash")).ok());
  }
  EXPECT_EQ(CountRows(path_), 1234);
}

TEST_F(AuditLogTest, FullQueueFailsClosedThenRecovers) {
  options_.max_queue = 100;
  options_.busy_timeout_ms = 600'000;  // the writer waits for the lock instead of failing
  std::unique_ptr<AuditLog> log = OpenOrDie(path_, options_);
  ASSERT_NE(log, nullptr);
  WriteLockHolder lock(path_);
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(log->Record(Entry("k", "/h/hash")).ok()) << i;
  Status full = log->Record(Entry("k", "/h/hash"));
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.code(), StatusCode::kUnavailable);
  EXPECT_THAT(full.message(), HasSubstr("100 entries"));
  EXPECT_EQ(log->queued(), 100);
  EXPECT_EQ(log->written(), 0);

  lock.Release();
  ASSERT_TRUE(log->Flush().ok());
  EXPECT_EQ(log->written(), 100);
  EXPECT_EQ(log->queued(), 0);
  EXPECT_TRUE(log->Record(Entry("k", "/h/hash")).ok());
  ASSERT_TRUE(log->Flush().ok());
  EXPECT_EQ(CountRows(path_), 101);
}

TEST_F(AuditLogTest, WriteFailureFailsClosedThenRecovers) {
  options_.busy_timeout_ms = 1;
  std::unique_ptr<AuditLog> log = OpenOrDie(path_, options_);
  ASSERT_NE(log, nullptr);
  WriteLockHolder lock(path_);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(log->Record(Entry("k", "/h/hash")).ok());
  Status flushed = log->Flush();
  ASSERT_FALSE(flushed.ok());
  EXPECT_EQ(flushed.code(), StatusCode::kUnavailable);
  EXPECT_THAT(flushed.message(), HasSubstr("locked"));
  EXPECT_GE(log->failures(), 1);
  Status refused = log->Record(Entry("k", "/h/hash"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.code(), StatusCode::kUnavailable);
  EXPECT_THAT(refused.message(), HasSubstr("writing failed"));
  EXPECT_EQ(log->written(), 0);

  lock.Release();
  // One attempt may have started while the lock was still held; the next one succeeds.
  Status s = log->Flush();
  if (!s.ok()) s = log->Flush();
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(log->written(), 5);
  EXPECT_TRUE(log->Record(Entry("k", "/h/hash")).ok());
  ASSERT_TRUE(log->Flush().ok());
  EXPECT_EQ(CountRows(path_), 6);
}

TEST_F(AuditLogTest, LongFieldsAreClippedOnACharacterBoundary) {
  std::unique_ptr<AuditLog> log = OpenOrDie(path_, options_);
  ASSERT_NE(log, nullptr);
  AuditEntry e = Entry("k", "/h/hash");
  e.target = std::string(5000, 'x');
  // é straddles byte 2048. Appended in place: GCC 12 -O2 reports a false -Warray-bounds on
  // the chain of string temporaries.
  e.detail.assign(2047, 'a');
  e.detail += "\xC3\xA9";
  e.detail.append(100, 'b');
  ASSERT_TRUE(log->Record(e).ok());
  ASSERT_TRUE(log->Flush().ok());
  Result<std::vector<AuditEntry>> r = log->Query({}, 1);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].target, std::string(2048, 'x'));
  EXPECT_EQ((*r)[0].detail, std::string(2047, 'a'));
}

TEST_F(AuditLogTest, SharesTheFileWithTheBankStore) {
  {
    Result<std::unique_ptr<BankStore>> banks = OpenSqliteStore(path_);
    ASSERT_TRUE(banks.ok()) << banks.status().ToString();
    Bank bank;
    bank.name = "B";
    ASSERT_TRUE((*banks)->CreateBank(bank, "test").ok());
  }
  {
    std::unique_ptr<AuditLog> log = OpenOrDie(path_, options_);
    ASSERT_NE(log, nullptr);
    ASSERT_TRUE(log->Record(Entry("k", "/h/hash")).ok());
  }
  // Reopening finds the earlier entries and keeps numbering after them.
  std::unique_ptr<AuditLog> log = OpenOrDie(path_, options_);
  ASSERT_NE(log, nullptr);
  ASSERT_TRUE(log->Record(Entry("k2", "/h/hash")).ok());
  ASSERT_TRUE(log->Flush().ok());
  Result<std::vector<AuditEntry>> r = log->Query({}, 10);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].key_id, "k2");
  EXPECT_GT((*r)[0].seq, (*r)[1].seq);
  Result<std::unique_ptr<BankStore>> banks = OpenSqliteStore(path_);
  ASSERT_TRUE(banks.ok()) << banks.status().ToString();
  EXPECT_TRUE((*banks)->GetBank("B").ok());
}

TEST_F(AuditLogTest, RetentionDeletesExpiredEntriesOldestFirstInBatches) {
  options_.retention_ms = 1000;
  options_.prune_interval_ms = 0;  // check on every write cycle
  options_.prune_batch = 2;
  std::unique_ptr<AuditLog> log = OpenOrDie(path_, options_);
  ASSERT_NE(log, nullptr);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(log->Record(Entry("old", "/h/hash")).ok());
  clock_.AdvanceMs(600);
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(log->Record(Entry("mid", "/h/hash")).ok());
  ASSERT_TRUE(log->Flush().ok());
  EXPECT_EQ(CountRows(path_), 7) << "nothing has expired yet";
  clock_.AdvanceMs(500);  // the 5 "old" entries are 1100 ms old, the 2 "mid" 500 ms
  // Batches of 2: three write cycles to delete the 5; each Record + Flush is one cycle.
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(log->Record(Entry("new", "/h/hash")).ok());
    ASSERT_TRUE(log->Flush().ok());
  }
  // Pruning runs at the start of a cycle, so wait for one more after the last record.
  for (int i = 0; i < 200 && log->pruned() < 5; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(log->pruned(), 5);
  Result<std::vector<AuditEntry>> r = log->Query({}, 100);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 6u);
  EXPECT_EQ(r->back().key_id, "mid") << "the unexpired entries stay";
  EXPECT_EQ(r->back().seq, 6);
  EXPECT_EQ(r->front().key_id, "new");
}

TEST_F(AuditLogTest, NoRetentionKeepsEverything) {
  options_.prune_interval_ms = 0;
  std::unique_ptr<AuditLog> log = OpenOrDie(path_, options_);
  ASSERT_NE(log, nullptr);
  ASSERT_TRUE(log->Record(Entry("old", "/h/hash")).ok());
  clock_.AdvanceMs(int64_t{100} * 365 * 24 * 3600 * 1000);
  ASSERT_TRUE(log->Record(Entry("new", "/h/hash")).ok());
  ASSERT_TRUE(log->Flush().ok());
  ASSERT_TRUE(log->Record(Entry("newer", "/h/hash")).ok());
  ASSERT_TRUE(log->Flush().ok());
  EXPECT_EQ(log->pruned(), 0);
  EXPECT_EQ(CountRows(path_), 3);
}

TEST(AuditDbPathTest, AddsAuditBeforeTheExtension) {
  EXPECT_EQ(DefaultAuditDbPath("warden.db"), "warden.audit.db");
  EXPECT_EQ(DefaultAuditDbPath("/var/lib/warden/banks.sqlite"),
            "/var/lib/warden/banks.audit.sqlite");
  EXPECT_EQ(DefaultAuditDbPath("data/warden"), "data/warden.audit");
  EXPECT_EQ(DefaultAuditDbPath("a.b/store.db"), "a.b/store.audit.db");
}

// A store file written by an earlier version, whose audit_log table sat beside the banks.
TEST_F(AuditLogTest, LegacyEntriesMoveToTheAuditFileOnce) {
  {
    Result<std::unique_ptr<BankStore>> banks = OpenSqliteStore(path_);
    ASSERT_TRUE(banks.ok()) << banks.status().ToString();
    Bank bank;
    bank.name = "B";
    ASSERT_TRUE((*banks)->CreateBank(bank, "test").ok());
    std::unique_ptr<AuditLog> legacy = OpenOrDie(path_, options_);  // the old layout
    ASSERT_NE(legacy, nullptr);
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(legacy->Record(Entry("old", "/h/hash")).ok());
  }
  ASSERT_EQ(CountRows(path_), 3);
  const std::string audit_path = DefaultAuditDbPath(path_);
  Result<int64_t> moved = MoveLegacyAuditLog(path_, audit_path);
  ASSERT_TRUE(moved.ok()) << moved.status().ToString();
  EXPECT_EQ(*moved, 3);
  EXPECT_EQ(CountRows(audit_path), 3);
  // The old table is gone from the store's file, the banks are not.
  Result<std::unique_ptr<BankStore>> banks = OpenSqliteStore(path_);
  ASSERT_TRUE(banks.ok()) << banks.status().ToString();
  EXPECT_TRUE((*banks)->GetBank("B").ok());
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM audit_log", -1, &st, nullptr),
            SQLITE_ERROR);
  sqlite3_finalize(st);
  sqlite3_close(db);
  // Idempotent, and numbering continues after the moved entries.
  moved = MoveLegacyAuditLog(path_, audit_path);
  ASSERT_TRUE(moved.ok()) << moved.status().ToString();
  EXPECT_EQ(*moved, 0);
  std::unique_ptr<AuditLog> log = OpenOrDie(audit_path, options_);
  ASSERT_NE(log, nullptr);
  ASSERT_TRUE(log->Record(Entry("new", "/h/hash")).ok());
  ASSERT_TRUE(log->Flush().ok());
  Result<std::vector<AuditEntry>> r = log->Query({}, 10);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 4u);
  EXPECT_EQ((*r)[0].key_id, "new");
  EXPECT_EQ((*r)[0].seq, 4);
  EXPECT_EQ((*r)[3].key_id, "old");
  EXPECT_EQ((*r)[3].seq, 1);
}

TEST_F(AuditLogTest, MovingIsANoOpForTheSameFileOrAMissingOne) {
  {
    std::unique_ptr<AuditLog> log = OpenOrDie(path_, options_);
    ASSERT_NE(log, nullptr);
    ASSERT_TRUE(log->Record(Entry("k", "/h/hash")).ok());
  }
  Result<int64_t> moved = MoveLegacyAuditLog(path_, path_);
  ASSERT_TRUE(moved.ok()) << moved.status().ToString();
  EXPECT_EQ(*moved, 0);
  EXPECT_EQ(CountRows(path_), 1) << "an audit file configured as the store itself is kept";
  const std::string missing = dir_.File("missing.db");
  moved = MoveLegacyAuditLog(missing, DefaultAuditDbPath(missing));
  ASSERT_TRUE(moved.ok()) << moved.status().ToString();
  EXPECT_EQ(*moved, 0);
  EXPECT_FALSE(std::filesystem::exists(missing)) << "no empty file is created";
}

TEST_F(AuditLogTest, OpenRefusesAFileThatIsNotADatabase) {
  std::string path = dir_.File("text.db");
  std::ofstream(path) << "plain text, not a database; plain text, not a database; padding....";
  Result<std::unique_ptr<AuditLog>> log = OpenAuditLog(path, options_);
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.status().code(), StatusCode::kCorruptData);
  EXPECT_THAT(log.status().message(), HasSubstr(path));
}

}  // namespace
}  // namespace warden
