// FetchConnection: one outgoing TCP connection of the URL fetcher, optionally wrapped in TLS,
// whose every step (connect, handshake, read, write) waits no longer than a shared deadline.
// The socket is non-blocking and waits are poll() calls bounded by the time left, so a server
// that accepts and then stays silent cannot hold a fetch beyond its timeout. Writes never raise
// SIGPIPE (send with MSG_NOSIGNAL, also under TLS through a small BIO of our own).
// Internal to warden_fetch.
//
// Thread safety: one connection per thread; distinct connections are independent.
#ifndef WARDEN_SRC_HTTP_FETCH_CONNECTION_H_
#define WARDEN_SRC_HTTP_FETCH_CONNECTION_H_

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/types.h>

#include "src/http/url_address.h"
#include "warden/status.h"

namespace warden::http {

// The end of a fetch's time budget (steady clock).
class FetchDeadline {
 public:
  explicit FetchDeadline(int timeout_ms);
  // Milliseconds left, 0 once expired; rounded up so that a poll never spins with 0.
  int RemainingMs() const;
  // kUnavailable "timed out after N ms (doing)".
  Status TimedOut(std::string_view doing) const;

 private:
  int timeout_ms_;
  std::chrono::steady_clock::time_point end_;
};

class FetchConnection {
 public:
  ~FetchConnection();
  FetchConnection(const FetchConnection&) = delete;
  FetchConnection& operator=(const FetchConnection&) = delete;

  // Connects to the first of `addresses` (all already checked by the caller) that accepts on
  // `port`, trying them in order. Errors: kUnavailable naming each refused address, or the
  // timeout.
  static Result<std::unique_ptr<FetchConnection>> Open(const std::vector<IpAddress>& addresses,
                                                       int port, const FetchDeadline& deadline);

  // Runs a TLS client handshake: SNI = `host` unless it is an address literal; the chain is
  // verified against `ca_file` (a PEM bundle) or, if empty, the system's CA store; the
  // certificate must name `host` (DNS name, or IP address for a literal). The loaded CA store is
  // kept per CA file for the life of the process and loaded again when the file changes.
  // Errors: kInvalidArgument if `ca_file` cannot be loaded; kUnavailable for a failed handshake
  // or certificate (naming the verification error), or the timeout.
  Status StartTls(const std::string& host, const std::string& ca_file,
                  const FetchDeadline& deadline);

  // Sends all of `data`. Errors: kUnavailable (peer closed, reset, timeout).
  Status WriteAll(std::string_view data, const FetchDeadline& deadline);

  // Reads at most `size` bytes into `out`; returns how many, 0 at end of stream.
  // Errors: kUnavailable (reset, TLS failure, timeout).
  Result<size_t> ReadSome(char* out, size_t size, const FetchDeadline& deadline);

  // The address connected to, e.g. "127.0.0.1".
  const std::string& peer() const { return peer_; }

 private:
  FetchConnection(int fd, std::string peer) : fd_(fd), peer_(std::move(peer)) {}
  // Waits until `fd_` is ready for `events` (POLLIN/POLLOUT) or the deadline passes.
  Status Wait(short events, const FetchDeadline& deadline, std::string_view doing);

  int fd_ = -1;
  std::string peer_;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
};

}  // namespace warden::http

#endif  // WARDEN_SRC_HTTP_FETCH_CONNECTION_H_
