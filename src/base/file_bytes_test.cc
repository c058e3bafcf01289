#include "warden/file_bytes.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace warden {
namespace {

namespace fs = std::filesystem;

class FileBytesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / fs::path("warden_file_bytes_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(FileBytesTest, ReadsWholeFile) {
  fs::path p = dir_ / "a.bin";
  std::ofstream(p, std::ios::binary) << "hello";
  auto bytes = ReadFileBytes(p.string());
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  EXPECT_EQ(std::string(bytes->begin(), bytes->end()), "hello");
}

TEST_F(FileBytesTest, ZeroByteFileIsEmptyNotAnError) {
  fs::path p = dir_ / "empty.jpg";
  std::ofstream(p, std::ios::binary).flush();
  auto bytes = ReadFileBytes(p.string());
  ASSERT_TRUE(bytes.ok());
  EXPECT_TRUE(bytes->empty());
}

TEST_F(FileBytesTest, MissingDirectoryAndLimit) {
  auto missing = ReadFileBytes((dir_ / "nope.jpg").string());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  auto d = ReadFileBytes(dir_.string());
  EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(d.status().message().find("directory"), std::string::npos);
  fs::path p = dir_ / "big.bin";
  std::ofstream(p, std::ios::binary) << std::string(100, 'x');
  auto big = ReadFileBytes(p.string(), 99);
  EXPECT_EQ(big.status().code(), StatusCode::kTooLarge);
}

TEST_F(FileBytesTest, UnreadableFile) {
  fs::path p = dir_ / "secret.jpg";
  std::ofstream(p, std::ios::binary) << "x";
  ::chmod(p.c_str(), 0);
  ::chmod(dir_.c_str(), 0755);
  // Root reads any file, so the check runs in a child that drops to user "nobody" (65534).
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (::geteuid() == 0 && ::setuid(65534) != 0) ::_exit(3);
    auto r = ReadFileBytes(p.string());
    ::_exit(r.status().code() == StatusCode::kPermissionDenied ? 0 : 1);
  }
  int wstatus = 0;
  ASSERT_EQ(::waitpid(pid, &wstatus, 0), pid);
  ASSERT_TRUE(WIFEXITED(wstatus));
  EXPECT_EQ(WEXITSTATUS(wstatus), 0);
}

TEST_F(FileBytesTest, ReadsStream) {
  fs::path p = dir_ / "s.bin";
  std::ofstream(p, std::ios::binary) << std::string(200000, 'y');
  std::FILE* f = std::fopen(p.c_str(), "rb");
  ASSERT_NE(f, nullptr);
  auto bytes = ReadStreamBytes(f);
  std::fclose(f);
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(bytes->size(), 200000u);
  f = std::fopen(p.c_str(), "rb");
  auto capped = ReadStreamBytes(f, 1000);
  std::fclose(f);
  EXPECT_EQ(capped.status().code(), StatusCode::kTooLarge);
}

}  // namespace
}  // namespace warden
