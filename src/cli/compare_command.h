// `warden compare HEX1 HEX2`: the Hamming distance between two PDQ hashes.
//
// Each argument is 64 hex digits (either case), optionally tagged "pdq:". Prints the distance
// (0..256) as one line. A malformed argument is a usage error naming which argument was bad
// and why.
//
// Thread safety: reentrant.
#ifndef WARDEN_SRC_CLI_COMPARE_COMMAND_H_
#define WARDEN_SRC_CLI_COMPARE_COMMAND_H_

#include <cstdio>
#include <string_view>

#include "warden/pdq.h"
#include "warden/status.h"

namespace warden {

// Parses one argument of compare. Errors: kInvalidArgument, e.g. "pdq hash must be 64 hex
// digits, got 63".
Result<PdqHash> ParseCompareArgument(std::string_view arg);

// Returns the exit status: 0 and the distance on `out`, or 2 with a message on `err`.
int RunCompareCommand(std::string_view hex1, std::string_view hex2, std::FILE* out, std::FILE* err);

}  // namespace warden

#endif  // WARDEN_SRC_CLI_COMPARE_COMMAND_H_
