#include "src/server/log.h"

#include <cmath>
#include <ctime>
#include <iterator>
#include <mutex>
#include <string>

#include <fmt/format.h>

namespace warden {
namespace {

// RFC 3339, UTC, milliseconds: 2026-11-27T14:35:00.123Z.
void AppendTimestamp(std::string* out, int64_t ms) {
  // Floor division so that times before 1970 still get a millisecond part in 0..999.
  int64_t seconds = ms / 1000;
  int64_t millis = ms % 1000;
  if (millis < 0) {
    millis += 1000;
    seconds -= 1;
  }
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  if (gmtime_r(&t, &tm) == nullptr) {
    *out += "0000-00-00T00:00:00.000Z";  // out of the years gmtime can represent
    return;
  }
  fmt::format_to(std::back_inserter(*out), "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                 millis);
}

// Length of the well-formed UTF-8 sequence starting at s[0] (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF), or 0 if the bytes there are not one.
size_t Utf8SequenceLength(std::string_view s) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  auto in = [&](size_t i, unsigned lo, unsigned hi) {
    return i < s.size() && byte(i) >= lo && byte(i) <= hi;
  };
  unsigned b0 = byte(0);
  if (b0 < 0x80) return 1;
  if (b0 >= 0xC2 && b0 <= 0xDF) return in(1, 0x80, 0xBF) ? 2 : 0;
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    unsigned lo = b0 == 0xE0 ? 0xA0 : 0x80;
    unsigned hi = b0 == 0xED ? 0x9F : 0xBF;
    return in(1, lo, hi) && in(2, 0x80, 0xBF) ? 3 : 0;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    unsigned lo = b0 == 0xF0 ? 0x90 : 0x80;
    unsigned hi = b0 == 0xF4 ? 0x8F : 0xBF;
    return in(1, lo, hi) && in(2, 0x80, 0xBF) && in(3, 0x80, 0xBF) ? 4 : 0;
  }
  return 0;
}

// The backslash escape JSON and logfmt share for `c` (quote, backslash, newline, carriage
// return, tab), or null when each format escapes it its own way or not at all.
const char* CommonEscape(unsigned char c) {
  switch (c) {
    case '"':
      return "\\\"";
    case '\\':
      return "\\\\";
    case '\n':
      return "\\n";
    case '\r':
      return "\\r";
    case '\t':
      return "\\t";
    default:
      return nullptr;
  }
}

// A JSON string literal (RFC 8259). Invalid UTF-8 becomes U+FFFD so the line stays valid JSON
// whatever bytes a client sent us (a path, a user agent).
void AppendJsonString(std::string* out, std::string_view s) {
  *out += '"';
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      size_t n = Utf8SequenceLength(s.substr(i));
      if (n == 0) {
        *out += "\xEF\xBF\xBD";
        ++i;
      } else {
        out->append(s.data() + i, n);
        i += n;
      }
      continue;
    }
    if (const char* escape = CommonEscape(c)) {
      *out += escape;
    } else if (c == '\b') {
      *out += "\\b";
    } else if (c == '\f') {
      *out += "\\f";
    } else if (c < 0x20) {
      fmt::format_to(std::back_inserter(*out), "\\u{:04x}", c);
    } else {
      *out += static_cast<char>(c);
    }
    ++i;
  }
  *out += '"';
}

bool NeedsTextQuotes(std::string_view s) {
  if (s.empty()) return true;
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c == 0x7F || c == '=' || c == '"' || c == '\\') return true;
  }
  return false;
}

// A logfmt value: bare when it is one plain word, else quoted with escapes.
void AppendTextValue(std::string* out, std::string_view s) {
  if (!NeedsTextQuotes(s)) {
    *out += s;
    return;
  }
  *out += '"';
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (const char* escape = CommonEscape(c)) {
      *out += escape;
    } else if (c < 0x20 || c == 0x7F) {
      fmt::format_to(std::back_inserter(*out), "\\x{:02x}", c);
    } else {
      *out += ch;
    }
  }
  *out += '"';
}

