// `warden eval` runs in its own program, `warden-eval`, installed beside `warden`: the
// evaluation module links OpenCV and its ~140 shared libraries, which every `warden` start
// would otherwise load (about a quarter of a CPU second, even for `warden --version`).
// `warden` keeps the subcommand in its help and hands `warden eval ...` over with exec.
//
// Thread safety: ExecEvalProgram replaces the process; call it from main's thread only.
#ifndef WARDEN_SRC_CLI_EVAL_LAUNCHER_H_
#define WARDEN_SRC_CLI_EVAL_LAUNCHER_H_

namespace warden {

// The one-line description of `warden eval` in `warden --help`.
inline constexpr char kEvalCommandSummary[] =
    "Measure which transformed copies each signal catches on a corpus (issue 5).";

// The file name of the eval program, in the directory of the running `warden`.
inline constexpr char kEvalProgramName[] = "warden-eval";

// Replaces the process with `warden-eval` from the directory of the running executable
// (/proc/self/exe), passing `argv` unchanged (argv[0] stays what the user typed, so the
// command line recorded in the reports is the same). Returns only on failure: prints
// "warden: cannot run PATH: REASON" on standard error and returns exit status 1.
int ExecEvalProgram(char** argv);

}  // namespace warden

#endif  // WARDEN_SRC_CLI_EVAL_LAUNCHER_H_
