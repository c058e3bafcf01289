#include "src/bank/record_fields.h"

#include <fmt/core.h>

#include <charconv>
#include <limits>

#include "src/base/ascii.h"
#include "warden/pdq.h"

namespace warden {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Days since 1970-01-01 of a proleptic Gregorian date: shift the year to start in March so the
// leap day is the last day of the year, then count 400-year eras of 146097 days.
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

// The inverse of DaysFromCivil.
void CivilFromDays(int64_t z, int64_t* y, int64_t* m, int64_t* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp + (mp < 10 ? 3 : -9);
  *y = yoe + era * 400 + (*m <= 2 ? 1 : 0);
}

// Reads exactly `n` digits at s[*pos].
bool Digits(std::string_view s, size_t* pos, int n, int64_t* out) {
  if (*pos + n > s.size()) return false;
  int64_t v = 0;
  for (int i = 0; i < n; ++i) {
    char c = s[*pos + i];
    if (!IsDigit(c)) return false;
    v = v * 10 + (c - '0');
  }
  *pos += n;
  *out = v;
  return true;
}

}  // namespace

std::string_view TrimBlanks(std::string_view s) {
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

std::string ShownForReason(std::string_view s, size_t max) {
  std::string out;
  for (char c : s.substr(0, max)) {
    auto u = static_cast<unsigned char>(c);
    out += (u >= 0x20 && u < 0x7f) ? std::string(1, c) : fmt::format("\\x{:02x}", u);
  }
  if (s.size() > max) out += "...";
  return out;
}

Result<Signal> MakeImportSignal(SignalType type, std::string_view value, int quality) {
  WARDEN_ASSIGN_OR_RETURN(Signal signal, Signal::Make(type, value, quality));
  if (type == SignalType::kPdq) {
    if (signal.value.find_first_not_of('0') == std::string::npos) {
      return Status::InvalidArgument(
          "pdq hash is all zeros (the hash of a failed or degenerate hashing)");
    }
    if (quality >= 0 && quality < kPdqMinQuality) {
      return Status::InvalidArgument(
          fmt::format("pdq quality {} is under the minimum of {}", quality, kPdqMinQuality));
    }
  }
  return signal;
}

Result<int> ParseQuality(std::string_view text) {
  text = TrimBlanks(text);
  int q = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), q);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || text[0] == '-' ||
      q > 100) {
    return Status::InvalidArgument(
        fmt::format("quality \"{}\" is not a number 0..100", ShownForReason(text)));
  }
  return q;
}

Result<int64_t> ParseInt64(std::string_view text) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return Status::InvalidArgument(fmt::format("\"{}\" is not an integer", ShownForReason(text)));
  }
  return v;
}

Result<bool> ParseBool(std::string_view text) {
  text = TrimBlanks(text);
  if (text.empty()) return false;
  for (const char* t : {"true", "1", "yes"}) {
    if (AsciiEqualsIgnoreCase(text, t)) return true;
  }
  for (const char* f : {"false", "0", "no"}) {
    if (AsciiEqualsIgnoreCase(text, f)) return false;
  }
  return Status::InvalidArgument(
      fmt::format("\"{}\" is not a boolean (true/false)", ShownForReason(text)));
}

Result<int64_t> ParseTimestampMs(std::string_view text) {
  text = TrimBlanks(text);
  if (!text.empty() && (IsDigit(text[0]) || text[0] == '-') &&
      text.find_first_not_of("-0123456789") == std::string_view::npos) {
    WARDEN_ASSIGN_OR_RETURN(int64_t v, ParseInt64(text));
    constexpr int64_t kSecondsLimit = 100'000'000'000;  // year 5138 in seconds
    if (v < 0) return Status::InvalidArgument(fmt::format("timestamp {} is negative", v));
    if (v < kSecondsLimit) return v * 1000;
    return v;
  }
  auto bad = [&] {
    return Status::InvalidArgument(fmt::format(
        "timestamp \"{}\" is neither Unix time nor ISO 8601 UTC", ShownForReason(text)));
  };
  size_t p = 0;
  // Zeroed though Digits sets each before use: GCC 12 -O3 reports them maybe-uninitialized.
  int64_t y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (!Digits(text, &p, 4, &y) || p >= text.size() || text[p++] != '-' ||
      !Digits(text, &p, 2, &mo) || p >= text.size() || text[p++] != '-' ||
      !Digits(text, &p, 2, &d) || p >= text.size() || (text[p] != 'T' && text[p] != ' ') ||
      !Digits(text, &++p, 2, &h) || p >= text.size() || text[p++] != ':' ||
      !Digits(text, &p, 2, &mi) || p >= text.size() || text[p++] != ':' ||
      !Digits(text, &p, 2, &s)) {
    return bad();
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return bad();
  int64_t ms = 0;
  if (p < text.size() && text[p] == '.') {
    ++p;
    int scale = 100;
    size_t start = p;
    while (p < text.size() && IsDigit(text[p])) {
      ms += (text[p] - '0') * scale;
      scale /= 10;
      ++p;
    }
    if (p == start) return bad();
  }
  std::string_view zone = text.substr(p);
  if (zone != "Z" && zone != "+00:00" && zone != "" && zone != "+0000") return bad();
  return (DaysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s) * 1000 + ms;
}

std::string FormatTimestampMs(int64_t ms) {
  int64_t days = ms >= 0 ? ms / 86'400'000 : -((-ms + 86'399'999) / 86'400'000);
  int64_t rem = ms - days * 86'400'000;
  int64_t y = 0, m = 0, d = 0;
  CivilFromDays(days, &y, &m, &d);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", y, m, d, rem / 3'600'000,
                     rem / 60'000 % 60, rem / 1000 % 60, rem % 1000);
}

}  // namespace warden
