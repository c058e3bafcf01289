#include "src/http/http_event_loop.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <exception>

#include <fmt/core.h>

namespace warden::http {
namespace {

constexpr size_t kReadChunk = 16 << 10;
// Stop parsing pipelined requests while this much output waits for the client to read it.
constexpr size_t kMaxPendingOutput = 1 << 20;
// After an error answer the connection is half-closed and what the client still sends is read
// and dropped for a while, so that closing does not send a RST that could destroy the answer
// before the client reads it (RFC 9112 section 9.6).
constexpr int64_t kLingerNs = 2'000'000'000;
constexpr size_t kMaxLingerBytes = 1 << 20;
constexpr size_t kMaxSpareRequests = 4;

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

void AppendUint(std::string& out, uint64_t v) {
  char buf[24];
  const auto result = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, result.ptr);
}

// One response in wire form. `head`: headers only, Content-Length as for GET.
void AppendResponse(std::string& out, const Response& r, bool head, bool keep_alive,
                    std::string_view date) {
  const int status = (r.status < 100 || r.status > 999) ? 500 : r.status;
  out += "HTTP/1.1 ";
  AppendUint(out, static_cast<uint64_t>(status));
  out += ' ';
  out += ReasonPhrase(status);
  out += "\r\n";
  for (const auto& [name, value] : r.headers.fields()) {
    if (name == "content-length" || name == "connection" || name == "date" ||
        name == "transfer-encoding") {
      continue;  // the server's own framing
    }
    // A handler bug must not split the response (CR/LF in a field).
    if (name.empty() || name.find_first_of("\r\n: ") != std::string::npos ||
        value.find_first_of("\r\n") != std::string::npos) {
      continue;
    }
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  out += "Date: ";
  out += date;
  out += "\r\n";
  const bool no_body = status < 200 || status == 204 || status == 304;
  if (!no_body) {
    out += "Content-Length: ";
    AppendUint(out, r.body.size());
    out += "\r\n";
  }
  out += keep_alive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";
  if (!no_body && !head) out += r.body;
}

std::string PeerAddress(const sockaddr_storage& ss) {
  char text[INET6_ADDRSTRLEN] = {0};
  if (ss.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&ss)->sin_addr, text, sizeof(text));
  } else if (ss.ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_addr, text,
              sizeof(text));
  }
  return text;
}

}  // namespace

struct Connection {
  explicit Connection(int max_header_bytes) : parser(max_header_bytes) {}

  uint64_t id = 0;
  int fd = -1;
  std::string remote;

  std::vector<char> in;  // received bytes [in_begin, in_end) not yet parsed
  size_t in_begin = 0;
  size_t in_end = 0;
  RequestParser parser;
  std::unique_ptr<Request> request;  // being parsed; null while it is on a worker
  const RouteEntry* route = nullptr;
  bool path_known = false;
  bool head = false;
  std::string allow;
  int64_t request_start_ns = 0;  // 0 until the request's first byte

  std::string out;  // queued answers [out_pos, size)
  size_t out_pos = 0;
  uint64_t queued_total = 0;
  uint64_t written_total = 0;
  // Answers queued but not fully written, for the observer.
  struct Pending {
    uint64_t end = 0;  // queued_total after this answer
    std::unique_ptr<Request> request;
    std::string_view route;
    int status = 0;
    int64_t bytes = 0;
    int64_t start_ns = 0;
  };
  std::deque<Pending> pending;
  std::vector<std::unique_ptr<Request>> spare;

  bool on_worker = false;
  bool close_after_write = false;
  bool untrusted = false;  // answered a broken request: unread bytes may follow
  bool peer_eof = false;
  bool lingering = false;
  bool closed = false;
  bool served_any = false;
  uint32_t events = 0;
  int64_t last_activity_ns = 0;
  int64_t linger_deadline_ns = 0;
  size_t lingered = 0;
};

int64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

Response RunHandler(const RouteEntry& route, Request& request) {
  try {
    return route.handler(request);
  } catch (const std::exception& e) {
    fmt::print(stderr, "warden http: handler of {} {} threw: {}\n", route.method, route.pattern,
               e.what());
  } catch (...) {
    fmt::print(stderr, "warden http: handler of {} {} threw a non-exception\n", route.method,
               route.pattern);
  }
  return ErrorResponse(500, "internal", "internal error while handling the request");
}

