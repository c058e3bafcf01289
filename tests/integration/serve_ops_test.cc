// `warden serve` in operation, on the real binary: writes change lookups at once (API) and
// within one second (the CLI in another process: add, disable, enable, delete), a restart keeps
// every committed hash, no uploaded image ever reaches the disk, /metrics counts requests by
// endpoint and status with latency histograms, SIGTERM drains a request in flight and exits 0,
// and settings come from a config file and WARDEN_* variables.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/serve_fixture.h"

namespace warden::serve_test {
namespace {

namespace fs = std::filesystem;

constexpr char kWee[] = "misc-images/wee.jpg";
constexpr char kOrig[] = "bridge-mods/aaa-orig.jpg";
constexpr char kH1[] = "a5f0b457248995e8c1065c275aaa56d8b61ba4bdf8fcfc0383c32f8b0bfc4f05";
constexpr char kH2[] = "d8f80f31e0f457b00637f5d5038f980fb36ed12a9662c1e233e64c634e9c64dd";
constexpr char kFar[] = "5a0f4ba8db766a173ef9a3d8a555a9274e45b4240703033c7c3c0d74f403b0fa";
constexpr char kMd5[] = "00112233445566778899aabbccddeeff";

// The item id /m/lookup answers for `hex` in `bank`, or -1.
int64_t MatchedId(ServeEnv& env, const std::string& bank, const std::string& hex,
                  const std::string& type = "pdq") {
  ClientResponse r =
      env.Call("GET", "/m/lookup?signal_type=" + type + "&signal=" + hex, env.key("matcher"));
  Json j = ParseJson(r.body);
  if (r.status != 200 || !j.is_object() || !j.contains(bank) || j[bank].empty()) return -1;
  return j[bank][0].value("bank_content_id", int64_t{-1});
}

bool InRawLookup(ServeEnv& env, const std::string& hex, int64_t id) {
  ClientResponse r =
      env.Call("GET", "/m/raw_lookup?signal_type=pdq&signal=" + hex, env.key("matcher"));
  Json j = ParseJson(r.body);
  if (!j.is_object() || !j["matches"].is_array()) return false;
  for (const Json& m : j["matches"]) {
    if (m.is_number_integer() && m.get<int64_t>() == id) return true;
  }
  return false;
}

std::string WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

TEST(ServeOpsTest, ApiWritesChangeTheVeryNextLookup) {
  ServeEnv env("fresh_api");
  ASSERT_TRUE(env.Start());
  env.CallJson(201, "POST", "/c/banks", env.key("curator"), R"({"name": "FRESH", "enabled": true})",
               "application/json");
  for (int i = 0; i < 5; ++i) {
    const std::string hex = FlipBits(kFar, 10 * i + 3);
    Json a = env.CallJson(200, "POST", "/c/bank/FRESH/signal", env.key("curator"),
                          Json({{"pdq", hex}}).dump(), "application/json");
    const int64_t id = a.value("id", int64_t{-2});
    EXPECT_EQ(MatchedId(env, "FRESH", hex), id) << "item " << i << " did not match at once";
    const std::string path = "/c/bank/FRESH/content/" + std::to_string(id);
    env.CallJson(200, "PUT", path, env.key("curator"), R"({"enabled": false})",
                 "application/json");
    EXPECT_EQ(MatchedId(env, "FRESH", hex), -1) << "disabled item " << i << " still matches";
    EXPECT_TRUE(InRawLookup(env, hex, id));
    env.CallJson(200, "DELETE", path, env.key("curator"));
    EXPECT_FALSE(InRawLookup(env, hex, id)) << "deleted item " << i;
  }
  EXPECT_EQ(env.Stop(), 0);
}

TEST(ServeOpsTest, CliWritesInAnotherProcessMatchWithinOneSecond) {
  ServeEnv env("fresh_cli");
  ASSERT_TRUE(env.Start(WithArgs({"--refresh-interval-ms", "250"})));
  ASSERT_EQ(RunWarden({"bank", "create", "CLI_BANK", "--db", env.db()}).exit_status, 0);
  const std::string list =
      WriteFile(env.dir() + "/list.txt", std::string("pdq ") + kH1 + "\nmd5 " + kMd5 + "\n");
  ProcessResult r = RunWarden({"bank", "import", "CLI_BANK", list, "--db", env.db()});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  // The import has committed when the CLI exits: from here, one second.
  int64_t id = -1;
  int64_t ms = PollUntil(
      [&] {
        id = MatchedId(env, "CLI_BANK", FlipBits(kH1, 6));
        return id > 0;
      },
      3000);
  ASSERT_GE(ms, 0) << "a CLI import never matched; log:\n" << env.server().Log();
  EXPECT_LT(ms, 1000) << "added by the CLI, matched after " << ms << " ms";
  EXPECT_GE(PollUntil([&] { return MatchedId(env, "CLI_BANK", kMd5, "md5") > 0; }, 1000), 0);

  r = RunWarden({"bank", "item", "disable", "CLI_BANK", std::to_string(id), "--db", env.db()});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  ms = PollUntil([&] { return MatchedId(env, "CLI_BANK", kH1) == -1; }, 3000);
  ASSERT_GE(ms, 0) << "a CLI-disabled item still matches after 3 s";
  EXPECT_LT(ms, 1000) << "disabled by the CLI, stopped matching after " << ms << " ms";
  EXPECT_TRUE(InRawLookup(env, kH1, id));

  r = RunWarden({"bank", "item", "enable", "CLI_BANK", std::to_string(id), "--db", env.db()});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  ms = PollUntil([&] { return MatchedId(env, "CLI_BANK", kH1) == id; }, 3000);
  ASSERT_GE(ms, 0);
  EXPECT_LT(ms, 1000) << "re-enabled by the CLI, matched after " << ms << " ms";

  r = RunWarden({"bank", "item", "delete", "CLI_BANK", std::to_string(id), "--db", env.db()});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  ms = PollUntil([&] { return !InRawLookup(env, kH1, id); }, 3000);
  ASSERT_GE(ms, 0);
  EXPECT_LT(ms, 1000) << "deleted by the CLI, gone after " << ms << " ms";
  EXPECT_EQ(MatchedId(env, "CLI_BANK", kH1), -1);

  // A whole bank disabled by the CLI.
  ASSERT_EQ(RunWarden({"bank", "disable", "CLI_BANK", "--db", env.db()}).exit_status, 0);
  ms = PollUntil([&] { return MatchedId(env, "CLI_BANK", kMd5, "md5") == -1; }, 3000);
  ASSERT_GE(ms, 0);
  EXPECT_LT(ms, 1000) << "bank disabled by the CLI, stopped matching after " << ms << " ms";
  EXPECT_EQ(env.Stop(), 0);
}

TEST(ServeOpsTest, RestartKeepsEveryCommittedHash) {
  ServeEnv env("restart");
  ASSERT_TRUE(env.Start());
  env.CallJson(201, "POST", "/v1/banks", env.key("curator"), R"({"name": "KEEP"})",
               "application/json");
  std::vector<std::pair<std::string, int64_t>> items;
  for (int i = 0; i < 20; ++i) {
    const std::string hex = FlipBits(i % 2 ? kH1 : kH2, 32 + i);
    Json a = env.CallJson(200, "POST", "/c/bank/KEEP/signal", env.key("curator"),
                          Json({{"pdq", hex}}).dump(), "application/json");
    items.emplace_back(hex, a.value("id", int64_t{-1}));
  }
  Json imp = env.CallJson(200, "POST", "/v1/banks/KEEP/import?format=pytx", env.key("curator"),
                          std::string("md5 ") + kMd5 + "\n", "text/plain");
  EXPECT_EQ(imp.value("added", -1), 1) << imp.dump();
  const int64_t md5_id = MatchedId(env, "KEEP", kMd5, "md5");
  EXPECT_GT(md5_id, 0);
  const std::string made = CreateKeyWithCli(env.db(), "matcher", "after-restart");
  ASSERT_EQ(env.Stop(), 0) << "SIGTERM must exit 0; log:\n" << env.server().Log();

  ASSERT_TRUE(env.Start());
  for (const auto& [hex, id] : items) EXPECT_EQ(MatchedId(env, "KEEP", hex), id) << hex;
  EXPECT_EQ(MatchedId(env, "KEEP", kMd5, "md5"), md5_id);
  EXPECT_EQ(env.Call("GET", "/m/index/status", made).status, 200);
  Json bank = env.CallJson(200, "GET", "/v1/banks/KEEP", env.key("matcher"));
  EXPECT_EQ(bank.value("items", -1), 21) << bank.dump();
  EXPECT_EQ(env.Stop(), 0);
}

// Every regular file under `root`.
std::vector<fs::path> FilesUnder(const fs::path& root) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec); it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (ec) break;
    if (it->is_regular_file(ec)) out.push_back(it->path());
  }
  return out;
}

