// SqliteStore: the default BankStore, one SQLite file in WAL mode.
//
// Concurrency: one writer connection behind write_mu_ (SQLite allows one writer at a time
// anyway), and a pool of reader connections. In WAL mode readers see the last committed
// state and never block on the writer or on each other.
// Item writes use the shared semantics of store_txn.cc inside BEGIN IMMEDIATE ... COMMIT.
#include <fmt/core.h>

#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "src/store/sqlite_db.h"
#include "src/store/sqlite_rows.h"
#include "src/store/sqlite_schema.h"
#include "src/store/store_txn.h"
#include "warden/bank_store.h"

namespace warden {
namespace {

Status CheckLimit(int limit) {
  if (limit < 1 || limit > kMaxPageSize) {
    return Status::InvalidArgument(
        fmt::format("page limit {} is outside 1..{}", limit, kMaxPageSize));
  }
  return Status::Ok();
}

// The key of the signals_dedupe index (see sqlite_schema.cc) as a signed integer: the first 8
// bytes of a hash value (every digest type has at least 16), but for a local value the 64-bit
// FNV-1a hash of all its bytes, because every local value starts with the same header.
// Stored in the database: never change either rule without a migration.
int64_t ValuePrefix(SignalType type, std::string_view bytes) {
  uint64_t v = 0;
  if (type == SignalType::kLocal) {
    v = 0xcbf29ce484222325ull;  // FNV-1a offset basis and prime (64-bit)
    for (char c : bytes) {
      v = (v ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
    }
    return static_cast<int64_t>(v);
  }
  for (size_t i = 0; i < 8 && i < bytes.size(); ++i) {
    v = v << 8 | static_cast<unsigned char>(bytes[i]);
  }
  return static_cast<int64_t>(v);
}

const Status& StatusOf(const Status& s) { return s; }
template <typename T>
const Status& StatusOf(const Result<T>& r) {
  return r.status();
}

// Binds the item fields shared by INSERT and UPDATE as parameters 2..17 (see the SQL below).
void BindItemFields(Stmt& st, const Item& item) {
  const Classification& c = item.classification;
  st.BindText(2, UkCategoryName(c.uk_category))
      .BindText(3, AgeBandName(c.youngest_age))
      .BindInt(4, c.self_generated)
      .BindInt(5, c.ai_or_manipulated)
      .BindText(6, ChildSexName(c.sex))
      .BindText(7, c.site_type)
      .BindInt(8, c.commercial)
      .BindText(9, c.scheme_label)
      .BindText(10, item.provenance.source_list)
      .BindText(11, item.provenance.external_id)
      .BindText(12, item.provenance.member_id)
      .BindText(13, item.note)
      .BindInt(14, item.created_at_ms)
      .BindInt(15, item.updated_at_ms)
      .BindInt(16, item.disable_until_ms);
}

// The StoreTxn over the writer connection. REQUIRES: write_mu_ held and a transaction open.
class SqlTxn final : public StoreTxn {
 public:
  explicit SqlTxn(SqliteDb* db) : db_(db) {}

  Result<std::optional<Bank>> FindBank(std::string_view name) override {
    // Banks cannot change inside an item transaction, so one lookup per name suffices.
    auto cached = banks_.find(name);
    if (cached != banks_.end()) return cached->second;
    WARDEN_ASSIGN_OR_RETURN(
        Stmt st, db_->Query("SELECT " WARDEN_SQL_BANK_COLUMNS " FROM banks WHERE name = ?1"));
    st.BindText(1, name);
    WARDEN_ASSIGN_OR_RETURN(bool row, st.Step());
    std::optional<Bank> bank;
    if (row) {
      WARDEN_ASSIGN_OR_RETURN(bank, ReadBankRow(*db_, st));
    }
    banks_.emplace(std::string(name), bank);
    return bank;
  }

  Result<std::optional<Item>> LoadItem(int64_t id) override {
    WARDEN_ASSIGN_OR_RETURN(Stmt st,
                            db_->Query(WARDEN_SQL_ITEM_SELECT "WHERE i.id = ?1 ORDER BY s.pos"));
    st.BindInt(1, id);
    WARDEN_ASSIGN_OR_RETURN(std::vector<Item> items, ReadItemRows(*db_, st));
    if (items.empty()) return std::optional<Item>();
    return std::optional<Item>(std::move(items.front()));
  }

  Result<int64_t> FindItemIdBySignal(const Bank& bank, const Signal& signal) override {
    WARDEN_ASSIGN_OR_RETURN(
        Stmt st, db_->Query("SELECT item_id FROM signals WHERE bank_id = ?1 AND prefix = ?4 AND "
                            "type = ?2 AND value = ?3"));
    std::string bytes = HexToBytes(signal.value);
    st.BindInt(1, bank.id)
        .BindText(2, SignalTypeName(signal.type))
        .BindBlob(3, bytes)
        .BindInt(4, ValuePrefix(signal.type, bytes));
    WARDEN_ASSIGN_OR_RETURN(bool row, st.Step());
    return row ? st.Int(0) : int64_t{0};
  }

  Result<int64_t> InsertItem(const Bank& bank, const Item& item, int64_t now_ms) override {
    if (next_item_id_ == 0) {
      WARDEN_ASSIGN_OR_RETURN(
          next_item_id_, db_->QueryInt("SELECT value FROM counters WHERE name = 'next_item_id'"));
    }
    int64_t id = next_item_id_++;
    {
      WARDEN_ASSIGN_OR_RETURN(
          Stmt st, db_->Query("INSERT INTO items (bank_id, uk_category, youngest_age, "
                              "self_generated, ai_or_manipulated, sex, site_type, commercial, "
                              "scheme_label, source_list, external_id, member_id, note, "
                              "created_at, updated_at, disable_until, id) VALUES (?1, ?2, ?3, "
                              "?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)"));
      st.BindInt(1, bank.id).BindInt(17, id);
      BindItemFields(st, item);
      st.BindInt(14, now_ms).BindInt(15, now_ms);
      WARDEN_RETURN_IF_ERROR(st.Run());
    }
    WARDEN_RETURN_IF_ERROR(InsertSignals(bank, id, item));
    return id;
  }

  Status ReplaceItem(const Bank& bank, const Item& old, const Item& updated) override {
    {
      WARDEN_ASSIGN_OR_RETURN(Stmt st,
                              db_->Query("UPDATE items SET uk_category = ?2, youngest_age = ?3, "
                                         "self_generated = ?4, ai_or_manipulated = ?5, sex = ?6, "
                                         "site_type = ?7, commercial = ?8, scheme_label = ?9, "
                                         "source_list = ?10, external_id = ?11, member_id = ?12, "
                                         "note = ?13, created_at = ?14, updated_at = ?15, "
                                         "disable_until = ?16 WHERE id = ?1"));
      st.BindInt(1, old.id);
      BindItemFields(st, updated);
      WARDEN_RETURN_IF_ERROR(st.Run());
    }
    if (updated.signals != old.signals) {
      WARDEN_RETURN_IF_ERROR(DeleteSignals(old.id));
      WARDEN_RETURN_IF_ERROR(InsertSignals(bank, old.id, updated));
    }
    return Status::Ok();
  }

  Status EraseItem(const Bank&, const Item& item) override {
    WARDEN_RETURN_IF_ERROR(DeleteSignals(item.id));
    WARDEN_ASSIGN_OR_RETURN(Stmt st, db_->Query("DELETE FROM items WHERE id = ?1"));
    return st.BindInt(1, item.id).Run();
  }

  // Stores the item id counter if this transaction used it. Call before COMMIT.
  Status Finish() {
    if (next_item_id_ == 0) return Status::Ok();
    WARDEN_ASSIGN_OR_RETURN(
        Stmt st, db_->Query("UPDATE counters SET value = ?1 WHERE name = 'next_item_id'"));
    return st.BindInt(1, next_item_id_).Run();
  }

  Result<int64_t> AppendHistory(const HistoryEntry& e) override {
    WARDEN_ASSIGN_OR_RETURN(
        Stmt st, db_->Query("INSERT INTO history (at, actor, action, bank, item_id, detail) "
                            "VALUES (?1, ?2, ?3, ?4, ?5, ?6)"));
    st.BindInt(1, e.at_ms)
        .BindText(2, e.actor)
        .BindText(3, HistoryActionName(e.action))
        .BindText(4, e.bank)
        .BindInt(5, e.item_id)
        .BindText(6, e.detail);
    WARDEN_RETURN_IF_ERROR(st.Run());
    return sqlite3_last_insert_rowid(db_->raw());
  }

 private:
  Status InsertSignals(const Bank& bank, int64_t item_id, const Item& item) {
    for (size_t pos = 0; pos < item.signals.size(); ++pos) {
      const BankSignal& s = item.signals[pos];
      WARDEN_ASSIGN_OR_RETURN(
          Stmt st, db_->Query("INSERT INTO signals (item_id, bank_id, type, value, quality, "
                              "algorithm, algorithm_version, pos, prefix) VALUES (?1, ?2, ?3, "
                              "?4, ?5, ?6, ?7, ?8, ?9)"));
      std::string bytes = HexToBytes(s.signal.value);
      st.BindInt(9, ValuePrefix(s.signal.type, bytes));
      st.BindInt(8, static_cast<int64_t>(pos))
          .BindInt(1, item_id)
          .BindInt(2, bank.id)
          .BindText(3, SignalTypeName(s.signal.type))
          .BindBlob(4, bytes)
          .BindInt(5, s.signal.quality)
          .BindText(6, s.algorithm)
          .BindInt(7, s.algorithm_version);
      WARDEN_RETURN_IF_ERROR(st.Run());
    }
    return Status::Ok();
  }

  Status DeleteSignals(int64_t item_id) {
    WARDEN_ASSIGN_OR_RETURN(Stmt st, db_->Query("DELETE FROM signals WHERE item_id = ?1"));
    return st.BindInt(1, item_id).Run();
  }

  SqliteDb* db_;
  std::map<std::string, std::optional<Bank>, std::less<>> banks_;
  int64_t next_item_id_ = 0;  // 0 = not read from counters yet
};

class SqliteStore final : public BankStore {
 public:
  SqliteStore(std::string path, const SqliteStoreOptions& options, std::unique_ptr<SqliteDb> writer)
      : path_(std::move(path)),
        options_(options),
        clock_(options.clock != nullptr ? options.clock : SystemClock::Default()),
        writer_(std::move(writer)) {}

  // ---- Banks ----

  Result<Bank> CreateBank(const Bank& in, std::string_view actor) override {
    WARDEN_RETURN_IF_ERROR(ValidateActor(actor));
    WARDEN_RETURN_IF_ERROR(ValidateBank(in));
    return WithWriteTxn([&](SqlTxn& txn) -> Result<Bank> {
      WARDEN_ASSIGN_OR_RETURN(std::optional<Bank> existing, txn.FindBank(in.name));
      if (existing) return Status::AlreadyExists(fmt::format("bank {} already exists", in.name));
      int64_t now = clock_->NowMs();
      Bank bank = in;
      bank.created_at_ms = now;
      bank.updated_at_ms = now;
      WARDEN_ASSIGN_OR_RETURN(
          Stmt st, writer_->Query("INSERT INTO banks (name, description, enabled, matching_ratio, "
                                  "kind, source, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, "
                                  "?5, ?6, ?7, ?7)"));
      st.BindText(1, bank.name)
          .BindText(2, bank.description)
          .BindInt(3, bank.enabled)
          .BindDouble(4, bank.matching_ratio)
          .BindText(5, BankKindName(bank.kind))
          .BindText(6, BankSourceName(bank.source))
          .BindInt(7, now);
      WARDEN_RETURN_IF_ERROR(st.Run());
      bank.id = sqlite3_last_insert_rowid(writer_->raw());
      WARDEN_RETURN_IF_ERROR(
          txn.AppendHistory(BankEntry(now, actor, HistoryAction::kBankCreated, bank.name))
              .status());
      return bank;
    });
  }

  Result<Bank> GetBank(std::string_view name) override {
    WARDEN_ASSIGN_OR_RETURN(Lease lease, AcquireReader());
    WARDEN_ASSIGN_OR_RETURN(
        Stmt st, lease->Query("SELECT " WARDEN_SQL_BANK_COLUMNS " FROM banks WHERE name = ?1"));
    st.BindText(1, name);
    WARDEN_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return Status::NotFound(fmt::format("bank {} not found", name));
    return ReadBankRow(*lease, st);
  }

  Result<std::vector<Bank>> ListBanks() override {
    WARDEN_ASSIGN_OR_RETURN(Lease lease, AcquireReader());
    WARDEN_ASSIGN_OR_RETURN(
        Stmt st, lease->Query("SELECT " WARDEN_SQL_BANK_COLUMNS " FROM banks ORDER BY name"));
    std::vector<Bank> out;
    while (true) {
      WARDEN_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) return out;
      WARDEN_ASSIGN_OR_RETURN(Bank bank, ReadBankRow(*lease, st));
      out.push_back(std::move(bank));
    }
  }

  Result<Bank> UpdateBank(const Bank& in, std::string_view actor) override {
    WARDEN_RETURN_IF_ERROR(ValidateActor(actor));
    WARDEN_RETURN_IF_ERROR(ValidateBank(in));
    return WithWriteTxn([&](SqlTxn& txn) -> Result<Bank> {
      WARDEN_ASSIGN_OR_RETURN(std::optional<Bank> old, txn.FindBank(in.name));
      if (!old) return Status::NotFound(fmt::format("bank {} not found", in.name));
      Bank bank = *old;
      bank.description = in.description;
      bank.enabled = in.enabled;
      bank.matching_ratio = in.matching_ratio;
      bank.kind = in.kind;
      bank.source = in.source;
      bank.updated_at_ms = clock_->NowMs();
      WARDEN_ASSIGN_OR_RETURN(
          Stmt st, writer_->Query("UPDATE banks SET description = ?2, enabled = ?3, "
                                  "matching_ratio = ?4, kind = ?5, source = ?6, updated_at = ?7 "
                                  "WHERE id = ?1"));
      st.BindInt(1, bank.id)
          .BindText(2, bank.description)
          .BindInt(3, bank.enabled)
          .BindDouble(4, bank.matching_ratio)
          .BindText(5, BankKindName(bank.kind))
          .BindText(6, BankSourceName(bank.source))
          .BindInt(7, bank.updated_at_ms);
      WARDEN_RETURN_IF_ERROR(st.Run());
      WARDEN_RETURN_IF_ERROR(txn.AppendHistory(BankEntry(bank.updated_at_ms, actor,
                                                         HistoryAction::kBankUpdated, bank.name))
                                 .status());
      return bank;
    });
  }

  Status DeleteBank(std::string_view name, std::string_view actor) override {
    WARDEN_RETURN_IF_ERROR(ValidateActor(actor));
    return WithWriteTxn([&](SqlTxn& txn) -> Status {
      WARDEN_ASSIGN_OR_RETURN(std::optional<Bank> bank, txn.FindBank(name));
      if (!bank) return Status::NotFound(fmt::format("bank {} not found", name));
      // Explicit deletes in child-to-parent order rather than relying on ON DELETE CASCADE,
      // so the outcome does not depend on the foreign_keys pragma of the connection.
      for (const char* sql :
           {"DELETE FROM signals WHERE bank_id = ?1", "DELETE FROM items WHERE bank_id = ?1",
            "DELETE FROM banks WHERE id = ?1"}) {
        WARDEN_ASSIGN_OR_RETURN(Stmt st, writer_->Query(sql));
        WARDEN_RETURN_IF_ERROR(st.BindInt(1, bank->id).Run());
      }
      return txn.AppendHistory(BankEntry(clock_->NowMs(), actor, HistoryAction::kBankDeleted, name))
          .status();
    });
  }

  // ---- Items ----

  Result<AddItemResult> AddItem(const Item& item, std::string_view actor) override {
    return AddItemAsBatch(SingleItemApply(actor), item);
  }

  Result<Item> GetItem(int64_t id) override {
    WARDEN_ASSIGN_OR_RETURN(Lease lease, AcquireReader());
    WARDEN_ASSIGN_OR_RETURN(Stmt st,
                            lease->Query(WARDEN_SQL_ITEM_SELECT "WHERE i.id = ?1 ORDER BY s.pos"));
    st.BindInt(1, id);
    WARDEN_ASSIGN_OR_RETURN(std::vector<Item> items, ReadItemRows(*lease, st));
    if (items.empty()) return Status::NotFound(fmt::format("item {} not found", id));
    return std::move(items.front());
  }

  Result<Item> UpdateItem(const Item& item, std::string_view actor) override {
    WARDEN_RETURN_IF_ERROR(UpdateItemAsBatch(SingleItemApply(actor), item));
    return GetItem(item.id);
  }

  Status DeleteItem(int64_t id, std::string_view actor) override {
    return DeleteItemAsBatch(SingleItemApply(actor), id);
  }

  Result<std::vector<Item>> FindItemsBySignal(std::optional<std::string_view> bank,
                                              const Signal& signal) override {
    WARDEN_RETURN_IF_ERROR(Signal::Make(signal.type, signal.value).status());
    WARDEN_ASSIGN_OR_RETURN(Lease lease, AcquireReader());
    std::string bytes = HexToBytes(signal.value);
    if (bank) {
      WARDEN_ASSIGN_OR_RETURN(
          Stmt st, lease->Query(WARDEN_SQL_ITEM_SELECT
                                "WHERE i.id IN (SELECT s2.item_id FROM banks b2 JOIN signals s2 "
                                "ON s2.bank_id = b2.id WHERE b2.name = ?1 AND s2.prefix = ?4 "
                                "AND s2.type = ?2 AND s2.value = ?3) ORDER BY i.id, s.pos"));
      st.BindText(1, *bank)
          .BindText(2, SignalTypeName(signal.type))
          .BindBlob(3, bytes)
          .BindInt(4, ValuePrefix(signal.type, bytes));
      return ReadItemRows(*lease, st);
    }
    // One probe of the dedupe index per bank (banks are few).
    WARDEN_ASSIGN_OR_RETURN(
        Stmt st, lease->Query(WARDEN_SQL_ITEM_SELECT
                              "WHERE i.id IN (SELECT s2.item_id FROM banks b2 JOIN signals s2 "
                              "ON s2.bank_id = b2.id AND s2.prefix = ?3 AND s2.type = ?1 AND "
                              "s2.value = ?2) ORDER BY i.id, s.pos"));
    st.BindText(1, SignalTypeName(signal.type))
        .BindBlob(2, bytes)
        .BindInt(3, ValuePrefix(signal.type, bytes));
    return ReadItemRows(*lease, st);
  }

  Result<std::vector<Item>> ListItems(std::string_view bank, int64_t after_id, int limit) override {
    WARDEN_RETURN_IF_ERROR(CheckLimit(limit));
    WARDEN_ASSIGN_OR_RETURN(Lease lease, AcquireReader());
    // One read transaction so the bank check and the page see the same state.
    WARDEN_RETURN_IF_ERROR(lease->Exec("BEGIN"));
    Result<std::vector<Item>> r = [&]() -> Result<std::vector<Item>> {
      WARDEN_ASSIGN_OR_RETURN(Stmt b, lease->Query("SELECT id FROM banks WHERE name = ?1"));
      b.BindText(1, bank);
      WARDEN_ASSIGN_OR_RETURN(bool found, b.Step());
      if (!found) return Status::NotFound(fmt::format("bank {} not found", bank));
      int64_t bank_id = b.Int(0);
      WARDEN_ASSIGN_OR_RETURN(
          Stmt st, lease->Query(WARDEN_SQL_ITEM_SELECT
                                "WHERE i.id IN (SELECT id FROM items WHERE bank_id = ?1 AND "
                                "id > ?2 ORDER BY id LIMIT ?3) ORDER BY i.id, s.pos"));
      st.BindInt(1, bank_id).BindInt(2, after_id).BindInt(3, limit);
      return ReadItemRows(*lease, st);
    }();
    (void)lease->Exec("COMMIT");
    return r;
  }

  Status ForEachItem(const std::function<Status(const Item&)>& fn) override {
    constexpr int kPage = 4096;
    int64_t after = 0;
    while (true) {
      std::vector<Item> page;
      {
        WARDEN_ASSIGN_OR_RETURN(Lease lease, AcquireReader());
        WARDEN_ASSIGN_OR_RETURN(
            Stmt st,
            lease->Query(WARDEN_SQL_ITEM_SELECT "WHERE i.id IN (SELECT id FROM items WHERE id > ?1 "
                                                "ORDER BY id LIMIT ?2) ORDER BY i.id, s.pos"));
        st.BindInt(1, after).BindInt(2, kPage);
        WARDEN_ASSIGN_OR_RETURN(page, ReadItemRows(*lease, st));
      }
      if (page.empty()) return Status::Ok();
      for (const Item& item : page) WARDEN_RETURN_IF_ERROR(fn(item));
      after = page.back().id;
    }
  }

  Result<BatchResult> ApplyBatch(const WriteBatch& batch, std::string_view actor) override {
    return Apply(batch, actor, /*name_ops=*/true);
  }

  // Apply for the single-item calls: their errors carry no "op 0" prefix.
  std::function<Result<BatchResult>(const WriteBatch&)> SingleItemApply(std::string_view actor) {
    return [this, actor](const WriteBatch& batch) { return Apply(batch, actor, false); };
  }

  // ---- Stats and history ----

  Result<StoreStats> Stats() override {
    WARDEN_ASSIGN_OR_RETURN(Lease lease, AcquireReader());
    WARDEN_RETURN_IF_ERROR(lease->Exec("BEGIN"));
    Result<StoreStats> r = ReadStats(*lease);
    (void)lease->Exec("COMMIT");
    return r;
  }

  Result<std::vector<HistoryEntry>> History(const HistoryFilter& filter, int limit) override {
    WARDEN_RETURN_IF_ERROR(CheckLimit(limit));
    WARDEN_ASSIGN_OR_RETURN(Lease lease, AcquireReader());
    // Unbound parameters are NULL, which switches their condition off.
    WARDEN_ASSIGN_OR_RETURN(
        Stmt st, lease->Query("SELECT " WARDEN_SQL_HISTORY_COLUMNS " FROM history WHERE "
                              "(?1 IS NULL OR bank = ?1) AND (?2 IS NULL OR item_id = ?2) AND "
                              "(?3 IS NULL OR actor = ?3) AND (?4 IS NULL OR action = ?4) AND "
                              "(?5 IS NULL OR seq < ?5) ORDER BY seq DESC LIMIT ?6"));
    if (filter.bank) st.BindText(1, *filter.bank);
    if (filter.item_id) st.BindInt(2, *filter.item_id);
    if (filter.actor) st.BindText(3, *filter.actor);
    if (filter.action) st.BindText(4, HistoryActionName(*filter.action));
    if (filter.before_seq > 0) st.BindInt(5, filter.before_seq);
    st.BindInt(6, limit);
    return ReadHistory(*lease, st);
  }

  Result<std::vector<HistoryEntry>> ChangesSince(int64_t after_seq, int limit) override {
    WARDEN_RETURN_IF_ERROR(CheckLimit(limit));
    WARDEN_ASSIGN_OR_RETURN(Lease lease, AcquireReader());
    WARDEN_ASSIGN_OR_RETURN(
        Stmt st, lease->Query("SELECT " WARDEN_SQL_HISTORY_COLUMNS " FROM history WHERE seq > ?1 "
                              "ORDER BY seq LIMIT ?2"));
    st.BindInt(1, after_seq).BindInt(2, limit);
    return ReadHistory(*lease, st);
  }

  Result<int64_t> LastSeq() override {
    WARDEN_ASSIGN_OR_RETURN(Lease lease, AcquireReader());
    return lease->QueryInt("SELECT COALESCE(MAX(seq), 0) FROM history");
  }

  const Clock* clock() const override { return clock_; }

 private:
  // A reader connection borrowed from the pool; returned when the Lease is destroyed.
  class Lease {
   public:
    Lease(SqliteStore* store, std::unique_ptr<SqliteDb> db) : store_(store), db_(std::move(db)) {}
    Lease(Lease&& other) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (db_ != nullptr) store_->ReleaseReader(std::move(db_));
    }
    SqliteDb* operator->() { return db_.get(); }
    SqliteDb& operator*() { return *db_; }

   private:
    SqliteStore* store_;
    std::unique_ptr<SqliteDb> db_;
  };

