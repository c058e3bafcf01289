#include "bench/load_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <memory>
#include <thread>

namespace warden::bench {
namespace {

using SteadyClock = std::chrono::steady_clock;

// ---- Response framing ----

enum class ParseState { kNeedMore, kDone, kBad };

struct ParsedResponse {
  int status = 0;
  bool close = false;     // the server said Connection: close
  size_t consumed = 0;    // bytes of the buffer this response took
  std::string_view body;  // into the buffer, or into `chunked_body`
  std::string chunked_body;
};

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] + 32) : a[i];
    char y = b[i] >= 'A' && b[i] <= 'Z' ? static_cast<char>(b[i] + 32) : b[i];
    if (x != y) return false;
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Parses one response at the start of `buf`. 1xx interim responses are skipped (consumed) by
// reporting them as done with status < 200; the caller ignores them.
ParseState ParseResponse(std::string_view buf, ParsedResponse* out) {
  size_t head_end = buf.find("\r\n\r\n");
  if (head_end == std::string_view::npos) {
    return buf.size() > (64 << 10) ? ParseState::kBad : ParseState::kNeedMore;
  }
  std::string_view head = buf.substr(0, head_end);
  size_t line_end = head.find("\r\n");
  std::string_view status_line = head.substr(0, line_end);
  // "HTTP/1.1 200 OK"
  if (status_line.size() < 12 || status_line.substr(0, 5) != "HTTP/") return ParseState::kBad;
  size_t sp = status_line.find(' ');
  if (sp == std::string_view::npos || sp + 4 > status_line.size()) return ParseState::kBad;
  int status = 0;
  for (size_t i = sp + 1; i < sp + 4; ++i) {
    char c = status_line[i];
    if (c < '0' || c > '9') return ParseState::kBad;
    status = status * 10 + (c - '0');
  }
  out->status = status;
  out->close = false;
  int64_t content_length = -1;
  bool chunked = false;
  size_t pos = line_end == std::string_view::npos ? head.size() : line_end + 2;
  while (pos < head.size()) {
    size_t e = head.find("\r\n", pos);
    if (e == std::string_view::npos) e = head.size();
    std::string_view line = head.substr(pos, e - pos);
    pos = e + 2;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) return ParseState::kBad;
    std::string_view name = line.substr(0, colon);
    std::string_view value = Trim(line.substr(colon + 1));
    if (EqualsNoCase(name, "content-length")) {
      content_length = 0;
      for (char c : value) {
        if (c < '0' || c > '9') return ParseState::kBad;
        content_length = content_length * 10 + (c - '0');
        if (content_length > (int64_t{1} << 32)) return ParseState::kBad;
      }
    } else if (EqualsNoCase(name, "transfer-encoding")) {
      chunked = EqualsNoCase(value, "chunked");
    } else if (EqualsNoCase(name, "connection")) {
      out->close = EqualsNoCase(value, "close");
    }
  }
  size_t body_start = head_end + 4;
  if (status < 200 || status == 204 || status == 304) {
    out->body = {};
    out->consumed = body_start;
    return ParseState::kDone;
  }
  if (chunked) {
    out->chunked_body.clear();
    size_t p = body_start;
    while (true) {
      size_t e = buf.find("\r\n", p);
      if (e == std::string_view::npos) return ParseState::kNeedMore;
      uint64_t size = 0;
      size_t i = p;
      for (; i < e; ++i) {
        char c = buf[i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0) break;  // a chunk extension (";...") ends the size
        size = size * 16 + static_cast<uint64_t>(d);
        if (size > (uint64_t{1} << 32)) return ParseState::kBad;
      }
      if (i == p) return ParseState::kBad;
      p = e + 2;
      if (size == 0) {
        // Trailers (none expected) end with an empty line.
        size_t t = buf.find("\r\n", p);
        while (t != std::string_view::npos && t != p) {
          p = t + 2;
          t = buf.find("\r\n", p);
        }
        if (t == std::string_view::npos) return ParseState::kNeedMore;
        out->consumed = t + 2;
        out->body = out->chunked_body;
        return ParseState::kDone;
      }
      if (buf.size() < p + size + 2) return ParseState::kNeedMore;
      out->chunked_body.append(buf.substr(p, size));
      p += size + 2;
    }
  }
  if (content_length < 0) {
    // Body until close: the load client always wants framed responses.
    return ParseState::kBad;
  }
  if (buf.size() < body_start + static_cast<size_t>(content_length)) return ParseState::kNeedMore;
  out->body = buf.substr(body_start, static_cast<size_t>(content_length));
  out->consumed = body_start + static_cast<size_t>(content_length);
  return ParseState::kDone;
}

