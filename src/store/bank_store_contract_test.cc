// The BankStore contract: one suite run against every implementation (memory, SQLite).
// A future store (PostgreSQL) adds itself to kStores at the bottom.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "src/hash/local_test_signal.h"
#include "src/store/store_test_util.h"
#include "warden/bank_store.h"

namespace warden {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

struct StoreFactory {
  const char* name;
  // Makes a fresh, empty store in `dir` stamping times from `clock`.
  std::function<std::unique_ptr<BankStore>(const TempDir& dir, const Clock* clock)> make;
};

class BankStoreContractTest : public ::testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    store_ = GetParam().make(dir_, &clock_);
    ASSERT_NE(store_, nullptr);
  }

  Bank MakeBank(const std::string& name) {
    Bank bank;
    bank.name = name;
    bank.description = "test bank " + name;
    Result<Bank> made = store_->CreateBank(bank, "tester");
    EXPECT_TRUE(made.ok()) << made.status().ToString();
    return made.ok() ? *made : Bank{};
  }

  Item PdqItem(const std::string& bank) { return MakeItem(bank, RandomPdq(rng_)); }

  int64_t Add(const Item& item) {
    Result<AddItemResult> r = store_->AddItem(item, "tester");
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->id : 0;
  }

  int64_t ItemCount() {
    Result<StoreStats> stats = store_->Stats();
    EXPECT_TRUE(stats.ok()) << stats.status().ToString();
    return stats.ok() ? stats->items : -1;
  }

  TempDir dir_;
  FakeClock clock_{1'700'000'000'000};
  std::mt19937_64 rng_{12345};
  std::unique_ptr<BankStore> store_;
};

TEST_P(BankStoreContractTest, BankCrud) {
  Bank in;
  in.name = "IWF_LIST";
  in.description = "hotline list";
  in.kind = BankKind::kNegative;
  in.source = BankSource::kImportedExchange;
  in.matching_ratio = 0.25;
  Result<Bank> created = store_->CreateBank(in, "alice");
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_GT(created->id, 0);
  EXPECT_EQ(created->created_at_ms, clock_.NowMs());
  EXPECT_EQ(created->updated_at_ms, clock_.NowMs());

  Result<Bank> got = store_->GetBank("IWF_LIST");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, *created);
  EXPECT_EQ(got->kind, BankKind::kNegative);
  EXPECT_EQ(got->source, BankSource::kImportedExchange);
  EXPECT_DOUBLE_EQ(got->matching_ratio, 0.25);

  EXPECT_EQ(store_->CreateBank(in, "alice").status().code(), StatusCode::kAlreadyExists);
  MakeBank("ANOTHER");
  Result<std::vector<Bank>> list = store_->ListBanks();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].name, "ANOTHER");  // sorted by name
  EXPECT_EQ((*list)[1].name, "IWF_LIST");

  clock_.AdvanceMs(5000);
  Bank change = *got;
  change.enabled = false;
  change.description = "switched off";
  change.created_at_ms = 1;  // ignored: the store owns the times
  Result<Bank> updated = store_->UpdateBank(change, "bob");
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_FALSE(updated->enabled);
  EXPECT_EQ(updated->created_at_ms, created->created_at_ms);
  EXPECT_EQ(updated->updated_at_ms, created->created_at_ms + 5000);
  Result<Bank> reread = store_->GetBank("IWF_LIST");
  ASSERT_TRUE(reread.ok());
  EXPECT_EQ(*reread, *updated);

  Bank missing;
  missing.name = "NOPE";
  EXPECT_EQ(store_->UpdateBank(missing, "bob").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->GetBank("NOPE").status().code(), StatusCode::kNotFound);

  ASSERT_TRUE(store_->DeleteBank("IWF_LIST", "bob").ok());
  EXPECT_EQ(store_->GetBank("IWF_LIST").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->DeleteBank("IWF_LIST", "bob").code(), StatusCode::kNotFound);
  // A new bank of the old name gets a new id.
  Bank again = MakeBank("IWF_LIST");
  EXPECT_NE(again.id, created->id);
}

