// `warden-eval`: the program behind `warden eval` (src/cli/eval_launcher.h explains the split).
// `warden` execs it with its own arguments, so it parses the same command line, "warden eval
// OPTIONS...", with the same options, help and exit statuses as before the split. This file is
// the edge where exceptions are caught (STYLE.md, "Errors").
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <string>

#include "src/cli/eval_command.h"
#include "warden/status.h"

namespace warden {
namespace {

int Run(int argc, char** argv) {
  CLI::App app{"Warden: perceptual (PDQ) and exact (MD5, SHA-1, SHA-256) image hashing.", "warden"};
  app.require_subcommand(1);
  // The same footer as main.cc, which the subcommand's help shows too.
  app.footer("Run 'warden COMMAND --help' for a command's options.");
  EvalCommandOptions eval;  // src/cli/eval_command.h
  AddEvalCommand(&app, &eval);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // As in main.cc: CLI11 prints the message or the help text; a parse error is exit 2.
    int code = app.exit(e);
    return code == 0 ? 0 : ExitCodeFor(StatusCode::kInvalidArgument);
  }
  eval.run.progress = ::isatty(STDERR_FILENO) == 1;
  for (int i = 0; i < argc; ++i) eval.run.command_line += (i ? " " : "") + std::string(argv[i]);
  return RunEvalCommand(eval, stdout, stderr);
}

}  // namespace
}  // namespace warden

int main(int argc, char** argv) {
  try {
    return warden::Run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "warden: internal error: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "warden: internal error: unknown exception\n");
  }
  return 1;
}
