#include "warden/matcher.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "warden/bank_store.h"
#include "warden/clock.h"

namespace warden {
namespace {

PdqHash RandomHash(std::mt19937_64& rng) {
  PdqHash h;
  for (uint64_t& w : h.words) w = rng();
  return h;
}

// `h` with its first `d` bits flipped: exactly distance d away.
PdqHash Flip(PdqHash h, int d, int first = 0) {
  for (int k = first; k < first + d; ++k) h.words[k >> 6] ^= uint64_t{1} << (k & 63);
  return h;
}

MatchQuery Pdq(const PdqHash& h, int quality = -1) {
  return MatchQuery{*Signal::Make(SignalType::kPdq, h.ToHex(), quality), std::nullopt};
}

class MatcherTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = NewMemoryStore(&clock_); }

  void CreateBank(const std::string& name, BankKind kind = BankKind::kPositive,
                  double ratio = 1.0) {
    Bank bank;
    bank.name = name;
    bank.kind = kind;
    bank.matching_ratio = ratio;
    ASSERT_TRUE(store_->CreateBank(bank, "test").ok());
  }

  int64_t AddPdq(const std::string& bank, const PdqHash& h, int quality = 100) {
    Item item = MakeItem(bank, *Signal::Make(SignalType::kPdq, h.ToHex(), quality));
    item.provenance.external_id = "ext-" + h.ToHex().substr(0, 8);
    item.classification.uk_category = UkCategory::kB;
    Result<AddItemResult> added = store_->AddItem(item, "test");
    EXPECT_TRUE(added.ok()) << added.status().ToString();
    return added.ok() ? added->id : 0;
  }

  void Build() {
    Result<std::unique_ptr<Matcher>> m = NewMatcher(store_.get());
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    matcher_ = std::move(*m);
  }

  void Refresh() {
    Result<int64_t> r = matcher_->Refresh();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }

  LookupResult Look(const std::vector<MatchQuery>& queries, LookupOptions options = {}) {
    Result<LookupResult> r = matcher_->Lookup(queries, options);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : LookupResult{};
  }

  std::vector<int64_t> MatchedIds(const PdqHash& q, LookupOptions options = {}) {
    std::vector<int64_t> ids;
    for (const Match& m : Look({Pdq(q)}, options).matches) ids.push_back(m.item_id);
    return ids;
  }

  void SetDisableUntil(int64_t id, int64_t until) {
    Result<Item> item = store_->GetItem(id);
    ASSERT_TRUE(item.ok());
    item->disable_until_ms = until;
    ASSERT_TRUE(store_->UpdateItem(*item, "test").ok());
  }

  void SetBank(const std::string& name, bool enabled, double ratio = 1.0) {
    Result<Bank> bank = store_->GetBank(name);
    ASSERT_TRUE(bank.ok());
    bank->enabled = enabled;
    bank->matching_ratio = ratio;
    ASSERT_TRUE(store_->UpdateBank(*bank, "test").ok());
  }

  FakeClock clock_;
  std::unique_ptr<BankStore> store_;
  std::unique_ptr<Matcher> matcher_;
  std::mt19937_64 rng_{42};
};

