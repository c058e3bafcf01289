// Logger: the structured operational log of `warden serve` (startup, requests, errors). One
// event per line, either JSON (one object per line, for log collectors) or logfmt-style text
// (for a terminal):
//
//   {"ts":"2026-11-27T14:35:00.123Z","level":"info","msg":"request","method":"GET","status":200}
//   ts=2026-11-27T14:35:00.123Z level=info msg=request method=GET status=200
//
// `ts` is RFC 3339 in UTC with milliseconds, from the Clock. Fields keep the order given. JSON
// strings are escaped (control characters as \n or \u00XX; bytes that are not UTF-8 become
// U+FFFD) so every line parses; NaN and infinite doubles are written as null. In text, a value
// with a space, '=', '"', a control character or nothing at all is quoted with \" \\ \n \r \t
// and \xNN escapes. This is the operator's log, not the audit log (audit_log.h): never put an
// image, a query hash or a secret in it.
//
// Usage:
//   Logger log(stderr, LogLevel::kInfo, LogFormat::kJson);
//   log.Info("request", {{"method", "GET"}, {"status", 200}, {"ms", 1.25}, {"cached", true}});
//
// Thread safety: every method may be called from many threads at once. Each line is built
// without a lock and written with one fwrite (then fflush) under the logger's mutex, so lines
// from different threads never interleave. The level check in Debug()/Info()/... is one relaxed
// atomic load and a compare, inlined, so a disabled Debug() costs almost nothing (its braced
// field list is still constructed: keep expensive arguments out of hot disabled calls).
#ifndef WARDEN_SRC_SERVER_LOG_H_
#define WARDEN_SRC_SERVER_LOG_H_

#include <atomic>
#include <concepts>
#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

#include "warden/clock.h"
#include "warden/status.h"

namespace warden {

enum class LogLevel : int { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };
enum class LogFormat { kJson, kText };

// "debug", "info", "warn", "error".
const char* LogLevelName(LogLevel level);
// Parses a level name (as above; "warning" is accepted for kWarn). Errors: kInvalidArgument
// naming the accepted names.
Result<LogLevel> ParseLogLevel(std::string_view name);
// Parses "json" or "text". Errors: kInvalidArgument naming the accepted names.
Result<LogFormat> ParseLogFormat(std::string_view name);

// One key/value pair of an event: a string, an integer, a double or a bool.
//
// A LogField REFERS to its key and string value (string_views); it does not copy them. Use it
// within the full expression that logs (a braced list in the call, as above), where temporaries
// such as std::to_string(x) are still alive; never keep LogFields past the statement.
class LogField {
 public:
  enum class Kind { kString, kInt, kDouble, kBool };

  LogField(std::string_view key, std::string_view value)
      : key_(key), kind_(Kind::kString), string_(value) {}
  LogField(std::string_view key, const char* value)  // else "x" would pick the bool overload
      : key_(key), kind_(Kind::kString), string_(value != nullptr ? value : "") {}
  LogField(std::string_view key, const std::string& value)
      : key_(key), kind_(Kind::kString), string_(value) {}
  LogField(std::string_view key, bool value) : key_(key), kind_(Kind::kBool), int_(value) {}
  // Every integer type. Unsigned values above INT64_MAX are written as INT64_MAX.
  template <std::integral T>
  requires(!std::same_as<T, bool>) LogField(std::string_view key, T value)
      : key_(key), kind_(Kind::kInt), int_(ToInt64(value)) {}
  template <std::floating_point T>
  LogField(std::string_view key, T value)
      : key_(key), kind_(Kind::kDouble), double_(static_cast<double>(value)) {}

  std::string_view key() const { return key_; }
  Kind kind() const { return kind_; }
  std::string_view string_value() const { return string_; }  // REQUIRES: kind() == kString
  int64_t int_value() const { return int_; }       // REQUIRES: kind() is kInt or kBool (0 or 1)
  double double_value() const { return double_; }  // REQUIRES: kind() == kDouble

 private:
  template <typename T>
  static int64_t ToInt64(T value) {
    if constexpr (std::is_unsigned_v<T> && sizeof(T) >= sizeof(int64_t)) {
      return value > static_cast<T>(INT64_MAX) ? INT64_MAX : static_cast<int64_t>(value);
    } else {
      return static_cast<int64_t>(value);
    }
  }

  std::string_view key_;
  Kind kind_;
  std::string_view string_;
  int64_t int_ = 0;
  double double_ = 0;
};

class Logger {
 public:
  // Writes to `out` (not owned; must outlive the Logger; stderr by default). `clock` (not owned;
  // nullptr = the system clock) gives the timestamps.
  explicit Logger(std::FILE* out = stderr, LogLevel level = LogLevel::kInfo,
                  LogFormat format = LogFormat::kJson, const Clock* clock = nullptr);
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  // Events below `level` are dropped. May be called while other threads log.
  void SetLevel(LogLevel level) {
    level_.store(static_cast<int>(level), std::memory_order_relaxed);
  }
  LogLevel level() const { return static_cast<LogLevel>(level_.load(std::memory_order_relaxed)); }
  bool Enabled(LogLevel level) const {
    return static_cast<int>(level) >= level_.load(std::memory_order_relaxed);
  }

  void Debug(std::string_view msg, std::initializer_list<LogField> fields = {}) {
    if (Enabled(LogLevel::kDebug)) Write(LogLevel::kDebug, msg, {fields.begin(), fields.size()});
  }
  void Info(std::string_view msg, std::initializer_list<LogField> fields = {}) {
    if (Enabled(LogLevel::kInfo)) Write(LogLevel::kInfo, msg, {fields.begin(), fields.size()});
  }
  void Warn(std::string_view msg, std::initializer_list<LogField> fields = {}) {
    if (Enabled(LogLevel::kWarn)) Write(LogLevel::kWarn, msg, {fields.begin(), fields.size()});
  }
  void Error(std::string_view msg, std::initializer_list<LogField> fields = {}) {
    if (Enabled(LogLevel::kError)) Write(LogLevel::kError, msg, {fields.begin(), fields.size()});
  }
  // For fields gathered at run time (e.g. a std::vector<LogField> built in the same statement
  // scope as its referents).
  void Log(LogLevel level, std::string_view msg, std::span<const LogField> fields) {
    if (Enabled(level)) Write(level, msg, fields);
  }

  // The line Write would emit, newline included, without writing it (tests, and callers that
  // send events elsewhere).
  std::string Format(LogLevel level, std::string_view msg, std::span<const LogField> fields) const;

 private:
  // Formats and writes one line regardless of the level. Write errors (a full disk) are
  // ignored: logging never fails a request.
  void Write(LogLevel level, std::string_view msg, std::span<const LogField> fields);

  std::FILE* const out_;
  std::atomic<int> level_;
  const LogFormat format_;
  const Clock* const clock_;
  std::mutex write_mu_;
};

}  // namespace warden

#endif  // WARDEN_SRC_SERVER_LOG_H_
