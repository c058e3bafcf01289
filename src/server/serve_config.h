// ServeConfig: every setting of `warden serve`, from (lowest to highest precedence) the built-in
// defaults, a configuration file (--config FILE or WARDEN_CONFIG), WARDEN_* environment
// variables, and command-line flags.
//
// File format: one `key = value` per line; '#' starts a comment; blank lines are ignored; keys
// are the names in the table below (e.g. `port = 8080`, `url_allow_list = 127.0.0.1, ::1`). An
// unknown key or a bad value is an error naming the file, the line and the key.
// Environment: WARDEN_ + the key upper-cased (WARDEN_PORT=8080). Flags: --key-with-dashes VALUE
// (--port 8080, --url-allow-list ...).
//
// The table (ServeSettings()) is the one place a setting is declared: its name, default, help,
// and how it is parsed; `warden serve --help` prints it, so each setting is documented once.
//
// Thread safety: value types and reentrant functions.
#ifndef WARDEN_SRC_SERVER_SERVE_CONFIG_H_
#define WARDEN_SRC_SERVER_SERVE_CONFIG_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "warden/status.h"

namespace warden {

struct ServeConfig {
  // Storage
  std::string db = "warden.db";  // SQLite file with banks and keys
  std::string audit_db;          // SQLite file of the audit log; "" = DefaultAuditDbPath(db)
  // Network
  std::string listen = "127.0.0.1";
  int port = 8080;
  int io_threads = 2;
  int worker_threads = 4;
  int max_connections = 1024;
  // Limits
  int64_t max_body_bytes = 20 << 20;
  int64_t max_pixels = 100'000'000;
  int header_timeout_ms = 10'000;
  int read_timeout_ms = 30'000;
  int idle_timeout_ms = 60'000;
  int drain_timeout_ms = 10'000;
  int max_lookup_batch = 1000;  // hashes in one /v1/lookup request
  // Rate limiting: per key, requests per second (a key's own rate overrides), burst seconds
  double rate_limit = 1000;
  double rate_burst_s = 2.0;
  // URL fetching
  std::vector<std::string> url_allow_list;  // hosts, addresses or CIDR ranges
  int64_t fetch_max_bytes = 20 << 20;
  int fetch_timeout_ms = 10'000;
  // Matching
  std::string pipeline = "fullres";  // how uploads are hashed: fullres, cli512, fast
  int pdq_threshold = 31;
  bool dihedral = false;          // match the 8 rotations/flips of uploaded images
  int refresh_interval_ms = 250;  // how often writes by other processes are picked up
  // Operation
  std::string log_level = "info";   // debug, info, warn, error
  std::string log_format = "json";  // json or text
  bool metrics_public = false;      // serve /metrics without a key (else an admin key)
  bool audit_lookups = true;        // also audit lookups and hashing (curation is always)
  int audit_retention_days = 365;   // audit entries older than this are deleted; 0 = never
};

struct ServeSetting {
  std::string key;   // e.g. "max_body_bytes"
  std::string help;  // one line
  // Parses `value` into the config. Errors: kInvalidArgument naming the accepted values.
  std::function<Status(std::string_view value, ServeConfig* config)> set;
  // The current value as text (for --help defaults and the startup log).
  std::function<std::string(const ServeConfig& config)> get;
  // Checks the setting's current value is in its range (what ValidateServeConfig runs for
  // every setting; `set` runs it too, so a bad value is refused where it was written).
  // Errors: kInvalidArgument "key must be ..., got ...".
  std::function<Status(const ServeConfig& config)> check;
};

// Every setting, in the order --help prints them.
const std::vector<ServeSetting>& ServeSettings();

// Applies one `key = value`. Errors: kInvalidArgument "unknown setting 'x'" or the parse error.
Status ApplyServeSetting(std::string_view key, std::string_view value, ServeConfig* config);
// Reads a config file. Errors: kNotFound / kIoError naming the path; kInvalidArgument naming
// "path:line: ..." for a malformed line, an unknown key or a bad value. On error `config` is
// unchanged. A '#' starts a comment at the start of a line or after whitespace (so a value like
// "data#2.db" keeps its '#'); a later line for the same key wins.
Status LoadServeConfigFile(const std::string& path, ServeConfig* config);
// Applies every WARDEN_<KEY> variable present in `environment` (e.g. from `environ`); other
// WARDEN_ variables that are not settings (WARDEN_DB is one: it is `db`) are ignored.
// On error `config` is unchanged; the message names the variable.
Status ApplyServeEnvironment(const std::map<std::string, std::string>& environment,
                             ServeConfig* config);
// Checks ranges (port 0..65535, threads >= 1, positive limits, pipeline name, log level, ...).
Status ValidateServeConfig(const ServeConfig& config);
// "key = value" lines for every setting (what the server logs at startup).
std::string DescribeServeConfig(const ServeConfig& config);

}  // namespace warden

#endif  // WARDEN_SRC_SERVER_SERVE_CONFIG_H_
