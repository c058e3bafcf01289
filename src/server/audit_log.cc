#include "src/server/audit_log.h"

#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <filesystem>
#include <iterator>
#include <limits>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "src/store/sqlite_db.h"

namespace warden {
namespace {

// The table has a file of its own (DefaultAuditDbPath), not the bank store's: a lookup
// service commits an audit batch every flush interval, and every commit to the store's file
// would empty the page caches of the store's reader connections, so each matched item would be
// read from disk again (measured with serve_bench: 10-20 us more server CPU per lookup at 1M
// hashes). It also keeps audit writes from waiting on a bank import's write lock.
// seq is the rowid: appended in commit order and never deleted, so it only grows. The two
// indexes serve the auditor's usual questions (one key's requests, one endpoint's) newest
// first without a scan.
constexpr char kAuditSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS audit_log (
  seq INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  key_id TEXT NOT NULL,
  key_name TEXT NOT NULL,
  role TEXT NOT NULL,
  method TEXT NOT NULL,
  endpoint TEXT NOT NULL,
  target TEXT NOT NULL,
  status INTEGER NOT NULL,
  outcome TEXT NOT NULL,
  detail TEXT NOT NULL,
  remote_address TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_log_by_key ON audit_log(key_id, seq);
CREATE INDEX IF NOT EXISTS audit_log_by_endpoint ON audit_log(endpoint, seq);
)sql";

#define WARDEN_SQL_AUDIT_COLUMNS                                                         \
  "seq, at, key_id, key_name, role, method, endpoint, target, status, outcome, detail, " \
  "remote_address"

// Each text field is cut to this many bytes, so a hostile URL cannot bloat the log.
constexpr size_t kMaxFieldBytes = 2048;
constexpr int kMaxQueryLimit = 10'000;

// One statement per combination of filters (SqliteDb caches statements by address), so that
// each can use its index; "? IS NULL OR key_id = ?" would defeat SQLite's planner.
#define WARDEN_SQL_AUDIT_TAIL " at >= ? AND seq < ? ORDER BY seq DESC LIMIT ?"
constexpr char kQueryByKeyAndEndpoint[] =
    "SELECT " WARDEN_SQL_AUDIT_COLUMNS
    " FROM audit_log WHERE key_id = ? AND endpoint = ? AND" WARDEN_SQL_AUDIT_TAIL;
constexpr char kQueryByKey[] =
    "SELECT " WARDEN_SQL_AUDIT_COLUMNS " FROM audit_log WHERE key_id = ? AND" WARDEN_SQL_AUDIT_TAIL;
constexpr char kQueryByEndpoint[] = "SELECT " WARDEN_SQL_AUDIT_COLUMNS
                                    " FROM audit_log WHERE endpoint = ? AND" WARDEN_SQL_AUDIT_TAIL;
constexpr char kQueryAll[] =
    "SELECT " WARDEN_SQL_AUDIT_COLUMNS " FROM audit_log WHERE" WARDEN_SQL_AUDIT_TAIL;

void Clip(std::string& s) {
  if (s.size() <= kMaxFieldBytes) return;
  size_t cut = kMaxFieldBytes;
  // Back up to a UTF-8 character boundary so the stored text stays valid UTF-8.
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  s.resize(cut);
}

class SqliteAuditLog final : public AuditLog {
 public:
  SqliteAuditLog(std::unique_ptr<SqliteDb> writer, std::unique_ptr<SqliteDb> reader,
                 const AuditLogOptions& options)
      : writer_db_(std::move(writer)),
        reader_db_(std::move(reader)),
        clock_(options.clock != nullptr ? options.clock : SystemClock::Default()),
        flush_interval_(std::max(1, options.flush_interval_ms)),
        max_batch_(static_cast<size_t>(std::max(1, options.max_batch))),
        max_queue_(std::max(1, options.max_queue)),
        retention_ms_(std::max<int64_t>(0, options.retention_ms)),
        prune_interval_ms_(std::max(0, options.prune_interval_ms)),
        prune_batch_(std::max(1, options.prune_batch)) {
    thread_ = std::thread([this] { WriterLoop(); });
  }

  ~SqliteAuditLog() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    work_cv_.notify_one();
    thread_.join();
  }

