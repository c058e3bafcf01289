// Local signals in the exchange formats: csv and jsonl carry them; pytx, ncmec, stopncii and
// pdq-hasher leave them out (ExportSummary counts what was left out); the pdq-hasher reader
// takes the "local:<hex>" field `warden hash --local` prints.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "src/bank/format_test_util.h"
#include "src/hash/local_test_signal.h"
#include "warden/bank_formats.h"
#include "warden/bank_store.h"

namespace warden {
namespace {

using ::testing::HasSubstr;

// Item 1: pdq + local; item 2: local only.
std::vector<Item> LocalItems(const Signal& l1, const Signal& l2) {
  Item a;
  a.id = 1;
  a.bank = "LOCAL";
  a.signals = {BankSignal{Signal{SignalType::kPdq, kH1, 93}, "pdq", 1},
               BankSignal{l1, "warden-local", 1}};
  a.provenance = {"own", "case-7", ""};
  a.updated_at_ms = 1'700'000'005'000;
  Item b;
  b.id = 2;
  b.bank = "LOCAL";
  b.signals = {BankSignal{l2, "warden-local", 1}};
  b.updated_at_ms = 1'700'000'006'000;
  return {a, b};
}

// Writes `items` in `format`; returns the text and sets *written to the items written.
std::string WriteAll(BankFormat format, const std::vector<Item>& items, int* written) {
  std::ostringstream out;
  std::unique_ptr<RecordWriter> w = NewRecordWriter(format, out);
  EXPECT_TRUE(w->Begin().ok());
  *written = 0;
  for (const Item& item : items) {
    Result<bool> r = w->Write(item);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    *written += (r.ok() && *r) ? 1 : 0;
  }
  EXPECT_TRUE(w->Finish().ok());
  return out.str();
}

TEST(LocalFormats, WhichFormatsCarryLocal) {
  EXPECT_TRUE(BankFormatCarries(BankFormat::kJsonl, SignalType::kLocal));
  EXPECT_TRUE(BankFormatCarries(BankFormat::kCsv, SignalType::kLocal));
  for (BankFormat f :
       {BankFormat::kPytx, BankFormat::kNcmecXml, BankFormat::kStopNcii, BankFormat::kPdqHasher}) {
    EXPECT_FALSE(BankFormatCarries(f, SignalType::kLocal)) << BankFormatName(f);
    EXPECT_TRUE(BankFormatCarries(f, SignalType::kPdq)) << BankFormatName(f);
  }
  EXPECT_TRUE(BankFormatCarries(BankFormat::kPytx, SignalType::kSha1));
  EXPECT_FALSE(BankFormatCarries(BankFormat::kStopNcii, SignalType::kSha1));
  EXPECT_FALSE(BankFormatCarries(BankFormat::kPdqHasher, SignalType::kMd5));
}

TEST(LocalFormats, JsonlRoundTripIsExact) {
  const std::vector<Item> items =
      LocalItems(SyntheticLocalSignal(1, kLocalStoredKeypoints), SyntheticLocalSignal(2));
  int written = 0;
  const std::string text = WriteAll(BankFormat::kJsonl, items, &written);
  EXPECT_EQ(written, 2);
  std::vector<ParsedRecord> back = ReadString(BankFormat::kJsonl, text);
  EXPECT_THAT(QuarantineLines(back), ::testing::IsEmpty());
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].item, items[0]);
  EXPECT_EQ(back[1].item, items[1]);
}

TEST(LocalFormats, CsvCarriesLocalAsFirstOrExtraSignal) {
  std::vector<Item> items = LocalItems(SyntheticLocalSignal(3), SyntheticLocalSignal(4));
  int written = 0;
  const std::string text = WriteAll(BankFormat::kCsv, items, &written);
  EXPECT_EQ(written, 2);
  std::vector<ParsedRecord> back = ReadString(BankFormat::kCsv, text);
  EXPECT_THAT(QuarantineLines(back), ::testing::IsEmpty());
  ASSERT_EQ(back.size(), 2u);
  // Item 1's local signal rides in extra_signals, item 2's is the row's own signal.
  ASSERT_EQ(back[0].item.signals.size(), 2u);
  EXPECT_EQ(back[0].item.signals[1].signal, items[0].signals[1].signal);
  ASSERT_EQ(back[1].item.signals.size(), 1u);
  EXPECT_EQ(back[1].item.signals[0].signal, items[1].signals[0].signal);
  EXPECT_EQ(back[1].item.signals[0].algorithm, "warden-local");
  EXPECT_EQ(back[1].item.signals[0].algorithm_version, 1);
}

