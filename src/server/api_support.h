// What every route of `warden serve` shares: the mapping from a Status to the API's stable error
// codes (docs/api.md, "Errors"), JSON answers, query-parameter parsing, and the JSON shapes of
// banks, items and matches.
//
// Thread safety: reentrant functions only.
#ifndef WARDEN_SRC_SERVER_API_SUPPORT_H_
#define WARDEN_SRC_SERVER_API_SUPPORT_H_

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "src/http/http_message.h"
#include "warden/bank.h"
#include "warden/bank_store.h"
#include "warden/matcher.h"
#include "warden/status.h"

namespace warden {

// What a failed Status is about, so that e.g. kNotFound becomes "unknown_bank" or
// "unknown_item" and kInvalidArgument "malformed_hash" or "bad_request".
enum class ErrorDomain { kGeneric, kHash, kImage, kBank, kItem, kFetch };

// The HTTP answer for a failed `status` (REQUIRES: !status.ok()).
http::Response ErrorFromStatus(const Status& status, ErrorDomain domain = ErrorDomain::kGeneric);
// The stable code and HTTP status ErrorFromStatus would use.
std::pair<int, std::string> ErrorCodeFor(const Status& status, ErrorDomain domain);

inline http::Response BadRequest(std::string_view message) {
  return http::ErrorResponse(400, "bad_request", message);
}

// 200 (or `status`) with `j` serialised (invalid UTF-8 replaced, never throws).
http::Response JsonResponse(const nlohmann::json& j, int status = 200);

// Parses the request body as a JSON object. Errors: kInvalidArgument "body: ..." for bad JSON
// or a body that is not an object.
Result<nlohmann::json> ParseJsonObjectBody(const http::Request& request);

// Query parameter helpers. Errors: kInvalidArgument naming the parameter and the value.
Result<bool> QueryBool(const http::Request& request, std::string_view name, bool fallback);
Result<int64_t> QueryInt(const http::Request& request, std::string_view name, int64_t fallback,
                         int64_t min, int64_t max);
// A comma-separated list ("A,B"); empty entries dropped; absent = empty.
std::vector<std::string> QueryList(const http::Request& request, std::string_view name);

// Parses a path segment as an item id (> 0). Errors: kInvalidArgument.
Result<int64_t> ParseItemId(std::string_view text);

// ---- JSON shapes (docs/api.md) ----
nlohmann::json ClassificationJson(const Classification& c);
nlohmann::json ProvenanceJson(const Provenance& p);
// HMA's bank object: {"name", "matching_enabled_ratio"} plus Warden's fields (BankToJson,
// src/bank/item_json.h).
nlohmann::json HmaBankJson(const Bank& bank);
// {"x0", "y0", "x1", "y1"}: the whole query pixels containing `box` (floor, ceil).
nlohmann::json LocalRegionJson(const LocalBox& box);
// The /v1 Match object. A local match has "distance" and "signal_value" null; a match with
// local evidence (Match::local) adds "score", "inliers", "coverage" and "region".
nlohmann::json MatchJson(const Match& m);
// {"matched", "matches", "negative", "suppressed", "notes"}.
nlohmann::json LookupResultJson(const LookupResult& r);

}  // namespace warden

#endif  // WARDEN_SRC_SERVER_API_SUPPORT_H_
