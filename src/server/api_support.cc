#include "src/server/api_support.h"

#include <fmt/core.h>

#include <charconv>
#include <cmath>
#include <limits>

#include "src/bank/item_json.h"

namespace warden {

using nlohmann::json;

std::pair<int, std::string> ErrorCodeFor(const Status& status, ErrorDomain domain) {
  const StatusCode code = status.code();
  switch (domain) {
    case ErrorDomain::kHash:
      if (code == StatusCode::kInvalidArgument) return {400, "malformed_hash"};
      break;
    case ErrorDomain::kImage:
      if (code == StatusCode::kUnsupportedFormat || code == StatusCode::kCorruptData ||
          code == StatusCode::kTruncated) {
        return {400, "not_an_image"};
      }
      if (code == StatusCode::kTooLarge) return {413, "image_too_large"};
      break;
    case ErrorDomain::kBank:
      if (code == StatusCode::kNotFound) return {404, "unknown_bank"};
      break;
    case ErrorDomain::kItem:
      if (code == StatusCode::kNotFound) return {404, "unknown_item"};
      break;
    case ErrorDomain::kFetch:
      // A URL that is not http(s) or points into a private network is refused by policy; a URL
      // that was allowed but could not be fetched is the upstream's failure (502).
      if (code == StatusCode::kInvalidArgument || code == StatusCode::kPermissionDenied) {
        return {403, "url_refused"};
      }
      if (code == StatusCode::kUnavailable || code == StatusCode::kTooLarge ||
          code == StatusCode::kIoError) {
        return {502, "fetch_failed"};
      }
      break;
    case ErrorDomain::kGeneric:
      break;
  }
  switch (code) {
    case StatusCode::kInvalidArgument: return {400, "bad_request"};
    case StatusCode::kNotFound: return {404, "not_found"};
    case StatusCode::kAlreadyExists: return {409, "already_exists"};
    case StatusCode::kUnsupportedFormat:
    case StatusCode::kCorruptData:
    case StatusCode::kTruncated: return {400, "bad_request"};
    case StatusCode::kTooLarge: return {413, "body_too_large"};
    case StatusCode::kPermissionDenied: return {403, "permission_denied"};
    case StatusCode::kUnauthenticated: return {401, "unauthenticated"};
    case StatusCode::kResourceExhausted: return {429, "rate_limited"};
    case StatusCode::kUnavailable: return {503, "unavailable"};
    case StatusCode::kOk:
    case StatusCode::kIoError:
    case StatusCode::kInternal: break;
  }
  return {500, "internal"};
}

http::Response ErrorFromStatus(const Status& status, ErrorDomain domain) {
  auto [http_status, code] = ErrorCodeFor(status, domain);
  return http::ErrorResponse(http_status, code, status.message());
}

http::Response JsonResponse(const json& j, int status) {
  return http::Response::Json(status, DumpJson(j));
}

Result<json> ParseJsonObjectBody(const http::Request& request) {
  if (request.body.empty()) return Status::InvalidArgument("body: a JSON object is required");
  Result<json> j = ParseJsonText(request.body);
  if (!j.ok()) return Status::InvalidArgument("body: " + j.status().message());
  if (!j->is_object()) return Status::InvalidArgument("body: must be a JSON object");
  return j;
}

Result<bool> QueryBool(const http::Request& request, std::string_view name, bool fallback) {
  std::optional<std::string> v = request.Query(name);
  if (!v) return fallback;
  if (*v == "true" || *v == "1" || *v == "yes") return true;
  if (*v == "false" || *v == "0" || *v == "no" || v->empty()) return false;
  return Status::InvalidArgument(
      fmt::format("parameter '{}' must be true or false, got '{}'", name, *v));
}

Result<int64_t> QueryInt(const http::Request& request, std::string_view name, int64_t fallback,
                         int64_t min, int64_t max) {
  std::optional<std::string> v = request.Query(name);
  if (!v) return fallback;
  int64_t out = 0;
  auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  if (ec != std::errc() || end != v->data() + v->size() || out < min || out > max) {
    return Status::InvalidArgument(fmt::format("parameter '{}' must be an integer in {}..{}, got '{}'",
                                               name, min, max, *v));
  }
  return out;
}

std::vector<std::string> QueryList(const http::Request& request, std::string_view name) {
  std::vector<std::string> out;
  auto [begin, end] = request.query.equal_range(std::string(name));
  for (auto it = begin; it != end; ++it) {
    std::string_view rest = it->second;
    while (!rest.empty()) {
      size_t comma = rest.find(',');
      std::string_view part = rest.substr(0, comma);
      while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
      while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
      if (!part.empty()) out.emplace_back(part);
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return out;
}

Result<int64_t> ParseItemId(std::string_view text) {
  int64_t id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size() || id <= 0) {
    return Status::InvalidArgument(fmt::format("item id must be a positive integer, got '{}'",
                                               text.substr(0, 40)));
  }
  return id;
}

json ClassificationJson(const Classification& c) {
  return {{"uk_category", UkCategoryName(c.uk_category)},
          {"age_band", AgeBandName(c.youngest_age)},
          {"self_generated", c.self_generated},
          {"ai_or_manipulated", c.ai_or_manipulated},
          {"sex", ChildSexName(c.sex)},
          {"site_type", c.site_type},
          {"commercial", c.commercial},
          {"scheme_label", c.scheme_label}};
}

json ProvenanceJson(const Provenance& p) {
  return {{"source_list", p.source_list},
          {"external_id", p.external_id},
          {"member_id", p.member_id}};
}


json HmaBankJson(const Bank& bank) {
  // HMA has one knob, matching_enabled_ratio; a disabled Warden bank reads as ratio 0.
  json j = BankToJson(bank);
  j["matching_enabled_ratio"] = bank.enabled ? bank.matching_ratio : 0.0;
  return j;
}

namespace {

// Three decimals are plenty for a score or a coverage fraction and keep answers short.
double Rounded(double v) { return std::round(v * 1000) / 1000; }

}  // namespace

json LocalRegionJson(const LocalBox& box) {
  // Whole query pixels that contain the inliers' box.
  return {{"x0", static_cast<int64_t>(std::floor(box.x0))},
          {"y0", static_cast<int64_t>(std::floor(box.y0))},
          {"x1", static_cast<int64_t>(std::ceil(box.x1))},
          {"y1", static_cast<int64_t>(std::ceil(box.y1))}};
}

json MatchJson(const Match& m) {
  const bool local = m.signal_type == SignalType::kLocal;
  json j = {{"bank", m.bank},
            {"bank_kind", BankKindName(m.bank_kind)},
            {"item_id", m.item_id},
            {"signal_type", SignalTypeName(m.signal_type)},
            // A local match has no distance, and its value (up to 8 KB of hex) is not echoed.
            {"signal_value", local ? json(nullptr) : json(m.signal_value)},
            {"distance", local ? json(nullptr) : json(m.distance)},
            {"classification", ClassificationJson(m.classification)},
            {"provenance", ProvenanceJson(m.provenance)}};
  if (m.signal_type == SignalType::kPdq) j["dihedral"] = DihedralName(m.dihedral);
  if (m.local) {
    j["score"] = Rounded(m.local->score);
    j["inliers"] = m.local->inliers;
    j["coverage"] = Rounded(m.local->coverage);
    j["region"] = LocalRegionJson(m.local->region);
  }
  if (!m.suppressed_by_bank.empty()) {
    j["suppressed_by"] = {{"bank", m.suppressed_by_bank}, {"item_id", m.suppressed_by_item}};
  }
  return j;
}

json LookupResultJson(const LookupResult& r) {
  json matches = json::array(), negative = json::array(), suppressed = json::array();
  for (const Match& m : r.matches) matches.push_back(MatchJson(m));
  for (const Match& m : r.negative) negative.push_back(MatchJson(m));
  for (const Match& m : r.suppressed) suppressed.push_back(MatchJson(m));
  return {{"matched", r.matched()},
          {"matches", std::move(matches)},
          {"negative", std::move(negative)},
          {"suppressed", std::move(suppressed)},
          {"notes", r.notes}};
}

}  // namespace warden