TEST_P(BankStoreContractTest, BankValidation) {
  for (const char* bad : {"", "lower", "A-B", "A B", "ÄB", "TAB\t"}) {
    Bank b;
    b.name = bad;
    Result<Bank> r = store_->CreateBank(b, "tester");
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << "name \"" << bad << "\"";
  }
  Bank long_name;
  long_name.name = std::string(65, 'A');
  EXPECT_EQ(store_->CreateBank(long_name, "tester").status().code(), StatusCode::kInvalidArgument);
  long_name.name = std::string(64, 'A');
  EXPECT_TRUE(store_->CreateBank(long_name, "tester").ok());

  Bank ratio;
  ratio.name = "RATIO";
  for (double bad : {1.5, -0.1, std::nan("")}) {
    ratio.matching_ratio = bad;
    EXPECT_EQ(store_->CreateBank(ratio, "tester").status().code(), StatusCode::kInvalidArgument);
  }
  ratio.matching_ratio = 0.0;
  EXPECT_TRUE(store_->CreateBank(ratio, "tester").ok());

  Bank no_actor;
  no_actor.name = "NO_ACTOR";
  EXPECT_EQ(store_->CreateBank(no_actor, "").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->GetBank("NO_ACTOR").status().code(), StatusCode::kNotFound);
}

TEST_P(BankStoreContractTest, ItemCrud) {
  MakeBank("BANK");
  Item in = PdqItem("BANK");
  Result<Signal> md5 = Signal::Make(SignalType::kMd5, RandomHex(rng_, SignalType::kMd5));
  ASSERT_TRUE(md5.ok());
  in.signals.push_back(BankSignal{*md5, "", 0});
  in.classification.uk_category = UkCategory::kB;
  in.classification.youngest_age = AgeBand::k11To13;
  in.classification.self_generated = true;
  in.classification.sex = ChildSex::kGirls;
  in.classification.site_type = "image host";
  in.classification.commercial = true;
  in.classification.scheme_label = "A1";
  in.provenance = {"ncmec", "entry-42", "member-7"};
  in.note = "first assessment";

  Result<AddItemResult> added = store_->AddItem(in, "analyst1");
  ASSERT_TRUE(added.ok()) << added.status().ToString();
  EXPECT_FALSE(added->duplicate);
  EXPECT_GT(added->id, 0);

  Result<Item> got = store_->GetItem(added->id);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  Item expected = in;
  expected.id = added->id;
  expected.created_at_ms = clock_.NowMs();
  expected.updated_at_ms = clock_.NowMs();
  expected.signals[0].algorithm = "pdq";
  expected.signals[0].algorithm_version = 1;
  expected.signals[1].algorithm = "md5";
  expected.signals[1].algorithm_version = 1;
  EXPECT_EQ(*got, expected);
  EXPECT_EQ(got->signals[0].signal.quality, 90);

  clock_.AdvanceMs(1000);
  Item change = *got;
  change.bank.clear();  // optional on update
  change.note = "re-assessed";
  change.classification.uk_category = UkCategory::kA;
  change.signals.pop_back();  // drop the md5
  Result<Item> updated = store_->UpdateItem(change, "analyst2");
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ(updated->note, "re-assessed");
  EXPECT_EQ(updated->classification.uk_category, UkCategory::kA);
  EXPECT_EQ(updated->bank, "BANK");
  ASSERT_EQ(updated->signals.size(), 1u);
  EXPECT_EQ(updated->created_at_ms, expected.created_at_ms);
  EXPECT_EQ(updated->updated_at_ms, expected.created_at_ms + 1000);
  Result<Item> reread = store_->GetItem(added->id);
  ASSERT_TRUE(reread.ok());
  EXPECT_EQ(*reread, *updated);
  // The dropped md5 is free again: adding it is a new item.
  Item md5_only = MakeItem("BANK", *md5);
  Result<AddItemResult> md5_added = store_->AddItem(md5_only, "analyst2");
  ASSERT_TRUE(md5_added.ok());
  EXPECT_FALSE(md5_added->duplicate);
  EXPECT_GT(md5_added->id, added->id);

  // Moving an item to another bank is refused.
  MakeBank("OTHER");
  Item move = *reread;
  move.bank = "OTHER";
  EXPECT_EQ(store_->UpdateItem(move, "analyst2").status().code(), StatusCode::kInvalidArgument);

  ASSERT_TRUE(store_->DeleteItem(added->id, "analyst3").ok());
  EXPECT_EQ(store_->GetItem(added->id).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->DeleteItem(added->id, "analyst3").code(), StatusCode::kNotFound);
  Item ghost = *reread;
  EXPECT_EQ(store_->UpdateItem(ghost, "analyst3").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->GetItem(999999).status().code(), StatusCode::kNotFound);
}

