// `warden serve`: runs the matching service (src/server/service.h) until SIGTERM or SIGINT.
//
// Settings come from, lowest precedence first: built-in defaults, the config file (--config
// FILE or $WARDEN_CONFIG), WARDEN_<KEY> environment variables, then flags (--key-with-dashes
// VALUE). Every setting is declared once in src/server/serve_config.cc and `warden serve
// --help` lists them all with their defaults.
//
// Once the index is loaded and the socket listens, one line goes to standard output:
//   listening on http://127.0.0.1:8080
// (scripts and tests wait for it; with --port 0 it names the port the system chose). Logs are
// JSON lines (or text) on standard error. SIGTERM / SIGINT: stop accepting, finish in-flight
// requests, flush the audit log, exit 0.
//
// Exit status: 0 after a clean stop; 2 for a bad setting (naming it); 1 if the store cannot be
// opened or the port cannot be bound.
//
// Thread safety: one command per process; it owns the process's signal mask.
#ifndef WARDEN_SRC_CLI_SERVE_COMMAND_H_
#define WARDEN_SRC_CLI_SERVE_COMMAND_H_

#include <map>
#include <string>

#include <CLI/CLI.hpp>

namespace warden {

struct ServeCommandOptions {
  std::string config_file;
  std::map<std::string, std::string> flags;  // setting key -> value given on the command line
};

// Adds the `serve` subcommand with --config and one flag per setting.
CLI::App* AddServeCommand(CLI::App* app, ServeCommandOptions* options);

// Runs the service; returns the exit status.
int RunServeCommand(const ServeCommandOptions& options);

}  // namespace warden

#endif  // WARDEN_SRC_CLI_SERVE_COMMAND_H_
