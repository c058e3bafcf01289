// http_bench: requests per second of Warden's HttpServer for a trivial inline GET handler,
// against a naive blocking thread-per-connection server run in the same process, both driven
// by the same epoll client (keep-alive connections, one request in flight per connection).
//
//   http_bench [--seconds 5] [--connections 16] [--io-threads 1]
//
// Client and servers share the machine's cores, as the matching service and its load client do.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <fmt/core.h>

#include "src/http/http_server.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Result {
  double requests_per_second = 0;
  double p50_us = 0;
  double p99_us = 0;
  int64_t errors = 0;
  // CPU time of the process minus the client thread's, per answer: the server's own cost,
  // which a machine busy with other work changes far less than requests per second.
  double server_cpu_us = 0;
};

double ProcessCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

int ConnectLoopback(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

// Drives `connections` keep-alive connections for `seconds`, one request in flight on each.
Result RunClient(int port, int connections, double seconds) {
  static constexpr char kRequest[] = "GET /ping HTTP/1.1\r\nHost: bench\r\n\r\n";
  const size_t request_size = sizeof(kRequest) - 1;
  struct Conn {
    int fd = -1;
    std::string in;
    Clock::time_point sent;
  };
  std::vector<Conn> conns(static_cast<size_t>(connections));
  const int ep = epoll_create1(0);
  Result result;
  for (size_t i = 0; i < conns.size(); ++i) {
    conns[i].fd = ConnectLoopback(port);
    if (conns[i].fd < 0) {
      fmt::print(stderr, "connect to port {} failed\n", port);
      std::exit(1);
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = i;
    epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].fd, &ev);
  }
  std::vector<int64_t> latencies_ns;
  latencies_ns.reserve(4'000'000);
  const double process_cpu_start = ProcessCpuSeconds();
  const double thread_cpu_start = ThreadCpuSeconds();
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration<double>(seconds);
  for (Conn& c : conns) {
    c.sent = Clock::now();
    if (send(c.fd, kRequest, request_size, MSG_NOSIGNAL) != static_cast<ssize_t>(request_size)) {
      ++result.errors;
    }
  }
  int64_t done = 0;
  epoll_event events[64];
  char buf[8192];
  bool running = true;
  while (running) {
    const int n = epoll_wait(ep, events, 64, 1000);
    const auto now = Clock::now();
    if (now >= end) running = false;
    for (int i = 0; i < n; ++i) {
      Conn& c = conns[events[i].data.u64];
      const ssize_t got = recv(c.fd, buf, sizeof(buf), 0);
      if (got <= 0) {
        ++result.errors;
        continue;
      }
      c.in.append(buf, static_cast<size_t>(got));
      // One answer: headers, then Content-Length bytes.
      const size_t header_end = c.in.find("\r\n\r\n");
      if (header_end == std::string::npos) continue;
      const size_t cl = c.in.find("Content-Length: ");
      const size_t length =
          cl == std::string::npos ? 0 : std::strtoul(c.in.c_str() + cl + 16, nullptr, 10);
      if (c.in.size() < header_end + 4 + length) continue;
      if (c.in.compare(0, 12, "HTTP/1.1 200") != 0) ++result.errors;
      c.in.erase(0, header_end + 4 + length);
      latencies_ns.push_back(
          std::chrono::duration_cast<std::chrono::nanoseconds>(now - c.sent).count());
      ++done;
      if (running) {
        c.sent = now;
        send(c.fd, kRequest, request_size, MSG_NOSIGNAL);
      }
    }
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  const double server_cpu =
      (ProcessCpuSeconds() - process_cpu_start) - (ThreadCpuSeconds() - thread_cpu_start);
  if (done > 0) result.server_cpu_us = server_cpu * 1e6 / static_cast<double>(done);
  for (Conn& c : conns) close(c.fd);
  close(ep);
  result.requests_per_second = static_cast<double>(done) / elapsed;
  if (!latencies_ns.empty()) {
    std::sort(latencies_ns.begin(), latencies_ns.end());
    result.p50_us = static_cast<double>(latencies_ns[latencies_ns.size() / 2]) / 1000.0;
    result.p99_us = static_cast<double>(latencies_ns[latencies_ns.size() * 99 / 100]) / 1000.0;
  }
  return result;
}

// The baseline: accept in one thread, one blocking thread per connection, a canned answer for
// every "\r\n\r\n" received. No parsing, no limits: an upper bound on what a blocking design
// with one thread per client gets from the same client.
class NaiveServer {
 public:
  NaiveServer() {
    listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
    const int one = 1;
    setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    listen(listen_fd_, 128);
    socklen_t len = sizeof(addr);
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { Accept(); });
  }
  ~NaiveServer() {
    stop_.store(true);
    shutdown(listen_fd_, SHUT_RDWR);
    close(listen_fd_);
    acceptor_.join();
    for (auto& t : workers_) t.join();
  }
  int port() const { return port_; }

 private:
  void Accept() {
    for (;;) {
      const int fd = accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) return;
      const int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      workers_.emplace_back([fd] { Serve(fd); });
    }
  }
  static void Serve(int fd) {
    static constexpr char kAnswer[] =
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n"
        "Connection: keep-alive\r\n\r\npong";
    std::string in;
    char buf[8192];
    for (;;) {
      const ssize_t n = recv(fd, buf, sizeof(buf), 0);
      if (n <= 0) break;
      in.append(buf, static_cast<size_t>(n));
      size_t end;
      while ((end = in.find("\r\n\r\n")) != std::string::npos) {
        in.erase(0, end + 4);
        send(fd, kAnswer, sizeof(kAnswer) - 1, MSG_NOSIGNAL);
      }
    }
    close(fd);
  }
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread acceptor_;
  std::vector<std::thread> workers_;
};