TEST_P(BankStoreContractTest, ItemValidation) {
  MakeBank("BANK");
  EXPECT_EQ(store_->AddItem(PdqItem("MISSING"), "t").status().code(), StatusCode::kNotFound);

  Item both = PdqItem("BANK");
  both.classification.self_generated = true;
  both.classification.ai_or_manipulated = true;
  Result<AddItemResult> r = store_->AddItem(both, "t");
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("self-generated"));

  Item upper = PdqItem("BANK");
  upper.signals[0].signal.value[0] = 'A';
  upper.signals[0].signal.value[1] = 'F';
  EXPECT_EQ(store_->AddItem(upper, "t").status().code(), StatusCode::kInvalidArgument);

  Item short_hex = PdqItem("BANK");
  short_hex.signals[0].signal.value.resize(32);
  EXPECT_EQ(store_->AddItem(short_hex, "t").status().code(), StatusCode::kInvalidArgument);

  Item none;
  none.bank = "BANK";
  EXPECT_EQ(store_->AddItem(none, "t").status().code(), StatusCode::kInvalidArgument);

  Item twice = PdqItem("BANK");
  twice.signals.push_back(twice.signals[0]);
  EXPECT_EQ(store_->AddItem(twice, "t").status().code(), StatusCode::kInvalidArgument);

  Item long_note = PdqItem("BANK");
  long_note.note = std::string(kMaxNoteLength + 1, 'x');
  EXPECT_EQ(store_->AddItem(long_note, "t").status().code(), StatusCode::kInvalidArgument);

  Item negative = PdqItem("BANK");
  negative.disable_until_ms = -5;
  EXPECT_EQ(store_->AddItem(negative, "t").status().code(), StatusCode::kInvalidArgument);

  EXPECT_EQ(ItemCount(), 0);
}

TEST_P(BankStoreContractTest, SameHashTwiceIsOneItem) {
  MakeBank("A");
  MakeBank("B");
  Item item = PdqItem("A");
  Result<AddItemResult> first = store_->AddItem(item, "t");
  Result<AddItemResult> second = store_->AddItem(item, "t");
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_FALSE(first->duplicate);
  EXPECT_TRUE(second->duplicate);
  EXPECT_EQ(second->id, first->id);

  // An item sharing only one of its signals is a duplicate too.
  Item more = item;
  Result<Signal> md5 = Signal::Make(SignalType::kMd5, RandomHex(rng_, SignalType::kMd5));
  ASSERT_TRUE(md5.ok());
  more.signals.push_back(BankSignal{*md5, "", 0});
  Result<AddItemResult> third = store_->AddItem(more, "t");
  ASSERT_TRUE(third.ok());
  EXPECT_TRUE(third->duplicate);
  EXPECT_EQ(third->id, first->id);

  // The same value in another bank is another item.
  Item in_b = item;
  in_b.bank = "B";
  Result<AddItemResult> other = store_->AddItem(in_b, "t");
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->duplicate);
  EXPECT_NE(other->id, first->id);

  Result<std::vector<Item>> found = store_->FindItemsBySignal(std::nullopt, item.signals[0].signal);
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 2u);
  EXPECT_EQ((*found)[0].id, first->id);
  EXPECT_EQ((*found)[1].id, other->id);
  Result<std::vector<Item>> in_a = store_->FindItemsBySignal("A", item.signals[0].signal);
  ASSERT_TRUE(in_a.ok());
  ASSERT_EQ(in_a->size(), 1u);
  EXPECT_EQ((*in_a)[0].id, first->id);
  Result<std::vector<Item>> in_missing = store_->FindItemsBySignal("NOPE", item.signals[0].signal);
  ASSERT_TRUE(in_missing.ok());
  EXPECT_TRUE(in_missing->empty());
  EXPECT_EQ(ItemCount(), 2);
}

TEST_P(BankStoreContractTest, NearDuplicatesAreDistinctItems) {
  // Values that differ only in their last digit (a near-duplicate at distance 1 usually does
  // not touch the first bytes) are different signals; dedupe is on the whole value.
  MakeBank("NEAR");
  Item a = PdqItem("NEAR");
  Item b = a;
  std::string& last = b.signals[0].signal.value;
  last.back() = last.back() == '0' ? '1' : '0';
  int64_t id_a = Add(a);
  int64_t id_b = Add(b);
  EXPECT_NE(id_a, id_b);
  Result<AddItemResult> again = store_->AddItem(b, "t");
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->id, id_b);
  Result<std::vector<Item>> found = store_->FindItemsBySignal("NEAR", a.signals[0].signal);
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0].id, id_a);
  // The same hex as another type is another signal.
  Result<Signal> sha = Signal::Make(SignalType::kSha256, a.signals[0].signal.value);
  ASSERT_TRUE(sha.ok());
  Result<AddItemResult> as_sha = store_->AddItem(MakeItem("NEAR", *sha), "t");
  ASSERT_TRUE(as_sha.ok());
  EXPECT_FALSE(as_sha->duplicate);
  EXPECT_EQ(ItemCount(), 3);
}