  Result<Lease> AcquireReader() {
    std::unique_lock lock(pool_mu_);
    pool_cv_.wait(lock,
                  [&] { return !idle_.empty() || open_readers_ < options_.reader_connections; });
    if (!idle_.empty()) {
      std::unique_ptr<SqliteDb> db = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(db));
    }
    ++open_readers_;
    lock.unlock();
    SqliteDbOptions o;
    o.query_only = true;
    o.busy_timeout_ms = options_.busy_timeout_ms;
    o.cache_size_kib = options_.cache_size_kib;
    Result<std::unique_ptr<SqliteDb>> db = SqliteDb::Open(path_, o);
    if (!db.ok()) {
      lock.lock();
      --open_readers_;
      pool_cv_.notify_one();
      return db.status();
    }
    return Lease(this, std::move(db).value());
  }

  void ReleaseReader(std::unique_ptr<SqliteDb> db) {
    std::lock_guard lock(pool_mu_);
    idle_.push_back(std::move(db));
    pool_cv_.notify_one();
  }

  static HistoryEntry BankEntry(int64_t now, std::string_view actor, HistoryAction action,
                                std::string_view bank) {
    HistoryEntry e;
    e.at_ms = now;
    e.actor = std::string(actor);
    e.action = action;
    e.bank = std::string(bank);
    return e;
  }

