// ServerProcess: `warden serve` (or any program) run as a child process by serve_bench: started,
// waited for until it prints its listening line, measured through /proc (CPU time, resident
// memory) and stopped with SIGTERM. Also RunCommand for one-shot commands such as
// `warden keys create`.
//
// Thread safety: one owner thread per object; do not fork from other threads meanwhile.
#ifndef WARDEN_BENCH_SERVER_PROCESS_H_
#define WARDEN_BENCH_SERVER_PROCESS_H_

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "warden/status.h"

namespace warden::bench {

struct CommandResult {
  int exit_status = -1;  // exit code, or 128 + signal
  std::string out;       // standard output
  std::string err;       // standard error
};

// Runs argv[0] (a path) with argv and waits. Errors: kIoError if it cannot be started.
Result<CommandResult> RunCommand(const std::vector<std::string>& argv);

// CPU seconds (user + system) a process has used so far, from /proc/PID/stat.
// Errors: kIoError if the process is gone.
Result<double> ProcessCpuSeconds(pid_t pid);

struct ProcessMemory {
  int64_t rss_kib = 0;  // VmRSS: resident now
  int64_t hwm_kib = 0;  // VmHWM: the peak resident size
};
// From /proc/PID/status. Errors: kIoError.
Result<ProcessMemory> ReadProcessMemory(pid_t pid);

class ServerProcess {
 public:
  ServerProcess() = default;
  ~ServerProcess();  // SIGKILLs a child still running
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // Starts argv (stdout read by us; stderr appended to `stderr_path`) and waits up to
  // `timeout_s` for a stdout line "listening on http://HOST:PORT".
  // Errors: kIoError if it cannot start; kUnavailable naming the exit status if it exits first
  // or the line does not come in time (the child is then killed).
  Status Start(const std::vector<std::string>& argv, const std::string& stderr_path,
               double timeout_s);
  // SIGTERM, then waits up to `timeout_s` (SIGKILL after). Returns the exit status as
  // CommandResult::exit_status does; -1 if it was not running.
  int Stop(double timeout_s);

  pid_t pid() const { return pid_; }
  int port() const { return port_; }
  // Seconds from Start() to the listening line.
  double startup_s() const { return startup_s_; }

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  int port_ = 0;
  double startup_s_ = 0;
};

}  // namespace warden::bench

#endif  // WARDEN_BENCH_SERVER_PROCESS_H_
