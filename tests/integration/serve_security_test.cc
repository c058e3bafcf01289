// `warden serve`'s security over HTTP on the real binary (docs/api.md, "Authentication and
// roles", "Errors"): every key case (none, malformed, unknown, revoked by the CLI while the
// server runs), each role allowed and denied on representative endpoints of every class, the
// per-key rate limit, the request limits (body size, pixels, not an image, header timeout,
// header size) and the URL guard (a loopback host on the allow-list works; private, loopback
// and non-http URLs are refused).
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "tests/integration/serve_fixture.h"

namespace warden::serve_test {
namespace {

constexpr char kWee[] = "misc-images/wee.jpg";
constexpr char kOrig[] = "bridge-mods/aaa-orig.jpg";  // 1600x1004 = 1,606,400 pixels
constexpr char kH1[] = "a5f0b457248995e8c1065c275aaa56d8b61ba4bdf8fcfc0383c32f8b0bfc4f05";

int RoleRank(const std::string& role) {
  for (int i = 0; i < 4; ++i) {
    if (role == kRoles[i]) return i;
  }
  return -1;
}

// ---- keys and roles, rate limit, URL guard with the loopback host allowed ----

class ServeSecurityTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    host_ = new ImageHost({{"/wee.jpg", {"image/jpeg", ReadFileBytes(TestImagePath(kWee))}}});
    env_ = new ServeEnv("security");
    ready_ = env_->Start(WithArgs({"--url-allow-list", "127.0.0.1", "--rate-burst-s", "1",
                                   "--refresh-interval-ms", "100"}));
    if (!ready_) return;
    // A bank with one item for the role checks.
    env_->CallJson(201, "POST", "/c/banks", env_->key("curator"),
                   R"({"name": "SEC", "enabled": true, "enabled_ratio": 1.0})", "application/json");
    Json a = env_->CallJson(200, "POST", "/c/bank/SEC/signal", env_->key("curator"),
                            Json({{"pdq", kH1}}).dump(), "application/json");
    item_id_ = a.value("id", int64_t{0});
  }
  static void TearDownTestSuite() {
    if (env_->server().running()) {
      EXPECT_EQ(env_->Stop(), 0) << env_->server().Log();
    }
    delete env_;
    delete host_;
  }
  void SetUp() override { ASSERT_TRUE(ready_) << "the server did not start"; }

  static const std::string& Key(const std::string& role) { return env_->key(role); }

  static void ExpectUnauthenticated(const ClientResponse& r, const std::string& what) {
    EXPECT_EQ(r.status, 401) << what << ": " << r.body;
    EXPECT_EQ(ErrorCode(r), "unauthenticated") << what << ": " << r.body;
    EXPECT_EQ(std::string(r.headers.Get("www-authenticate").value_or("")).substr(0, 6), "Bearer")
        << what;
  }

  static ServeEnv* env_;
  static ImageHost* host_;
  static bool ready_;
  static int64_t item_id_;
};

ServeEnv* ServeSecurityTest::env_ = nullptr;
ImageHost* ServeSecurityTest::host_ = nullptr;
bool ServeSecurityTest::ready_ = false;
int64_t ServeSecurityTest::item_id_ = 0;

TEST_F(ServeSecurityTest, OpenPathsNeedNoKey) {
  EXPECT_EQ(env_->Call("GET", "/status", "").status, 200);
  EXPECT_EQ(env_->Call("GET", "/status/live", "").status, 200);
  EXPECT_EQ(env_->Call("GET", "/v1/openapi.json", "").status, 200);
  // /metrics is not open unless metrics_public.
  ExpectUnauthenticated(env_->Call("GET", "/metrics", ""), "/metrics");
}

