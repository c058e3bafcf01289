#include "src/server/serve_config.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <utility>

#include <fmt/format.h>

#include "src/http/url_address.h"
#include "warden/file_bytes.h"

namespace warden {
namespace {

// A configuration file is a few hundred bytes; anything near this is not one.
constexpr uint64_t kMaxConfigFileBytes = 1 << 20;

constexpr int64_t kKiB = 1024;
constexpr int64_t kGiB = kKiB * kKiB * kKiB;
constexpr int kHourMs = 3'600'000;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

Result<int64_t> ParseInteger(std::string_view key, std::string_view text) {
  std::string_view t = Trim(text);
  int64_t value = 0;
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
  if (t.empty() || ec != std::errc() || end != t.data() + t.size()) {
    return Status::InvalidArgument(fmt::format("{}: '{}' is not an integer", key, text));
  }
  return value;
}

// A byte count: an integer, optionally followed by k, m or g (KiB, MiB, GiB; either case,
// optionally spelled out as KiB/MiB/GiB).
Result<int64_t> ParseSize(std::string_view key, std::string_view text) {
  std::string_view t = Trim(text);
  size_t digits = 0;
  while (digits < t.size() && std::isdigit(static_cast<unsigned char>(t[digits]))) ++digits;
  std::string_view suffix = t.substr(digits);
  int64_t unit = 1;
  if (!suffix.empty()) {
    char c = static_cast<char>(std::tolower(static_cast<unsigned char>(suffix[0])));
    std::string_view rest = suffix.substr(1);
    bool rest_ok = rest.empty() || rest == "iB" || rest == "ib" || rest == "IB";
    if (c == 'k' && rest_ok) {
      unit = kKiB;
    } else if (c == 'm' && rest_ok) {
      unit = kKiB * kKiB;
    } else if (c == 'g' && rest_ok) {
      unit = kGiB;
    } else {
      unit = 0;
    }
  }
  int64_t value = 0;
  auto [end, ec] = std::from_chars(t.data(), t.data() + digits, value);
  int64_t bytes = 0;
  if (digits == 0 || unit == 0 || ec != std::errc() || end != t.data() + digits ||
      __builtin_mul_overflow(value, unit, &bytes)) {
    return Status::InvalidArgument(fmt::format(
        "{}: '{}' is not a size (bytes, optionally with a k, m or g suffix)", key, text));
  }
  return bytes;
}

Result<double> ParseNumber(std::string_view key, std::string_view text) {
  std::string_view t = Trim(text);
  double value = 0;
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
  if (t.empty() || ec != std::errc() || end != t.data() + t.size() || !std::isfinite(value)) {
    return Status::InvalidArgument(fmt::format("{}: '{}' is not a number", key, text));
  }
  return value;
}

Result<bool> ParseBool(std::string_view key, std::string_view text) {
  std::string lower(Trim(text));
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "true" || lower == "1" || lower == "yes") return true;
  if (lower == "false" || lower == "0" || lower == "no") return false;
  return Status::InvalidArgument(
      fmt::format("{}: '{}' is not one of true, false, 1, 0, yes, no", key, text));
}

std::vector<std::string> ParseList(std::string_view text) {
  std::vector<std::string> items;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    std::string_view item = Trim(text.substr(start, comma - start));
    if (!item.empty()) items.emplace_back(item);
    start = comma + 1;
  }
  return items;
}

// Builders for the table. Each `set` parses, assigns, runs the setting's own check and puts the
// old value back if the check fails, so a refused value never lingers in the config.
template <typename T>
ServeSetting Make(std::string key, std::string help, T ServeConfig::*field,
                  std::function<Result<T>(std::string_view key, std::string_view)> parse,
                  std::function<std::string(const T&)> show,
                  std::function<Status(std::string_view key, const T&)> check) {
  ServeSetting s;
  s.key = key;
  s.help = std::move(help);
  s.check = [key, field, check](const ServeConfig& c) { return check(key, c.*field); };
  s.get = [field, show](const ServeConfig& c) { return show(c.*field); };
  s.set = [key, field, parse, check](std::string_view value, ServeConfig* c) -> Status {
    Result<T> parsed = parse(key, value);
    if (!parsed.ok()) return parsed.status();
    WARDEN_RETURN_IF_ERROR(check(key, *parsed));
    c->*field = std::move(parsed).value();
    return Status::Ok();
  };
  return s;
}

