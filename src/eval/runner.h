// The evaluation run behind `warden eval`: references, queries, scores and metrics.
//
// References are the corpus photos with photo=1 and distinct=1. Query sources are a seeded
// set of references, every photo of people first. Each selected transform turns each source
// into a query (file bytes); each selected signal extracts a descriptor from it and scores it
// against every reference. The (query, source) pair is the positive; (query, reference) pairs
// are negatives except where the pair file calls the two related-content or derived, or the
// manifest puts them in one near-duplicate group (those are not unrelated).
//
// Thread safety: RunEval starts `jobs` worker threads and joins them before it returns.
#ifndef WARDEN_SRC_EVAL_RUNNER_H_
#define WARDEN_SRC_EVAL_RUNNER_H_

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "src/eval/eval_signal.h"
#include "src/eval/metrics.h"
#include "src/eval/transforms.h"
#include "warden/status.h"

namespace warden::eval {

struct EvalOptions {
  std::string corpus_dir;            // holds manifest.tsv
  std::string out_dir;               // created if missing
  std::string pairs_path;            // corpus-pairs.tsv, or "" for none
  std::vector<std::string> signals;  // names; empty = every registered signal
  std::string transforms = "all";    // see SelectTransforms
  size_t queries = 300;              // query sources
  int jobs = 1;                      // worker threads, >= 1
  uint64_t seed = 1;
  bool save_queries = false;  // write OUT/queries/TRANSFORM/NAME.EXT and masks
  bool progress = false;      // progress bar with time left on `err`
  std::string command_line;   // recorded in the summary
};

// One signal on one transform.
struct TransformOutcome {
  const TransformSpec* transform = nullptr;
  uint64_t queries = 0;   // positives, including failures
  uint64_t failures = 0;  // transform or extraction failed: never matches
  ScoreHistogram positives, negatives;
  // At the signal's standard operating point (when it has one):
  uint64_t standard_hits = 0;   // positives that match
  uint64_t standard_false = 0;  // negatives that match
  uint64_t low_quality = 0;     // queries under the quality floor
};

// A pair named by the pair file, scored with `a` as the query and `b` as the reference.
struct PairOutcome {
  std::string group, relation, a, b;
  int64_t key = kNeverMatches;
  bool at_fpr4 = false, at_fpr3 = false, at_standard = false;
};

struct SignalOutcome {
  std::string name, description;
  std::optional<StandardPoint> standard;
  double resolution = 1;
  bool similarity = false;
  std::vector<TransformOutcome> transforms;  // in transform order
  FprThreshold fpr4, fpr3;                   // ONE threshold each, over all transforms
  std::vector<PairOutcome> pairs;
  uint64_t reference_failures = 0;
};

struct EvalResults {
  std::vector<SignalOutcome> signals;
  std::vector<const TransformSpec*> transforms;
  size_t references = 0, sources = 0, people_sources = 0, queries = 0;
  size_t faces_found = 0;      // sources where the Haar cascade found a face
  bool face_detector = false;  // whether the cascade was available
  size_t excluded_pairs = 0;   // (reference, reference) pairs kept out of the negatives
  // Queries holding pixels of another reference (Query::used_donor): that (query, donor) pair
  // is kept out of the negatives too, once per query.
  size_t donor_pairs = 0;
  std::vector<std::string> notes;  // warnings worth a line in the summary
  double seconds = 0;
  std::string started_utc;  // e.g. "2026-11-27 15:40 UTC"
  std::string command_line;
  uint64_t seed = 0;
};

// Runs the evaluation and writes nothing but the queries (--save-queries); see report.h for
// the files. Errors: kNotFound / kCorruptData for the manifest or the pair file,
// kInvalidArgument for an unknown signal or transform or no references.
Result<EvalResults> RunEval(const EvalOptions& options, std::FILE* err);

}  // namespace warden::eval

#endif  // WARDEN_SRC_EVAL_RUNNER_H_
