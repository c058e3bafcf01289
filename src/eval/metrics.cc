#include "src/eval/metrics.h"

#include <algorithm>
#include <iterator>

namespace warden::eval {

void ScoreHistogram::Add(int64_t key, uint64_t count) {
  if (count == 0) return;
  counts_[key] += count;
  total_ += count;
}

void ScoreHistogram::Merge(const ScoreHistogram& other) {
  for (const auto& [key, count] : other.counts_) Add(key, count);
}

uint64_t ScoreHistogram::CountAtMost(int64_t t) const {
  uint64_t n = 0;
  for (const auto& [key, count] : counts_) {
    if (key > t) break;
    n += count;
  }
  return n;
}

FprThreshold CalibrateAtFpr(const ScoreHistogram& negatives, double max_fpr) {
  FprThreshold result;
  if (negatives.total() == 0) {
    result.threshold = kNeverMatches - 1;
    return result;
  }
  const double total = static_cast<double>(negatives.total());
  uint64_t below = 0;  // negatives with key < the key being considered
  for (const auto& [key, count] : negatives.counts()) {
    if (static_cast<double>(below + count) / total > max_fpr) {
      // Including `key` breaks the budget: stop just under it. A threshold of key - 1 also
      // admits every key in the gap since the previous negative.
      result.threshold = key == kMatchNothing ? kMatchNothing : key - 1;
      result.false_positives = below;
      result.fpr = static_cast<double>(below) / total;
      return result;
    }
    below += count;
  }
  // Every negative fits in the budget (max_fpr >= 1).
  result.threshold = kNeverMatches - 1;
  result.false_positives = below;
  result.fpr = static_cast<double>(below) / total;
  return result;
}

double RecallAt(const ScoreHistogram& positives, int64_t t) {
  if (positives.total() == 0) return 0;
  return static_cast<double>(positives.CountAtMost(t)) / static_cast<double>(positives.total());
}

namespace {

// Walks the distinct keys of both histograms in increasing order, calling
// visit(key, tp, fp) with the cumulative counts at threshold = key. kNeverMatches keys are
// never visited: such a positive matches at no threshold.
template <typename Visit>
void WalkThresholds(const ScoreHistogram& positives, const ScoreHistogram& negatives, Visit visit) {
  auto p = positives.counts().begin();
  auto n = negatives.counts().begin();
  const auto p_end = positives.counts().end();
  const auto n_end = negatives.counts().end();
  uint64_t tp = 0, fp = 0;
  while (p != p_end || n != n_end) {
    int64_t key;
    if (n == n_end || (p != p_end && p->first <= n->first)) {
      key = p->first;
    } else {
      key = n->first;
    }
    if (key == kNeverMatches) break;
    if (p != p_end && p->first == key) tp += (p++)->second;
    if (n != n_end && n->first == key) fp += (n++)->second;
    visit(key, tp, fp);
  }
}

}  // namespace

PrecisionPoint RecallAtPrecision(const ScoreHistogram& positives, const ScoreHistogram& negatives,
                                 uint64_t num_queries, double min_precision) {
  PrecisionPoint best;
  if (num_queries == 0) return best;
  WalkThresholds(positives, negatives, [&](int64_t key, uint64_t tp, uint64_t fp) {
    if (tp + fp == 0) return;
    const double precision = static_cast<double>(tp) / static_cast<double>(tp + fp);
    const double recall = static_cast<double>(tp) / static_cast<double>(num_queries);
    if (precision >= min_precision && recall > best.recall) {
      best.recall = recall;
      best.precision = precision;
      best.threshold = key;
    }
  });
  return best;
}

double MicroAveragePrecision(const ScoreHistogram& positives, const ScoreHistogram& negatives,
                             uint64_t num_queries) {
  if (num_queries == 0) return 0;
  double ap = 0;
  uint64_t previous_tp = 0;
  WalkThresholds(positives, negatives, [&](int64_t, uint64_t tp, uint64_t fp) {
    if (tp == previous_tp) return;
    const double precision = static_cast<double>(tp) / static_cast<double>(tp + fp);
    ap += static_cast<double>(tp - previous_tp) / static_cast<double>(num_queries) * precision;
    previous_tp = tp;
  });
  return ap;
}

}  // namespace warden::eval
