// Reading whole files into memory, with errors that name the file and the reason.
//
// Thread safety: the functions are reentrant; they share no state.
#ifndef WARDEN_FILE_BYTES_H_
#define WARDEN_FILE_BYTES_H_

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "warden/status.h"

namespace warden {

// Default cap on a file read whole: 512 MiB.
inline constexpr uint64_t kDefaultMaxFileBytes = 512ull << 20;

// Reads the regular file at `path`. Errors: kNotFound (no such file), kPermissionDenied
// (unreadable), kInvalidArgument (a directory or not a regular file), kTooLarge (over
// `max_bytes`), kIoError (any other read failure). Messages do not repeat the path; callers
// add it with Status::WithContext.
Result<std::vector<uint8_t>> ReadFileBytes(const std::string& path,
                                           uint64_t max_bytes = kDefaultMaxFileBytes);

// Reads `stream` to its end (standard input for "-"). Errors: kTooLarge, kIoError.
Result<std::vector<uint8_t>> ReadStreamBytes(std::FILE* stream,
                                             uint64_t max_bytes = kDefaultMaxFileBytes);

}  // namespace warden

#endif  // WARDEN_FILE_BYTES_H_
