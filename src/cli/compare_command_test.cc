#include "src/cli/compare_command.h"

#include <gtest/gtest.h>

#include <cctype>
#include <cstdio>
#include <string>

namespace warden {
namespace {

constexpr char kA[] = "d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22";
constexpr char kB[] = "d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b23";

// Runs the command with its streams captured in temporary files.
struct Captured {
  int status;
  std::string out, err;
};

std::string ReadAll(std::FILE* f) {
  std::rewind(f);
  std::string s;
  char buf[256];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) s.append(buf, n);
  std::fclose(f);
  return s;
}

Captured RunCompare(const std::string& a, const std::string& b) {
  std::FILE* out = std::tmpfile();
  std::FILE* err = std::tmpfile();
  int status = RunCompareCommand(a, b, out, err);
  return {status, ReadAll(out), ReadAll(err)};
}

TEST(CompareCommandTest, PrintsDistance) {
  auto r = RunCompare(kA, kB);
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "1\n");
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(RunCompare(kA, kA).out, "0\n");
  EXPECT_EQ(RunCompare(std::string(64, '0'), std::string(64, 'f')).out, "256\n");
}

TEST(CompareCommandTest, AcceptsPrefixAndUpperCase) {
  std::string upper = kB;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  auto r = RunCompare(std::string("pdq:") + kA, upper);
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "1\n");
}

TEST(CompareCommandTest, MalformedNamesTheArgument) {
  auto r = RunCompare(kA, std::string(kB).substr(1));
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "warden: compare: HEX2: pdq hash must be 64 hex digits, got 63\n");

  std::string bad = kA;
  bad[3] = 'z';
  r = RunCompare(bad, kB);
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "warden: compare: HEX1: pdq hash has a non-hex character 'z' at position 3\n");

  r = RunCompare("md5:" + std::string(kA), "");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("HEX1"), std::string::npos);
  EXPECT_NE(r.err.find("HEX2: pdq hash must be 64 hex digits, got 0"), std::string::npos);
}

TEST(CompareCommandTest, ParseArgument) {
  auto h = ParseCompareArgument(std::string("pdq:") + kA);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->ToHex(), kA);
  EXPECT_FALSE(ParseCompareArgument(std::string("pdq:pdq:") + kA).ok());
  EXPECT_FALSE(ParseCompareArgument(std::string(" ") + kA).ok());
}

}  // namespace
}  // namespace warden
