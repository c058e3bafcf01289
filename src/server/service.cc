#include "src/server/service.h"

#include <fmt/core.h>

#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "src/http/http_server.h"
#include "src/http/url_fetcher.h"
#include "src/server/api_keys.h"
#include "src/server/api_support.h"
#include "src/server/audit_log.h"
#include "src/server/log.h"
#include "src/server/metrics.h"
#include "src/server/rate_limiter.h"
#include "src/server/service_context.h"
#include "warden/bank_store.h"
#include "warden/matcher.h"

namespace warden {
namespace {

// Above this many waiting audit entries a request is refused before it runs (fail closed): a
// curation write must not happen unaudited. Below the audit log's own max_queue so the entry of
// a request that did run still fits.
constexpr int64_t kAuditHighWater = 150'000;

Role RoleFor(Access access) {
  switch (access) {
    case Access::kHasher: return Role::kHasher;
    case Access::kMatcher: return Role::kMatcher;
    case Access::kCurator: return Role::kCurator;
    case Access::kAdmin:
    case Access::kOpen: break;
  }
  return Role::kAdmin;
}

int64_t NowMs() { return SystemClock::Default()->NowMs(); }

// The stable error code of an error answer (for the audit outcome); "" if it has none.
std::string ErrorCodeOf(const http::Response& response) {
  auto j = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_object() && j.contains("error") && j["error"].is_object() &&
      j["error"].contains("code") && j["error"]["code"].is_string()) {
    return j["error"]["code"].get<std::string>();
  }
  return fmt::format("http_{}", response.status);
}

}  // namespace

std::string CallContext::actor() const {
  if (key == nullptr) return "api";
  return "key:" + key->name.substr(0, kMaxShortFieldLength - 4);
}

void ServiceContext::Add(const std::string& method, const std::string& pattern, Access access,
                         AuditKind audit_kind, ApiHandler handler, http::RouteOptions options) {
  server->Route(
      method, pattern,
      [this, method, pattern, access, audit_kind,
       handler = std::move(handler)](http::Request& request) -> http::Response {
        CallContext call;
        std::optional<ApiKeyInfo> key;
        http::Response response;
        bool denied = false;
        if (access != Access::kOpen) {
          std::optional<std::string_view> header = request.headers.Get("authorization");
          std::string_view token = header ? BearerToken(*header) : std::string_view();
          if (token.empty()) {
            response = http::ErrorResponse(401, "unauthenticated",
                                           header ? "Authorization must be 'Bearer <API key>'"
                                                  : "missing Authorization: Bearer <API key>");
            denied = true;
          } else if (Result<ApiKeyInfo> found = keys->Authenticate(token); !found.ok()) {
            response = http::ErrorResponse(401, "unauthenticated", found.status().message());
            denied = true;
          } else {
            key = std::move(*found);
            const Role need = RoleFor(access);
            if (!RoleAllows(key->role, need)) {
              response = http::ErrorResponse(
                  403, "permission_denied",
                  fmt::format("{} {} needs role '{}' or higher; key '{}' has role '{}'", method,
                              pattern, RoleName(need), key->name, RoleName(key->role)));
              denied = true;
            } else {
              const double rate = key->rate_limit > 0 ? key->rate_limit : config.rate_limit;
              RateDecision decision = limiter->Acquire(key->key_id, rate, config.rate_burst_s);
              if (!decision.allowed) {
                response = http::ErrorResponse(
                    429, "rate_limited",
                    fmt::format("key '{}' is over its rate limit of {} requests/s", key->name, rate));
                response.headers.Set("Retry-After", std::to_string(decision.retry_after_s));
                denied = true;
              }
            }
          }
          if (denied && response.status == 401) response.headers.Set("WWW-Authenticate", "Bearer");
        }
        const bool audited = access != Access::kOpen &&
                             (audit_kind == AuditKind::kCuration || denied ||
                              (audit_kind == AuditKind::kLookup && config.audit_lookups));
        if (!denied && audited && audit->queued() >= kAuditHighWater) {
          response = http::ErrorResponse(503, "unavailable",
                                         "the audit log cannot keep up; request refused unaudited");
          denied = true;
        }
        if (!denied) {
          call.key = key ? &*key : nullptr;
          try {
            response = handler(request, call);
          } catch (const std::exception& e) {
            response = http::ErrorResponse(500, "internal", std::string("internal error: ") + e.what());
          } catch (...) {
            response = http::ErrorResponse(500, "internal", "internal error");
          }
        }
        if (audited) {
          AuditEntry entry;
          if (key) {
            entry.key_id = key->key_id;
            entry.key_name = key->name;
            entry.role = RoleName(key->role);
          }
          entry.method = method;
          entry.endpoint = pattern;
          entry.target = request.path;
          entry.status = response.status;
          entry.outcome = !call.outcome.empty()          ? call.outcome
                          : response.status < 400 ? std::string("ok")
                                                  : ErrorCodeOf(response);
          entry.detail = std::move(call.detail);
          entry.remote_address = request.remote_address;
          if (Status s = audit->Record(std::move(entry)); !s.ok()) {
            if (log) log->Error("audit log refused an entry", {{"error", s.message()}});
            // A lookup is not answered unaudited; a write already happened, so its answer stands.
            if (audit_kind != AuditKind::kCuration) {
              response = http::ErrorResponse(503, "unavailable", "audit log unavailable: " + s.message());
            }
          }
        }
        return response;
      },
      options);
}