TEST_F(MatcherTest, ThresholdIsInclusive) {
  CreateBank("A");
  PdqHash h = RandomHash(rng_);
  int64_t id = AddPdq("A", h);
  Build();
  LookupResult at31 = Look({Pdq(Flip(h, 31))});
  ASSERT_EQ(at31.matches.size(), 1u);
  EXPECT_EQ(at31.matches[0].item_id, id);
  EXPECT_EQ(at31.matches[0].distance, 31);
  EXPECT_EQ(at31.matches[0].bank, "A");
  EXPECT_EQ(at31.matches[0].signal_type, SignalType::kPdq);
  EXPECT_EQ(at31.matches[0].signal_value, h.ToHex());
  EXPECT_EQ(at31.matches[0].classification.uk_category, UkCategory::kB);
  EXPECT_EQ(at31.matches[0].provenance.external_id, "ext-" + h.ToHex().substr(0, 8));
  EXPECT_TRUE(MatchedIds(Flip(h, 32)).empty());
  LookupOptions wider;
  wider.threshold = 32;
  EXPECT_EQ(MatchedIds(Flip(h, 32), wider), std::vector<int64_t>{id});
  LookupOptions scan;  // above 63 the index scans
  scan.threshold = 100;
  EXPECT_EQ(MatchedIds(Flip(h, 100), scan), std::vector<int64_t>{id});
  EXPECT_TRUE(MatchedIds(Flip(h, 101), scan).empty());
  LookupOptions bad;
  bad.threshold = 257;
  EXPECT_EQ(matcher_->Lookup({Pdq(h)}, bad).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(MatcherTest, DisabledItemStopsAtOnceAndMatchesAgainWhenEnabled) {
  CreateBank("A");
  PdqHash h = RandomHash(rng_);
  int64_t id = AddPdq("A", h);
  Build();
  EXPECT_EQ(MatchedIds(h), std::vector<int64_t>{id});
  SetDisableUntil(id, kDisabledForever);
  EXPECT_TRUE(MatchedIds(h).empty()) << "before any Refresh: the store's item is re-checked";
  Refresh();
  EXPECT_TRUE(MatchedIds(h).empty());
  LookupOptions raw;
  raw.raw = true;
  EXPECT_EQ(MatchedIds(h, raw), std::vector<int64_t>{id}) << "raw lookups ignore disabling";
  SetDisableUntil(id, kEnabled);
  Refresh();
  EXPECT_EQ(MatchedIds(h), std::vector<int64_t>{id});
}

TEST_F(MatcherTest, DisableUntilFollowsTheClock) {
  CreateBank("A");
  PdqHash h = RandomHash(rng_);
  int64_t id = AddPdq("A", h);
  SetDisableUntil(id, clock_.NowMs() + 1000);
  Build();
  EXPECT_TRUE(MatchedIds(h).empty());
  clock_.AdvanceMs(999);
  EXPECT_TRUE(MatchedIds(h).empty());
  clock_.AdvanceMs(1);  // disable_until is the first enabled instant
  EXPECT_EQ(MatchedIds(h), std::vector<int64_t>{id});
  SetDisableUntil(id, clock_.NowMs() - 1);  // in the past: enabled
  Refresh();
  EXPECT_EQ(MatchedIds(h), std::vector<int64_t>{id});
}

TEST_F(MatcherTest, DeletedItemNeverMatches) {
  CreateBank("A");
  PdqHash h = RandomHash(rng_);
  int64_t id = AddPdq("A", h);
  Build();
  ASSERT_TRUE(store_->DeleteItem(id, "test").ok());
  EXPECT_TRUE(MatchedIds(h).empty()) << "before any Refresh";
  Refresh();
  EXPECT_TRUE(MatchedIds(h).empty());
  EXPECT_EQ(matcher_->Stats().items, 0);
  EXPECT_EQ(matcher_->Stats().pdq_signals, 0);
}

TEST_F(MatcherTest, DisabledAndDeletedBanksNeverMatch) {
  CreateBank("A");
  PdqHash h = RandomHash(rng_);
  int64_t id = AddPdq("A", h);
  Build();
  SetBank("A", false);
  Refresh();
  EXPECT_TRUE(MatchedIds(h).empty());
  SetBank("A", true);
  Refresh();
  EXPECT_EQ(MatchedIds(h), std::vector<int64_t>{id});

  ASSERT_TRUE(store_->DeleteBank("A", "test").ok());
  CreateBank("A");  // same name, new bank, before the matcher hears of the deletion
  PdqHash h2 = RandomHash(rng_);
  int64_t id2 = AddPdq("A", h2);
  Refresh();
  EXPECT_TRUE(MatchedIds(h).empty());
  EXPECT_EQ(MatchedIds(h2), std::vector<int64_t>{id2});
  EXPECT_EQ(matcher_->Stats().items, 1);
}

TEST_F(MatcherTest, NegativeBankSuppressesPositiveMatches) {
  CreateBank("CSAM");
  CreateBank("BENIGN", BankKind::kNegative);
  PdqHash h = RandomHash(rng_);
  int64_t pos = AddPdq("CSAM", h);
  int64_t neg = AddPdq("BENIGN", Flip(h, 5));
  PdqHash other = RandomHash(rng_);
  int64_t pos2 = AddPdq("CSAM", other);
  Build();
  LookupResult r = Look({Pdq(h)});
  EXPECT_FALSE(r.matched());
  ASSERT_EQ(r.negative.size(), 1u);
  EXPECT_EQ(r.negative[0].item_id, neg);
  EXPECT_EQ(r.negative[0].bank_kind, BankKind::kNegative);
  EXPECT_EQ(r.negative[0].distance, 5);
  ASSERT_EQ(r.suppressed.size(), 1u);
  EXPECT_EQ(r.suppressed[0].item_id, pos);
  EXPECT_EQ(r.suppressed[0].suppressed_by_bank, "BENIGN");
  EXPECT_EQ(r.suppressed[0].suppressed_by_item, neg);
  // The banks filter names positive banks; negative banks still apply.
  LookupOptions only;
  only.banks = {"CSAM"};
  EXPECT_EQ(Look({Pdq(h)}, only).suppressed.size(), 1u);
  // Unrelated queries are not affected, and a disabled negative bank suppresses nothing.
  EXPECT_EQ(MatchedIds(other), std::vector<int64_t>{pos2});
  SetBank("BENIGN", false);
  Refresh();
  EXPECT_EQ(MatchedIds(h), std::vector<int64_t>{pos});
}

TEST_F(MatcherTest, BanksFilter) {
  CreateBank("A");
  CreateBank("B");
  PdqHash h = RandomHash(rng_);
  int64_t a = AddPdq("A", h);
  int64_t b = AddPdq("B", Flip(h, 3));
  Build();
  EXPECT_EQ(MatchedIds(h), (std::vector<int64_t>{a, b}));  // by distance
  LookupOptions only_b;
  only_b.banks = {"B"};
  EXPECT_EQ(MatchedIds(h, only_b), std::vector<int64_t>{b});
  LookupOptions unknown;
  unknown.banks = {"NOPE"};
  Result<LookupResult> r = matcher_->Lookup({Pdq(h)}, unknown);
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("NOPE"), std::string::npos);
}

TEST_F(MatcherTest, DihedralFindsARotatedCopyOnlyWhenAsked) {
  CreateBank("A");
  PdqHash h = RandomHash(rng_);
  int64_t id = AddPdq("A", h);
  Build();
  const PdqHash rotated = DihedralVariantsOfHash(h)[static_cast<int>(Dihedral::kRot90)];
  ASSERT_GT(HammingDistance(rotated, h), 31);
  EXPECT_TRUE(MatchedIds(rotated).empty());
  LookupOptions dihedral;
  dihedral.dihedral = true;
  LookupResult r = Look({Pdq(rotated)}, dihedral);
  ASSERT_EQ(r.matches.size(), 1u);
  EXPECT_EQ(r.matches[0].item_id, id);
  EXPECT_EQ(r.matches[0].distance, 0);
  EXPECT_EQ(r.matches[0].dihedral, Dihedral::kRot270);  // undoing rot90
  // The exact variants of an image are used when given.
  MatchQuery exact = Pdq(rotated);
  exact.dihedral.emplace();
  for (PdqHash& v : *exact.dihedral) v = RandomHash(rng_);
  (*exact.dihedral)[0] = rotated;
  (*exact.dihedral)[static_cast<int>(Dihedral::kFlipY)] = Flip(h, 7);
  r = Look({exact}, dihedral);
  ASSERT_EQ(r.matches.size(), 1u);
  EXPECT_EQ(r.matches[0].distance, 7);
  EXPECT_EQ(r.matches[0].dihedral, Dihedral::kFlipY);
}

TEST_F(MatcherTest, LowQualityQueriesAndItemsAreNotMatched) {
  CreateBank("A");
  PdqHash h = RandomHash(rng_);
  int64_t id = AddPdq("A", h);
  PdqHash weak = RandomHash(rng_);
  AddPdq("A", weak, 49);  // stored, but never indexed
  Build();
  LookupResult r = Look({Pdq(h, 49)});
  EXPECT_TRUE(r.matches.empty());
  ASSERT_EQ(r.notes.size(), 1u);
  EXPECT_NE(r.notes[0].find("quality 49"), std::string::npos);
  EXPECT_EQ(Look({Pdq(h, 50)}).matches.size(), 1u);
  EXPECT_EQ(Look({Pdq(h, -1)}).matches.size(), 1u) << "unknown quality is matched";
  EXPECT_EQ(Look({Pdq(h, 50)}).matches[0].item_id, id);
  EXPECT_TRUE(MatchedIds(weak).empty());
  EXPECT_EQ(matcher_->Stats().pdq_signals, 1);
}

TEST_F(MatcherTest, MatchingRatioGatesPerItem) {
  CreateBank("ZERO", BankKind::kPositive, 0.0);
  CreateBank("ONE", BankKind::kPositive, 1.0);
  CreateBank("HALF", BankKind::kPositive, 0.5);
  PdqHash h = RandomHash(rng_);
  AddPdq("ZERO", h);
  int64_t one = AddPdq("ONE", h);
  std::vector<int64_t> expected_half;
  std::vector<PdqHash> half_hashes;
  for (int i = 0; i < 64; ++i) {
    half_hashes.push_back(RandomHash(rng_));
    int64_t id = AddPdq("HALF", half_hashes.back());
    if (RatioGate(id) < 0.5) expected_half.push_back(id);
  }
  Build();
  EXPECT_EQ(MatchedIds(h), std::vector<int64_t>{one});
  std::vector<int64_t> got_half;
  for (const PdqHash& q : half_hashes) {
    for (int64_t id : MatchedIds(q)) got_half.push_back(id);
  }
  EXPECT_EQ(got_half, expected_half);
  EXPECT_GT(got_half.size(), 16u);
  EXPECT_LT(got_half.size(), 48u);
}

TEST_F(MatcherTest, DigestsMatchExactly) {
  CreateBank("A");
  Signal md5 = *Signal::Make(SignalType::kMd5, "0123456789abcdef0123456789abcdef");
  Item item = MakeItem("A", md5);
  int64_t id = store_->AddItem(item, "test")->id;
  Build();
  Signal query = *Signal::Make(SignalType::kMd5, "0123456789ABCDEF0123456789ABCDEF");
  LookupResult r = Look({MatchQuery{query, std::nullopt}});
  ASSERT_EQ(r.matches.size(), 1u);
  EXPECT_EQ(r.matches[0].item_id, id);
  EXPECT_EQ(r.matches[0].signal_type, SignalType::kMd5);
  EXPECT_EQ(r.matches[0].distance, 0);
  Signal other = *Signal::Make(SignalType::kMd5, "0123456789abcdef0123456789abcdee");
  EXPECT_TRUE(Look({MatchQuery{other, std::nullopt}}).matches.empty());
  ASSERT_TRUE(store_->DeleteItem(id, "test").ok());
  Refresh();
  EXPECT_TRUE(Look({MatchQuery{query, std::nullopt}}).matches.empty());
  EXPECT_EQ(matcher_->Stats().digest_signals, 0);
}

TEST_F(MatcherTest, RefreshPicksUpWritesMadeDirectlyToTheStore) {
  CreateBank("A");
  Build();
  PdqHash h = RandomHash(rng_);
  int64_t id = AddPdq("A", h);  // "another process" writes to the store
  EXPECT_TRUE(MatchedIds(h).empty());
  Result<int64_t> applied = matcher_->Refresh();
  ASSERT_TRUE(applied.ok());
  EXPECT_EQ(*applied, 1);
  EXPECT_EQ(MatchedIds(h), std::vector<int64_t>{id});
  // Batches too, bigger than one refresh page.
  WriteBatch batch;
  std::vector<PdqHash> hashes;
  for (int i = 0; i < 12'000; ++i) {
    hashes.push_back(RandomHash(rng_));
    batch.Add(MakeItem("A", *Signal::Make(SignalType::kPdq, hashes.back().ToHex(), 90)));
  }
  batch.summary = "test import";
  batch.summary_bank = "A";
  ASSERT_TRUE(store_->ApplyBatch(batch, "test").ok());
  Refresh();
  EXPECT_EQ(matcher_->Stats().items, 12'001);
  EXPECT_EQ(MatchedIds(hashes.back()).size(), 1u);
  EXPECT_EQ(matcher_->Stats().last_seq, *store_->LastSeq());
}

// Many changes between two Refresh calls (the paged read path): adds, disables, deletes,
// other banks' items, and a bank deleted part way through, all end up exactly as the store.
TEST_F(MatcherTest, RefreshOfManyMixedChangesEqualsTheStore) {
  CreateBank("A");
  CreateBank("B");
  CreateBank("GONE");
  Build();
  std::vector<std::pair<PdqHash, int64_t>> a_items;
  std::vector<PdqHash> gone_items, b_items;
  for (int i = 0; i < 400; ++i) {
    PdqHash h = RandomHash(rng_);
    if (i % 7 == 0) {
      b_items.push_back(h);
      AddPdq("B", h);
    } else if (i % 11 == 0) {
      gone_items.push_back(h);
      AddPdq("GONE", h);
    } else {
      a_items.emplace_back(h, AddPdq("A", h));
    }
  }
  ASSERT_TRUE(store_->DeleteBank("GONE", "test").ok());
  for (size_t i = 0; i < a_items.size(); ++i) {
    if (i % 5 == 1) {
      ASSERT_TRUE(store_->DeleteItem(a_items[i].second, "test").ok());
    } else if (i % 5 == 2) {
      SetDisableUntil(a_items[i].second, kDisabledForever);
    }
  }
  Refresh();
  for (size_t i = 0; i < a_items.size(); ++i) {
    std::vector<int64_t> want;
    if (i % 5 != 1 && i % 5 != 2) want.push_back(a_items[i].second);
    ASSERT_EQ(MatchedIds(a_items[i].first), want) << i;
  }
  for (const PdqHash& h : gone_items) EXPECT_TRUE(MatchedIds(h).empty());
  for (const PdqHash& h : b_items) EXPECT_EQ(MatchedIds(h).size(), 1u);
  Result<StoreStats> stats = store_->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(matcher_->Stats().items, stats->items);
  EXPECT_EQ(matcher_->Stats().pdq_signals, stats->items);
}

TEST_F(MatcherTest, SqliteWritesFromAnotherConnectionAreSeen) {
  std::string path = ::testing::TempDir() + "/matcher_test_" + std::to_string(::getpid()) + ".db";
  std::remove(path.c_str());
  SqliteStoreOptions options;
  options.clock = &clock_;
  auto mine = OpenSqliteStore(path, options);
  auto theirs = OpenSqliteStore(path, options);
  ASSERT_TRUE(mine.ok()) << mine.status().ToString();
  ASSERT_TRUE(theirs.ok()) << theirs.status().ToString();
  Bank bank;
  bank.name = "A";
  ASSERT_TRUE((*theirs)->CreateBank(bank, "other").ok());
  auto matcher = NewMatcher(mine->get());
  ASSERT_TRUE(matcher.ok());
  PdqHash h = RandomHash(rng_);
  Item item = MakeItem("A", *Signal::Make(SignalType::kPdq, h.ToHex(), 100));
  Result<AddItemResult> added = (*theirs)->AddItem(item, "other");
  ASSERT_TRUE(added.ok());
  ASSERT_TRUE((*matcher)->Refresh().ok());
  Result<LookupResult> r = (*matcher)->Lookup({Pdq(h)}, {});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->matches.size(), 1u);
  EXPECT_EQ(r->matches[0].item_id, added->id);
  matcher->reset();
  mine->reset();
  theirs->reset();
  for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path + suffix).c_str());
}

