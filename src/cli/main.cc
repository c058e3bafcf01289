// `warden`: the command line. Parses arguments with CLI11 and hands off to one function per
// subcommand; this file is the edge where exceptions are caught (STYLE.md, "Errors").
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <string>
#include <thread>
#include <vector>

#include "src/cli/bank_command.h"
#include "src/cli/cli_checks.h"
#include "src/cli/compare_command.h"
#include "src/cli/eval_launcher.h"
#include "src/cli/hash_command.h"
#include "src/cli/keys_command.h"
#include "src/cli/match_command.h"
#include "src/cli/output_format.h"
#include "src/cli/serve_command.h"
#include "warden/hasher.h"
#include "warden/pdq.h"

namespace warden {
namespace {

constexpr char kHashFooter[] = R"(Output (standard output, one line per input, in input order):
  text  pdqhex,quality,path  (as Meta's pdq-photo-hasher); with --dihedral:
        pdqhex,quality,rot90,rot180,rot270,flipx,flipy,flipplus1,flipminus1,path
  csv   header row, then path,pdq,quality,md5,sha1,sha256,width,height,format,pipeline,
        algorithm,algorithm_version,too_small[,pdq_orig,...,pdq_flipminus1]
  json  one object per line: path, pdq, quality, md5, sha1, sha256, width, height, format,
        pipeline, algorithm, algorithm_version, too_small[, dihedral{orig,...}]
  Digests (md5, sha1, sha256) are computed only for csv and json. Standard input is "-".
  --local adds the local signal: text "local:<hex>" before the path (import the lines with
  'warden bank import NAME -'), csv columns local,local_keypoints, json "local" and more.
An image under 5 px on a side hashes to all zeros with quality 0 (PDQ spec); json marks it
"too_small": true, text and csv also print a note on standard error.
A file that cannot be hashed gets one line "warden: PATH: REASON" on standard error; the
others are still hashed.
Exit status: 0 all hashed, 1 any input failed, 2 usage error.)";

int Run(int argc, char** argv) {
  if (argc >= 2 && std::string(argv[1]) == "eval") return ExecEvalProgram(argv);
  CLI::App app{"Warden: perceptual (PDQ) and exact (MD5, SHA-1, SHA-256) image hashing.", "warden"};
  app.set_version_flag("--version", std::string("warden " WARDEN_VERSION " (") +
                                        std::string(kPdqAlgorithm) + " algorithm version " +
                                        std::to_string(kPdqAlgorithmVersion) + ")");
  app.require_subcommand(1);
  app.footer("Run 'warden COMMAND --help' for a command's options.");

  // hash
  HashCommandOptions hash;
  std::string pipeline = "fullres";
  std::string format = "text";
  unsigned cores = std::thread::hardware_concurrency();
  hash.jobs = cores == 0 ? 1 : static_cast<int>(cores);
  CLI::App* hash_cmd = app.add_subcommand("hash", "Hash image files with PDQ (and digests).");
  hash_cmd->add_option("PATH", hash.paths, "Files, directories (with -r), or - for standard input")
      ->required();
  hash_cmd->add_flag("-r,--recursive", hash.recursive,
                     "Hash every file under directory PATHs, sorted by path");
  hash_cmd
      ->add_option("--pipeline", pipeline,
                   "fullres: full resolution (default; python-threatexchange, HMA); "
                   "cli512: squash to 512x512 (Meta's pdq-photo-hasher); "
                   "fast: JPEG decoded at reduced scale, within distance 10 of fullres")
      ->check(CLI::IsMember({"fullres", "cli512", "fast"}))
      ->capture_default_str();
  hash_cmd->add_flag("--dihedral", hash.dihedral, "Also print the 8 rotated/flipped PDQ hashes");
  hash_cmd->add_flag("--local", hash.local,
                     "Also compute the local-feature signal (about 10 ms an image), for banks");
  hash_cmd->add_option("--format", format, "Output format: text, csv or json")
      ->check(CLI::IsMember({"text", "csv", "json"}))
      ->capture_default_str();
  hash_cmd->add_option("-j,--jobs", hash.jobs, "Worker threads (default: number of cores)")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  hash_cmd
      ->add_option("--max-pixels", hash.max_pixels,
                   "Refuse images with more pixels than this, before decoding")
      ->check(PositiveInteger())
      ->capture_default_str();
  hash_cmd->footer(kHashFooter);

  // compare
  std::string hex1, hex2;
  CLI::App* compare_cmd =
      app.add_subcommand("compare",
                         "Print the Hamming distance (0..256) between two PDQ hashes (64 hex, "
                         "optionally pdq:-tagged). PDQ matches at distance <= 31.");
  compare_cmd->add_option("HEX1", hex1, "First PDQ hash")->required();
  compare_cmd->add_option("HEX2", hex2, "Second PDQ hash")->required();

  // bank, match (src/cli/bank_command.h, src/cli/match_command.h)
  BankCommandOptions bank;
  CLI::App* bank_cmd = AddBankCommand(&app, &bank);
  MatchCommandOptions match;
  CLI::App* match_cmd = AddMatchCommand(&app, &match);
  KeysCommandOptions keys;  // src/cli/keys_command.h
  CLI::App* keys_cmd = AddKeysCommand(&app, &keys);
  // `warden eval` is the separate program warden-eval (src/cli/eval_launcher.h); Run() hands
  // it over before parsing. The subcommand stays here for the help listing.
  CLI::App* eval_cmd = app.add_subcommand("eval", kEvalCommandSummary);
  eval_cmd->prefix_command();
  ServeCommandOptions serve;  // src/cli/serve_command.h
  CLI::App* serve_cmd = AddServeCommand(&app, &serve);

  CLI::App* help_cmd = app.add_subcommand("help", "Print this help.");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11 prints the message (or the help/version text) itself; every real parse error
    // is a usage error, exit 2.
    int code = app.exit(e);
    return code == 0 ? 0 : ExitCodeFor(StatusCode::kInvalidArgument);
  }

  if (help_cmd->parsed()) {
    // App::help() would describe the parsed subcommand ("help" itself); format the top level.
    std::fputs(app.get_formatter()->make_help(&app, "warden", CLI::AppFormatMode::Normal).c_str(),
               stdout);
    return 0;
  }
  if (compare_cmd->parsed()) return RunCompareCommand(hex1, hex2, stdout, stderr);
  if (bank_cmd->parsed()) {
    bank.progress = ::isatty(STDERR_FILENO) == 1;
    return RunBankCommand(bank, stdout, stderr);
  }
  if (match_cmd->parsed()) return RunMatchCommand(match, stdout, stderr);
  if (keys_cmd->parsed()) return RunKeysCommand(keys, stdout, stderr);
  if (serve_cmd->parsed()) return RunServeCommand(serve);
  if (eval_cmd->parsed()) return ExecEvalProgram(argv);

  // The checks above accept only valid names, so these parses cannot fail.
  hash.pipeline = *ParsePipeline(pipeline);
  hash.format = *ParseOutputFormat(format);
  hash.progress = ::isatty(STDERR_FILENO) == 1;
  return RunHashCommand(hash, stdin, stdout, stderr);
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
