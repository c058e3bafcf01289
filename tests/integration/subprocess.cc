#include "tests/integration/subprocess.h"

#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

namespace warden {
namespace {

// A deleted temporary file: the child writes to it, the parent reads it back. Files rather
// than pipes, so a child writing a lot can never deadlock against a parent that waits.
int TempFd() {
  char name[] = "/tmp/warden_cli_test_XXXXXX";
  int fd = ::mkstemp(name);
  EXPECT_GE(fd, 0) << "mkstemp failed";
  ::unlink(name);
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

}  // namespace

ProcessResult RunProcess(const std::vector<std::string>& argv, const ProcessOptions& options) {
  ProcessResult result;
  int in_fd = TempFd();
  int out_fd = TempFd();
  int err_fd = TempFd();
  if (!options.stdin_bytes.empty()) {
    EXPECT_EQ(::write(in_fd, options.stdin_bytes.data(), options.stdin_bytes.size()),
              static_cast<ssize_t>(options.stdin_bytes.size()));
    ::lseek(in_fd, 0, SEEK_SET);
  }
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    ::dup2(in_fd, 0);
    ::dup2(out_fd, 1);
    ::dup2(err_fd, 2);
    if (options.drop_root && ::geteuid() == 0) {
      if (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0) {
        ::_exit(126);
      }
    }
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  EXPECT_GT(pid, 0) << "fork failed";
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) {
    result.exit_status = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.exit_status = 128 + WTERMSIG(status);
  }
  ::close(in_fd);
  result.out = ReadBack(out_fd);
  result.err = ReadBack(err_fd);
  return result;
}

}  // namespace warden