EventLoop::EventLoop(ServerCore* server, int index) : server_(server), index_(index) {
  const ServerOptions& o = server_->options;
  const int shortest = std::min({o.header_timeout_ms, o.read_timeout_ms, o.write_timeout_ms,
                                 o.idle_timeout_ms});
  sweep_interval_ns_ = int64_t{std::clamp(shortest / 4, 5, 250)} * 1'000'000;
}

EventLoop::~EventLoop() {
  for (auto& [id, c] : connections_) {
    if (!c->closed) {
      close(c->fd);
      server_->open_connections.fetch_sub(1);
    }
  }
  for (auto& [fd, remote] : new_connections_) {
    close(fd);
    server_->open_connections.fetch_sub(1);
  }
  if (epoll_fd_ >= 0) close(epoll_fd_);
  if (wake_fd_ >= 0) close(wake_fd_);
}

Status EventLoop::Init(int listen_fd) {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) return Status::IoError(std::string("epoll_create1: ") + std::strerror(errno));
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) return Status::IoError(std::string("eventfd: ") + std::strerror(errno));
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = &wake_tag_;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev) != 0) {
    return Status::IoError(std::string("epoll_ctl(eventfd): ") + std::strerror(errno));
  }
  if (listen_fd >= 0) {
    listen_fd_ = listen_fd;
    ev.data.ptr = &listen_tag_;
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &ev) != 0) {
      return Status::IoError(std::string("epoll_ctl(listen): ") + std::strerror(errno));
    }
  }
  return Status::Ok();
}

void EventLoop::StartThread() {
  thread_ = std::thread([this] { Run(); });
}

void EventLoop::Join() {
  if (thread_.joinable()) thread_.join();
}

void EventLoop::Wake() {
  if (wake_pending_.exchange(true)) return;
  const uint64_t one = 1;
  ssize_t ignored = write(wake_fd_, &one, sizeof(one));
  (void)ignored;  // EAGAIN only if the counter is saturated: the loop is awake anyway
}

void EventLoop::AddConnection(int fd, std::string remote) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    new_connections_.emplace_back(fd, std::move(remote));
  }
  Wake();
}

void EventLoop::PostCompletion(Completion completion) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    completions_.push_back(std::move(completion));
  }
  Wake();
}

void EventLoop::RefreshDate() {
  const time_t t = time(nullptr);
  if (t == date_second_) return;
  date_second_ = t;
  tm g;
  gmtime_r(&t, &g);
  // IMF-fixdate (RFC 9110 section 5.6.7), spelled out so that no locale can change it.
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  date_ = fmt::format("{}, {:02d} {} {:04d} {:02d}:{:02d}:{:02d} GMT", kDays[g.tm_wday % 7],
                      g.tm_mday, kMonths[g.tm_mon % 12], g.tm_year + 1900, g.tm_hour, g.tm_min,
                      g.tm_sec);
}

void EventLoop::Run() {
  epoll_event events[128];
  now_ns_ = NowNs();
  next_sweep_ns_ = now_ns_ + sweep_interval_ns_;
  RefreshDate();
  for (;;) {
    int64_t wait_ns = std::max<int64_t>(0, next_sweep_ns_ - now_ns_);
    const int n = epoll_wait(epoll_fd_, events, 128, static_cast<int>(wait_ns / 1'000'000) + 1);
    now_ns_ = NowNs();
    RefreshDate();
    for (int i = 0; i < n; ++i) {
      void* tag = events[i].data.ptr;
      if (tag == &wake_tag_) {
        OnWake();
      } else if (tag == &listen_tag_) {
        AcceptAll();
      } else {
        auto* c = static_cast<Connection*>(tag);
        if (!c->closed) HandleEvent(c, events[i].events);
      }
    }
    if (now_ns_ >= next_sweep_ns_) {
      Sweep();
      next_sweep_ns_ = now_ns_ + sweep_interval_ns_;
    }
    graveyard_.clear();
    if (stop_seen_ &&
        (connections_.empty() || now_ns_ >= server_->drain_deadline_ns.load())) {
      break;
    }
  }
  // Drain deadline passed (or nothing left): whatever is still open is cut.
  std::vector<Connection*> rest;
  for (auto& [id, c] : connections_) rest.push_back(c.get());
  for (Connection* c : rest) Close(c);
  graveyard_.clear();
}

