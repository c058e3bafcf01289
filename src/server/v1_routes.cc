// Warden's own API under /v1/ (docs/api.md, "/v1/").
#include <fmt/core.h>

#include <algorithm>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <sstream>

#include "src/bank/item_json.h"
#include "src/server/api_support.h"
#include "src/server/service_context.h"
#include "src/server/upload.h"
#include "warden/bank_formats.h"
#include "warden/local_signal.h"
#include "warden/pdq.h"
#include "warden/pdq_index.h"

namespace warden {
namespace {

using nlohmann::json;

http::RouteOptions Blocking(int64_t max_body_bytes = 0) {
  http::RouteOptions options;
  options.blocking = true;
  options.max_body_bytes = max_body_bytes;
  return options;
}

// Imports may be larger than ordinary requests: a hotline's NCMEC or StopNCII file.
constexpr int64_t kImportMaxBodyBytes = 512LL << 20;

// The signals /v1/hash answers: ?signals=pdq,md5,sha1,sha256,local (any of them); absent =
// the four hashes. Local features are opt-in: their value is up to 8 KB of hex.
struct SignalChoice {
  std::vector<SignalType> hashes = {SignalType::kPdq, SignalType::kMd5, SignalType::kSha1,
                                    SignalType::kSha256};
  bool local = false;
};

Result<SignalChoice> SignalChoiceFromQuery(const http::Request& request) {
  std::vector<std::string> names = QueryList(request, "signals");
  SignalChoice choice;
  if (names.empty()) return choice;
  choice.hashes.clear();
  for (const std::string& name : names) {
    Result<SignalType> type = ParseSignalType(name);
    if (!type.ok()) return Status::InvalidArgument("parameter 'signals': " + type.status().message());
    if (*type == SignalType::kLocal) {
      choice.local = true;
    } else {
      choice.hashes.push_back(*type);
    }
  }
  return choice;
}

// `only`: the hash types to list (null = every one computed).
json HashRecordJson(const HashRecord& r, bool dihedral, const SignalChoice* only = nullptr) {
  json signals = json::array();
  for (const Signal& s : r.Signals()) {
    if (only != nullptr &&
        std::find(only->hashes.begin(), only->hashes.end(), s.type) == only->hashes.end()) {
      continue;
    }
    BankSignal b = DefaultAlgorithmFor(s);
    json j = {{"type", SignalTypeName(s.type)}, {"value", s.value}};
    if (s.type == SignalType::kPdq) j["quality"] = s.quality;
    j["algorithm"] = b.algorithm;
    j["algorithm_version"] = b.algorithm_version;
    signals.push_back(std::move(j));
  }
  json out = {{"width", r.width},
              {"height", r.height},
              {"hashed_width", r.hashed_width},
              {"hashed_height", r.hashed_height},
              {"format", ImageFormatName(r.format)},
              {"pipeline", PipelineName(r.pipeline)},
              {"too_small", r.pdq.too_small},
              {"signals", std::move(signals)}};
  if (dihedral) {
    json d = json::object();
    for (int i = 0; i < kDihedralCount; ++i) {
      d[DihedralName(static_cast<Dihedral>(i))] = r.pdq.dihedral[i].ToHex();
    }
    out["dihedral"] = std::move(d);
  }
  return out;
}

// The local-feature summary of a hash record in a /v1/match answer: the keypoint count (and a
// small image's enlarged view's, and the overlay-removed picture's when the upload has
// lettering across it), never the features ({"error": ...} when extraction failed).
json LocalSummaryJson(const HashedUpload& up) {
  if (up.local == nullptr) return {{"error", up.local_status.message()}};
  const size_t plain = PlainKeypointCount(*up.local);
  json out = {{"keypoints", plain}};
  if (plain < up.local->keypoints.size()) {
    out["enlarged_keypoints"] = up.local->keypoints.size() - plain;
  }
  if (up.local->without_overlay != nullptr) {
    out["overlay_removed_keypoints"] = up.local->without_overlay->keypoints.size();
  }
  return out;
}

// /v1/match extracts local features when ?local=true, or by default when the matcher holds
// local signals (an extraction costs about as much as hashing: skip it when it cannot match).
Result<bool> WantLocal(const ServiceContext& ctx, const http::Request& request) {
  return QueryBool(request, "local", ctx.matcher->Stats().local_signals > 0);
}

Result<double> LocalMinScore(const http::Request& request) {
  std::optional<std::string> v = request.Query("local_min_score");
  if (!v) return kLocalDefaultMinScore;
  char* end = nullptr;
  const double score = std::strtod(v->c_str(), &end);
  if (v->empty() || end != v->c_str() + v->size() || !(score >= 0) || score > 1e6) {
    return Status::InvalidArgument(fmt::format(
        "parameter 'local_min_score' must be a number 0..1000000, got '{}'", v->substr(0, 40)));
  }
  return score;
}

Result<LookupOptions> LookupOptionsFromQuery(const ServiceContext& ctx, const http::Request& request) {
  LookupOptions options;
  WARDEN_ASSIGN_OR_RETURN(int64_t threshold,
                          QueryInt(request, "threshold", ctx.config.pdq_threshold, 0, kPdqMaxDistance));
  options.threshold = static_cast<int>(threshold);
  options.banks = QueryList(request, "banks");
  WARDEN_ASSIGN_OR_RETURN(options.dihedral, QueryBool(request, "dihedral", ctx.config.dihedral));
  WARDEN_ASSIGN_OR_RETURN(options.local_min_score, LocalMinScore(request));
  return options;
}

// One entry of /v1/lookup's "hashes": {"signal_type", "value", "quality"} or "type:hex".
Result<Signal> LookupHash(const json& j, size_t index) {
  if (j.is_string()) {
    Result<Signal> s = Signal::ParseTagged(j.get<std::string>());
    if (!s.ok()) return Status::InvalidArgument(fmt::format("hashes[{}]: {}", index, s.status().message()));
    return s;
  }
  if (!j.is_object()) {
    return Status::InvalidArgument(fmt::format("hashes[{}]: must be an object or \"type:hex\"", index));
  }
  auto type = j.find("signal_type");
  auto value = j.find("value");
  if (type == j.end() || !type->is_string() || value == j.end() || !value->is_string()) {
    return Status::InvalidArgument(
        fmt::format("hashes[{}]: \"signal_type\" and \"value\" (strings) are required", index));
  }
  Result<SignalType> t = ParseSignalType(type->get<std::string>());
  if (!t.ok()) return Status::InvalidArgument(fmt::format("hashes[{}]: {}", index, t.status().message()));
  int quality = -1;
  if (auto q = j.find("quality"); q != j.end() && !q->is_null()) {
    if (!q->is_number_integer() || q->get<int64_t>() < 0 || q->get<int64_t>() > 100) {
      return Status::InvalidArgument(fmt::format("hashes[{}]: quality must be an integer 0..100", index));
    }
    quality = static_cast<int>(q->get<int64_t>());
  }
  Result<Signal> s = Signal::Make(*t, value->get<std::string>(), *t == SignalType::kPdq ? quality : -1);
  if (!s.ok()) return Status::InvalidArgument(fmt::format("hashes[{}]: {}", index, s.status().message()));
  return s;
}

// Reads an optional typed field of a JSON object into *out. Errors name the field.
template <typename T>
Status Field(const json& obj, const char* key, T* out) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return Status::Ok();
  if constexpr (std::is_same_v<T, bool>) {
    if (!it->is_boolean()) return Status::InvalidArgument(fmt::format("field \"{}\" must be true or false", key));
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (!it->is_string()) return Status::InvalidArgument(fmt::format("field \"{}\" must be a string", key));
  } else {
    if (!it->is_number()) return Status::InvalidArgument(fmt::format("field \"{}\" must be a number", key));
  }
  *out = it->get<T>();
  return Status::Ok();
}

Result<Bank> BankFromBody(const json& body, Bank bank) {
  WARDEN_RETURN_IF_ERROR(Field(body, "description", &bank.description));
  WARDEN_RETURN_IF_ERROR(Field(body, "enabled", &bank.enabled));
  WARDEN_RETURN_IF_ERROR(Field(body, "matching_ratio", &bank.matching_ratio));
  std::string kind, source;
  WARDEN_RETURN_IF_ERROR(Field(body, "kind", &kind));
  WARDEN_RETURN_IF_ERROR(Field(body, "source", &source));
  if (!kind.empty()) {
    WARDEN_ASSIGN_OR_RETURN(bank.kind, ParseBankKind(kind));
  }
  if (!source.empty()) {
    WARDEN_ASSIGN_OR_RETURN(bank.source, ParseBankSource(source));
  }
  return bank;
}

http::Response BankAnswer(ServiceContext& ctx, const Bank& bank, int status = 200) {
  Result<StoreStats> stats = ctx.store->Stats();
  if (stats.ok()) {
    auto it = stats->by_bank.find(bank.name);
    if (it != stats->by_bank.end()) return JsonResponse(BankToJson(bank, &it->second), status);
  }
  return JsonResponse(BankToJson(bank), status);
}

std::string BankDetail(std::string_view bank) { return fmt::format(R"({{"bank":"{}"}})", bank); }
std::string ItemDetail(std::string_view bank, int64_t id) {
  return fmt::format(R"({{"bank":"{}","item":{}}})", bank, id);
}

void AddHashAndMatch(ServiceContext& ctx) {
  ServiceContext* c = &ctx;
  auto hash = [c](http::Request& request, CallContext& call) -> http::Response {
    Result<HashOptions> options = HashOptionsFor(*c, request);
    if (!options.ok()) return ErrorFromStatus(options.status());
    Result<SignalChoice> choice = SignalChoiceFromQuery(request);
    if (!choice.ok()) return ErrorFromStatus(choice.status());
    HashedUpload up = HashFromRequest(*c, request, UploadStyle::kWarden, *options,
                                      choice->local ? kLocalStoredKeypoints : 0);
    if (!up.record) return up.error;
    json out = HashRecordJson(*up.record, options->dihedral, &*choice);
    if (choice->local) {
      // Asked for explicitly, so a failed extraction fails the request.
      if (up.local == nullptr) return ErrorFromStatus(up.local_status, ErrorDomain::kImage);
      out["signals"].push_back({{"type", SignalTypeName(SignalType::kLocal)},
                                {"value", LocalSignalFromFeatures(*up.local).value},
                                {"algorithm", kLocalAlgorithm},
                                {"algorithm_version", kLocalAlgorithmVersion},
                                {"keypoints", up.local->keypoints.size()}});
    }
    call.outcome = "hashed";
    call.detail = up.source;
    return JsonResponse(out);
  };
  ctx.Add("POST", "/v1/hash", Access::kHasher, AuditKind::kLookup, hash, Blocking());
  ctx.Add("GET", "/v1/hash", Access::kHasher, AuditKind::kLookup, hash, Blocking());

  auto match = [c](http::Request& request, CallContext& call) -> http::Response {
    Result<HashOptions> options = HashOptionsFor(*c, request);
    if (!options.ok()) return ErrorFromStatus(options.status());
    Result<LookupOptions> lookup = LookupOptionsFromQuery(*c, request);
    if (!lookup.ok()) return ErrorFromStatus(lookup.status());
    options->dihedral = lookup->dihedral;
    Result<bool> local = WantLocal(*c, request);
    if (!local.ok()) return ErrorFromStatus(local.status());
    HashedUpload up = HashFromRequest(*c, request, UploadStyle::kWarden, *options,
                                      *local ? kLocalQueryKeypoints : 0);
    if (!up.record) return up.error;
    std::vector<MatchQuery> queries;
    for (const Signal& s : up.record->Signals()) {
      MatchQuery q{s, std::nullopt};
      if (s.type == SignalType::kPdq && lookup->dihedral) q.dihedral = up.record->pdq.dihedral;
      queries.push_back(std::move(q));
    }
    if (up.local != nullptr) queries.push_back(LocalMatchQuery(up.local));
    Result<LookupResult> result = c->matcher->Lookup(queries, *lookup);
    if (!result.ok()) return ErrorFromStatus(result.status(), ErrorDomain::kBank);
    if (*local && up.local == nullptr) {
      result->notes.push_back("local features not extracted: " + up.local_status.message());
    }
    call.outcome = result->matched() ? "match" : "no_match";
    call.detail = fmt::format("{} matches={}", up.source, result->matches.size());
    json out = LookupResultJson(*result);
    out["hash"] = HashRecordJson(*up.record, lookup->dihedral);
    if (*local) out["hash"]["local"] = LocalSummaryJson(up);
    return JsonResponse(out);
  };
  ctx.Add("POST", "/v1/match", Access::kMatcher, AuditKind::kLookup, match, Blocking());
  ctx.Add("GET", "/v1/match", Access::kMatcher, AuditKind::kLookup, match, Blocking());

  ctx.Add("POST", "/v1/lookup", Access::kMatcher, AuditKind::kLookup,
          [c](http::Request& request, CallContext& call) -> http::Response {
            Result<json> body = ParseJsonObjectBody(request);
            if (!body.ok()) return ErrorFromStatus(body.status());
            auto hashes = body->find("hashes");
            if (hashes == body->end() || !hashes->is_array() || hashes->empty()) {
              return BadRequest("field \"hashes\" (a non-empty list) is required");
            }
            if (hashes->size() > static_cast<size_t>(c->config.max_lookup_batch)) {
              return BadRequest(fmt::format("at most {} hashes per request, got {}",
                                            c->config.max_lookup_batch, hashes->size()));
            }
            LookupOptions options;
            options.threshold = c->config.pdq_threshold;
            options.dihedral = c->config.dihedral;
            if (auto t = body->find("threshold"); t != body->end() && !t->is_null()) {
              if (!t->is_number_integer() || t->get<int64_t>() < 0 || t->get<int64_t>() > kPdqMaxDistance) {
                return BadRequest("threshold must be an integer 0..256");
              }
              options.threshold = static_cast<int>(t->get<int64_t>());
            }
            if (Status s = Field(*body, "dihedral", &options.dihedral); !s.ok()) return ErrorFromStatus(s);
            if (Status s = Field(*body, "local_min_score", &options.local_min_score); !s.ok()) {
              return ErrorFromStatus(s);
            }
            if (auto b = body->find("banks"); b != body->end() && !b->is_null()) {
              if (!b->is_array()) return BadRequest("field \"banks\" must be a list of names");
              for (const json& name : *b) {
                if (!name.is_string()) return BadRequest("field \"banks\" must be a list of names");
                options.banks.push_back(name.get<std::string>());
              }
            }
            std::vector<Signal> signals;
            signals.reserve(hashes->size());
            for (size_t i = 0; i < hashes->size(); ++i) {
              Result<Signal> s = LookupHash((*hashes)[i], i);
              if (!s.ok()) return ErrorFromStatus(s.status(), ErrorDomain::kHash);
              signals.push_back(std::move(*s));
            }
            json results = json::array();
            size_t matched = 0;
            for (const Signal& s : signals) {
              Result<LookupResult> r = c->matcher->Lookup({MatchQuery{s, std::nullopt}}, options);
              if (!r.ok()) return ErrorFromStatus(r.status(), ErrorDomain::kBank);
              json one = LookupResultJson(*r);
              one["signal_type"] = SignalTypeName(s.type);
              // A local value (up to 8 KB of hex) is not echoed back.
              one["value"] = s.type == SignalType::kLocal ? json(nullptr) : json(s.value);
              matched += r->matched();
              results.push_back(std::move(one));
            }
            call.outcome = matched ? "match" : "no_match";
            call.detail = fmt::format("hashes={} matched={}", signals.size(), matched);
            return JsonResponse({{"results", std::move(results)}});
          },
          Blocking());
}

void AddBanks(ServiceContext& ctx) {
  ServiceContext* c = &ctx;
  ctx.Add("GET", "/v1/banks", Access::kMatcher, AuditKind::kLookup,
          [c](http::Request&, CallContext&) -> http::Response {
            Result<std::vector<Bank>> banks = c->store->ListBanks();
            if (!banks.ok()) return ErrorFromStatus(banks.status());
            Result<StoreStats> stats = c->store->Stats();
            json out = json::array();
            for (const Bank& b : *banks) {
              const BankStats* bs = nullptr;
              if (stats.ok()) {
                auto it = stats->by_bank.find(b.name);
                if (it != stats->by_bank.end()) bs = &it->second;
              }
              out.push_back(BankToJson(b, bs));
            }
            return JsonResponse({{"banks", std::move(out)}});
          });
  ctx.Add("POST", "/v1/banks", Access::kCurator, AuditKind::kCuration,
          [c](http::Request& request, CallContext& call) -> http::Response {
            Result<json> body = ParseJsonObjectBody(request);
            if (!body.ok()) return ErrorFromStatus(body.status());
            Bank bank;
            if (Status s = Field(*body, "name", &bank.name); !s.ok()) return ErrorFromStatus(s);
            if (bank.name.empty()) return BadRequest("field \"name\" is required");
            Result<Bank> filled = BankFromBody(*body, bank);
            if (!filled.ok()) return ErrorFromStatus(filled.status());
            Result<Bank> created = c->store->CreateBank(*filled, call.actor());
            if (!created.ok()) return ErrorFromStatus(created.status());
            c->AfterWrite();
            call.outcome = "created";
            call.detail = BankDetail(created->name);
            return BankAnswer(*c, *created, 201);
          },
          Blocking());
  ctx.Add("GET", "/v1/banks/{name}", Access::kMatcher, AuditKind::kLookup,
          [c](http::Request& request, CallContext&) -> http::Response {
            Result<Bank> bank = c->store->GetBank(request.PathParam("name"));
            if (!bank.ok()) return ErrorFromStatus(bank.status(), ErrorDomain::kBank);
            return BankAnswer(*c, *bank);
          });
  ctx.Add("PUT", "/v1/banks/{name}", Access::kCurator, AuditKind::kCuration,
          [c](http::Request& request, CallContext& call) -> http::Response {
            http::Response error;
            std::optional<Bank> stored = c->UpdateBankFromRequest(request, call, BankFromBody, &error);
            return stored ? BankAnswer(*c, *stored) : error;
          },
          Blocking());
  ctx.Add("DELETE", "/v1/banks/{name}", Access::kCurator, AuditKind::kCuration,
          [c](http::Request& request, CallContext& call) -> http::Response {
            const std::string& name = request.PathParam("name");
            if (Status s = c->store->DeleteBank(name, call.actor()); !s.ok()) {
              return ErrorFromStatus(s, ErrorDomain::kBank);
            }
            c->AfterWrite();
            call.outcome = "deleted";
            call.detail = BankDetail(name);
            return JsonResponse({{"deleted", name}});
          },
          Blocking());
}

void AddItems(ServiceContext& ctx) {
  ServiceContext* c = &ctx;
  ctx.Add("GET", "/v1/banks/{name}/items", Access::kCurator, AuditKind::kCuration,
          [c](http::Request& request, CallContext& call) -> http::Response {
            const std::string& name = request.PathParam("name");
            Result<int64_t> after = QueryInt(request, "after_id", 0, 0, INT64_MAX);
            if (!after.ok()) return ErrorFromStatus(after.status());
            Result<int64_t> limit = QueryInt(request, "limit", 1000, 1, 10'000);
            if (!limit.ok()) return ErrorFromStatus(limit.status());
            Result<std::vector<Item>> items = c->store->ListItems(name, *after, static_cast<int>(*limit));
            if (!items.ok()) return ErrorFromStatus(items.status(), ErrorDomain::kBank);
            json list = json::array();
            for (const Item& item : *items) list.push_back(ItemToJson(item));
            json next = items->size() == static_cast<size_t>(*limit) ? json(items->back().id) : json(nullptr);
            call.outcome = "listed";
            call.detail = fmt::format(R"({{"bank":"{}","items":{}}})", name, items->size());
            return JsonResponse({{"items", std::move(list)}, {"next_after_id", std::move(next)}});
          });
  ctx.Add("POST", "/v1/banks/{name}/items", Access::kCurator, AuditKind::kCuration,
          [c](http::Request& request, CallContext& call) -> http::Response {
            const std::string& name = request.PathParam("name");
            Result<json> body = ParseJsonObjectBody(request);
            if (!body.ok()) return ErrorFromStatus(body.status());
            Result<Item> item = ItemFromJson(*body);
            if (!item.ok()) return ErrorFromStatus(item.status());
            item->id = 0;
            item->bank = name;
            Result<AddItemResult> added = c->store->AddItem(*item, call.actor());
            if (!added.ok()) return ErrorFromStatus(added.status(), ErrorDomain::kBank);
            c->AfterWrite();
            Result<Item> stored = c->store->GetItem(added->id);
            if (!stored.ok()) return ErrorFromStatus(stored.status(), ErrorDomain::kItem);
            call.outcome = added->duplicate ? "duplicate" : "created";
            call.detail = ItemDetail(name, added->id);
            return JsonResponse({{"item", ItemToJson(*stored)}, {"duplicate", added->duplicate}},
                                added->duplicate ? 200 : 201);
          },
          Blocking());
  ctx.Add("GET", "/v1/items/{id}", Access::kCurator, AuditKind::kCuration,
          [c](http::Request& request, CallContext& call) -> http::Response {
            Result<int64_t> id = ParseItemId(request.PathParam("id"));
            if (!id.ok()) return ErrorFromStatus(id.status());
            Result<Item> item = c->store->GetItem(*id);
            if (!item.ok()) return ErrorFromStatus(item.status(), ErrorDomain::kItem);
            call.outcome = "read";
            call.detail = ItemDetail(item->bank, item->id);
            return JsonResponse(ItemToJson(*item));
          });
  ctx.Add("PUT", "/v1/items/{id}", Access::kCurator, AuditKind::kCuration,
          [c](http::Request& request, CallContext& call) -> http::Response {
            Result<int64_t> id = ParseItemId(request.PathParam("id"));
            if (!id.ok()) return ErrorFromStatus(id.status());
            Result<Item> current = c->store->GetItem(*id);
            if (!current.ok()) return ErrorFromStatus(current.status(), ErrorDomain::kItem);
            Result<json> body = ParseJsonObjectBody(request);
            if (!body.ok()) return ErrorFromStatus(body.status());
            // Fields present in the body replace the item's; absent ones are kept.
            json merged = ItemToJson(*current);
            for (const auto& [key, value] : body->items()) {
              if (key == "id" || key == "bank" || key == "created_at_ms" || key == "updated_at_ms") continue;
              merged[key] = value;
            }
            Result<Item> item = ItemFromJson(merged);
            if (!item.ok()) return ErrorFromStatus(item.status());
            item->id = current->id;
            item->bank = current->bank;
            Result<Item> stored = c->store->UpdateItem(*item, call.actor());
            if (!stored.ok()) return ErrorFromStatus(stored.status(), ErrorDomain::kItem);
            c->AfterWrite();
            call.outcome = "updated";
            call.detail = ItemDetail(stored->bank, stored->id);
            return JsonResponse(ItemToJson(*stored));
          },
          Blocking());
  ctx.Add("DELETE", "/v1/items/{id}", Access::kCurator, AuditKind::kCuration,
          [c](http::Request& request, CallContext& call) -> http::Response {
            Result<int64_t> id = ParseItemId(request.PathParam("id"));
            if (!id.ok()) return ErrorFromStatus(id.status());
            Result<Item> item = c->store->GetItem(*id);
            if (!item.ok()) return ErrorFromStatus(item.status(), ErrorDomain::kItem);
            if (Status s = c->store->DeleteItem(*id, call.actor()); !s.ok()) {
              return ErrorFromStatus(s, ErrorDomain::kItem);
            }
            c->AfterWrite();
            call.outcome = "deleted";
            call.detail = ItemDetail(item->bank, *id);
            return JsonResponse({{"deleted", *id}});
          },
          Blocking());
}

void AddImportExport(ServiceContext& ctx) {
  ServiceContext* c = &ctx;
  ctx.Add("POST", "/v1/banks/{name}/import", Access::kCurator, AuditKind::kCuration,
          [c](http::Request& request, CallContext& call) -> http::Response {
            const std::string& name = request.PathParam("name");
            if (Result<Bank> bank = c->store->GetBank(name); !bank.ok()) {
              return ErrorFromStatus(bank.status(), ErrorDomain::kBank);
            }
            ImportOptions options;
            if (std::optional<std::string> f = request.Query("format")) {
              Result<BankFormat> format = ParseBankFormat(*f);
              if (!format.ok()) return ErrorFromStatus(format.status());
              options.format = *format;
            }
            options.actor = call.actor();
            options.source_name = request.Query("source").value_or("api");
            options.max_quarantine_kept = 1000;
            std::istringstream in(std::move(request.body));
            Result<ImportSummary> summary = ImportStream(*c->store, name, in, options);
            c->AfterWrite();
            if (!summary.ok()) return ErrorFromStatus(summary.status(), ErrorDomain::kBank);
            json quarantine = json::array();
            for (const QuarantinedRecord& q : summary->quarantine) {
              quarantine.push_back({{"line", q.line}, {"reason", q.reason}});
            }
            call.outcome = "imported";
            call.detail = fmt::format(R"({{"bank":"{}","records":{},"added":{},"removed":{},"quarantined":{}}})",
                                      name, summary->records, summary->added, summary->removed,
                                      summary->quarantined);
            return JsonResponse({{"format", BankFormatName(summary->format)},
                                 {"records", summary->records},
                                 {"added", summary->added},
                                 {"updated", summary->updated},
                                 {"removed", summary->removed},
                                 {"duplicate", summary->duplicate},
                                 {"not_found", summary->not_found},
                                 {"superseded", summary->superseded},
                                 {"quarantined", summary->quarantined},
                                 {"quarantine", std::move(quarantine)}});
          },
          Blocking(kImportMaxBodyBytes));
  ctx.Add("GET", "/v1/banks/{name}/export", Access::kCurator, AuditKind::kCuration,
          [c](http::Request& request, CallContext& call) -> http::Response {
            const std::string& name = request.PathParam("name");
            BankFormat format = BankFormat::kJsonl;
            if (std::optional<std::string> f = request.Query("format")) {
              Result<BankFormat> parsed = ParseBankFormat(*f);
              if (!parsed.ok()) return ErrorFromStatus(parsed.status());
              format = *parsed;
            }
            std::ostringstream out;
            Result<ExportSummary> summary = ExportBank(*c->store, name, format, out);
            if (!summary.ok()) return ErrorFromStatus(summary.status(), ErrorDomain::kBank);
            call.outcome = "exported";
            call.detail = fmt::format(R"({{"bank":"{}","written":{},"skipped":{}}})", name,
                                      summary->written, summary->skipped);
            const char* type = format == BankFormat::kJsonl      ? "application/x-ndjson"
                               : format == BankFormat::kNcmecXml ? "application/xml"
                               : format == BankFormat::kStopNcii ? "application/json"
                               : format == BankFormat::kCsv      ? "text/csv; charset=utf-8"
                                                                 : "text/plain; charset=utf-8";
            http::Response response = http::Response::Text(200, std::move(out).str(), type);
            response.headers.Set("X-Warden-Exported", std::to_string(summary->written));
            return response;
          },
          Blocking());
}

void AddAdmin(ServiceContext& ctx) {
  ServiceContext* c = &ctx;
  ctx.Add("GET", "/v1/audit", Access::kAdmin, AuditKind::kCuration,
          [c](http::Request& request, CallContext& call) -> http::Response {
            AuditFilter filter;
            if (auto k = request.Query("key_id")) filter.key_id = *k;
            if (auto e = request.Query("endpoint")) filter.endpoint = *e;
            Result<int64_t> since = QueryInt(request, "since_ms", 0, 0, INT64_MAX);
            Result<int64_t> before = QueryInt(request, "before_seq", 0, 0, INT64_MAX);
            Result<int64_t> limit = QueryInt(request, "limit", 100, 1, 10'000);
            for (const auto* r : {&since, &before, &limit}) {
              if (!r->ok()) return ErrorFromStatus(r->status());
            }
            filter.since_ms = *since;
            filter.before_seq = *before;
            // Entries recorded just before this request should be visible to it.
            if (Status s = c->audit->Flush(); !s.ok()) return ErrorFromStatus(s);
            Result<std::vector<AuditEntry>> entries = c->audit->Query(filter, static_cast<int>(*limit));
            if (!entries.ok()) return ErrorFromStatus(entries.status());
            json list = json::array();
            for (const AuditEntry& e : *entries) {
              list.push_back({{"seq", e.seq}, {"at_ms", e.at_ms}, {"key_id", e.key_id},
                              {"key_name", e.key_name}, {"role", e.role}, {"method", e.method},
                              {"endpoint", e.endpoint}, {"target", e.target}, {"status", e.status},
                              {"outcome", e.outcome}, {"detail", e.detail},
                              {"remote_address", e.remote_address}});
            }
            call.outcome = "read";
            call.detail = fmt::format("entries={}", entries->size());
            return JsonResponse({{"entries", std::move(list)}});
          },
          Blocking());
  auto key_json = [](const ApiKeyInfo& k) {
    return json{{"key_id", k.key_id}, {"name", k.name}, {"role", RoleName(k.role)},
                {"rate_limit", k.rate_limit}, {"created_at_ms", k.created_at_ms},
                {"revoked_at_ms", k.revoked_at_ms}};
  };
  ctx.Add("GET", "/v1/keys", Access::kAdmin, AuditKind::kCuration,
          [c, key_json](http::Request&, CallContext& call) -> http::Response {
            Result<std::vector<ApiKeyInfo>> keys = c->keys->List();
            if (!keys.ok()) return ErrorFromStatus(keys.status());
            json list = json::array();
            for (const ApiKeyInfo& k : *keys) list.push_back(key_json(k));
            call.outcome = "listed";
            return JsonResponse({{"keys", std::move(list)}});
          },
          Blocking());
  ctx.Add("POST", "/v1/keys", Access::kAdmin, AuditKind::kCuration,
          [c](http::Request& request, CallContext& call) -> http::Response {
            Result<json> body = ParseJsonObjectBody(request);
            if (!body.ok()) return ErrorFromStatus(body.status());
            std::string role_name, name;
            double rate = 0;
            for (Status s : {Field(*body, "role", &role_name), Field(*body, "name", &name),
                             Field(*body, "rate_limit", &rate)}) {
              if (!s.ok()) return ErrorFromStatus(s);
            }
            Result<Role> role = ParseRole(role_name);
            if (!role.ok()) return ErrorFromStatus(role.status());
            Result<CreatedKey> created = c->keys->Create(*role, name, rate, call.actor());
            if (!created.ok()) return ErrorFromStatus(created.status());
            call.outcome = "created";
            call.detail = fmt::format(R"({{"key_id":"{}","role":"{}"}})", created->info.key_id, role_name);
            return JsonResponse({{"key", created->key}, {"key_id", created->info.key_id},
                                 {"name", created->info.name}, {"role", RoleName(created->info.role)},
                                 {"rate_limit", created->info.rate_limit}},
                                201);
          },
          Blocking());
  ctx.Add("DELETE", "/v1/keys/{id}", Access::kAdmin, AuditKind::kCuration,
          [c](http::Request& request, CallContext& call) -> http::Response {
            Result<ApiKeyInfo> revoked = c->keys->Revoke(request.PathParam("id"), call.actor());
            if (!revoked.ok()) return ErrorFromStatus(revoked.status());
            call.outcome = "revoked";
            call.detail = fmt::format(R"({{"key_id":"{}"}})", revoked->key_id);
            return JsonResponse({{"revoked", revoked->key_id}});
          },
          Blocking());
}

}  // namespace

void AddV1Routes(ServiceContext& ctx) {
  AddHashAndMatch(ctx);
  AddBanks(ctx);
  AddItems(ctx);
  AddImportExport(ctx);
  AddAdmin(ctx);
}

}  // namespace warden
