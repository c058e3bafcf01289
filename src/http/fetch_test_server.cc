#include "src/http/fetch_test_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>

#include <openssl/ssl.h>

namespace warden::http {
namespace {

[[noreturn]] void Die(const char* what) {
  std::perror(what);
  std::abort();
}

}  // namespace

bool FetchTestServer::Peer::Write(std::string_view data) {
  while (!data.empty()) {
    if (ssl_ != nullptr) {
      size_t written = 0;
      if (SSL_write_ex(ssl_, data.data(), data.size(), &written) != 1) return false;
      data.remove_prefix(written);
      continue;
    }
    ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

void FetchTestServer::Peer::WaitUntilClosed() {
  for (;;) {
    pollfd fds[2] = {{fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    int n = ::poll(fds, 2, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 || fds[1].revents != 0) return;
    char buf[4096];
    ssize_t got = ::recv(fd_, buf, sizeof(buf), 0);
    if (got <= 0) return;
  }
}

FetchTestServer::FetchTestServer(std::map<std::string, Handler> routes, SSL_CTX* tls)
    : routes_(std::move(routes)), tls_(tls) {
  if (tls_ != nullptr) SSL_CTX_up_ref(tls_);
  if (::pipe(stop_pipe_) != 0) Die("pipe");
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) Die("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) Die("bind");
  if (::listen(listen_fd_, 16) != 0) Die("listen");
  socklen_t len = sizeof(addr);
  if (::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    Die("getsockname");
  }
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { Serve(); });
}

FetchTestServer::~FetchTestServer() {
  char byte = 1;
  if (::write(stop_pipe_[1], &byte, 1) != 1) Die("write");
  thread_.join();
  ::close(listen_fd_);
  ::close(stop_pipe_[0]);
  ::close(stop_pipe_[1]);
  if (tls_ != nullptr) SSL_CTX_free(tls_);
}

std::string FetchTestServer::Url(std::string_view target) const {
  return (tls_ != nullptr ? "https://127.0.0.1:" : "http://127.0.0.1:") + std::to_string(port_) +
         std::string(target);
}

std::vector<std::string> FetchTestServer::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

std::string FetchTestServer::Response(int status, std::string_view headers, std::string_view body) {
  return "HTTP/1.1 " + std::to_string(status) + " Test\r\n" + std::string(headers) +
         "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" +
         std::string(body);
}

void FetchTestServer::Serve() {
  // SIGPIPE is sent to the writing thread: blocking it here keeps a client that hangs up from
  // killing the test (OpenSSL's server side writes with write()), while the fetcher's threads
  // keep the default and would still show a SIGPIPE of its own.
  sigset_t pipe_only;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_only, nullptr);
  for (;;) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
    int n = ::poll(fds, 2, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 || fds[1].revents != 0) return;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    connections_.fetch_add(1);
    // A test must fail, not hang, if the fetcher misbehaves.
    timeval five_seconds{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &five_seconds, sizeof(five_seconds));
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &five_seconds, sizeof(five_seconds));
    HandleOne(fd);
    ::close(fd);
  }
}

void FetchTestServer::HandleOne(int fd) {
  Peer peer;
  peer.fd_ = fd;
  peer.stop_fd_ = stop_pipe_[0];
  if (tls_ != nullptr) {
    peer.ssl_ = SSL_new(tls_);
    SSL_set_fd(peer.ssl_, fd);
    if (SSL_accept(peer.ssl_) != 1) {  // e.g. the client refused our certificate
      SSL_free(peer.ssl_);
      return;
    }
  }
  std::string head;
  char buf[4096];
  while (head.find("\r\n\r\n") == std::string::npos && head.size() < 65536) {
    size_t got = 0;
    if (peer.ssl_ != nullptr) {
      if (SSL_read_ex(peer.ssl_, buf, sizeof(buf), &got) != 1) break;
    } else {
      ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
      if (n <= 0) break;
      got = static_cast<size_t>(n);
    }
    head.append(buf, got);
    // Not HTTP (say a TLS ClientHello): answer at once rather than wait for a blank line.
    if (head[0] < 'A' || head[0] > 'Z') break;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    requests_.push_back(head);
  }
  // "GET /path?q HTTP/1.1": the target is the second word; routes match on the path.
  size_t start = head.find(' ');
  size_t end = start == std::string::npos ? start : head.find(' ', start + 1);
  std::string target =
      end == std::string::npos ? std::string() : head.substr(start + 1, end - start - 1);
  std::string path = target.substr(0, target.find('?'));
  auto route = routes_.find(path);
  if (route != routes_.end()) {
    route->second(peer, target);
  } else {
    peer.Write(Response(404, "", "no such path"));
  }
  if (peer.ssl_ != nullptr) {
    SSL_shutdown(peer.ssl_);
    SSL_free(peer.ssl_);
  }
}

}  // namespace warden::http
