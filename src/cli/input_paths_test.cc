#include "src/cli/input_paths.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace warden {
namespace {

namespace fs = std::filesystem;

class InputPathsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("warden_input_paths_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "d" / "sub");
    fs::create_directories(root_ / "d" / "a");
    Touch(root_ / "d" / "z.jpg");
    Touch(root_ / "d" / "b.png");
    Touch(root_ / "d" / "sub" / "c.gif");
    Touch(root_ / "d" / "a" / "y.png");
    Touch(root_ / "single.png");
  }
  void TearDown() override { fs::remove_all(root_); }

  static void Touch(const fs::path& p) { std::ofstream(p) << "x"; }
  std::string P(const std::string& rel) const { return (root_ / rel).string(); }

  fs::path root_;
};

TEST_F(InputPathsTest, FilesAndStdinPassThroughInOrder) {
  auto r = ExpandInputs({P("single.png"), "-", P("missing.jpg")}, false);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0].path, P("single.png"));
  EXPECT_TRUE((*r)[1].is_stdin());
  EXPECT_EQ((*r)[2].path, P("missing.jpg"));  // reported later by the reader
  for (const auto& in : *r) EXPECT_TRUE(in.error.ok());
}

TEST_F(InputPathsTest, DirectoryWithoutRecursiveIsAnError) {
  auto r = ExpandInputs({P("d"), P("single.png")}, false);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].path, P("d"));
  EXPECT_EQ((*r)[0].error.message(), "is a directory (use -r)");
  EXPECT_TRUE((*r)[1].error.ok());
}

TEST_F(InputPathsTest, RecursiveIsSortedByPath) {
  auto r = ExpandInputs({P("single.png"), P("d")}, true);
  ASSERT_TRUE(r.ok());
  std::vector<std::string> paths;
  for (const auto& in : *r) paths.push_back(in.path);
  EXPECT_EQ(paths, (std::vector<std::string>{P("single.png"), P("d/a/y.png"), P("d/b.png"),
                                             P("d/sub/c.gif"), P("d/z.jpg")}));
}

TEST_F(InputPathsTest, DirectorySymlinksAreNotFollowed) {
  fs::create_directory_symlink(root_ / "d", root_ / "d" / "sub" / "loop");
  fs::create_symlink(root_ / "single.png", root_ / "d" / "link.png");
  auto r = ExpandInputs({P("d")}, true);
  ASSERT_TRUE(r.ok());
  std::vector<std::string> paths;
  for (const auto& in : *r) paths.push_back(in.path);
  EXPECT_EQ(paths, (std::vector<std::string>{P("d/a/y.png"), P("d/b.png"), P("d/link.png"),
                                             P("d/sub/c.gif"), P("d/z.jpg")}));
}

TEST_F(InputPathsTest, StdinTwiceIsAUsageError) {
  auto r = ExpandInputs({"-", "-"}, false);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace warden
