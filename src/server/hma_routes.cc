// HMA 2.0's paths and answer shapes (docs/api.md, "HMA paths"), on Warden's banks and matcher.
#include <fmt/core.h>

#include <map>
#include <nlohmann/json.hpp>

#include "src/bank/item_json.h"
#include "src/server/api_support.h"
#include "src/server/service_context.h"
#include "src/server/upload.h"
#include "warden/pdq.h"
#include "warden/pdq_index.h"

namespace warden {
namespace {

using nlohmann::json;

constexpr int64_t kHmaDisabledForeverTs = 2147483647;  // what we answer for "disabled, no end"

http::RouteOptions BlockingRoute(int64_t max_body_bytes = 0) {
  http::RouteOptions options;
  options.blocking = true;
  options.max_body_bytes = max_body_bytes;
  return options;
}

// A lookup by hash stays on the event loop; one that must fetch ?url= first goes to the pool.
http::RouteOptions BlockingWithUrl() {
  http::RouteOptions options;
  options.blocking_when = [](const http::Request& r) { return r.Query("url").has_value(); };
  return options;
}

// ?signal_type=&signal= as a Signal. Errors: 400 bad_request (missing) or malformed_hash.
constexpr char kNoLocalOnHma[] =
    "signal type \"local\" is not served on HMA paths: use /v1/lookup or /v1/match";

Result<Signal> SignalFromQuery(const http::Request& request) {
  std::optional<std::string> type = request.Query("signal_type");
  std::optional<std::string> value = request.Query("signal");
  if (!type || !value) {
    return Status::InvalidArgument("either url or both signal and signal_type are required");
  }
  WARDEN_ASSIGN_OR_RETURN(SignalType t, ParseSignalType(*type));
  // HMA knows no local features (Warden's /v1/lookup and /v1/match match them).
  if (t == SignalType::kLocal) return Status::InvalidArgument(kNoLocalOnHma);
  return Signal::Make(t, *value);
}

http::Response SignalError(const Status& status) {
  // A missing parameter is a bad request; a malformed value or unknown type is a malformed hash.
  if (status.message().rfind("either url", 0) == 0) return BadRequest(status.message());
  return ErrorFromStatus(status, ErrorDomain::kHash);
}

// HMA's {BANK: [{"bank_content_id": id, "distance": "d"}]} (distance is a string in HMA).
std::string HmaMatchesByBank(const std::vector<Match>& matches) {
  std::map<std::string_view, std::string> by_bank;
  for (const Match& m : matches) {
    std::string& list = by_bank[m.bank];
    if (!list.empty()) list += ',';
    list += fmt::format(R"({{"bank_content_id":{},"distance":"{}"}})", m.item_id, m.distance);
  }
  std::string out = "{";
  bool first = true;
  for (const auto& [bank, list] : by_bank) {
    if (!first) out += ',';
    first = false;
    // Bank names are ^[A-Z0-9_]+$: nothing to escape.
    out += fmt::format(R"("{}":[{}])", bank, list);
  }
  out += '}';
  return out;
}

void NoteOutcome(const LookupResult& result, CallContext& call) {
  call.outcome = result.matched() ? "match" : "no_match";
  std::string ids;
  for (size_t i = 0; i < result.matches.size() && i < 10; ++i) {
    if (i) ids += ',';
    ids += std::to_string(result.matches[i].item_id);
  }
  call.detail = fmt::format("matches={}{}{}", result.matches.size(), ids.empty() ? "" : " items=", ids);
}

LookupOptions OptionsFor(const ServiceContext& ctx, const http::Request& request) {
  LookupOptions options;
  options.threshold = ctx.config.pdq_threshold;
  options.banks = QueryList(request, "banks");
  return options;
}

// Matches every signal of an uploaded image, keyed by signal type as HMA answers uploads.
http::Response LookupUpload(ServiceContext& ctx, http::Request& request, CallContext& call) {
  Result<HashOptions> options = HashOptionsFor(ctx, request);
  if (!options.ok()) return ErrorFromStatus(options.status());
  HashedUpload up = HashFromRequest(ctx, request, UploadStyle::kHma, *options);
  if (!up.record) return up.error;
  LookupOptions lookup = OptionsFor(ctx, request);
  lookup.dihedral = options->dihedral;
  std::string out = "{";
  LookupResult all;
  bool first = true;
  for (const Signal& signal : up.record->Signals()) {
    if (signal.type != SignalType::kPdq && signal.type != SignalType::kMd5) continue;
    MatchQuery query{signal, std::nullopt};
    if (signal.type == SignalType::kPdq && options->dihedral) query.dihedral = up.record->pdq.dihedral;
    Result<LookupResult> result = ctx.matcher->Lookup({query}, lookup);
    if (!result.ok()) return ErrorFromStatus(result.status(), ErrorDomain::kBank);
    if (!first) out += ',';
    first = false;
    out += fmt::format(R"("{}":{})", SignalTypeName(signal.type), HmaMatchesByBank(result->matches));
    all.matches.insert(all.matches.end(), result->matches.begin(), result->matches.end());
  }
  out += '}';
  NoteOutcome(all, call);
  return http::Response::Json(200, std::move(out));
}

json HmaContentJson(const Item& item, const Bank& bank, bool include_signals, int64_t now_ms) {
  int64_t ts = 0;
  if (item.disable_until_ms == kDisabledForever) {
    ts = kHmaDisabledForeverTs;
  } else if (item.disable_until_ms != kEnabled) {
    ts = (item.disable_until_ms + 999) / 1000;
  }
  json j = {{"id", item.id},
            {"disable_until_ts", ts},
            {"enabled", item.IsEnabledAt(now_ms)},
            {"collab_metadata", json::object()},
            {"original_media_uri", nullptr},
            {"bank", {{"name", bank.name},
                      {"matching_enabled_ratio", bank.enabled ? bank.matching_ratio : 0.0}}},
            {"classification", ClassificationJson(item.classification)},
            {"provenance", ProvenanceJson(item.provenance)},
            {"note", item.note}};
  if (include_signals) {
    json signals = json::object();
    for (const BankSignal& s : item.signals) signals[SignalTypeName(s.signal.type)] = s.signal.value;
    j["signals"] = std::move(signals);
  }
  return j;
}

// The item `id_text` if it exists and belongs to bank `name`.
Result<Item> ItemInBank(ServiceContext& ctx, const std::string& name, const std::string& id_text) {
  WARDEN_ASSIGN_OR_RETURN(int64_t id, ParseItemId(id_text));
  Result<Item> item = ctx.store->GetItem(id);
  if (!item.ok() || item->bank != name) {
    if (item.ok() || item.status().code() == StatusCode::kNotFound) {
      return Status::NotFound(fmt::format("bank '{}' has no content {}", name, id));
    }
    return item.status();
  }
  return item;
}

// Adds an item holding `signals` to bank `bank`, with optional Warden metadata, and answers
// HMA's {"id", "signals": {...}} plus "duplicate".
http::Response AddContent(ServiceContext& ctx, const std::string& bank,
                          const std::vector<Signal>& signals, const json* metadata,
                          CallContext& call) {
  Item item;
  if (metadata != nullptr) {
    json copy = *metadata;
    copy["signals"] = json::array();  // the signals come from the image / body, not metadata
    for (const Signal& s : signals) {
      json js = {{"type", SignalTypeName(s.type)}, {"value", s.value}};
      if (s.quality >= 0) js["quality"] = s.quality;
      copy["signals"].push_back(std::move(js));
    }
    Result<Item> parsed = ItemFromJson(copy);
    if (!parsed.ok()) return BadRequest("metadata: " + parsed.status().message());
    item = std::move(*parsed);
    item.id = 0;
  } else {
    for (const Signal& s : signals) item.signals.push_back(BankSignal{s, "", 0});
  }
  item.bank = bank;
  Result<AddItemResult> added = ctx.store->AddItem(item, call.actor());
  if (!added.ok()) {
    return ErrorFromStatus(added.status(), added.status().code() == StatusCode::kNotFound
                                               ? ErrorDomain::kBank
                                               : ErrorDomain::kHash);
  }
  ctx.AfterWrite();
  json sig = json::object();
  for (const Signal& s : signals) sig[SignalTypeName(s.type)] = s.value;
  call.outcome = added->duplicate ? "duplicate" : "created";
  call.detail = fmt::format(R"({{"bank":"{}","item":{}}})", bank, added->id);
  return JsonResponse({{"id", added->id}, {"signals", std::move(sig)}, {"duplicate", added->duplicate}});
}

Result<Bank> BankFromHmaBody(const json& body, Bank bank) {
  if (auto it = body.find("enabled"); it != body.end() && !it->is_null()) {
    if (!it->is_boolean()) return Status::InvalidArgument("field \"enabled\" must be true or false");
    bank.enabled = it->get<bool>();
    if (bank.enabled && bank.matching_ratio == 0) bank.matching_ratio = 1.0;
  }
  if (auto it = body.find("enabled_ratio"); it != body.end() && !it->is_null()) {
    if (!it->is_number()) return Status::InvalidArgument("field \"enabled_ratio\" must be a number");
    bank.matching_ratio = it->get<double>();
    if (bank.matching_ratio > 0) bank.enabled = true;
  }
  if (auto it = body.find("description"); it != body.end() && !it->is_null()) {
    if (!it->is_string()) return Status::InvalidArgument("field \"description\" must be a string");
    bank.description = it->get<std::string>();
  }
  if (auto it = body.find("kind"); it != body.end() && !it->is_null()) {
    if (!it->is_string()) return Status::InvalidArgument("field \"kind\" must be a string");
    WARDEN_ASSIGN_OR_RETURN(bank.kind, ParseBankKind(it->get<std::string>()));
  }
  if (auto it = body.find("source"); it != body.end() && !it->is_null()) {
    if (!it->is_string()) return Status::InvalidArgument("field \"source\" must be a string");
    WARDEN_ASSIGN_OR_RETURN(bank.source, ParseBankSource(it->get<std::string>()));
  }
  return bank;
}

}  // namespace

void AddHmaRoutes(ServiceContext& ctx) {
  ServiceContext* c = &ctx;

  // ---- hashing ----
  auto hash = [c](http::Request& request, CallContext& call) {
    Result<HashOptions> options = HashOptionsFor(*c, request);
    if (!options.ok()) return ErrorFromStatus(options.status());
    options->digests = false;
    HashedUpload up = HashFromRequest(*c, request, UploadStyle::kHma, *options);
    if (!up.record) return up.error;
    call.outcome = "hashed";
    call.detail = up.source;
    return JsonResponse({{"pdq", up.record->pdq.hash.ToHex()}});
  };
  ctx.Add("GET", "/h/hash", Access::kHasher, AuditKind::kLookup, hash, BlockingRoute());
  ctx.Add("POST", "/h/hash", Access::kHasher, AuditKind::kLookup, hash, BlockingRoute());

  // ---- matching ----
  // The hot path: a hash in the query string, answered on the event loop.
  ctx.Add("GET", "/m/lookup", Access::kMatcher, AuditKind::kLookup,
          [c](http::Request& request, CallContext& call) -> http::Response {
            if (request.Query("url")) return LookupUpload(*c, request, call);
            Result<Signal> signal = SignalFromQuery(request);
            if (!signal.ok()) return SignalError(signal.status());
            Result<LookupResult> result =
                c->matcher->Lookup({MatchQuery{*signal, std::nullopt}}, OptionsFor(*c, request));
            if (!result.ok()) return ErrorFromStatus(result.status(), ErrorDomain::kBank);
            NoteOutcome(*result, call);
            return http::Response::Json(200, HmaMatchesByBank(result->matches));
          },
          BlockingWithUrl());
  ctx.Add("POST", "/m/lookup", Access::kMatcher, AuditKind::kLookup,
          [c](http::Request& request, CallContext& call) { return LookupUpload(*c, request, call); },
          BlockingRoute());
  ctx.Add("GET", "/m/raw_lookup", Access::kMatcher, AuditKind::kLookup,
          [c](http::Request& request, CallContext& call) -> http::Response {
            Result<Signal> signal = SignalFromQuery(request);
            if (!signal.ok()) return SignalError(signal.status());
            Result<bool> with_distance = QueryBool(request, "include_distance", false);
            if (!with_distance.ok()) return ErrorFromStatus(with_distance.status());
            LookupOptions options = OptionsFor(*c, request);
            options.raw = true;
            Result<LookupResult> result = c->matcher->Lookup({MatchQuery{*signal, std::nullopt}}, options);
            if (!result.ok()) return ErrorFromStatus(result.status(), ErrorDomain::kBank);
            NoteOutcome(*result, call);
            std::string list;
            for (const Match& m : result->matches) {
              if (!list.empty()) list += ',';
              list += *with_distance
                          ? fmt::format(R"({{"bank_content_id":{},"distance":"{}"}})", m.item_id, m.distance)
                          : std::to_string(m.item_id);
            }
            return http::Response::Json(200, "{\"matches\":[" + list + "]}");
          });
  ctx.Add("POST", "/m/compare", Access::kMatcher, AuditKind::kLookup,
          [](http::Request& request, CallContext& call) -> http::Response {
            Result<json> body = ParseJsonObjectBody(request);
            if (!body.ok()) return ErrorFromStatus(body.status());
            json out = json::object();
            for (const auto& [type_name, pair] : body->items()) {
              Result<SignalType> type = ParseSignalType(type_name);
              if (!type.ok()) return ErrorFromStatus(type.status(), ErrorDomain::kHash);
              if (*type == SignalType::kLocal) return http::ErrorResponse(400, "malformed_hash", kNoLocalOnHma);
              if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string() || !pair[1].is_string()) {
                return BadRequest(fmt::format("\"{}\" must be a list of exactly 2 hashes", type_name));
              }
              Result<Signal> a = Signal::Make(*type, pair[0].get<std::string>());
              Result<Signal> b = Signal::Make(*type, pair[1].get<std::string>());
              if (!a.ok()) return ErrorFromStatus(a.status(), ErrorDomain::kHash);
              if (!b.ok()) return ErrorFromStatus(b.status(), ErrorDomain::kHash);
              if (*type == SignalType::kPdq) {
                const int d = HammingDistance(*PdqHash::FromHex(a->value), *PdqHash::FromHex(b->value));
                out[type_name] = json::array({d <= kPdqMatchThreshold, {{"distance", d}}});
              } else {
                const bool same = a->value == b->value;
                out[type_name] = json::array({same, {{"distance", same ? 0 : 1}}});
              }
            }
            call.outcome = "compared";
            return JsonResponse(out);
          });
  ctx.Add("GET", "/m/index/status", Access::kMatcher, AuditKind::kLookup,
          [c](http::Request& request, CallContext&) -> http::Response {
            MatcherStats stats = c->matcher->Stats();
            const int64_t built_to = c->last_refresh_ok_ms.load() / 1000;
            json all = {{"pdq", {{"present", true}, {"built_to", built_to}, {"size", stats.pdq_signals}}},
                        {"md5", {{"present", true}, {"built_to", built_to}, {"size", stats.digest_signals}}}};
            if (std::optional<std::string> only = request.Query("signal_type")) {
              if (!all.contains(*only)) return BadRequest(fmt::format("No such signal type '{}'", *only));
              return JsonResponse({{*only, all[*only]}});
            }
            return JsonResponse(all);
          });

