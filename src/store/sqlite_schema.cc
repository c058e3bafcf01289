#include "src/store/sqlite_schema.h"

#include <fmt/core.h>

#include "warden/bank_store.h"

namespace warden {
namespace {

// Never edit a migration that has shipped: append a new one instead.
constexpr const char* kMigrations[] = {
    // 1: banks, items, their signals and the append-only history.
    // - Item ids come from counters.next_item_id (SqlTxn assigns them and stores the next one
    //   with the transaction), so ids of deleted items are never reused without paying
    //   AUTOINCREMENT's extra table update per row. Banks are few and use AUTOINCREMENT.
    //   History rows are never deleted, so max(seq) + 1 is already monotonic.
    // - signals is WITHOUT ROWID keyed by (item_id, pos): one B-tree serves both the rows and
    //   the lookup by item, and pos keeps the signals in the order they were given.
    // - signals.bank_id duplicates items.bank_id so that the dedupe lookup (does this bank
    //   hold this (type, value)?) is one probe of signals_dedupe. That index holds only
    //   (bank_id, prefix), prefix = the value's first 8 bytes as an integer (for a local
    //   signal, whose values share a header: a 64-bit FNV-1a hash of the value, see
    //   ValuePrefix in sqlite_store.cc): about a third of
    //   the size of an index on the whole value, so a large import dirties far fewer index
    //   pages per commit. It is not UNIQUE (near-duplicate hashes can share a prefix); the
    //   store checks type and value of the few candidates, and enforces "a bank holds a
    //   (type, value) once" itself, inside the writer's BEGIN IMMEDIATE transaction.
    // - signal values are stored as raw bytes (BLOB): half the size of hex, and the dedupe
    //   index stays small enough to live in the page cache during a large import.
    // - enums are stored as their canonical names, so reordering an enum can never
    //   reinterpret old rows.
    R"sql(
CREATE TABLE counters (
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL
);
INSERT INTO counters (name, value) VALUES ('next_item_id', 1);
CREATE TABLE banks (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE,
  description TEXT NOT NULL,
  enabled INTEGER NOT NULL,
  matching_ratio REAL NOT NULL,
  kind TEXT NOT NULL,
  source TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE items (
  id INTEGER PRIMARY KEY,
  bank_id INTEGER NOT NULL REFERENCES banks(id) ON DELETE CASCADE,
  uk_category TEXT NOT NULL,
  youngest_age TEXT NOT NULL,
  self_generated INTEGER NOT NULL,
  ai_or_manipulated INTEGER NOT NULL,
  sex TEXT NOT NULL,
  site_type TEXT NOT NULL,
  commercial INTEGER NOT NULL,
  scheme_label TEXT NOT NULL,
  source_list TEXT NOT NULL,
  external_id TEXT NOT NULL,
  member_id TEXT NOT NULL,
  note TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  disable_until INTEGER NOT NULL
);
CREATE INDEX items_by_bank ON items(bank_id, id);
CREATE TABLE signals (
  item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
  pos INTEGER NOT NULL,
  bank_id INTEGER NOT NULL,
  type TEXT NOT NULL,
  value BLOB NOT NULL,
  prefix INTEGER NOT NULL,
  quality INTEGER NOT NULL,
  algorithm TEXT NOT NULL,
  algorithm_version INTEGER NOT NULL,
  PRIMARY KEY (item_id, pos)
) WITHOUT ROWID;
CREATE INDEX signals_dedupe ON signals(bank_id, prefix);
CREATE TABLE history (
  seq INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  bank TEXT NOT NULL,
  item_id INTEGER NOT NULL,
  detail TEXT NOT NULL
);
)sql",
};

constexpr int kCount = static_cast<int>(sizeof(kMigrations) / sizeof(kMigrations[0]));
static_assert(kCount == kSqliteSchemaVersion, "kSqliteSchemaVersion must equal the migrations");

}  // namespace

int SqliteMigrationCount() { return kCount; }

Status MigrateSchema(SqliteDb& db) {
  WARDEN_ASSIGN_OR_RETURN(int64_t version, db.QueryInt("PRAGMA user_version"));
  if (version > kCount) {
    return Status::UnsupportedFormat(fmt::format(
        "SQLite store {}: schema version {} is newer than this Warden understands ({}); "
        "upgrade Warden",
        db.path(), version, kCount));
  }
  if (version < 0) {
    return Status::CorruptData(
        fmt::format("SQLite store {}: schema version {} is negative", db.path(), version));
  }
  for (int v = static_cast<int>(version); v < kCount; ++v) {
    WARDEN_RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE"));
    // user_version cannot be a bound parameter; v + 1 is our own integer.
    std::string bump = fmt::format("PRAGMA user_version={}", v + 1);
    Status s = db.Exec(kMigrations[v]);
    if (s.ok()) s = db.Exec(bump.c_str());
    if (s.ok()) s = db.Exec("COMMIT");
    if (!s.ok()) {
      (void)db.Exec("ROLLBACK");
      return s.WithContext(fmt::format("migrating to schema version {}", v + 1));
    }
  }
  return Status::Ok();
}

}  // namespace warden
