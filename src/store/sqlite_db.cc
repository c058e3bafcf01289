#include "src/store/sqlite_db.h"

#include <fmt/core.h>

#include <utility>

namespace warden {

Stmt::~Stmt() {
  if (stmt_ != nullptr) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
}

// Binding can only fail on a wrong index or a value over SQLITE_MAX_LENGTH; the first is a
// programmer error and the second cannot happen because every field is length-checked first.
Stmt& Stmt::BindInt(int index, int64_t value) {
  WARDEN_CHECK(sqlite3_bind_int64(stmt_, index, value) == SQLITE_OK);
  return *this;
}

Stmt& Stmt::BindDouble(int index, double value) {
  WARDEN_CHECK(sqlite3_bind_double(stmt_, index, value) == SQLITE_OK);
  return *this;
}

Stmt& Stmt::BindText(int index, std::string_view value) {
  WARDEN_CHECK(sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()),
                                 SQLITE_TRANSIENT) == SQLITE_OK);
  return *this;
}

Stmt& Stmt::BindBlob(int index, std::string_view bytes) {
  WARDEN_CHECK(sqlite3_bind_blob(stmt_, index, bytes.data(), static_cast<int>(bytes.size()),
                                 SQLITE_TRANSIENT) == SQLITE_OK);
  return *this;
}

Result<bool> Stmt::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return db_->Error(rc, sqlite3_sql(stmt_));
}

Status Stmt::Run() {
  while (true) {
    WARDEN_ASSIGN_OR_RETURN(bool row, Step());
    if (!row) return Status::Ok();
  }
}

std::string Stmt::Text(int column) const {
  const void* data = sqlite3_column_blob(stmt_, column);
  int size = sqlite3_column_bytes(stmt_, column);
  if (data == nullptr || size <= 0) return {};
  return std::string(static_cast<const char*>(data), static_cast<size_t>(size));
}

Result<std::unique_ptr<SqliteDb>> SqliteDb::Open(const std::string& path,
                                                 const SqliteDbOptions& options) {
  sqlite3* raw = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  if (options.create) flags |= SQLITE_OPEN_CREATE;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    sqlite3_close(raw);
    return Status::IoError(fmt::format("SQLite store {}: cannot open: {}", path, message));
  }
  sqlite3_extended_result_codes(raw, 1);
  std::unique_ptr<SqliteDb> db(new SqliteDb(raw, path));
  sqlite3_busy_timeout(raw, options.busy_timeout_ms);
  // The first statement that reads the file is where a non-database file shows up (SQLite
  // opens lazily), so journal_mode comes first and its error is reported as such.
  if (options.create) {
    WARDEN_RETURN_IF_ERROR(db->Exec("PRAGMA journal_mode=WAL"));
  } else {
    WARDEN_RETURN_IF_ERROR(db->QueryInt("PRAGMA user_version").status());
  }
  WARDEN_RETURN_IF_ERROR(db->Exec("PRAGMA foreign_keys=ON"));
  // In WAL mode NORMAL keeps every committed transaction across a process crash; only an OS
  // crash or power loss can lose the last few.
  WARDEN_RETURN_IF_ERROR(db->Exec("PRAGMA synchronous=NORMAL"));
  std::string cache = fmt::format("PRAGMA cache_size=-{}", options.cache_size_kib);
  WARDEN_RETURN_IF_ERROR(db->Exec(cache.c_str()));
  if (options.query_only) {
    WARDEN_RETURN_IF_ERROR(db->Exec("PRAGMA query_only=ON"));
  } else {
    // Checkpoint every ~16 MB of WAL instead of SQLite's 4 MB: a checkpoint ends in an fsync of
    // the database file, and a 10,000-item import batch alone writes several MB.
    WARDEN_RETURN_IF_ERROR(db->Exec("PRAGMA wal_autocheckpoint=4096"));
  }
  return db;
}

SqliteDb::~SqliteDb() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close(db_);
}

Status SqliteDb::Exec(const char* sql) {
  char* message = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &message);
  if (rc == SQLITE_OK) return Status::Ok();
  std::string text = message != nullptr ? message : sqlite3_errstr(rc);
  sqlite3_free(message);
  Status s = Error(rc, sql);
  if ((rc & 0xff) == SQLITE_NOTADB) return s;  // its message is already the clearest
  return Status(s.code(), fmt::format("SQLite store {}: {}: {}", path_, sql, text));
}

Result<Stmt> SqliteDb::Query(const char* sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(stmt);
      return Error(rc, sql);
    }
    it = cache_.emplace(sql, stmt).first;
  }
  return Stmt(this, it->second);
}

Result<int64_t> SqliteDb::QueryInt(const char* sql) {
  WARDEN_ASSIGN_OR_RETURN(Stmt stmt, Query(sql));
  WARDEN_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return Status::Internal(fmt::format("SQLite store {}: {} gave no row", path_, sql));
  return stmt.Int(0);
}

Status SqliteDb::Error(int rc, std::string_view what) const {
  std::string message = fmt::format("SQLite store {}: {}: {}", path_, what, sqlite3_errmsg(db_));
  switch (rc & 0xff) {
    case SQLITE_NOTADB:
      return Status::CorruptData(
          fmt::format("SQLite store {}: file is not a SQLite database", path_));
    case SQLITE_CORRUPT:
      return Status::CorruptData(message);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Status::Unavailable(message);
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
      return Status::IoError(message);
    case SQLITE_CONSTRAINT:
      return Status::AlreadyExists(message);
    default:
      return Status::Internal(message);
  }
}

}  // namespace warden
