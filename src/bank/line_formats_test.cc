// The two line formats that carry only hashes: python-threatexchange local files and Meta's
// pdq-photo-hasher output.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "src/bank/format_test_util.h"

namespace warden {
namespace {

using ::testing::ElementsAre;

TEST(PytxFormat, FixtureGivesExactRecordsAndQuarantineLines) {
  std::vector<ParsedRecord> all = ReadFixture(BankFormat::kPytx, "pytx.txt");
  std::vector<ParsedRecord> good = GoodRecords(all);
  ASSERT_EQ(good.size(), 4u);
  EXPECT_EQ(good[0].line, 2);
  EXPECT_EQ(good[0].action, RecordAction::kAdd);
  ASSERT_EQ(good[0].item.signals.size(), 1u);
  EXPECT_EQ(good[0].item.signals[0].signal, (Signal{SignalType::kPdq, kH1, -1}));
  EXPECT_EQ(good[1].line, 3);
  EXPECT_EQ(good[1].item.signals[0].signal, (Signal{SignalType::kMd5, kM1, -1}));
  EXPECT_EQ(good[2].line, 10);
  EXPECT_EQ(good[2].item.signals[0].signal, (Signal{SignalType::kSha256, kS1, -1}));
  // Upper-case type and hex are accepted and made canonical.
  EXPECT_EQ(good[3].line, 11);
  EXPECT_EQ(good[3].item.signals[0].signal, (Signal{SignalType::kPdq, kH1, -1}));
  EXPECT_THAT(QuarantineLines(all),
              ElementsAre("5: pdq hash must be 64 hex digits, got 32",
                          "6: pdq hash has a non-hex character 'z' at position 63",
                          "7: pdq hash is all zeros (the hash of a failed or degenerate hashing)",
                          "8: unknown signal type \"vpdq\" (expected pdq, md5, sha1, sha256 "
                          "or local)",
                          "9: expected \"<signal_type> <value>\", got \"pdq\""));
}

TEST(PytxFormat, CrLfTabsAndNoFinalNewline) {
  std::vector<ParsedRecord> all =
      ReadString(BankFormat::kPytx, "md5\t" + kM1 + "\r\n\r\npdq   " + kH2);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].item.signals[0].signal.value, kM1);
  EXPECT_EQ(all[1].line, 3);
  EXPECT_EQ(all[1].item.signals[0].signal.value, kH2);
}

TEST(PytxFormat, OverlongLineIsQuarantinedAndReadingGoesOn) {
  std::string text = "pdq " + std::string(kMaxRecordBytes + 10, 'a') + "\npdq " + kH3 + "\n";
  std::vector<ParsedRecord> all = ReadString(BankFormat::kPytx, text);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_TRUE(all[0].quarantined);
  EXPECT_EQ(all[0].reason, "line is over 1048576 bytes");
  EXPECT_FALSE(all[1].quarantined);
  EXPECT_EQ(all[1].line, 2);
}

TEST(PdqHasherFormat, FixtureGivesExactRecordsAndQuarantineLines) {
  std::vector<ParsedRecord> all = ReadFixture(BankFormat::kPdqHasher, "pdq_hasher.txt");
  std::vector<ParsedRecord> good = GoodRecords(all);
  ASSERT_EQ(good.size(), 3u);
  EXPECT_EQ(good[0].line, 1);
  EXPECT_EQ(good[0].action, RecordAction::kAdd);
  EXPECT_EQ(good[0].item.signals[0].signal, (Signal{SignalType::kPdq, kH2, 100}));
  EXPECT_EQ(good[0].item.provenance.external_id, "photos/a.jpg");
  EXPECT_EQ(good[1].line, 3);
  EXPECT_EQ(good[1].item.signals[0].signal, (Signal{SignalType::kPdq, kH4, 75}));
  EXPECT_EQ(good[1].item.provenance.external_id, "dir/with,comma.jpg");
  EXPECT_EQ(good[2].line, 7);
  EXPECT_EQ(good[2].item.signals[0].signal, (Signal{SignalType::kPdq, kH5, -1}));
  EXPECT_THAT(
      QuarantineLines(all),
      ElementsAre("2: pdq quality 49 is under the minimum of 50",
                  "4: pdq hash must be 64 hex digits, got 31",
                  "5: expected \"hash,quality,filename\", got \"this is not a hasher line\"",
                  "6: quality \"abc\" is not a number 0..100"));
}

}  // namespace
}  // namespace warden
