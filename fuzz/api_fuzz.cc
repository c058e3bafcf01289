// Fuzz target: every route of `warden serve` (HMA's paths and /v1/), through the real service
// on a loopback port, started once per process over a fresh store in a temporary directory.
// The first input byte picks the route (or a raw method + target taken from the input), the
// second the Content-Type and the key's role; the rest is the query string, then after the
// first newline the body. Path parameters name the bank FZ (recreated whenever an input
// deleted it) and item 1. Checked: no answer is a 500 (bad input must get a 4xx naming it) and
// the server still answers afterwards.
//
// Inputs that could name a URL are skipped, so hashing by URL never reaches for the network
// (fuzz/url_fuzz covers its parsing).
#include <stdlib.h>

#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "src/http/http_client.h"
#include "src/server/api_keys.h"
#include "src/server/serve_config.h"
#include "src/server/service.h"
#include "warden/signal.h"

namespace {

struct Route {
  const char* method;
  const char* path;
};

constexpr Route kRoutes[] = {
    {"GET", "/status"},
    {"GET", "/m/lookup"},
    {"POST", "/m/lookup"},
    {"GET", "/m/raw_lookup"},
    {"POST", "/m/compare"},
    {"GET", "/m/index/status"},
    {"GET", "/c/banks"},
    {"POST", "/c/banks"},
    {"GET", "/c/bank/FZ"},
    {"PUT", "/c/bank/FZ"},
    {"POST", "/c/bank/FZ/content"},
    {"GET", "/c/bank/FZ/content/1"},
    {"PUT", "/c/bank/FZ/content/1"},
    {"DELETE", "/c/bank/FZ/content/1"},
    {"POST", "/c/bank/FZ/signal"},
    {"POST", "/h/hash"},
    {"POST", "/v1/hash"},
    {"POST", "/v1/match"},
    {"GET", "/v1/match"},
    {"POST", "/v1/lookup"},
    {"GET", "/v1/banks"},
    {"POST", "/v1/banks"},
    {"GET", "/v1/banks/FZ"},
    {"PUT", "/v1/banks/FZ"},
    {"GET", "/v1/banks/FZ/items"},
    {"POST", "/v1/banks/FZ/items"},
    {"POST", "/v1/banks/FZ/import"},
    {"GET", "/v1/banks/FZ/export"},
    {"GET", "/v1/items/1"},
    {"PUT", "/v1/items/1"},
    {"DELETE", "/v1/items/1"},
    {"GET", "/v1/audit"},
    {"GET", "/v1/keys"},
    {"POST", "/v1/keys"},
    {"GET", "/metrics"},
    {"DELETE", "/v1/banks/FZ"},
    {"DELETE", "/c/bank/FZ"},
};
constexpr size_t kRouteCount = std::size(kRoutes);
constexpr const char* kRawMethods[] = {"GET", "POST", "PUT", "DELETE"};

constexpr const char* kContentTypes[] = {"application/json", "multipart/form-data; boundary=FUZZB",
                                         "application/x-www-form-urlencoded", nullptr};

struct Server {
  std::string dir;
  std::unique_ptr<warden::KeyStore> keys;
  std::unique_ptr<warden::Service> service;
  std::unique_ptr<warden::http::HttpClient> client;
  std::string admin;
  std::string matcher;
};

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "api_fuzz: %s\n", what.c_str());
  std::abort();
}

std::string MakeKey(Server& s, warden::Role role, const std::string& name) {
  auto made = s.keys->Create(role, name, 1e9, "api_fuzz");
  if (!made.ok()) Die("key: " + made.status().ToString());
  return "Bearer " + made->key;
}