  // Runs `fn` inside BEGIN IMMEDIATE ... COMMIT on the writer; rolls back if it fails.
  template <typename Fn>
  auto WithWriteTxn(Fn&& fn) -> decltype(fn(std::declval<SqlTxn&>())) {
    std::lock_guard lock(write_mu_);
    WARDEN_RETURN_IF_ERROR(writer_->Exec("BEGIN IMMEDIATE"));
    SqlTxn txn(writer_.get());
    auto result = fn(txn);
    Status finished = StatusOf(result).ok() ? txn.Finish() : Status::Ok();
    if (!StatusOf(result).ok() || !finished.ok()) {
      (void)writer_->Exec("ROLLBACK");
      if (!finished.ok()) return finished;
      return result;
    }
    Status committed = writer_->Exec("COMMIT");
    if (!committed.ok()) {
      (void)writer_->Exec("ROLLBACK");
      return committed;
    }
    return result;
  }

  Result<BatchResult> Apply(const WriteBatch& batch, std::string_view actor, bool name_ops) {
    return WithWriteTxn([&](SqlTxn& txn) -> Result<BatchResult> {
      WARDEN_ASSIGN_OR_RETURN(BatchResult r,
                              ApplyWriteBatch(txn, batch, actor, clock_->NowMs(), name_ops));
      WARDEN_ASSIGN_OR_RETURN(r.last_seq,
                              writer_->QueryInt("SELECT COALESCE(MAX(seq), 0) FROM history"));
      return r;
    });
  }

