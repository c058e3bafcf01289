#include "src/cli/eval_launcher.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

namespace warden {

int ExecEvalProgram(char** argv) {
  // The running binary's own path, not argv[0]: `warden` may have been found through PATH or
  // started from another directory.
  char self[4096];
  const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) {
    std::fprintf(stderr, "warden: cannot find its own directory (/proc/self/exe): %s\n",
                 std::strerror(errno));
    return 1;
  }
  std::string path(self, static_cast<size_t>(n));
  path = path.substr(0, path.rfind('/') + 1) + kEvalProgramName;
  std::fflush(nullptr);
  ::execv(path.c_str(), argv);
  std::fprintf(stderr, "warden: cannot run %s: %s\n", path.c_str(), std::strerror(errno));
  return 1;
}

}  // namespace warden
