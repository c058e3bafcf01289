// Service: `warden serve`, the matching service (docs/api.md). It owns the bank store (SQLite),
// the matcher (in-memory index kept current from the store's change feed), API keys, the rate
// limiter, the audit log, metrics, the URL fetcher and the HTTP server, and registers HMA's paths
// and Warden's /v1/ API on it.
//
// Lifecycle: Create() opens everything and loads the index; Start() listens; Stop() drains
// in-flight requests (HttpServer::Stop), stops the refresh thread and flushes the audit log.
// A restart finds every committed write in the store.
//
// Thread safety: Start/Stop from one owner thread; requests are served concurrently.
#ifndef WARDEN_SRC_SERVER_SERVICE_H_
#define WARDEN_SRC_SERVER_SERVICE_H_

#include <memory>

#include "src/server/serve_config.h"
#include "warden/status.h"

namespace warden {

class Logger;

class Service {
 public:
  // Opens the store at config.db (creating it if missing), the key table and audit log in the
  // same file, builds the matcher. `log` (not owned, may be null = no logging) must outlive
  // the service. Errors: ValidateServeConfig's; the store's (naming the path).
  static Result<std::unique_ptr<Service>> Create(const ServeConfig& config, Logger* log);
  virtual ~Service() = default;

  // Binds and serves. Errors: the HTTP server's (e.g. the port is taken).
  virtual Status Start() = 0;
  // Drains, stops, flushes. Idempotent.
  virtual void Stop() = 0;
  // The bound port after Start (useful with port 0).
  virtual int port() const = 0;
};

}  // namespace warden

#endif  // WARDEN_SRC_SERVER_SERVICE_H_