// ---- Sockets ----

Result<int> ConnectTo(const std::string& host, int port, bool non_blocking) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    return Status::InvalidArgument("load client: '" + host + "' is not an IPv4 address");
  }
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::IoError(std::string("socket: ") + std::strerror(errno));
  // Loopback connects complete at once, so a blocking connect costs nothing and keeps the
  // event loop free of the connecting state.
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int e = errno;
    ::close(fd);
    return Status::IoError("connect to " + host + ":" + std::to_string(port) + ": " +
                           std::strerror(e));
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (non_blocking) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

double ProcessCpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

// ---- One client thread ----

struct Connection {
  int fd = -1;
  int global_index = 0;  // 0..connections-1
  uint64_t sent = 0;     // requests started on this connection slot
  size_t request_index = 0;
  size_t out_offset = 0;  // bytes of the current request written
  bool want_write = false;
  bool in_flight = false;
  SteadyClock::time_point started;
  std::string in;
};

struct Shared {
  const LoadOptions* options = nullptr;
  const std::vector<std::string>* requests = nullptr;
  const LoadObserver* observer = nullptr;
  SteadyClock::time_point window_start;
  SteadyClock::time_point window_end;
};

struct ThreadResult {
  int64_t requests = 0;
  int64_t non_2xx = 0;
  int64_t transport_errors = 0;
  int64_t total = 0;
  std::map<int, int64_t> status_counts;
  std::vector<int64_t> latencies_ns;
  Status status;
};

class ClientThread {
 public:
  ClientThread(const Shared& shared, int thread_index, std::vector<int> conn_indices)
      : shared_(shared), thread_index_(thread_index), conn_indices_(std::move(conn_indices)) {}