TEST_P(BankStoreContractTest, LocalSignalsRoundTripAndDedupe) {
  MakeBank("LOCAL");
  Item item = PdqItem("LOCAL");
  const Signal local = SyntheticLocalSignal(1, kLocalStoredKeypoints);
  item.signals.push_back(BankSignal{local, "", 0});
  const int64_t id = Add(item);
  Result<Item> got = store_->GetItem(id);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->signals.size(), 2u);
  EXPECT_EQ(got->signals[1].signal, local);
  EXPECT_EQ(got->signals[1].algorithm, "warden-local");
  EXPECT_EQ(got->signals[1].algorithm_version, 2);
  // The same local value alone is the same item; every local value starts with the same
  // header, so one that differs only further on is another item.
  Result<AddItemResult> again = store_->AddItem(MakeItem("LOCAL", local), "t");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->id, id);
  const Signal other = SyntheticLocalSignal(2, kLocalStoredKeypoints);
  ASSERT_EQ(other.value.substr(0, 16), local.value.substr(0, 16));
  const int64_t other_id = Add(MakeItem("LOCAL", other));
  EXPECT_NE(other_id, id);
  Result<std::vector<Item>> found = store_->FindItemsBySignal(std::nullopt, local);
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0].id, id);
  Result<StoreStats> stats = store_->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->signals[SignalType::kLocal], 2);
  EXPECT_EQ(stats->by_bank["LOCAL"].signals[SignalType::kLocal], 2);
  // A value that is hex but not the stored form never reaches the store.
  Signal junk{SignalType::kLocal, std::string(64, '0'), -1};
  Result<AddItemResult> bad = store_->AddItem(MakeItem("LOCAL", junk), "t");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("local signal does not decode"));
  EXPECT_EQ(ItemCount(), 2);
}

TEST_P(BankStoreContractTest, SameBatchTwiceAddsNothing) {
  MakeBank("LIST");
  WriteBatch batch;
  for (int i = 0; i < 50; ++i) batch.Add(PdqItem("LIST"));
  batch.Add(batch.ops[0].item);  // the same hash twice inside one batch
  Result<BatchResult> first = store_->ApplyBatch(batch, "import");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->added, 50);
  EXPECT_EQ(first->duplicate, 1);
  ASSERT_EQ(first->ops.size(), 51u);
  EXPECT_EQ(first->ops[50].outcome, WriteOutcome::kDuplicate);
  EXPECT_EQ(first->ops[50].item_id, first->ops[0].item_id);

  Result<int64_t> seq = store_->LastSeq();
  ASSERT_TRUE(seq.ok());
  Result<BatchResult> second = store_->ApplyBatch(batch, "import");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->added, 0);
  EXPECT_EQ(second->duplicate, 51);
  for (size_t i = 0; i < 50; ++i) EXPECT_EQ(second->ops[i].item_id, first->ops[i].item_id);
  EXPECT_EQ(ItemCount(), 50);
  // Duplicates write no history.
  EXPECT_EQ(*store_->LastSeq(), *seq);
  EXPECT_EQ(second->last_seq, *seq);
}

TEST_P(BankStoreContractTest, DisableUntilFollowsTheClock) {
  MakeBank("BANK");
  int64_t t0 = clock_.NowMs();
  Item item = PdqItem("BANK");
  item.disable_until_ms = t0 + 60'000;
  int64_t id = Add(item);
  Result<Item> got = store_->GetItem(id);
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->IsEnabledAt(clock_.NowMs()));
  EXPECT_EQ(store_->Stats()->by_bank["BANK"].disabled_items, 1);

  clock_.AdvanceMs(59'999);
  EXPECT_FALSE(got->IsEnabledAt(clock_.NowMs()));
  EXPECT_EQ(store_->Stats()->by_bank["BANK"].disabled_items, 1);
  clock_.AdvanceMs(1);  // disable_until is the first enabled instant
  EXPECT_TRUE(got->IsEnabledAt(clock_.NowMs()));
  EXPECT_EQ(store_->Stats()->by_bank["BANK"].disabled_items, 0);

  Item forever = *got;
  forever.disable_until_ms = kDisabledForever;
  ASSERT_TRUE(store_->UpdateItem(forever, "t").ok());
  clock_.AdvanceMs(int64_t{10} * 365 * 24 * 3600 * 1000);
  got = store_->GetItem(id);
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->IsEnabledAt(clock_.NowMs()));
  EXPECT_EQ(store_->Stats()->by_bank["BANK"].disabled_items, 1);

  Item enabled = *got;
  enabled.disable_until_ms = kEnabled;
  ASSERT_TRUE(store_->UpdateItem(enabled, "t").ok());
  got = store_->GetItem(id);
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(got->IsEnabledAt(clock_.NowMs()));
  EXPECT_EQ(store_->Stats()->by_bank["BANK"].disabled_items, 0);
}

