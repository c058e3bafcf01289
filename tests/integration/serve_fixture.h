// What the `warden serve` integration tests share: the real server binary started as a child
// process on a loopback port of a temporary store, API keys of every role made with the real
// `warden keys` CLI, a keep-alive HTTP client, a small image host for URL hashing, and helpers
// to read test images and their expected hashes.
//
// A ServeEnv owns one temporary directory (removed on destruction) holding the store
// (`w.db`), the server's standard error log and whatever else a test writes. Tests build one
// ServeEnv per test suite (SetUpTestSuite) where they can, because starting a server and making
// four keys costs a few CLI runs.
//
// Thread safety: one ServeEnv and one ServeProcess per thread (fork from one thread at a time).
// ImageHost serves from its own threads.
#ifndef WARDEN_TESTS_INTEGRATION_SERVE_FIXTURE_H_
#define WARDEN_TESTS_INTEGRATION_SERVE_FIXTURE_H_

#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "src/http/http_client.h"
#include "src/http/http_server.h"
#include "tests/integration/subprocess.h"

namespace warden::serve_test {

using Json = nlohmann::json;
using http::ClientResponse;

// The four roles, lowest first.
inline constexpr const char* kRoles[] = {"hasher", "matcher", "curator", "admin"};

// ---- test data ----

// Absolute path of `relative` under testdata/pdq/images (e.g. "misc-images/wee.jpg").
std::string TestImagePath(std::string_view relative);
// The bytes of a file; a test failure (and "") if it cannot be read.
std::string ReadFileBytes(const std::string& path);
// The PDQ hex of testdata/pdq/images/`relative` for `pipeline` in MANIFEST.tsv ("" + a test
// failure if absent).
std::string ManifestPdq(std::string_view relative, std::string_view pipeline = "fullres");
// `hex` (64 hex digits) with the lowest bit of each of its first `n` digits flipped: exactly n
// bits away (n <= 64).
std::string FlipBits(std::string hex, int n);

// ---- JSON answers ----

// The body parsed as JSON; a discarded value (is_discarded()) if it is not JSON.
Json ParseJson(const std::string& body);
// error.code of an error answer, or "" if the body has none.
std::string ErrorCode(const ClientResponse& response);

// ---- the server process ----

struct ServeOptions {
  std::vector<std::string> args;  // flags after `serve --db DB --port 0 --listen 127.0.0.1`
  std::string cwd;                // working directory; "" = the test's
  std::vector<std::pair<std::string, std::string>> env;  // added to the environment
};

// Options with only flags.
inline ServeOptions WithArgs(std::vector<std::string> args) {
  ServeOptions options;
  options.args = std::move(args);
  return options;
}

// `warden serve` as a child process. Its standard output is read until the line
// "listening on http://127.0.0.1:PORT"; its standard error goes to a file shown on failures.
class ServeProcess {
 public:
  ServeProcess() = default;
  ~ServeProcess();  // SIGKILLs a server still running (Stop() is the clean way)
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  // Starts the server on `db`, logging to `stderr_path`, and waits (up to 60 s, for sanitizer
  // builds) for the listening line. Returns false after a test failure naming what went wrong
  // and the server's log.
  bool Start(const std::string& db, const std::string& stderr_path, const ServeOptions& options);
  // SIGTERM, then waits up to `timeout_ms` for the exit. Returns the exit code (128 + signal
  // number if a signal ended it), -1 if not running, -2 if it had to be SIGKILLed.
  int Stop(int timeout_ms = 30'000);
  // Sends `sig` to the server (e.g. SIGTERM while a request is in flight); see WaitExit.
  void Signal(int sig);
  // Waits up to `timeout_ms` for the exit; returns as Stop does.
  int WaitExit(int timeout_ms);

  bool running() const { return pid_ > 0; }
  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  // The server's standard error so far (its JSON log lines).
  std::string Log() const;

 private:
  pid_t pid_ = -1;
  int out_fd_ = -1;  // read end of the server's standard output
  int port_ = 0;
  std::string stderr_path_;
};

// Runs `warden ARGS...` (the real binary) and returns its exit status and output.
ProcessResult RunWarden(std::vector<std::string> args);
// `warden keys create --role ROLE --name NAME [--rate-limit RPS] --db DB`: the key printed (""
// after a test failure if the command failed).
std::string CreateKeyWithCli(const std::string& db, const std::string& role,
                             const std::string& name, double rate_limit = 0);

// A test environment: a temporary directory, a store, one key per role, a server, a client.
class ServeEnv {
 public:
  // `tag` names the temporary directory (e.g. the suite name).
  explicit ServeEnv(std::string_view tag);
  ~ServeEnv();  // stops the server (if running) and removes the directory
  ServeEnv(const ServeEnv&) = delete;
  ServeEnv& operator=(const ServeEnv&) = delete;