  void Run(ThreadResult* result) {
    result_ = result;
    epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd_ < 0) {
      result->status = Status::IoError(std::string("epoll_create1: ") + std::strerror(errno));
      return;
    }
    conns_.resize(conn_indices_.size());
    int opened = 0;
    for (size_t i = 0; i < conns_.size(); ++i) {
      conns_[i].global_index = conn_indices_[i];
      if (Open(i)) ++opened;
    }
    if (opened == 0) {
      result->status = Status::IoError("load client: no connection to " + shared_.options->host +
                                       ":" + std::to_string(shared_.options->port) + " opened");
      ::close(epoll_fd_);
      return;
    }
    std::vector<epoll_event> events(conns_.size() + 1);
    // After the window ends, in-flight requests get this long to finish.
    auto hard_end = shared_.window_end + std::chrono::seconds(5);
    while (true) {
      auto now = SteadyClock::now();
      bool any_open = false;
      for (auto& c : conns_) any_open |= c.fd >= 0;
      if (!any_open || now > hard_end) break;
      const int capacity = static_cast<int>(events.size());
      int n = 0;
      for (int poll = 0; n == 0 && poll < shared_.options->idle_polls; ++poll) {
        if (poll > 0) ::sched_yield();
        n = ::epoll_wait(epoll_fd_, events.data(), capacity, 0);
      }
      if (n == 0) n = ::epoll_wait(epoll_fd_, events.data(), capacity, 20);
      if (n < 0 && errno != EINTR) break;
      for (int k = 0; k < n; ++k) {
        size_t i = events[static_cast<size_t>(k)].data.u64;
        uint32_t ev = events[static_cast<size_t>(k)].events;
        if (conns_[i].fd < 0) continue;
        if (ev & EPOLLOUT) Write(i);
        if (conns_[i].fd >= 0 && (ev & (EPOLLIN | EPOLLERR | EPOLLHUP))) Read(i);
      }
      // Past the window, idle connections close; retry connections that failed before it.
      now = SteadyClock::now();
      for (size_t i = 0; i < conns_.size(); ++i) {
        if (now >= shared_.window_end) {
          if (conns_[i].fd >= 0 && !conns_[i].in_flight) Close(i);
        } else if (conns_[i].fd < 0) {
          Open(i);
        }
      }
    }
    for (size_t i = 0; i < conns_.size(); ++i) Close(i);
    ::close(epoll_fd_);
  }

 private:
  bool Open(size_t i) {
    Result<int> fd = ConnectTo(shared_.options->host, shared_.options->port, true);
    if (!fd.ok()) {
      CountTransportError();
      return false;
    }
    Connection& c = conns_[i];
    c.fd = *fd;
    c.in.clear();
    c.in_flight = false;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = i;
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, c.fd, &ev);
    c.want_write = false;
    StartRequest(i);
    return true;
  }

  void Close(size_t i) {
    Connection& c = conns_[i];
    if (c.fd < 0) return;
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, c.fd, nullptr);
    ::close(c.fd);
    c.fd = -1;
    c.in_flight = false;
  }

  void CountTransportError() {
    auto now = SteadyClock::now();
    if (now >= shared_.window_start && now <= shared_.window_end) ++result_->transport_errors;
  }

  void StartRequest(size_t i) {
    Connection& c = conns_[i];
    if (SteadyClock::now() >= shared_.window_end) {
      Close(i);
      return;
    }
    const auto& requests = *shared_.requests;
    uint64_t total_conns = static_cast<uint64_t>(shared_.options->connections);
    c.request_index = static_cast<size_t>(
        (c.sent * total_conns + static_cast<uint64_t>(c.global_index)) % requests.size());
    ++c.sent;
    c.out_offset = 0;
    c.in_flight = true;
    c.started = SteadyClock::now();
    Write(i);
  }

  void Write(size_t i) {
    Connection& c = conns_[i];
    const std::string& req = (*shared_.requests)[c.request_index];
    while (c.out_offset < req.size()) {
      ssize_t n = ::send(c.fd, req.data() + c.out_offset, req.size() - c.out_offset, MSG_NOSIGNAL);
      if (n > 0) {
        c.out_offset += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        SetWantWrite(i, true);
        return;
      }
      Fail(i);
      return;
    }
    SetWantWrite(i, false);
  }

  void SetWantWrite(size_t i, bool want) {
    Connection& c = conns_[i];
    if (c.want_write == want) return;
    c.want_write = want;
    epoll_event ev{};
    ev.events = EPOLLIN | (want ? EPOLLOUT : 0u);
    ev.data.u64 = i;
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c.fd, &ev);
  }

  void Fail(size_t i) {
    CountTransportError();
    Close(i);
  }

  void Read(size_t i) {
    Connection& c = conns_[i];
    char buf[65536];
    while (true) {
      ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
      if (n > 0) {
        c.in.append(buf, static_cast<size_t>(n));
        if (static_cast<size_t>(n) < sizeof buf) break;
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      // Closed by the server or reset: whatever was in flight is lost.
      Fail(i);
      return;
    }
    while (c.fd >= 0 && !c.in.empty()) {
      ParseState state = ParseResponse(c.in, &parsed_);
      if (state == ParseState::kNeedMore) return;
      if (state == ParseState::kBad || !c.in_flight) {
        Fail(i);
        return;
      }
      if (parsed_.status < 200) {  // 100 Continue and friends
        c.in.erase(0, parsed_.consumed);
        continue;
      }
      Complete(i);
      c.in.erase(0, parsed_.consumed);
      if (parsed_.close) {
        Close(i);  // reopened by the loop while the run lasts
        return;
      }
      StartRequest(i);
    }
  }

  void Complete(size_t i) {
    Connection& c = conns_[i];
    auto now = SteadyClock::now();
    c.in_flight = false;
    bool in_window = now >= shared_.window_start && now <= shared_.window_end;
    ++result_->total;
    if (in_window) {
      ++result_->requests;
      if (parsed_.status < 200 || parsed_.status > 299) ++result_->non_2xx;
      ++result_->status_counts[parsed_.status];
      result_->latencies_ns.push_back(
          std::chrono::duration_cast<std::chrono::nanoseconds>(now - c.started).count());
    }
    if (*shared_.observer) {
      LoadResponse r;
      r.thread = thread_index_;
      r.request_index = c.request_index;
      r.status = parsed_.status;
      r.body = parsed_.body;
      r.in_window = in_window;
      (*shared_.observer)(r);
    }
  }

  const Shared& shared_;
  int thread_index_;
  std::vector<int> conn_indices_;
  std::vector<Connection> conns_;
  ParsedResponse parsed_;
  ThreadResult* result_ = nullptr;
  int epoll_fd_ = -1;
};

}  // namespace

