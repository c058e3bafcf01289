// ServiceContext: what the route files (hma_routes.cc, v1_routes.cc) share with the service:
// the components, the configuration, and Add(), which registers a route behind the guard every
// endpoint goes through:
//   1. authentication (Authorization: Bearer) unless the route is open -> 401
//   2. the role ladder (api_keys.h) -> 403
//   3. the key's rate limit -> 429 with Retry-After
//   4. the handler (exceptions caught -> 500 "internal")
//   5. the audit log (curation always; lookups and hashing unless audit_lookups = false;
//      denied requests too). If the audit log refuses (fail closed), the answer becomes 503.
//
// Thread safety: the components are thread-safe; CallContext is per request.
#ifndef WARDEN_SRC_SERVER_SERVICE_CONTEXT_H_
#define WARDEN_SRC_SERVER_SERVICE_CONTEXT_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "src/http/http_server.h"
#include "src/http/url_fetcher.h"
#include "src/server/api_keys.h"
#include "src/server/audit_log.h"
#include "src/server/metrics.h"
#include "src/server/rate_limiter.h"
#include "src/server/serve_config.h"
#include "warden/bank_store.h"
#include "warden/hasher.h"
#include "warden/matcher.h"

namespace warden {

class Logger;

// Per request: who called, and what the handler wants the audit log to say.
struct CallContext {
  const ApiKeyInfo* key = nullptr;  // null on open routes
  std::string outcome;              // e.g. "match", "no_match", "created"; default: from status
  std::string detail;               // short text or JSON
  std::string actor() const;        // "key:<name>" for the store's history
};

using ApiHandler = std::function<http::Response(http::Request&, CallContext&)>;

enum class Access { kOpen, kHasher, kMatcher, kCurator, kAdmin };
enum class AuditKind { kNone, kLookup, kCuration };

struct ServiceContext {
  ServeConfig config;
  BankStore* store = nullptr;
  Matcher* matcher = nullptr;
  KeyStore* keys = nullptr;
  AuditLog* audit = nullptr;
  Metrics* metrics = nullptr;
  RateLimiter* limiter = nullptr;
  http::UrlFetcher* fetcher = nullptr;
  Logger* log = nullptr;
  http::HttpServer* server = nullptr;
  HashOptions hash_options;  // pipeline and pixel limit from the config

  // Refresh bookkeeping (written by the refresh loop and after API writes).
  std::atomic<int64_t> last_refresh_ok_ms{0};
  std::atomic<int64_t> last_change_ms{0};  // store time of the newest change applied
  std::atomic<int64_t>* store_errors = nullptr;

  // Registers `handler` at method + pattern behind the guard above.
  void Add(const std::string& method, const std::string& pattern, Access access, AuditKind audit,
           ApiHandler handler, http::RouteOptions options = {});

  // A bank settings change (PUT /c/bank/<name>, PUT /v1/banks/<name>): parses the JSON body,
  // refuses a rename, lets `apply` read the body onto the current bank, stores it, refreshes
  // the matcher and fills the audit outcome. Returns the stored bank, or sets *error to the
  // answer to send (400, 404 unknown_bank, store errors) and returns nullopt.
  std::optional<Bank> UpdateBankFromRequest(
      const http::Request& request, CallContext& call,
      const std::function<Result<Bank>(const nlohmann::json& body, Bank bank)>& apply,
      http::Response* error);

  // After a write through the API: bring the matcher up to date so the next lookup sees it.
  // Errors are logged and counted; the write itself already succeeded.
  void AfterWrite();
};

void AddHmaRoutes(ServiceContext& ctx);
void AddV1Routes(ServiceContext& ctx);
// The OpenAPI 3.0 document of /v1/ (JSON text).
const std::string& OpenApiDocument();

}  // namespace warden

#endif  // WARDEN_SRC_SERVER_SERVICE_CONTEXT_H_
