// The formats that carry whole records: Warden's CSV and JSON Lines, StopNCII records and the
// synthetic NCMEC XML entries.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "src/bank/format_test_util.h"

namespace warden {
namespace {

using ::testing::ElementsAre;
using ::testing::StartsWith;

TEST(CsvFormat, FixtureGivesExactRecordsAndQuarantineLines) {
  std::vector<ParsedRecord> all = ReadFixture(BankFormat::kCsv, "items.csv");
  std::vector<ParsedRecord> good = GoodRecords(all);
  ASSERT_EQ(good.size(), 4u);

  const Item& a = good[0].item;
  EXPECT_EQ(good[0].line, 2);
  EXPECT_EQ(good[0].action, RecordAction::kUpsert);
  ASSERT_EQ(a.signals.size(), 2u);
  EXPECT_EQ(a.signals[0], (BankSignal{Signal{SignalType::kPdq, kH1, 92}, "pdq", 1}));
  EXPECT_EQ(a.signals[1], (BankSignal{Signal{SignalType::kMd5, kM1, -1}, "", 0}));
  EXPECT_EQ(a.classification.uk_category, UkCategory::kA);
  EXPECT_EQ(a.classification.youngest_age, AgeBand::k7To10);
  EXPECT_TRUE(a.classification.self_generated);
  EXPECT_FALSE(a.classification.ai_or_manipulated);
  EXPECT_EQ(a.classification.sex, ChildSex::kGirls);
  EXPECT_EQ(a.classification.site_type, "image host");
  EXPECT_EQ(a.classification.scheme_label, "A1");
  EXPECT_EQ(a.provenance, (Provenance{"iwf", "IWF-1", "m1"}));
  EXPECT_EQ(a.note, "plain note");
  EXPECT_EQ(a.disable_until_ms, kEnabled);

  // A quoted field holding a comma, doubled quotes and a line break; the row starts on line 3.
  const Item& b = good[1].item;
  EXPECT_EQ(good[1].line, 3);
  EXPECT_EQ(b.signals[0].signal, (Signal{SignalType::kPdq, kH2, -1}));
  EXPECT_EQ(b.note, "note with, a comma, \"quotes\"\nand a line break");
  EXPECT_TRUE(b.classification.ai_or_manipulated);
  EXPECT_TRUE(b.classification.commercial);
  EXPECT_EQ(b.disable_until_ms, kDisabledForever);

  EXPECT_EQ(good[2].line, 7);
  EXPECT_EQ(good[2].item.signals[0].signal, (Signal{SignalType::kMd5, kM2, -1}));
  EXPECT_EQ(good[2].item.provenance.external_id, "C3P-7");
  EXPECT_EQ(good[2].item.disable_until_ms, 1'700'000'000'000);
  // Line 8 claims both self-generated and AI: the reader passes it on, the importer's
  // ValidateItem quarantines it (bank_import_test).
  EXPECT_EQ(good[3].line, 8);

  EXPECT_THAT(QuarantineLines(all),
              ElementsAre("5: unknown UK category \"Z\" (expected one of: none, A, B, C)",
                          "6: row has 3 fields, the header has 19",
                          "9: unexpected 'q' after a closing quote"));
}

TEST(CsvFormat, HeaderWithoutRequiredColumnsIsAnError) {
  std::istringstream in("hash,quality\n" + kH1 + ",90\n");
  std::unique_ptr<RecordReader> reader = NewRecordReader(BankFormat::kCsv, in);
  ParsedRecord rec;
  Result<bool> r = reader->Next(&rec);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCorruptData);
  EXPECT_EQ(r.status().message(),
            "CSV header on line 1 must name the columns signal_type and value");
}

TEST(CsvFormat, ColumnsInAnyOrderAndUnterminatedQuoteAtEnd) {
  std::vector<ParsedRecord> all = ReadString(
      BankFormat::kCsv, "Value,extra,Signal_Type\r\n" + kM1 + ",x,md5\r\n" + kM2 + ",\"open,md5\n");
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].item.signals[0].signal, (Signal{SignalType::kMd5, kM1, -1}));
  EXPECT_EQ(all[0].line, 2);
  EXPECT_TRUE(all[1].quarantined);
  EXPECT_EQ(all[1].line, 3);
  EXPECT_EQ(all[1].reason, "quoted field is not closed before the end of the file");
}

