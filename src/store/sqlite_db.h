// SqliteDb: one SQLite connection with a cache of prepared statements, and Stmt, a scoped use
// of one cached statement. Every SQLite error becomes a Status naming the database path.
//
// Thread safety: a SqliteDb (and its statements) may be used by one thread at a time; the
// store serialises access (writer mutex, reader pool). Connections are opened with
// SQLITE_OPEN_NOMUTEX for that reason.
#ifndef WARDEN_SRC_STORE_SQLITE_DB_H_
#define WARDEN_SRC_STORE_SQLITE_DB_H_

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "warden/status.h"

namespace warden {

class SqliteDb;

// A cached statement in use: bind, step, read columns. Resets the statement (and clears its
// bindings) when destroyed so the cache can hand it out again. Column and parameter indices
// follow SQLite: parameters from 1, columns from 0.
class Stmt {
 public:
  Stmt(SqliteDb* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  Stmt(Stmt&& other) noexcept : db_(other.db_), stmt_(other.stmt_) { other.stmt_ = nullptr; }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  Stmt& operator=(Stmt&&) = delete;
  ~Stmt();

  Stmt& BindInt(int index, int64_t value);
  Stmt& BindDouble(int index, double value);
  Stmt& BindText(int index, std::string_view value);
  Stmt& BindBlob(int index, std::string_view bytes);

  // Runs one step. Returns true if a row is ready, false when done.
  // Errors: the SQLite error as a Status (see SqliteDb::Error).
  Result<bool> Step();
  // Steps until done, ignoring rows (INSERT/UPDATE/DELETE).
  Status Run();

  int64_t Int(int column) const { return sqlite3_column_int64(stmt_, column); }
  double Double(int column) const { return sqlite3_column_double(stmt_, column); }
  // TEXT or BLOB bytes of a column ("" for NULL).
  std::string Text(int column) const;
  bool IsNull(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

 private:
  SqliteDb* db_;
  sqlite3_stmt* stmt_;
};

struct SqliteDbOptions {
  bool create = false;      // create the file if missing
  bool query_only = false;  // PRAGMA query_only (reader connections)
  int busy_timeout_ms = 5000;
  int64_t cache_size_kib = 65536;
};

class SqliteDb {
 public:
  // Opens `path` and sets journal_mode=WAL (writers only), foreign_keys=ON,
  // synchronous=NORMAL, busy_timeout and cache_size. Errors: kIoError if the file cannot be
  // opened; kCorruptData if it is not a SQLite database; each naming the path.
  static Result<std::unique_ptr<SqliteDb>> Open(const std::string& path,
                                                const SqliteDbOptions& options);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  // Runs one or more statements without results (sqlite3_exec).
  Status Exec(const char* sql);
  // The cached prepared statement for `sql` (compiled on first use). REQUIRES: `sql` is a
  // string literal: the cache is keyed by the pointer, which keeps lookups free of hashing
  // and allocation on the import path (several statements per item).
  Result<Stmt> Query(const char* sql);
  // Runs a statement that yields one integer (e.g. PRAGMA user_version).
  Result<int64_t> QueryInt(const char* sql);

  // The Status for SQLite result code `rc` while doing `what`, naming the path and SQLite's
  // message: NOTADB/CORRUPT -> kCorruptData, BUSY/LOCKED -> kUnavailable, FULL/IOERR/
  // CANTOPEN/READONLY/PERM -> kIoError, CONSTRAINT -> kAlreadyExists, else kInternal.
  Status Error(int rc, std::string_view what) const;

  sqlite3* raw() const { return db_; }
  const std::string& path() const { return path_; }

 private:
  SqliteDb(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

  sqlite3* db_;
  std::string path_;
  std::unordered_map<const char*, sqlite3_stmt*> cache_;
};

}  // namespace warden

#endif  // WARDEN_SRC_STORE_SQLITE_DB_H_