// Fails if any file under `roots` holds a 64-byte window of an image, or has an image's size.
void ExpectNoImageBytes(const std::vector<fs::path>& roots,
                        const std::vector<std::pair<std::string, std::string>>& images) {
  int files = 0;
  for (const fs::path& root : roots) {
    for (const fs::path& file : FilesUnder(root)) {
      ++files;
      const std::string bytes = ReadFileBytes(file.string());
      for (const auto& [name, image] : images) {
        EXPECT_NE(bytes.size(), image.size()) << file << " has the size of " << name;
        for (int k = 1; k <= 7; ++k) {
          const std::string window = image.substr(image.size() * k / 8, 64);
          EXPECT_EQ(bytes.find(window), std::string::npos)
              << file << " holds bytes of " << name << " at offset " << image.size() * k / 8;
        }
      }
    }
  }
  EXPECT_GT(files, 0) << "scanned nothing: the store should be there";
}

TEST(ServeOpsTest, NoUploadedImageIsWrittenToDisk) {
  ServeEnv env("nodisk");
  const fs::path cwd = fs::path(env.dir()) / "cwd";
  const fs::path tmp = fs::path(env.dir()) / "tmp";
  fs::create_directories(cwd);
  fs::create_directories(tmp);
  const std::vector<std::pair<std::string, std::string>> images = {
      {kOrig, ReadFileBytes(TestImagePath(kOrig))},
      {"misc-images/c.png", ReadFileBytes(TestImagePath("misc-images/c.png"))},
      {"bridge-mods/blur-a-lot.jpg", ReadFileBytes(TestImagePath("bridge-mods/blur-a-lot.jpg"))},
      {"bridge-mods/square-512x512.jpg",
       ReadFileBytes(TestImagePath("bridge-mods/square-512x512.jpg"))},
      {kWee, ReadFileBytes(TestImagePath(kWee))}};
  ImageHost host({{"/sq.jpg", {"image/jpeg", images[3].second}}});
  ServeOptions options = WithArgs({"--url-allow-list", "127.0.0.1"});
  options.cwd = cwd.string();
  options.env = {{"TMPDIR", tmp.string()}};
  ASSERT_TRUE(env.Start(options));
  env.CallJson(201, "POST", "/c/banks", env.key("curator"), R"({"name": "DISK", "enabled": true})",
               "application/json");
  // Every way an image comes in: HMA upload, /v1/ raw and multipart, match, content add, URL.
  EXPECT_EQ(env.Upload("/h/hash", env.key("hasher"), "photo", images[0].second).status, 200);
  EXPECT_EQ(env.Call("POST", "/v1/hash", env.key("hasher"), images[1].second, "image/png").status,
            200);
  EXPECT_EQ(env.Upload("/v1/hash", env.key("hasher"), "file", images[2].second).status, 200);
  EXPECT_EQ(env.Call("POST", "/v1/match", env.key("matcher"), images[0].second, "image/jpeg").status,
            200);
  EXPECT_EQ(env.Upload("/m/lookup", env.key("matcher"), "photo", images[2].second).status, 200);
  EXPECT_EQ(env.Upload("/c/bank/DISK/content", env.key("curator"), "photo", images[0].second).status,
            200);
  EXPECT_EQ(env.Upload("/c/bank/DISK/content", env.key("curator"), "photo", images[4].second).status,
            200);
  EXPECT_EQ(env.Call("GET", "/v1/hash?url=" + Q(host.Url("/sq.jpg")), env.key("hasher")).status,
            200);
  EXPECT_EQ(env.Call("POST", "/c/bank/DISK/content?url=" + Q(host.Url("/sq.jpg")),
                     env.key("curator"))
                .status,
            200);
  // While running (the WAL holds the newest writes), then after a clean stop.
  ExpectNoImageBytes({env.dir()}, images);
  ASSERT_EQ(env.Stop(), 0);
  ExpectNoImageBytes({env.dir()}, images);
  EXPECT_TRUE(fs::is_empty(tmp)) << "the server wrote to TMPDIR";
  EXPECT_TRUE(fs::is_empty(cwd)) << "the server wrote to its working directory";
}