void EventLoop::OnWake() {
  uint64_t value;
  ssize_t ignored = read(wake_fd_, &value, sizeof(value));
  (void)ignored;
  wake_pending_.store(false);
  std::vector<std::pair<int, std::string>> fresh;
  std::vector<Completion> done;
  {
    std::lock_guard<std::mutex> lock(mu_);
    fresh.swap(new_connections_);
    done.swap(completions_);
  }
  for (auto& [fd, remote] : fresh) Register(fd, std::move(remote));
  for (Completion& completion : done) {
    server_->in_flight.fetch_sub(1);
    auto it = connections_.find(completion.connection_id);
    if (it == connections_.end() || it->second->closed) continue;  // client left meanwhile
    Connection* c = it->second.get();
    c->on_worker = false;
    Finish(c, std::move(completion.request), completion.response,
           c->route != nullptr ? std::string_view(c->route->pattern) : std::string_view(),
           c->request_start_ns);
    Drive(c);
  }
  if (server_->stopping.load() && !stop_seen_) BeginStop();
}

void EventLoop::AcceptAll() {
  for (int i = 0; i < 64; ++i) {
    sockaddr_storage ss{};
    socklen_t len = sizeof(ss);
    const int fd = accept4(listen_fd_, reinterpret_cast<sockaddr*>(&ss), &len,
                           SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        // Out of descriptors: stop listening for a moment instead of spinning on the
        // level-triggered listening socket; queued clients wait in the backlog.
        epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, listen_fd_, nullptr);
        accept_paused_until_ns_ = now_ns_ + 100'000'000;
      }
      return;
    }
    if (server_->stopping.load()) {
      close(fd);
      continue;
    }
    if (server_->open_connections.load() >= server_->options.max_connections) {
      std::string wire;
      Response busy = ErrorResponse(
          503, "too_many_connections",
          "the server has " + std::to_string(server_->options.max_connections) +
              " connections open, its limit");
      AppendResponse(wire, busy, false, false, date_);
      ssize_t ignored = send(fd, wire.data(), wire.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      (void)ignored;
      close(fd);
      if (server_->observer) {
        Request empty;
        empty.remote_address = PeerAddress(ss);
        Exchange exchange;
        exchange.request = &empty;
        exchange.status = 503;
        exchange.response_bytes = static_cast<int64_t>(wire.size());
        try {
          server_->observer(exchange);
        } catch (...) {
        }
      }
      continue;
    }
    server_->open_connections.fetch_add(1);
    const int one = 1;
    // Small answers must leave at once, not wait for Nagle's ack.
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    EventLoop* target = server_->NextLoop();
    if (target == this) {
      Register(fd, PeerAddress(ss));
    } else {
      target->AddConnection(fd, PeerAddress(ss));
    }
  }
}

void EventLoop::Register(int fd, std::string remote) {
  if (stop_seen_ || server_->stopping.load()) {
    close(fd);
    server_->open_connections.fetch_sub(1);
    return;
  }
  auto c = std::make_unique<Connection>(server_->options.max_header_bytes);
  c->id = next_id_++;
  c->fd = fd;
  c->remote = std::move(remote);
  c->last_activity_ns = now_ns_;
  c->events = EPOLLIN;
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = c.get();
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
    close(fd);
    server_->open_connections.fetch_sub(1);
    return;
  }
  connections_.emplace(c->id, std::move(c));
}

void EventLoop::HandleEvent(Connection* c, uint32_t events) {
  // EPOLLHUP: both directions are shut, so no answer can reach the client any more (and it
  // would be reported again and again while the connection waits for a worker).
  if (events & (EPOLLERR | EPOLLHUP)) {
    Close(c);
    return;
  }
  if (events & EPOLLOUT) {
    if (!Flush(c)) return;
    if (c->out_pos == c->out.size() && !c->closed) Drive(c);  // pipelined input may wait
    if (c->closed) return;
  }
  if (events & EPOLLIN) OnReadable(c);
}