TEST(JsonlFormat, FixtureGivesExactRecordsAndQuarantineLines) {
  std::vector<ParsedRecord> all = ReadFixture(BankFormat::kJsonl, "items.jsonl");
  std::vector<ParsedRecord> good = GoodRecords(all);
  ASSERT_EQ(good.size(), 2u);
  Item want;
  want.id = 5;
  want.bank = "OTHER";
  want.signals = {BankSignal{Signal{SignalType::kPdq, kH1, 88}, "pdq", 1},
                  BankSignal{Signal{SignalType::kSha1, kSha1, -1}, "sha1", 1}};
  want.classification = {UkCategory::kA,  AgeBand::k3To6, false, true,
                         ChildSex::kBoth, "forum",        true,  "A2"};
  want.provenance = {"ncmec", "N-5", "42"};
  want.note = "synthetic";
  want.created_at_ms = 1'700'000'000'000;
  want.updated_at_ms = 1'700'000'001'000;
  want.disable_until_ms = 1'800'000'000'000;
  EXPECT_EQ(good[0].item, want);
  EXPECT_EQ(good[0].action, RecordAction::kUpsert);
  EXPECT_EQ(good[1].line, 2);
  EXPECT_EQ(good[1].item.signals[0].signal, (Signal{SignalType::kMd5, kM2, -1}));

  std::vector<std::string> q = QuarantineLines(all);
  ASSERT_EQ(q.size(), 6u);
  EXPECT_THAT(q[0], StartsWith("3: bad JSON: parse error at line 1, column 101"));
  EXPECT_EQ(q[1], "4: missing field \"signals\"");
  EXPECT_EQ(q[2], "6: signals[0]: pdq quality 20 is under the minimum of 50");
  EXPECT_EQ(q[3],
            "7: unknown age band \"18-25\" (expected one of: unknown, 0-2, 3-6, 7-10, 11-13, "
            "14-15, 16-17)");
  EXPECT_EQ(q[4], "8: field \"signals\" must be a non-empty array");
  EXPECT_EQ(q[5], "9: item must be a JSON object");
}

// A number too large for a double made nlohmann throw out_of_range, not parse_error, and the
// exception ended the whole import (found by fuzz/bank_records_fuzz). Now it is one
// quarantined record in JSON Lines and in a StopNCII array, and reading goes on.
TEST(JsonFormats, NumberOverflowIsQuarantinedAndReadingGoesOn) {
  const std::string pdq = "\"pdq\",\"value\":\"" + std::string(kH1) + "\"";
  std::vector<ParsedRecord> all = ReadString(
      BankFormat::kJsonl, "{\"signals\":[{\"type\":" + pdq + "}],\"created_at_ms\":9e3779}\n" +
                              "{\"signals\":[{\"type\":" + pdq + "}]}\n");
  ASSERT_EQ(all.size(), 2u);
  EXPECT_THAT(QuarantineLines(all),
              ElementsAre(StartsWith("1: bad JSON: number overflow parsing '9e3779'")));
  EXPECT_FALSE(all[1].quarantined);

  all = ReadString(BankFormat::kStopNcii,
                   "[{\"signalType\":\"ImagePDQ\",\"hashValue\":\"" + std::string(kH1) +
                       "\",\"lastModtimestamp\":1e999},\n{\"signalType\":\"ImagePDQ\","
                       "\"hashValue\":\"" +
                       std::string(kH1) +
                       "\",\"lastModtimestamp\":1700000000,\"hashStatus\":\"Active\"}]");
  ASSERT_EQ(all.size(), 2u);
  EXPECT_THAT(QuarantineLines(all), ElementsAre(StartsWith("1: bad JSON: number overflow")));
  EXPECT_FALSE(all[1].quarantined);
}

TEST(StopNciiFormat, FixtureGivesExactRecordsAndQuarantineLines) {
  std::vector<ParsedRecord> all = ReadFixture(BankFormat::kStopNcii, "stopncii.json");
  std::vector<ParsedRecord> good = GoodRecords(all);
  ASSERT_EQ(good.size(), 5u);
  EXPECT_EQ(good[0].line, 2);
  EXPECT_EQ(good[0].action, RecordAction::kUpsert);
  EXPECT_EQ(good[0].modified_ms, 1'000'000);  // 1000 is Unix seconds
  EXPECT_EQ(good[0].item.signals[0].signal, (Signal{SignalType::kPdq, kH1, -1}));
  EXPECT_EQ(good[0].item.provenance, (Provenance{"stopncii", "SN-1", ""}));
  EXPECT_EQ(good[2].line, 4);
  EXPECT_EQ(good[2].action, RecordAction::kRemove);  // Withdrawn
  EXPECT_EQ(good[3].line, 5);
  EXPECT_EQ(good[3].action, RecordAction::kRemove);  // Deleted
  EXPECT_EQ(good[3].modified_ms, 1'500'000);
  // A record spread over three lines is reported at its first line.
  EXPECT_EQ(good[4].line, 9);
  EXPECT_EQ(good[4].modified_ms, 1'700'000'000'000);  // ISO 8601
  EXPECT_EQ(good[4].item.signals[0].signal, (Signal{SignalType::kMd5, kM2, -1}));
  EXPECT_EQ(good[4].item.provenance.external_id, "SN-3,4");
  EXPECT_EQ(good[4].item.note, R"([{"csp":"example","feedback":"confirmed"}])");

  std::vector<std::string> q = QuarantineLines(all);
  ASSERT_EQ(q.size(), 4u);
  EXPECT_EQ(q[0],
            "6: unsupported StopNCII signalType \"VideoMD5\" (Warden imports ImagePDQ and "
            "ImageMD5)");
  EXPECT_EQ(q[1], "7: pdq hash must be 64 hex digits, got 32");
  EXPECT_EQ(q[2], "8: missing field \"hashStatus\"");
  EXPECT_THAT(q[3], StartsWith("12: bad JSON: "));  // a trailing comma inside the object
}

