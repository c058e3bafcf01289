// The inputs of `warden hash`: PATH arguments expanded into the ordered list of things to hash.
//
// "-" is standard input (allowed once). A directory is walked only with -r: its regular files
// (and symlinks to regular files) at any depth, sorted by path (byte order) so the output is
// deterministic; symlinks to directories are not followed (no loops), and FIFOs, sockets and
// devices are skipped. Anything else is passed on as a file for the reader to open, so a
// missing or unreadable path is reported by ReadFileBytes with its reason.
//
// Thread safety: reentrant.
#ifndef WARDEN_SRC_CLI_INPUT_PATHS_H_
#define WARDEN_SRC_CLI_INPUT_PATHS_H_

#include <string>
#include <vector>

#include "warden/status.h"

namespace warden {

inline constexpr char kStdinPath[] = "-";

struct HashInput {
  std::string path;  // as printed in the output; "-" for standard input
  // Not OK when the input is known to be unhashable before reading it, e.g. a directory
  // without -r or a directory that cannot be listed: reported as that input's failure.
  Status error;

  bool is_stdin() const { return path == kStdinPath; }
};

// Errors: kInvalidArgument (a usage error) when "-" appears more than once.
Result<std::vector<HashInput>> ExpandInputs(const std::vector<std::string>& args, bool recursive);

}  // namespace warden

#endif  // WARDEN_SRC_CLI_INPUT_PATHS_H_