std::optional<Bank> ServiceContext::UpdateBankFromRequest(
    const http::Request& request, CallContext& call,
    const std::function<Result<Bank>(const nlohmann::json& body, Bank bank)>& apply,
    http::Response* error) {
  const std::string& name = request.PathParam("name");
  Result<nlohmann::json> body = ParseJsonObjectBody(request);
  if (!body.ok()) {
    *error = ErrorFromStatus(body.status());
    return std::nullopt;
  }
  if (auto n = body->find("name"); n != body->end() && !n->is_null() &&
                                   (!n->is_string() || n->get<std::string>() != name)) {
    *error = BadRequest("renaming a bank is not supported");
    return std::nullopt;
  }
  Result<Bank> bank = store->GetBank(name);
  if (!bank.ok()) {
    *error = ErrorFromStatus(bank.status(), ErrorDomain::kBank);
    return std::nullopt;
  }
  Result<Bank> changed = apply(*body, *bank);
  if (!changed.ok()) {
    *error = ErrorFromStatus(changed.status());
    return std::nullopt;
  }
  Result<Bank> stored = store->UpdateBank(*changed, call.actor());
  if (!stored.ok()) {
    *error = ErrorFromStatus(stored.status(), ErrorDomain::kBank);
    return std::nullopt;
  }
  AfterWrite();
  call.outcome = "updated";
  call.detail = fmt::format(R"({{"bank":"{}"}})", name);
  return std::move(*stored);
}

void ServiceContext::AfterWrite() {
  Result<int64_t> applied = matcher->Refresh();
  if (!applied.ok()) {
    if (store_errors) store_errors->fetch_add(1, std::memory_order_relaxed);
    if (log) log->Error("index refresh after a write failed", {{"error", applied.status().message()}});
    return;
  }
  last_refresh_ok_ms.store(NowMs(), std::memory_order_relaxed);
}

namespace {

class ServiceImpl final : public Service {
 public:
  ~ServiceImpl() override { Stop(); }

  static Result<std::unique_ptr<Service>> Make(const ServeConfig& config, Logger* log);

  Status Start() override {
    WARDEN_RETURN_IF_ERROR(server_->Start());
    refresher_ = std::thread([this] { RefreshLoop(); });
    started_ = true;
    return Status::Ok();
  }

  void Stop() override {
    if (stopped_) return;
    stopped_ = true;
    if (server_) server_->Stop();
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (refresher_.joinable()) refresher_.join();
    if (audit_) {
      if (Status s = audit_->Flush(); !s.ok() && log_) {
        log_->Error("audit log flush at shutdown failed", {{"error", s.message()}});
      }
    }
  }

  int port() const override { return server_->port(); }

 private:
  void RefreshLoop() {
    const auto interval = std::chrono::milliseconds(ctx_.config.refresh_interval_ms);
    std::unique_lock lock(mu_);
    while (!cv_.wait_for(lock, interval, [this] { return stopping_; })) {
      lock.unlock();
      Result<int64_t> applied = matcher_->Refresh();
      if (applied.ok()) {
        ctx_.last_refresh_ok_ms.store(NowMs(), std::memory_order_relaxed);
      } else {
        store_errors_->fetch_add(1, std::memory_order_relaxed);
        if (log_) log_->Error("index refresh failed", {{"error", applied.status().message()}});
      }
      lock.lock();
    }
  }

  void AddOpsRoutes();
  void AddMetrics();

