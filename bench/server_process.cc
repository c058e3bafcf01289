#include "bench/server_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

namespace warden::bench {
namespace {

using SteadyClock = std::chrono::steady_clock;

int StatusOf(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return -1;
}

// A deleted temporary file the child writes to: a child writing a lot can never block on a
// pipe the parent only reads after waitpid.
int TempFd() {
  char name[] = "/tmp/serve_bench_XXXXXX";
  int fd = ::mkstemp(name);
  if (fd >= 0) ::unlink(name);
  return fd;
}

std::string ReadBack(int fd) {
  std::string s;
  ::lseek(fd, 0, SEEK_SET);
  char buf[65536];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) s.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return s;
}

std::vector<char*> Argv(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  return args;
}

}  // namespace

Result<CommandResult> RunCommand(const std::vector<std::string>& argv) {
  int out_fd = TempFd();
  int err_fd = TempFd();
  if (out_fd < 0 || err_fd < 0) return Status::IoError("cannot create temporary files");
  std::vector<char*> args = Argv(argv);
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) return Status::IoError(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    int null_fd = ::open("/dev/null", O_RDONLY);
    ::dup2(null_fd, 0);
    ::dup2(out_fd, 1);
    ::dup2(err_fd, 2);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  int ws = 0;
  while (::waitpid(pid, &ws, 0) < 0 && errno == EINTR) {
  }
  CommandResult r;
  r.exit_status = StatusOf(ws);
  r.out = ReadBack(out_fd);
  r.err = ReadBack(err_fd);
  if (r.exit_status == 127 && r.out.empty() && r.err.empty()) {
    return Status::IoError("cannot run " + argv[0]);
  }
  return r;
}

Result<double> ProcessCpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Fields after the command name (which may contain spaces) start after the last ')'.
  size_t close = stat.rfind(')');
  if (!in.good() && stat.empty())
    return Status::IoError("no /proc entry for pid " + std::to_string(pid));
  if (close == std::string::npos) return Status::IoError("malformed /proc/PID/stat");
  std::istringstream fields(stat.substr(close + 2));
  // Field 3 (state) is the first here; utime and stime are fields 14 and 15.
  std::string f;
  unsigned long long utime = 0, stime = 0;
  for (int field = 3; field <= 15 && (fields >> f); ++field) {
    if (field == 14) utime = std::stoull(f);
    if (field == 15) stime = std::stoull(f);
  }
  double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  return static_cast<double>(utime + stime) / ticks;
}

Result<ProcessMemory> ReadProcessMemory(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  if (!in) return Status::IoError("no /proc entry for pid " + std::to_string(pid));
  ProcessMemory m;
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) m.rss_kib = std::stoll(line.substr(6));
    if (line.rfind("VmHWM:", 0) == 0) m.hwm_kib = std::stoll(line.substr(6));
  }
  return m;
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int ws = 0;
    ::waitpid(pid_, &ws, 0);
  }
  if (stdout_fd_ >= 0) ::close(stdout_fd_);
}

Status ServerProcess::Start(const std::vector<std::string>& argv, const std::string& stderr_path,
                            double timeout_s) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return Status::IoError(std::string("pipe: ") + std::strerror(errno));
  }
  int err_fd = ::open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (err_fd < 0) {
    return Status::IoError("cannot open " + stderr_path + ": " + std::strerror(errno));
  }
  std::vector<char*> args = Argv(argv);
  auto start = SteadyClock::now();
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) return Status::IoError(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    int null_fd = ::open("/dev/null", O_RDONLY);
    ::dup2(null_fd, 0);
    ::dup2(pipe_fds[1], 1);
    ::dup2(err_fd, 2);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(pipe_fds[1]);
  ::close(err_fd);
  pid_ = pid;
  stdout_fd_ = pipe_fds[0];

  std::string out;
  auto deadline = start + std::chrono::duration_cast<SteadyClock::duration>(
                              std::chrono::duration<double>(timeout_s));
  const std::string kPrefix = "listening on http://";
  while (true) {
    size_t nl;
    while ((nl = out.find('\n')) != std::string::npos) {
      std::string line = out.substr(0, nl);
      out.erase(0, nl + 1);
      size_t at = line.find(kPrefix);
      size_t colon = line.rfind(':');
      if (at != std::string::npos && colon != std::string::npos && colon > at + kPrefix.size()) {
        port_ = std::atoi(line.c_str() + colon + 1);
        startup_s_ = std::chrono::duration<double>(SteadyClock::now() - start).count();
        if (port_ > 0) return Status::Ok();
      }
    }
    auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
    if (left.count() <= 0) break;
    pollfd p{stdout_fd_, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count(), 1000)));
    if (r < 0 && errno == EINTR) continue;
    if (r > 0) {
      char buf[4096];
      ssize_t n = ::read(stdout_fd_, buf, sizeof buf);
      if (n > 0) {
        out.append(buf, static_cast<size_t>(n));
        continue;
      }
      if (n == 0) break;  // stdout closed: the child is exiting
    }
    int ws = 0;
    if (::waitpid(pid_, &ws, WNOHANG) == pid_) {
      pid_ = -1;
      return Status::Unavailable("the server exited with status " + std::to_string(StatusOf(ws)) +
                                 " before listening (see " + stderr_path + ")");
    }
  }
  int exit_status = Stop(5);
  return Status::Unavailable("the server printed no listening line within " +
                             std::to_string(timeout_s) + " s (exit status " +
                             std::to_string(exit_status) + ", see " + stderr_path + ")");
}

int ServerProcess::Stop(double timeout_s) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  auto deadline = SteadyClock::now() + std::chrono::duration_cast<SteadyClock::duration>(
                                           std::chrono::duration<double>(timeout_s));
  int ws = 0;
  while (true) {
    pid_t r = ::waitpid(pid_, &ws, WNOHANG);
    if (r == pid_) break;
    if (SteadyClock::now() > deadline) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &ws, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  pid_ = -1;
  if (stdout_fd_ >= 0) ::close(stdout_fd_);
  stdout_fd_ = -1;
  return StatusOf(ws);
}

}  // namespace warden::bench
