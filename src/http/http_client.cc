#include "src/http/http_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace warden::http {
namespace {

using Clock = std::chrono::steady_clock;

int RemainingMs(Clock::time_point deadline) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

// Waits until `fd` is ready for `events`; false on timeout.
bool WaitFor(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    const int n = poll(&p, 1, RemainingMs(deadline));
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return false;
  }
}

std::string Lowered(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace

HttpClient::HttpClient(std::string host, int port, int timeout_ms)
    : host_(std::move(host)), port_(port), timeout_ms_(timeout_ms) {}

HttpClient::~HttpClient() { Close(); }

void HttpClient::Close() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  buffer_.clear();
}

Status HttpClient::Connect() {
  Close();
  sockaddr_storage addr{};
  socklen_t len = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&addr);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&addr);
  if (inet_pton(AF_INET, host_.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port_));
    len = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, host_.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port_));
    len = sizeof(sockaddr_in6);
  } else {
    return Status::InvalidArgument("HTTP client: '" + host_ + "' is not an address literal");
  }
  const std::string where = host_ + ":" + std::to_string(port_);
  const int fd = socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::IoError("HTTP client: socket: " + std::string(std::strerror(errno)));
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0 && errno != EINPROGRESS) {
    const int err = errno;
    close(fd);
    return Status::Unavailable("HTTP client: connect to " + where + ": " + std::strerror(err));
  }
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms_);
  if (!WaitFor(fd, POLLOUT, deadline)) {
    close(fd);
    return Status::Unavailable("HTTP client: connect to " + where + " timed out");
  }
  int err = 0;
  socklen_t err_len = sizeof(err);
  getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &err_len);
  if (err != 0) {
    close(fd);
    return Status::Unavailable("HTTP client: connect to " + where + ": " + std::strerror(err));
  }
  fd_ = fd;
  return Status::Ok();
}

namespace {

// Writes all of `bytes`; false on error or timeout.
Status WriteAll(int fd, std::string_view bytes, Clock::time_point deadline) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n > 0) {
      done += static_cast<size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      if (!WaitFor(fd, POLLOUT, deadline))
        return Status::Unavailable("HTTP client: write timed out");
    } else {
      return Status::IoError("HTTP client: write: " + std::string(std::strerror(errno)));
    }
  }
  return Status::Ok();
}

// Reads more bytes into *buffer. Returns 0 on EOF, > 0 on data, < 0 on error/timeout.
ssize_t ReadMore(int fd, std::string* buffer, Clock::time_point deadline) {
  char chunk[16 << 10];
  for (;;) {
    const ssize_t n = recv(fd, chunk, sizeof(chunk), 0);
    if (n > 0) {
      buffer->append(chunk, static_cast<size_t>(n));
      return n;
    }
    if (n == 0) return 0;
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return -1;
    if (!WaitFor(fd, POLLIN, deadline)) return -2;
  }
}

