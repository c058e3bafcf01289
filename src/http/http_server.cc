// The epoll server (see http_server.h). Layout: Impl owns the options, the router, the
// listening socket, the event loops (http_event_loop.h) and the worker pool; each loop owns its
// connections. This file holds start, stop, accept hand-off and the worker pool.
#include "src/http/http_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "src/http/http_event_loop.h"

namespace warden::http {

class HttpServer::Impl : public ServerCore {
 public:
  using ServerCore::ServerCore;
};

HttpServer::HttpServer(ServerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Route(std::string method, std::string pattern, Handler handler,
                       RouteOptions options) {
  WARDEN_CHECK(!impl_->started);
  impl_->router.Add(std::move(method), std::move(pattern), std::move(handler), options);
}

void HttpServer::SetObserver(ExchangeObserver observer) {
  WARDEN_CHECK(!impl_->started);
  impl_->observer = std::move(observer);
}

int HttpServer::port() const { return impl_->port; }
int HttpServer::open_connections() const { return impl_->open_connections.load(); }
int HttpServer::in_flight() const { return impl_->in_flight.load(); }

namespace {

Status CheckOptions(const ServerOptions& o) {
  auto bad = [](const char* name, int64_t value) {
    return Status::InvalidArgument(std::string("server option ") + name + " = " +
                                   std::to_string(value) + " is out of range");
  };
  if (o.io_threads < 1 || o.io_threads > 64) return bad("io_threads", o.io_threads);
  if (o.worker_threads < 1 || o.worker_threads > 1024) {
    return bad("worker_threads", o.worker_threads);
  }
  if (o.max_connections < 1) return bad("max_connections", o.max_connections);
  if (o.max_body_bytes < 0) return bad("max_body_bytes", o.max_body_bytes);
  if (o.max_header_bytes < 64) return bad("max_header_bytes", o.max_header_bytes);
  if (o.header_timeout_ms < 1) return bad("header_timeout_ms", o.header_timeout_ms);
  if (o.read_timeout_ms < 1) return bad("read_timeout_ms", o.read_timeout_ms);
  if (o.write_timeout_ms < 1) return bad("write_timeout_ms", o.write_timeout_ms);
  if (o.idle_timeout_ms < 1) return bad("idle_timeout_ms", o.idle_timeout_ms);
  if (o.drain_timeout_ms < 0) return bad("drain_timeout_ms", o.drain_timeout_ms);
  if (o.max_queued_blocking < 0) return bad("max_queued_blocking", o.max_queued_blocking);
  if (o.port < 0 || o.port > 65535) return bad("port", o.port);
  return Status::Ok();
}

}  // namespace

Status HttpServer::Start() {
  ServerCore& s = *impl_;
  if (s.started) return Status::InvalidArgument("HTTP server already started");
  WARDEN_RETURN_IF_ERROR(CheckOptions(s.options));

  sockaddr_storage addr{};
  socklen_t addr_len = 0;
  std::string host = s.options.bind_address;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  auto* v4 = reinterpret_cast<sockaddr_in*>(&addr);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&addr);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(s.options.port));
    addr_len = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(s.options.port));
    addr_len = sizeof(sockaddr_in6);
  } else {
    return Status::InvalidArgument("bind address '" + s.options.bind_address +
                                   "' is not an IPv4 or IPv6 literal");
  }
  const std::string where = s.options.bind_address + ":" + std::to_string(s.options.port);
  const int fd = socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::IoError("socket for " + where + ": " + std::strerror(errno));
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), addr_len) != 0) {
    const int err = errno;
    close(fd);
    return Status::IoError("bind " + where + ": " + std::strerror(err));
  }
  if (listen(fd, 1024) != 0) {
    const int err = errno;
    close(fd);
    return Status::IoError("listen on " + where + ": " + std::strerror(err));
  }
  sockaddr_storage bound{};
  socklen_t bound_len = sizeof(bound);
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &bound_len);
  s.port = ntohs(bound.ss_family == AF_INET ? reinterpret_cast<sockaddr_in*>(&bound)->sin_port
                                            : reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
  s.listen_fd = fd;

  for (int i = 0; i < s.options.io_threads; ++i) {
    auto loop = std::make_unique<EventLoop>(&s, i);
    Status st = loop->Init(i == 0 ? fd : -1);
    if (!st.ok()) {
      s.loops.clear();
      close(fd);
      s.listen_fd = -1;
      return st;
    }
    s.loops.push_back(std::move(loop));
  }
  s.started = true;
  for (int i = 0; i < s.options.worker_threads; ++i) {
    s.workers.emplace_back([&s] { s.WorkerMain(); });
  }
  for (auto& loop : s.loops) loop->StartThread();
  return Status::Ok();
}

void HttpServer::Stop() {
  ServerCore& s = *impl_;
  if (!s.started || s.stopped) return;
  s.stopped = true;
  s.drain_deadline_ns.store(NowNs() + int64_t{s.options.drain_timeout_ms} * 1'000'000);
  s.stopping.store(true);
  for (auto& loop : s.loops) loop->Wake();
  for (auto& loop : s.loops) loop->Join();
  {
    std::lock_guard<std::mutex> lock(s.work_mu);
    s.workers_stop = true;
  }
  s.work_cv.notify_all();
  for (auto& t : s.workers) t.join();
  s.workers.clear();
  // Completions for connections that were force-closed at the drain deadline die here.
  s.loops.clear();
  if (s.listen_fd >= 0) close(s.listen_fd);
  s.listen_fd = -1;
}

// ---- ServerCore: accept hand-off and the worker pool ----

EventLoop* ServerCore::NextLoop() {
  const size_t i = next_loop++ % loops.size();
  return loops[i].get();
}

bool ServerCore::SubmitBlocking(BlockingTask& task) {
  {
    std::lock_guard<std::mutex> lock(work_mu);
    if (static_cast<int>(work_queue.size()) >= options.max_queued_blocking) return false;
    work_queue.push_back(std::move(task));
  }
  work_cv.notify_one();
  return true;
}

void ServerCore::WorkerMain() {
  for (;;) {
    BlockingTask task;
    {
      std::unique_lock<std::mutex> lock(work_mu);
      work_cv.wait(lock, [this] { return workers_stop || !work_queue.empty(); });
      if (workers_stop) return;  // loops are gone: nobody would write the answer
      task = std::move(work_queue.front());
      work_queue.pop_front();
    }
    Response response = RunHandler(*task.route, *task.request);
    task.loop->PostCompletion(
        Completion{task.connection_id, std::move(task.request), std::move(response)});
  }
}

}  // namespace warden::http
