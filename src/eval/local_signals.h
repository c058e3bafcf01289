// The local-feature signals of `warden eval` (issue 6), registered in eval_signal.cc:
//
// - `local`: warden/local_features.h. A query is extracted with kLocalQueryKeypoints; a
//   reference is its first kLocalStoredKeypoints (extraction is prefix-consistent) passed
//   through the stored form (EncodeLocalFeatures then DecodeLocalFeatures), exactly what a
//   registered image keeps. The score is LocalMatch::score (a similarity). Against all
//   references the runner scores as the deployed search does: the retrieval index
//   (src/local/local_index.h) proposes kEvalLocalCandidates candidates, only those are
//   verified, every other reference scores 0.
// - `pdq_local`: PDQ and local features as ONE signal: a pair matches when PDQ matches at
//   PDQ ALONE's own threshold at FPR 1e-4 (kPdqLocalPdqDistance, the `pdq` signal's calibrated
//   threshold), OR its local score is at least S. S is what the runner calibrates: the score
//   puts every PDQ match above every local score (PdqLocalScore), so the one threshold found
//   at FPR 1e-4 over the negatives is the smallest S that keeps the union's false positives
//   within the budget. When PDQ alone uses it all up, the threshold falls inside the PDQ band
//   and pdq_local is pdq. Either way pdq_local never catches less than pdq.
//
// Thread safety: as every Signal (eval_signal.h).
#ifndef WARDEN_SRC_EVAL_LOCAL_SIGNALS_H_
#define WARDEN_SRC_EVAL_LOCAL_SIGNALS_H_

#include <memory>

#include "src/eval/eval_signal.h"

namespace warden::eval {

// Candidates the index proposes per query (LocalSearchOptions' default).
inline constexpr int kEvalLocalCandidates = 32;

// PDQ alone's threshold at FPR 1e-4 (inclusive Hamming distance) as `warden eval` calibrates
// it for the `pdq` signal (docs/eval/summary.md). The runner notes in the summary when a run
// calibrates `pdq` elsewhere (EvalResults::notes), so the rule cannot drift unseen.
inline constexpr int kPdqLocalPdqDistance = 91;
// A PDQ match scores kPdqLocalBand + (kPdqLocalPdqDistance - distance): above any local score
// (at most 64 grid cells), closer hashes higher.
inline constexpr double kPdqLocalBand = 1000;
// pdq_local's score of a pair from its local score and PDQ distance (0..256).
double PdqLocalScore(double local_score, int pdq_distance);

std::unique_ptr<Signal> MakeLocalSignal();
std::unique_ptr<Signal> MakePdqLocalSignal();

}  // namespace warden::eval

#endif  // WARDEN_SRC_EVAL_LOCAL_SIGNALS_H_