// A logfmt key: characters that would end or confuse the key become '_'.
void AppendTextKey(std::string* out, std::string_view key) {
  if (key.empty()) {
    *out += '_';
    return;
  }
  for (char ch : key) {
    unsigned char c = static_cast<unsigned char>(ch);
    *out += (c <= 0x20 || c == 0x7F || c == '=' || c == '"') ? '_' : ch;
  }
}

void AppendDouble(std::string* out, double v, bool json) {
  if (std::isfinite(v)) {
    fmt::format_to(std::back_inserter(*out), "{}", v);
  } else if (json) {
    *out += "null";  // JSON has no NaN or infinity
  } else {
    *out += std::isnan(v) ? "NaN" : (v > 0 ? "+Inf" : "-Inf");
  }
}

}  // namespace

const char* LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "unknown";
}

Result<LogLevel> ParseLogLevel(std::string_view name) {
  if (name == "debug") return LogLevel::kDebug;
  if (name == "info") return LogLevel::kInfo;
  if (name == "warn" || name == "warning") return LogLevel::kWarn;
  if (name == "error") return LogLevel::kError;
  return Status::InvalidArgument(
      fmt::format("log level '{}' is not one of debug, info, warn, error", name));
}

Result<LogFormat> ParseLogFormat(std::string_view name) {
  if (name == "json") return LogFormat::kJson;
  if (name == "text") return LogFormat::kText;
  return Status::InvalidArgument(fmt::format("log format '{}' is not one of json, text", name));
}

Logger::Logger(std::FILE* out, LogLevel level, LogFormat format, const Clock* clock)
    : out_(out),
      level_(static_cast<int>(level)),
      format_(format),
      clock_(clock != nullptr ? clock : SystemClock::Default()) {
  WARDEN_CHECK(out != nullptr);
}

std::string Logger::Format(LogLevel level, std::string_view msg,
                           std::span<const LogField> fields) const {
  std::string line;
  line.reserve(128 + msg.size() + 32 * fields.size());
  const bool json = format_ == LogFormat::kJson;
  if (json) {
    line += "{\"ts\":\"";
    AppendTimestamp(&line, clock_->NowMs());
    line += "\",\"level\":\"";
    line += LogLevelName(level);
    line += "\",\"msg\":";
    AppendJsonString(&line, msg);
  } else {
    line += "ts=";
    AppendTimestamp(&line, clock_->NowMs());
    line += " level=";
    line += LogLevelName(level);
    line += " msg=";
    AppendTextValue(&line, msg);
  }
  for (const LogField& field : fields) {
    if (json) {
      line += ',';
      AppendJsonString(&line, field.key());
      line += ':';
    } else {
      line += ' ';
      AppendTextKey(&line, field.key());
      line += '=';
    }
    switch (field.kind()) {
      case LogField::Kind::kString:
        if (json) {
          AppendJsonString(&line, field.string_value());
        } else {
          AppendTextValue(&line, field.string_value());
        }
        break;
      case LogField::Kind::kInt:
        fmt::format_to(std::back_inserter(line), "{}", field.int_value());
        break;
      case LogField::Kind::kDouble:
        AppendDouble(&line, field.double_value(), json);
        break;
      case LogField::Kind::kBool:
        line += field.int_value() != 0 ? "true" : "false";
        break;
    }
  }
  if (json) line += '}';
  line += '\n';
  return line;
}

void Logger::Write(LogLevel level, std::string_view msg, std::span<const LogField> fields) {
  // Formatting happens outside the lock so that concurrent loggers only serialise on the write.
  std::string line = Format(level, msg, fields);
  std::lock_guard lock(write_mu_);
  // One fwrite per line (the mutex keeps lines whole even on streams other code also writes
  // to without locking) and a flush, so a crash loses no line already logged.
  (void)std::fwrite(line.data(), 1, line.size(), out_);
  (void)std::fflush(out_);
}

}  // namespace warden
