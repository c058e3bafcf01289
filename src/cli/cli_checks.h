// Option checks shared by the CLI's commands, with messages that say what was expected.
//
// Thread safety: the validators are values; run them from one thread (CLI11 does).
#ifndef WARDEN_SRC_CLI_CLI_CHECKS_H_
#define WARDEN_SRC_CLI_CLI_CHECKS_H_

#include <CLI/CLI.hpp>

#include <charconv>
#include <cstdint>
#include <string>

namespace warden {

// A whole number 1..2^63-1. CLI11's PositiveNumber printed its range as a 300-digit double for
// "abc" or "-5", and an id too large for int64 was silently clamped to its maximum.
inline CLI::Validator PositiveInteger() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        int64_t v = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
        if (ec == std::errc::result_out_of_range) {
          return "'" + text + "' is too large (at most 9223372036854775807)";
        }
        if (ec != std::errc() || end != text.data() + text.size() || v < 1) {
          return "must be a whole number of at least 1, got '" + text + "'";
        }
        return std::string();
      },
      "INT>0", "PositiveInteger");
}

}  // namespace warden

#endif  // WARDEN_SRC_CLI_CLI_CHECKS_H_