TEST_F(ServeSecurityTest, MissingMalformedAndUnknownKeys) {
  const std::string lookup = std::string("/m/lookup?signal_type=pdq&signal=") + kH1;
  for (const char* target : {"/m/index/status", "/c/banks", "/v1/banks", "/v1/audit",
                             "/v1/keys", "/c/bank/SEC"}) {
    ExpectUnauthenticated(env_->Call("GET", target, ""), std::string("no key: ") + target);
  }
  ExpectUnauthenticated(env_->Upload("/h/hash", "", "photo", "x"), "no key: /h/hash");
  ExpectUnauthenticated(env_->Call("POST", "/v1/lookup", "", R"({"hashes": []})",
                                   "application/json"),
                        "no key: /v1/lookup");

  // Malformed Authorization values, sent as given.
  for (const std::string& value :
       {std::string("Basic dXNlcjpwYXNz"), std::string("Bearer"), std::string("Bearer "),
        std::string("Bearer not-a-key"), std::string("Bearer wdn_zz"),
        std::string("bearer-") + Key("matcher"), Key("matcher")}) {
    http::Headers h;
    h.Add("Authorization", value);
    ExpectUnauthenticated(env_->Call("GET", lookup, "", {}, {}, h), "Authorization: " + value);
  }
  // Unknown: a real key id with another secret; an unknown id.
  std::string other_secret = Key("admin");
  other_secret.back() = other_secret.back() == '0' ? '1' : '0';
  ExpectUnauthenticated(env_->Call("GET", lookup, other_secret), "wrong secret");
  ExpectUnauthenticated(
      env_->Call("GET", lookup, "wdn_0123456789abcdef_" + std::string(64, 'a')), "unknown id");
  // The secret is never echoed.
  ClientResponse r = env_->Call("GET", lookup, other_secret);
  EXPECT_EQ(r.body.find(other_secret.substr(other_secret.rfind('_') + 1)), std::string::npos);
}

struct Endpoint {
  std::string min_role;
  std::string method;
  std::string target;
  std::function<std::string(const std::string& role)> body;  // nullptr: none
  std::string content_type;
};

TEST_F(ServeSecurityTest, EachRoleAllowedAndDenied) {
  const std::string wee = ReadFileBytes(TestImagePath(kWee));
  std::string multipart_type;
  const std::string multipart = http::MultipartBody("photo", "x.jpg", wee, &multipart_type);
  const std::string item = "/c/bank/SEC/content/" + std::to_string(item_id_);
  auto fixed = [](std::string b) { return [b](const std::string&) { return b; }; };
  const std::vector<Endpoint> endpoints = {
      {"hasher", "POST", "/h/hash", fixed(multipart), multipart_type},
      {"hasher", "POST", "/v1/hash", fixed(wee), "image/jpeg"},
      {"matcher", "GET", std::string("/m/lookup?signal_type=pdq&signal=") + kH1, nullptr, ""},
      {"matcher", "GET", std::string("/m/raw_lookup?signal_type=pdq&signal=") + kH1, nullptr, ""},
      {"matcher", "POST", "/m/lookup", fixed(multipart), multipart_type},
      {"matcher", "POST", "/m/compare", fixed(Json({{"pdq", {kH1, kH1}}}).dump()),
       "application/json"},
      {"matcher", "GET", "/m/index/status", nullptr, ""},
      {"matcher", "POST", "/v1/lookup",
       fixed(Json({{"hashes", {std::string("pdq:") + kH1}}}).dump()), "application/json"},
      {"matcher", "POST", "/v1/match", fixed(wee), "image/jpeg"},
      {"matcher", "GET", "/c/banks", nullptr, ""},
      {"matcher", "GET", "/c/bank/SEC", nullptr, ""},
      {"matcher", "GET", "/v1/banks", nullptr, ""},
      {"matcher", "GET", "/v1/banks/SEC", nullptr, ""},
      // Contents and exports: curator and up (hash lists are sensitive).
      {"curator", "GET", item, nullptr, ""},
      {"curator", "GET", "/v1/banks/SEC/items", nullptr, ""},
      {"curator", "GET", "/v1/banks/SEC/export", nullptr, ""},
      {"curator", "GET", "/v1/items/" + std::to_string(item_id_), nullptr, ""},
      {"curator", "POST", "/c/banks",
       [](const std::string& role) {
         return Json({{"name", "SEC_BY_" + std::string(1, static_cast<char>('A' + RoleRank(role)))},
                      {"enabled", true},
                      {"enabled_ratio", 1.0}})
             .dump();
       },
       "application/json"},
      {"curator", "POST", "/v1/banks/SEC/items",
       [](const std::string& role) {
         return Json({{"signals",
                       {{{"type", "pdq"}, {"value", FlipBits(kH1, 40 + RoleRank(role))}}}}})
             .dump();
       },
       "application/json"},
      {"curator", "POST", "/c/bank/SEC/signal",
       [](const std::string& role) {
         return Json({{"pdq", FlipBits(kH1, 50 + RoleRank(role))}}).dump();
       },
       "application/json"},
      {"curator", "PUT", "/c/bank/SEC", fixed(R"({"enabled_ratio": 1.0})"), "application/json"},
      {"curator", "POST", "/v1/banks/SEC/import?format=pytx",
       fixed(std::string("pdq ") + FlipBits(kH1, 60) + "\n"), "text/plain"},
      {"admin", "GET", "/metrics", nullptr, ""},
      {"admin", "GET", "/v1/audit", nullptr, ""},
      {"admin", "GET", "/v1/keys", nullptr, ""},
  };
  for (const Endpoint& e : endpoints) {
    for (const char* role : kRoles) {
      const std::string what = std::string(role) + " " + e.method + " " + e.target;
      ClientResponse r = env_->Call(e.method, e.target, Key(role), e.body ? e.body(role) : "",
                                    e.content_type);
      if (RoleRank(role) >= RoleRank(e.min_role)) {
        EXPECT_EQ(r.status / 100, 2) << what << ": " << r.body.substr(0, 300);
      } else {
        EXPECT_EQ(r.status, 403) << what << ": " << r.body.substr(0, 300);
        EXPECT_EQ(ErrorCode(r), "permission_denied") << what << ": " << r.body;
      }
    }
  }
}

