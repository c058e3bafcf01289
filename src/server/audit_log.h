// AuditLog: who did what through `warden serve`, kept for list owners and auditors. One entry
// per curation action (bank or item created, changed, deleted; import; export; key management)
// and per lookup or hash request: the key, the time, the endpoint, the outcome. Never the image,
// never a query's hash value: only counts, bank names and matched item ids.
//
// Writes are asynchronous: Record() appends to an in-memory queue and a background thread
// writes the queue to table `audit_log` of its own SQLite file (AuditDbPath: beside the bank
// store, not inside it) in batches (one transaction every
// flush_interval_ms or max_batch entries), so a 20,000 lookups/s service spends microseconds
// per entry. The log fails closed: when the queue holds max_queue entries (the disk cannot keep
// up or is failing), Record returns kUnavailable and the request is refused with 503 rather than
// served unaudited. Flush() waits until everything recorded so far is committed.
//
// Thread safety: every method may be called from many threads at once.
#ifndef WARDEN_SRC_SERVER_AUDIT_LOG_H_
#define WARDEN_SRC_SERVER_AUDIT_LOG_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "warden/clock.h"
#include "warden/status.h"

namespace warden {

struct AuditEntry {
  int64_t seq = 0;     // assigned when written; increasing
  int64_t at_ms = 0;   // set by Record from the clock if 0
  std::string key_id;  // "" when the request had no valid key
  std::string key_name;
  std::string role;
  std::string method;    // "GET", ...
  std::string endpoint;  // the route pattern, e.g. "/c/bank/{name}/content/{id}"
  std::string target;    // the concrete path, e.g. "/c/bank/B/content/7" (no query string)
  int status = 0;        // HTTP status answered
  std::string outcome;   // e.g. "match", "no_match", "created", "deleted", "denied", error code
  std::string detail;    // short JSON or text, e.g. {"bank":"B","item":7} or "matches=2"
  std::string remote_address;
};

struct AuditFilter {
  std::optional<std::string> key_id;
  std::optional<std::string> endpoint;
  int64_t since_ms = 0;    // at_ms >= since_ms
  int64_t before_seq = 0;  // if > 0, seq < before_seq (paging backwards)
};

struct AuditLogOptions {
  const Clock* clock = nullptr;  // not owned; nullptr = the system clock
  int flush_interval_ms = 200;
  int max_batch = 10'000;
  int max_queue = 200'000;
  // How long a write waits for another connection's write lock (a bank import) before the
  // attempt fails and is retried after flush_interval_ms.
  int busy_timeout_ms = 5000;
  // Entries older than this (by at_ms) are deleted; 0 keeps every entry forever. The writer
  // deletes them from the oldest up, at most prune_batch per write cycle and a check at most
  // every prune_interval_ms, so pruning never holds the write lock for long. An entry is only
  // deleted once every entry recorded before it has expired too (seq order, not a scan).
  int64_t retention_ms = 0;
  int prune_interval_ms = 60'000;
  int prune_batch = 20'000;
};

class AuditLog {
 public:
  virtual ~AuditLog() = default;
  // Queues one entry. Errors: kUnavailable when the queue is full or the writer has failed
  // (the message names the last write error).
  virtual Status Record(AuditEntry entry) = 0;
  // Blocks until every entry recorded before the call is committed. Errors: the write error.
  virtual Status Flush() = 0;
  // Up to `limit` (1..10,000) committed entries matching `filter`, newest first.
  virtual Result<std::vector<AuditEntry>> Query(const AuditFilter& filter, int limit) = 0;
  virtual int64_t written() const = 0;   // entries committed since open
  virtual int64_t queued() const = 0;    // entries waiting
  virtual int64_t failures() const = 0;  // failed write transactions since open
  virtual int64_t pruned() const = 0;    // entries deleted by retention since open
};

// Opens the audit table in the SQLite file at `path` (created if missing) and starts the
// writer thread; the destructor flushes and stops it. Errors: kIoError / kCorruptData naming
// the path.
Result<std::unique_ptr<AuditLog>> OpenAuditLog(const std::string& path,
                                               const AuditLogOptions& options = {});

// The audit file that goes with the bank store at `store_path` when none is configured: the
// store's name with ".audit" before its extension ("data/warden.db" -> "data/warden.audit.db",
// "warden" -> "warden.audit").
std::string DefaultAuditDbPath(const std::string& store_path);

// Moves the entries of an `audit_log` table left in the file at `legacy_path` (where earlier
// versions kept it, beside the banks) into the audit file at `audit_path`, keeping their seq,
// then drops the old table. Idempotent: a crash between the copy and the drop copies nothing
// twice on the next run. Nothing happens when the legacy file has no such table or when both
// paths name the same file. Returns the number of entries moved. Errors: kIoError /
// kCorruptData naming the file.
Result<int64_t> MoveLegacyAuditLog(const std::string& legacy_path, const std::string& audit_path);

}  // namespace warden

#endif  // WARDEN_SRC_SERVER_AUDIT_LOG_H_
