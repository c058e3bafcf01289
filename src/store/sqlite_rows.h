// How banks, items and history entries map onto rows of the SQLite schema
// (sqlite_schema.cc): the SELECT column lists, and functions that read rows back into the
// model types, reporting a row the model cannot represent as kCorruptData.
//
// Thread safety: reentrant; the statements passed in follow SqliteDb's rules.
#ifndef WARDEN_SRC_STORE_SQLITE_ROWS_H_
#define WARDEN_SRC_STORE_SQLITE_ROWS_H_

#include <string>
#include <string_view>
#include <vector>

#include "src/store/sqlite_db.h"
#include "warden/bank.h"
#include "warden/status.h"

namespace warden {

// Columns of a bank row: "SELECT " WARDEN_SQL_BANK_COLUMNS " FROM banks ...".
#define WARDEN_SQL_BANK_COLUMNS \
  "id, name, description, enabled, matching_ratio, kind, source, created_at, updated_at"

// A query yielding one row per (item, signal), ordered by item id then signal position:
//   WARDEN_SQL_ITEM_SELECT "WHERE <condition on i.id> ORDER BY i.id, s.pos"
#define WARDEN_SQL_ITEM_SELECT                                                             \
  "SELECT i.id, b.name, i.uk_category, i.youngest_age, i.self_generated, "                 \
  "i.ai_or_manipulated, i.sex, i.site_type, i.commercial, i.scheme_label, i.source_list, " \
  "i.external_id, i.member_id, i.note, i.created_at, i.updated_at, i.disable_until, "      \
  "s.type, s.value, s.quality, s.algorithm, s.algorithm_version "                          \
  "FROM items i JOIN banks b ON b.id = i.bank_id JOIN signals s ON s.item_id = i.id "

// Columns of a history row.
#define WARDEN_SQL_HISTORY_COLUMNS "seq, at, actor, action, bank, item_id, detail"

// Raw bytes of canonical hex (REQUIRES: even length, digits 0-9a-f) and back.
std::string HexToBytes(std::string_view hex);
std::string BytesToHex(std::string_view bytes);

// Reads the current row of a WARDEN_SQL_BANK_COLUMNS query.
Result<Bank> ReadBankRow(const SqliteDb& db, const Stmt& stmt);
// Steps a WARDEN_SQL_ITEM_SELECT query to the end, grouping rows into items.
Result<std::vector<Item>> ReadItemRows(const SqliteDb& db, Stmt& stmt);
// Reads the current row of a WARDEN_SQL_HISTORY_COLUMNS query.
Result<HistoryEntry> ReadHistoryRow(const SqliteDb& db, const Stmt& stmt);

}  // namespace warden

#endif  // WARDEN_SRC_STORE_SQLITE_ROWS_H_