  Result<StoreStats> ReadStats(SqliteDb& db) {
    StoreStats stats;
    {
      WARDEN_ASSIGN_OR_RETURN(Stmt st, db.Query("SELECT name FROM banks"));
      while (true) {
        WARDEN_ASSIGN_OR_RETURN(bool row, st.Step());
        if (!row) break;
        stats.by_bank[st.Text(0)];
        ++stats.banks;
      }
    }
    {
      // disable_until > now covers both kDisabledForever and a time still in the future.
      WARDEN_ASSIGN_OR_RETURN(
          Stmt st, db.Query("SELECT b.name, COUNT(*), SUM(i.disable_until > ?1) FROM items i "
                            "JOIN banks b ON b.id = i.bank_id GROUP BY b.name"));
      st.BindInt(1, clock_->NowMs());
      while (true) {
        WARDEN_ASSIGN_OR_RETURN(bool row, st.Step());
        if (!row) break;
        BankStats& b = stats.by_bank[st.Text(0)];
        b.items = st.Int(1);
        b.disabled_items = st.Int(2);
        stats.items += b.items;
      }
    }
    WARDEN_ASSIGN_OR_RETURN(
        Stmt st, db.Query("SELECT b.name, s.type, COUNT(*) FROM signals s JOIN banks b ON "
                          "b.id = s.bank_id GROUP BY b.name, s.type"));
    while (true) {
      WARDEN_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      Result<SignalType> type = ParseSignalType(st.Text(1));
      if (!type.ok()) {
        return Status::CorruptData(
            fmt::format("SQLite store {}: bad signal type in the "
                        "database: {}",
                        path_, type.status().message()));
      }
      stats.by_bank[st.Text(0)].signals[*type] += st.Int(2);
      stats.signals[*type] += st.Int(2);
    }
    return stats;
  }

