#include "src/cli/eval_command.h"

#include <sstream>
#include <thread>

#include "src/cli/eval_launcher.h"
#include "src/eval/eval_signal.h"
#include "src/eval/report.h"
#include "src/eval/transforms.h"

namespace warden {

CLI::App* AddEvalCommand(CLI::App* app, EvalCommandOptions* o) {
  CLI::App* cmd = app->add_subcommand("eval", kEvalCommandSummary);
  const unsigned cores = std::thread::hardware_concurrency();
  o->run.jobs = cores == 0 ? 1 : static_cast<int>(cores);
  cmd->add_option("--corpus", o->run.corpus_dir, "Corpus folder holding manifest.tsv");
  cmd->add_option("--out", o->run.out_dir,
                  "Folder for results.csv, pairs.csv, summary.md, recall.png");
  cmd->add_option("--pairs", o->run.pairs_path,
                  "corpus-pairs.tsv naming distinct-photos, related-content and derived groups");
  cmd->add_option("--signals", o->signals, "Comma-separated signals (default: all)");
  cmd->add_option("--transforms", o->run.transforms,
                  "Comma-separated transforms or families, or all")
      ->capture_default_str();
  cmd->add_option("--queries", o->run.queries, "Query sources (photos of people first)")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  cmd->add_option("-j,--jobs", o->run.jobs, "Worker threads (default: number of cores)")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  cmd->add_option("--seed", o->run.seed, "Seed of every random choice")->capture_default_str();
  cmd->add_flag("--save-queries", o->run.save_queries,
                "Also write every query (and regeneration mask) under OUT/queries/");
  cmd->add_flag("--list", o->list, "List the signals and transforms, then exit");
  return cmd;
}

int RunEvalCommand(EvalCommandOptions options, std::FILE* out, std::FILE* err) {
  if (options.list) {
    std::fprintf(out, "signals:\n");
    for (const std::string& name : eval::SignalNames()) {
      auto s = eval::MakeSignal(name);
      std::fprintf(out, "  %-14s %s\n", name.c_str(),
                   s.ok() ? std::string((*s)->description()).c_str() : "");
    }
    std::fprintf(out, "transforms:\n");
    for (const eval::TransformSpec& t : eval::AllTransforms()) {
      std::fprintf(out, "  %-30s %-13s %s\n", t.name.c_str(), t.family.c_str(),
                   t.description.c_str());
    }
    return 0;
  }
  if (options.run.corpus_dir.empty() || options.run.out_dir.empty()) {
    std::fprintf(err, "warden eval: --corpus and --out are required\n");
    return ExitCodeFor(StatusCode::kInvalidArgument);
  }
  std::stringstream list(options.signals);
  for (std::string name; std::getline(list, name, ',');) {
    if (!name.empty()) options.run.signals.push_back(name);
  }
  auto results = eval::RunEval(options.run, err);
  if (!results.ok()) {
    std::fprintf(err, "warden eval: %s\n", results.status().ToString().c_str());
    return ExitCodeFor(results.status().code());
  }
  const Status written = eval::WriteReports(*results, options.run.out_dir);
  if (!written.ok()) {
    std::fprintf(err, "warden eval: %s\n", written.ToString().c_str());
    return ExitCodeFor(written.code());
  }
  std::fprintf(out, "%s/summary.md\n%s/results.csv\n%s/pairs.csv\n%s/recall.png\n",
               options.run.out_dir.c_str(), options.run.out_dir.c_str(),
               options.run.out_dir.c_str(), options.run.out_dir.c_str());
  std::fprintf(err, "warden eval: %zu queries per signal in %.1f min\n", results->queries,
               results->seconds / 60);
  return 0;
}

}  // namespace warden