TEST_F(ServeSecurityTest, KeyRevokedByCliIsRefusedWithinABoundedTime) {
  const std::string key = CreateKeyWithCli(env_->db(), "matcher", "to-revoke");
  ASSERT_FALSE(key.empty());
  // A key made by another process is picked up too.
  EXPECT_GE(PollUntil([&] { return env_->Call("GET", "/m/index/status", key).status == 200; },
                      3000),
            0)
      << env_->server().Log();
  ProcessResult r = RunWarden({"keys", "revoke", "to-revoke", "--db", env_->db()});
  ASSERT_EQ(r.exit_status, 0) << r.out << r.err;
  ClientResponse last;
  const int64_t ms = PollUntil(
      [&] {
        last = env_->Call("GET", "/m/index/status", key);
        return last.status == 401;
      },
      3000);
  ASSERT_GE(ms, 0) << "a revoked key still works after 3 s";
  EXPECT_LT(ms, 1500) << "a key revoked by the CLI must be refused within ~1.5 s";
  ExpectUnauthenticated(last, "revoked key");
  ProcessResult list = RunWarden({"keys", "list", "--db", env_->db()});
  EXPECT_EQ(list.exit_status, 0) << list.err;
  EXPECT_NE(list.out.find("to-revoke"), std::string::npos) << list.out;
}

TEST_F(ServeSecurityTest, RateLimitPerKey) {
  const std::string slow = CreateKeyWithCli(env_->db(), "matcher", "slow", 2);
  ASSERT_FALSE(slow.empty());
  ASSERT_GE(PollUntil([&] { return env_->Call("GET", "/m/index/status", slow).status != 401; },
                      3000),
            0);
  // 2 requests/s with 1 s of burst: a quick run of requests soon hits 429.
  ClientResponse limited;
  int sent = 0;
  for (; sent < 50; ++sent) {
    limited = env_->Call("GET", "/m/index/status", slow);
    if (limited.status != 200) break;
  }
  // (How many pass first depends on the machine's speed: only the refusal is asserted.)
  ASSERT_EQ(limited.status, 429) << "after " << sent << " requests: " << limited.body;
  EXPECT_EQ(ErrorCode(limited), "rate_limited") << limited.body;
  const std::string retry(limited.headers.Get("retry-after").value_or(""));
  ASSERT_FALSE(retry.empty()) << "429 without Retry-After";
  EXPECT_GE(std::stoi(retry), 1) << retry;
  // Other keys are unaffected.
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(env_->Call("GET", "/m/index/status", Key("matcher")).status, 200) << i;
  }
}

