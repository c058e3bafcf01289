// Status and Result<T>: Warden's one channel for expected failures.
//
// A bad image, a malformed hash, an unknown bank or a database that is down is an expected
// failure: functions return it as a Status (or a Result<T> holding either a value or a
// Status), never throw it and never abort on it. Programmer errors use WARDEN_CHECK instead.
// One table (HttpStatusFor, ExitCodeFor) maps every code to an HTTP status and a CLI exit code.
//
// Thread safety: Status and Result are values; distinct objects may be used from any thread.
#ifndef WARDEN_STATUS_H_
#define WARDEN_STATUS_H_

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace warden {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,    // malformed input: bad hex, bad option, bad record
  kNotFound,           // a file, bank or item that does not exist
  kAlreadyExists,      // creating something that is there already
  kUnsupportedFormat,  // bytes that are no format Warden reads
  kCorruptData,        // a known format whose content is broken
  kTruncated,          // a known format that ends too early
  kTooLarge,           // over a configured limit (pixels, bytes)
  kIoError,            // the operating system refused a read or write
  kPermissionDenied,   // authenticated but not allowed
  kUnauthenticated,    // no or wrong credentials
  kResourceExhausted,  // rate limit
  kUnavailable,        // a dependency (database) is down
  kInternal,           // a bug or an exception caught at an edge
};

// Stable lower-case name of a code, e.g. "invalid_argument"; used in JSON errors and logs.
const char* StatusCodeName(StatusCode code);
// HTTP status for a code: kInvalidArgument 400, kNotFound 404, kTooLarge 413, ...
int HttpStatusFor(StatusCode code);
// CLI exit code for a code: usage-type errors (kInvalidArgument) give 2, other failures 1.
int ExitCodeFor(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status AlreadyExists(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
  static Status UnsupportedFormat(std::string m) { return {StatusCode::kUnsupportedFormat, std::move(m)}; }
  static Status CorruptData(std::string m) { return {StatusCode::kCorruptData, std::move(m)}; }
  static Status Truncated(std::string m) { return {StatusCode::kTruncated, std::move(m)}; }
  static Status TooLarge(std::string m) { return {StatusCode::kTooLarge, std::move(m)}; }
  static Status IoError(std::string m) { return {StatusCode::kIoError, std::move(m)}; }
  static Status PermissionDenied(std::string m) { return {StatusCode::kPermissionDenied, std::move(m)}; }
  static Status Unauthenticated(std::string m) { return {StatusCode::kUnauthenticated, std::move(m)}; }
  static Status ResourceExhausted(std::string m) { return {StatusCode::kResourceExhausted, std::move(m)}; }
  static Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "truncated: JPEG data ends early" or "ok".
  std::string ToString() const;
  // The same status with "context: " in front of the message, e.g. the file name.
  Status WithContext(std::string_view context) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// Aborts with file, line and message. For programmer errors only, never for user data.
[[noreturn]] void CheckFailed(const char* file, int line, const char* condition);

#define WARDEN_CHECK(cond) \
  ((cond) ? static_cast<void>(0) : ::warden::CheckFailed(__FILE__, __LINE__, #cond))

// Result<T>: a T or a non-OK Status. REQUIRES for value(): ok().
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    WARDEN_CHECK(!status_.ok());
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() & { WARDEN_CHECK(ok()); return *value_; }
  const T& value() const& { WARDEN_CHECK(ok()); return *value_; }
  T&& value() && { WARDEN_CHECK(ok()); return std::move(*value_); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace warden

#define WARDEN_CONCAT_INNER_(a, b) a##b
#define WARDEN_CONCAT_(a, b) WARDEN_CONCAT_INNER_(a, b)

// Returns the status from the enclosing function if it is not OK.
#define WARDEN_RETURN_IF_ERROR(expr)              \
  do {                                            \
    ::warden::Status warden_status_ = (expr);     \
    if (!warden_status_.ok()) return warden_status_; \
  } while (0)

// WARDEN_ASSIGN_OR_RETURN(auto x, MakeX()); returns the status if MakeX() failed.
#define WARDEN_ASSIGN_OR_RETURN(lhs, expr) \
  WARDEN_ASSIGN_OR_RETURN_IMPL_(WARDEN_CONCAT_(warden_result_, __LINE__), lhs, expr)
#define WARDEN_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return tmp.status();                \
  lhs = std::move(tmp).value()

#endif  // WARDEN_STATUS_H_