double LoadResult::QuantileMs(double q) const {
  if (latencies_ns.empty()) return 0;
  double rank = std::ceil(q * static_cast<double>(latencies_ns.size()));
  size_t k = rank < 1 ? 0 : static_cast<size_t>(rank) - 1;
  k = std::min(k, latencies_ns.size() - 1);
  return static_cast<double>(latencies_ns[k]) / 1e6;
}

Result<LoadResult> RunLoad(const LoadOptions& options, const std::vector<std::string>& requests,
                           const LoadObserver& observer) {
  if (options.connections < 1 || options.threads < 1 || options.threads > options.connections ||
      options.warmup_s < 0 || !(options.duration_s > 0) || options.port <= 0 ||
      options.port > 65535 || options.idle_polls < 0) {
    return Status::InvalidArgument(
        "load client: need port 1..65535, connections >= 1, 1 <= threads <= connections, "
        "warmup >= 0, duration > 0 and idle_polls >= 0");
  }
  WARDEN_CHECK(!requests.empty());
  Shared shared;
  shared.options = &options;
  shared.requests = &requests;
  shared.observer = &observer;
  auto start = SteadyClock::now();
  auto to_dur = [](double s) {
    return std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(s));
  };
  shared.window_start = start + to_dur(options.warmup_s);
  shared.window_end = shared.window_start + to_dur(options.duration_s);

  std::vector<ThreadResult> results(static_cast<size_t>(options.threads));
  std::vector<std::unique_ptr<ClientThread>> clients;
  for (int t = 0; t < options.threads; ++t) {
    std::vector<int> mine;
    for (int k = t; k < options.connections; k += options.threads) mine.push_back(k);
    clients.push_back(std::make_unique<ClientThread>(shared, t, std::move(mine)));
  }
  std::vector<std::thread> threads;
  for (int t = 0; t < options.threads; ++t) {
    threads.emplace_back(
        [&, t] { clients[static_cast<size_t>(t)]->Run(&results[static_cast<size_t>(t)]); });
  }
  std::this_thread::sleep_until(shared.window_start);
  double cpu0 = ProcessCpuSeconds();
  if (options.on_window_start) options.on_window_start();
  std::this_thread::sleep_until(shared.window_end);
  double cpu1 = ProcessCpuSeconds();
  if (options.on_window_end) options.on_window_end();
  for (auto& th : threads) th.join();

  LoadResult out;
  out.window_s = options.duration_s;
  out.client_cpu_s = cpu1 - cpu0;
  for (auto& r : results) {
    if (!r.status.ok() && options.threads == 1) return r.status;
    out.requests += r.requests;
    out.non_2xx += r.non_2xx;
    out.transport_errors += r.transport_errors;
    out.total_responses += r.total;
    for (auto& [code, count] : r.status_counts) out.status_counts[code] += count;
    out.latencies_ns.insert(out.latencies_ns.end(), r.latencies_ns.begin(), r.latencies_ns.end());
  }
  if (out.total_responses == 0 && !results[0].status.ok()) return results[0].status;
  std::sort(out.latencies_ns.begin(), out.latencies_ns.end());
  return out;
}

