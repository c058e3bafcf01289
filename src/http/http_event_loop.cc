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
#include <cstring>
#include <exception>

#include <fmt/core.h>

#include "src/http/http_connection.h"

namespace warden::http {
namespace {

std::string PeerAddress(const sockaddr_storage& ss) {
  char text[INET6_ADDRSTRLEN] = {0};
  if (ss.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&ss)->sin_addr, text, sizeof(text));
  } else if (ss.ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_addr, text, sizeof(text));
  }
  return text;
}

}  // namespace

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
  const int shortest =
      std::min({o.header_timeout_ms, o.read_timeout_ms, o.write_timeout_ms, o.idle_timeout_ms});
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
  date_ =
      fmt::format("{}, {:02d} {} {:04d} {:02d}:{:02d}:{:02d} GMT", kDays[g.tm_wday % 7], g.tm_mday,
                  kMonths[g.tm_mon % 12], g.tm_year + 1900, g.tm_hour, g.tm_min, g.tm_sec);
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
    if (stop_seen_ && (connections_.empty() || now_ns_ >= server_->drain_deadline_ns.load())) {
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
    const int fd =
        accept4(listen_fd_, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
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
      Response busy =
          ErrorResponse(503, "too_many_connections",
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
void EventLoop::Close(Connection* c) {
  if (c->closed) return;
  c->closed = true;
  close(c->fd);  // also removes it from the epoll set
  server_->open_connections.fetch_sub(1);
  if (c->pending_head < c->pending.size()) NotifyWritten(c, true);
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
      const bool late = c->parser.headers_done()
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
    // A lingering connection has had its answer; it is not kept for the drain.
    const bool busy =
        c->on_worker || c->out_pos < c->out.size() || (c->request && c->request_start_ns != 0);
    if (!busy) idle.push_back(c.get());
  }
  for (Connection* c : idle) Close(c);
}

}  // namespace warden::http