void EventLoop::OnReadable(Connection* c) {
  if (c->lingering) {
    char sink[16 << 10];
    const ssize_t n = recv(c->fd, sink, sizeof(sink), 0);
    if (n > 0) {
      c->lingered += static_cast<size_t>(n);
      if (c->lingered > kMaxLingerBytes) Close(c);
    } else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
      Close(c);
    }
    return;
  }
  if (c->in.size() - c->in_end < kReadChunk / 2) {
    if (c->in_begin > 0) {
      std::memmove(c->in.data(), c->in.data() + c->in_begin, c->in_end - c->in_begin);
      c->in_end -= c->in_begin;
      c->in_begin = 0;
    }
    if (c->in.size() - c->in_end < kReadChunk / 2) c->in.resize(c->in.size() + kReadChunk);
  }
  const ssize_t n = recv(c->fd, c->in.data() + c->in_end, c->in.size() - c->in_end, 0);
  if (n > 0) {
    c->in_end += static_cast<size_t>(n);
    c->last_activity_ns = now_ns_;
  } else if (n == 0) {
    c->peer_eof = true;
  } else {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
    Close(c);
    return;
  }
  Drive(c);
}

void EventLoop::Drive(Connection* c) {
  ProcessInput(c);
  if (!c->closed) Flush(c);
}

void EventLoop::ProcessInput(Connection* c) {
  while (!c->closed && !c->on_worker && !c->close_after_write && !c->lingering) {
    if (c->out.size() - c->out_pos > kMaxPendingOutput) break;
    if (!c->request) {
      if (!c->spare.empty()) {
        c->request = std::move(c->spare.back());
        c->spare.pop_back();
      } else {
        c->request = std::make_unique<Request>();
      }
      c->parser.Reset(c->request.get());
      c->request->remote_address = c->remote;
      c->route = nullptr;
      c->path_known = false;
      c->head = false;
      c->request_start_ns = 0;
    }
    if (c->in_begin == c->in_end) break;
    if (c->request_start_ns == 0) c->request_start_ns = now_ns_;
    size_t consumed = 0;
    RequestParser::Event ev =
        c->parser.Parse(c->in.data() + c->in_begin, c->in_end - c->in_begin, &consumed);
    c->in_begin += consumed;
    if (ev == RequestParser::Event::kHeaders) {
      ev = OnHeaders(c);
      if (ev == RequestParser::Event::kNeedMore) continue;
    }
    if (ev == RequestParser::Event::kNeedMore) break;
    if (ev == RequestParser::Event::kError) {
      const ParseError& e = c->parser.error();
      RespondError(c, e.status, e.code, e.message);
      break;
    }
    Dispatch(c);
  }
  if (c->in_begin == c->in_end) c->in_begin = c->in_end = 0;
  // The client sent everything it will send: answer what is complete, then close.
  if (c->peer_eof && !c->on_worker) c->close_after_write = true;
}

RequestParser::Event EventLoop::OnHeaders(Connection* c) {
  Request* r = c->request.get();
  c->head = r->method == "HEAD";
  c->route = server_->router.Find(r, &c->path_known, &c->allow);
  const int64_t limit = (c->route != nullptr && c->route->options.max_body_bytes > 0)
                            ? c->route->options.max_body_bytes
                            : server_->options.max_body_bytes;
  const RequestParser::Event ev = c->parser.StartBody(limit);
  // RFC 9110 section 10.1.1: 100 Continue only when the body will be read; a client that
  // already sent it gets none.
  if (ev == RequestParser::Event::kNeedMore && c->parser.expect_continue() &&
      c->in_begin == c->in_end) {
    c->out += "HTTP/1.1 100 Continue\r\n\r\n";
    c->queued_total += 25;
  }
  return ev;
}

