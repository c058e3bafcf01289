#include "src/eval/corpus.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace warden::eval {
namespace {

class CorpusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::filesystem::temp_directory_path() /
        ("warden_corpus_test_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
         "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
  }
  std::filesystem::path dir_;
};

constexpr char kManifest[] =
    "path\tphoto\tpeople\tdistinct\tdup_group\twidth\n"
    "a/land1.jpg\t1\t0\t1\t\t10\n"
    "a/land2.jpg\t1\t0\t1\t\t10\n"
    "b/John_X__1.jpg\t1\t1\t1\t\t10\n"
    "b/John_X__2.jpg\t1\t1\t0\t7\t10\n"
    "b/John_X__3.jpg\t1\t1\t1\t7\t10\n"
    "c/icon.png\t0\t0\t1\t\t10\n";

TEST_F(CorpusTest, LoadsManifestAndReferences) {
  Write("manifest.tsv", kManifest);
  auto corpus = LoadCorpus(dir_.string());
  ASSERT_TRUE(corpus.ok()) << corpus.status().ToString();
  ASSERT_EQ(corpus->entries.size(), 6u);
  EXPECT_EQ(corpus->entries[2].path, "b/John_X__1.jpg");
  EXPECT_TRUE(corpus->entries[2].people);
  EXPECT_EQ(corpus->entries[4].dup_group, "7");
  // photo=1 and distinct=1: not the near-duplicate, not the icon.
  EXPECT_EQ(ReferenceIndices(*corpus), (std::vector<size_t>{0, 1, 2, 4}));
}

TEST_F(CorpusTest, ManifestErrorsNameTheProblem) {
  auto missing = LoadCorpus(dir_.string());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  Write("manifest.tsv", "path\tphoto\nx.jpg\t1\n");
  auto no_distinct = LoadCorpus(dir_.string());
  ASSERT_FALSE(no_distinct.ok());
  EXPECT_NE(no_distinct.status().message().find("distinct"), std::string::npos);
  Write("manifest.tsv", "path\tphoto\tdistinct\nx.jpg\t1\n");
  auto short_row = LoadCorpus(dir_.string());
  ASSERT_FALSE(short_row.ok());
  EXPECT_EQ(short_row.status().code(), StatusCode::kCorruptData);
  EXPECT_NE(short_row.status().message().find(":2:"), std::string::npos);
}

TEST(GlobTest, Matches) {
  EXPECT_TRUE(GlobMatch("a/*.jpg", "a/b/c.jpg"));
  EXPECT_TRUE(GlobMatch("*", ""));
  EXPECT_TRUE(GlobMatch("x__*__*.jpg", "x__1__2.jpg"));
  EXPECT_TRUE(GlobMatch("exact.png", "exact.png"));
  EXPECT_FALSE(GlobMatch("exact.png", "exact.png2"));
  EXPECT_FALSE(GlobMatch("a*b", "acbd"));
  EXPECT_TRUE(GlobMatch("a*b*", "acbd"));
}

TEST_F(CorpusTest, PairGroups) {
  Write("manifest.tsv", kManifest);
  Write("pairs.tsv",
        "# comment\n"
        "group\trelation\tmembers\tnote\n"
        "john\tdistinct-photos\tb/John_X__*.jpg\tsame man\n"
        "lands\trelated-content\ta/land1.jpg a/land2.jpg\ttwo views\n");
  auto corpus = LoadCorpus(dir_.string());
  ASSERT_TRUE(corpus.ok());
  auto groups = LoadPairGroups((dir_ / "pairs.tsv").string(), *corpus);
  ASSERT_TRUE(groups.ok()) << groups.status().ToString();
  ASSERT_EQ(groups->size(), 2u);
  EXPECT_EQ((*groups)[0].members, (std::vector<size_t>{2, 3, 4}));  // distinct=0 included
  EXPECT_EQ((*groups)[1].relation, "related-content");
  EXPECT_EQ((*groups)[1].members, (std::vector<size_t>{0, 1}));
  Write("bad.tsv", "group\trelation\tmembers\tnote\nx\tcousins\ta.jpg\t\n");
  auto bad = LoadPairGroups((dir_ / "bad.tsv").string(), *corpus);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("cousins"), std::string::npos);
}

TEST_F(CorpusTest, QuerySourcesPeopleFirstSeededAndStable) {
  Write("manifest.tsv", kManifest);
  auto corpus = LoadCorpus(dir_.string());
  ASSERT_TRUE(corpus.ok());
  const std::vector<size_t> refs = ReferenceIndices(*corpus);  // 0, 1, 2 (people), 4 (people)
  const std::vector<size_t> all = SelectQuerySources(*corpus, refs, 10, 1);
  ASSERT_EQ(all.size(), 4u);
  // Positions 2 and 3 in `refs` are the people: they come first.
  EXPECT_TRUE((all[0] == 2 && all[1] == 3) || (all[0] == 3 && all[1] == 2));
  EXPECT_EQ(SelectQuerySources(*corpus, refs, 10, 1), all);  // deterministic
  const std::vector<size_t> three = SelectQuerySources(*corpus, refs, 3, 1);
  EXPECT_EQ(three, std::vector<size_t>(all.begin(), all.begin() + 3));  // a prefix
  bool differs = false;
  for (uint64_t seed = 2; seed < 20 && !differs; ++seed) {
    differs = SelectQuerySources(*corpus, refs, 10, seed) != all;
  }
  EXPECT_TRUE(differs);
}

}  // namespace
}  // namespace warden::eval
