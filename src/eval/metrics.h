// Retrieval metrics of `warden eval` over quantised distance scores.
//
// A score is an integer key: the signal's distance divided by its resolution (a similarity
// is negated first), so smaller always means closer and ties are exact. A pair "matches" at
// threshold t when its key is <= t (inclusive, as PDQ's "distance <= 31").
//
// Positives are (query, its source) pairs, one per query; a query whose signal could not be
// extracted carries kNeverMatches and counts in every denominator. Negatives are (query,
// unrelated reference) pairs, kept as a histogram because there are millions of them.
//
// Definitions (docs/eval/summary.md repeats them):
//   recall at FPR f        ONE threshold t calibrated over the negatives of all transforms:
//                          the largest t with (negatives <= t) / negatives <= f; the recall of
//                          each transform is then read at that t.
//   recall at precision p  per transform (Thorn's perception): the highest recall over all
//                          thresholds t with TP(t) / (TP(t) + FP(t)) >= p.
//   micro-AP               DISC21's micro-average precision: all pairs of the transform ranked
//                          by score, AP = sum over distinct scores of (R_k - R_{k-1}) * P_k,
//                          where tied pairs enter together (the step-wise form); the recall
//                          denominator is the number of queries.
//   recall at 90% precision DISC21's second figure: the recall at precision p = 0.9 on that
//                          same ranking.
//
// Thread safety: value types and pure functions.
#ifndef WARDEN_SRC_EVAL_METRICS_H_
#define WARDEN_SRC_EVAL_METRICS_H_

#include <cstdint>
#include <limits>
#include <map>
#include <vector>

namespace warden::eval {

// The key of a query that never matches anything (extraction failed).
inline constexpr int64_t kNeverMatches = std::numeric_limits<int64_t>::max();
// A threshold below every key: nothing matches.
inline constexpr int64_t kMatchNothing = std::numeric_limits<int64_t>::min();

// Counts of integer score keys.
class ScoreHistogram {
 public:
  void Add(int64_t key, uint64_t count = 1);
  void Merge(const ScoreHistogram& other);
  uint64_t total() const { return total_; }
  // Number of keys <= t.
  uint64_t CountAtMost(int64_t t) const;
  const std::map<int64_t, uint64_t>& counts() const { return counts_; }

 private:
  std::map<int64_t, uint64_t> counts_;
  uint64_t total_ = 0;
};

struct FprThreshold {
  int64_t threshold = kMatchNothing;  // inclusive; kMatchNothing when no key qualifies
  uint64_t false_positives = 0;       // negatives <= threshold
  double fpr = 0;                     // false_positives / negatives (0 with no negatives)
};

// The largest threshold whose false-positive rate over `negatives` is <= max_fpr. Between
// two distinct negative keys a and b (a < b) it is b - 1: a positive whose key lies in the
// gap still matches. With no negatives every threshold qualifies: returns kNeverMatches - 1.
FprThreshold CalibrateAtFpr(const ScoreHistogram& negatives, double max_fpr);

// Fraction of `positives` with key <= t; 0 for no positives.
double RecallAt(const ScoreHistogram& positives, int64_t t);

struct PrecisionPoint {
  double recall = 0;
  double precision = 0;               // at that threshold; 0 when nothing matched
  int64_t threshold = kMatchNothing;  // inclusive; kMatchNothing when no threshold qualifies
};

// The highest recall over thresholds whose precision is >= min_precision (see the header
// comment). `num_queries` is the recall denominator (normally positives.total()).
PrecisionPoint RecallAtPrecision(const ScoreHistogram& positives, const ScoreHistogram& negatives,
                                 uint64_t num_queries, double min_precision);

// DISC21 micro-average precision of the ranking of positives and negatives together.
// 0 when num_queries is 0.
double MicroAveragePrecision(const ScoreHistogram& positives, const ScoreHistogram& negatives,
                             uint64_t num_queries);

}  // namespace warden::eval

#endif  // WARDEN_SRC_EVAL_METRICS_H_
