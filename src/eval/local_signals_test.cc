#include "src/eval/local_signals.h"

#include <gtest/gtest.h>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "src/eval/cv_image.h"
#include "src/eval/eval_test_util.h"
#include "warden/file_bytes.h"

namespace warden::eval {
namespace {

std::vector<uint8_t> Jpeg(const cv::Mat& m) {
  auto bytes = Encode(m, "jpeg", 90);
  EXPECT_TRUE(bytes.ok());
  return bytes.ok() ? *bytes : std::vector<uint8_t>();
}

Descriptor Extract(const Signal& s, const std::vector<uint8_t>& bytes, ExtractionMemo* memo) {
  auto d = s.Extract(SignalInput{bytes, nullptr, memo});
  EXPECT_TRUE(d.ok()) << d.status().ToString();
  return d.ok() ? *d : Descriptor();
}

TEST(LocalSignalsTest, PdqLocalScoreIsPdqAtItsThresholdOrLocal) {
  // A PDQ match at pdq's own threshold lands in the band above every local score, closer
  // hashes higher; beyond it the local score decides alone.
  EXPECT_EQ(PdqLocalScore(3, kPdqLocalPdqDistance), kPdqLocalBand);
  EXPECT_EQ(PdqLocalScore(40, kPdqLocalPdqDistance - 5), kPdqLocalBand + 5);
  EXPECT_EQ(PdqLocalScore(0, 0), kPdqLocalBand + kPdqLocalPdqDistance);
  EXPECT_EQ(PdqLocalScore(7, kPdqLocalPdqDistance + 1), 7);
  EXPECT_EQ(PdqLocalScore(0, 256), 0);
  EXPECT_EQ(kPdqLocalPdqDistance, 91);
}

class LocalSignalsPhotoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // A benign test photo (the PDQ test images' bridge), a copy turned by 8 degrees and
    // cropped to its middle (PDQ loses it, local features not), and two unrelated images.
    auto bytes = ReadFileBytes(std::string(WARDEN_TESTDATA) +
                               "/pdq/images/reg-test-input/dih/bridge-1-original.jpg");
    ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
    auto photo = DecodeToBgr(*bytes);
    ASSERT_TRUE(photo.ok());
    const int w = photo->cols, h = photo->rows;
    cv::Mat turned;
    cv::warpAffine(*photo, turned, cv::getRotationMatrix2D(cv::Point2f(w / 2.0f, h / 2.0f), 8, 1.0),
                   photo->size());
    original_ = *bytes;
    copy_ = Jpeg(turned(cv::Rect(w / 8, h / 8, w * 3 / 4, h * 3 / 4)).clone());
    auto other = ReadFileBytes(std::string(WARDEN_TESTDATA) +
                               "/pdq/images/reg-test-input/labelme-subset/q0003.jpg");
    ASSERT_TRUE(other.ok());
    others_ = {*other, Jpeg(MakeTestPhoto(500, 500, 12))};
  }
  std::vector<uint8_t> original_, copy_;
  std::vector<std::vector<uint8_t>> others_;
};

TEST_F(LocalSignalsPhotoTest, LocalFindsTheTurnedCropAndScoresAsTheScorer) {
  auto local = MakeSignal("local");
  ASSERT_TRUE(local.ok());
  const Signal& s = **local;
  EXPECT_EQ(s.direction(), ScoreDirection::kSimilarity);
  ASSERT_TRUE(s.standard_point().has_value());
  EXPECT_EQ(s.standard_point()->max_distance, kLocalDefaultMinScore);

  const Descriptor ref = Extract(s, original_, nullptr);
  const Descriptor other0 = Extract(s, others_[0], nullptr);
  const Descriptor other1 = Extract(s, others_[1], nullptr);
  const Descriptor query = Extract(s, copy_, nullptr);
  const double direct = s.Score(query, ref);
  EXPECT_GE(direct, kLocalDefaultMinScore);
  EXPECT_LT(s.Score(query, other0), kLocalDefaultMinScore);
  EXPECT_LT(s.Score(query, other1), kLocalDefaultMinScore);

  // The batch path (index candidates, then verification) gives the source the same score;
  // a null reference keeps its entry.
  const auto scorer = s.MakeScorer({&other0, nullptr, &ref, &other1});
  std::vector<double> scores(4, -7);
  scorer->ScoreAll(query, scores);
  EXPECT_EQ(scores[2], direct);
  EXPECT_EQ(scores[1], -7);
  EXPECT_LE(scores[0], s.Score(query, other0));
  EXPECT_LE(scores[3], s.Score(query, other1));
}

TEST_F(LocalSignalsPhotoTest, PdqLocalIsPdqOrLocal) {
  auto pdq_local = MakeSignal("pdq_local");
  auto local = MakeSignal("local");
  auto pdq = MakeSignal("pdq");
  ASSERT_TRUE(pdq_local.ok() && local.ok() && pdq.ok());
  // One memo: pdq_local reuses the extraction the other two made.
  ExtractionMemo memo_ref, memo_query;
  const Descriptor l_ref = Extract(**local, original_, &memo_ref);
  const Descriptor p_ref = Extract(**pdq, original_, &memo_ref);
  const Descriptor c_ref = Extract(**pdq_local, original_, &memo_ref);
  const Descriptor l_q = Extract(**local, copy_, &memo_query);
  const Descriptor p_q = Extract(**pdq, copy_, &memo_query);
  const Descriptor c_q = Extract(**pdq_local, copy_, &memo_query);
  const double l = (*local)->Score(l_q, l_ref);
  const int d = static_cast<int>((*pdq)->Score(p_q, p_ref));
  // The turned crop is beyond PDQ's threshold: its score is the local score.
  EXPECT_GT(d, kPdqLocalPdqDistance);
  EXPECT_EQ((*pdq_local)->Score(c_q, c_ref), l);
  // Against itself PDQ is at distance 0: the top of the PDQ band.
  EXPECT_EQ((*pdq_local)->Score(c_ref, c_ref), kPdqLocalBand + kPdqLocalPdqDistance);
  std::vector<double> scores(2);
  (*pdq_local)->MakeScorer({&c_ref, &c_q})->ScoreAll(c_q, scores);
  EXPECT_EQ(scores[0], l);
  EXPECT_EQ(scores[1], kPdqLocalBand + kPdqLocalPdqDistance);
}

}  // namespace
}  // namespace warden::eval
