// BankStore: where banks, items and their history live. One interface, several stores:
// MemoryStore (tests, the reference behaviour), SqliteStore (the default, an embedded file) and
// later a PostgreSQL store. One contract test suite (src/store/bank_store_contract_test.cc)
// runs against every implementation.
//
// Semantics every implementation keeps:
//   - Bank names are unique keys. Deleting a bank deletes its items; history stays.
//   - Dedupe: within a bank, a (signal type, value) pair belongs to at most one item. Adding an
//     item any of whose signals the bank already holds adds nothing and reports the existing
//     item's id as a duplicate. Importing the same list twice therefore adds nothing.
//   - Every mutation takes an `actor` (who did it, <= kMaxShortFieldLength bytes, non-empty)
//     and appends history entries: bank_created / bank_updated / bank_deleted, and one
//     item_added / item_updated / item_deleted per item that changed. Duplicates and
//     not-found deletes append nothing.
//   - History seq numbers are strictly increasing. To build a consistent in-memory view
//     (e.g. the match index): seq0 = LastSeq(); ForEachItem(...); then repeatedly
//     ChangesSince(seq0) and re-read each changed item with GetItem (NotFound = deleted) and
//     each changed bank with GetBank.
//   - created_at / updated_at are set by the store from its Clock; the caller's are ignored.
//   - Item ids are > 0, assigned in increasing order and never reused.
//
// Thread safety: every BankStore implementation is safe for concurrent use from many threads.
// Each call is atomic (ApplyBatch: the whole batch). ForEachItem does not hold a lock while
// calling its callback, so the callback may call the store (including mutations), but it then
// sees a mix of states (see the catch-up recipe above).
#ifndef WARDEN_BANK_STORE_H_
#define WARDEN_BANK_STORE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "warden/bank.h"
#include "warden/clock.h"
#include "warden/signal.h"
#include "warden/status.h"

namespace warden {

// ---- Batched writes ----

enum class WriteOpKind {
  // Add `item` to item.bank. If the bank already holds any of its signals: duplicate.
  kAdd,
  // Add, or if the bank holds any of item.signals, update the first such item: its
  // classification, provenance, note and disable_until are replaced by `item`'s, and those
  // of item.signals that no item in the bank holds yet are appended to it. Outcome kUpdated if
  // anything changed, else kDuplicate. (A later record for a hash replaces an earlier one.)
  kUpsert,
  // Replace item `item.id`'s signals, classification, provenance, note and disable_until
  // (UpdateItem semantics). item.bank may be empty; if set it must be the item's bank.
  // Outcome kNotFound if there is no such item, kDuplicate if nothing changed.
  kUpdate,
  // Delete item `item.id`. Outcome kNotFound if there is no such item.
  kDelete,
  // Delete every item of item.bank holding any of item.signals (only type and value are
  // read). Outcome kRemoved (item_id = the first one removed) or kNotFound.
  kRemoveBySignal,
};
// "add", "upsert", "update", "delete", "remove_by_signal".
const char* WriteOpKindName(WriteOpKind kind);

struct WriteOp {
  WriteOpKind kind = WriteOpKind::kAdd;
  Item item;  // which fields are read depends on `kind` (above)

  static WriteOp Add(Item item) { return {WriteOpKind::kAdd, std::move(item)}; }
  static WriteOp Upsert(Item item) { return {WriteOpKind::kUpsert, std::move(item)}; }
  static WriteOp Update(Item item) { return {WriteOpKind::kUpdate, std::move(item)}; }
  static WriteOp Delete(int64_t item_id);
  static WriteOp RemoveBySignal(std::string bank, Signal signal);
};

// Many writes applied in ONE transaction: all or nothing. Ops apply in order and each sees the
// effect of the ones before it (adding the same hash twice in one batch = added + duplicate).
struct WriteBatch {
  std::vector<WriteOp> ops;
  // If non-empty, one `import` history entry with this detail (and bank = summary_bank) is
  // appended after the ops, in the same transaction. Importers use it for "file X: n added".
  std::string summary;
  std::string summary_bank;

