#include "src/http/fetch_connection.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <map>
#include <mutex>

#include <fmt/core.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

namespace warden::http {
namespace {

// The pending OpenSSL errors of this thread as one string, emptying the queue.
std::string TakeOpenSslErrors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char text[256];
    ERR_error_string_n(e, text, sizeof(text));
    if (!out.empty()) out += "; ";
    out += text;
  }
  return out.empty() ? "no detail from OpenSSL" : out;
}

// A socket BIO that sends with MSG_NOSIGNAL: OpenSSL's own socket BIO uses write(), which raises
// SIGPIPE when the server has gone, and a library must not kill its host process nor change its
// signal dispositions.
int FdOf(BIO* bio) { return static_cast<int>(reinterpret_cast<intptr_t>(BIO_get_data(bio))); }

int NoSigpipeWrite(BIO* bio, const char* data, int size) {
  BIO_clear_retry_flags(bio);
  ssize_t n = ::send(FdOf(bio), data, static_cast<size_t>(size), MSG_NOSIGNAL);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) BIO_set_retry_write(bio);
    return -1;
  }
  return static_cast<int>(n);
}

int NoSigpipeRead(BIO* bio, char* out, int size) {
  BIO_clear_retry_flags(bio);
  ssize_t n = ::recv(FdOf(bio), out, static_cast<size_t>(size), 0);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) BIO_set_retry_read(bio);
    return -1;
  }
  return static_cast<int>(n);
}

long NoSigpipeCtrl(BIO* /*bio*/, int cmd, long /*num*/, void* /*ptr*/) {
  // The socket is unbuffered: a flush has nothing to do; every other control is unsupported.
  return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

int NoSigpipeCreate(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

// Created once and kept for the life of the process (OpenSSL copies nothing out of it).
const BIO_METHOD* NoSigpipeMethod() {
  static BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "warden_fetch_socket");
    if (m == nullptr) return m;
    BIO_meth_set_write(m, NoSigpipeWrite);
    BIO_meth_set_read(m, NoSigpipeRead);
    BIO_meth_set_ctrl(m, NoSigpipeCtrl);
    BIO_meth_set_create(m, NoSigpipeCreate);
    return m;
  }();
  return method;
}

// Loading a CA bundle costs OpenSSL 3 on the order of 100 ms for the ~140 certificates of
// Debian's store, which would dominate every https fetch. The client context is therefore built
// once per CA file and shared: an SSL_CTX may be used by many threads once it is set up. A CA
// file replaced or changed on disk (device, inode, size or time differ) is loaded again.
// Returns a context with a reference of the caller's own (SSL_CTX_free it).
Result<SSL_CTX*> SharedClientContext(const std::string& ca_file) {
  struct Cached {
    SSL_CTX* ctx;
    struct stat identity;
  };
  // Never destroyed, so that no fetch still running at exit finds them gone.
  static auto* mu = new std::mutex;
  static auto* cache = new std::map<std::string, Cached>;

  struct stat identity {};
  if (!ca_file.empty() && ::stat(ca_file.c_str(), &identity) != 0) {
    return Status::InvalidArgument(
        fmt::format("cannot load CA file '{}': {}", ca_file, std::strerror(errno)));
  }
  auto same = [&identity](const struct stat& other) {
    return other.st_dev == identity.st_dev && other.st_ino == identity.st_ino &&
           other.st_size == identity.st_size && other.st_mtim.tv_sec == identity.st_mtim.tv_sec &&
           other.st_mtim.tv_nsec == identity.st_mtim.tv_nsec;
  };
  std::lock_guard<std::mutex> lock(*mu);
  auto it = cache->find(ca_file);
  if (it != cache->end() && same(it->second.identity)) {
    SSL_CTX_up_ref(it->second.ctx);
    return it->second.ctx;
  }
  ERR_clear_error();
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == nullptr) {
    return Status::Unavailable(fmt::format("TLS setup failed: {}", TakeOpenSslErrors()));
  }
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  // A body framed by Content-Length or chunks is complete without close_notify, and many servers
  // never send one; truncation of a close-delimited body only yields an image that fails to
  // decode.
  SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  if (ca_file.empty()) {
    if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
      SSL_CTX_free(ctx);
      return Status::Unavailable(
          fmt::format("cannot load the system CA store: {}", TakeOpenSslErrors()));
    }
  } else if (SSL_CTX_load_verify_file(ctx, ca_file.c_str()) != 1) {
    SSL_CTX_free(ctx);
    return Status::InvalidArgument(
        fmt::format("cannot load CA file '{}': {}", ca_file, TakeOpenSslErrors()));
  }
  if (it != cache->end()) {
    SSL_CTX_free(it->second.ctx);  // the cache's reference; running fetches keep theirs
    it->second = {ctx, identity};
  } else {
    cache->emplace(ca_file, Cached{ctx, identity});
  }
  SSL_CTX_up_ref(ctx);
  return ctx;
}

}  // namespace

