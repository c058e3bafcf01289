// FetchTestServer: a deliberately small HTTP(S) server on 127.0.0.1 for the URL fetcher's tests.
// It is written with raw sockets (and OpenSSL for TLS) so that the fetcher is tested against
// something independent of Warden's own HTTP server, and so that a test can misbehave on
// purpose: announce a huge body, stream forever, stay silent, redirect in circles.
//
// One thread accepts connections one at a time, reads the request head and calls the handler
// registered for its target's path (404 for none). Test-only code.
//
// Thread safety: construct and destroy on one thread; requests() and connections() may be
// called from any thread while it runs.
#ifndef WARDEN_SRC_HTTP_FETCH_TEST_SERVER_H_
#define WARDEN_SRC_HTTP_FETCH_TEST_SERVER_H_

#include <openssl/types.h>

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace warden::http {

class FetchTestServer {
 public:
  // One accepted connection as a handler sees it.
  class Peer {
   public:
    // Sends all of `data`; false once the client has gone (no SIGPIPE).
    bool Write(std::string_view data);
    // Returns when the client closes its side or the server stops.
    void WaitUntilClosed();

   private:
    friend class FetchTestServer;
    int fd_ = -1;
    int stop_fd_ = -1;
    SSL* ssl_ = nullptr;
  };
  // Called with the connection and the request's target ("/a?b").
  using Handler = std::function<void(Peer& peer, const std::string& target)>;

  // Listens on 127.0.0.1 at a free port. `tls`, if not null, is a server SSL_CTX with the
  // certificate and key set; the server takes a reference of its own.
  explicit FetchTestServer(std::map<std::string, Handler> routes, SSL_CTX* tls = nullptr);
  ~FetchTestServer();
  FetchTestServer(const FetchTestServer&) = delete;
  FetchTestServer& operator=(const FetchTestServer&) = delete;

  int port() const { return port_; }
  // "http://127.0.0.1:PORT" + target (https for a TLS server).
  std::string Url(std::string_view target) const;
  // Every request head received, in order.
  std::vector<std::string> requests() const;
  int connections() const { return connections_.load(); }

  // A whole response: status line, the given header lines (each ending in "\r\n"), a
  // Content-Length and Connection: close, then `body`.
  static std::string Response(int status, std::string_view headers, std::string_view body);

 private:
  void Serve();
  void HandleOne(int fd);

  std::map<std::string, Handler> routes_;
  SSL_CTX* tls_ = nullptr;
  int listen_fd_ = -1;
  int stop_pipe_[2] = {-1, -1};
  int port_ = 0;
  std::atomic<int> connections_{0};
  mutable std::mutex mu_;
  std::vector<std::string> requests_;
  std::thread thread_;
};

}  // namespace warden::http

#endif  // WARDEN_SRC_HTTP_FETCH_TEST_SERVER_H_