  void Add(Item item) { ops.push_back(WriteOp::Add(std::move(item))); }
  void Upsert(Item item) { ops.push_back(WriteOp::Upsert(std::move(item))); }
  void Update(Item item) { ops.push_back(WriteOp::Update(std::move(item))); }
  void Delete(int64_t item_id) { ops.push_back(WriteOp::Delete(item_id)); }
  void RemoveBySignal(std::string bank, Signal signal) {
    ops.push_back(WriteOp::RemoveBySignal(std::move(bank), std::move(signal)));
  }
  size_t size() const { return ops.size(); }
  bool empty() const { return ops.empty(); }
};

enum class WriteOutcome { kAdded, kUpdated, kRemoved, kDuplicate, kNotFound };
// "added", "updated", "removed", "duplicate", "not_found".
const char* WriteOutcomeName(WriteOutcome outcome);

struct OpResult {
  WriteOutcome outcome = WriteOutcome::kAdded;
  // kAdded: the new id; kUpdated / kDuplicate: the existing item's id; kRemoved: the (first)
  // removed item's id; kNotFound: 0 (or the id asked for by kUpdate / kDelete).
  int64_t item_id = 0;
};

struct BatchResult {
  std::vector<OpResult> ops;  // one per WriteBatch op, same order
  int64_t added = 0;
  int64_t updated = 0;
  int64_t removed = 0;
  int64_t duplicate = 0;
  int64_t not_found = 0;
  int64_t last_seq = 0;  // LastSeq() right after the batch committed
};

// ---- Queries ----

struct AddItemResult {
  int64_t id = 0;          // the new item's id, or the existing item's id if a duplicate
  bool duplicate = false;  // true: nothing was added
};

// All set fields must hold (AND). Results are newest first.
struct HistoryFilter {
  std::optional<std::string> bank;
  std::optional<int64_t> item_id;
  std::optional<std::string> actor;
  std::optional<HistoryAction> action;
  int64_t before_seq = 0;  // if > 0, only entries with seq < before_seq (paging backwards)
};

struct BankStats {
  int64_t items = 0;
  int64_t disabled_items = 0;             // items not enabled at the store clock's now
  std::map<SignalType, int64_t> signals;  // number of signals per type
};

struct StoreStats {
  int64_t banks = 0;
  int64_t items = 0;
  std::map<SignalType, int64_t> signals;     // over all banks
  std::map<std::string, BankStats> by_bank;  // every bank, including empty ones
};

// Limit on the number of rows one ListItems / History / ChangesSince call returns.
inline constexpr int kMaxPageSize = 100'000;

class BankStore {
 public:
  virtual ~BankStore() = default;

  // ---- Banks ----

  // Creates `bank` (id and times are assigned; returned in the result).
  // Errors: kInvalidArgument (ValidateBank, bad actor); kAlreadyExists if the name is taken;
  // kIoError / kCorruptData / kUnavailable from the storage.
  virtual Result<Bank> CreateBank(const Bank& bank, std::string_view actor) = 0;
  // Errors: kNotFound naming the bank.
  virtual Result<Bank> GetBank(std::string_view name) = 0;
  // Every bank, sorted by name.
  virtual Result<std::vector<Bank>> ListBanks() = 0;
  // Replaces description, enabled, matching_ratio, kind and source of the bank named
  // bank.name (renaming is not supported). Returns the stored bank.
  // Errors: kInvalidArgument; kNotFound.
  virtual Result<Bank> UpdateBank(const Bank& bank, std::string_view actor) = 0;
  // Deletes the bank and all its items. History is kept (one bank_deleted entry; no
  // per-item entries). Errors: kNotFound.
  virtual Status DeleteBank(std::string_view name, std::string_view actor) = 0;

  // ---- Items ----

  // Adds item (NormalizeItem + ValidateItem first). See "Dedupe" above.
  // Errors: kInvalidArgument; kNotFound if item.bank does not exist.
  virtual Result<AddItemResult> AddItem(const Item& item, std::string_view actor) = 0;
  // Errors: kNotFound naming the id.
  virtual Result<Item> GetItem(int64_t id) = 0;
  // Replaces the signals, classification, provenance, note and disable_until of item
  // `item.id`; item.bank may be empty, else it must equal the item's bank. Returns the stored
  // item. Errors: kInvalidArgument; kNotFound; kAlreadyExists if another item of the bank
  // already holds one of the new signals.
  virtual Result<Item> UpdateItem(const Item& item, std::string_view actor) = 0;
  // Errors: kNotFound.
  virtual Status DeleteItem(int64_t id, std::string_view actor) = 0;