TEST_F(MatcherTest, BackgroundRefresherCatchesUp) {
  CreateBank("A");
  MatcherOptions options;
  options.refresh_interval_ms = 5;
  auto m = NewMatcher(store_.get(), options);
  ASSERT_TRUE(m.ok());
  PdqHash h = RandomHash(rng_);
  int64_t id = AddPdq("A", h);
  // No timing assertion: wait (bounded) until the refresher has applied the write.
  for (int i = 0; i < 2000 && (*m)->Stats().items == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  Result<LookupResult> r = (*m)->Lookup({Pdq(h)}, {});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->matches.size(), 1u);
  EXPECT_EQ(r->matches[0].item_id, id);
  EXPECT_TRUE((*m)->last_refresh_status().ok());
}

TEST_F(MatcherTest, ConcurrentLookupsDuringWrites) {
  CreateBank("A");
  PdqHash anchor = RandomHash(rng_);
  int64_t anchor_id = AddPdq("A", anchor);
  Build();
  std::atomic<bool> done{false};
  std::atomic<int> failures{0};
  std::atomic<int64_t> lookups{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&, t] {
      std::mt19937_64 rng(t);
      while (!done.load()) {
        Result<LookupResult> r = matcher_->Lookup({Pdq(Flip(anchor, 10))}, {});
        if (!r.ok() || r->matches.empty() || r->matches[0].item_id != anchor_id) ++failures;
        Result<LookupResult> noise = matcher_->Lookup({Pdq(RandomHash(rng))}, {});
        if (!noise.ok()) ++failures;
        ++lookups;
      }
    });
  }
  std::vector<int64_t> ids;
  for (int i = 0; i < 300; ++i) {
    PdqHash h = RandomHash(rng_);
    int64_t id = AddPdq("A", h);
    ids.push_back(id);
    if (i % 3 == 0) {
      SetDisableUntil(id, kDisabledForever);
    }
    if (i % 5 == 0) {
      ASSERT_TRUE(store_->DeleteItem(id, "test").ok());
    }
    if (i % 10 == 0) Refresh();
  }
  Refresh();
  // Let the readers overlap the writes at least a little even on a slow sanitizer build.
  while (lookups.load() < 50) std::this_thread::yield();
  done = true;
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(matcher_->Stats().items, 1 + 300 - 60);
}

}  // namespace
}  // namespace warden