  Logger* log_ = nullptr;
  std::unique_ptr<BankStore> store_;
  std::unique_ptr<Matcher> matcher_;
  std::unique_ptr<KeyStore> keys_;
  std::unique_ptr<AuditLog> audit_;
  std::unique_ptr<Metrics> metrics_;
  std::unique_ptr<RateLimiter> limiter_;
  std::unique_ptr<http::UrlFetcher> fetcher_;
  std::unique_ptr<http::HttpServer> server_;
  std::atomic<int64_t>* store_errors_ = nullptr;
  ServiceContext ctx_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool started_ = false;
  bool stopped_ = false;
  std::thread refresher_;
};

void ServiceImpl::AddOpsRoutes() {
  ServiceContext& ctx = ctx_;
  // Readiness as HMA answers it: the index is loaded (it is, once we listen) and current.
  ctx.Add("GET", "/status", Access::kOpen, AuditKind::kNone,
          [&ctx](http::Request&, CallContext&) {
            const int64_t age = NowMs() - ctx.last_refresh_ok_ms.load(std::memory_order_relaxed);
            const int64_t stale_after =
                std::max<int64_t>(5'000, 20LL * ctx.config.refresh_interval_ms);
            if (age > stale_after) return http::Response::Text(503, "INDEX-STALE");
            return http::Response::Text(200, "I-AM-ALIVE");
          });
  ctx.Add("GET", "/status/live", Access::kOpen, AuditKind::kNone,
          [](http::Request&, CallContext&) { return http::Response::Text(200, "I-AM-ALIVE"); });
  ctx.Add("GET", "/v1/openapi.json", Access::kOpen, AuditKind::kNone,
          [](http::Request&, CallContext&) { return http::Response::Json(200, OpenApiDocument()); });
  Metrics* metrics = metrics_.get();
  ctx.Add("GET", "/metrics", ctx.config.metrics_public ? Access::kOpen : Access::kAdmin,
          AuditKind::kNone, [metrics](http::Request&, CallContext&) {
            return http::Response::Text(200, metrics->Render(),
                                        "text/plain; version=0.0.4; charset=utf-8");
          });
}

void ServiceImpl::AddMetrics() {
  Matcher* matcher = matcher_.get();
  AuditLog* audit = audit_.get();
  http::HttpServer* server = server_.get();
  ServiceContext* ctx = &ctx_;
  store_errors_ = metrics_->Counter("warden_store_errors_total",
                                    "Failed store reads or writes (including index refreshes)");
  ctx_.store_errors = store_errors_;
  metrics_->AddGauge("warden_index_pdq_hashes", "PDQ hashes in the match index",
                     [matcher] { return static_cast<double>(matcher->Stats().pdq_signals); });
  metrics_->AddGauge("warden_index_digest_hashes", "MD5/SHA-1/SHA-256 hashes in the match index",
                     [matcher] { return static_cast<double>(matcher->Stats().digest_signals); });
  metrics_->AddGauge("warden_index_items", "Items held by the matcher (every bank)",
                     [matcher] { return static_cast<double>(matcher->Stats().items); });
  metrics_->AddGauge("warden_index_banks", "Banks known to the matcher",
                     [matcher] { return static_cast<double>(matcher->Stats().banks); });
  metrics_->AddGauge("warden_index_bytes", "Heap bytes of the PDQ index",
                     [matcher] { return static_cast<double>(matcher->Stats().index_bytes); });
  metrics_->AddGauge("warden_index_refresh_age_seconds", "Seconds since the last successful index refresh",
                     [ctx] {
                       return (NowMs() - ctx->last_refresh_ok_ms.load(std::memory_order_relaxed)) / 1000.0;
                     });
  metrics_->AddGauge("warden_http_open_connections", "Open client connections",
                     [server] { return static_cast<double>(server->open_connections()); });
  metrics_->AddGauge("warden_http_in_flight_requests", "Requests being handled",
                     [server] { return static_cast<double>(server->in_flight()); });
  metrics_->AddGauge("warden_audit_queued_entries", "Audit entries waiting to be written",
                     [audit] { return static_cast<double>(audit->queued()); });
  metrics_->AddGauge("warden_audit_written_entries", "Audit entries written since start",
                     [audit] { return static_cast<double>(audit->written()); });
  metrics_->AddGauge("warden_audit_write_failures", "Failed audit write transactions since start",
                     [audit] { return static_cast<double>(audit->failures()); });
  metrics_->AddGauge("warden_audit_pruned_entries",
                     "Audit entries deleted since start as older than audit_retention_days",
                     [audit] { return static_cast<double>(audit->pruned()); });
}

Result<std::unique_ptr<Service>> ServiceImpl::Make(const ServeConfig& config, Logger* log) {
  WARDEN_RETURN_IF_ERROR(ValidateServeConfig(config));
  auto service = std::make_unique<ServiceImpl>();
  ServiceImpl& s = *service;
  s.log_ = log;
  WARDEN_ASSIGN_OR_RETURN(s.store_, OpenSqliteStore(config.db));
  WARDEN_ASSIGN_OR_RETURN(s.keys_, OpenKeyStore(config.db));
  const std::string audit_path =
      config.audit_db.empty() ? DefaultAuditDbPath(config.db) : config.audit_db;
  WARDEN_ASSIGN_OR_RETURN(int64_t moved, MoveLegacyAuditLog(config.db, audit_path));
  if (moved > 0 && log != nullptr) {
    log->Info("audit log moved to its own file",
              {{"entries", moved}, {"from", config.db}, {"to", audit_path}});
  }
  AuditLogOptions audit_options;
  audit_options.retention_ms = int64_t{config.audit_retention_days} * 24 * 3600 * 1000;
  WARDEN_ASSIGN_OR_RETURN(s.audit_, OpenAuditLog(audit_path, audit_options));
  const auto t0 = std::chrono::steady_clock::now();
  WARDEN_ASSIGN_OR_RETURN(s.matcher_, NewMatcher(s.store_.get()));
  const double load_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  s.metrics_ = std::make_unique<Metrics>();
  s.limiter_ = std::make_unique<RateLimiter>();

  http::FetchOptions fetch;
  fetch.max_bytes = config.fetch_max_bytes;
  fetch.timeout_ms = config.fetch_timeout_ms;
  fetch.allow_list = config.url_allow_list;
  s.fetcher_ = std::make_unique<http::UrlFetcher>(fetch);

  http::ServerOptions server;
  server.bind_address = config.listen;
  server.port = config.port;
  server.io_threads = config.io_threads;
  server.worker_threads = config.worker_threads;
  server.max_connections = config.max_connections;
  server.max_body_bytes = config.max_body_bytes;
  server.header_timeout_ms = config.header_timeout_ms;
  server.read_timeout_ms = config.read_timeout_ms;
  server.idle_timeout_ms = config.idle_timeout_ms;
  server.drain_timeout_ms = config.drain_timeout_ms;
  s.server_ = std::make_unique<http::HttpServer>(server);

  ServiceContext& ctx = s.ctx_;
  ctx.config = config;
  ctx.store = s.store_.get();
  ctx.matcher = s.matcher_.get();
  ctx.keys = s.keys_.get();
  ctx.audit = s.audit_.get();
  ctx.metrics = s.metrics_.get();
  ctx.limiter = s.limiter_.get();
  ctx.fetcher = s.fetcher_.get();
  ctx.log = log;
  ctx.server = s.server_.get();
  WARDEN_ASSIGN_OR_RETURN(ctx.hash_options.pipeline, ParsePipeline(config.pipeline));
  ctx.hash_options.dihedral = config.dihedral;
  ctx.hash_options.decode.max_pixels = config.max_pixels;
  ctx.last_refresh_ok_ms.store(NowMs());

  s.AddMetrics();
  Metrics* metrics = s.metrics_.get();
  s.server_->SetObserver([metrics, log](const http::Exchange& x) {
    const std::string_view endpoint = x.route.empty() ? std::string_view("unmatched") : x.route;
    const std::string_view method = x.request ? std::string_view(x.request->method) : "";
    metrics->ObserveRequest(endpoint, method, x.status, x.latency, x.response_bytes);
    if (log != nullptr && log->Enabled(LogLevel::kDebug)) {
      log->Debug("request", {{"method", method},
                             {"endpoint", endpoint},
                             {"status", x.status},
                             {"bytes", x.response_bytes},
                             {"ms", std::chrono::duration<double, std::milli>(x.latency).count()}});
    }
  });
  s.AddOpsRoutes();
  AddHmaRoutes(ctx);
  AddV1Routes(ctx);

  MatcherStats stats = s.matcher_->Stats();
  if (log != nullptr) {
    log->Info("index loaded", {{"pdq_hashes", stats.pdq_signals},
                               {"digest_hashes", stats.digest_signals},
                               {"items", stats.items},
                               {"banks", stats.banks},
                               {"seconds", load_s},
                               {"db", config.db},
                               {"audit_db", audit_path}});
  }
  return std::unique_ptr<Service>(std::move(service));
}

}  // namespace

Result<std::unique_ptr<Service>> Service::Create(const ServeConfig& config, Logger* log) {
  return ServiceImpl::Make(config, log);
}

}  // namespace warden