// The value of the first sample line starting with `prefix` (e.g. name{labels}), or -1.
double Sample(const std::string& text, const std::string& prefix) {
  size_t at = 0;
  while ((at = text.find(prefix, at)) != std::string::npos) {
    if (at == 0 || text[at - 1] == '\n') {
      size_t end = text.find('\n', at);
      std::string line = text.substr(at, end - at);
      if (line.size() > prefix.size() && line[prefix.size()] == ' ') {
        return std::stod(line.substr(prefix.size() + 1));
      }
    }
    at += prefix.size();
  }
  return -1;
}

TEST(ServeOpsTest, MetricsCountRequestsByEndpointAndStatus) {
  ServeEnv env("metrics");
  ASSERT_TRUE(env.Start());
  const std::string ok = std::string("/m/lookup?signal_type=pdq&signal=") + kH1;
  for (int i = 0; i < 3; ++i) EXPECT_EQ(env.Call("GET", ok, env.key("matcher")).status, 200);
  EXPECT_EQ(env.Call("GET", "/m/lookup?signal_type=pdq&signal=12", env.key("matcher")).status,
            400);
  EXPECT_EQ(env.Call("GET", "/c/bank/NOPE", env.key("matcher")).status, 404);
  EXPECT_EQ(env.Call("GET", "/v1/banks", env.key("hasher")).status, 403);
  EXPECT_EQ(env.Call("GET", "/metrics", env.key("curator")).status, 403);

  ClientResponse m = env.Call("GET", "/metrics", env.key("admin"));
  ASSERT_EQ(m.status, 200) << m.body;
  EXPECT_EQ(std::string(m.headers.Get("content-type").value_or("")).substr(0, 10), "text/plain");
  const std::string& t = m.body;
  EXPECT_EQ(Sample(t, R"(warden_http_requests_total{endpoint="/m/lookup",method="GET",status="200"})"),
            3)
      << t;
  EXPECT_EQ(Sample(t, R"(warden_http_requests_total{endpoint="/m/lookup",method="GET",status="400"})"),
            1);
  EXPECT_EQ(
      Sample(t, R"(warden_http_requests_total{endpoint="/c/bank/{name}",method="GET",status="404"})"),
      1);
  EXPECT_EQ(Sample(t, R"(warden_http_requests_total{endpoint="/v1/banks",method="GET",status="403"})"),
            1);
  EXPECT_EQ(Sample(t, R"(warden_http_request_duration_seconds_count{endpoint="/m/lookup"})"), 4);
  EXPECT_EQ(
      Sample(t, R"(warden_http_request_duration_seconds_bucket{endpoint="/m/lookup",le="+Inf"})"), 4);
  EXPECT_GE(Sample(t, R"(warden_http_request_duration_seconds_sum{endpoint="/m/lookup"})"), 0);
  EXPECT_NE(t.find("# TYPE warden_http_request_duration_seconds histogram"), std::string::npos);

  // Logs are JSON lines on standard error.
  const std::string log = env.server().Log();
  int lines = 0;
  for (size_t at = 0; at < log.size();) {
    size_t end = log.find('\n', at);
    if (end == std::string::npos) end = log.size();
    const std::string line = log.substr(at, end - at);
    at = end + 1;
    if (line.empty()) continue;
    ++lines;
    EXPECT_TRUE(ParseJson(line).is_object()) << "not a JSON log line: " << line;
  }
  EXPECT_GT(lines, 0);
  EXPECT_EQ(env.Stop(), 0);
}

