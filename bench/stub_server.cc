#include "bench/stub_server.h"

#include <arpa/inet.h>
#include <fmt/core.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace warden::bench {
namespace {

std::string MatchesJson(const std::vector<Match>& matches) {
  if (matches.empty()) return "{}";
  std::string out = fmt::format("{{\"{}\": [", kBenchBank);
  for (size_t i = 0; i < matches.size(); ++i) {
    if (i > 0) out += ", ";
    out += fmt::format("{{\"bank_content_id\": {}, \"distance\": \"{}\"}}", matches[i].id,
                       matches[i].distance);
  }
  return out + "]}";
}

bool SendAll(int fd, const std::string& bytes) {
  size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = ::send(fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

StubServer::StubServer(const BenchData* data, std::string key, bool corrupt)
    : data_(data), key_(std::move(key)), corrupt_(corrupt) {}

StubServer::~StubServer() { Stop(); }

Status StubServer::Start() {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) return Status::IoError(std::string("socket: ") + std::strerror(errno));
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 128) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return Status::IoError(std::string("stub server: ") + std::strerror(errno));
  }
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { AcceptLoop(); });
  return Status::Ok();
}

void StubServer::Stop() {
  if (stopping_.exchange(true)) return;
  if (listen_fd_ >= 0) ::shutdown(listen_fd_, SHUT_RDWR);
  if (acceptor_.joinable()) acceptor_.join();
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
  }
  for (auto& t : workers_) t.join();
  for (int fd : fds_) ::close(fd);
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

void StubServer::AcceptLoop() {
  while (!stopping_) {
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR) continue;
      return;
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::lock_guard<std::mutex> lock(mu_);
    fds_.push_back(fd);
    workers_.emplace_back([this, fd] { Serve(fd); });
  }
}

void StubServer::Serve(int fd) {
  std::string in;
  char buf[65536];
  while (true) {
    size_t head_end;
    while ((head_end = in.find("\r\n\r\n")) == std::string::npos) {
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;
      in.append(buf, static_cast<size_t>(n));
    }
    std::string head = in.substr(0, head_end);
    size_t sp1 = head.find(' ');
    size_t sp2 = head.find(' ', sp1 + 1);
    std::string method = head.substr(0, sp1);
    std::string target = head.substr(sp1 + 1, sp2 - sp1 - 1);
    size_t body_len = 0;
    size_t cl = head.find("Content-Length: ");
    if (cl != std::string::npos) body_len = std::stoul(head.substr(cl + 16));
    std::string auth = "\r\nAuthorization: Bearer " + key_;
    size_t at = head.find(auth);
    size_t after = at + auth.size();
    bool authorized = at != std::string::npos && (after == head.size() || head[after] == '\r');
    while (in.size() < head_end + 4 + body_len) {
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;
      in.append(buf, static_cast<size_t>(n));
    }
    in.erase(0, head_end + 4 + body_len);
    if (!SendAll(fd, Answer(method, target, authorized))) return;
  }
}

std::string StubServer::Answer(const std::string& method, const std::string& target,
                               bool authorized) {
  int status = 200;
  std::string body;
  if (!authorized) {
    status = 401;
    body = R"({"error":{"code":"unauthenticated","message":"no key"}})";
  } else if (method == "GET" && target == "/status") {
    body = "I-AM-ALIVE";
  } else if (method == "GET" && target.rfind("/m/lookup?signal_type=pdq&signal=", 0) == 0) {
    Result<PdqHash> q = PdqHash::FromHex(target.substr(target.find("signal=") + 7));
    if (!q.ok()) {
      status = 400;
      body = R"({"error":{"code":"invalid_argument","message":"bad hash"}})";
    } else {
      std::vector<Match> matches = data_->BruteForce(*q);
      if (corrupt_ && !matches.empty() && !corrupted_once_.exchange(true)) matches.clear();
      body = MatchesJson(matches);
    }
  } else if (method == "POST" && target == "/m/lookup") {
    body = "{\"pdq\": " + MatchesJson(data_->BruteForce(data_->photo_hash)) + "}";
  } else {
    status = 404;
    body = R"({"error":{"code":"not_found","message":"no such path"}})";
  }
  std::string reason = status == 200 ? "OK" : status == 401 ? "Unauthorized" : "Error";
  std::string out =
      fmt::format("HTTP/1.1 {} {}\r\nContent-Type: application/json\r\n", status, reason);
  if (answers_.fetch_add(1) % 2 == 0) {
    out += fmt::format("Content-Length: {}\r\n\r\n{}", body.size(), body);
  } else {
    // Two chunks, so the client's de-chunking joins pieces.
    size_t half = body.size() / 2;
    out += "Transfer-Encoding: chunked\r\n\r\n";
    if (half > 0) out += fmt::format("{:x}\r\n{}\r\n", half, body.substr(0, half));
    out += fmt::format("{:x}\r\n{}\r\n0\r\n\r\n", body.size() - half, body.substr(half));
  }
  return out;
}

}  // namespace warden::bench
