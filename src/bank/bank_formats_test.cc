// Format names, detection, write -> read round trips for every format, and hostile input.
#include "warden/bank_formats.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

#include "src/bank/format_test_util.h"

namespace warden {
namespace {

constexpr BankFormat kAll[] = {BankFormat::kPdqHasher, BankFormat::kPytx,
                               BankFormat::kCsv,       BankFormat::kJsonl,
                               BankFormat::kStopNcii,  BankFormat::kNcmecXml};

TEST(BankFormat, NamesParseBack) {
  for (BankFormat f : kAll) {
    Result<BankFormat> back = ParseBankFormat(BankFormatName(f));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, f);
  }
  EXPECT_EQ(*ParseBankFormat("NCMEC"), BankFormat::kNcmecXml);
  EXPECT_EQ(ParseBankFormat("xml").status().code(), StatusCode::kInvalidArgument);
}

TEST(BankFormat, DetectsEveryFixture) {
  const std::pair<const char*, BankFormat> cases[] = {
      {"pytx.txt", BankFormat::kPytx},          {"pdq_hasher.txt", BankFormat::kPdqHasher},
      {"items.csv", BankFormat::kCsv},          {"items.jsonl", BankFormat::kJsonl},
      {"stopncii.json", BankFormat::kStopNcii}, {"ncmec.xml", BankFormat::kNcmecXml}};
  for (const auto& [name, want] : cases) {
    std::ifstream in(FixturePath(name), std::ios::binary);
    std::string head((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    Result<BankFormat> got = DetectBankFormat(head);
    ASSERT_TRUE(got.ok()) << name << ": " << got.status().ToString();
    EXPECT_EQ(*got, want) << name;
  }
  // One StopNCII object per line is StopNCII, not Warden's JSONL.
  EXPECT_EQ(*DetectBankFormat("{\"signalType\":\"ImagePDQ\"}\n"), BankFormat::kStopNcii);
  EXPECT_EQ(DetectBankFormat("").status().code(), StatusCode::kUnsupportedFormat);
  Result<BankFormat> binary = DetectBankFormat(std::string("\x89PNG\r\n\x1a\n\0\0", 10));
  EXPECT_EQ(binary.status().code(), StatusCode::kUnsupportedFormat);
  EXPECT_THAT(binary.status().message(), ::testing::HasSubstr("\\x89PNG"));
}

std::vector<Item> SampleItems() {
  std::vector<Item> items;
  Item a;
  a.id = 1;
  a.bank = "SAMPLE";
  a.signals = {BankSignal{Signal{SignalType::kPdq, kH1, 93}, "pdq", 1},
               BankSignal{Signal{SignalType::kMd5, kM1, -1}, "md5", 1}};
  a.classification = {UkCategory::kB,   AgeBand::k14To15,    true, false,
                      ChildSex::kGirls, "image host, cloud", true, "A2"};
  a.provenance = {"iwf", "IWF-9", "m7"};
  a.note = "line one\nline \"two\", with comma; <xml> & stuff";
  a.created_at_ms = 1'700'000'000'000;
  a.updated_at_ms = 1'700'000'005'000;
  a.disable_until_ms = kDisabledForever;
  items.push_back(a);
  Item b;
  b.id = 2;
  b.bank = "SAMPLE";
  b.signals = {BankSignal{Signal{SignalType::kPdq, kH2, -1}, "pdq", 1}};
  b.provenance = {"stopncii", "SN-1,SN-2", ""};
  b.note = R"([{"csp":"x"}])";
  b.updated_at_ms = 1'700'000'009'000;
  b.disable_until_ms = 1'800'000'000'000;
  items.push_back(b);
  Item c;
  c.id = 3;
  c.bank = "SAMPLE";
  c.signals = {BankSignal{Signal{SignalType::kSha256, kS1, -1}, "sha256", 1}};
  c.updated_at_ms = 1'700'000'010'000;
  items.push_back(c);
  return items;
}

std::vector<ParsedRecord> WriteThenRead(BankFormat format, const std::vector<Item>& items,
                                        int* written) {
  std::ostringstream out;
  std::unique_ptr<RecordWriter> w = NewRecordWriter(format, out);
  EXPECT_TRUE(w->Begin().ok());
  *written = 0;
  for (const Item& item : items) {
    Result<bool> r = w->Write(item);
    EXPECT_TRUE(r.ok());
    *written += (r.ok() && *r) ? 1 : 0;
  }
  EXPECT_TRUE(w->Finish().ok());
  // Detection must also recognise what Warden writes (pdq-hasher output included).
  Result<BankFormat> detected = DetectBankFormat(out.str());
  EXPECT_TRUE(detected.ok() && *detected == format) << BankFormatName(format);
  std::vector<ParsedRecord> back = ReadString(format, out.str());
  EXPECT_THAT(QuarantineLines(back), ::testing::IsEmpty()) << out.str();
  return back;
}

TEST(RoundTrip, JsonlIsExact) {
  std::vector<Item> items = SampleItems();
  int written = 0;
  std::vector<ParsedRecord> back = WriteThenRead(BankFormat::kJsonl, items, &written);
  EXPECT_EQ(written, 3);
  ASSERT_EQ(back.size(), 3u);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(back[i].item, items[i]) << i;
}

TEST(RoundTrip, CsvKeepsEveryFieldButIdsAndTimes) {
  std::vector<Item> items = SampleItems();
  int written = 0;
  std::vector<ParsedRecord> back = WriteThenRead(BankFormat::kCsv, items, &written);
  ASSERT_EQ(back.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    Item want = items[i];
    want.id = 0;
    want.bank.clear();
    want.created_at_ms = want.updated_at_ms = 0;
    Item got = back[i].item;
    NormalizeItem(&got);  // extra signals come back with the default algorithm
    EXPECT_EQ(got, want) << i;
  }
}

TEST(RoundTrip, PytxWritesOneLinePerSignal) {
  int written = 0;
  std::vector<ParsedRecord> back = WriteThenRead(BankFormat::kPytx, SampleItems(), &written);
  EXPECT_EQ(written, 3);
  ASSERT_EQ(back.size(), 4u);
  EXPECT_EQ(back[0].item.signals[0].signal, (Signal{SignalType::kPdq, kH1, -1}));
  EXPECT_EQ(back[1].item.signals[0].signal, (Signal{SignalType::kMd5, kM1, -1}));
  EXPECT_EQ(back[2].item.signals[0].signal, (Signal{SignalType::kPdq, kH2, -1}));
  EXPECT_EQ(back[3].item.signals[0].signal, (Signal{SignalType::kSha256, kS1, -1}));
}

TEST(RoundTrip, PdqHasherKeepsHashQualityAndName) {
  int written = 0;
  std::vector<ParsedRecord> back = WriteThenRead(BankFormat::kPdqHasher, SampleItems(), &written);
  EXPECT_EQ(written, 2);  // the sha256-only item has no PDQ
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].item.signals[0].signal, (Signal{SignalType::kPdq, kH1, 93}));
  EXPECT_EQ(back[0].item.provenance.external_id, "IWF-9");
  EXPECT_EQ(back[1].item.signals[0].signal, (Signal{SignalType::kPdq, kH2, -1}));
  EXPECT_EQ(back[1].item.provenance.external_id, "SN-1,SN-2");
}

TEST(RoundTrip, StopNciiKeepsHashesCasesFeedbackAndTime) {
  int written = 0;
  std::vector<ParsedRecord> back = WriteThenRead(BankFormat::kStopNcii, SampleItems(), &written);
  EXPECT_EQ(written, 2);
  ASSERT_EQ(back.size(), 3u);  // item 1 has two signals: two records
  EXPECT_EQ(back[0].item.signals[0].signal, (Signal{SignalType::kPdq, kH1, -1}));
  EXPECT_EQ(back[1].item.signals[0].signal, (Signal{SignalType::kMd5, kM1, -1}));
  EXPECT_EQ(back[0].modified_ms, 1'700'000'005'000);
  EXPECT_EQ(back[0].action, RecordAction::kUpsert);
  EXPECT_EQ(back[2].item.provenance, (Provenance{"stopncii", "SN-1,SN-2", ""}));
  EXPECT_EQ(back[2].item.note, R"([{"csp":"x"}])");
  EXPECT_EQ(back[2].modified_ms, 1'700'000'009'000);
}

TEST(RoundTrip, NcmecKeepsFingerprintsIdsLabelAndTime) {
  int written = 0;
  std::vector<ParsedRecord> back = WriteThenRead(BankFormat::kNcmecXml, SampleItems(), &written);
  EXPECT_EQ(written, 3);
  ASSERT_EQ(back.size(), 3u);
  EXPECT_EQ(back[0].item.signals[0].signal, (Signal{SignalType::kPdq, kH1, 93}));
  EXPECT_EQ(back[0].item.signals[1].signal, (Signal{SignalType::kMd5, kM1, -1}));
  EXPECT_EQ(back[0].item.provenance, (Provenance{"ncmec", "IWF-9", "m7"}));
  EXPECT_EQ(back[0].item.classification.scheme_label, "A2");
  EXPECT_EQ(back[0].modified_ms, 1'700'000'005'000);
  EXPECT_EQ(back[2].item.provenance.external_id, "warden-3");  // no external id: Warden's id
  EXPECT_EQ(back[2].item.signals[0].signal, (Signal{SignalType::kSha256, kS1, -1}));
}

// Hostile input: binary bytes, a 32-character "PDQ" (it crashed HMA's index, issue #1609),
// truncations. Every reader must end, never crash, and quarantine rather than fail.
TEST(Garbage, EveryReaderSurvivesRandomBytesAndShortPdq) {
  std::mt19937_64 rng(1609);
  std::vector<std::string> inputs = {
      "pdq " + kH1.substr(0, 32) + "\n",
      kH1.substr(0, 32) + ",90,x.jpg\n",
      std::string("\0\0\0\xff\xfe<<<&&&{{{[[[\"\"\",,,\n\r", 20),
      "<image><fingerprints><pdq>" + kH1.substr(0, 32) + "</pdq></fingerprints></image>",
      "[{\"signalType\":\"ImagePDQ\",\"hashValue\":\"" + kH1.substr(0, 32) + "\"}]",
      std::string(5000, '{'),
      std::string(5000, '<'),
  };
  for (int i = 0; i < 40; ++i) {
    std::string bytes(static_cast<size_t>(rng() % 3000), '\0');
    for (char& c : bytes) c = static_cast<char>(rng() & 0xff);
    inputs.push_back(bytes);
  }
  for (BankFormat f : kAll) {
    for (const std::string& input : inputs) {
      std::istringstream in(input);
      std::unique_ptr<RecordReader> reader = NewRecordReader(f, in);
      ParsedRecord rec;
      int n = 0;
      while (n < 100000) {
        Result<bool> more = reader->Next(&rec);
        if (!more.ok()) {
          // Only the CSV reader may refuse a whole file (no usable header).
          EXPECT_EQ(f, BankFormat::kCsv);
          EXPECT_EQ(more.status().code(), StatusCode::kCorruptData);
          break;
        }
        if (!*more) break;
        ++n;
        if (!rec.quarantined) {
          EXPECT_EQ(ValidateItem([&] {
                      Item item = rec.item;
                      item.bank = "B";
                      NormalizeItem(&item);
                      item.classification.self_generated &= !item.classification.ai_or_manipulated;
                      return item;
                    }())
                        .ok(),
                    true);
        }
      }
      EXPECT_LT(n, 100000) << BankFormatName(f);
    }
  }
  // The 32-character PDQ is quarantined by the line formats with its reason.
  std::vector<ParsedRecord> r = ReadString(BankFormat::kPytx, inputs[0]);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].reason, "pdq hash must be 64 hex digits, got 32");
}

}  // namespace
}  // namespace warden