// Reads one final (non-1xx) answer. *got_bytes says whether any byte of it arrived, so that a
// keep-alive connection the server had closed can be retried.
Status ReadResponse(int fd, std::string* buffer, bool head, Clock::time_point deadline,
                    ClientResponse* out, bool* got_bytes, bool* server_closes) {
  *got_bytes = !buffer->empty();
  for (;;) {
    size_t header_end = std::string::npos;
    size_t sep = 0;
    while ((header_end = buffer->find("\r\n\r\n")) == std::string::npos) {
      const ssize_t n = ReadMore(fd, buffer, deadline);
      if (n == 0) return Status::Unavailable("HTTP client: connection closed before an answer");
      if (n == -2) return Status::Unavailable("HTTP client: timed out waiting for an answer");
      if (n < 0) return Status::IoError("HTTP client: read: " + std::string(std::strerror(errno)));
      *got_bytes = true;
    }
    sep = 4;
    std::string_view head_block(buffer->data(), header_end);
    const size_t line_end = head_block.find("\r\n");
    const std::string_view status_line = head_block.substr(0, line_end);
    if (status_line.size() < 12 || status_line.substr(0, 5) != "HTTP/") {
      return Status::IoError("HTTP client: bad status line '" + std::string(status_line) + "'");
    }
    ClientResponse response;
    response.status = std::atoi(std::string(status_line.substr(9, 3)).c_str());
    std::string_view rest =
        line_end == std::string_view::npos ? std::string_view() : head_block.substr(line_end + 2);
    while (!rest.empty()) {
      const size_t e = rest.find("\r\n");
      const std::string_view line = rest.substr(0, e);
      const size_t colon = line.find(':');
      if (colon != std::string_view::npos) {
        std::string_view value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
        response.headers.Add(line.substr(0, colon), value);
      }
      if (e == std::string_view::npos) break;
      rest.remove_prefix(e + 2);
    }
    buffer->erase(0, header_end + sep);
    if (response.status >= 100 && response.status < 200) continue;  // e.g. 100 Continue

    auto connection = response.headers.Get("connection");
    *server_closes = connection && Lowered(*connection) == "close";
    const bool no_body = head || response.status == 204 || response.status == 304;
    auto length = response.headers.Get("content-length");
    auto te = response.headers.Get("transfer-encoding");
    if (no_body) {
      // nothing
    } else if (te && Lowered(*te).find("chunked") != std::string::npos) {
      for (;;) {
        size_t nl;
        while ((nl = buffer->find("\r\n")) == std::string::npos) {
          if (ReadMore(fd, buffer, deadline) <= 0) {
            return Status::IoError("HTTP client: chunked answer ends early");
          }
        }
        const size_t size = std::strtoul(buffer->substr(0, nl).c_str(), nullptr, 16);
        buffer->erase(0, nl + 2);
        while (buffer->size() < size + 2) {
          if (ReadMore(fd, buffer, deadline) <= 0) {
            return Status::IoError("HTTP client: chunked answer ends early");
          }
        }
        if (size == 0) {
          // Trailers are not expected from Warden; the empty line ends the answer.
          buffer->erase(0, 2);
          break;
        }
        response.body.append(*buffer, 0, size);
        buffer->erase(0, size + 2);
      }
    } else if (length) {
      const size_t n = std::strtoull(std::string(*length).c_str(), nullptr, 10);
      while (buffer->size() < n) {
        const ssize_t r = ReadMore(fd, buffer, deadline);
        if (r <= 0) return Status::IoError("HTTP client: answer body ends early");
      }
      response.body = buffer->substr(0, n);
      buffer->erase(0, n);
    } else {
      for (;;) {
        const ssize_t r = ReadMore(fd, buffer, deadline);
        if (r == 0) break;
        if (r < 0) return Status::IoError("HTTP client: reading the answer body failed");
      }
      response.body = std::move(*buffer);
      buffer->clear();
      *server_closes = true;
    }
    *out = std::move(response);
    return Status::Ok();
  }
}

}  // namespace

Result<ClientResponse> HttpClient::Send(std::string_view method, std::string_view target,
                                        const Headers& headers, std::string_view body) {
  std::string wire;
  wire.reserve(128 + body.size());
  wire.append(method).append(" ").append(target).append(" HTTP/1.1\r\n");
  if (!headers.Has("host")) wire += "Host: " + host_ + ":" + std::to_string(port_) + "\r\n";
  for (const auto& [name, value] : headers.fields()) {
    wire.append(name).append(": ").append(value).append("\r\n");
  }
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
    wire += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  wire += "\r\n";
  wire.append(body);
  return SendRaw(wire);
}

Result<ClientResponse> HttpClient::SendRaw(std::string_view bytes) {
  const bool head = bytes.substr(0, 5) == "HEAD ";
  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool reused = fd_ >= 0;
    if (!reused) WARDEN_RETURN_IF_ERROR(Connect());
    const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms_);
    Status written = WriteAll(fd_, bytes, deadline);
    if (!written.ok()) {
      Close();
      if (reused && attempt == 0) continue;  // the server closed the idle connection
      return written;
    }
    ClientResponse response;
    bool got_bytes = false;
    bool server_closes = false;
    Status read =
        ReadResponse(fd_, &buffer_, head, deadline, &response, &got_bytes, &server_closes);
    if (!read.ok()) {
      Close();
      if (reused && !got_bytes && attempt == 0) continue;
      return read;
    }
    if (server_closes) Close();
    return response;
  }
  return Status::Unavailable("HTTP client: the server closed the connection twice");
}

std::string MultipartBody(std::string_view field, std::string_view filename, std::string_view data,
                          std::string* content_type) {
  auto quoted = [](std::string_view s) {
    std::string out = "\"";
    for (char c : s) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    return out + "\"";
  };
  // A boundary that does not occur in the data (RFC 2046 section 5.1.1).
  std::string boundary;
  for (unsigned n = 0;; ++n) {
    boundary = "warden-boundary-" + std::to_string(0x5EED0000u + n * 7919u);
    if (data.find(boundary) == std::string_view::npos) break;
  }
  std::string body;
  body.reserve(data.size() + 256);
  body += "--" + boundary + "\r\n";
  body += "Content-Disposition: form-data; name=" + quoted(field);
  if (!filename.empty()) body += "; filename=" + quoted(filename);
  body += "\r\nContent-Type: application/octet-stream\r\n\r\n";
  body.append(data);
  body += "\r\n--" + boundary + "--\r\n";
  *content_type = "multipart/form-data; boundary=" + boundary;
  return body;
}

}  // namespace warden::http