TEST(LocalFormats, ForeignFormatsLeaveLocalOut) {
  const std::vector<Item> items = LocalItems(SyntheticLocalSignal(5), SyntheticLocalSignal(6));
  for (BankFormat f :
       {BankFormat::kPytx, BankFormat::kNcmecXml, BankFormat::kStopNcii, BankFormat::kPdqHasher}) {
    int written = 0;
    const std::string text = WriteAll(f, items, &written);
    // The local-only item has nothing these formats can hold; item 1 keeps its PDQ.
    EXPECT_EQ(written, 1) << BankFormatName(f);
    EXPECT_EQ(text.find("local"), std::string::npos) << BankFormatName(f) << ": " << text;
    std::vector<ParsedRecord> back = ReadString(f, text);
    EXPECT_THAT(QuarantineLines(back), ::testing::IsEmpty()) << BankFormatName(f);
    ASSERT_EQ(back.size(), 1u) << BankFormatName(f);
    EXPECT_EQ(back[0].item.signals[0].signal.value, kH1) << BankFormatName(f);
  }
}

TEST(LocalFormats, PytxQuarantinesALocalLine) {
  const Signal local = SyntheticLocalSignal(7);
  std::vector<ParsedRecord> back =
      ReadString(BankFormat::kPytx, "pdq " + kH1 + "\nlocal " + local.value + "\n");
  ASSERT_EQ(back.size(), 2u);
  EXPECT_FALSE(back[0].quarantined);
  EXPECT_THAT(
      QuarantineLines(back),
      ::testing::ElementsAre("2: pytx files do not carry local signals (use jsonl or csv)"));
}

TEST(LocalFormats, PdqHasherReadsTheLocalFieldOfWardenHash) {
  const Signal local = SyntheticLocalSignal(8);
  const std::string text = kH1 + ",93,local:" + local.value + ",dir/a,b.jpg\n" +  // with local
                           kH2 + ",90,local:,tiny.png\n" +                        // no keypoints
                           kH3 + ",88,local:notes.txt\n" +                        // a file name
                           kH4 + ",80,local:0000,x.jpg\n";                        // bad local
  std::vector<ParsedRecord> back = ReadString(BankFormat::kPdqHasher, text);
  ASSERT_EQ(back.size(), 4u);
  ASSERT_EQ(back[0].item.signals.size(), 2u);
  EXPECT_EQ(back[0].item.signals[0].signal, (Signal{SignalType::kPdq, kH1, 93}));
  EXPECT_EQ(back[0].item.signals[1].signal, local);
  EXPECT_EQ(back[0].item.provenance.external_id, "dir/a,b.jpg");
  ASSERT_EQ(back[1].item.signals.size(), 1u);
  EXPECT_EQ(back[1].item.provenance.external_id, "tiny.png");
  ASSERT_EQ(back[2].item.signals.size(), 1u);
  EXPECT_EQ(back[2].item.provenance.external_id, "local:notes.txt");
  ASSERT_TRUE(back[3].quarantined);
  EXPECT_THAT(back[3].reason, HasSubstr("local signal does not decode"));
}

TEST(LocalFormats, ExportCountsWhatAFormatLeavesOut) {
  std::unique_ptr<BankStore> store = NewMemoryStore();
  Bank bank;
  bank.name = "LOCAL";
  ASSERT_TRUE(store->CreateBank(bank, "t").ok());
  std::vector<Item> items = LocalItems(SyntheticLocalSignal(9), SyntheticLocalSignal(10));
  for (Item item : items) {
    item.id = 0;
    Result<AddItemResult> added = store->AddItem(item, "t");
    ASSERT_TRUE(added.ok()) << added.status().ToString();
  }
  std::ostringstream pytx;
  Result<ExportSummary> partial = ExportBank(*store, "LOCAL", BankFormat::kPytx, pytx);
  ASSERT_TRUE(partial.ok()) << partial.status().ToString();
  EXPECT_EQ(partial->written, 1);
  EXPECT_EQ(partial->skipped, 1);
  EXPECT_EQ(partial->left_out, (std::map<SignalType, int64_t>{{SignalType::kLocal, 2}}));

  std::ostringstream jsonl;
  Result<ExportSummary> whole = ExportBank(*store, "LOCAL", BankFormat::kJsonl, jsonl);
  ASSERT_TRUE(whole.ok());
  EXPECT_EQ(whole->written, 2);
  EXPECT_TRUE(whole->left_out.empty());
  // Importing the JSONL export into another bank gives back both local signals.
  bank.name = "COPY";
  ASSERT_TRUE(store->CreateBank(bank, "t").ok());
  std::istringstream in(jsonl.str());
  Result<ImportSummary> imported = ImportStream(*store, "COPY", in, ImportOptions());
  ASSERT_TRUE(imported.ok()) << imported.status().ToString();
  EXPECT_EQ(imported->added, 2);
  EXPECT_EQ(imported->quarantined, 0);
  Result<std::vector<Item>> copy = store->FindItemsBySignal("COPY", items[1].signals[0].signal);
  ASSERT_TRUE(copy.ok());
  ASSERT_EQ(copy->size(), 1u);
  EXPECT_EQ((*copy)[0].signals[0], items[1].signals[0]);
}

}  // namespace
}  // namespace warden
