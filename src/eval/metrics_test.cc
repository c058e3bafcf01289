#include "src/eval/metrics.h"

#include <gtest/gtest.h>

namespace warden::eval {
namespace {

// Four queries: source distances 0, 2, 5 and one failed extraction. Ten negatives: one at 1,
// two at 3, seven at 6. Every expected value below is worked out by hand in the comments.
class SmallCase : public ::testing::Test {
 protected:
  void SetUp() override {
    positives_.Add(0);
    positives_.Add(2);
    positives_.Add(5);
    positives_.Add(kNeverMatches);
    negatives_.Add(1);
    negatives_.Add(3, 2);
    negatives_.Add(6, 7);
  }
  ScoreHistogram positives_, negatives_;
};

TEST_F(SmallCase, HistogramCounts) {
  EXPECT_EQ(negatives_.total(), 10u);
  EXPECT_EQ(negatives_.CountAtMost(0), 0u);
  EXPECT_EQ(negatives_.CountAtMost(3), 3u);
  EXPECT_EQ(negatives_.CountAtMost(100), 10u);
  ScoreHistogram merged = negatives_;
  merged.Merge(negatives_);
  EXPECT_EQ(merged.total(), 20u);
  EXPECT_EQ(merged.counts().at(6), 14u);
}

TEST_F(SmallCase, CalibrateAtFpr) {
  // 1/10 = 0.1 fits a budget of 0.1; adding the two at 3 gives 0.3: stop at 3 - 1 = 2.
  FprThreshold t = CalibrateAtFpr(negatives_, 0.1);
  EXPECT_EQ(t.threshold, 2);
  EXPECT_EQ(t.false_positives, 1u);
  EXPECT_DOUBLE_EQ(t.fpr, 0.1);
  // Even the first negative (0.1) is over 0.05: threshold just under it, 0.
  t = CalibrateAtFpr(negatives_, 0.05);
  EXPECT_EQ(t.threshold, 0);
  EXPECT_EQ(t.false_positives, 0u);
  // 3/10 fits 0.3 exactly; 10/10 does not: just under 6.
  EXPECT_EQ(CalibrateAtFpr(negatives_, 0.3).threshold, 5);
  // No negatives at all: everything may match.
  EXPECT_EQ(CalibrateAtFpr(ScoreHistogram(), 1e-4).threshold, kNeverMatches - 1);
}

TEST_F(SmallCase, RecallAt) {
  EXPECT_DOUBLE_EQ(RecallAt(positives_, kMatchNothing), 0.0);
  EXPECT_DOUBLE_EQ(RecallAt(positives_, 0), 0.25);
  EXPECT_DOUBLE_EQ(RecallAt(positives_, 2), 0.5);
  // The failed query never matches, even at the loosest threshold.
  EXPECT_DOUBLE_EQ(RecallAt(positives_, kNeverMatches - 1), 0.75);
}

TEST_F(SmallCase, RecallAtPrecision) {
  // Thresholds: 0 (tp1 fp0), 1 (1,1), 2 (2,1), 3 (2,3), 5 (3,3), 6 (3,10).
  PrecisionPoint p = RecallAtPrecision(positives_, negatives_, 4, 0.5);
  EXPECT_DOUBLE_EQ(p.recall, 0.75);  // at 5: 3/6 = 0.5
  EXPECT_DOUBLE_EQ(p.precision, 0.5);
  EXPECT_EQ(p.threshold, 5);
  p = RecallAtPrecision(positives_, negatives_, 4, 0.6);
  EXPECT_DOUBLE_EQ(p.recall, 0.5);  // at 2: 2/3
  EXPECT_EQ(p.threshold, 2);
  p = RecallAtPrecision(positives_, negatives_, 4, 1.0);
  EXPECT_DOUBLE_EQ(p.recall, 0.25);
  EXPECT_EQ(p.threshold, 0);
  // Nothing reaches precision 1 when the first key holds a negative.
  ScoreHistogram pos, neg;
  pos.Add(3);
  neg.Add(1);
  p = RecallAtPrecision(pos, neg, 1, 0.9999);
  EXPECT_DOUBLE_EQ(p.recall, 0.0);
  EXPECT_EQ(p.threshold, kMatchNothing);
}

TEST_F(SmallCase, MicroAveragePrecision) {
  // Recall steps of 1/4 at keys 0 (P 1), 2 (P 2/3), 5 (P 3/6):
  // 0.25 * 1 + 0.25 * 2/3 + 0.25 * 0.5 = 0.541666...
  EXPECT_NEAR(MicroAveragePrecision(positives_, negatives_, 4), 0.25 + 0.25 * 2.0 / 3 + 0.125,
              1e-12);
  // A positive tied with a negative enters with it: precision 1/2.
  ScoreHistogram pos, neg;
  pos.Add(1);
  neg.Add(1);
  EXPECT_DOUBLE_EQ(MicroAveragePrecision(pos, neg, 1), 0.5);
  // Perfect separation gives 1; no queries gives 0.
  ScoreHistogram far;
  far.Add(7, 100);
  EXPECT_DOUBLE_EQ(MicroAveragePrecision(pos, far, 1), 1.0);
  EXPECT_DOUBLE_EQ(MicroAveragePrecision(pos, far, 0), 0.0);
}

}  // namespace
}  // namespace warden::eval