FetchDeadline::FetchDeadline(int timeout_ms)
    : timeout_ms_(timeout_ms),
      end_(std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms)) {}

int FetchDeadline::RemainingMs() const {
  auto left = end_ - std::chrono::steady_clock::now();
  if (left <= std::chrono::steady_clock::duration::zero()) return 0;
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(left).count();
  return static_cast<int>((us + 999) / 1000);
}

Status FetchDeadline::TimedOut(std::string_view doing) const {
  return Status::Unavailable(fmt::format("timed out after {} ms ({})", timeout_ms_, doing));
}

FetchConnection::~FetchConnection() {
  // No close_notify: the whole answer has been read or the fetch failed, and a shutdown could
  // wait on a slow peer.
  if (ssl_ != nullptr) SSL_free(ssl_);
  if (ctx_ != nullptr) SSL_CTX_free(ctx_);
  if (fd_ >= 0) ::close(fd_);
}

Status FetchConnection::Wait(short events, const FetchDeadline& deadline, std::string_view doing) {
  for (;;) {
    int left = deadline.RemainingMs();
    if (left <= 0) return deadline.TimedOut(doing);
    pollfd p{fd_, events, 0};
    int n = ::poll(&p, 1, left);
    if (n > 0) return Status::Ok();  // ready, or an error the next call reports
    if (n < 0 && errno != EINTR) {
      return Status::Unavailable(fmt::format("poll failed: {}", std::strerror(errno)));
    }
  }
}

Result<std::unique_ptr<FetchConnection>> FetchConnection::Open(
    const std::vector<IpAddress>& addresses, int port, const FetchDeadline& deadline) {
  std::string failures;
  for (const IpAddress& address : addresses) {
    sockaddr_storage storage{};
    socklen_t length = 0;
    if (address.family == AF_INET) {
      auto* in = reinterpret_cast<sockaddr_in*>(&storage);
      in->sin_family = AF_INET;
      in->sin_port = htons(static_cast<uint16_t>(port));
      std::memcpy(&in->sin_addr, address.bytes.data(), 4);
      length = sizeof(sockaddr_in);
    } else {
      auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
      in6->sin6_family = AF_INET6;
      in6->sin6_port = htons(static_cast<uint16_t>(port));
      std::memcpy(&in6->sin6_addr, address.bytes.data(), 16);
      length = sizeof(sockaddr_in6);
    }
    std::string peer = address.ToString();
    int fd = ::socket(address.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      return Status::Unavailable(fmt::format("cannot create a socket: {}", std::strerror(errno)));
    }
    // Owned from here, so that every early return closes it.
    std::unique_ptr<FetchConnection> conn(new FetchConnection(fd, peer));
    int err = 0;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&storage), length) != 0) {
      err = errno;
      if (err == EINPROGRESS || err == EINTR) {
        WARDEN_RETURN_IF_ERROR(
            conn->Wait(POLLOUT, deadline, fmt::format("connecting to {} port {}", peer, port)));
        socklen_t err_len = sizeof(err);
        if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &err_len) != 0) err = errno;
      }
    }
    if (err == 0) return conn;
    if (!failures.empty()) failures += "; ";
    failures += fmt::format("connect to {} port {} failed: {}", peer, port, std::strerror(err));
  }
  if (failures.empty()) return Status::Unavailable("no address to connect to");
  return Status::Unavailable(failures);
}