  Status Record(AuditEntry entry) override {
    if (entry.at_ms == 0) entry.at_ms = clock_->NowMs();
    for (std::string* s :
         {&entry.key_id, &entry.key_name, &entry.role, &entry.method, &entry.endpoint,
          &entry.target, &entry.outcome, &entry.detail, &entry.remote_address}) {
      Clip(*s);
    }
    bool wake = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!last_error_.ok()) {
        return Status::Unavailable(
            fmt::format("audit log: writing failed: {}", last_error_.message()));
      }
      // Pending = queued + being written: until an entry is committed it holds its place.
      if (recorded_ - committed_ >= max_queue_) {
        return Status::Unavailable(fmt::format(
            "audit log: {} entries wait to be written, the limit; refusing rather than serving "
            "unaudited",
            max_queue_));
      }
      queue_.push_back(std::move(entry));
      ++recorded_;
      wake = queue_.size() == max_batch_;
    }
    if (wake) work_cv_.notify_one();
    return Status::Ok();
  }

  Status Flush() override {
    std::unique_lock<std::mutex> lock(mu_);
    const int64_t target = recorded_;
    const int64_t failures_before = failures_;
    if (committed_ >= target) return Status::Ok();
    flush_waiting_ = true;
    work_cv_.notify_one();
    done_cv_.wait(lock, [&] { return committed_ >= target || failures_ != failures_before; });
    if (committed_ >= target) return Status::Ok();
    return Status::Unavailable(fmt::format("audit log: writing failed: {}", last_error_.message()));
  }

  Result<std::vector<AuditEntry>> Query(const AuditFilter& filter, int limit) override {
    if (limit < 1 || limit > kMaxQueryLimit) {
      return Status::InvalidArgument(
          fmt::format("audit log limit must be 1..{}, got {}", kMaxQueryLimit, limit));
    }
    std::lock_guard<std::mutex> lock(reader_mu_);
    // One literal per combination of filters (SqliteDb caches statements by pointer), so
    // that each can use its index; "? IS NULL OR ..." would defeat the planner.
    const char* sql = filter.key_id && filter.endpoint ? kQueryByKeyAndEndpoint
                      : filter.key_id                  ? kQueryByKey
                      : filter.endpoint                ? kQueryByEndpoint
                                                       : kQueryAll;
    WARDEN_ASSIGN_OR_RETURN(Stmt q, reader_db_->Query(sql));
    int next = 1;
    if (filter.key_id) q.BindText(next++, *filter.key_id);
    if (filter.endpoint) q.BindText(next++, *filter.endpoint);
    q.BindInt(next++, filter.since_ms);
    q.BindInt(next++,
              filter.before_seq > 0 ? filter.before_seq : std::numeric_limits<int64_t>::max());
    q.BindInt(next++, limit);
    std::vector<AuditEntry> entries;
    while (true) {
      WARDEN_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      AuditEntry e;
      e.seq = q.Int(0);
      e.at_ms = q.Int(1);
      e.key_id = q.Text(2);
      e.key_name = q.Text(3);
      e.role = q.Text(4);
      e.method = q.Text(5);
      e.endpoint = q.Text(6);
      e.target = q.Text(7);
      e.status = static_cast<int>(q.Int(8));
      e.outcome = q.Text(9);
      e.detail = q.Text(10);
      e.remote_address = q.Text(11);
      entries.push_back(std::move(e));
    }
    return entries;
  }

  int64_t written() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return committed_;
  }
  int64_t queued() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return recorded_ - committed_;
  }
  int64_t failures() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return failures_;
  }
  int64_t pruned() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return pruned_;
  }

 private:
  void WriterLoop() {
    std::unique_lock<std::mutex> lock(mu_);
    bool retry_wait = false;  // the last write failed: wait a full interval before retrying
    while (true) {
      // Entries wait at most flush_interval_ms; a full batch, a Flush or shutdown goes at once
      // (except right after a failure, when only shutdown cuts the wait short).
      work_cv_.wait_for(lock, flush_interval_, [&] {
        return stop_ || (!retry_wait && (queue_.size() >= max_batch_ || flush_waiting_));
      });
      if (!stop_ && !retry_wait && PruneDue()) {
        lock.unlock();
        Result<int64_t> deleted = PruneOnce();
        lock.lock();
        // A failed prune is retried at the next interval; the entries are still there, so
        // nothing is lost, and writing new entries does not depend on it.
        if (deleted.ok()) pruned_ += *deleted;
        more_to_prune_ = deleted.ok() && *deleted >= prune_batch_;
        last_prune_ms_ = clock_->NowMs();
      }
      if (queue_.empty()) {
        flush_waiting_ = false;
        if (stop_) return;
        retry_wait = false;
        continue;
      }
      const auto n = static_cast<ptrdiff_t>(std::min(queue_.size(), max_batch_));
      std::vector<AuditEntry> batch(std::make_move_iterator(queue_.begin()),
                                    std::make_move_iterator(queue_.begin() + n));
      queue_.erase(queue_.begin(), queue_.begin() + n);
      lock.unlock();
      Status s = WriteBatch(batch);
      lock.lock();
      if (s.ok()) {
        committed_ += n;
        last_error_ = Status::Ok();
        retry_wait = false;
        if (queue_.empty()) flush_waiting_ = false;
      } else {
        // Back to the front, ahead of anything recorded meanwhile, to keep record order.
        queue_.insert(queue_.begin(), std::make_move_iterator(batch.begin()),
                      std::make_move_iterator(batch.end()));
        ++failures_;
        last_error_ = s;
        retry_wait = true;
        if (stop_) {
          // Shutting down with a failing disk: give up rather than hang the destructor.
          return;
        }
      }
      done_cv_.notify_all();
    }
  }

  bool PruneDue() const {
    if (retention_ms_ == 0) return false;
    if (more_to_prune_) return true;
    const int64_t now = clock_->NowMs();
    return last_prune_ms_ < 0 || now - last_prune_ms_ >= prune_interval_ms_;
  }

  // Deletes up to prune_batch_ of the oldest entries, stopping at the first one (in seq order)
  // recorded at or after now - retention. Reads at most prune_batch_ rows, through the rowid,
  // so a long expired backlog costs the same per cycle as a short one.
  Result<int64_t> PruneOnce() {
    const int64_t cutoff = clock_->NowMs() - retention_ms_;
    WARDEN_ASSIGN_OR_RETURN(
        Stmt prune,
        writer_db_->Query(
            "DELETE FROM audit_log WHERE seq < COALESCE("
            "(SELECT seq FROM audit_log WHERE seq < (SELECT MIN(seq) FROM audit_log) + ?2 "
            "AND at >= ?1 ORDER BY seq LIMIT 1), "
            "(SELECT MIN(seq) FROM audit_log) + ?2)"));
    prune.BindInt(1, cutoff).BindInt(2, prune_batch_);
    WARDEN_RETURN_IF_ERROR(prune.Run());
    return static_cast<int64_t>(sqlite3_changes64(writer_db_->raw()));
  }

  // One transaction for the whole batch: a commit (and its WAL append) costs far more than an
  // insert, so batching is what lets the log keep up with tens of thousands of requests/s.
  Status WriteBatch(const std::vector<AuditEntry>& batch) {
    WARDEN_RETURN_IF_ERROR(writer_db_->Exec("BEGIN IMMEDIATE"));
    Status s = [&]() -> Status {
      for (const AuditEntry& e : batch) {
        WARDEN_ASSIGN_OR_RETURN(
            Stmt insert,
            writer_db_->Query("INSERT INTO audit_log (at, key_id, key_name, role, method, "
                              "endpoint, target, status, outcome, detail, remote_address) "
                              "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
        insert.BindInt(1, e.at_ms)
            .BindText(2, e.key_id)
            .BindText(3, e.key_name)
            .BindText(4, e.role)
            .BindText(5, e.method)
            .BindText(6, e.endpoint)
            .BindText(7, e.target)
            .BindInt(8, e.status)
            .BindText(9, e.outcome)
            .BindText(10, e.detail)
            .BindText(11, e.remote_address);
        WARDEN_RETURN_IF_ERROR(insert.Run());
      }
      return writer_db_->Exec("COMMIT");
    }();
    if (!s.ok()) (void)writer_db_->Exec("ROLLBACK");
    return s;
  }

  const std::unique_ptr<SqliteDb> writer_db_;  // used by the writer thread only
  std::mutex reader_mu_;
  const std::unique_ptr<SqliteDb> reader_db_;  // guarded by reader_mu_
  const Clock* const clock_;
  const std::chrono::milliseconds flush_interval_;
  const size_t max_batch_;
  const int64_t max_queue_;
  const int64_t retention_ms_;
  const int64_t prune_interval_ms_;
  const int64_t prune_batch_;
  // Writer thread only:
  int64_t last_prune_ms_ = -1;
  bool more_to_prune_ = false;  // the last prune deleted a full batch

  mutable std::mutex mu_;
  std::condition_variable work_cv_;  // wakes the writer
  std::condition_variable done_cv_;  // wakes Flush callers after each write attempt
  std::deque<AuditEntry> queue_;     // recorded, not yet taken by the writer, in order
  int64_t recorded_ = 0;
  int64_t committed_ = 0;  // entries are committed in record order, so "#k done" = k <= this
  int64_t failures_ = 0;
  int64_t pruned_ = 0;
  Status last_error_;  // of the last write attempt; OK once a write succeeds again
  bool flush_waiting_ = false;
  bool stop_ = false;
  std::thread thread_;  // last: started once everything above exists
};

}  // namespace