TEST_P(BankStoreContractTest, DeleteBankRemovesItemsKeepsHistory) {
  MakeBank("GONE");
  MakeBank("KEPT");
  Item gone = PdqItem("GONE");
  int64_t gone_id = Add(gone);
  int64_t kept_id = Add(PdqItem("KEPT"));
  ASSERT_TRUE(store_->DeleteBank("GONE", "admin").ok());
  EXPECT_EQ(store_->GetItem(gone_id).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(store_->GetItem(kept_id).ok());
  EXPECT_TRUE(store_->FindItemsBySignal(std::nullopt, gone.signals[0].signal)->empty());
  Result<StoreStats> stats = store_->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->banks, 1);
  EXPECT_EQ(stats->items, 1);
  EXPECT_EQ(stats->by_bank.count("GONE"), 0u);

  HistoryFilter filter;
  filter.bank = "GONE";
  Result<std::vector<HistoryEntry>> h = store_->History(filter, 10);
  ASSERT_TRUE(h.ok());
  ASSERT_EQ(h->size(), 3u);  // newest first
  EXPECT_EQ((*h)[0].action, HistoryAction::kBankDeleted);
  EXPECT_EQ((*h)[0].actor, "admin");
  EXPECT_EQ((*h)[1].action, HistoryAction::kItemAdded);
  EXPECT_EQ((*h)[1].item_id, gone_id);
  EXPECT_EQ((*h)[2].action, HistoryAction::kBankCreated);

  // The hash is free in a re-created bank of the same name.
  MakeBank("GONE");
  Result<AddItemResult> again = store_->AddItem(gone, "t");
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->duplicate);
  EXPECT_GT(again->id, kept_id);
}

TEST_P(BankStoreContractTest, HistoryRecordsEveryMutationWithActor) {
  int64_t t0 = clock_.NowMs();
  Bank bank;
  bank.name = "AUDIT";
  ASSERT_TRUE(store_->CreateBank(bank, "alice").ok());
  clock_.AdvanceMs(10);
  Item item = PdqItem("AUDIT");
  Result<AddItemResult> added = store_->AddItem(item, "bob");
  ASSERT_TRUE(added.ok());
  clock_.AdvanceMs(10);
  Item change = *store_->GetItem(added->id);
  change.note = "checked";
  ASSERT_TRUE(store_->UpdateItem(change, "carol").ok());
  // An update that changes nothing writes no history.
  ASSERT_TRUE(store_->UpdateItem(change, "carol").ok());
  clock_.AdvanceMs(10);
  bank.enabled = false;
  ASSERT_TRUE(store_->UpdateBank(bank, "dave").ok());
  ASSERT_TRUE(store_->DeleteItem(added->id, "erin").ok());
  // Failed mutations write nothing.
  EXPECT_FALSE(store_->DeleteItem(added->id, "erin").ok());
  EXPECT_FALSE(store_->AddItem(PdqItem("NOPE"), "frank").ok());

  Result<std::vector<HistoryEntry>> all = store_->History({}, 100);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 5u);
  std::vector<std::string> actors, actions;
  for (const HistoryEntry& e : *all) {
    actors.push_back(e.actor);
    actions.push_back(HistoryActionName(e.action));
  }
  EXPECT_THAT(actors, ElementsAre("erin", "dave", "carol", "bob", "alice"));
  EXPECT_THAT(actions, ElementsAre("item_deleted", "bank_updated", "item_updated", "item_added",
                                   "bank_created"));
  EXPECT_EQ((*all)[4].at_ms, t0);
  EXPECT_EQ((*all)[3].at_ms, t0 + 10);
  EXPECT_EQ((*all)[0].item_id, added->id);
  // The deletion says which hash went.
  EXPECT_EQ((*all)[0].detail, item.signals[0].signal.ToTagged());
  for (size_t i = 1; i < all->size(); ++i) EXPECT_LT((*all)[i].seq, (*all)[i - 1].seq);

  HistoryFilter by_item;
  by_item.item_id = added->id;
  EXPECT_EQ(store_->History(by_item, 100)->size(), 3u);
  HistoryFilter by_actor;
  by_actor.actor = "carol";
  ASSERT_EQ(store_->History(by_actor, 100)->size(), 1u);
  HistoryFilter by_action;
  by_action.action = HistoryAction::kBankUpdated;
  Result<std::vector<HistoryEntry>> updates = store_->History(by_action, 100);
  ASSERT_EQ(updates->size(), 1u);
  EXPECT_EQ((*updates)[0].actor, "dave");
  HistoryFilter before;
  before.before_seq = (*all)[1].seq;
  Result<std::vector<HistoryEntry>> older = store_->History(before, 2);
  ASSERT_EQ(older->size(), 2u);
  EXPECT_EQ((*older)[0].seq, (*all)[2].seq);
  EXPECT_EQ((*older)[1].seq, (*all)[3].seq);
  EXPECT_EQ(store_->History({}, 0).status().code(), StatusCode::kInvalidArgument);
}