TEST_F(ServeSecurityTest, UrlGuardWithLoopbackAllowed) {
  Json ok = env_->CallJson(200, "GET", "/h/hash?url=" + Q(host_->Url("/wee.jpg")), Key("hasher"));
  EXPECT_EQ(ok.value("pdq", ""), ManifestPdq(kWee)) << ok.dump();
  // Not every private address: only the allow-list's.
  for (const char* url : {"http://10.1.2.3/x.jpg", "http://[::1]/x.jpg", "http://192.168.0.1/",
                          "http://169.254.169.254/latest/meta-data/", "http://0.0.0.0/x.jpg"}) {
    ClientResponse r = env_->Call("GET", "/h/hash?url=" + Q(url), Key("hasher"));
    EXPECT_EQ(r.status, 403) << url << ": " << r.body;
    EXPECT_EQ(ErrorCode(r), "url_refused") << url << ": " << r.body;
  }
  for (const std::string& url : {std::string("ftp://127.0.0.1/x.jpg"),
                                std::string("file:///etc/passwd"), "gopher://127.0.0.1:" +
                                                          std::to_string(host_->port()) + "/"}) {
    ClientResponse r = env_->Call("GET", "/h/hash?url=" + Q(url), Key("hasher"));
    EXPECT_EQ(r.status, 403) << url << ": " << r.body;
    EXPECT_EQ(ErrorCode(r), "url_refused") << url << ": " << r.body;
  }
  // A fetch that fails: 502.
  ClientResponse missing =
      env_->Call("GET", "/h/hash?url=" + Q(host_->Url("/missing.jpg")), Key("hasher"));
  EXPECT_EQ(missing.status, 502) << missing.body;
  EXPECT_EQ(ErrorCode(missing), "fetch_failed") << missing.body;
  // The guard covers every URL path.
  ClientResponse v1 = env_->Call("GET", "/v1/hash?url=" + Q("http://10.1.2.3/x.jpg"),
                                 Key("hasher"));
  EXPECT_EQ(v1.status, 403) << v1.body;
  ClientResponse m = env_->Call("GET", "/m/lookup?url=" + Q("http://[::1]/x.jpg"), Key("matcher"));
  EXPECT_EQ(m.status, 403) << m.body;
}

TEST_F(ServeSecurityTest, UnknownPathAndWrongMethod) {
  ClientResponse r = env_->Call("GET", "/no/such/path", Key("admin"));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(ErrorCode(r), "not_found") << r.body;
  r = env_->Call("DELETE", "/status", Key("admin"));
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(ErrorCode(r), "method_not_allowed") << r.body;
  EXPECT_TRUE(r.headers.Has("allow"));
}

// ---- limits, and the URL guard without an allow-list ----

class ServeLimitsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    host_ = new ImageHost({{"/wee.jpg", {"image/jpeg", ReadFileBytes(TestImagePath(kWee))}}});
    env_ = new ServeEnv("limits");
    ready_ = env_->Start(WithArgs({"--max-body-bytes", "500000", "--max-pixels", "1000000",
                                   "--header-timeout-ms", "300", "--log-level", "warn"}));
  }
  static void TearDownTestSuite() {
    if (env_->server().running()) {
      EXPECT_EQ(env_->Stop(), 0) << env_->server().Log();
    }
    delete env_;
    delete host_;
  }
  void SetUp() override { ASSERT_TRUE(ready_) << "the server did not start"; }
  static const std::string& Key(const std::string& role) { return env_->key(role); }

  static ServeEnv* env_;
  static ImageHost* host_;
  static bool ready_;
};

ServeEnv* ServeLimitsTest::env_ = nullptr;
ImageHost* ServeLimitsTest::host_ = nullptr;
bool ServeLimitsTest::ready_ = false;

