// `warden hash`: hash files, directories (-r) or standard input, in parallel, printing one
// line per input in input order.
//
// Standard output gets only the formatted records. Standard error gets, per input that
// cannot be hashed, one line "warden: PATH: REASON" (the reason starts with its kind:
// unsupported format, truncated, corrupt, too large, unreadable, no such file, is a
// directory); for an image under 5 px on a side in text or csv output, a note
// "warden: PATH: too small to hash (WxH): quality 0" (the record itself is still printed,
// with the all-zero hash, as PDQ.md says; json marks it with "too_small": true instead);
// and, when enabled, a progress bar. Standard input appears as "-" in records and as
// "(stdin)" in messages.
//
// Thread safety: RunHashCommand uses worker threads internally; do not run two at once on
// the same streams.
#ifndef WARDEN_SRC_CLI_HASH_COMMAND_H_
#define WARDEN_SRC_CLI_HASH_COMMAND_H_

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "src/cli/output_format.h"
#include "warden/hasher.h"
#include "warden/status.h"

namespace warden {

struct HashCommandOptions {
  std::vector<std::string> paths;
  bool recursive = false;
  Pipeline pipeline = Pipeline::kFullres;
  bool dihedral = false;
  bool local = false;  // also extract and print the local signal (HashOptions::local)
  OutputFormat format = OutputFormat::kText;
  int jobs = 1;                             // worker threads, >= 1
  uint64_t max_pixels = kDefaultMaxPixels;  // per image, checked before decoding
  bool progress = false;  // draw a progress bar on `err` (only used with more than one input)
};

// The reason printed for a failed input: the status message, prefixed by the kind of failure
// unless the message already names it, e.g. "truncated: JPEG: premature end of data".
std::string FailureReason(const Status& status);

// Runs the command. Returns the exit status: 0 when every input was hashed, 1 when any input
// failed, 2 for a usage error (e.g. "-" given twice). `in` is read for the input "-".
int RunHashCommand(const HashCommandOptions& options, std::FILE* in, std::FILE* out,
                   std::FILE* err);

}  // namespace warden

#endif  // WARDEN_SRC_CLI_HASH_COMMAND_H_