TEST(StopNciiFormat, OneObjectPerLineAndGarbageBetween) {
  std::string text = "{\"lastModtimestamp\":5,\"signalType\":\"ImagePDQ\",\"hashValue\":\"" + kH3 +
                     "\",\"hashStatus\":\"Active\"}\n"
                     "not json at all\n"
                     "{\"lastModtimestamp\":6,\"signalType\":\"ImagePDQ\",\"hashValue\":\"" +
                     kH4 +
                     "\",\"hashStatus\":\"Deleted\"}\n"
                     "{\"lastModtimestamp\":7,\"signalType\":\"ImagePDQ\",\"hashValue\":\"a}b{\"";
  std::vector<ParsedRecord> all = ReadString(BankFormat::kStopNcii, text);
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0].item.signals[0].signal.value, kH3);
  EXPECT_EQ(all[1].line, 2);
  EXPECT_EQ(all[1].reason, "expected a JSON object, got \"not json at all\"");
  EXPECT_EQ(all[2].line, 3);
  EXPECT_EQ(all[2].action, RecordAction::kRemove);
  EXPECT_EQ(all[3].line, 4);
  EXPECT_EQ(all[3].reason, "JSON object is not closed before the end of the file");
}

TEST(NcmecXmlFormat, FixtureGivesExactRecordsAndQuarantineLines) {
  std::vector<ParsedRecord> all = ReadFixture(BankFormat::kNcmecXml, "ncmec.xml");
  std::vector<ParsedRecord> good = GoodRecords(all);
  ASSERT_EQ(good.size(), 4u);
  const Item& a = good[0].item;
  EXPECT_EQ(good[0].line, 5);
  EXPECT_EQ(good[0].action, RecordAction::kUpsert);
  EXPECT_EQ(good[0].modified_ms, 1'704'164'645'000);
  ASSERT_EQ(a.signals.size(), 3u);
  EXPECT_EQ(a.signals[0].signal, (Signal{SignalType::kMd5, kM1, -1}));
  EXPECT_EQ(a.signals[1].signal, (Signal{SignalType::kSha1, kSha1, -1}));
  EXPECT_EQ(a.signals[2].signal, (Signal{SignalType::kPdq, kH1, 90}));
  EXPECT_EQ(a.classification.scheme_label, "A1");
  EXPECT_EQ(a.provenance, (Provenance{"ncmec", "1001", "42"}));

  EXPECT_EQ(good[1].line, 19);
  EXPECT_EQ(good[1].modified_ms, 1'704'240'000'250);
  EXPECT_EQ(good[1].item.classification.scheme_label, "B1 & more");
  ASSERT_EQ(good[1].item.signals.size(), 1u);  // <pdna> is ignored
  EXPECT_EQ(good[2].line, 25);
  EXPECT_EQ(good[2].item.signals[0].signal, (Signal{SignalType::kPdq, kH3, 64}));
  EXPECT_EQ(good[3].line, 31);
  EXPECT_EQ(good[3].action, RecordAction::kRemove);
  EXPECT_EQ(good[3].item.signals[0].signal, (Signal{SignalType::kMd5, kM1, -1}));

  EXPECT_THAT(
      QuarantineLines(all),
      ElementsAre(
          "16: <image>: <pdq>: pdq hash must be 64 hex digits, got 31",
          "17: <image>: no md5, sha1, sha256 or pdq fingerprint",
          "18: <image>: </fingerprnts> on line 18 does not close <fingerprints>",
          "24: <image>: bad XML: unknown entity &bogus; (only the XML predefined ones are "
          "accepted)",
          "28: <video>: video entries are not imported (Warden has no video signal types yet)",
          "32: <deletedImage>: no md5, sha1, sha256 or pdq fingerprint (Warden removes by "
          "fingerprint; an entry id alone is not enough)"));
}

TEST(NcmecXmlFormat, UnclosedEntriesDoctypeAndCdata) {
  std::string text =
      "<!DOCTYPE x [<!ENTITY a \"aaaa\"> <!ENTITY b \"&a;&a;&a;\">]>\n"
      "<image><id>1</id><timestamp>1</timestamp><fingerprints><md5>" +
      kM1 +
      "</md5>\n"
      "<image><id><![CDATA[2<>]]></id><timestamp>2</timestamp><fingerprints><md5>" +
      kM2 +
      "</md5></fingerprints></image>\n"
      "<image><id>3</id><timestamp>3</timestamp>";
  std::vector<ParsedRecord> all = ReadString(BankFormat::kNcmecXml, text);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].line, 2);
  EXPECT_EQ(all[0].reason, "<image> is not closed before <image> on line 3");
  EXPECT_FALSE(all[1].quarantined);
  EXPECT_EQ(all[1].item.provenance.external_id, "2<>");
  EXPECT_EQ(all[2].line, 4);
  EXPECT_EQ(all[2].reason, "<image> is not closed at the end of the input");
}

}  // namespace
}  // namespace warden
