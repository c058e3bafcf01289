// The import and export drivers against the in-memory store: counts, dedupe, later-record-wins,
// removals, batches, quarantine files, detection and export.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "src/bank/format_test_util.h"
#include "src/store/store_test_util.h"
#include "warden/bank_store.h"

namespace warden {
namespace {

using ::testing::ElementsAre;

class ImportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = NewMemoryStore(&clock_);
    Bank bank;
    bank.name = "LIST";
    ASSERT_TRUE(store_->CreateBank(bank, "test").ok());
  }

  ImportSummary Import(const std::string& fixture, ImportOptions options = {}) {
    Result<ImportSummary> r = ImportFile(*store_, "LIST", FixturePath(fixture), options);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : ImportSummary();
  }

  std::vector<Item> Items() {
    Result<std::vector<Item>> r = store_->ListItems("LIST", 0, 1000);
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : std::vector<Item>();
  }

  std::vector<std::string> HeldValues() {
    std::vector<std::string> out;
    for (const Item& item : Items()) {
      for (const BankSignal& s : item.signals) out.push_back(s.signal.ToTagged());
    }
    return out;
  }

  FakeClock clock_;
  std::unique_ptr<BankStore> store_;
};

TEST_F(ImportTest, PytxCountsAndImportingTwiceAddsNothing) {
  ImportSummary s = Import("pytx.txt");
  EXPECT_EQ(s.format, BankFormat::kPytx);  // detected
  EXPECT_EQ(s.records, 9);
  EXPECT_EQ(s.added, 3);
  EXPECT_EQ(s.duplicate, 1);  // line 11 repeats line 2 in upper case
  EXPECT_EQ(s.quarantined, 5);
  EXPECT_EQ(s.updated + s.removed, 0);
  ASSERT_EQ(s.quarantine.size(), 5u);
  EXPECT_EQ(s.quarantine[0], (QuarantinedRecord{5, "pdq hash must be 64 hex digits, got 32"}));
  EXPECT_THAT(HeldValues(), ElementsAre("pdq:" + kH1, "md5:" + kM1, "sha256:" + kS1));
  EXPECT_EQ(Items()[0].provenance.source_list, "pytx.txt");
  EXPECT_EQ(Items()[0].signals[0].algorithm, "pdq");

  ImportSummary again = Import("pytx.txt");
  EXPECT_EQ(again.added, 0);
  EXPECT_EQ(again.duplicate, 4);
  EXPECT_EQ(Items().size(), 3u);
}

TEST_F(ImportTest, BarePytxNeverWipesAnItemsClassification) {
  Import("items.csv");
  ImportSummary s = Import("pytx.txt");
  EXPECT_EQ(s.duplicate, 3);  // kH1 twice and kM1: all held by the CSV row of line 2
  EXPECT_EQ(s.added, 1);      // the sha256
  Result<std::vector<Item>> held = store_->FindItemsBySignal("LIST", Signal{SignalType::kPdq, kH1});
  ASSERT_TRUE(held.ok());
  ASSERT_EQ(held->size(), 1u);
  EXPECT_EQ((*held)[0].classification.uk_category, UkCategory::kA);
}

TEST_F(ImportTest, CsvRowFailingItemValidationIsQuarantined) {
  ImportSummary s = Import("items.csv");
  EXPECT_EQ(s.added, 3);
  EXPECT_EQ(s.quarantined, 4);
  ASSERT_EQ(s.quarantine.size(), 4u);
  EXPECT_EQ(s.quarantine[2].line, 8);
  EXPECT_THAT(s.quarantine[2].reason, ::testing::HasSubstr("both self-generated and AI"));
}

TEST_F(ImportTest, StopNciiLaterRecordWinsAndWithdrawnRemoves) {
  ImportSummary s = Import("stopncii.json");
  EXPECT_EQ(s.format, BankFormat::kStopNcii);
  EXPECT_EQ(s.records, 9);
  EXPECT_EQ(s.added, 3);       // H1, H2, M2
  EXPECT_EQ(s.removed, 1);     // H1 withdrawn at t=3000
  EXPECT_EQ(s.superseded, 1);  // H2 deleted at t=1500 is older than its Active at t=2000
  EXPECT_EQ(s.quarantined, 4);
  EXPECT_THAT(HeldValues(), ElementsAre("pdq:" + kH2, "md5:" + kM2));
}

