#include "src/server/metrics.h"

#include <array>
#include <cmath>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <tuple>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "warden/status.h"

namespace warden {
namespace {

// Histogram bucket upper bounds, kept as integer nanoseconds so that an observation lands in
// exactly the bucket its `le` label names (no float rounding at the edges), with the label text
// written once here rather than formatted from a double.
struct Bucket {
  int64_t le_ns;
  const char* le_text;
};
constexpr std::array<Bucket, 16> kBuckets = {{
    {100'000, "0.0001"},
    {250'000, "0.00025"},
    {500'000, "0.0005"},
    {1'000'000, "0.001"},
    {2'500'000, "0.0025"},
    {5'000'000, "0.005"},
    {10'000'000, "0.01"},
    {25'000'000, "0.025"},
    {50'000'000, "0.05"},
    {100'000'000, "0.1"},
    {250'000'000, "0.25"},
    {500'000'000, "0.5"},
    {1'000'000'000, "1"},
    {2'500'000'000, "2.5"},
    {5'000'000'000, "5"},
    {10'000'000'000, "10"},
}};

constexpr const char* kRequestsName = "warden_http_requests_total";
constexpr const char* kDurationName = "warden_http_request_duration_seconds";
constexpr const char* kBytesName = "warden_http_response_bytes_total";

// Per endpoint: the latency histogram and the response byte counter. Buckets hold per-bucket
// (not cumulative) counts so an observation is one increment; Render accumulates. The last
// slot counts observations above the largest bound (le="+Inf" only).
struct EndpointSeries {
  std::array<std::atomic<int64_t>, kBuckets.size() + 1> buckets{};
  std::atomic<int64_t> sum_ns{0};
  std::atomic<int64_t> response_bytes{0};
};

struct RequestSeries {
  std::atomic<int64_t> count{0};
  EndpointSeries* endpoint = nullptr;  // owned by Impl::endpoints_, stable address
};

// Key of warden_http_requests_total; compared with KeyView for lookups that do not allocate.
struct RequestKey {
  std::string endpoint;
  std::string method;
  int status;
};
struct RequestKeyView {
  std::string_view endpoint;
  std::string_view method;
  int status;
};
struct RequestKeyLess {
  using is_transparent = void;
  static std::tuple<std::string_view, std::string_view, int> View(const RequestKey& k) {
    return {k.endpoint, k.method, k.status};
  }
  static std::tuple<std::string_view, std::string_view, int> View(const RequestKeyView& k) {
    return {k.endpoint, k.method, k.status};
  }
  template <typename A, typename B>
  bool operator()(const A& a, const B& b) const {
    return View(a) < View(b);
  }
};

// A client chooses the method text, so an unknown method would create a series per distinct
// string; anything but the standard methods is counted as "other" to keep the series bounded.
std::string_view NormalizedMethod(std::string_view method) {
  static constexpr std::array<std::string_view, 9> kKnown = {
      "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE"};
  for (std::string_view known : kKnown) {
    if (method == known) return known;
  }
  return "other";
}

bool ValidMetricName(const std::string& name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    bool digit = c >= '0' && c <= '9';
    if (!alpha && !(digit && i > 0)) return false;
  }
  return true;
}

// Label values escape backslash, double quote and newline (exposition format 0.0.4).
void AppendLabelValue(std::string* out, std::string_view value) {
  for (char c : value) {
    switch (c) {
      case '\\':
        *out += "\\\\";
        break;
      case '"':
        *out += "\\\"";
        break;
      case '\n':
        *out += "\\n";
        break;
      default:
        *out += c;
    }
  }
}

// HELP text escapes backslash and newline only (quotes are literal there).
void AppendHelp(std::string* out, const std::string& name, std::string_view help,
                const char* type) {
  *out += "# HELP ";
  *out += name;
  *out += ' ';
  for (char c : help) {
    switch (c) {
      case '\\':
        *out += "\\\\";
        break;
      case '\n':
        *out += "\\n";
        break;
      default:
        *out += c;
    }
  }
  *out += "\n# TYPE ";
  *out += name;
  *out += ' ';
  *out += type;
  *out += '\n';
}

// Sample values are Go-style floats: NaN, +Inf, -Inf, otherwise the shortest text that reads
// back as the same double.
std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", v);
}

}  // namespace

class Metrics::Impl {
 public:
  RequestSeries* FindOrAddRequest(std::string_view endpoint, std::string_view method, int status) {
    RequestKeyView view{endpoint, method, status};
    {
      std::shared_lock lock(mu_);
      auto it = requests_.find(view);
      if (it != requests_.end()) return it->second.get();
    }
    std::unique_lock lock(mu_);
    auto it = requests_.find(view);
    if (it != requests_.end()) return it->second.get();  // another thread added it meanwhile
    auto ep = endpoints_.find(endpoint);
    if (ep == endpoints_.end()) {
      ep = endpoints_.emplace(std::string(endpoint), std::make_unique<EndpointSeries>()).first;
    }
    auto series = std::make_unique<RequestSeries>();
    series->endpoint = ep->second.get();
    RequestSeries* raw = series.get();
    requests_.emplace(RequestKey{std::string(endpoint), std::string(method), status},
                      std::move(series));
    return raw;
  }

  std::atomic<int64_t>* Counter(const std::string& name, const std::string& help) {
    WARDEN_CHECK(ValidMetricName(name));
    {
      std::shared_lock lock(mu_);
      auto it = counters_.find(name);
      if (it != counters_.end()) return &it->second->value;
    }
    std::unique_lock lock(mu_);
    WARDEN_CHECK(!IsReservedLocked(name) && gauges_.count(name) == 0);
    auto it = counters_.find(name);
    if (it == counters_.end()) {
      auto counter = std::make_unique<NamedCounter>();
      counter->help = help;
      it = counters_.emplace(name, std::move(counter)).first;
    }
    return &it->second->value;
  }

  void AddGauge(const std::string& name, const std::string& help, std::function<double()> read) {
    WARDEN_CHECK(ValidMetricName(name));
    WARDEN_CHECK(read != nullptr);
    auto gauge = std::make_shared<Gauge>(Gauge{help, std::move(read)});
    std::unique_lock lock(mu_);
    WARDEN_CHECK(!IsReservedLocked(name) && counters_.count(name) == 0);
    gauges_[name] = std::move(gauge);
  }

  std::string Render() const;

 private:
  struct NamedCounter {
    std::string help;
    std::atomic<int64_t> value{0};
  };
  struct Gauge {
    std::string help;
    std::function<double()> read;
  };

  bool IsReservedLocked(const std::string& name) const {
    return name == kRequestsName || name == kDurationName || name == kBytesName ||
           name.rfind(std::string(kDurationName) + "_", 0) == 0;
  }

  // Guards the maps' shapes only; the values inside are atomics updated without it. Entries
  // are never removed, so the pointers handed out stay valid for the Metrics' life.
  mutable std::shared_mutex mu_;
  std::map<RequestKey, std::unique_ptr<RequestSeries>, RequestKeyLess> requests_;
  std::map<std::string, std::unique_ptr<EndpointSeries>, std::less<>> endpoints_;
  std::map<std::string, std::unique_ptr<NamedCounter>, std::less<>> counters_;
  std::map<std::string, std::shared_ptr<const Gauge>, std::less<>> gauges_;
};

std::string Metrics::Impl::Render() const {
  std::string out;
  std::vector<std::pair<std::string, std::shared_ptr<const Gauge>>> gauges;
  {
    std::shared_lock lock(mu_);
    AppendHelp(&out, kRequestsName, "HTTP requests answered, by route pattern, method and status.",
               "counter");
    for (const auto& [key, series] : requests_) {
      out += kRequestsName;
      out += "{endpoint=\"";
      AppendLabelValue(&out, key.endpoint);
      out += "\",method=\"";
      AppendLabelValue(&out, key.method);
      out += fmt::format("\",status=\"{}\"}} {}\n", key.status,
                         series->count.load(std::memory_order_relaxed));
    }

    AppendHelp(&out, kDurationName,
               "Time from a request's first byte to its answer's last byte, by route pattern.",
               "histogram");
    for (const auto& [endpoint, series] : endpoints_) {
      std::string label;
      AppendLabelValue(&label, endpoint);
      // Counts are read once each and accumulated, so within one rendering the buckets are
      // monotonic and _count equals the +Inf bucket even while requests are being observed.
      int64_t cumulative = 0;
      for (size_t i = 0; i <= kBuckets.size(); ++i) {
        cumulative += series->buckets[i].load(std::memory_order_relaxed);
        const char* le = i < kBuckets.size() ? kBuckets[i].le_text : "+Inf";
        out += fmt::format("{}_bucket{{endpoint=\"{}\",le=\"{}\"}} {}\n", kDurationName, label, le,
                           cumulative);
      }
      double sum_s = static_cast<double>(series->sum_ns.load(std::memory_order_relaxed)) / 1e9;
      out +=
          fmt::format("{}_sum{{endpoint=\"{}\"}} {}\n", kDurationName, label, FormatValue(sum_s));
      out += fmt::format("{}_count{{endpoint=\"{}\"}} {}\n", kDurationName, label, cumulative);
    }

    AppendHelp(&out, kBytesName, "Response bytes written (headers and body), by route pattern.",
               "counter");
    for (const auto& [endpoint, series] : endpoints_) {
      out += kBytesName;
      out += "{endpoint=\"";
      AppendLabelValue(&out, endpoint);
      out += fmt::format("\"}} {}\n", series->response_bytes.load(std::memory_order_relaxed));
    }

    for (const auto& [name, counter] : counters_) {
      AppendHelp(&out, name, counter->help, "counter");
      out += fmt::format("{} {}\n", name, counter->value.load(std::memory_order_relaxed));
    }
    gauges.assign(gauges_.begin(), gauges_.end());
  }
  // Gauges are read without the lock: a reader may itself call into this Metrics (or take
  // locks of its own), and a slow reader must not stall ObserveRequest's first-time inserts.
  for (const auto& [name, gauge] : gauges) {
    AppendHelp(&out, name, gauge->help, "gauge");
    out += fmt::format("{} {}\n", name, FormatValue(gauge->read()));
  }
  return out;
}

Metrics::Metrics() : impl_(std::make_unique<Impl>()) {}
Metrics::~Metrics() = default;

void Metrics::ObserveRequest(std::string_view endpoint, std::string_view method, int status,
                             std::chrono::nanoseconds latency, int64_t response_bytes) {
  if (endpoint.empty()) endpoint = "unmatched";
  RequestSeries* series = impl_->FindOrAddRequest(endpoint, NormalizedMethod(method), status);
  series->count.fetch_add(1, std::memory_order_relaxed);
  EndpointSeries* ep = series->endpoint;
  int64_t ns = latency.count() > 0 ? static_cast<int64_t>(latency.count()) : 0;
  size_t bucket = 0;
  while (bucket < kBuckets.size() && ns > kBuckets[bucket].le_ns) ++bucket;
  ep->buckets[bucket].fetch_add(1, std::memory_order_relaxed);
  ep->sum_ns.fetch_add(ns, std::memory_order_relaxed);
  if (response_bytes > 0) ep->response_bytes.fetch_add(response_bytes, std::memory_order_relaxed);
}

std::atomic<int64_t>* Metrics::Counter(const std::string& name, const std::string& help) {
  return impl_->Counter(name, help);
}

void Metrics::AddGauge(const std::string& name, const std::string& help,
                       std::function<double()> read) {
  impl_->AddGauge(name, help, std::move(read));
}

std::string Metrics::Render() const { return impl_->Render(); }

}  // namespace warden