void Print(const char* name, const Result& r) {
  fmt::print(
      "{:<40} {:>7.0f} req/s  p50 {:>6.1f} us  p99 {:>7.1f} us  server CPU {:>5.2f} us/req  "
      "errors {}\n",
      name, r.requests_per_second, r.p50_us, r.p99_us, r.server_cpu_us, r.errors);
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 5;
  int connections = 16;
  int io_threads = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--seconds") {
      seconds = std::atof(argv[i + 1]);
    } else if (flag == "--connections") {
      connections = std::atoi(argv[i + 1]);
    } else if (flag == "--io-threads") {
      io_threads = std::atoi(argv[i + 1]);
    } else {
      fmt::print(stderr, "usage: http_bench [--seconds S] [--connections N] [--io-threads N]\n");
      return 2;
    }
  }
  fmt::print("trivial GET, {} keep-alive connections, one request in flight each, {} s per run\n",
             connections, seconds);

  warden::http::ServerOptions options;
  options.io_threads = io_threads;
  options.worker_threads = 1;
  warden::http::HttpServer server(options);
  server.Route("GET", "/ping",
               [](warden::http::Request&) { return warden::http::Response::Text(200, "pong"); });
  if (auto st = server.Start(); !st.ok()) {
    fmt::print(stderr, "{}\n", st.ToString());
    return 1;
  }
  RunClient(server.port(), connections, 0.3);  // warm-up
  const Result warden_result = RunClient(server.port(), connections, seconds);
  server.Stop();

  Result naive_result;
  {
    NaiveServer naive;
    RunClient(naive.port(), connections, 0.3);
    naive_result = RunClient(naive.port(), connections, seconds);
  }
  Print(fmt::format("warden HttpServer ({} io thread{})", io_threads, io_threads == 1 ? "" : "s")
            .c_str(),
        warden_result);
  Print("naive blocking thread-per-connection", naive_result);
  fmt::print(
      "ratio warden / naive: {:.2f} x the requests per second, {:.2f} x the server CPU per "
      "request\n",
      warden_result.requests_per_second / naive_result.requests_per_second,
      warden_result.server_cpu_us / naive_result.server_cpu_us);
  return warden_result.errors == 0 && naive_result.errors == 0 ? 0 : 1;
}
