// The SQLite store's schema: an ordered list of migrations, the i-th taking a database from
// PRAGMA user_version i to i + 1. Each runs in its own transaction together with the
// user_version bump, so a crash mid-migration leaves the previous version intact.
//
// Thread safety: MigrateSchema needs exclusive use of `db` (call it right after opening).
#ifndef WARDEN_SRC_STORE_SQLITE_SCHEMA_H_
#define WARDEN_SRC_STORE_SQLITE_SCHEMA_H_

#include "src/store/sqlite_db.h"
#include "warden/status.h"

namespace warden {

// The number of migrations, i.e. the schema version this code writes (kSqliteSchemaVersion).
int SqliteMigrationCount();

// Brings `db` to the newest schema version. Errors: kUnsupportedFormat if the file's version
// is newer than this code knows (naming both versions and the path); SQLite errors otherwise.
Status MigrateSchema(SqliteDb& db);

}  // namespace warden

#endif  // WARDEN_SRC_STORE_SQLITE_SCHEMA_H_
