// Field parsing shared by the bank format readers: hash values with Warden's import rules,
// PDQ quality, timestamps, booleans, and a safe rendering of hostile input for reasons.
//
// Thread safety: reentrant functions only.
#ifndef WARDEN_SRC_BANK_RECORD_FIELDS_H_
#define WARDEN_SRC_BANK_RECORD_FIELDS_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "warden/signal.h"
#include "warden/status.h"

namespace warden {

// `s` without leading and trailing spaces, tabs and CR/LF.
std::string_view TrimBlanks(std::string_view s);

// At most `max` bytes of `s` (then "..."), control and non-ASCII bytes as \xNN, for
// quarantine reasons: hostile input must not corrupt a terminal or a log line.
std::string ShownForReason(std::string_view s, size_t max = 40);

// A signal as an import accepts it: Signal::Make's rules (exact length, hex only), plus for
// PDQ: not all zeros (the hash of a failed or degenerate hashing), and quality, when known
// (>= 0), at least kPdqMinQuality. Errors: kInvalidArgument with the reason.
Result<Signal> MakeImportSignal(SignalType type, std::string_view value, int quality = -1);

// A PDQ quality: decimal digits only, 0..100. Errors: kInvalidArgument.
Result<int> ParseQuality(std::string_view text);

// A signed decimal int64 (no blanks, no '+'). Errors: kInvalidArgument on anything else or
// overflow.
Result<int64_t> ParseInt64(std::string_view text);

// "true"/"false"/"1"/"0"/"yes"/"no" (case-insensitive); empty is false.
// Errors: kInvalidArgument.
Result<bool> ParseBool(std::string_view text);

// A timestamp as exchange feeds write them, to Unix ms: an integer (values under 10^11 are
// Unix seconds, others Unix ms), or ISO 8601 UTC "YYYY-MM-DDTHH:MM:SS[.fff](Z|+00:00)" (a
// space may replace the 'T'). Errors: kInvalidArgument.
Result<int64_t> ParseTimestampMs(std::string_view text);

// Unix ms to "YYYY-MM-DDTHH:MM:SS.mmmZ".
std::string FormatTimestampMs(int64_t ms);

}  // namespace warden

#endif  // WARDEN_SRC_BANK_RECORD_FIELDS_H_