  // Makes the four role keys (first call only) and starts the server. False after a failure.
  bool Start(const ServeOptions& options = {});
  // Stops the server; returns its exit code as ServeProcess::Stop does.
  int Stop();

  const std::string& dir() const { return dir_; }
  const std::string& db() const { return db_; }
  // The key of `role` ("hasher", "matcher", "curator", "admin").
  const std::string& key(const std::string& role) const;
  ServeProcess& server() { return server_; }
  int port() const { return server_.port(); }

  // One request on the environment's keep-alive client. `key` "" sends no Authorization
  // header; `content_type` "" sends none. A transport failure is a test failure and answers
  // status 0.
  ClientResponse Call(std::string_view method, std::string_view target, const std::string& key,
                      std::string_view body = {}, std::string_view content_type = {},
                      const http::Headers& extra_headers = {});
  // POST of a multipart/form-data body with one file part named `field`.
  ClientResponse Upload(std::string_view target, const std::string& key, std::string_view field,
                        std::string_view data, std::string_view filename = "image.jpg");
  // Call() whose answer must be `want_status` with a JSON body; returns the parsed body (a test
  // failure naming the target and the body otherwise).
  Json CallJson(int want_status, std::string_view method, std::string_view target,
                const std::string& key, std::string_view body = {},
                std::string_view content_type = {});
  // Drops the keep-alive connection (e.g. after a server restart).
  void ResetClient();

 private:
  bool MakeRoleKeys();

  std::string dir_;
  std::string db_;
  std::map<std::string, std::string> keys_;
  ServeProcess server_;
  std::unique_ptr<http::HttpClient> client_;
};

// A loopback HTTP server inside the test process that answers GET `path` with fixed bytes: the
// remote site that URL hashing fetches from.
class ImageHost {
 public:
  // path -> (content type, body). Starts on an ephemeral port of 127.0.0.1.
  explicit ImageHost(std::map<std::string, std::pair<std::string, std::string>> files);
  ~ImageHost();
  bool ok() const { return ok_; }
  int port() const { return server_->port(); }
  // "http://127.0.0.1:PORT" + path.
  std::string Url(std::string_view path) const;

 private:
  std::unique_ptr<http::HttpServer> server_;
  bool ok_ = false;
};

// A raw TCP exchange for tests of malformed or slow requests: connects to 127.0.0.1:`port`,
// writes `bytes`, then reads until the peer closes or `timeout_ms` passes without data.
struct RawExchange {
  std::string received;
  bool closed = false;     // the peer closed the connection (read returned 0 or reset)
  bool timed_out = false;  // nothing more arrived within timeout_ms
};
RawExchange SendRawBytes(int port, std::string_view bytes, int timeout_ms);
// The status code of the first answer in `received` ("HTTP/1.1 NNN ..."), or 0 if none.
int RawStatus(const std::string& received);

// One raw TCP connection to 127.0.0.1:port written in pieces (e.g. half a request, then the
// rest after a signal to the server).
class RawConnection {
 public:
  RawConnection() = default;
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;
  // False after a test failure.
  bool Connect(int port);
  // Writes all of `bytes`; false if the peer closed or reset the connection first.
  bool Write(std::string_view bytes);
  // Reads until the peer closes or `timeout_ms` passes without data.
  RawExchange ReadUntilClose(int timeout_ms);

 private:
  int fd_ = -1;
};

// Calls `done` every `period_ms` until it returns true or `timeout_ms` passed. Returns the
// milliseconds until it returned true (>= 0), or -1 if it never did.
int64_t PollUntil(const std::function<bool()>& done, int timeout_ms, int period_ms = 50);

// The percent-encoded form of `text` for a query value.
std::string Q(std::string_view text);

}  // namespace warden::serve_test

#endif  // WARDEN_TESTS_INTEGRATION_SERVE_FIXTURE_H_