template <typename T>
std::function<Status(std::string_view, const T&)> InRange(T min, T max) {
  return [min, max](std::string_view key, const T& v) -> Status {
    if (v >= min && v <= max) return Status::Ok();
    return Status::InvalidArgument(
        fmt::format("{} must be between {} and {}, got {}", key, min, max, v));
  };
}

ServeSetting IntSetting(std::string key, std::string help, int ServeConfig::*field, int min,
                        int max) {
  return Make<int>(
      std::move(key), std::move(help), field,
      [](std::string_view k, std::string_view v) -> Result<int> {
        WARDEN_ASSIGN_OR_RETURN(int64_t n, ParseInteger(k, v));
        // Values beyond int would wrap in the cast; refuse them here with the text given.
        if (n < std::numeric_limits<int>::min() || n > std::numeric_limits<int>::max()) {
          return Status::InvalidArgument(fmt::format("{}: '{}' is out of range", k, v));
        }
        return static_cast<int>(n);
      },
      [](const int& v) { return std::to_string(v); }, InRange<int>(min, max));
}

ServeSetting Int64Setting(std::string key, std::string help, int64_t ServeConfig::*field,
                          int64_t min, int64_t max, bool size_suffixes) {
  return Make<int64_t>(
      std::move(key), std::move(help), field,
      [size_suffixes](std::string_view k, std::string_view v) {
        return size_suffixes ? ParseSize(k, v) : ParseInteger(k, v);
      },
      [](const int64_t& v) { return std::to_string(v); }, InRange<int64_t>(min, max));
}

ServeSetting DoubleSetting(std::string key, std::string help, double ServeConfig::*field,
                           double min_exclusive, double max) {
  return Make<double>(
      std::move(key), std::move(help), field, ParseNumber,
      [](const double& v) { return fmt::format("{}", v); },
      [min_exclusive, max](std::string_view k, const double& v) -> Status {
        if (std::isfinite(v) && v > min_exclusive && v <= max) return Status::Ok();
        return Status::InvalidArgument(
            fmt::format("{} must be above {} and at most {}, got {}", k, min_exclusive, max, v));
      });
}

ServeSetting BoolSetting(std::string key, std::string help, bool ServeConfig::*field) {
  return Make<bool>(
      std::move(key), std::move(help), field, ParseBool,
      [](const bool& v) { return std::string(v ? "true" : "false"); },
      [](std::string_view, const bool&) { return Status::Ok(); });
}

// A non-empty string; with `choices`, one of them.
ServeSetting StringSetting(std::string key, std::string help, std::string ServeConfig::*field,
                           std::vector<std::string> choices = {}) {
  return Make<std::string>(
      std::move(key), std::move(help), field,
      [](std::string_view, std::string_view v) -> Result<std::string> {
        return std::string(Trim(v));
      },
      [](const std::string& v) { return v; },
      [choices](std::string_view k, const std::string& v) -> Status {
        if (choices.empty()) {
          if (!v.empty()) return Status::Ok();
          return Status::InvalidArgument(fmt::format("{} must not be empty", k));
        }
        for (const std::string& choice : choices) {
          if (v == choice) return Status::Ok();
        }
        return Status::InvalidArgument(
            fmt::format("{}: '{}' is not one of {}", k, v, fmt::join(choices, ", ")));
      });
}

// `check_items`, if set, judges the whole list once its items are well-formed (e.g. that
// every allow-list entry is a host, an address or a CIDR range).
ServeSetting ListSetting(std::string key, std::string help,
                         std::vector<std::string> ServeConfig::*field,
                         Status (*check_items)(const std::vector<std::string>&) = nullptr) {
  return Make<std::vector<std::string>>(
      std::move(key), std::move(help), field,
      [](std::string_view, std::string_view v) -> Result<std::vector<std::string>> {
        return ParseList(v);
      },
      [](const std::vector<std::string>& v) { return fmt::format("{}", fmt::join(v, ", ")); },
      [check_items](std::string_view k, const std::vector<std::string>& v) -> Status {
        // Items set in code must still survive the round trip through text.
        for (const std::string& item : v) {
          if (item.empty() || item.find(',') != std::string::npos || Trim(item) != item) {
            return Status::InvalidArgument(
                fmt::format("{}: item '{}' is empty, has a comma or surrounding spaces", k, item));
          }
        }
        if (check_items == nullptr) return Status::Ok();
        Status s = check_items(v);
        return s.ok() ? s : Status::InvalidArgument(fmt::format("{}: {}", k, s.message()));
      });
}