  static Result<std::vector<HistoryEntry>> ReadHistory(SqliteDb& db, Stmt& st) {
    std::vector<HistoryEntry> out;
    while (true) {
      WARDEN_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) return out;
      WARDEN_ASSIGN_OR_RETURN(HistoryEntry e, ReadHistoryRow(db, st));
      out.push_back(std::move(e));
    }
  }

  const std::string path_;
  const SqliteStoreOptions options_;
  const Clock* const clock_;

  std::mutex write_mu_;
  std::unique_ptr<SqliteDb> writer_;  // guarded by write_mu_

  std::mutex pool_mu_;
  std::condition_variable pool_cv_;
  std::vector<std::unique_ptr<SqliteDb>> idle_;  // guarded by pool_mu_
  int open_readers_ = 0;                         // guarded by pool_mu_ (idle + leased)
};

}  // namespace

Result<std::unique_ptr<BankStore>> OpenSqliteStore(const std::string& path,
                                                   const SqliteStoreOptions& options) {
  if (path.empty() || path == ":memory:" || path.rfind("file:", 0) == 0) {
    return Status::InvalidArgument(fmt::format(
        "SQLite store path \"{}\" is not a file path (in-memory and URI databases are not "
        "supported; use NewMemoryStore)",
        path));
  }
  if (options.reader_connections < 1) {
    return Status::InvalidArgument(fmt::format("SQLite store {}: reader_connections {} is < 1",
                                               path, options.reader_connections));
  }
  SqliteDbOptions o;
  o.create = true;
  o.busy_timeout_ms = options.busy_timeout_ms;
  o.cache_size_kib = options.cache_size_kib;
  WARDEN_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDb> writer, SqliteDb::Open(path, o));
  WARDEN_RETURN_IF_ERROR(MigrateSchema(*writer));
  return std::unique_ptr<BankStore>(new SqliteStore(path, options, std::move(writer)));
}

}  // namespace warden