Server& TheServer() {
  static Server* server = [] {
    auto* s = new Server;
    char tmpl[] = "/tmp/warden_api_fuzz_XXXXXX";
    if (mkdtemp(tmpl) == nullptr) Die("mkdtemp failed");
    s->dir = tmpl;
    warden::ServeConfig config;
    config.db = s->dir + "/warden.db";
    config.port = 0;
    config.listen = "127.0.0.1";
    config.io_threads = 1;
    config.worker_threads = 2;
    config.max_body_bytes = 1 << 20;
    config.max_pixels = 4'000'000;
    config.audit_lookups = false;
    config.refresh_interval_ms = 50;
    auto keys = warden::OpenKeyStore(config.db);
    if (!keys.ok()) Die("key store: " + keys.status().ToString());
    s->keys = std::move(*keys);
    s->admin = MakeKey(*s, warden::Role::kAdmin, "fuzz-admin");
    s->matcher = MakeKey(*s, warden::Role::kMatcher, "fuzz-matcher");
    // OpenSSL loads its config on the first digest and keeps that thread's error state; done
    // by a worker thread that ends before OpenSSL's exit cleanup, the state leaks (904 bytes,
    // reported by LeakSanitizer). The main thread's is freed at exit.
    (void)warden::DigestHex(warden::SignalType::kMd5, {});
    auto service = warden::Service::Create(config, nullptr);
    if (!service.ok()) Die("service: " + service.status().ToString());
    s->service = std::move(*service);
    if (warden::Status st = s->service->Start(); !st.ok()) Die("start: " + st.ToString());
    s->client = std::make_unique<warden::http::HttpClient>("127.0.0.1", s->service->port(), 10'000);
    std::atexit([] {
      Server& done = TheServer();
      done.client.reset();
      done.service->Stop();
      done.service.reset();
      done.keys.reset();
      std::error_code ignored;
      std::filesystem::remove_all(done.dir, ignored);
    });
    return s;
  }();
  return *server;
}

warden::http::ClientResponse Call(Server& s, std::string_view method, std::string_view target,
                                  const std::string& auth, const char* content_type,
                                  std::string_view body) {
  warden::http::Headers headers;
  headers.Add("Authorization", auth);
  if (content_type != nullptr) headers.Add("Content-Type", content_type);
  auto r = s.client->Send(method, target, headers, body);
  if (!r.ok()) {
    std::fprintf(stderr, "api_fuzz: %.*s %.*s: no answer: %s\n", static_cast<int>(method.size()),
                 method.data(), static_cast<int>(target.size()), target.data(),
                 r.status().ToString().c_str());
    __builtin_trap();  // the server died or hung
  }
  return *r;
}

// Whether `text` could name a URL once decoded ("://" written out, or its ':' escaped as %3A in
// a query or \u003a in JSON): such inputs are skipped, so the fuzzer never fetches anything.
bool MayNameAUrl(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const char* marker : {"://", "%3a", "\\u003a"}) {
    if (lower.find(marker) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  Server& s = TheServer();
  // The bank the routes name; an earlier input may have deleted it.
  Call(s, "POST", "/v1/banks", s.admin, "application/json", R"({"name":"FZ"})");

  const std::string_view rest(reinterpret_cast<const char*>(data) + 2, size - 2);
  const size_t newline = rest.find('\n');
  std::string_view query = rest.substr(0, newline);
  const std::string_view body = newline == std::string_view::npos ? "" : rest.substr(newline + 1);
  if (MayNameAUrl(query) || MayNameAUrl(body)) return 0;
  std::string method;
  std::string target;
  if (data[0] % (kRouteCount + 1) == kRouteCount) {
    // Raw: the query part is the whole target; it must look like one (the client does not
    // escape it, and a request line with spaces is the HTTP parser's fuzz target).
    if (query.empty() || query[0] != '/') return 0;
    for (char c : query) {
      if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return 0;
    }
    method = kRawMethods[(data[1] >> 4) % std::size(kRawMethods)];
    target = std::string(query);
  } else {
    const Route& route = kRoutes[data[0] % (kRouteCount + 1)];
    method = route.method;
    target = route.path;
    std::string q;
    for (char c : query) {
      const auto u = static_cast<unsigned char>(c);
      if (u <= 0x20 || u == 0x7f || c == '#') {
        q += '%' + std::string(1, "0123456789ABCDEF"[u >> 4]) + "0123456789ABCDEF"[u & 15];
      } else {
        q += c;
      }
    }
    if (!q.empty()) target += "?" + q;
  }
  const char* type = kContentTypes[data[1] % std::size(kContentTypes)];
  const std::string& auth = (data[1] & 8) ? s.matcher : s.admin;

  warden::http::ClientResponse r = Call(s, method, target, auth, type, body);
  static const bool verbose = std::getenv("API_FUZZ_VERBOSE") != nullptr;
  if (verbose) {
    std::fprintf(stderr, "%s %s -> %d %s\n", method.c_str(), target.c_str(), r.status,
                 r.body.substr(0, 160).c_str());
  }
  if (r.status == 500) {
    std::fprintf(stderr, "api_fuzz: %s %s -> 500 %s\n", method.c_str(), target.c_str(),
                 r.body.substr(0, 500).c_str());
    __builtin_trap();
  }
  // Still serving.
  if (Call(s, "GET", "/status/live", s.admin, nullptr, "").status != 200) __builtin_trap();
  return 0;
}
