// The matcher's local-feature signal (warden/matcher.h, "Local features"): indexing from the
// store and the change feed, lookups by query features and by stored hex, and the match
// semantics (disabled, deleted, banks, negative banks, ratio) applied to local matches.
//
// The features are synthetic: random keypoints with random descriptors, and a query that is
// an exact similarity-transformed copy of them (rotated, scaled, shifted, in a larger image)
// with unrelated keypoints mixed in, which the real verifier must accept; an unrelated set
// must never match.
#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "warden/bank_store.h"
#include "warden/clock.h"
#include "warden/local_signal.h"
#include "warden/matcher.h"

namespace warden {
namespace {

constexpr int kRefWidth = 640;
constexpr int kRefHeight = 480;

LocalKeypoint RandomKeypoint(std::mt19937_64& rng, int width, int height) {
  std::uniform_real_distribution<float> ux(8.0f, static_cast<float>(width) - 8.0f);
  std::uniform_real_distribution<float> uy(8.0f, static_cast<float>(height) - 8.0f);
  std::uniform_real_distribution<float> angle(-3.1f, 3.1f);
  std::uniform_int_distribution<int> level(0, 5);
  LocalKeypoint k;
  k.x = ux(rng);
  k.y = uy(rng);
  k.scale = std::pow(1.2f, static_cast<float>(level(rng)));
  k.angle = angle(rng);
  k.response = 1;
  for (uint8_t& b : k.descriptor) b = static_cast<uint8_t>(rng());
  return k;
}

// A registered image's features: kLocalStoredKeypoints keypoints spread over the image.
LocalFeatures RandomFeatures(std::mt19937_64& rng, int width = kRefWidth,
                             int height = kRefHeight) {
  LocalFeatures f;
  f.width = width;
  f.height = height;
  for (int i = 0; i < kLocalStoredKeypoints; ++i) f.keypoints.push_back(RandomKeypoint(rng, width, height));
  return f;
}

// `ref` as a query would see it in a 900x700 image: every keypoint rotated by 8 degrees
// about the origin, scaled by 1.1 and shifted by (120, 40) (it stays inside), plus 60
// unrelated keypoints. This is the query form: more keypoints than a stored one.
std::shared_ptr<const LocalFeatures> TransformedCopy(const LocalFeatures& ref,
                                                     std::mt19937_64& rng) {
  auto q = std::make_shared<LocalFeatures>();
  q->width = 900;
  q->height = 700;
  const double a = 8.0 * M_PI / 180.0, s = 1.1, tx = 120, ty = 40;
  for (const LocalKeypoint& k : ref.keypoints) {
    LocalKeypoint t = k;
    t.x = static_cast<float>(s * (std::cos(a) * k.x - std::sin(a) * k.y) + tx);
    t.y = static_cast<float>(s * (std::sin(a) * k.x + std::cos(a) * k.y) + ty);
    t.scale = static_cast<float>(k.scale * s);
    t.angle = static_cast<float>(std::remainder(k.angle + a, 2 * M_PI));
    q->keypoints.push_back(t);
  }
  for (int i = 0; i < 60; ++i) q->keypoints.push_back(RandomKeypoint(rng, q->width, q->height));
  return q;
}

class MatcherLocalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = NewMemoryStore(&clock_);
    Bank bank;
    bank.name = "A";
    ASSERT_TRUE(store_->CreateBank(bank, "test").ok());
  }

  void CreateBank(const std::string& name, BankKind kind) {
    Bank bank;
    bank.name = name;
    bank.kind = kind;
    ASSERT_TRUE(store_->CreateBank(bank, "test").ok());
  }