TEST_F(ImportTest, StopNciiOrderInTheFileDoesNotMatter) {
  // The same two records for one hash, newest first: the Deleted (newest) must win.
  std::string newest_first =
      "{\"lastModtimestamp\":20,\"signalType\":\"ImagePDQ\",\"hashValue\":\"" + kH3 +
      "\",\"hashStatus\":\"Deleted\"}\n"
      "{\"lastModtimestamp\":10,\"signalType\":\"ImagePDQ\",\"hashValue\":\"" +
      kH3 + "\",\"hashStatus\":\"Active\"}\n";
  ImportOptions options;
  options.batch_size = 1;  // across batch boundaries too
  std::istringstream in(newest_first);
  Result<ImportSummary> s = ImportStream(*store_, "LIST", in, options);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->not_found, 1);
  EXPECT_EQ(s->superseded, 1);
  EXPECT_TRUE(Items().empty());

  // Re-activated later: the Active (newest) wins and updates the existing item.
  std::string reactivate = "{\"lastModtimestamp\":30,\"signalType\":\"ImagePDQ\",\"hashValue\":\"" +
                           kH4 +
                           "\",\"hashStatus\":\"Active\",\"caseNumbers\":[\"A\"]}\n"
                           "{\"lastModtimestamp\":40,\"signalType\":\"ImagePDQ\",\"hashValue\":\"" +
                           kH4 +
                           "\",\"hashStatus\":\"Active\",\"caseNumbers\":[\"B\"]}\n"
                           "{\"lastModtimestamp\":35,\"signalType\":\"ImagePDQ\",\"hashValue\":\"" +
                           kH4 + "\",\"hashStatus\":\"Withdrawn\"}\n";
  std::istringstream in2(reactivate);
  s = ImportStream(*store_, "LIST", in2, options);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->added, 1);
  EXPECT_EQ(s->updated, 1);
  EXPECT_EQ(s->superseded, 1);
  ASSERT_EQ(Items().size(), 1u);
  EXPECT_EQ(Items()[0].provenance.external_id, "B");
}

TEST_F(ImportTest, NcmecDeletedImageRemovesTheEntry) {
  ImportSummary s = Import("ncmec.xml");
  EXPECT_EQ(s.format, BankFormat::kNcmecXml);
  EXPECT_EQ(s.added, 3);    // 1001, 1005, 1007
  EXPECT_EQ(s.removed, 1);  // deletedImage 1001
  EXPECT_EQ(s.quarantined, 6);
  std::vector<Item> items = Items();
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].provenance, (Provenance{"ncmec", "1005", "7"}));
  EXPECT_EQ(items[1].provenance, (Provenance{"ncmec", "1007", "9"}));
  EXPECT_EQ(items[1].signals[0].signal.quality, 64);
}

TEST_F(ImportTest, JsonlImportIgnoresFileIdsAndBank) {
  ImportSummary s = Import("items.jsonl");
  EXPECT_EQ(s.added, 2);
  EXPECT_EQ(s.quarantined, 6);
  std::vector<Item> items = Items();
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].bank, "LIST");
  EXPECT_EQ(items[0].created_at_ms, clock_.NowMs());
  EXPECT_EQ(items[0].disable_until_ms, 1'800'000'000'000);
}

TEST_F(ImportTest, BatchBoundariesThreeOverTen) {
  std::string text;
  std::mt19937_64 rng(3);
  for (int i = 0; i < 10; ++i) text += "pdq " + RandomHex(rng, SignalType::kPdq) + "\n";
  std::vector<int64_t> progress;
  ImportOptions options;
  options.batch_size = 3;
  options.format = BankFormat::kPytx;
  options.source_name = "ten.txt";
  options.progress = [&](int64_t done) { progress.push_back(done); };
  std::istringstream in(text);
  Result<ImportSummary> s = ImportStream(*store_, "LIST", in, options);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->added, 10);
  EXPECT_EQ(s->batches, 4);
  EXPECT_THAT(progress, ElementsAre(3, 6, 9, 10));
  // One import history entry per batch, with the batch's summary.
  HistoryFilter filter;
  filter.action = HistoryAction::kImport;
  Result<std::vector<HistoryEntry>> h = store_->History(filter, 100);
  ASSERT_TRUE(h.ok());
  ASSERT_EQ(h->size(), 4u);
  EXPECT_EQ((*h)[0].detail, "ten.txt (pytx): 1 records up to line 10");
  EXPECT_EQ((*h)[3].detail, "ten.txt (pytx): 3 records up to line 3");
  EXPECT_EQ((*h)[0].actor, "import:ten.txt");
}