void EventLoop::Dispatch(Connection* c) {
  c->served_any = true;
  const RouteEntry* route = c->route;
  if (route == nullptr) {
    Response response =
        c->path_known
            ? ErrorResponse(405, "method_not_allowed",
                            "method " + c->request->method + " is not allowed on " +
                                c->request->path + " (allowed: " + c->allow + ")")
            : ErrorResponse(404, "not_found", "no route for path " + c->request->path);
    if (c->path_known) response.headers.Set("allow", c->allow);
    Finish(c, std::move(c->request), response, std::string_view(), c->request_start_ns);
    return;
  }
  bool blocking = route->options.blocking;
  if (!blocking && route->options.blocking_when) {
    try {
      blocking = route->options.blocking_when(*c->request);
    } catch (...) {
      Response failed = ErrorResponse(500, "internal", "internal error while routing the request");
      Finish(c, std::move(c->request), failed, route->pattern, c->request_start_ns);
      return;
    }
  }
  if (blocking) {
    BlockingTask task{this, c->id, std::move(c->request), route};
    if (server_->SubmitBlocking(task)) {
      server_->in_flight.fetch_add(1);
      c->on_worker = true;
      UpdateInterest(c);
      return;
    }
    Response busy = ErrorResponse(
        503, "busy",
        "the server is busy: " + std::to_string(server_->options.max_queued_blocking) +
            " requests already wait for a worker");
    Finish(c, std::move(task.request), busy, route->pattern, c->request_start_ns);
    return;
  }
  server_->in_flight.fetch_add(1);
  Response response = RunHandler(*route, *c->request);
  server_->in_flight.fetch_sub(1);
  Finish(c, std::move(c->request), response, route->pattern, c->request_start_ns);
}

void EventLoop::RespondError(Connection* c, int status, std::string_view code,
                             std::string_view message) {
  c->close_after_write = true;
  c->untrusted = true;
  Response response = ErrorResponse(status, code, message);
  if (!c->request) c->request = std::make_unique<Request>();
  const int64_t start = c->request_start_ns != 0 ? c->request_start_ns : now_ns_;
  Finish(c, std::move(c->request), response, std::string_view(), start);
}

void EventLoop::Finish(Connection* c, std::unique_ptr<Request> request, Response& response,
                       std::string_view route, int64_t start_ns) {
  bool keep_alive = !c->close_after_write && c->parser.keep_alive() && !stop_seen_ &&
                    !server_->stopping.load(std::memory_order_relaxed);
  if (keep_alive) {
    auto wanted = response.headers.Get("connection");
    if (wanted && EqualsIgnoreCase(*wanted, "close")) keep_alive = false;
  }
  if (!keep_alive) c->close_after_write = true;
  const size_t before = c->out.size();
  AppendResponse(c->out, response, c->head, keep_alive, date_);
  const auto bytes = static_cast<int64_t>(c->out.size() - before);
  c->queued_total += static_cast<uint64_t>(bytes);
  Connection::Pending p;
  p.end = c->queued_total;
  p.request = std::move(request);
  p.route = route;
  p.status = response.status;
  p.bytes = bytes;
  p.start_ns = start_ns;
  c->pending.push_back(std::move(p));
}

bool EventLoop::Flush(Connection* c) {
  if (c->out_pos < c->out.size()) {
    // One send for every answer queued so far; a short write means the socket buffer is full,
    // so EPOLLOUT says when to go on instead of a second send that would fail.
    const ssize_t n =
        send(c->fd, c->out.data() + c->out_pos, c->out.size() - c->out_pos, MSG_NOSIGNAL);
    if (n > 0) {
      c->out_pos += static_cast<size_t>(n);
      c->written_total += static_cast<uint64_t>(n);
      c->last_activity_ns = now_ns_;
    } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      Close(c);
      return false;
    }
    if (c->out_pos == c->out.size()) {
      c->out_pos = 0;
      c->out.clear();
      if (c->out.capacity() > kMaxPendingOutput) std::string().swap(c->out);
    }
  }
  if (!c->pending.empty()) NotifyWritten(c, false);
  if (c->out.empty() && c->close_after_write && !c->on_worker) {
    if (c->peer_eof || !c->untrusted || stop_seen_) {
      Close(c);
      return false;
    }
    StartLinger(c);
  }
  UpdateInterest(c);
  return true;
}

void EventLoop::NotifyWritten(Connection* c, bool failed) {
  int64_t end_ns = 0;
  while (!c->pending.empty() && (failed || c->pending.front().end <= c->written_total)) {
    Connection::Pending& p = c->pending.front();
    if (server_->observer) {
      if (end_ns == 0) end_ns = NowNs();
      Exchange exchange;
      exchange.request = p.request.get();
      exchange.route = p.route;
      exchange.status = p.status;
      exchange.response_bytes = p.bytes;
      exchange.latency = std::chrono::nanoseconds(end_ns - p.start_ns);
      try {
        server_->observer(exchange);
      } catch (...) {
        // An observer is metrics and logs: its failure must not cost the client its answer.
      }
    }
    if (c->spare.size() < kMaxSpareRequests && p.request) {
      c->spare.push_back(std::move(p.request));
    }
    c->pending.pop_front();
  }
}

