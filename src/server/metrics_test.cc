#include "src/server/metrics.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace warden {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

// The rendered exposition split into its parts: sample lines keyed by "name{labels}", and the
// HELP / TYPE lines keyed by metric name. Any line that is none of these fails the test.
struct Parsed {
  std::map<std::string, std::string> samples;
  std::map<std::string, std::string> help;
  std::map<std::string, std::string> type;
  std::vector<std::string> order;  // sample keys in rendering order
};

Parsed Parse(const std::string& text) {
  Parsed parsed;
  EXPECT_FALSE(text.empty());
  if (!text.empty()) {
    EXPECT_EQ(text.back(), '\n');
  }
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("# HELP ", 0) == 0) {
      std::string rest = line.substr(7);
      size_t space = rest.find(' ');
      EXPECT_NE(space, std::string::npos) << line;
      parsed.help[rest.substr(0, space)] = rest.substr(space + 1);
    } else if (line.rfind("# TYPE ", 0) == 0) {
      std::string rest = line.substr(7);
      size_t space = rest.find(' ');
      EXPECT_NE(space, std::string::npos) << line;
      parsed.type[rest.substr(0, space)] = rest.substr(space + 1);
    } else {
      // The value follows the last space; label values may contain spaces.
      size_t space = line.rfind(' ');
      EXPECT_NE(space, std::string::npos) << line;
      if (space == std::string::npos) continue;
      std::string key = line.substr(0, space);
      EXPECT_EQ(parsed.samples.count(key), 0u) << "duplicate series " << key;
      parsed.samples[key] = line.substr(space + 1);
      parsed.order.push_back(key);
    }
  }
  return parsed;
}

TEST(MetricsTest, EmptyRenderDeclaresTheHttpFamilies) {
  Metrics metrics;
  Parsed p = Parse(metrics.Render());
  EXPECT_TRUE(p.samples.empty());
  EXPECT_EQ(p.type["warden_http_requests_total"], "counter");
  EXPECT_EQ(p.type["warden_http_request_duration_seconds"], "histogram");
  EXPECT_EQ(p.type["warden_http_response_bytes_total"], "counter");
  EXPECT_FALSE(p.help["warden_http_requests_total"].empty());
}

TEST(MetricsTest, CountsRequestsPerSeries) {
  Metrics metrics;
  metrics.ObserveRequest("/v1/lookup", "POST", 200, milliseconds(3), 120);
  metrics.ObserveRequest("/v1/lookup", "POST", 200, milliseconds(4), 80);
  metrics.ObserveRequest("/v1/lookup", "POST", 400, milliseconds(1), 50);
  metrics.ObserveRequest("/c/bank/{name}", "GET", 404, microseconds(50), 10);
  Parsed p = Parse(metrics.Render());
  EXPECT_EQ(
      p.samples[R"(warden_http_requests_total{endpoint="/v1/lookup",method="POST",status="200"})"],
      "2");
  EXPECT_EQ(
      p.samples[R"(warden_http_requests_total{endpoint="/v1/lookup",method="POST",status="400"})"],
      "1");
  EXPECT_EQ(
      p.samples
          [R"(warden_http_requests_total{endpoint="/c/bank/{name}",method="GET",status="404"})"],
      "1");
  EXPECT_EQ(p.samples[R"(warden_http_response_bytes_total{endpoint="/v1/lookup"})"], "250");
  EXPECT_EQ(p.samples[R"(warden_http_response_bytes_total{endpoint="/c/bank/{name}"})"], "10");
}

TEST(MetricsTest, HistogramBucketsAreCumulativeWithSumAndCount) {
  Metrics metrics;
  const std::string e = "/v1/hash";
  metrics.ObserveRequest(e, "POST", 200, microseconds(100), 0);  // exactly on le=0.0001
  metrics.ObserveRequest(e, "POST", 200, microseconds(101), 0);  // just above: le=0.00025
  metrics.ObserveRequest(e, "POST", 200, milliseconds(30), 0);   // le=0.05
  metrics.ObserveRequest(e, "POST", 200, seconds(11), 0);        // only +Inf
  metrics.ObserveRequest(e, "POST", 200, nanoseconds(-5), 0);    // clamped to 0
  Parsed p = Parse(metrics.Render());
  auto bucket = [&](const char* le) {
    return p.samples["warden_http_request_duration_seconds_bucket{endpoint=\"/v1/hash\",le=\"" +
                     std::string(le) + "\"}"];
  };
  EXPECT_EQ(bucket("0.0001"), "2");
  EXPECT_EQ(bucket("0.00025"), "3");
  EXPECT_EQ(bucket("0.0005"), "3");
  EXPECT_EQ(bucket("0.025"), "3");
  EXPECT_EQ(bucket("0.05"), "4");
  EXPECT_EQ(bucket("5"), "4");
  EXPECT_EQ(bucket("10"), "4");
  EXPECT_EQ(bucket("+Inf"), "5");
  EXPECT_EQ(p.samples[R"(warden_http_request_duration_seconds_count{endpoint="/v1/hash"})"], "5");
  std::string sum = p.samples[R"(warden_http_request_duration_seconds_sum{endpoint="/v1/hash"})"];
  EXPECT_DOUBLE_EQ(std::stod(sum), 0.0001 + 0.000101 + 0.03 + 11);

  // 16 finite bounds plus +Inf, in increasing order, then _sum and _count.
  std::vector<std::string> hist;
  for (const std::string& key : p.order) {
    if (key.rfind("warden_http_request_duration_seconds", 0) == 0) hist.push_back(key);
  }
  ASSERT_EQ(hist.size(), 19u);
  double previous = -1;
  for (size_t i = 0; i < 17; ++i) {
    size_t at = hist[i].find("le=\"");
    ASSERT_NE(at, std::string::npos) << hist[i];
    std::string le = hist[i].substr(at + 4, hist[i].size() - at - 6);
    double bound = le == "+Inf" ? std::numeric_limits<double>::infinity() : std::stod(le);
    EXPECT_GT(bound, previous) << hist[i];
    previous = bound;
  }
  EXPECT_DOUBLE_EQ(previous, std::numeric_limits<double>::infinity());
  EXPECT_NE(hist[17].find("_sum{"), std::string::npos);
  EXPECT_NE(hist[18].find("_count{"), std::string::npos);
}

