// `warden bank ...`: manage banks (hash lists) in the store named by --db.
//
//   warden bank create NAME [--description T] [--kind positive|negative] [--source S] [--ratio R]
//   warden bank list|stats [--format text|json]
//   warden bank show NAME [--format text|json]
//   warden bank enable|disable|delete NAME
//   warden bank import NAME FILE|- [--format F] [--batch-size N] [--quarantine PATH]
//   warden bank export NAME [--format F] [--out PATH]
//   warden bank item show|enable|disable|delete NAME ID
//
// --db PATH (default ./warden.db, or $WARDEN_DB) picks the SQLite store; it may be given before
// or after the action. Import prints its summary on standard output (added, updated, removed,
// duplicate, not found, superseded, quarantined) and each quarantined record as
// "warden: FILE:LINE: REASON" on standard error (the first 20; --quarantine PATH gets them all
// as JSON Lines); a progress count on standard error when it is a terminal. A quarantined
// record does not make the import fail (exit 0): the summary counts it. Export writes to
// standard output, or with --out to a temporary file renamed over PATH only once complete.
//
// Errors: one line "warden: ..." on standard error naming the problem; exit 2 for usage
// errors (bad name, bad option value, malformed input), 1 otherwise (unknown bank or item,
// store failure). A failed command changes nothing it has not reported (imports commit in
// batches: the batches reported by the progress count stay committed).
//
// Thread safety: one command per process; not reentrant (CLI11 state).
#ifndef WARDEN_SRC_CLI_BANK_COMMAND_H_
#define WARDEN_SRC_CLI_BANK_COMMAND_H_

#include <cstdint>
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>

namespace warden {

// The default store path of `bank` and `match`.
inline constexpr char kDefaultDbPath[] = "warden.db";

struct BankCommandOptions {
  std::string db = kDefaultDbPath;
  std::string action;  // create, list, show, enable, disable, delete, import, export, stats, item
  std::string name;
  // create
  std::string description;
  std::string kind = "positive";
  std::string source = "own_assessment";
  double ratio = 1.0;
  // list, show, stats: text or json; import/export: a bank format name ("" = detect / jsonl)
  std::string format;
  // import
  std::string file;
  int batch_size = 50'000;  // ImportOptions::batch_size explains the figure
  std::string quarantine_path;
  bool progress = false;  // print progress on `err`
  // export
  std::string out_path;
  // item
  std::string item_action;  // show, enable, disable, delete
  int64_t item_id = 0;
};

// Registers `bank` and its actions on `app`; parsed values land in *options, which must
// outlive the parse. Returns the `bank` subcommand (check ->parsed()).
CLI::App* AddBankCommand(CLI::App* app, BankCommandOptions* options);

// Runs the parsed command. Returns the exit status (0, 1 or 2, see above).
int RunBankCommand(const BankCommandOptions& options, std::FILE* out, std::FILE* err);

}  // namespace warden

#endif  // WARDEN_SRC_CLI_BANK_COMMAND_H_
