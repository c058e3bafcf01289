#include "src/bank/item_json.h"

#include <fmt/core.h>

#include "src/bank/record_fields.h"

namespace warden {
namespace {

using nlohmann::json;

Status TypeError(std::string_view field, const char* want) {
  return Status::InvalidArgument(fmt::format("field \"{}\" must be {}", field, want));
}

// Each Get* leaves *out alone when the key is absent or null.
Status GetString(const json& obj, const char* key, std::string* out) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return Status::Ok();
  if (!it->is_string()) return TypeError(key, "a string");
  *out = it->get<std::string>();
  return Status::Ok();
}

Status GetBool(const json& obj, const char* key, bool* out) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return Status::Ok();
  if (!it->is_boolean()) return TypeError(key, "true or false");
  *out = it->get<bool>();
  return Status::Ok();
}

Status GetInt(const json& obj, const char* key, int64_t* out) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return Status::Ok();
  // is_number_integer is true for both signed and unsigned; an unsigned over INT64_MAX is
  // rejected rather than wrapped.
  if (!it->is_number_integer() ||
      (it->is_number_unsigned() &&
       it->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))) {
    return TypeError(key, "an integer");
  }
  *out = it->get<int64_t>();
  return Status::Ok();
}

template <typename E>
Status GetEnum(const json& obj, const char* key, Result<E> (*parse)(std::string_view), E* out) {
  std::string text;
  WARDEN_RETURN_IF_ERROR(GetString(obj, key, &text));
  if (text.empty()) return Status::Ok();
  Result<E> v = parse(text);
  if (!v.ok()) return v.status();
  *out = *v;
  return Status::Ok();
}

Result<BankSignal> SignalFromJson(const json& j) {
  if (!j.is_object()) return TypeError("signals[]", "an object");
  std::string type_name, value;
  int64_t quality = -1, version = 0;
  BankSignal out;
  WARDEN_RETURN_IF_ERROR(GetString(j, "type", &type_name));
  WARDEN_RETURN_IF_ERROR(GetString(j, "value", &value));
  WARDEN_RETURN_IF_ERROR(GetInt(j, "quality", &quality));
  WARDEN_RETURN_IF_ERROR(GetString(j, "algorithm", &out.algorithm));
  WARDEN_RETURN_IF_ERROR(GetInt(j, "algorithm_version", &version));
  if (type_name.empty()) return Status::InvalidArgument("signal is missing \"type\"");
  if (value.empty()) return Status::InvalidArgument("signal is missing \"value\"");
  if (quality < -1 || quality > 100) {
    return Status::InvalidArgument(fmt::format("quality {} is outside 0..100", quality));
  }
  if (version < 0 || version > std::numeric_limits<int>::max()) {
    return Status::InvalidArgument(fmt::format("algorithm_version {} is out of range", version));
  }
  WARDEN_ASSIGN_OR_RETURN(SignalType type, ParseSignalType(type_name));
  WARDEN_ASSIGN_OR_RETURN(out.signal, MakeImportSignal(type, value, static_cast<int>(quality)));
  out.algorithm_version = static_cast<int>(version);
  return out;
}

}  // namespace

json ItemToJson(const Item& item) {
  json signals = json::array();
  for (const BankSignal& s : item.signals) {
    signals.push_back({{"type", SignalTypeName(s.signal.type)},
                       {"value", s.signal.value},
                       {"quality", s.signal.quality},
                       {"algorithm", s.algorithm},
                       {"algorithm_version", s.algorithm_version}});
  }
  const Classification& c = item.classification;
  return json{{"id", item.id},
              {"bank", item.bank},
              {"signals", std::move(signals)},
              {"classification",
               {{"uk_category", UkCategoryName(c.uk_category)},
                {"age_band", AgeBandName(c.youngest_age)},
                {"self_generated", c.self_generated},
                {"ai_or_manipulated", c.ai_or_manipulated},
                {"sex", ChildSexName(c.sex)},
                {"site_type", c.site_type},
                {"commercial", c.commercial},
                {"scheme_label", c.scheme_label}}},
              {"provenance",
               {{"source_list", item.provenance.source_list},
                {"external_id", item.provenance.external_id},
                {"member_id", item.provenance.member_id}}},
              {"note", item.note},
              {"created_at_ms", item.created_at_ms},
              {"updated_at_ms", item.updated_at_ms},
              {"disable_until_ms", item.disable_until_ms}};
}

