#include "src/server/log.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <limits>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace warden {
namespace {

// 2023-11-14T22:13:20.000Z plus 123 ms.
constexpr int64_t kNowMs = 1'700'000'000'123;

// A temporary file to log into and read back.
class CapturedFile {
 public:
  CapturedFile() : file_(std::tmpfile()) {}
  ~CapturedFile() {
    if (file_ != nullptr) std::fclose(file_);
  }
  std::FILE* get() const { return file_; }
  std::string Contents() const {
    std::fflush(file_);
    std::rewind(file_);
    std::string text;
    char buffer[4096];
    size_t n;
    while ((n = std::fread(buffer, 1, sizeof(buffer), file_)) > 0) text.append(buffer, n);
    std::fseek(file_, 0, SEEK_END);
    return text;
  }
  std::vector<std::string> Lines() const {
    std::vector<std::string> lines;
    std::istringstream in(Contents());
    std::string line;
    while (std::getline(in, line)) lines.push_back(line);
    return lines;
  }

 private:
  std::FILE* file_;
};

TEST(LogTest, JsonLineHasTimestampLevelMessageAndFieldsInOrder) {
  FakeClock clock(kNowMs);
  CapturedFile out;
  ASSERT_NE(out.get(), nullptr);
  Logger log(out.get(), LogLevel::kInfo, LogFormat::kJson, &clock);
  log.Info("request", {{"method", "GET"}, {"status", 200}, {"ms", 1.25}, {"cached", true}});
  EXPECT_EQ(out.Contents(),
            "{\"ts\":\"2023-11-14T22:13:20.123Z\",\"level\":\"info\",\"msg\":\"request\","
            "\"method\":\"GET\",\"status\":200,\"ms\":1.25,\"cached\":true}\n");
}

TEST(LogTest, TextLineIsLogfmt) {
  FakeClock clock(kNowMs);
  CapturedFile out;
  Logger log(out.get(), LogLevel::kDebug, LogFormat::kText, &clock);
  std::string path = "/c/bank/a b";
  log.Warn("slow request", {{"path", path}, {"empty", ""}, {"n", -3}, {"ok", false}});
  EXPECT_EQ(out.Contents(),
            "ts=2023-11-14T22:13:20.123Z level=warn msg=\"slow request\" path=\"/c/bank/a b\" "
            "empty=\"\" n=-3 ok=false\n");
}

TEST(LogTest, LevelFilter) {
  FakeClock clock(kNowMs);
  CapturedFile out;
  Logger log(out.get(), LogLevel::kWarn, LogFormat::kText, &clock);
  EXPECT_FALSE(log.Enabled(LogLevel::kInfo));
  EXPECT_TRUE(log.Enabled(LogLevel::kError));
  log.Debug("d");
  log.Info("i");
  log.Warn("w");
  log.Error("e");
  std::vector<std::string> lines = out.Lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(lines[0].find("level=warn msg=w"), std::string::npos) << lines[0];
  EXPECT_NE(lines[1].find("level=error msg=e"), std::string::npos) << lines[1];

  log.SetLevel(LogLevel::kDebug);
  EXPECT_EQ(log.level(), LogLevel::kDebug);
  log.Debug("now visible");
  EXPECT_EQ(out.Lines().size(), 3u);
}

TEST(LogTest, JsonEscapesEverythingIntoValidJson) {
  FakeClock clock(kNowMs);
  CapturedFile out;
  Logger log(out.get(), LogLevel::kInfo, LogFormat::kJson, &clock);
  std::string nasty = std::string("q\"b\\n\nt\tc\x01 u\xC3\xA9 bad\xFF\xC3 ") + '\0' + "end";
  log.Error(nasty, {{"k\"ey", nasty},
                    {"nan", std::numeric_limits<double>::quiet_NaN()},
                    {"inf", std::numeric_limits<double>::infinity()},
                    {"big", std::numeric_limits<uint64_t>::max()},
                    {"neg", std::numeric_limits<int64_t>::min()}});
  std::vector<std::string> lines = out.Lines();
  ASSERT_EQ(lines.size(), 1u);
  nlohmann::json j = nlohmann::json::parse(lines[0]);  // throws (fails) if not valid JSON
  const std::string expected =
      std::string("q\"b\\n\nt\tc\x01 u\xC3\xA9 bad\xEF\xBF\xBD\xEF\xBF\xBD ") + '\0' + "end";
  EXPECT_EQ(j["msg"], expected);
  EXPECT_EQ(j["k\"ey"], expected);
  EXPECT_TRUE(j["nan"].is_null());
  EXPECT_TRUE(j["inf"].is_null());
  EXPECT_EQ(j["big"].get<int64_t>(), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(j["neg"].get<int64_t>(), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(j["level"], "error");
  EXPECT_NE(lines[0].find("\\u0001"), std::string::npos);
  EXPECT_NE(lines[0].find("\\u0000"), std::string::npos);
}

TEST(LogTest, JsonReplacesOverlongAndSurrogateUtf8) {
  FakeClock clock(kNowMs);
  CapturedFile out;
  Logger log(out.get(), LogLevel::kInfo, LogFormat::kJson, &clock);
  // Overlong '/', an encoded surrogate, a code point above U+10FFFF, then a valid 4-byte one.
  log.Info("x", {{"v", "\xC0\xAF|\xED\xA0\x80|\xF4\x90\x80\x80|\xF0\x9F\x98\x80"}});
  nlohmann::json j = nlohmann::json::parse(out.Lines().at(0));
  EXPECT_EQ(j["v"],
            "\xEF\xBF\xBD\xEF\xBF\xBD|\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD|"
            "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD|\xF0\x9F\x98\x80");
}

TEST(LogTest, TextEscapesControlCharactersAndKeys) {
  FakeClock clock(kNowMs);
  Logger log(stderr, LogLevel::kInfo, LogFormat::kText, &clock);
  std::vector<LogField> fields = {{"a key=", "line1\nline2\x1b"}, {"x", 0.5}};
  std::string line = log.Format(LogLevel::kInfo, "m", fields);
  EXPECT_EQ(line,
            "ts=2023-11-14T22:13:20.123Z level=info msg=m a_key_=\"line1\\nline2\\x1b\" x=0.5\n");
}

TEST(LogTest, TimestampsBeforeTheEpochAndMillisecondPadding) {
  FakeClock clock(-1);  // 1969-12-31T23:59:59.999Z
  Logger log(stderr, LogLevel::kInfo, LogFormat::kJson, &clock);
  EXPECT_EQ(log.Format(LogLevel::kInfo, "m", {}),
            "{\"ts\":\"1969-12-31T23:59:59.999Z\",\"level\":\"info\",\"msg\":\"m\"}\n");
  clock.SetMs(1'000'000'000'007);  // 2001-09-09T01:46:40.007Z
  EXPECT_EQ(log.Format(LogLevel::kDebug, "m", {}),
            "{\"ts\":\"2001-09-09T01:46:40.007Z\",\"level\":\"debug\",\"msg\":\"m\"}\n");
}

TEST(LogTest, ParseLevelAndFormat) {
  EXPECT_EQ(ParseLogLevel("debug").value(), LogLevel::kDebug);
  EXPECT_EQ(ParseLogLevel("warning").value(), LogLevel::kWarn);
  EXPECT_EQ(ParseLogLevel("error").value(), LogLevel::kError);
  Result<LogLevel> bad = ParseLogLevel("loud");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("debug, info, warn, error"), std::string::npos);
  EXPECT_EQ(ParseLogFormat("text").value(), LogFormat::kText);
  EXPECT_FALSE(ParseLogFormat("xml").ok());
  EXPECT_STREQ(LogLevelName(LogLevel::kWarn), "warn");
}

TEST(LogTest, ConcurrentLinesNeverInterleave) {
  FakeClock clock(kNowMs);
  CapturedFile out;
  Logger log(out.get(), LogLevel::kInfo, LogFormat::kJson, &clock);
  constexpr int kThreads = 4;
  constexpr int kLines = 500;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&log, t] {
      std::string payload(200, static_cast<char>('a' + t));
      for (int i = 0; i < kLines; ++i) log.Info("line", {{"thread", t}, {"i", i}, {"p", payload}});
    });
  }
  for (std::thread& thread : threads) thread.join();
  std::vector<std::string> lines = out.Lines();
  ASSERT_EQ(lines.size(), static_cast<size_t>(kThreads * kLines));
  std::vector<int> next(kThreads, 0);
  for (const std::string& line : lines) {
    nlohmann::json j = nlohmann::json::parse(line);
    int t = j["thread"];
    ASSERT_GE(t, 0);
    ASSERT_LT(t, kThreads);
    EXPECT_EQ(j["i"].get<int>(), next[t]++);  // each thread's lines in its own order
    EXPECT_EQ(j["p"], std::string(200, static_cast<char>('a' + t)));
  }
}

}  // namespace
}  // namespace warden