  // Items holding exactly this (type, value), in `bank` or, if bank is nullopt, in every bank;
  // sorted by id. Disabled items are included (check IsEnabledAt). Unknown bank: empty result.
  // Errors: kInvalidArgument if signal.value is not canonical.
  virtual Result<std::vector<Item>> FindItemsBySignal(std::optional<std::string_view> bank,
                                                      const Signal& signal) = 0;
  // Up to `limit` (1..kMaxPageSize) items of `bank` with id > after_id, ascending id. Pass the
  // last id returned to get the next page; an empty page is the end.
  // Errors: kNotFound for an unknown bank; kInvalidArgument for a bad limit.
  virtual Result<std::vector<Item>> ListItems(std::string_view bank, int64_t after_id,
                                              int limit) = 0;
  // Calls `fn` for every item of every bank in ascending id order, reading in pages (no lock
  // held during `fn`). Stops at and returns the first non-OK status `fn` returns.
  virtual Status ForEachItem(const std::function<Status(const Item&)>& fn) = 0;

  // ---- Batches ----

  // Applies every op in one transaction (see WriteOpKind). If any op is invalid (ValidateItem,
  // unknown bank, kUpdate signal conflict -> kAlreadyExists, bad actor) NOTHING is applied and
  // the error names the op's index, e.g. "op 17: ...". Once this returns OK the batch is
  // durable against a crash of the process (SqliteStore: see its header).
  virtual Result<BatchResult> ApplyBatch(const WriteBatch& batch, std::string_view actor) = 0;

  // ---- Stats and history ----

  virtual Result<StoreStats> Stats() = 0;
  // Up to `limit` (1..kMaxPageSize) entries matching `filter`, newest (highest seq) first.
  virtual Result<std::vector<HistoryEntry>> History(const HistoryFilter& filter, int limit) = 0;
  // Up to `limit` (1..kMaxPageSize) entries with seq > `after_seq`, ascending seq.
  virtual Result<std::vector<HistoryEntry>> ChangesSince(int64_t after_seq, int limit) = 0;
  // The highest seq so far (0 for a new store).
  virtual Result<int64_t> LastSeq() = 0;

  // The clock this store stamps times with and evaluates disable_until by. Never null.
  virtual const Clock* clock() const = 0;
};

// The in-memory reference store. Nothing persists. `clock` (not owned; nullptr = the system
// clock) must outlive the store. Thread-safe: a reader/writer lock around all state.
std::unique_ptr<BankStore> NewMemoryStore(const Clock* clock = nullptr);

// ---- SQLite: the default store, one file (src/store/sqlite_store.cc) ----
//
// Opened in WAL mode with foreign_keys=ON, busy_timeout and synchronous=NORMAL. In WAL mode a
// committed transaction survives a crash or kill -9 of the process (it is in the WAL file);
// synchronous=NORMAL only risks the last transactions on an operating system crash or power
// loss. The schema version lives in PRAGMA user_version; migrations run in order, each in a
// transaction, when the file is opened.
//
// Thread safety: safe for concurrent use from many threads. Writes go through one connection
// behind a mutex; reads use a pool of reader connections, so readers never wait for each other
// or for a writer (WAL). Several processes may open the same file (SQLite's locking; a writer
// waits up to busy_timeout_ms for another process's write).
struct SqliteStoreOptions {
  const Clock* clock = nullptr;    // not owned; nullptr = the system clock
  int reader_connections = 4;      // size of the reader pool (>= 1)
  int busy_timeout_ms = 5000;      // how long a write waits for another process's lock
  int64_t cache_size_kib = 65536;  // page cache per connection (KiB); dedupe speed needs it
};

// The schema version this code writes and understands.
inline constexpr int kSqliteSchemaVersion = 1;

// Opens (creating if missing) the SQLite store at `path` (a file path; ":memory:" is refused
// since each connection would see its own database) and migrates it to kSqliteSchemaVersion.
// Errors (each naming the path): kCorruptData if the file is not a SQLite database or is
// damaged; kUnsupportedFormat if its schema version is newer than this code knows; kIoError if
// it cannot be opened or created; kInvalidArgument for bad options.
Result<std::unique_ptr<BankStore>> OpenSqliteStore(const std::string& path,
                                                   const SqliteStoreOptions& options = {});

}  // namespace warden

#endif  // WARDEN_BANK_STORE_H_
