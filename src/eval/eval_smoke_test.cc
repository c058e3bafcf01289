// The smoke run of issue 5: a few references, every transform, every signal, through the
// same RunEval and WriteReports that `warden eval` calls. The corpus is synthetic (written
// here) so the test needs nothing outside the repository.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <opencv2/imgproc.hpp>

#include "src/eval/cv_image.h"
#include "src/eval/eval_test_util.h"
#include "src/eval/report.h"
#include "src/eval/runner.h"

namespace warden::eval {
namespace {

namespace fs = std::filesystem;

std::string ReadText(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class EvalSmokeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        fs::temp_directory_path() /
        ("warden_eval_smoke_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "corpus/img");
    std::ofstream manifest(dir_ / "corpus/manifest.tsv");
    manifest << "path\tphoto\tdistinct\tpeople\tdup_group\n";
    for (int i = 0; i < 5; ++i) {
      const std::string rel = "img/photo" + std::to_string(i) + (i == 4 ? ".png" : ".jpg");
      auto bytes = Encode(MakeTestPhoto(240 + 16 * i, 180, 100 + i), i == 4 ? "png" : "jpeg", 92);
      ASSERT_TRUE(bytes.ok());
      std::ofstream(dir_ / "corpus" / rel, std::ios::binary)
          .write(reinterpret_cast<const char*>(bytes->data()),
                 static_cast<std::streamsize>(bytes->size()));
      manifest << rel << "\t1\t1\t" << (i < 2 ? 1 : 0) << "\t\n";
    }
    // A smaller copy of photo3: not a reference (distinct=0), only a member of a derived pair.
    cv::Mat small;
    cv::resize(MakeTestPhoto(240 + 16 * 3, 180, 103), small, cv::Size(), 0.5, 0.5, cv::INTER_AREA);
    auto small_bytes = Encode(small, "jpeg", 90);
    ASSERT_TRUE(small_bytes.ok());
    std::ofstream(dir_ / "corpus/img/photo3_small.jpg", std::ios::binary)
        .write(reinterpret_cast<const char*>(small_bytes->data()),
               static_cast<std::streamsize>(small_bytes->size()));
    manifest << "img/photo3_small.jpg\t1\t0\t0\t\n";
    manifest.close();
    std::ofstream(dir_ / "pairs.tsv")
        << "group\trelation\tmembers\tnote\n"
        << "pair01\tdistinct-photos\timg/photo0.jpg img/photo1.jpg\ttwo different pictures\n"
        << "small3\tderived\timg/photo3.jpg img/photo3_small.jpg\thalf size\n";
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(EvalSmokeTest, EveryTransformEverySignal) {
  EvalOptions options;
  options.corpus_dir = (dir_ / "corpus").string();
  options.out_dir = (dir_ / "out").string();
  options.pairs_path = (dir_ / "pairs.tsv").string();
  options.queries = 3;
  options.jobs = 2;
  options.save_queries = true;
  options.command_line = "warden eval (smoke test)";
  auto results = RunEval(options, nullptr);
  ASSERT_TRUE(results.ok()) << results.status().ToString();
  ASSERT_TRUE(WriteReports(*results, options.out_dir).ok());

  const size_t n_transforms = AllTransforms().size();
  EXPECT_EQ(results->references, 5u);
  EXPECT_EQ(results->sources, 3u);
  EXPECT_EQ(results->people_sources, 2u);  // both photos of people are among the three
  EXPECT_EQ(results->queries, 3 * n_transforms);
  ASSERT_EQ(results->signals.size(), 5u);  // md5, pdq, pdq_dihedral, local, pdq_local
  // Every other reference is a negative, except the donor of a query that shows it (a collage
  // or a texture fill): every collage does, and queries that never touch a donor keep all 4.
  EXPECT_GE(results->donor_pairs, 3u);
  EXPECT_LT(results->donor_pairs, 3 * n_transforms);
  for (const SignalOutcome& s : results->signals) {
    ASSERT_EQ(s.transforms.size(), n_transforms);
    uint64_t negatives = 0;
    for (const TransformOutcome& t : s.transforms) {
      const std::string& name = t.transform->name;
      EXPECT_EQ(t.queries, 3u) << s.name << " " << name;
      EXPECT_EQ(t.failures, 0u) << s.name << " " << name;
      if (name == "collage") {
        EXPECT_EQ(t.negatives.total(), 3u * 3u) << s.name;
      } else if (name.find("regen") == std::string::npos) {
        EXPECT_EQ(t.negatives.total(), 3u * 4u) << s.name << " " << name;
      }
      negatives += t.negatives.total();
    }
    EXPECT_EQ(negatives, 3u * 4u * n_transforms - results->donor_pairs) << s.name;
  }
  // Every query was re-encoded: MD5 never finds its source. PDQ finds JPEG 90 copies at the
  // standard point, and pdq_dihedral sees through a quarter turn.
  const SignalOutcome& md5 = results->signals[0];
  const SignalOutcome& pdq = results->signals[1];
  const SignalOutcome& dih = results->signals[2];
  for (size_t t = 0; t < n_transforms; ++t) {
    EXPECT_EQ(md5.transforms[t].positives.CountAtMost(0), 0u) << md5.transforms[t].transform->name;
    if (pdq.transforms[t].transform->name == "jpeg90") {
      EXPECT_EQ(pdq.transforms[t].standard_hits, 3u);
    }
    if (dih.transforms[t].transform->name == "rot90") {
      EXPECT_EQ(dih.transforms[t].standard_hits, 3u);
      EXPECT_EQ(pdq.transforms[t].standard_hits, 0u);
    }
  }
  // Pairs: PDQ matches the half-size copy, MD5 cannot; the two different pictures never match.
  for (const SignalOutcome& s : results->signals) {
    ASSERT_EQ(s.pairs.size(), 2u);
    EXPECT_EQ(s.pairs[0].relation, "distinct-photos");
    EXPECT_FALSE(s.pairs[0].at_standard);
    EXPECT_EQ(s.pairs[1].relation, "derived");
    EXPECT_EQ(s.pairs[1].b, "img/photo3_small.jpg");
  }
  EXPECT_EQ(md5.pairs[1].key, 1);
  EXPECT_TRUE(pdq.pairs[1].at_standard);
  EXPECT_TRUE(dih.pairs[1].at_standard);

  // The files.
  const fs::path out = dir_ / "out";
  const std::string csv = ReadText(out / "results.csv");
  size_t lines = 0;
  for (char c : csv) lines += c == '\n';
  EXPECT_EQ(lines, 1 + 5 * (n_transforms + 1));  // header, rows, one "all" row per signal
  EXPECT_NE(csv.find("pdq,thorn_rotate4,thorn,3,"), std::string::npos);
  const std::string summary = ReadText(out / "summary.md");
  EXPECT_NE(summary.find("warden eval (smoke test)"), std::string::npos);
  EXPECT_NE(summary.find("beside Thorn's published PDQ figures"), std::string::npos);
  EXPECT_NE(summary.find("regen_inpaint_60"), std::string::npos);
  EXPECT_GT(fs::file_size(out / "recall.png"), 1000u);
  EXPECT_TRUE(fs::exists(out / "pairs.csv"));
  EXPECT_TRUE(fs::exists(out / "queries/regen_shade_40"));
  size_t masks = 0;
  for (const auto& e : fs::directory_iterator(out / "queries/regen_shade_40")) {
    masks += e.path().string().find(".mask.png") != std::string::npos;
  }
  EXPECT_EQ(masks, 3u);
}

}  // namespace
}  // namespace warden::eval