TEST(ServeOpsTest, SigtermDrainsARequestInFlightAndExitsZero) {
  ServeEnv env("drain");
  ASSERT_TRUE(env.Start(WithArgs({"--metrics-public", "true"})));
  EXPECT_EQ(env.Call("GET", "/metrics", "").status, 200) << "metrics_public = true";
  const std::string image = ReadFileBytes(TestImagePath(kOrig));
  RawConnection c;
  ASSERT_TRUE(c.Connect(env.port()));
  const std::string head = "POST /v1/hash HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " +
                           env.key("hasher") +
                           "\r\nContent-Type: image/jpeg\r\nConnection: close\r\nContent-Length: " +
                           std::to_string(image.size()) + "\r\n\r\n";
  ASSERT_TRUE(c.Write(head + image.substr(0, image.size() / 2)));
  // The request has started arriving; now the server is told to stop.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  env.server().Signal(SIGTERM);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ASSERT_TRUE(c.Write(image.substr(image.size() / 2))) << "connection closed mid-upload";
  RawExchange x = c.ReadUntilClose(30'000);
  EXPECT_EQ(RawStatus(x.received), 200) << x.received.substr(0, 500);
  EXPECT_NE(x.received.find(ManifestPdq(kOrig)), std::string::npos) << x.received.substr(0, 500);
  EXPECT_EQ(env.server().WaitExit(30'000), 0) << env.server().Log();
}

TEST(ServeOpsTest, SettingsFromConfigFileAndEnvironment) {
  ServeEnv env("config");
  const std::string config = WriteFile(env.dir() + "/serve.conf",
                                       "# test config\nmetrics_public = true\nmax_body_bytes = 20000\n");
  ServeOptions options = WithArgs({"--config", config});
  options.env = {{"WARDEN_MAX_PIXELS", "1000"}};
  ASSERT_TRUE(env.Start(options));
  EXPECT_EQ(env.Call("GET", "/metrics", "").status, 200) << "metrics_public from the file";
  RawExchange x = SendRawBytes(env.port(),
                               "POST /v1/hash HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " +
                                   env.key("hasher") + "\r\nContent-Length: 20001\r\n\r\n",
                               10'000);
  EXPECT_EQ(RawStatus(x.received), 413) << "max_body_bytes from the file: " << x.received;
  // wee.jpg: 34x42 = 1428 pixels, over WARDEN_MAX_PIXELS=1000.
  ClientResponse r = env.Call("POST", "/v1/hash", env.key("hasher"),
                              ReadFileBytes(TestImagePath(kWee)), "image/jpeg");
  EXPECT_EQ(r.status, 413) << r.body;
  EXPECT_EQ(ErrorCode(r), "image_too_large") << r.body;
  EXPECT_EQ(env.Stop(), 0);

  // A bad setting: the server refuses to start and says why.
  const std::string bad = WriteFile(env.dir() + "/bad.conf", "no_such_setting = 1\n");
  ProcessResult p = RunWarden({"serve", "--db", env.db(), "--port", "0", "--config", bad});
  EXPECT_NE(p.exit_status, 0);
  EXPECT_NE(p.err.find("no_such_setting"), std::string::npos) << p.err;
}

}  // namespace
}  // namespace warden::serve_test