  // ---- curation ----
  ctx.Add("GET", "/c/banks", Access::kMatcher, AuditKind::kLookup,
          [c](http::Request&, CallContext&) -> http::Response {
            Result<std::vector<Bank>> banks = c->store->ListBanks();
            if (!banks.ok()) return ErrorFromStatus(banks.status());
            json out = json::array();
            for (const Bank& b : *banks) out.push_back(HmaBankJson(b));
            return JsonResponse(out);
          });
  ctx.Add("POST", "/c/banks", Access::kCurator, AuditKind::kCuration,
          [c](http::Request& request, CallContext& call) -> http::Response {
            Result<json> body = ParseJsonObjectBody(request);
            if (!body.ok()) return ErrorFromStatus(body.status());
            auto name = body->find("name");
            if (name == body->end() || !name->is_string()) return BadRequest("field \"name\" (a string) is required");
            Bank bank;
            bank.name = name->get<std::string>();
            Result<Bank> filled = BankFromHmaBody(*body, bank);
            if (!filled.ok()) return ErrorFromStatus(filled.status());
            Result<Bank> created = c->store->CreateBank(*filled, call.actor());
            if (!created.ok()) return ErrorFromStatus(created.status());
            c->AfterWrite();
            call.outcome = "created";
            call.detail = fmt::format(R"({{"bank":"{}"}})", created->name);
            return JsonResponse(HmaBankJson(*created), 201);
          },
          BlockingRoute());
  ctx.Add("GET", "/c/bank/{name}", Access::kMatcher, AuditKind::kLookup,
          [c](http::Request& request, CallContext&) -> http::Response {
            Result<Bank> bank = c->store->GetBank(request.PathParam("name"));
            if (!bank.ok()) return ErrorFromStatus(bank.status(), ErrorDomain::kBank);
            return JsonResponse(HmaBankJson(*bank));
          });
  ctx.Add("PUT", "/c/bank/{name}", Access::kCurator, AuditKind::kCuration,
          [c](http::Request& request, CallContext& call) -> http::Response {
            http::Response error;
            std::optional<Bank> stored = c->UpdateBankFromRequest(request, call, BankFromHmaBody, &error);
            return stored ? JsonResponse(HmaBankJson(*stored)) : error;
          },
          BlockingRoute());
  ctx.Add("DELETE", "/c/bank/{name}", Access::kCurator, AuditKind::kCuration,
          [c](http::Request& request, CallContext& call) -> http::Response {
            const std::string& name = request.PathParam("name");
            if (Status s = c->store->DeleteBank(name, call.actor()); !s.ok()) {
              return ErrorFromStatus(s, ErrorDomain::kBank);
            }
            c->AfterWrite();
            call.outcome = "deleted";
            call.detail = fmt::format(R"({{"bank":"{}"}})", name);
            return JsonResponse({{"message", "Done"}});
          },
          BlockingRoute());
  ctx.Add("POST", "/c/bank/{name}/content", Access::kCurator, AuditKind::kCuration,
          [c](http::Request& request, CallContext& call) -> http::Response {
            const std::string& name = request.PathParam("name");
            if (Result<Bank> bank = c->store->GetBank(name); !bank.ok()) {
              return ErrorFromStatus(bank.status(), ErrorDomain::kBank);
            }
            Result<HashOptions> options = HashOptionsFor(*c, request);
            if (!options.ok()) return ErrorFromStatus(options.status());
            HashedUpload up = HashFromRequest(*c, request, UploadStyle::kHma, *options);
            if (!up.record) return up.error;
            std::optional<json> metadata;
            for (const http::FormPart& part : up.parts) {
              if (part.name != "metadata") continue;
              Result<json> m = ParseJsonText(part.data);
              if (!m.ok() || !m->is_object()) return BadRequest("metadata must be a JSON object");
              metadata = std::move(*m);
            }
            return AddContent(*c, name, up.record->Signals(), metadata ? &*metadata : nullptr, call);
          },
          BlockingRoute());
  ctx.Add("POST", "/c/bank/{name}/signal", Access::kCurator, AuditKind::kCuration,
          [c](http::Request& request, CallContext& call) -> http::Response {
            const std::string& name = request.PathParam("name");
            Result<json> body = ParseJsonObjectBody(request);
            if (!body.ok()) return ErrorFromStatus(body.status());
            std::vector<Signal> signals;
            for (const auto& [type_name, value] : body->items()) {
              Result<SignalType> type = ParseSignalType(type_name);
              if (!type.ok()) return ErrorFromStatus(type.status(), ErrorDomain::kHash);
              if (!value.is_string()) return http::ErrorResponse(400, "malformed_hash", fmt::format("\"{}\" must be a hex string", type_name));
              Result<Signal> s = Signal::Make(*type, value.get<std::string>());
              if (!s.ok()) return ErrorFromStatus(s.status(), ErrorDomain::kHash);
              signals.push_back(std::move(*s));
            }
            if (signals.empty()) return BadRequest("no signals given");
            return AddContent(*c, name, signals, nullptr, call);
          },
          BlockingRoute());
  ctx.Add("GET", "/c/bank/{name}/content/{id}", Access::kCurator, AuditKind::kCuration,
          [c](http::Request& request, CallContext& call) -> http::Response {
            const std::string& name = request.PathParam("name");
            Result<Bank> bank = c->store->GetBank(name);
            if (!bank.ok()) return ErrorFromStatus(bank.status(), ErrorDomain::kBank);
            Result<Item> item = ItemInBank(*c, name, request.PathParam("id"));
            if (!item.ok()) return ErrorFromStatus(item.status(), ErrorDomain::kItem);
            Result<bool> with_signals = QueryBool(request, "include_signals", false);
            if (!with_signals.ok()) return ErrorFromStatus(with_signals.status());
            call.outcome = "read";
            call.detail = fmt::format(R"({{"bank":"{}","item":{}}})", name, item->id);
            return JsonResponse(HmaContentJson(*item, *bank, *with_signals, c->store->clock()->NowMs()));
          });
  ctx.Add("PUT", "/c/bank/{name}/content/{id}", Access::kCurator, AuditKind::kCuration,
          [c](http::Request& request, CallContext& call) -> http::Response {
            const std::string& name = request.PathParam("name");
            Result<Bank> bank = c->store->GetBank(name);
            if (!bank.ok()) return ErrorFromStatus(bank.status(), ErrorDomain::kBank);
            Result<Item> item = ItemInBank(*c, name, request.PathParam("id"));
            if (!item.ok()) return ErrorFromStatus(item.status(), ErrorDomain::kItem);
            Result<json> body = ParseJsonObjectBody(request);
            if (!body.ok()) return ErrorFromStatus(body.status());
            const int64_t now_ms = c->store->clock()->NowMs();
            if (auto it = body->find("disable_until_ts"); it != body->end() && !it->is_null()) {
              if (!it->is_number_integer() || it->get<int64_t>() < 0 ||
                  it->get<int64_t>() > kHmaDisabledForeverTs) {
                return BadRequest("disable_until_ts must be a non-negative integer (Unix seconds)");
              }
              const int64_t ts = it->get<int64_t>();
              item->disable_until_ms = ts >= kHmaDisabledForeverTs ? kDisabledForever
                                       : ts * 1000 <= now_ms      ? kEnabled
                                                                  : ts * 1000;
            }
            if (auto it = body->find("enabled"); it != body->end() && !it->is_null()) {
              if (!it->is_boolean()) return BadRequest("field \"enabled\" must be true or false");
              item->disable_until_ms = it->get<bool>() ? kEnabled : kDisabledForever;
            }
            Result<Item> stored = c->store->UpdateItem(*item, call.actor());
            if (!stored.ok()) return ErrorFromStatus(stored.status(), ErrorDomain::kItem);
            c->AfterWrite();
            call.outcome = stored->IsEnabledAt(now_ms) ? "enabled" : "disabled";
            call.detail = fmt::format(R"({{"bank":"{}","item":{}}})", name, stored->id);
            return JsonResponse(HmaContentJson(*stored, *bank, false, now_ms));
          },
          BlockingRoute());
  ctx.Add("DELETE", "/c/bank/{name}/content/{id}", Access::kCurator, AuditKind::kCuration,
          [c](http::Request& request, CallContext& call) -> http::Response {
            const std::string& name = request.PathParam("name");
            if (Result<Bank> bank = c->store->GetBank(name); !bank.ok()) {
              return ErrorFromStatus(bank.status(), ErrorDomain::kBank);
            }
            Result<Item> item = ItemInBank(*c, name, request.PathParam("id"));
            if (!item.ok()) return ErrorFromStatus(item.status(), ErrorDomain::kItem);
            if (Status s = c->store->DeleteItem(item->id, call.actor()); !s.ok()) {
              return ErrorFromStatus(s, ErrorDomain::kItem);
            }
            c->AfterWrite();
            call.outcome = "deleted";
            call.detail = fmt::format(R"({{"bank":"{}","item":{}}})", name, item->id);
            return JsonResponse({{"deleted", 1}});
          },
          BlockingRoute());
}

}  // namespace warden