TEST_F(ImportTest, QuarantineFileAndKeptLimit) {
  TempDir dir;
  ImportOptions options;
  options.quarantine_path = dir.File("pytx.quarantine.jsonl");
  options.max_quarantine_kept = 2;
  ImportSummary s = Import("pytx.txt", options);
  EXPECT_EQ(s.quarantined, 5);
  EXPECT_EQ(s.quarantine.size(), 2u);
  std::ifstream q(options.quarantine_path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(q, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[0], R"({"line":5,"reason":"pdq hash must be 64 hex digits, got 32"})");
  // Nothing to quarantine: no file is created.
  options.quarantine_path = dir.File("none.jsonl");
  std::istringstream clean("md5 " + kM2 + "\n");
  ASSERT_TRUE(ImportStream(*store_, "LIST", clean, options).ok());
  EXPECT_FALSE(std::filesystem::exists(options.quarantine_path));
}

TEST_F(ImportTest, Errors) {
  EXPECT_EQ(ImportFile(*store_, "NOPE", FixturePath("pytx.txt"), {}).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(ImportFile(*store_, "LIST", FixturePath("missing.txt"), {}).status().code(),
            StatusCode::kNotFound);
  ImportOptions zero;
  zero.batch_size = 0;
  EXPECT_EQ(ImportFile(*store_, "LIST", FixturePath("pytx.txt"), zero).status().code(),
            StatusCode::kInvalidArgument);
  std::istringstream binary(
      std::string("\x7f"
                  "ELF\x02\x01\x01\0\0\0",
                  10));
  Result<ImportSummary> r = ImportStream(*store_, "LIST", binary, {});
  EXPECT_EQ(r.status().code(), StatusCode::kUnsupportedFormat);
  EXPECT_TRUE(Items().empty());
}

TEST_F(ImportTest, GarbageWithAGivenFormatIsQuarantinedNotFatal) {
  std::string garbage = "pdq " + kH1.substr(0, 32) + "\n" +
                        std::string("\x00\xff\xfe\x01 garbage\n", 13) + "pdq " + kH5 + "\n";
  ImportOptions options;
  options.format = BankFormat::kPytx;
  std::istringstream in(garbage);
  Result<ImportSummary> s = ImportStream(*store_, "LIST", in, options);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->added, 1);
  EXPECT_EQ(s->quarantined, 2);
  EXPECT_EQ(s->quarantine[0].reason, "pdq hash must be 64 hex digits, got 32");
}

TEST_F(ImportTest, ExportThenImportIntoAnotherBankGivesTheSameItems) {
  // NCMEC entry 1001 shares kH1 / kM1 with the CSV row of line 2: it updates that item and its
  // deletedImage then removes it; 1005 updates the CSV kM2 item; 1007 adds kH3.
  Import("items.csv");
  ImportSummary n = Import("ncmec.xml");
  EXPECT_EQ(n.updated, 2);
  EXPECT_EQ(n.added, 1);
  EXPECT_EQ(n.removed, 1);
  for (BankFormat f : {BankFormat::kJsonl, BankFormat::kCsv}) {
    std::ostringstream out;
    Result<ExportSummary> e = ExportBank(*store_, "LIST", f, out);
    ASSERT_TRUE(e.ok());
    EXPECT_EQ(e->written, 3);
    std::string copy = std::string("COPY_") + (f == BankFormat::kCsv ? "CSV" : "JSONL");
    Bank bank;
    bank.name = copy;
    ASSERT_TRUE(store_->CreateBank(bank, "test").ok());
    std::istringstream in(out.str());
    Result<ImportSummary> s = ImportStream(*store_, copy, in, {});
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(s->added, 3);
    EXPECT_EQ(s->quarantined, 0);
    std::vector<Item> a = Items();
    std::vector<Item> b = *store_->ListItems(copy, 0, 1000);
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(b[i].signals, a[i].signals);
      EXPECT_EQ(b[i].classification, a[i].classification);
      EXPECT_EQ(b[i].provenance, a[i].provenance);
      EXPECT_EQ(b[i].note, a[i].note);
      EXPECT_EQ(b[i].disable_until_ms, a[i].disable_until_ms);
    }
  }
  std::ostringstream hasher;
  Result<ExportSummary> e = ExportBank(*store_, "LIST", BankFormat::kPdqHasher, hasher);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->written, 2);
  EXPECT_EQ(e->skipped, 1);  // the md5-only item
  EXPECT_EQ(ExportBank(*store_, "NOPE", BankFormat::kCsv, hasher).status().code(),
            StatusCode::kNotFound);
}

}  // namespace
}  // namespace warden
