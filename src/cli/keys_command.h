// `warden keys ...`: manage the API keys of `warden serve` (src/server/api_keys.h) in the store
// named by --db, while the server runs or not (it sees changes within its refresh interval).
//
//   warden keys create --role hasher|matcher|curator|admin --name N [--rate-limit RPS]
//                      [--format text|json]
//   warden keys list [--format text|json]
//   warden keys revoke ID_OR_NAME
//
// --db PATH (default ./warden.db, or $WARDEN_DB) may be given before or after the action.
// create prints the full key alone on the first line of standard output (text), or one JSON
// object {"key","key_id","name","role","rate_limit"}, and a note on standard error that the
// key is shown only this once (only a salted hash of its secret is stored). list never shows
// secrets: id, name, role, rate limit (0 = the server's default), created, revoked; text is a
// table, json one object per line. revoke takes a key id or the name of an active key.
//
// Errors: one line "warden: ..." on standard error; exit 2 for usage errors (bad role, bad
// name, negative rate limit, bad option), 1 otherwise (no such store, unknown key to revoke,
// name already taken by an active key, storage failure).
//
// Thread safety: one command per process; not reentrant (CLI11 state).
#ifndef WARDEN_SRC_CLI_KEYS_COMMAND_H_
#define WARDEN_SRC_CLI_KEYS_COMMAND_H_

#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>

#include "src/cli/bank_command.h"

namespace warden {

struct KeysCommandOptions {
  std::string db = kDefaultDbPath;
  std::string action;  // create, list, revoke
  // create
  std::string role;
  std::string name;
  double rate_limit = 0;  // requests per second; 0 = the server's default
  // create, list
  std::string format = "text";
  // revoke
  std::string id_or_name;
};

// Registers `keys` and its actions on `app`; parsed values land in *options, which must
// outlive the parse. Returns the `keys` subcommand (check ->parsed()).
CLI::App* AddKeysCommand(CLI::App* app, KeysCommandOptions* options);

// Runs the parsed command. Returns the exit status (0, 1 or 2, see above).
int RunKeysCommand(const KeysCommandOptions& options, std::FILE* out, std::FILE* err);

}  // namespace warden

#endif  // WARDEN_SRC_CLI_KEYS_COMMAND_H_
