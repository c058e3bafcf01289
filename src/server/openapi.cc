// The OpenAPI 3.0 document of Warden's /v1/ API, served at /v1/openapi.json. Built once from the
// table below, which mirrors docs/api.md; service_test checks that every /v1/ route is in it.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "src/bank/item_json.h"
#include "src/server/service_context.h"

namespace warden {
namespace {

using nlohmann::json;

struct Operation {
  const char* method;  // lower case, as OpenAPI keys it
  const char* path;
  const char* role;  // "open" or the least role
  const char* summary;
  const char* request;   // request body description ("" = none)
  const char* response;  // the success answer
  int success = 200;
};

const std::vector<Operation>& Operations() {
  static const std::vector<Operation> ops = {
      {"post", "/v1/hash", "hasher",
       "Hash an uploaded image (raw body or multipart); ?signals=pdq,md5,sha1,sha256,local picks "
       "the signals (default: the four hashes; local features, up to 8 KB of hex, only when asked)",
       "image bytes, or multipart/form-data with a file part", "hash record: width, height, format, pipeline, too_small, signals[], dihedral{}"},
      {"get", "/v1/hash", "hasher", "Hash the image at ?url= (http(s), public addresses only unless allow-listed)", "",
       "hash record"},
      {"post", "/v1/match", "matcher",
       "Hash an uploaded image and match it in one call: PDQ, digests and (?local=, by default "
       "when the banks hold local signals) local features with geometric verification; a local "
       "match reports score, inliers, coverage and region {x0, y0, x1, y1} in query pixels",
       "image bytes or multipart", "{hash, matched, matches[], negative[], suppressed[], notes[]}"},
      {"get", "/v1/match", "matcher", "Hash the image at ?url= and match it", "",
       "{hash, matched, matches[], negative[], suppressed[], notes[]}"},
      {"post", "/v1/lookup", "matcher", "Look up 1..1000 hashes in one request",
       "{hashes: [{signal_type, value, quality} | \"type:hex\"], threshold, banks[], dihedral, local_min_score}",
       "{results: [{signal_type, value, matched, matches[], negative[], suppressed[], notes[]}]}"},
      {"get", "/v1/banks", "matcher", "List banks with their settings and item counts", "", "{banks: [bank]}"},
      {"post", "/v1/banks", "curator", "Create a bank",
       "{name, description, enabled, matching_ratio, kind, source}", "bank", 201},
      {"get", "/v1/banks/{name}", "matcher", "Read a bank", "", "bank"},
      {"put", "/v1/banks/{name}", "curator", "Change a bank's settings (not its name)",
       "{description, enabled, matching_ratio, kind, source}", "bank"},
      {"delete", "/v1/banks/{name}", "curator", "Delete a bank and its items", "", "{deleted}"},
      {"get", "/v1/banks/{name}/items", "curator", "List a bank's items (?after_id=&limit=)", "",
       "{items: [item], next_after_id}"},
      {"post", "/v1/banks/{name}/items", "curator", "Add an item (deduplicated by signal)",
       "item: {signals[], classification, provenance, note, disable_until_ms}", "{item, duplicate}", 201},
      {"get", "/v1/items/{id}", "curator", "Read an item", "", "item"},
      {"put", "/v1/items/{id}", "curator", "Replace fields of an item (absent fields are kept)",
       "any of signals, classification, provenance, note, disable_until_ms", "item"},
      {"delete", "/v1/items/{id}", "curator", "Delete an item", "", "{deleted}"},
      {"post", "/v1/banks/{name}/import", "curator",
       "Import a hash list (?format=pytx|pdq-hasher|csv|jsonl|stopncii|ncmec; detected if absent)",
       "the file's bytes", "{format, records, added, updated, removed, duplicate, not_found, superseded, quarantined, quarantine[]}"},
      {"get", "/v1/banks/{name}/export", "curator", "Export a bank (?format=..., default jsonl)", "",
       "the bank in that format"},
      {"get", "/v1/audit", "admin", "Read the audit log, newest first (?key_id=&endpoint=&since_ms=&before_seq=&limit=)",
       "", "{entries: [{seq, at_ms, key_id, key_name, role, method, endpoint, target, status, outcome, detail, remote_address}]}"},
      {"get", "/v1/keys", "admin", "List API keys (never their secrets)", "", "{keys: [...]}"},
      {"post", "/v1/keys", "admin", "Create an API key; the key is shown only in this answer",
       "{role, name, rate_limit}", "{key, key_id, name, role, rate_limit}", 201},
      {"delete", "/v1/keys/{id}", "admin", "Revoke an API key (by key id or name)", "", "{revoked}"},
      {"get", "/v1/openapi.json", "open", "This document", "", "OpenAPI 3.0 JSON"},
  };
  return ops;
}

json ErrorResponses(const Operation& op) {
  json out = {{"400", {{"description", "bad_request, malformed_hash or not_an_image"},
                       {"content", {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Error"}}}}}}}}}};
  if (std::string(op.role) != "open") {
    out["401"] = {{"description", "unauthenticated: no, malformed, unknown or revoked key"}};
    out["403"] = {{"description", "permission_denied: the key's role is too low"}};
    out["429"] = {{"description", "rate_limited; see Retry-After"}};
  }
  out["404"] = {{"description", "unknown_bank, unknown_item or not_found"}};
  out["413"] = {{"description", "body_too_large or image_too_large"}};
  return out;
}

std::string Build() {
  json paths = json::object();
  for (const Operation& op : Operations()) {
    json o = {{"summary", op.summary},
              {"x-warden-role", op.role},
              {"responses", ErrorResponses(op)}};
    o["responses"][std::to_string(op.success)] = {{"description", op.response}};
    if (std::string(op.role) == "open") {
      o["security"] = json::array();
    }
    json params = json::array();
    std::string path = op.path;
    for (size_t open = path.find('{'); open != std::string::npos; open = path.find('{', open + 1)) {
      size_t close = path.find('}', open);
      params.push_back({{"name", path.substr(open + 1, close - open - 1)},
                        {"in", "path"},
                        {"required", true},
                        {"schema", {{"type", "string"}}}});
    }
    if (!params.empty()) o["parameters"] = std::move(params);
    if (op.request[0] != '\0') {
      o["requestBody"] = {{"description", op.request}, {"required", true},
                          {"content", {{"application/json", json::object()},
                                       {"application/octet-stream", json::object()},
                                       {"multipart/form-data", json::object()}}}};
    }
    paths[op.path][op.method] = std::move(o);
  }
  json doc = json::object();
  doc["openapi"] = "3.0.3";
  doc["info"] = {{"title", "Warden matching service"},
                 {"version", "1"},
                 {"description",
                  "Hash images and match them against hash lists (banks). The HMA 2.0 paths "
                  "(/status, /h/, /m/, /c/) are served too; see docs/api.md."}};
  doc["servers"] = json::array({json{{"url", "/"}}});
  doc["security"] = json::array({json{{"bearer", json::array()}}});
  json error = json::object();
  error["type"] = "object";
  error["properties"]["error"]["type"] = "object";
  error["properties"]["error"]["properties"]["code"]["type"] = "string";
  error["properties"]["error"]["properties"]["message"]["type"] = "string";
  doc["components"]["securitySchemes"]["bearer"] = {{"type", "http"}, {"scheme", "bearer"}};
  doc["components"]["schemas"]["Error"] = std::move(error);
  doc["paths"] = std::move(paths);
  return DumpJson(doc);
}

}  // namespace

const std::string& OpenApiDocument() {
  static const std::string* const doc = new std::string(Build());
  return *doc;
}

}  // namespace warden