Status FetchConnection::StartTls(const std::string& host, const std::string& ca_file,
                                 const FetchDeadline& deadline) {
  WARDEN_ASSIGN_OR_RETURN(ctx_, SharedClientContext(ca_file));
  ssl_ = SSL_new(ctx_);
  const BIO_METHOD* method = NoSigpipeMethod();
  BIO* bio = method == nullptr ? nullptr : BIO_new(method);
  if (ssl_ == nullptr || bio == nullptr) {
    if (bio != nullptr) BIO_free(bio);
    return Status::Unavailable(fmt::format("TLS setup failed: {}", TakeOpenSslErrors()));
  }
  BIO_set_data(bio, reinterpret_cast<void*>(static_cast<intptr_t>(fd_)));
  SSL_set_bio(ssl_, bio, bio);  // ssl_ owns bio now

  // RFC 6066 3: SNI carries DNS names only. A literal host is checked against the certificate's
  // IP address entries instead of its DNS names.
  bool literal = ParseIpAddress(host).has_value();
  int set_ok = 1;
  if (literal) {
    set_ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), host.c_str());
  } else {
    SSL_set_hostflags(ssl_, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    set_ok = SSL_set_tlsext_host_name(ssl_, host.c_str()) == 1 && SSL_set1_host(ssl_, host.c_str());
  }
  if (set_ok != 1) {
    return Status::Unavailable(
        fmt::format("TLS setup for host '{}' failed: {}", host, TakeOpenSslErrors()));
  }

  for (;;) {
    ERR_clear_error();
    int r = SSL_connect(ssl_);
    if (r == 1) return Status::Ok();
    int err = SSL_get_error(ssl_, r);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
      WARDEN_RETURN_IF_ERROR(
          Wait(err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline, "TLS handshake"));
      continue;
    }
    long verify = SSL_get_verify_result(ssl_);
    if (verify != X509_V_OK) {
      ERR_clear_error();
      return Status::Unavailable(fmt::format("TLS certificate of '{}' is not accepted: {}", host,
                                             X509_verify_cert_error_string(verify)));
    }
    return Status::Unavailable(
        fmt::format("TLS handshake with '{}' failed: {}", host, TakeOpenSslErrors()));
  }
}

Status FetchConnection::WriteAll(std::string_view data, const FetchDeadline& deadline) {
  while (!data.empty()) {
    if (ssl_ != nullptr) {
      ERR_clear_error();
      size_t written = 0;
      int r = SSL_write_ex(ssl_, data.data(), data.size(), &written);
      if (r == 1) {
        data.remove_prefix(written);
        continue;
      }
      int err = SSL_get_error(ssl_, r);
      if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
        WARDEN_RETURN_IF_ERROR(
            Wait(err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline, "sending the request"));
        continue;
      }
      return Status::Unavailable(
          fmt::format("sending the request over TLS failed: {}", TakeOpenSslErrors()));
    }
    ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n >= 0) {
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
      WARDEN_RETURN_IF_ERROR(Wait(POLLOUT, deadline, "sending the request"));
      continue;
    }
    return Status::Unavailable(fmt::format("sending the request failed: {}", std::strerror(errno)));
  }
  return Status::Ok();
}

Result<size_t> FetchConnection::ReadSome(char* out, size_t size, const FetchDeadline& deadline) {
  for (;;) {
    if (ssl_ != nullptr) {
      ERR_clear_error();
      size_t got = 0;
      int r = SSL_read_ex(ssl_, out, size, &got);
      if (r == 1) return got;
      int err = SSL_get_error(ssl_, r);
      if (err == SSL_ERROR_ZERO_RETURN) return size_t{0};
      if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
        WARDEN_RETURN_IF_ERROR(
            Wait(err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline, "reading the response"));
        continue;
      }
      return Status::Unavailable(
          fmt::format("reading the response over TLS failed: {}", TakeOpenSslErrors()));
    }
    ssize_t n = ::recv(fd_, out, size, 0);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
      WARDEN_RETURN_IF_ERROR(Wait(POLLIN, deadline, "reading the response"));
      continue;
    }
    return Status::Unavailable(
        fmt::format("reading the response failed: {}", std::strerror(errno)));
  }
}

}  // namespace warden::http
