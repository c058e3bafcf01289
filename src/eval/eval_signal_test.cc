#include "src/eval/eval_signal.h"

#include <gtest/gtest.h>

#include <cstring>

#include <opencv2/core.hpp>

#include "src/eval/cv_image.h"
#include "src/eval/eval_test_util.h"

namespace warden::eval {
namespace {

std::vector<uint8_t> Png(const cv::Mat& m) {
  auto bytes = Encode(m, "png", 0);
  EXPECT_TRUE(bytes.ok());
  return bytes.ok() ? *bytes : std::vector<uint8_t>();
}

Descriptor Extract(const Signal& s, const std::vector<uint8_t>& bytes) {
  auto d = s.Extract(SignalInput{bytes, nullptr});
  EXPECT_TRUE(d.ok()) << d.status().ToString();
  return d.ok() ? *d : Descriptor();
}

TEST(EvalSignalTest, Registry) {
  EXPECT_EQ(SignalNames(),
            (std::vector<std::string>{"md5", "pdq", "pdq_dihedral", "local", "pdq_local"}));
  for (const std::string& name : SignalNames()) {
    auto s = MakeSignal(name);
    ASSERT_TRUE(s.ok());
    EXPECT_EQ((*s)->name(), name);
  }
  auto bad = MakeSignal("sift");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("pdq_dihedral"), std::string::npos);
}

TEST(EvalSignalTest, Md5MatchesOnlyIdenticalBytes) {
  auto md5 = MakeSignal("md5");
  ASSERT_TRUE(md5.ok());
  const std::vector<uint8_t> a = {1, 2, 3}, b = {1, 2, 4};
  const Descriptor da = Extract(**md5, a), db = Extract(**md5, b);
  EXPECT_EQ(std::string(da.data.begin(), da.data.end()), "5289df737df57326fcdd22597afb1fac");
  EXPECT_EQ((*md5)->Score(da, da), 0.0);
  EXPECT_EQ((*md5)->Score(da, db), 1.0);
  EXPECT_FALSE((*md5)->standard_point().has_value());
}

TEST(EvalSignalTest, PdqAndDihedral) {
  auto pdq = MakeSignal("pdq");
  auto dih = MakeSignal("pdq_dihedral");
  ASSERT_TRUE(pdq.ok() && dih.ok());
  const cv::Mat img = MakeTestPhoto(320, 240, 2);
  cv::Mat rotated, other;
  cv::rotate(img, rotated, cv::ROTATE_90_CLOCKWISE);
  other = MakeTestPhoto(320, 240, 9);
  const auto bytes = Png(img), rot_bytes = Png(rotated), other_bytes = Png(other);

  const Descriptor p = Extract(**pdq, bytes), pr = Extract(**pdq, rot_bytes),
                   po = Extract(**pdq, other_bytes);
  EXPECT_GE(p.quality, 50);
  EXPECT_EQ((*pdq)->Score(p, p), 0);
  EXPECT_GT((*pdq)->Score(pr, p), 60);  // plain PDQ does not see through a quarter turn
  EXPECT_GT((*pdq)->Score(po, p), 60);  // nor confuses two different pictures
  ASSERT_TRUE((*pdq)->standard_point().has_value());
  EXPECT_EQ((*pdq)->standard_point()->max_distance, 31);
  EXPECT_EQ((*pdq)->standard_point()->min_quality, 50);

  const Descriptor d = Extract(**dih, bytes), dr = Extract(**dih, rot_bytes),
                   dother = Extract(**dih, other_bytes);
  EXPECT_EQ(d.data.size(), 8u * 32u);
  EXPECT_EQ((*dih)->Score(d, d), 0);
  EXPECT_LE((*dih)->Score(dr, d), 31);  // one of the eight turns matches (not exactly: 4:3)
  EXPECT_GT((*dih)->Score(dother, d), 40);
}

// The shared memo computes the dihedral record once; its plain hash must equal the hasher's
// plain fullres hash, or pdq would not be `warden hash`'s PDQ.
TEST(EvalSignalTest, MemoGivesTheHashersPlainHash) {
  auto pdq = MakeSignal("pdq");
  auto dih = MakeSignal("pdq_dihedral");
  ASSERT_TRUE(pdq.ok() && dih.ok());
  const auto bytes = Png(MakeTestPhoto(300, 200, 31));
  HashOptions options;
  options.digests = false;
  auto plain = HashImageBytes(bytes, options);
  ASSERT_TRUE(plain.ok());
  ExtractionMemo memo;
  auto d_dih = (*dih)->Extract(SignalInput{bytes, nullptr, &memo});
  ASSERT_TRUE(memo.pdq.has_value());
  auto d_pdq = (*pdq)->Extract(SignalInput{bytes, nullptr, &memo});
  ASSERT_TRUE(d_dih.ok() && d_pdq.ok());
  std::vector<uint8_t> want(32);
  std::memcpy(want.data(), plain->pdq.hash.words.data(), 32);
  EXPECT_EQ(d_pdq->data, want);
  EXPECT_EQ(std::vector<uint8_t>(d_dih->data.begin(), d_dih->data.begin() + 32), want);
  EXPECT_EQ(d_pdq->quality, plain->pdq.quality);
}

TEST(EvalSignalTest, GarbageIsAnError) {
  auto pdq = MakeSignal("pdq");
  ASSERT_TRUE(pdq.ok());
  const std::vector<uint8_t> junk = {'n', 'o', 't', ' ', 'a', 'n', ' ', 'i', 'm', 'g'};
  auto d = (*pdq)->Extract(SignalInput{junk, nullptr});
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), StatusCode::kUnsupportedFormat);
}

// A similarity signal (larger = closer) with resolution 0.5, to pin down the key mapping.
class FakeSimilarity : public Signal {
 public:
  std::string_view name() const override { return "fake"; }
  std::string_view description() const override { return "fake"; }
  ScoreDirection direction() const override { return ScoreDirection::kSimilarity; }
  double resolution() const override { return 0.5; }
  Result<Descriptor> Extract(const SignalInput&) const override { return Descriptor(); }
  double Score(const Descriptor&, const Descriptor&) const override { return 0; }
};

TEST(EvalSignalTest, ScoreKeys) {
  auto pdq = MakeSignal("pdq");
  ASSERT_TRUE(pdq.ok());
  EXPECT_EQ(ScoreKey(**pdq, 31), 31);
  EXPECT_EQ(KeyScore(**pdq, 31), 31.0);
  FakeSimilarity fake;
  EXPECT_EQ(ScoreKey(fake, 10.0), -20);  // more similar, smaller key
  EXPECT_LT(ScoreKey(fake, 10.0), ScoreKey(fake, 2.0));
  EXPECT_EQ(KeyScore(fake, -20), 10.0);
}

}  // namespace
}  // namespace warden::eval
