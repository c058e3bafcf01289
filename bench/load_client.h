// LoadClient: a closed-loop HTTP/1.1 load generator on epoll, for serve_bench.
//
// `connections` keep-alive TCP connections to one server, spread over `threads` client
// threads, each thread driving its connections from one epoll set. Each connection has exactly
// one request in flight: it writes a request, reads the whole response (Content-Length or
// chunked), then writes the next one. Requests are prepared in advance (whole HTTP messages),
// so the client spends its CPU on sockets and parsing, not on building requests. Connection k
// of C sends requests k, k + C, k + 2C, ... (mod the number of requests), so all connections
// together walk through the request list in order. An idle client thread polls its sockets a
// few times, yielding the CPU in between, before it sleeps (LoadOptions::idle_polls), so that a
// client sharing the machine with the server costs it as little as it can.
//
// Timing: the run lasts warmup_s + duration_s. Only responses that complete inside the
// measured window [start + warmup_s, start + warmup_s + duration_s] count towards `requests`,
// `errors` and `latencies_ns`; responses outside it still reach the observer. A latency is
// measured with steady_clock from just before the first byte of the request is written to the
// moment the last byte of the response has been read.
//
// Thread safety: Run() blocks the calling thread. The observer is called on client threads
// (thread index 0..threads-1): calls with the same thread index never overlap, calls with
// different indices may.
#ifndef WARDEN_BENCH_LOAD_CLIENT_H_
#define WARDEN_BENCH_LOAD_CLIENT_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "warden/status.h"

namespace warden::bench {

struct LoadOptions {
  std::string host = "127.0.0.1";  // IPv4 literal
  int port = 0;
  int connections = 32;    // >= 1
  int threads = 1;         // 1..connections
  double warmup_s = 2;     // >= 0
  double duration_s = 20;  // > 0
  // A client thread looks for events with up to this many non-blocking polls (epoll_wait with
  // a zero timeout, sched_yield() between two polls) before it sleeps in epoll_wait. A client
  // that shares the CPUs with the server it loads then rarely sleeps, so the server's send
  // seldom has to wake it (a cross-CPU interrupt on this VM), and each yield hands the CPU to
  // a server thread that is ready to run. 0: always sleep in epoll_wait (>= 0).
  int idle_polls = 2;
  // Called once at the start and once at the end of the measured window, on the thread that
  // called Run() (e.g. to sample the server's CPU time). May be empty.
  std::function<void()> on_window_start;
  std::function<void()> on_window_end;
};

// One complete response: `request_index` into the request list, the HTTP status and the
// de-chunked body (valid only during the call).
struct LoadResponse {
  int thread = 0;
  size_t request_index = 0;
  int status = 0;
  std::string_view body;
  bool in_window = false;
};
using LoadObserver = std::function<void(const LoadResponse&)>;

struct LoadResult {
  double window_s = 0;                   // measured window length, seconds (wall)
  int64_t requests = 0;                  // responses completed in the window (any status)
  int64_t non_2xx = 0;                   // of those, status outside 200..299
  int64_t transport_errors = 0;          // in the window: connects refused, resets, early closes
  std::map<int, int64_t> status_counts;  // in the window
  std::vector<int64_t> latencies_ns;     // in the window, sorted ascending
  double client_cpu_s = 0;      // CPU (user + system) of this whole process during the window
  int64_t total_responses = 0;  // over the whole run, warm-up included

  double PerSecond() const { return window_s > 0 ? static_cast<double>(requests) / window_s : 0; }
  // The q-quantile (0..1) of latencies_ns in milliseconds (nearest rank); 0 if none.
  double QuantileMs(double q) const;
};

// Runs the load. `requests` are complete HTTP/1.1 messages (request line, headers including
// Host and Content-Length where there is a body, blank line, body); REQUIRES: non-empty.
// Errors: kInvalidArgument for bad options; kIoError when no connection could be opened at all
// (e.g. nothing listens on the port). Failures of single connections during the run are counted
// in transport_errors and the connection is reopened.
Result<LoadResult> RunLoad(const LoadOptions& options, const std::vector<std::string>& requests,
                           const LoadObserver& observer);

// "GET <target> HTTP/1.1" with Host, Authorization: Bearer <key> (when key is non-empty) and
// the headers in `extra` (each "Name: value", without CRLF).
std::string MakeGetRequest(std::string_view target, std::string_view key,
                           const std::vector<std::string>& extra = {});
// A POST with a body of `content_type`.
std::string MakePostRequest(std::string_view target, std::string_view key,
                            std::string_view content_type, std::string_view body);
// A multipart/form-data body with one file part named `field` holding `bytes` (filename
// `filename`, Content-Type `part_type`); *content_type receives the header value with the
// boundary.
std::string MakeMultipartBody(std::string_view field, std::string_view filename,
                              std::string_view part_type, std::string_view bytes,
                              std::string* content_type);

// One blocking request on a fresh connection (for setup steps and checks), with a timeout.
// Errors: kIoError when the connection or the exchange fails or times out.
struct SimpleResponse {
  int status = 0;
  std::string body;
};
Result<SimpleResponse> FetchOnce(const std::string& host, int port, const std::string& request,
                                 int timeout_ms);

}  // namespace warden::bench

#endif  // WARDEN_BENCH_LOAD_CLIENT_H_