// A bad CIDR range used to pass here and fail every fetch at request time instead.
Status CheckAllowList(const std::vector<std::string>& entries) {
  return http::AllowList::Parse(entries).status();
}

std::vector<ServeSetting> BuildSettings() {
  using C = ServeConfig;
  std::vector<ServeSetting> s;
  s.push_back(StringSetting("db", "SQLite file with the banks and API keys", &C::db));
  s.push_back(Make<std::string>(
      "audit_db", "SQLite file of the audit log (default: the db's name with .audit added)",
      &C::audit_db,
      [](std::string_view, std::string_view v) -> Result<std::string> {
        return std::string(Trim(v));
      },
      [](const std::string& v) { return v; },
      [](std::string_view, const std::string&) { return Status::Ok(); }));
  s.push_back(StringSetting("listen", "address to listen on (IPv4 or IPv6 literal, or a host name)",
                            &C::listen));
  s.push_back(
      IntSetting("port", "TCP port to listen on, 0..65535 (0: any free port)", &C::port, 0, 65535));
  s.push_back(IntSetting("io_threads", "threads reading and writing connections, 1..256",
                         &C::io_threads, 1, 256));
  s.push_back(IntSetting("worker_threads", "threads hashing and matching, 1..1024",
                         &C::worker_threads, 1, 1024));
  s.push_back(IntSetting("max_connections", "open connections at most; more are refused",
                         &C::max_connections, 1, 1'000'000));
  s.push_back(Int64Setting("max_body_bytes",
                           "largest request body in bytes; k, m, g suffixes mean KiB, MiB, GiB",
                           &C::max_body_bytes, 1, 16 * kGiB, true));
  s.push_back(Int64Setting("max_pixels", "largest image accepted, in pixels (width * height)",
                           &C::max_pixels, 1, 10'000'000'000, false));
  s.push_back(IntSetting("header_timeout_ms", "milliseconds a client may take to send the headers",
                         &C::header_timeout_ms, 1, kHourMs));
  s.push_back(IntSetting("read_timeout_ms", "longest pause in milliseconds while a body arrives",
                         &C::read_timeout_ms, 1, kHourMs));
  s.push_back(IntSetting("idle_timeout_ms", "milliseconds an idle keep-alive connection is kept",
                         &C::idle_timeout_ms, 1, kHourMs));
  s.push_back(IntSetting("drain_timeout_ms",
                         "milliseconds shutdown waits for requests in flight (0: none)",
                         &C::drain_timeout_ms, 0, kHourMs));
  s.push_back(IntSetting("max_lookup_batch", "hashes in one /v1/lookup request at most",
                         &C::max_lookup_batch, 1, 1'000'000));
  s.push_back(DoubleSetting("rate_limit",
                            "requests per second per API key (a key's own rate overrides)",
                            &C::rate_limit, 0, 1e9));
  s.push_back(DoubleSetting("rate_burst_s", "seconds of rate_limit a key may spend at once",
                            &C::rate_burst_s, 0, 3600));
  s.push_back(ListSetting("url_allow_list",
                          "hosts, addresses or CIDR ranges images may be fetched from, "
                          "comma-separated, even if private or loopback (public addresses need no entry)",
                          &C::url_allow_list, CheckAllowList));
  s.push_back(Int64Setting("fetch_max_bytes",
                           "largest fetched image in bytes; k, m, g suffixes mean KiB, MiB, GiB",
                           &C::fetch_max_bytes, 1, 16 * kGiB, true));
  s.push_back(IntSetting("fetch_timeout_ms", "milliseconds a URL fetch may take in total",
                         &C::fetch_timeout_ms, 1, kHourMs));
  s.push_back(StringSetting("pipeline", "how uploads are hashed: fullres, cli512 or fast",
                            &C::pipeline, {"fullres", "cli512", "fast"}));
  s.push_back(IntSetting("pdq_threshold", "largest PDQ distance that matches, 0..256",
                         &C::pdq_threshold, 0, 256));
  s.push_back(BoolSetting("dihedral", "also match the 8 rotations and flips of uploaded images",
                          &C::dihedral));
  s.push_back(IntSetting("refresh_interval_ms",
                         "how often writes by other processes are picked up, in milliseconds",
                         &C::refresh_interval_ms, 1, kHourMs));
  s.push_back(StringSetting("log_level", "least severe level logged: debug, info, warn or error",
                            &C::log_level, {"debug", "info", "warn", "error"}));
  s.push_back(StringSetting("log_format", "log line format: json or text", &C::log_format,
                            {"json", "text"}));
  s.push_back(BoolSetting("metrics_public", "serve /metrics without a key (else an admin key)",
                          &C::metrics_public));
  s.push_back(BoolSetting("audit_lookups",
                          "audit lookups and hashing too (curation is always audited)",
                          &C::audit_lookups));
  s.push_back(IntSetting("audit_retention_days",
                         "audit entries older than this many days are deleted, 0..36500 (0: kept "
                         "forever)",
                         &C::audit_retention_days, 0, 36500));
  return s;
}

const ServeSetting* FindSetting(std::string_view key) {
  for (const ServeSetting& setting : ServeSettings()) {
    if (setting.key == key) return &setting;
  }
  return nullptr;
}

}  // namespace

const std::vector<ServeSetting>& ServeSettings() {
  static const std::vector<ServeSetting>* const settings =
      new std::vector<ServeSetting>(BuildSettings());
  return *settings;
}

Status ApplyServeSetting(std::string_view key, std::string_view value, ServeConfig* config) {
  const ServeSetting* setting = FindSetting(key);
  if (setting == nullptr) {
    return Status::InvalidArgument(fmt::format("unknown setting '{}'", key));
  }
  return setting->set(value, config);
}

Status LoadServeConfigFile(const std::string& path, ServeConfig* config) {
  Result<std::vector<uint8_t>> bytes = ReadFileBytes(path, kMaxConfigFileBytes);
  if (!bytes.ok()) {
    // The contract promises kNotFound or kIoError: an unreadable file, a directory or an
    // oversized file is an I/O problem to the caller.
    if (bytes.status().code() == StatusCode::kNotFound) return bytes.status().WithContext(path);
    return Status::IoError(fmt::format("{}: {}", path, bytes.status().message()));
  }
  std::string_view text(reinterpret_cast<const char*>(bytes->data()), bytes->size());
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // a UTF-8 byte order mark

  // Parse into a copy so a file with an error changes nothing.
  ServeConfig parsed = *config;
  int line_number = 0;
  size_t start = 0;
  while (start < text.size()) {
    ++line_number;
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    // '#' starts a comment at the start of a line or after a space, so a value such as a
    // file name "data#2.db" keeps its '#'.
    for (size_t i = 0; i < line.size(); ++i) {
      if (line[i] == '#' && (i == 0 || std::isspace(static_cast<unsigned char>(line[i - 1])))) {
        line = line.substr(0, i);
        break;
      }
    }
    line = Trim(line);  // also drops the '\r' of CRLF files
    if (line.empty()) continue;
    std::string where = fmt::format("{}:{}", path, line_number);
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      return Status::InvalidArgument(
          fmt::format("{}: expected 'key = value', got '{}'", where, line));
    }
    std::string_view key = Trim(line.substr(0, eq));
    std::string_view value = Trim(line.substr(eq + 1));
    if (key.empty()) {
      return Status::InvalidArgument(fmt::format("{}: missing key before '='", where));
    }
    Status status = ApplyServeSetting(key, value, &parsed);
    if (!status.ok()) return status.WithContext(where);
  }
  *config = std::move(parsed);
  return Status::Ok();
}

Status ApplyServeEnvironment(const std::map<std::string, std::string>& environment,
                             ServeConfig* config) {
  ServeConfig parsed = *config;
  for (const ServeSetting& setting : ServeSettings()) {
    std::string name = "WARDEN_";
    for (char c : setting.key)
      name += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    auto it = environment.find(name);
    if (it == environment.end()) continue;
    Status status = setting.set(it->second, &parsed);
    if (!status.ok()) return status.WithContext("environment variable " + name);
  }
  *config = std::move(parsed);
  return Status::Ok();
}

Status ValidateServeConfig(const ServeConfig& config) {
  for (const ServeSetting& setting : ServeSettings()) {
    WARDEN_RETURN_IF_ERROR(setting.check(config));
  }
  return Status::Ok();
}

std::string DescribeServeConfig(const ServeConfig& config) {
  std::string out;
  for (const ServeSetting& setting : ServeSettings()) {
    out += setting.key;
    out += " = ";
    out += setting.get(config);
    out += '\n';
  }
  return out;
}

}  // namespace warden
