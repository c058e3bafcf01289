#include "src/store/sqlite_rows.h"

#include <fmt/core.h>

#include <utility>

#include "warden/local_features.h"

namespace warden {
namespace {

int HexValue(char c) { return c <= '9' ? c - '0' : c - 'a' + 10; }

// A value the model cannot represent means the file was edited or damaged by something else.
template <typename T>
Result<T> Checked(const SqliteDb& db, Result<T> r, std::string_view column) {
  if (r.ok()) return r;
  return Status::CorruptData(fmt::format("SQLite store {}: bad {} in the database: {}", db.path(),
                                         column, r.status().message()));
}

}  // namespace

std::string HexToBytes(std::string_view hex) {
  std::string out(hex.size() / 2, '\0');
  for (size_t i = 0; i < out.size(); ++i) {
    out[i] = static_cast<char>(HexValue(hex[2 * i]) << 4 | HexValue(hex[2 * i + 1]));
  }
  return out;
}

std::string BytesToHex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(bytes.size() * 2, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) {
    auto b = static_cast<unsigned char>(bytes[i]);
    out[2 * i] = kDigits[b >> 4];
    out[2 * i + 1] = kDigits[b & 15];
  }
  return out;
}

Result<Bank> ReadBankRow(const SqliteDb& db, const Stmt& stmt) {
  Bank bank;
  bank.id = stmt.Int(0);
  bank.name = stmt.Text(1);
  bank.description = stmt.Text(2);
  bank.enabled = stmt.Int(3) != 0;
  bank.matching_ratio = stmt.Double(4);
  WARDEN_ASSIGN_OR_RETURN(bank.kind, Checked(db, ParseBankKind(stmt.Text(5)), "bank kind"));
  WARDEN_ASSIGN_OR_RETURN(bank.source, Checked(db, ParseBankSource(stmt.Text(6)), "bank source"));
  bank.created_at_ms = stmt.Int(7);
  bank.updated_at_ms = stmt.Int(8);
  return bank;
}

Result<std::vector<Item>> ReadItemRows(const SqliteDb& db, Stmt& stmt) {
  std::vector<Item> items;
  while (true) {
    WARDEN_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    int64_t id = stmt.Int(0);
    if (items.empty() || items.back().id != id) {
      Item item;
      item.id = id;
      item.bank = stmt.Text(1);
      Classification& c = item.classification;
      WARDEN_ASSIGN_OR_RETURN(c.uk_category,
                              Checked(db, ParseUkCategory(stmt.Text(2)), "UK category"));
      WARDEN_ASSIGN_OR_RETURN(c.youngest_age, Checked(db, ParseAgeBand(stmt.Text(3)), "age band"));
      c.self_generated = stmt.Int(4) != 0;
      c.ai_or_manipulated = stmt.Int(5) != 0;
      WARDEN_ASSIGN_OR_RETURN(c.sex, Checked(db, ParseChildSex(stmt.Text(6)), "sex"));
      c.site_type = stmt.Text(7);
      c.commercial = stmt.Int(8) != 0;
      c.scheme_label = stmt.Text(9);
      item.provenance.source_list = stmt.Text(10);
      item.provenance.external_id = stmt.Text(11);
      item.provenance.member_id = stmt.Text(12);
      item.note = stmt.Text(13);
      item.created_at_ms = stmt.Int(14);
      item.updated_at_ms = stmt.Int(15);
      item.disable_until_ms = stmt.Int(16);
      items.push_back(std::move(item));
    }
    BankSignal s;
    WARDEN_ASSIGN_OR_RETURN(s.signal.type,
                            Checked(db, ParseSignalType(stmt.Text(17)), "signal type"));
    std::string bytes = stmt.Text(18);
    // A local value has no fixed length (SignalHexLength 0) but is never empty or over the
    // stored form's limit; it is decoded by whoever uses it, not on every read.
    const bool size_ok = s.signal.type == SignalType::kLocal
                             ? !bytes.empty() && bytes.size() <= kLocalMaxStoredBytes
                             : static_cast<int>(bytes.size()) * 2 == SignalHexLength(s.signal.type);
    if (!size_ok) {
      return Status::CorruptData(fmt::format("SQLite store {}: item {} has a {} value of {} bytes",
                                             db.path(), id, SignalTypeName(s.signal.type),
                                             bytes.size()));
    }
    s.signal.value = BytesToHex(bytes);
    s.signal.quality = static_cast<int>(stmt.Int(19));
    s.algorithm = stmt.Text(20);
    s.algorithm_version = static_cast<int>(stmt.Int(21));
    items.back().signals.push_back(std::move(s));
  }
  return items;
}

Result<HistoryEntry> ReadHistoryRow(const SqliteDb& db, const Stmt& stmt) {
  HistoryEntry e;
  e.seq = stmt.Int(0);
  e.at_ms = stmt.Int(1);
  e.actor = stmt.Text(2);
  WARDEN_ASSIGN_OR_RETURN(e.action,
                          Checked(db, ParseHistoryAction(stmt.Text(3)), "history action"));
  e.bank = stmt.Text(4);
  e.item_id = stmt.Int(5);
  e.detail = stmt.Text(6);
  return e;
}

}  // namespace warden
