#include "tests/integration/serve_fixture.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace warden::serve_test {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

int64_t MsSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

}  // namespace

std::string TestImagePath(std::string_view relative) {
  return std::string(WARDEN_TESTDATA) + "/pdq/images/" + std::string(relative);
}

std::string ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string ManifestPdq(std::string_view relative, std::string_view pipeline) {
  std::ifstream in(std::string(WARDEN_TESTDATA) + "/pdq/MANIFEST.tsv");
  const std::string want = "images/" + std::string(relative);
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> cols;
    std::istringstream fields(line);
    for (std::string f; std::getline(fields, f, '\t');) cols.push_back(f);
    if (cols.size() > 2 && cols[0] == want && cols[1] == pipeline) return cols[2];
  }
  ADD_FAILURE() << "MANIFEST.tsv has no " << pipeline << " row for " << want;
  return "";
}

std::string FlipBits(std::string hex, int n) {
  for (int i = 0; i < n; ++i) {
    int v = std::stoi(hex.substr(i, 1), nullptr, 16) ^ 1;
    hex[i] = "0123456789abcdef"[v];
  }
  return hex;
}

Json ParseJson(const std::string& body) { return Json::parse(body, nullptr, false); }

std::string ErrorCode(const ClientResponse& response) {
  Json j = ParseJson(response.body);
  if (j.is_discarded() || !j.is_object() || !j.contains("error") || !j["error"].is_object() ||
      !j["error"].contains("code") || !j["error"]["code"].is_string()) {
    return "";
  }
  return j["error"]["code"].get<std::string>();
}

int64_t PollUntil(const std::function<bool()>& done, int timeout_ms, int period_ms) {
  const auto start = Clock::now();
  for (;;) {
    if (done()) return MsSince(start);
    if (MsSince(start) > timeout_ms) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(period_ms));
  }
}

std::string Q(std::string_view text) { return http::PercentEncode(text); }

// ---- ServeProcess ----

ServeProcess::~ServeProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  if (out_fd_ >= 0) ::close(out_fd_);
}