  int64_t AddItem(const std::string& bank, const std::vector<Signal>& signals) {
    Item item;
    item.bank = bank;
    for (const Signal& s : signals) item.signals.push_back(BankSignal{s, "", 0});
    item.provenance.external_id = "ext";
    item.classification.uk_category = UkCategory::kC;
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

  std::vector<int64_t> LocalIds(std::shared_ptr<const LocalFeatures> q,
                                LookupOptions options = {}) {
    std::vector<int64_t> ids;
    for (const Match& m : Look({LocalMatchQuery(std::move(q))}, options).matches) {
      ids.push_back(m.item_id);
    }
    return ids;
  }

  FakeClock clock_;
  std::unique_ptr<BankStore> store_;
  std::unique_ptr<Matcher> matcher_;
  std::mt19937_64 rng_{7};
};

TEST_F(MatcherLocalTest, TransformedCopyMatchesWithScoreAndRegion) {
  LocalFeatures ref = RandomFeatures(rng_);
  LocalFeatures other = RandomFeatures(rng_);
  const int64_t id = AddItem("A", {LocalSignalFromFeatures(ref)});
  const int64_t other_id = AddItem("A", {LocalSignalFromFeatures(other)});
  Build();
  MatcherStats stats = matcher_->Stats();
  EXPECT_EQ(stats.local_signals, 2);
  EXPECT_EQ(stats.items, 2);
  EXPECT_EQ(stats.pdq_signals, 0);
  EXPECT_EQ(stats.digest_signals, 0);
  EXPECT_GT(stats.local_index_bytes, 2u * 100 * kLocalDescriptorBytes);

  std::shared_ptr<const LocalFeatures> q = TransformedCopy(ref, rng_);
  LookupResult r = Look({LocalMatchQuery(q)});
  ASSERT_EQ(r.matches.size(), 1u);
  const Match& m = r.matches[0];
  EXPECT_EQ(m.item_id, id);
  EXPECT_EQ(m.bank, "A");
  EXPECT_EQ(m.signal_type, SignalType::kLocal);
  EXPECT_EQ(m.distance, -1);
  EXPECT_TRUE(m.signal_value.empty());  // 8 KB of hex is never copied into answers
  EXPECT_EQ(m.classification.uk_category, UkCategory::kC);
  EXPECT_EQ(m.provenance.external_id, "ext");
  ASSERT_TRUE(m.local.has_value());
  EXPECT_GE(m.local->score, kLocalDefaultMinScore);
  EXPECT_GE(m.local->inliers, 50);
  EXPECT_GT(m.local->coverage, 0.0);
  EXPECT_LE(m.local->coverage, 1.0);
  // The region is where the reference landed in the query: inside the query image, and
  // covering most of the transformed reference's bounding box (about 700x600 pixels).
  EXPECT_GE(m.local->region.x0, 0);
  EXPECT_GE(m.local->region.y0, 0);
  EXPECT_LE(m.local->region.x1, 900);
  EXPECT_LE(m.local->region.y1, 700);
  EXPECT_GT(m.local->region.x1 - m.local->region.x0, 400);
  EXPECT_GT(m.local->region.y1 - m.local->region.y0, 300);

  // The other image's features find only the other item; unrelated features find nothing.
  EXPECT_EQ(LocalIds(TransformedCopy(other, rng_)), std::vector<int64_t>{other_id});
  auto unrelated = std::make_shared<LocalFeatures>(RandomFeatures(rng_, 900, 700));
  EXPECT_TRUE(LocalIds(unrelated).empty());
  // An impossible score admits nothing.
  LookupOptions strict;
  strict.local_min_score = 1e9;
  EXPECT_TRUE(LocalIds(q, strict).empty());
}

TEST_F(MatcherLocalTest, QueryByStoredHexMatchesTheSameImage) {
  LocalFeatures ref = RandomFeatures(rng_);
  const int64_t id = AddItem("A", {LocalSignalFromFeatures(ref)});
  Build();
  MatchQuery by_hex{LocalSignalFromFeatures(ref), std::nullopt};
  LookupResult r = Look({by_hex});
  ASSERT_EQ(r.matches.size(), 1u);
  EXPECT_EQ(r.matches[0].item_id, id);
  EXPECT_EQ(r.matches[0].signal_type, SignalType::kLocal);
}

TEST_F(MatcherLocalTest, MalformedLocalQueriesAreErrors) {
  Build();
  MatchQuery bad;
  bad.signal.type = SignalType::kLocal;
  bad.signal.value = "00ff";  // hex, but no stored form
  Result<LookupResult> r = matcher_->Lookup({bad}, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("local query"), std::string::npos) << r.status().message();

  LookupOptions negative;
  negative.local_min_score = -1;
  auto q = std::make_shared<LocalFeatures>(RandomFeatures(rng_));
  r = matcher_->Lookup({LocalMatchQuery(q)}, negative);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  negative.local_min_score = std::nan("");
  EXPECT_FALSE(matcher_->Lookup({LocalMatchQuery(q)}, negative).ok());
}

TEST_F(MatcherLocalTest, ChangeFeedAddsDisablesUpdatesAndDeletes) {
  Build();
  EXPECT_EQ(matcher_->Stats().local_signals, 0);
  LocalFeatures ref = RandomFeatures(rng_);
  std::shared_ptr<const LocalFeatures> q = TransformedCopy(ref, rng_);
  const int64_t id = AddItem("A", {LocalSignalFromFeatures(ref)});
  EXPECT_TRUE(LocalIds(q).empty());  // not yet refreshed
  Refresh();
  EXPECT_EQ(matcher_->Stats().local_signals, 1);
  EXPECT_EQ(LocalIds(q), std::vector<int64_t>{id});

  // Disabled: stops at once (the store re-check), and stays out after a Refresh.
  Result<Item> item = store_->GetItem(id);
  ASSERT_TRUE(item.ok());
  item->disable_until_ms = kDisabledForever;
  ASSERT_TRUE(store_->UpdateItem(*item, "test").ok());
  EXPECT_TRUE(LocalIds(q).empty());
  Refresh();
  EXPECT_TRUE(LocalIds(q).empty());
  LookupOptions raw;
  raw.raw = true;
  EXPECT_EQ(LocalIds(q, raw), std::vector<int64_t>{id});  // raw ignores disable_until
  item->disable_until_ms = kEnabled;
  ASSERT_TRUE(store_->UpdateItem(*item, "test").ok());
  Refresh();
  EXPECT_EQ(LocalIds(q), std::vector<int64_t>{id});

  // Updated to another image's features: the old query stops matching at once (re-verified
  // against the store's item), and after a Refresh the index holds only the new features.
  LocalFeatures replacement = RandomFeatures(rng_);
  item->signals = {BankSignal{LocalSignalFromFeatures(replacement), "", 0}};
  ASSERT_TRUE(store_->UpdateItem(*item, "test").ok());
  EXPECT_TRUE(LocalIds(q).empty());
  Refresh();
  EXPECT_EQ(matcher_->Stats().local_signals, 1);
  EXPECT_TRUE(LocalIds(q).empty());
  EXPECT_EQ(LocalIds(TransformedCopy(replacement, rng_)), std::vector<int64_t>{id});

  // Deleted: gone from the index after a Refresh.
  ASSERT_TRUE(store_->DeleteItem(id, "test").ok());
  EXPECT_TRUE(LocalIds(TransformedCopy(replacement, rng_)).empty());
  Refresh();
  EXPECT_EQ(matcher_->Stats().local_signals, 0);
  EXPECT_EQ(matcher_->Stats().items, 0);
}

TEST_F(MatcherLocalTest, DeletedAndDisabledBanksDropLocalItems) {
  CreateBank("B", BankKind::kPositive);
  LocalFeatures ref = RandomFeatures(rng_);
  std::shared_ptr<const LocalFeatures> q = TransformedCopy(ref, rng_);
  const int64_t id = AddItem("B", {LocalSignalFromFeatures(ref)});
  Build();
  EXPECT_EQ(LocalIds(q), std::vector<int64_t>{id});
  Result<Bank> bank = store_->GetBank("B");
  ASSERT_TRUE(bank.ok());
  bank->enabled = false;
  ASSERT_TRUE(store_->UpdateBank(*bank, "test").ok());
  Refresh();
  EXPECT_TRUE(LocalIds(q).empty());
  bank->enabled = true;
  bank->matching_ratio = 0;  // the ratio gate admits nothing
  ASSERT_TRUE(store_->UpdateBank(*bank, "test").ok());
  Refresh();
  EXPECT_TRUE(LocalIds(q).empty());
  ASSERT_TRUE(store_->DeleteBank("B", "test").ok());
  Refresh();
  EXPECT_EQ(matcher_->Stats().local_signals, 0);
}

TEST_F(MatcherLocalTest, BanksFilterAndNegativeBanksApplyToLocalMatches) {
  CreateBank("B", BankKind::kPositive);
  CreateBank("NEG", BankKind::kNegative);
  LocalFeatures ref = RandomFeatures(rng_);
  std::shared_ptr<const LocalFeatures> q = TransformedCopy(ref, rng_);
  const int64_t in_a = AddItem("A", {LocalSignalFromFeatures(ref)});
  // The same features in bank B (one bank may not hold a signal twice; two banks may).
  const int64_t in_b = AddItem("B", {LocalSignalFromFeatures(ref)});
  Build();
  EXPECT_EQ(LocalIds(q), (std::vector<int64_t>{in_a, in_b}));
  LookupOptions only_b;
  only_b.banks = {"B"};
  EXPECT_EQ(LocalIds(q, only_b), std::vector<int64_t>{in_b});

  // A local match in a negative bank suppresses every positive match of the query.
  const int64_t neg = AddItem("NEG", {LocalSignalFromFeatures(ref)});
  Refresh();
  LookupResult r = Look({LocalMatchQuery(q)});
  EXPECT_TRUE(r.matches.empty());
  ASSERT_EQ(r.negative.size(), 1u);
  EXPECT_EQ(r.negative[0].item_id, neg);
  EXPECT_EQ(r.negative[0].signal_type, SignalType::kLocal);
  ASSERT_EQ(r.suppressed.size(), 2u);
  EXPECT_EQ(r.suppressed[0].suppressed_by_item, neg);
}

TEST_F(MatcherLocalTest, HashMatchWinsAndCarriesTheLocalEvidence) {
  PdqHash pdq;
  for (uint64_t& w : pdq.words) w = rng_();
  LocalFeatures ref = RandomFeatures(rng_);
  LocalFeatures other_ref = RandomFeatures(rng_);
  const int64_t both = AddItem("A", {*Signal::Make(SignalType::kPdq, pdq.ToHex(), 100),
                                     LocalSignalFromFeatures(ref)});
  const int64_t local_only = AddItem("A", {LocalSignalFromFeatures(other_ref)});
  Build();
  EXPECT_EQ(matcher_->Stats().pdq_signals, 1);
  EXPECT_EQ(matcher_->Stats().local_signals, 2);
  MatchQuery pdq_query{*Signal::Make(SignalType::kPdq, pdq.ToHex(), 100), std::nullopt};

  // The PDQ query alone: a PDQ match without local evidence.
  LookupResult r = Look({pdq_query});
  ASSERT_EQ(r.matches.size(), 1u);
  EXPECT_EQ(r.matches[0].signal_type, SignalType::kPdq);
  EXPECT_FALSE(r.matches[0].local.has_value());

  // Both queries of one image (as /v1/match sends them) and a second image's local features:
  // one Match per item, the hash match first with the local evidence attached, then the
  // local-only match.
  r = Look({pdq_query, LocalMatchQuery(TransformedCopy(ref, rng_)),
            LocalMatchQuery(TransformedCopy(other_ref, rng_))});
  ASSERT_EQ(r.matches.size(), 2u);
  EXPECT_EQ(r.matches[0].item_id, both);
  EXPECT_EQ(r.matches[0].signal_type, SignalType::kPdq);
  EXPECT_EQ(r.matches[0].distance, 0);
  EXPECT_EQ(r.matches[0].signal_value, pdq.ToHex());
  ASSERT_TRUE(r.matches[0].local.has_value());
  EXPECT_GE(r.matches[0].local->score, kLocalDefaultMinScore);
  EXPECT_EQ(r.matches[1].item_id, local_only);
  EXPECT_EQ(r.matches[1].signal_type, SignalType::kLocal);
  ASSERT_TRUE(r.matches[1].local.has_value());
}

}  // namespace
}  // namespace warden