void EventLoop::UpdateInterest(Connection* c) {
  if (c->closed) return;
  uint32_t want = 0;
  if (c->out_pos < c->out.size()) {
    want = EPOLLOUT;
  } else if (c->lingering) {
    want = EPOLLIN;
  } else if (!c->on_worker && !c->peer_eof && !c->close_after_write) {
    want = EPOLLIN;
  }
  if (want == c->events) return;
  epoll_event ev{};
  ev.events = want;
  ev.data.ptr = c;
  epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c->fd, &ev);
  c->events = want;
}

void EventLoop::StartLinger(Connection* c) {
  if (c->lingering) return;
  shutdown(c->fd, SHUT_WR);
  c->lingering = true;
  c->linger_deadline_ns =
      now_ns_ + std::min<int64_t>(kLingerNs, int64_t{server_->options.read_timeout_ms} * 1'000'000);
}

void EventLoop::Close(Connection* c) {
  if (c->closed) return;
  c->closed = true;
  close(c->fd);  // also removes it from the epoll set
  server_->open_connections.fetch_sub(1);
  if (!c->pending.empty()) NotifyWritten(c, true);
  auto it = connections_.find(c->id);
  if (it != connections_.end()) {
    graveyard_.push_back(std::move(it->second));
    connections_.erase(it);
  }
}

void EventLoop::Sweep() {
  if (accept_paused_until_ns_ != 0 && now_ns_ >= accept_paused_until_ns_ && listen_fd_ >= 0) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = &listen_tag_;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &ev);
    accept_paused_until_ns_ = 0;
  }
  const ServerOptions& o = server_->options;
  const int64_t ms = 1'000'000;
  std::vector<std::pair<Connection*, bool>> expired;  // (connection, answer 408 first)
  for (auto& [id, owned] : connections_) {
    Connection* c = owned.get();
    if (c->closed) continue;
    if (c->lingering) {
      if (now_ns_ >= c->linger_deadline_ns) expired.emplace_back(c, false);
    } else if (c->out_pos < c->out.size()) {
      if (now_ns_ - c->last_activity_ns > o.write_timeout_ms * ms) expired.emplace_back(c, false);
    } else if (c->on_worker || c->close_after_write) {
      continue;
    } else if (c->request && c->request_start_ns != 0) {
      const bool late =
          c->parser.headers_done()
              ? now_ns_ - c->last_activity_ns > o.read_timeout_ms * ms
              : now_ns_ - c->request_start_ns > o.header_timeout_ms * ms;
      if (late) expired.emplace_back(c, true);
    } else {
      // A fresh connection must start its request as soon as headers must arrive; between
      // keep-alive requests the idle limit applies. While stopping, idle is closed at once.
      const int64_t limit = c->served_any ? o.idle_timeout_ms * ms : o.header_timeout_ms * ms;
      if (stop_seen_ || now_ns_ - c->last_activity_ns > limit) expired.emplace_back(c, false);
    }
  }
  for (auto& [c, answer] : expired) {
    if (c->closed) continue;
    if (answer) {
      RespondError(c, 408, "request_timeout",
                   c->parser.headers_done() ? "the request body stalled"
                                            : "the request headers did not arrive in time");
      Flush(c);
    } else {
      Close(c);
    }
  }
}

void EventLoop::BeginStop() {
  stop_seen_ = true;
  if (listen_fd_ >= 0) {
    // Closed here rather than after the drain: new clients are refused at once instead of
    // waiting in the backlog of a server that will never accept them.
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, listen_fd_, nullptr);
    close(listen_fd_);
    listen_fd_ = -1;
    server_->listen_fd = -1;  // read by the owner thread only after joining this one
  }
  accept_paused_until_ns_ = 0;
  std::vector<Connection*> idle;
  for (auto& [id, c] : connections_) {
    const bool busy = c->on_worker || c->lingering || c->out_pos < c->out.size() ||
                      (c->request && c->request_start_ns != 0);
    if (!busy) idle.push_back(c.get());
  }
  for (Connection* c : idle) Close(c);
}

}  // namespace warden::http