std::string ServeProcess::Log() const {
  std::ifstream in(stderr_path_, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

bool ServeProcess::Start(const std::string& db, const std::string& stderr_path,
                         const ServeOptions& options) {
  EXPECT_LT(pid_, 0) << "server already running";
  if (pid_ > 0) return false;
  stderr_path_ = stderr_path;
  std::vector<std::string> argv = {WARDEN_BINARY, "serve",  "--db",       db,
                                   "--port",      "0",      "--listen",   "127.0.0.1"};
  argv.insert(argv.end(), options.args.begin(), options.args.end());
  // The environment: the test's, minus WARDEN_* settings that would leak in, plus the options'.
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "WARDEN_", 7) != 0) env.emplace_back(*e);
  }
  for (const auto& [k, v] : options.env) {
    std::erase_if(env, [&k](const std::string& s) { return s.rfind(k + "=", 0) == 0; });
    env.push_back(k + "=" + v);
  }
  // Everything exec needs is built before fork: the child runs only async-signal-safe calls
  // (the test process may have threads, e.g. an ImageHost).
  std::vector<char*> args, envp;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  const std::string cwd = options.cwd;

  int out_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe: " << std::strerror(errno);
    return false;
  }
  int err_fd = ::open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (err_fd < 0) {
    ADD_FAILURE() << "open " << stderr_path << ": " << std::strerror(errno);
    return false;
  }
  int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(null_fd, 0);
    ::dup2(out_pipe[1], 1);
    ::dup2(err_fd, 2);
    if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) ::_exit(126);
    ::execve(args[0], args.data(), envp.data());
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  ::close(err_fd);
  ::close(null_fd);
  if (pid < 0) {
    ::close(out_pipe[0]);
    ADD_FAILURE() << "fork: " << std::strerror(errno);
    return false;
  }
  pid_ = pid;
  out_fd_ = out_pipe[0];

  // Read standard output until the listening line (or the child's exit, or the timeout).
  const auto start = Clock::now();
  std::string out;
  constexpr std::string_view kPrefix = "listening on http://127.0.0.1:";
  while (out.find('\n') == std::string::npos) {
    int left = 60'000 - static_cast<int>(MsSince(start));
    if (left <= 0) break;
    pollfd p{out_fd_, POLLIN, 0};
    int n = ::poll(&p, 1, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    char buf[512];
    ssize_t got = ::read(out_fd_, buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;  // the child closed its standard output: it exited
    out.append(buf, static_cast<size_t>(got));
  }
  const std::string line = out.substr(0, out.find('\n'));
  if (line.rfind(kPrefix, 0) == 0) port_ = std::atoi(line.c_str() + kPrefix.size());
  if (port_ <= 0 || port_ > 65535) {
    ADD_FAILURE() << "warden serve did not print its listening line within 60 s; stdout: '"
                  << out << "'\nstderr:\n"
                  << Log();
    Stop(2000);
    return false;
  }
  return true;
}

void ServeProcess::Signal(int sig) {
  if (pid_ > 0) ::kill(pid_, sig);
}

int ServeProcess::WaitExit(int timeout_ms) {
  if (pid_ <= 0) return -1;
  const auto start = Clock::now();
  int status = 0;
  for (;;) {
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) break;
    if (r < 0 && errno != EINTR) {
      pid_ = -1;
      return -1;
    }
    if (MsSince(start) > timeout_ms) {
      ADD_FAILURE() << "warden serve did not exit within " << timeout_ms << " ms; log:\n"
                    << Log();
      ::kill(pid_, SIGKILL);
      while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
      }
      pid_ = -1;
      return -2;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  pid_ = -1;
  if (out_fd_ >= 0) {
    ::close(out_fd_);
    out_fd_ = -1;
  }
  port_ = 0;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

int ServeProcess::Stop(int timeout_ms) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  return WaitExit(timeout_ms);
}

// ---- CLI ----

ProcessResult RunWarden(std::vector<std::string> args) {
  args.insert(args.begin(), WARDEN_BINARY);
  return RunProcess(args);
}

std::string CreateKeyWithCli(const std::string& db, const std::string& role,
                             const std::string& name, double rate_limit) {
  std::vector<std::string> args = {"keys", "create", "--role", role, "--name", name, "--db", db};
  if (rate_limit > 0) {
    std::ostringstream rate;
    rate << rate_limit;
    args.push_back("--rate-limit");
    args.push_back(rate.str());
  }
  ProcessResult r = RunWarden(args);
  EXPECT_EQ(r.exit_status, 0) << "warden keys create --role " << role << ": " << r.err;
  std::string key = r.out.substr(0, r.out.find('\n'));
  EXPECT_EQ(key.rfind("wdn_", 0), 0u) << "not a key: '" << r.out << "'";
  if (r.exit_status != 0 || key.rfind("wdn_", 0) != 0) return "";
  return key;
}

// ---- ServeEnv ----

ServeEnv::ServeEnv(std::string_view tag) {
  std::string pattern = (fs::path(::testing::TempDir()) /
                         ("serve_" + std::string(tag) + "_XXXXXX"))
                            .string();
  char* made = ::mkdtemp(pattern.data());
  EXPECT_NE(made, nullptr) << "mkdtemp " << pattern << ": " << std::strerror(errno);
  dir_ = pattern;
  db_ = dir_ + "/w.db";
}

ServeEnv::~ServeEnv() {
  client_.reset();
  if (server_.running()) server_.Stop();
  std::error_code ignored;
  fs::remove_all(dir_, ignored);
}

// Runs `warden keys create` for every role: the first alone (it creates the store), the other
// three at once, because on a loaded machine each CLI run takes most of a second of waiting.
bool ServeEnv::MakeRoleKeys() {
  keys_["admin"] = CreateKeyWithCli(db_, "admin", "test-admin");
  if (keys_["admin"].empty()) return false;
  struct Child {
    std::string role;
    pid_t pid = -1;
    std::string out_path;
  };
  std::vector<Child> children;
  std::vector<std::vector<std::string>> argvs;
  for (const char* role : {"hasher", "matcher", "curator"}) {
    Child c{role, -1, dir_ + "/keys_" + role + ".out"};
    argvs.push_back({WARDEN_BINARY, "keys", "create", "--role", role, "--name",
                     std::string("test-") + role, "--db", db_});
    children.push_back(c);
  }
  std::fflush(nullptr);
  for (size_t i = 0; i < children.size(); ++i) {
    std::vector<char*> args;
    for (auto& a : argvs[i]) args.push_back(a.data());
    args.push_back(nullptr);
    int out = ::open(children[i].out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (out < 0) {
      ADD_FAILURE() << "open " << children[i].out_path;
      return false;
    }
    pid_t pid = ::fork();
    if (pid == 0) {
      ::dup2(out, 1);
      ::dup2(out, 2);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    ::close(out);
    children[i].pid = pid;
  }
  bool ok = true;
  for (Child& c : children) {
    int status = 0;
    while (c.pid > 0 && ::waitpid(c.pid, &status, 0) < 0 && errno == EINTR) {
    }
    const std::string out = ReadFileBytes(c.out_path);
    std::error_code ignored;
    fs::remove(c.out_path, ignored);
    const std::string key = out.substr(0, out.find('\n'));
    if (c.pid <= 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0 || key.rfind("wdn_", 0) != 0) {
      ADD_FAILURE() << "warden keys create --role " << c.role << " failed: " << out;
      ok = false;
      continue;
    }
    keys_[c.role] = key;
  }
  return ok;
}

bool ServeEnv::Start(const ServeOptions& options) {
  if (keys_.empty() && !MakeRoleKeys()) return false;
  ResetClient();
  if (!server_.Start(db_, dir_ + "/serve.log", options)) return false;
  client_ = std::make_unique<http::HttpClient>("127.0.0.1", server_.port(), 30'000);
  return true;
}

int ServeEnv::Stop() {
  client_.reset();
  return server_.Stop();
}

void ServeEnv::ResetClient() {
  if (server_.running()) {
    client_ = std::make_unique<http::HttpClient>("127.0.0.1", server_.port(), 30'000);
  } else {
    client_.reset();
  }
}

const std::string& ServeEnv::key(const std::string& role) const {
  static const std::string kNone;
  auto it = keys_.find(role);
  EXPECT_NE(it, keys_.end()) << "no key for role " << role;
  return it == keys_.end() ? kNone : it->second;
}

ClientResponse ServeEnv::Call(std::string_view method, std::string_view target,
                              const std::string& key, std::string_view body,
                              std::string_view content_type, const http::Headers& extra_headers) {
  if (client_ == nullptr) {
    ADD_FAILURE() << "no server running for " << method << " " << target;
    return {};
  }
  http::Headers headers = extra_headers;
  if (!key.empty()) headers.Add("Authorization", "Bearer " + key);
  if (!content_type.empty()) headers.Add("Content-Type", content_type);
  Result<ClientResponse> r = client_->Send(method, target, headers, body);
  if (!r.ok()) {
    ADD_FAILURE() << method << " " << target << ": " << r.status().message() << "\nserver log:\n"
                  << server_.Log();
    client_->Close();
    return {};
  }
  return std::move(r).value();
}

ClientResponse ServeEnv::Upload(std::string_view target, const std::string& key,
                                std::string_view field, std::string_view data,
                                std::string_view filename) {
  std::string content_type;
  std::string body = http::MultipartBody(field, filename, data, &content_type);
  return Call("POST", target, key, body, content_type);
}

Json ServeEnv::CallJson(int want_status, std::string_view method, std::string_view target,
                        const std::string& key, std::string_view body,
                        std::string_view content_type) {
  ClientResponse r = Call(method, target, key, body, content_type);
  EXPECT_EQ(r.status, want_status) << method << " " << target << " answered: " << r.body;
  Json j = ParseJson(r.body);
  EXPECT_FALSE(j.is_discarded()) << method << " " << target << " answered no JSON: " << r.body;
  if (j.is_discarded()) return Json::object();
  return j;
}

// ---- ImageHost ----

ImageHost::ImageHost(std::map<std::string, std::pair<std::string, std::string>> files) {
  http::ServerOptions options;
  options.bind_address = "127.0.0.1";
  options.port = 0;
  options.io_threads = 1;
  options.worker_threads = 1;
  server_ = std::make_unique<http::HttpServer>(options);
  for (auto& [path, file] : files) {
    std::string type = file.first, body = file.second;
    server_->Route("GET", path, [type, body](http::Request&) {
      return http::Response::Text(200, body, type);
    });
  }
  Status s = server_->Start();
  EXPECT_TRUE(s.ok()) << "image host: " << s.message();
  ok_ = s.ok();
}

ImageHost::~ImageHost() { server_->Stop(); }

std::string ImageHost::Url(std::string_view path) const {
  return "http://127.0.0.1:" + std::to_string(port()) + std::string(path);
}

// ---- raw exchanges ----

RawConnection::~RawConnection() {
  if (fd_ >= 0) ::close(fd_);
}

bool RawConnection::Connect(int port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  EXPECT_GE(fd_, 0);
  if (fd_ < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ADD_FAILURE() << "connect to port " << port << ": " << std::strerror(errno);
    return false;
  }
  return true;
}

bool RawConnection::Write(std::string_view bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

RawExchange RawConnection::ReadUntilClose(int timeout_ms) {
  RawExchange out;
  for (;;) {
    pollfd p{fd_, POLLIN, 0};
    int n = ::poll(&p, 1, timeout_ms);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) {
      out.timed_out = true;
      break;
    }
    char buf[4096];
    ssize_t got = ::recv(fd_, buf, sizeof buf, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      out.closed = true;
      break;
    }
    out.received.append(buf, static_cast<size_t>(got));
  }
  return out;
}

RawExchange SendRawBytes(int port, std::string_view bytes, int timeout_ms) {
  RawConnection connection;
  if (!connection.Connect(port)) return {};
  // The server may close early (e.g. 431 before the whole request arrived): read what it
  // answered either way.
  (void)connection.Write(bytes);
  return connection.ReadUntilClose(timeout_ms);
}

int RawStatus(const std::string& received) {
  if (received.rfind("HTTP/1.", 0) != 0 || received.size() < 12) return 0;
  return std::atoi(received.substr(9, 3).c_str());
}

}  // namespace warden::serve_test