TEST_P(BankStoreContractTest, ChangesSinceIsAnOrderedFeed) {
  Result<int64_t> start = store_->LastSeq();
  ASSERT_TRUE(start.ok());
  EXPECT_EQ(*start, 0);
  MakeBank("FEED");
  std::vector<int64_t> ids;
  for (int i = 0; i < 7; ++i) ids.push_back(Add(PdqItem("FEED")));
  Result<int64_t> last = store_->LastSeq();
  ASSERT_TRUE(last.ok());

  std::vector<HistoryEntry> seen;
  int64_t after = 0;
  while (true) {
    Result<std::vector<HistoryEntry>> page = store_->ChangesSince(after, 3);
    ASSERT_TRUE(page.ok());
    if (page->empty()) break;
    EXPECT_LE(page->size(), 3u);
    for (const HistoryEntry& e : *page) {
      EXPECT_GT(e.seq, after);
      after = e.seq;
      seen.push_back(e);
    }
  }
  ASSERT_EQ(seen.size(), 8u);
  EXPECT_EQ(seen.back().seq, *last);
  EXPECT_EQ(seen[0].action, HistoryAction::kBankCreated);
  for (int i = 0; i < 7; ++i) {
    EXPECT_EQ(seen[i + 1].action, HistoryAction::kItemAdded);
    EXPECT_EQ(seen[i + 1].item_id, ids[i]);
  }
  Result<std::vector<HistoryEntry>> tail = store_->ChangesSince(seen[5].seq, 100);
  ASSERT_TRUE(tail.ok());
  ASSERT_EQ(tail->size(), 2u);
  EXPECT_EQ((*tail)[0].item_id, ids[5]);
}

TEST_P(BankStoreContractTest, BatchWithAnInvalidOpAppliesNothing) {
  MakeBank("ATOMIC");
  int64_t existing = Add(PdqItem("ATOMIC"));
  Result<int64_t> seq = store_->LastSeq();
  ASSERT_TRUE(seq.ok());

  WriteBatch bad_item;
  for (int i = 0; i < 3; ++i) bad_item.Add(PdqItem("ATOMIC"));
  bad_item.Delete(existing);
  Item invalid = PdqItem("ATOMIC");
  invalid.classification.self_generated = true;
  invalid.classification.ai_or_manipulated = true;
  bad_item.Add(invalid);
  Result<BatchResult> r = store_->ApplyBatch(bad_item, "import");
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("op 4"));

  WriteBatch bad_bank;
  bad_bank.Add(PdqItem("ATOMIC"));
  bad_bank.Delete(existing);
  bad_bank.Add(PdqItem("NO_SUCH_BANK"));
  r = store_->ApplyBatch(bad_bank, "import");
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(r.status().message(), HasSubstr("op 2"));

  // An update that would take a signal another item holds.
  int64_t second = Add(PdqItem("ATOMIC"));
  seq = store_->LastSeq();
  Item taker = *store_->GetItem(second);
  taker.signals = store_->GetItem(existing)->signals;
  WriteBatch conflict;
  conflict.Add(PdqItem("ATOMIC"));
  conflict.Update(taker);
  r = store_->ApplyBatch(conflict, "import");
  EXPECT_EQ(r.status().code(), StatusCode::kAlreadyExists);

  EXPECT_EQ(ItemCount(), 2);
  EXPECT_TRUE(store_->GetItem(existing).ok());
  EXPECT_EQ(*store_->LastSeq(), *seq);
  // The store still works after the rollbacks.
  WriteBatch good;
  good.Add(PdqItem("ATOMIC"));
  good.Delete(existing);
  good.Delete(existing);
  good.summary = "good batch";
  good.summary_bank = "ATOMIC";
  r = store_->ApplyBatch(good, "import");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->added, 1);
  EXPECT_EQ(r->removed, 1);
  EXPECT_EQ(r->not_found, 1);
  EXPECT_EQ(r->ops[2].outcome, WriteOutcome::kNotFound);
  EXPECT_EQ(r->last_seq, *seq + 3);  // added, deleted, import summary
  Result<std::vector<HistoryEntry>> h = store_->History({}, 1);
  ASSERT_EQ(h->size(), 1u);
  EXPECT_EQ((*h)[0].action, HistoryAction::kImport);
  EXPECT_EQ((*h)[0].detail, "good batch");
  EXPECT_EQ((*h)[0].bank, "ATOMIC");
  EXPECT_EQ(ItemCount(), 2);
}

