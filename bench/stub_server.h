// StubServer: a tiny in-process stand-in for `warden serve` that answers the three requests
// serve_bench sends (GET /status, GET /m/lookup, POST /m/lookup) from BenchData's brute-force
// reference, so `serve_bench --self-test` can check the load client, the answer parsing and the
// verification without the real server. Not a server to measure: one blocking thread per
// connection, no limits.
//
// Answers alternate between Content-Length and chunked framing so both client paths run. With
// `corrupt` set, the answer to the first near-duplicate lookup drops its matches, which the
// verification must catch.
//
// Thread safety: Start/Stop from one owner thread; `data` must outlive the server.
#ifndef WARDEN_BENCH_STUB_SERVER_H_
#define WARDEN_BENCH_STUB_SERVER_H_

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench/serve_bench_data.h"
#include "warden/status.h"

namespace warden::bench {

class StubServer {
 public:
  // `key`: the Bearer key every request must carry (else 401).
  StubServer(const BenchData* data, std::string key, bool corrupt);
  ~StubServer();  // Stop()

  // Listens on 127.0.0.1 at an ephemeral port. Errors: kIoError.
  Status Start();
  void Stop();
  int port() const { return port_; }

 private:
  void AcceptLoop();
  void Serve(int fd);
  std::string Answer(const std::string& method, const std::string& target, bool authorized);

  const BenchData* data_;
  std::string key_;
  bool corrupt_;
  std::atomic<bool> corrupted_once_{false};
  std::atomic<uint64_t> answers_{0};
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<std::thread> workers_;
  std::vector<int> fds_;
};

}  // namespace warden::bench

#endif  // WARDEN_BENCH_STUB_SERVER_H_
