// `warden eval`: measures which transformed copies of corpus photos each signal catches, at
// false-positive rates a hotline can live with (src/eval/runner.h does the work,
// src/eval/report.h writes results.csv, pairs.csv, summary.md and recall.png).
//
// Thread safety: RunEvalCommand starts worker threads internally; run one at a time.
#ifndef WARDEN_SRC_CLI_EVAL_COMMAND_H_
#define WARDEN_SRC_CLI_EVAL_COMMAND_H_

#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>

#include "src/eval/runner.h"

namespace warden {

struct EvalCommandOptions {
  eval::EvalOptions run;
  std::string signals;  // comma-separated, "" = all
  bool list = false;    // print signals and transforms, run nothing
};

// Adds the `eval` subcommand and its options to `app`; returns it.
CLI::App* AddEvalCommand(CLI::App* app, EvalCommandOptions* options);

// Runs the command. Returns the exit status: 0 done, 2 usage error (unknown signal or
// transform), 1 any other failure (missing manifest, unwritable output). Progress and
// warnings go to `err`; the paths written to `out`.
int RunEvalCommand(EvalCommandOptions options, std::FILE* out, std::FILE* err);

}  // namespace warden

#endif  // WARDEN_SRC_CLI_EVAL_COMMAND_H_
