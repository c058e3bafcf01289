// Metrics: what `warden serve` exposes at /metrics in the Prometheus text exposition format
// (version 0.0.4):
//   warden_http_requests_total{endpoint,method,status}     counter
//   warden_http_request_duration_seconds{endpoint}          histogram (buckets 0.0001 s .. 10 s)
//   warden_http_response_bytes_total{endpoint}              counter
//   plus every gauge and counter registered with AddGauge / Counter (index size, items, store
//   errors, open connections, audit queue, ...).
// `endpoint` is the route pattern ("/c/bank/{name}"), never the concrete path, so the number of
// series stays bounded; unmatched paths count as endpoint="unmatched".
//
// Thread safety: every method may be called from many threads at once. Observe() is the hot
// path: a few atomic increments once the (endpoint, method, status) series exists.
#ifndef WARDEN_SRC_SERVER_METRICS_H_
#define WARDEN_SRC_SERVER_METRICS_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace warden {

class Metrics {
 public:
  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // Records one answered request.
  void ObserveRequest(std::string_view endpoint, std::string_view method, int status,
                      std::chrono::nanoseconds latency, int64_t response_bytes);

  // A named counter (created on first use; the pointer stays valid for the Metrics' life).
  // `name` must be a valid Prometheus metric name; `help` is the HELP text.
  std::atomic<int64_t>* Counter(const std::string& name, const std::string& help);
  // A gauge read at render time by calling `read` (on the rendering thread).
  void AddGauge(const std::string& name, const std::string& help, std::function<double()> read);

  // The whole exposition text.
  std::string Render() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace warden

#endif  // WARDEN_SRC_SERVER_METRICS_H_
