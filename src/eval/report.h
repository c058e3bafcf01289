// The files `warden eval` writes from an EvalResults (src/eval/runner.h):
//   results.csv  one row per signal and transform, plus one "all" row per signal
//   pairs.csv    every pair the pair file names, per signal, with its score and decisions
//   summary.md   the tables, best first, with the command and the date
//   recall.png   recall at FPR 1e-4 per transform family, one bar per signal
//
// Thread safety: reentrant.
#ifndef WARDEN_SRC_EVAL_REPORT_H_
#define WARDEN_SRC_EVAL_REPORT_H_

#include <string>

#include "src/eval/runner.h"
#include "warden/status.h"

namespace warden::eval {

// The figures of one row of results.csv.
struct RowFigures {
  double recall_fpr4 = 0, recall_fpr3 = 0;
  PrecisionPoint p9999, p90;
  double micro_ap = 0;
  double standard_recall = 0, standard_fpr = 0;
};
RowFigures ComputeRow(const SignalOutcome& signal, const TransformOutcome& t);
// All transforms of a signal pooled into one outcome (the "all" row).
TransformOutcome PoolTransforms(const SignalOutcome& signal);

// Writes the four files into `out_dir` (created if missing). Errors: kIoError naming the file.
Status WriteReports(const EvalResults& results, const std::string& out_dir);

}  // namespace warden::eval

#endif  // WARDEN_SRC_EVAL_REPORT_H_