TEST_P(BankStoreContractTest, UpsertAndRemoveBySignal) {
  MakeBank("FEED");
  Item item = PdqItem("FEED");
  item.note = "received";
  WriteBatch b1;
  b1.Upsert(item);
  Result<BatchResult> r = store_->ApplyBatch(b1, "stopncii");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->added, 1);
  int64_t id = r->ops[0].item_id;

  item.note = "active";  // a later record for the same hash replaces the earlier one
  WriteBatch b2;
  b2.Upsert(item);
  r = store_->ApplyBatch(b2, "stopncii");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->updated, 1);
  EXPECT_EQ(r->ops[0].item_id, id);
  EXPECT_EQ(store_->GetItem(id)->note, "active");
  r = store_->ApplyBatch(b2, "stopncii");  // the same record again changes nothing
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->duplicate, 1);

  Item with_md5 = item;
  Result<Signal> md5 = Signal::Make(SignalType::kMd5, RandomHex(rng_, SignalType::kMd5));
  ASSERT_TRUE(md5.ok());
  with_md5.signals.push_back(BankSignal{*md5, "", 0});
  WriteBatch b3;
  b3.Upsert(with_md5);
  r = store_->ApplyBatch(b3, "ncmec");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->updated, 1);
  Result<Item> merged = store_->GetItem(id);
  ASSERT_EQ(merged->signals.size(), 2u);
  EXPECT_EQ(merged->signals[1].signal, *md5);

  WriteBatch b4;
  b4.RemoveBySignal("FEED", *md5);
  b4.RemoveBySignal("FEED", *md5);
  r = store_->ApplyBatch(b4, "stopncii");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->ops[0].outcome, WriteOutcome::kRemoved);
  EXPECT_EQ(r->ops[0].item_id, id);
  EXPECT_EQ(r->ops[1].outcome, WriteOutcome::kNotFound);
  EXPECT_EQ(store_->GetItem(id).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ItemCount(), 0);
}