TEST_F(ServeLimitsTest, BodyTooLargeFromContentLength) {
  // Decided from Content-Length before the body is read.
  for (const char* target : {"/v1/hash", "/h/hash", "/v1/lookup"}) {
    RawExchange x = SendRawBytes(env_->port(),
                                 std::string("POST ") + target +
                                     " HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " +
                                     Key("admin") +
                                     "\r\nContent-Type: image/jpeg\r\nContent-Length: 500001\r\n\r\n",
                                 10'000);
    EXPECT_EQ(RawStatus(x.received), 413) << target << ": " << x.received;
    EXPECT_NE(x.received.find("body_too_large"), std::string::npos) << x.received;
  }
  // Exactly at the limit is not too large (an image that is not one: 400).
  ClientResponse at = env_->Call("POST", "/v1/hash", Key("hasher"), std::string(500000, 'x'),
                                 "application/octet-stream");
  EXPECT_EQ(at.status, 400) << at.body;
  EXPECT_EQ(ErrorCode(at), "not_an_image") << at.body;
}

TEST_F(ServeLimitsTest, ImageTooLargeAndNotAnImage) {
  const std::string orig = ReadFileBytes(TestImagePath(kOrig));
  ASSERT_LT(orig.size(), 500000u);
  ClientResponse big = env_->Call("POST", "/v1/hash", Key("hasher"), orig, "image/jpeg");
  EXPECT_EQ(big.status, 413) << big.body;
  EXPECT_EQ(ErrorCode(big), "image_too_large") << big.body;
  EXPECT_NE(big.body.find("1000000"), std::string::npos) << "names the limit: " << big.body;
  ClientResponse hma = env_->Upload("/h/hash", Key("hasher"), "photo", orig);
  EXPECT_EQ(hma.status, 413) << hma.body;
  EXPECT_EQ(ErrorCode(hma), "image_too_large") << hma.body;
  ClientResponse match = env_->Call("POST", "/v1/match", Key("matcher"), orig, "image/jpeg");
  EXPECT_EQ(match.status, 413) << match.body;

  // Under the limit: fine.
  Json wee = env_->CallJson(200, "POST", "/v1/hash", Key("hasher"),
                            ReadFileBytes(TestImagePath(kWee)), "image/jpeg");
  EXPECT_EQ(wee.value("width", 0), 34) << wee.dump();

  std::mt19937 rng(42);
  std::string noise(3000, '\0');
  for (char& c : noise) c = static_cast<char>(rng() & 0xff);
  for (const ClientResponse& r :
       {env_->Call("POST", "/v1/hash", Key("hasher"), noise, "image/jpeg"),
        env_->Upload("/h/hash", Key("hasher"), "photo", noise),
        env_->Upload("/m/lookup", Key("matcher"), "photo", noise),
        env_->Call("POST", "/v1/match", Key("matcher"), noise, "image/jpeg"),
        // A JPEG cut in half.
        env_->Call("POST", "/v1/hash", Key("hasher"),
                   ReadFileBytes(TestImagePath("bridge-mods/square-512x512.jpg")).substr(0, 40000),
                   "image/jpeg")}) {
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(ErrorCode(r), "not_an_image") << r.body;
  }
  // No image at all: a missing parameter.
  ClientResponse empty = env_->Call("POST", "/v1/hash", Key("hasher"), "", "image/jpeg");
  EXPECT_EQ(empty.status, 400) << empty.body;
  EXPECT_EQ(ErrorCode(empty), "bad_request") << empty.body;
  // The server still answers.
  EXPECT_EQ(env_->Call("GET", "/status/live", "").status, 200);
}

TEST_F(ServeLimitsTest, HeaderTimeoutAndHeadersTooLarge) {
  // Half a request, then silence: 408 or a close, well before our 10 s patience runs out.
  RawExchange half = SendRawBytes(env_->port(), "GET /status HTTP/1.1\r\nHost: t\r\n", 10'000);
  EXPECT_FALSE(half.timed_out) << "the server kept a half-sent request open for 10 s";
  if (!half.received.empty()) {
    EXPECT_EQ(RawStatus(half.received), 408) << half.received;
    EXPECT_NE(half.received.find("request_timeout"), std::string::npos) << half.received;
  }
  // 40 KB of headers (the limit is 16 KiB).
  RawExchange big = SendRawBytes(
      env_->port(),
      "GET /status HTTP/1.1\r\nHost: t\r\nX-Big: " + std::string(40000, 'a') + "\r\n\r\n", 10'000);
  EXPECT_EQ(RawStatus(big.received), 431) << big.received.substr(0, 200);
  EXPECT_NE(big.received.find("headers_too_large"), std::string::npos) << big.received;
  // Malformed request line: 400.
  RawExchange bad = SendRawBytes(env_->port(), "HELLO\r\n\r\n", 10'000);
  EXPECT_EQ(RawStatus(bad.received), 400) << bad.received;
  EXPECT_EQ(env_->Call("GET", "/status/live", "").status, 200);
}

TEST_F(ServeLimitsTest, UrlRefusedWithoutAllowList) {
  ClientResponse r = env_->Call("GET", "/h/hash?url=" + Q(host_->Url("/wee.jpg")), Key("hasher"));
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(ErrorCode(r), "url_refused") << r.body;
  for (const char* url : {"http://10.1.2.3/x.jpg", "http://[::1]/", "http://localhost/x.jpg",
                          "ftp://example.com/x.jpg"}) {
    ClientResponse x = env_->Call("GET", "/h/hash?url=" + Q(url), Key("hasher"));
    EXPECT_EQ(x.status, 403) << url << ": " << x.body;
    EXPECT_EQ(ErrorCode(x), "url_refused") << url << ": " << x.body;
  }
  ClientResponse no_url = env_->Call("GET", "/h/hash", Key("hasher"));
  EXPECT_EQ(no_url.status, 400) << no_url.body;
  EXPECT_EQ(ErrorCode(no_url), "bad_request") << no_url.body;
}

}  // namespace
}  // namespace warden::serve_test