std::string MakeGetRequest(std::string_view target, std::string_view key,
                           const std::vector<std::string>& extra) {
  std::string r;
  r.append("GET ").append(target).append(" HTTP/1.1\r\nHost: 127.0.0.1\r\n");
  if (!key.empty()) r.append("Authorization: Bearer ").append(key).append("\r\n");
  for (const auto& h : extra) r.append(h).append("\r\n");
  r.append("\r\n");
  return r;
}

std::string MakePostRequest(std::string_view target, std::string_view key,
                            std::string_view content_type, std::string_view body) {
  std::string r;
  r.append("POST ").append(target).append(" HTTP/1.1\r\nHost: 127.0.0.1\r\n");
  if (!key.empty()) r.append("Authorization: Bearer ").append(key).append("\r\n");
  r.append("Content-Type: ").append(content_type).append("\r\n");
  r.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n\r\n");
  r.append(body);
  return r;
}

std::string MakeMultipartBody(std::string_view field, std::string_view filename,
                              std::string_view part_type, std::string_view bytes,
                              std::string* content_type) {
  // A fixed boundary that cannot occur in the JPEG by accident is not guaranteed, so check.
  std::string boundary = "----serve-bench-boundary-7f3a9c";
  while (bytes.find(boundary) != std::string_view::npos) boundary += "x";
  *content_type = "multipart/form-data; boundary=" + boundary;
  std::string body;
  body.reserve(bytes.size() + 256);
  body.append("--").append(boundary).append("\r\n");
  body.append("Content-Disposition: form-data; name=\"").append(field);
  body.append("\"; filename=\"").append(filename).append("\"\r\n");
  body.append("Content-Type: ").append(part_type).append("\r\n\r\n");
  body.append(bytes);
  body.append("\r\n--").append(boundary).append("--\r\n");
  return body;
}

Result<SimpleResponse> FetchOnce(const std::string& host, int port, const std::string& request,
                                 int timeout_ms) {
  WARDEN_ASSIGN_OR_RETURN(int fd, ConnectTo(host, port, false));
  timeval tv{};
  tv.tv_sec = timeout_ms / 1000;
  tv.tv_usec = (timeout_ms % 1000) * 1000;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  size_t off = 0;
  while (off < request.size()) {
    ssize_t n = ::send(fd, request.data() + off, request.size() - off, MSG_NOSIGNAL);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      ::close(fd);
      return Status::IoError(std::string("send: ") + std::strerror(errno));
    }
    off += static_cast<size_t>(n);
  }
  std::string in;
  ParsedResponse parsed;
  char buf[65536];
  while (true) {
    ParseState state = in.empty() ? ParseState::kNeedMore : ParseResponse(in, &parsed);
    if (state == ParseState::kDone && parsed.status < 200) {
      in.erase(0, parsed.consumed);
      continue;
    }
    if (state == ParseState::kDone) break;
    if (state == ParseState::kBad) {
      ::close(fd);
      return Status::IoError("malformed HTTP response");
    }
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      return Status::IoError(n == 0 ? "connection closed before the response ended"
                                    : std::string("recv: ") + std::strerror(errno));
    }
    in.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  SimpleResponse out;
  out.status = parsed.status;
  out.body = std::string(parsed.body);
  return out;
}

}  // namespace warden::bench
