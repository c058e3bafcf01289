#include "src/bank/record_fields.h"

#include <gtest/gtest.h>

namespace warden {
namespace {

TEST(RecordFields, Timestamps) {
  EXPECT_EQ(*ParseTimestampMs("0"), 0);
  EXPECT_EQ(*ParseTimestampMs("1700000000"), 1'700'000'000'000);     // seconds
  EXPECT_EQ(*ParseTimestampMs("1700000000123"), 1'700'000'000'123);  // ms
  EXPECT_EQ(*ParseTimestampMs("2023-11-14T22:13:20Z"), 1'700'000'000'000);
  EXPECT_EQ(*ParseTimestampMs("2023-11-14 22:13:20.5+00:00"), 1'700'000'000'500);
  EXPECT_EQ(*ParseTimestampMs("2000-02-29T00:00:00Z"), 951'782'400'000);
  EXPECT_EQ(*ParseTimestampMs("1970-01-01T00:00:00Z"), 0);
  for (const char* bad : {"", "-5", "2023-13-01T00:00:00Z", "2023-11-14T22:13:20+02:00",
                          "2023-11-14", "yesterday", "2023-11-14T22:13:2"}) {
    EXPECT_FALSE(ParseTimestampMs(bad).ok()) << bad;
  }
  EXPECT_EQ(FormatTimestampMs(1'700'000'000'250), "2023-11-14T22:13:20.250Z");
  EXPECT_EQ(FormatTimestampMs(0), "1970-01-01T00:00:00.000Z");
  for (int64_t ms : {int64_t{951'782'400'000}, int64_t{4'102'444'800'999}}) {
    EXPECT_EQ(*ParseTimestampMs(FormatTimestampMs(ms)), ms);
  }
}

TEST(RecordFields, ImportSignalRules) {
  std::string pdq(64, 'a');
  EXPECT_TRUE(MakeImportSignal(SignalType::kPdq, pdq, 50).ok());
  EXPECT_EQ(MakeImportSignal(SignalType::kPdq, pdq, 49).status().message(),
            "pdq quality 49 is under the minimum of 50");
  EXPECT_TRUE(MakeImportSignal(SignalType::kPdq, pdq, -1).ok());
  EXPECT_FALSE(MakeImportSignal(SignalType::kPdq, std::string(64, '0')).ok());
  // An all-zero MD5 is a legal digest value; only PDQ's zero hash means "hashing failed".
  EXPECT_TRUE(MakeImportSignal(SignalType::kMd5, std::string(32, '0')).ok());
}

TEST(RecordFields, NumbersAndBooleans) {
  EXPECT_EQ(*ParseQuality(" 100 "), 100);
  EXPECT_FALSE(ParseQuality("101").ok());
  EXPECT_FALSE(ParseQuality("-1").ok());
  EXPECT_FALSE(ParseQuality("9x").ok());
  EXPECT_EQ(*ParseBool("YES"), true);
  EXPECT_EQ(*ParseBool(""), false);
  EXPECT_FALSE(ParseBool("maybe").ok());
  EXPECT_FALSE(ParseInt64("99999999999999999999").ok());
  EXPECT_EQ(ShownForReason(std::string("a\x01\xff", 3)), "a\\x01\\xff");
}

}  // namespace
}  // namespace warden
