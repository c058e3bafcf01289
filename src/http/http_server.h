// HttpServer: Warden's own HTTP/1.1 server (RFC 9112) on epoll, built for a matching service
// that must answer tens of thousands of small lookups a second on two cores while refusing
// whatever a hostile client sends.
//
// Model: `io_threads` event-loop threads each own an epoll set; one of them accepts and hands
// connections out round-robin. A loop thread reads and parses requests (keep-alive, pipelining
// answered in order, Content-Length or chunked bodies) and runs the route's handler INLINE when
// the route is cheap (lookups), or posts it to a pool of `worker_threads` when the route was
// added with `blocking = true` (image hashing, URL fetches, imports); the response goes back to
// the loop thread, which writes it without blocking.
//
// Limits (each answered with the JSON error of ErrorResponse and the connection closed where
// the stream cannot be trusted any more):
//   - request line + headers over max_header_bytes: 431 "headers_too_large"
//   - body over the route's max_body_bytes (or the server's): 413 "body_too_large", decided
//     from Content-Length before reading the body, or while de-chunking
//   - a request whose headers do not arrive within header_timeout_ms of its first byte, or
//     whose body stalls for read_timeout_ms: 408 "request_timeout"
//   - an idle keep-alive connection is closed after idle_timeout_ms
//   - more than max_connections open: the new connection gets 503 "too_many_connections" and
//     is closed
//   - malformed request line, header or chunk framing: 400 "bad_request" naming the problem;
//     unknown path: 404 "not_found"; known path, wrong method: 405 "method_not_allowed" with
//     an Allow header; Transfer-Encoding other than chunked: 501 "not_implemented"
//   - Expect: 100-continue is answered with 100 Continue only if the body is within limits.
//
// Routing: patterns are literal segments and `{name}` captures of one whole segment, e.g.
// "/c/bank/{name}/content/{id}". Exact segments beat captures; among equal patterns, first added
// wins. HEAD is answered for GET routes without a body.
//
// Shutdown: Stop() stops accepting, lets every request already received finish and be written
// (up to drain_timeout_ms), closes idle connections, then joins every thread. Start/Stop are
// called from one owner thread; handlers run concurrently on many threads.
#ifndef WARDEN_SRC_HTTP_HTTP_SERVER_H_
#define WARDEN_SRC_HTTP_HTTP_SERVER_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "src/http/http_message.h"
#include "warden/status.h"

namespace warden::http {

using Handler = std::function<Response(Request&)>;

struct RouteOptions {
  bool blocking = false;       // run on the worker pool instead of the event loop
  int64_t max_body_bytes = 0;  // > 0 overrides ServerOptions::max_body_bytes for this route
  // If set (and !blocking), decides per request, after parsing and before the handler, whether
  // this request runs on the worker pool (e.g. a lookup that must fetch a URL first).
  std::function<bool(const Request&)> blocking_when;
};

struct ServerOptions {
  std::string bind_address = "127.0.0.1";  // IPv4 or IPv6 literal; "0.0.0.0" for all
  int port = 0;                            // 0 = an ephemeral port (see HttpServer::port())
  int io_threads = 2;
  int worker_threads = 4;
  int max_connections = 1024;
  int64_t max_body_bytes = 20 << 20;  // 20 MiB
  int max_header_bytes = 16 << 10;    // request line + headers
  int header_timeout_ms = 10'000;
  int read_timeout_ms = 30'000;   // longest pause while a body arrives
  int write_timeout_ms = 30'000;  // longest pause while the client reads our answer
  int idle_timeout_ms = 60'000;   // keep-alive idle limit
  int drain_timeout_ms = 10'000;  // Stop() waits at most this long for in-flight requests
  int max_queued_blocking = 256;  // blocking requests waiting for a worker; over: 503 "busy"
};

// What the server reports after each response is written (or the connection failed while
// writing it): for metrics and logs. `route` is the matched pattern ("" when none matched, e.g.
// a 404 or a 400 before routing). Called on a loop thread; must be cheap and thread-safe.
struct Exchange {
  const Request* request = nullptr;  // may be partially filled for errors before routing
  std::string_view route;
  int status = 0;
  int64_t response_bytes = 0;
  std::chrono::nanoseconds latency{0};  // from the request's first byte to the last byte written
};
using ExchangeObserver = std::function<void(const Exchange&)>;

class HttpServer {
 public:
  explicit HttpServer(ServerOptions options);
  ~HttpServer();  // calls Stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Registers a route; call before Start(). `method` is "GET", "POST", "PUT", "DELETE", ...
  // REQUIRES: a valid pattern starting with '/'.
  void Route(std::string method, std::string pattern, Handler handler, RouteOptions options = {});
  void SetObserver(ExchangeObserver observer);

  // Binds, listens and starts the threads. Errors: kInvalidArgument for bad options or address;
  // kIoError naming the address and errno text when bind/listen fails (e.g. port in use).
  Status Start();
  // Drains and stops (see the header comment). Idempotent.
  void Stop();

  // The bound port (after Start), useful with port 0.
  int port() const;
  // Connections open now; requests being handled now.
  int open_connections() const;
  int in_flight() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace warden::http

#endif  // WARDEN_SRC_HTTP_HTTP_SERVER_H_