json BankToJson(const Bank& bank, const BankStats* stats) {
  json j = {{"name", bank.name},
            {"description", bank.description},
            {"enabled", bank.enabled},
            {"matching_ratio", bank.matching_ratio},
            {"kind", BankKindName(bank.kind)},
            {"source", BankSourceName(bank.source)},
            {"created_at_ms", bank.created_at_ms},
            {"updated_at_ms", bank.updated_at_ms}};
  if (stats != nullptr) {
    j["items"] = stats->items;
    j["disabled_items"] = stats->disabled_items;
    json signals = json::object();
    for (const auto& [type, n] : stats->signals) signals[SignalTypeName(type)] = n;
    j["signals"] = std::move(signals);
  }
  return j;
}

Result<Item> ItemFromJson(const json& j) {
  if (!j.is_object()) return Status::InvalidArgument("item must be a JSON object");
  Item item;
  WARDEN_RETURN_IF_ERROR(GetInt(j, "id", &item.id));
  WARDEN_RETURN_IF_ERROR(GetString(j, "bank", &item.bank));
  auto sig = j.find("signals");
  if (sig == j.end()) return Status::InvalidArgument("missing field \"signals\"");
  if (!sig->is_array() || sig->empty()) return TypeError("signals", "a non-empty array");
  if (sig->size() > kMaxSignalsPerItem) {
    return Status::InvalidArgument(
        fmt::format("{} signals, over the limit of {}", sig->size(), kMaxSignalsPerItem));
  }
  for (size_t i = 0; i < sig->size(); ++i) {
    Result<BankSignal> s = SignalFromJson((*sig)[i]);
    if (!s.ok()) return s.status().WithContext(fmt::format("signals[{}]", i));
    item.signals.push_back(std::move(s).value());
  }
  auto cls = j.find("classification");
  if (cls != j.end() && !cls->is_null()) {
    if (!cls->is_object()) return TypeError("classification", "an object");
    Classification& c = item.classification;
    WARDEN_RETURN_IF_ERROR(GetEnum(*cls, "uk_category", &ParseUkCategory, &c.uk_category));
    WARDEN_RETURN_IF_ERROR(GetEnum(*cls, "age_band", &ParseAgeBand, &c.youngest_age));
    WARDEN_RETURN_IF_ERROR(GetBool(*cls, "self_generated", &c.self_generated));
    WARDEN_RETURN_IF_ERROR(GetBool(*cls, "ai_or_manipulated", &c.ai_or_manipulated));
    WARDEN_RETURN_IF_ERROR(GetEnum(*cls, "sex", &ParseChildSex, &c.sex));
    WARDEN_RETURN_IF_ERROR(GetString(*cls, "site_type", &c.site_type));
    WARDEN_RETURN_IF_ERROR(GetBool(*cls, "commercial", &c.commercial));
    WARDEN_RETURN_IF_ERROR(GetString(*cls, "scheme_label", &c.scheme_label));
  }
  auto prov = j.find("provenance");
  if (prov != j.end() && !prov->is_null()) {
    if (!prov->is_object()) return TypeError("provenance", "an object");
    WARDEN_RETURN_IF_ERROR(GetString(*prov, "source_list", &item.provenance.source_list));
    WARDEN_RETURN_IF_ERROR(GetString(*prov, "external_id", &item.provenance.external_id));
    WARDEN_RETURN_IF_ERROR(GetString(*prov, "member_id", &item.provenance.member_id));
  }
  WARDEN_RETURN_IF_ERROR(GetString(j, "note", &item.note));
  WARDEN_RETURN_IF_ERROR(GetInt(j, "created_at_ms", &item.created_at_ms));
  WARDEN_RETURN_IF_ERROR(GetInt(j, "updated_at_ms", &item.updated_at_ms));
  WARDEN_RETURN_IF_ERROR(GetInt(j, "disable_until_ms", &item.disable_until_ms));
  return item;
}

Result<json> ParseJsonText(std::string_view text) {
  // nlohmann reports the position and reason only through its exception; this is the edge
  // where that dependency's exception becomes a Status. Not only parse_error: a number too
  // large for a double ("1e999") throws out_of_range (406), found by fuzz/bank_records_fuzz.
  try {
    return json::parse(text.begin(), text.end());
  } catch (const json::exception& e) {
    std::string what = e.what();
    // Drop the "[json.exception.parse_error.101] " tag: the reason is the useful part.
    size_t tag = what.find("] ");
    if (tag != std::string::npos) what = what.substr(tag + 2);
    return Status::InvalidArgument("bad JSON: " + ShownForReason(what, 200));
  }
}

std::string DumpJson(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace warden
