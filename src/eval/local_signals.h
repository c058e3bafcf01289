// The local-feature signals of `warden eval` (issue 6), registered in eval_signal.cc:
//
// - `local`: warden/local_features.h. A query is extracted with kLocalQueryKeypoints; a
//   reference is its first kLocalStoredKeypoints (extraction is prefix-consistent) passed
//   through the stored form (EncodeLocalFeatures then DecodeLocalFeatures), exactly what a
//   registered image keeps. The score is LocalMatch::score (a similarity). Against all
//   references the runner scores as the deployed search does: the retrieval index
//   (src/local/local_index.h) proposes kEvalLocalCandidates candidates, only those are
//   verified, every other reference scores 0.
// - `pdq_local`: PDQ and local features as ONE signal with one threshold: the score is
//   max(local score, PdqOnLocalScale(PDQ distance)), so a pair matches when either signal
//   is confident enough on the same scale.
//
// Thread safety: as every Signal (eval_signal.h).
#ifndef WARDEN_SRC_EVAL_LOCAL_SIGNALS_H_
#define WARDEN_SRC_EVAL_LOCAL_SIGNALS_H_

#include <memory>

#include "src/eval/eval_signal.h"

namespace warden::eval {

// Candidates the index proposes per query (LocalSearchOptions' default).
inline constexpr int kEvalLocalCandidates = 32;

// pdq_local's mapping of a PDQ distance (0..256) onto the local score's scale: linear,
// kPdqLocalAnchorDistance lands on kLocalDefaultMinScore and each bit closer adds
// kPdqLocalPointsPerBit; never below 0.
inline constexpr int kPdqLocalAnchorDistance = 91;
inline constexpr double kPdqLocalPointsPerBit = 0.25;
double PdqOnLocalScale(int pdq_distance);

std::unique_ptr<Signal> MakeLocalSignal();
std::unique_ptr<Signal> MakePdqLocalSignal();

}  // namespace warden::eval

#endif  // WARDEN_SRC_EVAL_LOCAL_SIGNALS_H_