TEST(MetricsTest, EscapesLabelValues) {
  Metrics metrics;
  metrics.ObserveRequest("/a\\b\"c\nd", "GET", 200, milliseconds(1), 1);
  std::string text = metrics.Render();
  EXPECT_NE(
      text.find(
          R"(warden_http_requests_total{endpoint="/a\\b\"c\nd",method="GET",status="200"} 1)"),
      std::string::npos)
      << text;
  // The raw newline never reaches the output: every line is a whole sample or comment.
  Parsed p = Parse(text);
  EXPECT_EQ(p.samples.size(), 3u + 16u + 2u);
}

TEST(MetricsTest, UnknownMethodsAndUnmatchedRoutesStayBounded) {
  Metrics metrics;
  metrics.ObserveRequest("", "BREW", 404, milliseconds(1), 0);
  metrics.ObserveRequest("", "FOO", 404, milliseconds(1), 0);
  Parsed p = Parse(metrics.Render());
  EXPECT_EQ(
      p.samples[R"(warden_http_requests_total{endpoint="unmatched",method="other",status="404"})"],
      "2");
}

TEST(MetricsTest, CountersAndGauges) {
  Metrics metrics;
  std::atomic<int64_t>* errors = metrics.Counter("warden_store_errors_total", "Store errors.");
  EXPECT_EQ(metrics.Counter("warden_store_errors_total", "ignored"), errors);  // same pointer
  errors->fetch_add(7);
  double items = 41;
  metrics.AddGauge("warden_index_items", "Items in the index.\nSecond \"line\" \\.",
                   [&] { return items; });
  metrics.AddGauge("warden_nan", "Not a number.",
                   [] { return std::numeric_limits<double>::quiet_NaN(); });
  metrics.AddGauge("warden_inf", "Infinite.",
                   [] { return -std::numeric_limits<double>::infinity(); });
  items = 42.5;
  Parsed p = Parse(metrics.Render());
  EXPECT_EQ(p.samples["warden_store_errors_total"], "7");
  EXPECT_EQ(p.type["warden_store_errors_total"], "counter");
  EXPECT_EQ(p.help["warden_store_errors_total"], "Store errors.");
  EXPECT_EQ(p.samples["warden_index_items"], "42.5");
  EXPECT_EQ(p.type["warden_index_items"], "gauge");
  EXPECT_EQ(p.help["warden_index_items"], R"(Items in the index.\nSecond "line" \\.)");
  EXPECT_EQ(p.samples["warden_nan"], "NaN");
  EXPECT_EQ(p.samples["warden_inf"], "-Inf");
}

TEST(MetricsTest, GaugeReaderMayCallBackIntoMetrics) {
  Metrics metrics;
  metrics.AddGauge("warden_reentrant", "Reads a counter.", [&] {
    return static_cast<double>(metrics.Counter("warden_inner_total", "Inner.")->load());
  });
  metrics.Counter("warden_inner_total", "Inner.")->store(3);
  Parsed p = Parse(metrics.Render());
  EXPECT_EQ(p.samples["warden_reentrant"], "3");
}

TEST(MetricsTest, ConcurrentObservationsAreAllCounted) {
  Metrics metrics;
  constexpr int kThreads = 4;
  constexpr int kPerThread = 5000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&metrics, t] {
      for (int i = 0; i < kPerThread; ++i) {
        // Half the threads share a series; each thread also has one of its own.
        int status = (i % 2 == 0) ? 200 : 500 + t;
        metrics.ObserveRequest("/v1/lookup", "POST", status, microseconds(200), 2);
      }
    });
  }
  std::string during = metrics.Render();  // rendering while observing must be safe
  for (std::thread& thread : threads) thread.join();
  EXPECT_FALSE(during.empty());
  Parsed p = Parse(metrics.Render());
  EXPECT_EQ(
      p.samples[R"(warden_http_requests_total{endpoint="/v1/lookup",method="POST",status="200"})"],
      std::to_string(kThreads * kPerThread / 2));
  EXPECT_EQ(
      p.samples[R"(warden_http_requests_total{endpoint="/v1/lookup",method="POST",status="502"})"],
      std::to_string(kPerThread / 2));
  EXPECT_EQ(p.samples[R"(warden_http_request_duration_seconds_count{endpoint="/v1/lookup"})"],
            std::to_string(kThreads * kPerThread));
  EXPECT_EQ(
      p.samples
          [R"(warden_http_request_duration_seconds_bucket{endpoint="/v1/lookup",le="0.0001"})"],
      "0");
  EXPECT_EQ(
      p.samples
          [R"(warden_http_request_duration_seconds_bucket{endpoint="/v1/lookup",le="0.00025"})"],
      std::to_string(kThreads * kPerThread));
  EXPECT_EQ(p.samples[R"(warden_http_response_bytes_total{endpoint="/v1/lookup"})"],
            std::to_string(2 * kThreads * kPerThread));
  EXPECT_DOUBLE_EQ(
      std::stod(p.samples[R"(warden_http_request_duration_seconds_sum{endpoint="/v1/lookup"})"]),
      kThreads * kPerThread * 0.0002);
}

}  // namespace
}  // namespace warden