TEST_P(BankStoreContractTest, PagingAndForEach) {
  MakeBank("P");
  MakeBank("Q");
  std::vector<int64_t> p_ids;
  WriteBatch batch;
  for (int i = 0; i < 50; ++i) batch.Add(PdqItem(i % 2 == 0 ? "P" : "Q"));
  Result<BatchResult> r = store_->ApplyBatch(batch, "t");
  ASSERT_TRUE(r.ok());
  for (int i = 0; i < 50; i += 2) p_ids.push_back(r->ops[i].item_id);

  std::vector<int64_t> paged;
  std::vector<size_t> sizes;
  int64_t after = 0;
  while (true) {
    Result<std::vector<Item>> page = store_->ListItems("P", after, 10);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    sizes.push_back(page->size());
    if (page->empty()) break;
    for (const Item& item : *page) {
      EXPECT_EQ(item.bank, "P");
      paged.push_back(item.id);
    }
    after = page->back().id;
  }
  EXPECT_THAT(sizes, ElementsAre(10u, 10u, 5u, 0u));
  EXPECT_EQ(paged, p_ids);
  EXPECT_EQ(store_->ListItems("NOPE", 0, 10).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->ListItems("P", 0, 0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->ListItems("P", 0, kMaxPageSize + 1).status().code(),
            StatusCode::kInvalidArgument);

  std::vector<int64_t> all;
  ASSERT_TRUE(store_
                  ->ForEachItem([&](const Item& item) {
                    all.push_back(item.id);
                    EXPECT_EQ(item.signals.size(), 1u);
                    return Status::Ok();
                  })
                  .ok());
  ASSERT_EQ(all.size(), 50u);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(all[i], r->ops[i].item_id);

  int calls = 0;
  Status stop = store_->ForEachItem(
      [&](const Item&) { return ++calls == 5 ? Status::Internal("stop here") : Status::Ok(); });
  EXPECT_EQ(stop.code(), StatusCode::kInternal);
  EXPECT_EQ(calls, 5);
}

TEST_P(BankStoreContractTest, StatsCountBanksItemsAndSignals) {
  MakeBank("EMPTY");
  MakeBank("MIXED");
  MakeBank("PDQ_ONLY");
  for (int i = 0; i < 3; ++i) Add(PdqItem("PDQ_ONLY"));
  for (int i = 0; i < 2; ++i) {
    Item item = PdqItem("MIXED");
    Result<Signal> md5 = Signal::Make(SignalType::kMd5, RandomHex(rng_, SignalType::kMd5));
    ASSERT_TRUE(md5.ok());
    item.signals.push_back(BankSignal{*md5, "", 0});
    Add(item);
  }
  Result<Signal> sha = Signal::Make(SignalType::kSha256, RandomHex(rng_, SignalType::kSha256));
  ASSERT_TRUE(sha.ok());
  Add(MakeItem("MIXED", *sha));

  Result<StoreStats> stats = store_->Stats();
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->banks, 3);
  EXPECT_EQ(stats->items, 6);
  EXPECT_EQ(stats->signals[SignalType::kPdq], 5);
  EXPECT_EQ(stats->signals[SignalType::kMd5], 2);
  EXPECT_EQ(stats->signals[SignalType::kSha256], 1);
  ASSERT_EQ(stats->by_bank.size(), 3u);
  EXPECT_EQ(stats->by_bank["EMPTY"].items, 0);
  EXPECT_EQ(stats->by_bank["PDQ_ONLY"].items, 3);
  EXPECT_EQ(stats->by_bank["PDQ_ONLY"].signals[SignalType::kPdq], 3);
  EXPECT_EQ(stats->by_bank["MIXED"].items, 3);
  EXPECT_EQ(stats->by_bank["MIXED"].signals[SignalType::kPdq], 2);
  EXPECT_EQ(stats->by_bank["MIXED"].signals[SignalType::kMd5], 2);
  EXPECT_EQ(stats->by_bank["MIXED"].signals.count(SignalType::kSha1), 0u);
}

TEST_P(BankStoreContractTest, ConcurrentWritersAndReaders) {
  MakeBank("BUSY");
  constexpr int kWriters = 3;
  constexpr int kPerWriter = 100;
  std::vector<std::vector<Item>> work(kWriters);
  for (auto& items : work) {
    for (int i = 0; i < kPerWriter; ++i) items.push_back(PdqItem("BUSY"));
  }
  std::atomic<bool> done{false};
  std::atomic<int> reader_errors{0};
  std::thread reader([&] {
    int64_t last = 0;
    while (!done.load()) {
      Result<StoreStats> s = store_->Stats();
      if (!s.ok() || s->items < last) ++reader_errors;  // counts never go backwards
      if (s.ok()) last = s->items;
    }
  });
  std::vector<std::thread> writers;
  std::atomic<int> writer_errors{0};
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (const Item& item : work[w]) {
        if (!store_->AddItem(item, "writer").ok()) ++writer_errors;
      }
    });
  }
  for (auto& t : writers) t.join();
  done = true;
  reader.join();
  EXPECT_EQ(writer_errors.load(), 0);
  EXPECT_EQ(reader_errors.load(), 0);
  EXPECT_EQ(ItemCount(), kWriters * kPerWriter);
  EXPECT_EQ(*store_->LastSeq(), 1 + kWriters * kPerWriter);
}

const StoreFactory kStores[] = {
    {"Memory", [](const TempDir&, const Clock* clock) { return NewMemoryStore(clock); }},
    {"Sqlite",
     [](const TempDir& dir, const Clock* clock) -> std::unique_ptr<BankStore> {
       SqliteStoreOptions options;
       options.clock = clock;
       Result<std::unique_ptr<BankStore>> store = OpenSqliteStore(dir.File("bank.db"), options);
       EXPECT_TRUE(store.ok()) << store.status().ToString();
       return store.ok() ? std::move(store).value() : nullptr;
     }},
};

INSTANTIATE_TEST_SUITE_P(Stores, BankStoreContractTest, ::testing::ValuesIn(kStores),
                         [](const ::testing::TestParamInfo<StoreFactory>& param_info) {
                           return std::string(param_info.param.name);
                         });

}  // namespace
}  // namespace warden
