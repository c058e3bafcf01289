// Running a program as a child process with its standard streams captured, for integration
// tests.
//
// Thread safety: call from one thread at a time (fork in a multi-threaded process is unsafe).
#ifndef WARDEN_TESTS_INTEGRATION_SUBPROCESS_H_
#define WARDEN_TESTS_INTEGRATION_SUBPROCESS_H_

#include <string>
#include <vector>

namespace warden {

struct ProcessResult {
  int exit_status = -1;  // the exit code, or 128 + signal number if a signal ended it
  std::string out;       // everything written to standard output
  std::string err;       // everything written to standard error
};

struct ProcessOptions {
  std::string stdin_bytes;  // fed to standard input (which is otherwise empty)
  // Run as user and group 65534 (nobody) when the test runs as root, so that file
  // permissions apply to the child. Ignored when not root: permissions already apply.
  bool drop_root = false;
};

// Runs `argv[0]` (a path, not searched in PATH) with `argv`, waits for it and returns its exit
// status and output. Test failures (not exceptions) report problems starting the child.
ProcessResult RunProcess(const std::vector<std::string>& argv, const ProcessOptions& options = {});

}  // namespace warden

#endif  // WARDEN_TESTS_INTEGRATION_SUBPROCESS_H_
