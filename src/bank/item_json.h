// Item <-> JSON, the one JSON shape of an item used by the JSON Lines format (and available to
// the HTTP API): every field, so that ItemFromJson(ItemToJson(x)) == x for any valid item.
//
//   {"id":7,"bank":"B","signals":[{"type":"pdq","value":"<64 hex>","quality":90,
//    "algorithm":"pdq","algorithm_version":1}],
//    "classification":{"uk_category":"A","age_band":"7-10","self_generated":false,
//    "ai_or_manipulated":false,"sex":"girls","site_type":"","commercial":false,
//    "scheme_label":""},
//    "provenance":{"source_list":"","external_id":"","member_id":""},
//    "note":"","created_at_ms":0,"updated_at_ms":0,"disable_until_ms":0}
//
// On reading, only "signals" is required; a missing field keeps the Item default.
//
// Thread safety: reentrant functions only.
#ifndef WARDEN_SRC_BANK_ITEM_JSON_H_
#define WARDEN_SRC_BANK_ITEM_JSON_H_

#include <nlohmann/json.hpp>

#include "warden/bank.h"
#include "warden/bank_store.h"
#include "warden/status.h"

namespace warden {

nlohmann::json ItemToJson(const Item& item);

// A bank's settings as JSON (name, description, enabled, matching_ratio, kind, source,
// created_at_ms, updated_at_ms); with `stats`, also "items", "disabled_items" and "signals"
// (count per signal type). Used by `warden bank --format json` and the HTTP API.
nlohmann::json BankToJson(const Bank& bank, const BankStats* stats = nullptr);

// Reads an item, checking every field's JSON type and the enums; signals go through the
// import rules (MakeImportSignal). Errors: kInvalidArgument naming the field and the problem.
Result<Item> ItemFromJson(const nlohmann::json& j);

// Parses one JSON text; the dependency's exception is turned into a Status here.
// Errors: kInvalidArgument "bad JSON: ..." with the parser's position and reason.
Result<nlohmann::json> ParseJsonText(std::string_view text);

// Serialises with invalid UTF-8 replaced by U+FFFD rather than throwing.
std::string DumpJson(const nlohmann::json& j);

}  // namespace warden

#endif  // WARDEN_SRC_BANK_ITEM_JSON_H_