Result<std::unique_ptr<AuditLog>> OpenAuditLog(const std::string& path,
                                               const AuditLogOptions& options) {
  SqliteDbOptions writer_options;
  writer_options.create = true;
  writer_options.cache_size_kib = 8192;
  writer_options.busy_timeout_ms = options.busy_timeout_ms;
  WARDEN_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDb> writer, SqliteDb::Open(path, writer_options));
  WARDEN_RETURN_IF_ERROR(writer->Exec(kAuditSchema));
  SqliteDbOptions reader_options;
  reader_options.query_only = true;
  reader_options.cache_size_kib = 8192;
  WARDEN_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDb> reader, SqliteDb::Open(path, reader_options));
  return std::unique_ptr<AuditLog>(
      std::make_unique<SqliteAuditLog>(std::move(writer), std::move(reader), options));
}

std::string DefaultAuditDbPath(const std::string& store_path) {
  const std::filesystem::path path(store_path);
  std::filesystem::path audit = path;
  if (path.has_extension() && path.stem() != "") {
    audit.replace_filename(path.stem().string() + ".audit" + path.extension().string());
  } else {
    audit += ".audit";
  }
  return audit.string();
}

Result<int64_t> MoveLegacyAuditLog(const std::string& legacy_path, const std::string& audit_path) {
  std::error_code ec;
  // ATTACH would create a missing file; and the same file must not be emptied into itself.
  if (!std::filesystem::exists(legacy_path, ec)) return int64_t{0};
  if (std::filesystem::equivalent(legacy_path, audit_path, ec) && !ec) return int64_t{0};
  SqliteDbOptions options;
  options.create = true;
  options.cache_size_kib = 2048;
  WARDEN_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDb> db, SqliteDb::Open(audit_path, options));
  WARDEN_RETURN_IF_ERROR(db->Exec(kAuditSchema));
  {
    WARDEN_ASSIGN_OR_RETURN(Stmt attach, db->Query("ATTACH DATABASE ?1 AS legacy"));
    attach.BindText(1, legacy_path);
    WARDEN_RETURN_IF_ERROR(attach.Run());
  }
  WARDEN_ASSIGN_OR_RETURN(
      int64_t tables,
      db->QueryInt("SELECT COUNT(*) FROM legacy.sqlite_master WHERE type = 'table' AND "
                   "name = 'audit_log'"));
  int64_t moved = 0;
  if (tables > 0) {
    // Two transactions, one per file (WAL mode has no atomic commit across files): the copy
    // keeps seq, so after a crash before the drop the next run's copy adds nothing.
    WARDEN_RETURN_IF_ERROR(db->Exec("BEGIN IMMEDIATE"));
    Status copied = db->Exec("INSERT OR IGNORE INTO main.audit_log (" WARDEN_SQL_AUDIT_COLUMNS
                             ") SELECT " WARDEN_SQL_AUDIT_COLUMNS " FROM legacy.audit_log");
    if (!copied.ok()) {
      (void)db->Exec("ROLLBACK");
      return copied;
    }
    moved = sqlite3_changes64(db->raw());
    WARDEN_RETURN_IF_ERROR(db->Exec("COMMIT"));
    WARDEN_RETURN_IF_ERROR(db->Exec("DROP TABLE legacy.audit_log"));
  }
  WARDEN_RETURN_IF_ERROR(db->Exec("DETACH DATABASE legacy"));
  return moved;
}

}  // namespace warden
