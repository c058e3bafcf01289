// The matcher (warden/matcher.h): indexes built from a BankStore, kept current by its change
// feed, and the match semantics of DOMAIN.md.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <fmt/core.h>

#include "src/index/digest_index.h"
#include "src/local/local_index.h"
#include "src/match/item_table.h"
#include "warden/local_signal.h"
#include "warden/matcher.h"
#include "warden/pdq_index.h"

namespace warden {
namespace {

// PDQ and local index ids are (item id << 4) | position of the signal in Item::signals, so one
// item may hold up to kMaxSignalsPerItem (16) PDQ hashes or local signals.
constexpr int kPositionBits = 4;
static_assert(kMaxSignalsPerItem <= (1 << kPositionBits));
constexpr int64_t kMaxItemId = int64_t{1} << (63 - kPositionBits);
// History entries read per ChangesSince call.
constexpr int kRefreshPage = 10'000;
// Refresh reads changed items with ListItems pages (of this many) when at least
// kDenseReadMin of them fall in an id range at most 4 times their number.
constexpr int kDenseReadPage = 4096;
constexpr size_t kDenseReadMin = 32;
// Hashes added to the PDQ index per AddBatch during the build.
constexpr size_t kBuildBatch = 65'536;

bool Indexable(const Signal& signal) {
  return signal.type != SignalType::kPdq || signal.quality < 0 || signal.quality >= kPdqMinQuality;
}

uint64_t IndexId(int64_t item_id, size_t position) {
  return (static_cast<uint64_t>(item_id) << kPositionBits) | static_cast<uint64_t>(position);
}

struct BankInfo {
  std::string name;
  bool alive = false;  // false once deleted (the slot is kept; a new bank of the name reuses it)
  bool enabled = true;
  double ratio = 1.0;
  BankKind kind = BankKind::kPositive;
};

// A candidate found in an index, before the semantic checks. An item may be found both by a
// hash (PDQ or digest) and by local features; it keeps the best of each.
struct Candidate {
  bool hashed = false;  // found by PDQ or a digest; the fields up to digest_value apply
  int distance = 0;
  bool digest = false;
  SignalType type = SignalType::kPdq;
  Dihedral dihedral = Dihedral::kOriginal;
  PdqHash variant;           // the query variant that gave `distance` (PDQ)
  std::string digest_value;  // the query digest (digest)
  // Found by a local query: the verifier's score there, and the query's features (shared
  // with the query) for the re-verification against the store's item.
  double local_score = -1;
  const LocalFeatures* local_query = nullptr;
};

// Whether a's hash match is better than b's. REQUIRES: both hashed.
bool Better(const Candidate& a, const Candidate& b) {
  if (a.distance != b.distance) return a.distance < b.distance;
  return a.digest && !b.digest;
}

// Merges `found` into `into` (the same item): the better hash match, the higher local score.
void Merge(const Candidate& found, Candidate* into) {
  if (found.hashed && (!into->hashed || Better(found, *into))) {
    into->hashed = true;
    into->distance = found.distance;
    into->digest = found.digest;
    into->type = found.type;
    into->dihedral = found.dihedral;
    into->variant = found.variant;
    into->digest_value = found.digest_value;
  }
  if (found.local_query != nullptr && found.local_score > into->local_score) {
    into->local_score = found.local_score;
    into->local_query = found.local_query;
  }
}

// The best verified local match of `query` against the item's local signals, if any reaches
// min_score. Stored values that do not decode are skipped (the store validated them).
std::optional<LocalMatchInfo> VerifyItemLocal(const LocalFeatures& query, const Item& item,
                                              double min_score) {
  std::optional<LocalMatchInfo> best;
  LocalVerifyOptions verify;
  verify.min_score = min_score;
  for (const BankSignal& bs : item.signals) {
    if (bs.signal.type != SignalType::kLocal) continue;
    Result<LocalFeatures> features = LocalFeaturesFromSignal(bs.signal);
    if (!features.ok()) continue;
    LocalMatch m = VerifyLocalMatch(query, *features, verify);
    if (!m.matched || m.score < min_score) continue;
    if (!best || m.score > best->score) {
      best = LocalMatchInfo{m.score, m.inliers, m.coverage, m.query_box};
    }
  }
  return best;
}

class MatcherImpl final : public Matcher {
 public:
  MatcherImpl(BankStore* store, const MatcherOptions& options)
      : store_(store), options_(options), pdq_(NewMihPdqIndex()), local_(NewLocalIndex()) {
    banks_.emplace_back();  // slot 0 means "no bank"
  }

  ~MatcherImpl() override {
    {
      std::lock_guard lock(thread_mu_);
      stopping_ = true;
    }
    thread_cv_.notify_all();
    if (refresher_.joinable()) refresher_.join();
  }

  Status Build();
  void StartRefresher();

  Result<int64_t> Refresh() override;
  Result<LookupResult> Lookup(const std::vector<MatchQuery>& queries,
                              const LookupOptions& options) const override;
  MatcherStats Stats() const override;
  Status last_refresh_status() const override {
    std::lock_guard lock(thread_mu_);
    return refresh_status_;
  }

 private:
  // REQUIRES: mu_ held exclusively.
  uint32_t SlotForLocked(const std::string& name);
  void SetBankLocked(const Bank& bank);
  void RemoveItemLocked(int64_t id);
  // Indexes `item`; PDQ hashes go to *batch_ids / *batch_hashes if given (for one AddBatch).
  Status AddItemLocked(const Item& item, std::vector<uint64_t>* batch_ids = nullptr,
                       std::vector<PdqHash>* batch_hashes = nullptr);
  void RemoveBankItemsLocked(uint32_t slot);

  // Re-reads bank `name` and records its state (absent = not alive).
  Status ReloadBank(const std::string& name);
  // Re-reads the items named (by bank) and replaces their entries (absent = removed).
  Status ReloadItems(std::map<std::string, std::vector<int64_t>> ids_by_bank);

  Status CheckCandidates(const std::unordered_map<int64_t, Candidate>& candidates,
                         const LookupOptions& options, LookupResult* result) const;

  BankStore* store_;
  MatcherOptions options_;
  std::unique_ptr<PdqIndex> pdq_;      // own lock
  DigestIndex digests_;                // own lock
  std::unique_ptr<LocalIndex> local_;  // own lock

  mutable std::shared_mutex mu_;  // guards everything below up to refresh_mu_
  ItemTable items_;
  std::unordered_map<int64_t, std::vector<Signal>> item_digests_;
  std::vector<BankInfo> banks_;
  std::unordered_map<std::string, uint32_t> bank_slots_;

  std::mutex refresh_mu_;  // serialises Refresh
  std::atomic<int64_t> last_seq_{0};

  mutable std::mutex thread_mu_;  // guards stopping_, refresh_status_
  std::condition_variable thread_cv_;
  bool stopping_ = false;
  Status refresh_status_;
  std::thread refresher_;
};

uint32_t MatcherImpl::SlotForLocked(const std::string& name) {
  auto it = bank_slots_.find(name);
  if (it != bank_slots_.end()) return it->second;
  uint32_t slot = static_cast<uint32_t>(banks_.size());
  banks_.push_back(BankInfo{name, false});
  bank_slots_.emplace(name, slot);
  return slot;
}

void MatcherImpl::SetBankLocked(const Bank& bank) {
  BankInfo& info = banks_[SlotForLocked(bank.name)];
  info.alive = true;
  info.enabled = bank.enabled;
  info.ratio = bank.matching_ratio;
  info.kind = bank.kind;
}

void MatcherImpl::RemoveItemLocked(int64_t id) {
  const ItemEntry* entry = items_.Find(id);
  if (entry == nullptr) return;
  for (int k = 0; k < (1 << kPositionBits); ++k) {
    if (entry->pdq_positions & (1u << k)) {
      pdq_->Remove((static_cast<uint64_t>(id) << kPositionBits) | static_cast<uint64_t>(k));
    }
  }
  if (entry->has_local) {
    for (uint64_t k = 0; k < (1u << kPositionBits); ++k) local_->Remove(IndexId(id, k));
  }
  if (entry->has_digests) {
    auto it = item_digests_.find(id);
    if (it != item_digests_.end()) {
      for (const Signal& signal : it->second) digests_.Remove(signal, static_cast<uint64_t>(id));
      item_digests_.erase(it);
    }
  }
  items_.Erase(id);
}

Status MatcherImpl::AddItemLocked(const Item& item, std::vector<uint64_t>* batch_ids,
                                  std::vector<PdqHash>* batch_hashes) {
  if (item.id <= 0 || item.id >= kMaxItemId) {
    return Status::Internal(fmt::format("matcher: item id {} is out of range", item.id));
  }
  ItemEntry entry;
  entry.disable_until_ms = item.disable_until_ms;
  entry.bank_slot = SlotForLocked(item.bank);
  std::vector<Signal> digests;
  for (size_t k = 0; k < item.signals.size() && k < (1u << kPositionBits); ++k) {
    const Signal& signal = item.signals[k].signal;
    if (!Indexable(signal)) continue;
    if (signal.type == SignalType::kPdq) {
      Result<PdqHash> hash = PdqHash::FromHex(signal.value);
      if (!hash.ok()) continue;  // the store validated it; never index garbage anyway
      const uint64_t index_id = (static_cast<uint64_t>(item.id) << kPositionBits) | k;
      if (batch_ids != nullptr) {
        batch_ids->push_back(index_id);
        batch_hashes->push_back(*hash);
      } else {
        WARDEN_RETURN_IF_ERROR(pdq_->Add(index_id, *hash));
      }
      entry.pdq_positions |= static_cast<uint16_t>(1u << k);
    } else if (signal.type == SignalType::kLocal) {
      // Decoded once, here; the index keeps the features (compact, as stored).
      Result<LocalFeatures> features = LocalFeaturesFromSignal(signal);
      if (!features.ok()) continue;  // the store validated it; never index garbage anyway
      if (!local_->Add(IndexId(item.id, k), *features).ok()) continue;
      entry.has_local = 1;
    } else if (digests_.Add(signal, static_cast<uint64_t>(item.id)).ok()) {
      digests.push_back(signal);
    }
  }
  if (!digests.empty()) {
    entry.has_digests = 1;
    item_digests_[item.id] = std::move(digests);
  }
  items_.Put(item.id, entry);
  return Status::Ok();
}

void MatcherImpl::RemoveBankItemsLocked(uint32_t slot) {
  std::vector<int64_t> ids;
  items_.ForEach([&](int64_t id, const ItemEntry& entry) {
    if (entry.bank_slot == slot) ids.push_back(id);
  });
  for (int64_t id : ids) RemoveItemLocked(id);
}

Status MatcherImpl::ReloadBank(const std::string& name) {
  Result<Bank> bank = store_->GetBank(name);
  if (!bank.ok() && bank.status().code() != StatusCode::kNotFound) return bank.status();
  std::unique_lock lock(mu_);
  if (bank.ok()) {
    SetBankLocked(*bank);
  } else {
    banks_[SlotForLocked(name)].alive = false;
  }
  return Status::Ok();
}

Status MatcherImpl::ReloadItems(std::map<std::string, std::vector<int64_t>> ids_by_bank) {
  // Read first, without the lock. An import adds runs of consecutive ids, so dense runs are
  // read in pages with ListItems (one query per 4096 items) instead of one GetItem each,
  // which makes catching up with a 1M-hash import a matter of seconds.
  std::vector<std::pair<int64_t, std::optional<Item>>> fetched;
  for (auto& [bank, ids] : ids_by_bank) {
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    const int64_t span = ids.back() - ids.front() + 1;
    if (ids.size() >= kDenseReadMin && span <= 4 * static_cast<int64_t>(ids.size())) {
      size_t next = 0;  // ids[next] is the first id not yet found or passed
      int64_t after = ids.front() - 1;
      bool bank_gone = false;
      while (next < ids.size() && !bank_gone) {
        Result<std::vector<Item>> page = store_->ListItems(bank, after, kDenseReadPage);
        if (!page.ok()) {
          if (page.status().code() != StatusCode::kNotFound) return page.status();
          bank_gone = true;  // deleted with all its items
          break;
        }
        for (Item& item : *page) {
          while (next < ids.size() && ids[next] < item.id)
            fetched.emplace_back(ids[next++], std::nullopt);
          if (next < ids.size() && ids[next] == item.id)
            fetched.emplace_back(ids[next++], std::move(item));
        }
        if (page->size() < static_cast<size_t>(kDenseReadPage)) break;
        after = page->back().id;
      }
      while (next < ids.size()) fetched.emplace_back(ids[next++], std::nullopt);
    } else {
      for (int64_t id : ids) {
        Result<Item> item = store_->GetItem(id);
        if (item.ok()) {
          fetched.emplace_back(id, std::move(*item));
        } else if (item.status().code() == StatusCode::kNotFound) {
          fetched.emplace_back(id, std::nullopt);
        } else {
          return item.status();
        }
      }
    }
  }
  std::vector<uint64_t> batch_ids;
  std::vector<PdqHash> batch_hashes;
  std::unique_lock lock(mu_);
  for (auto& [id, item] : fetched) {
    RemoveItemLocked(id);
    if (item) WARDEN_RETURN_IF_ERROR(AddItemLocked(*item, &batch_ids, &batch_hashes));
  }
  return pdq_->AddBatch(batch_ids, batch_hashes);
}

Status MatcherImpl::Build() {
  // The catch-up recipe of bank_store.h: remember the feed position first, read everything,
  // then apply the feed from that position (re-reading is idempotent).
  WARDEN_ASSIGN_OR_RETURN(int64_t seq0, store_->LastSeq());
  WARDEN_ASSIGN_OR_RETURN(std::vector<Bank> banks, store_->ListBanks());
  std::unique_lock lock(mu_);
  for (const Bank& bank : banks) SetBankLocked(bank);
  std::vector<uint64_t> ids;
  std::vector<PdqHash> hashes;
  auto flush = [&]() -> Status {
    Status status = pdq_->AddBatch(ids, hashes);
    ids.clear();
    hashes.clear();
    return status;
  };
  // Nobody else can see the matcher yet, so holding the lock across the store calls is fine.
  Status status = store_->ForEachItem([&](const Item& item) -> Status {
    WARDEN_RETURN_IF_ERROR(AddItemLocked(item, &ids, &hashes));
    if (ids.size() >= kBuildBatch) return flush();
    return Status::Ok();
  });
  WARDEN_RETURN_IF_ERROR(status);
  WARDEN_RETURN_IF_ERROR(flush());
  lock.unlock();
  last_seq_.store(seq0);
  return Refresh().status();
}

Result<int64_t> MatcherImpl::Refresh() {
  std::lock_guard refresh_lock(refresh_mu_);
  int64_t applied = 0;
  for (;;) {
    const int64_t after = last_seq_.load();
    WARDEN_ASSIGN_OR_RETURN(std::vector<HistoryEntry> entries,
                            store_->ChangesSince(after, kRefreshPage));
    if (entries.empty()) break;
    // Bank entries apply in order; the item entries between two of them are re-read together
    // (the store's current state is at least as new as any of them, and a bank deletion
    // before them must not undo them).
    size_t i = 0;
    while (i < entries.size()) {
      const HistoryEntry& entry = entries[i];
      switch (entry.action) {
        case HistoryAction::kBankDeleted: {
          // The store deletes a bank's items without an entry per item.
          {
            std::unique_lock lock(mu_);
            uint32_t slot = SlotForLocked(entry.bank);
            banks_[slot].alive = false;
            RemoveBankItemsLocked(slot);
          }
          WARDEN_RETURN_IF_ERROR(ReloadBank(entry.bank));
          ++i;
          continue;
        }
        case HistoryAction::kBankCreated:
        case HistoryAction::kBankUpdated:
          WARDEN_RETURN_IF_ERROR(ReloadBank(entry.bank));
          ++i;
          continue;
        case HistoryAction::kItemAdded:
        case HistoryAction::kItemUpdated:
        case HistoryAction::kItemDeleted:
        case HistoryAction::kImport:
          break;
      }
      std::map<std::string, std::vector<int64_t>> ids_by_bank;
      for (; i < entries.size(); ++i) {
        const HistoryAction a = entries[i].action;
        if (a == HistoryAction::kBankCreated || a == HistoryAction::kBankUpdated ||
            a == HistoryAction::kBankDeleted) {
          break;
        }
        // kImport is a summary; its items have their own entries.
        if (a != HistoryAction::kImport && entries[i].item_id > 0) {
          ids_by_bank[entries[i].bank].push_back(entries[i].item_id);
        }
      }
      WARDEN_RETURN_IF_ERROR(ReloadItems(std::move(ids_by_bank)));
    }
    last_seq_.store(entries.back().seq);
    applied += static_cast<int64_t>(entries.size());
    if (entries.size() < static_cast<size_t>(kRefreshPage)) break;
  }
  return applied;
}

Result<LookupResult> MatcherImpl::Lookup(const std::vector<MatchQuery>& queries,
                                         const LookupOptions& options) const {
  WARDEN_RETURN_IF_ERROR(ValidatePdqMaxDistance(options.threshold));
  if (!(options.local_min_score >= 0)) {
    return Status::InvalidArgument(
        fmt::format("local_min_score must be >= 0, got {}", options.local_min_score));
  }
  {
    std::shared_lock lock(mu_);
    for (const std::string& name : options.banks) {
      auto it = bank_slots_.find(name);
      if (it == bank_slots_.end() || !banks_[it->second].alive) {
        return Status::NotFound(fmt::format("no bank named '{}'", name));
      }
    }
  }
  LookupResult result;
  std::unordered_map<int64_t, Candidate> candidates;
  auto offer = [&](int64_t item_id, Candidate candidate) {
    auto [it, inserted] = candidates.try_emplace(item_id, candidate);
    if (!inserted) Merge(candidate, &it->second);
  };
  // Local query forms decoded from hex live here for the whole lookup (candidates point in).
  std::vector<std::unique_ptr<LocalFeatures>> decoded_local;
  for (const MatchQuery& query : queries) {
    const Signal& signal = query.signal;
    if (signal.type == SignalType::kLocal) {
      const LocalFeatures* features = query.local.get();
      if (features == nullptr) {
        Result<LocalFeatures> parsed = LocalFeaturesFromSignal(signal);
        if (!parsed.ok()) {
          return Status::InvalidArgument(
              fmt::format("local query: {}", parsed.status().message()));
        }
        decoded_local.push_back(std::make_unique<LocalFeatures>(std::move(*parsed)));
        features = decoded_local.back().get();
      }
      LocalSearchOptions search;
      search.verify.min_score = options.local_min_score;
      for (const LocalIndexMatch& found : local_->Search(*features, search)) {
        if (!found.match.matched || found.match.score < options.local_min_score) continue;
        Candidate c;
        c.local_score = found.match.score;
        c.local_query = features;
        offer(static_cast<int64_t>(found.id >> kPositionBits), std::move(c));
      }
    } else if (signal.type == SignalType::kPdq) {
      WARDEN_ASSIGN_OR_RETURN(PdqHash hash, PdqHash::FromHex(signal.value));
      if (!options.raw && signal.quality >= 0 && signal.quality < kPdqMinQuality) {
        result.notes.push_back(fmt::format("pdq query {} has quality {}, under {}: not matched",
                                           hash.ToHex(), signal.quality, kPdqMinQuality));
        continue;
      }
      std::array<PdqHash, kDihedralCount> variants{};
      int count = 1;
      variants[0] = hash;
      if (options.dihedral) {
        variants = query.dihedral ? *query.dihedral : DihedralVariantsOfHash(hash);
        count = kDihedralCount;
      }
      for (int d = 0; d < count; ++d) {
        WARDEN_ASSIGN_OR_RETURN(std::vector<PdqNeighbor> found,
                                pdq_->Search(variants[d], options.threshold));
        for (const PdqNeighbor& n : found) {
          Candidate c;
          c.hashed = true;
          c.distance = n.distance;
          c.dihedral = static_cast<Dihedral>(d);
          c.variant = variants[d];
          offer(static_cast<int64_t>(n.id >> kPositionBits), std::move(c));
        }
      }
    } else {
      WARDEN_ASSIGN_OR_RETURN(std::vector<uint64_t> ids, digests_.Lookup(signal));
      for (uint64_t id : ids) {
        Candidate c;
        c.hashed = true;
        c.digest = true;
        c.type = signal.type;
        c.digest_value = signal.value;
        offer(static_cast<int64_t>(id), std::move(c));
      }
    }
  }
  WARDEN_RETURN_IF_ERROR(CheckCandidates(candidates, options, &result));
  return result;
}

Status MatcherImpl::CheckCandidates(const std::unordered_map<int64_t, Candidate>& candidates,
                                    const LookupOptions& options, LookupResult* result) const {
  const int64_t now_ms = store_->clock()->NowMs();
  // First pass, under the reader lock: the cheap checks on the in-memory state.
  struct Survivor {
    int64_t item_id;
    const Candidate* candidate;
    std::string bank;
    BankKind kind;
  };
  std::vector<Survivor> survivors;
  {
    std::shared_lock lock(mu_);
    std::unordered_set<uint32_t> wanted;
    for (const std::string& name : options.banks) wanted.insert(bank_slots_.at(name));
    for (const auto& [item_id, candidate] : candidates) {
      const ItemEntry* entry = items_.Find(item_id);
      if (entry == nullptr) continue;
      const BankInfo& bank = banks_[entry->bank_slot];
      if (!bank.alive) continue;
      if (bank.kind == BankKind::kPositive && !wanted.empty() &&
          !wanted.contains(entry->bank_slot)) {
        continue;
      }
      if (!options.raw) {
        if (!bank.enabled) continue;
        if (!(RatioGate(item_id) < bank.ratio)) continue;
        Item probe;
        probe.disable_until_ms = entry->disable_until_ms;
        if (!probe.IsEnabledAt(now_ms)) continue;
      }
      survivors.push_back({item_id, &candidate, bank.name, bank.kind});
    }
  }
  // Second pass, without locks: read each surviving item from the store for the answer and
  // re-check it there, so a change not yet refreshed (disable, delete, new hashes) wins.
  std::vector<Match> positive, negative;
  for (const Survivor& s : survivors) {
    Result<Item> item = store_->GetItem(s.item_id);
    if (!item.ok()) {
      if (item.status().code() == StatusCode::kNotFound) continue;
      return item.status();
    }
    if (!options.raw && !item->IsEnabledAt(now_ms)) continue;
    const Candidate& c = *s.candidate;
    Match match;
    match.distance = -1;
    for (const BankSignal& bs : item->signals) {
      if (!c.hashed) break;
      if (c.digest) {
        if (bs.signal.type == c.type && bs.signal.value == c.digest_value) {
          match.signal_type = c.type;
          match.signal_value = bs.signal.value;
          match.distance = 0;
          break;
        }
      } else if (bs.signal.type == SignalType::kPdq && Indexable(bs.signal)) {
        Result<PdqHash> hash = PdqHash::FromHex(bs.signal.value);
        if (!hash.ok()) continue;
        int distance = HammingDistance(*hash, c.variant);
        if (distance <= options.threshold && (match.distance < 0 || distance < match.distance)) {
          match.signal_type = SignalType::kPdq;
          match.signal_value = bs.signal.value;
          match.distance = distance;
          match.dihedral = c.dihedral;
        }
      }
    }
    if (c.local_query != nullptr) {
      match.local = VerifyItemLocal(*c.local_query, *item, options.local_min_score);
    }
    if (match.distance < 0) {
      if (!match.local) continue;  // the item no longer holds the signal
      match.signal_type = SignalType::kLocal;
    }
    match.bank = s.bank;
    match.bank_kind = s.kind;
    match.item_id = s.item_id;
    match.classification = std::move(item->classification);
    match.provenance = std::move(item->provenance);
    (s.kind == BankKind::kNegative ? negative : positive).push_back(std::move(match));
  }
  auto order = [](const Match& a, const Match& b) {
    // Hash matches (distance >= 0) first, by distance; then local-only ones, by score.
    const bool a_local = a.distance < 0, b_local = b.distance < 0;
    if (a_local != b_local) return b_local;
    if (!a_local && a.distance != b.distance) return a.distance < b.distance;
    if (a_local && a.local->score != b.local->score) return a.local->score > b.local->score;
    if (a.bank != b.bank) return a.bank < b.bank;
    return a.item_id < b.item_id;
  };
  std::sort(positive.begin(), positive.end(), order);
  std::sort(negative.begin(), negative.end(), order);
  if (!negative.empty() && !options.raw) {
    for (Match& m : positive) {
      m.suppressed_by_bank = negative.front().bank;
      m.suppressed_by_item = negative.front().item_id;
    }
    result->suppressed = std::move(positive);
  } else {
    result->matches = std::move(positive);
  }
  result->negative = std::move(negative);
  return Status::Ok();
}

MatcherStats MatcherImpl::Stats() const {
  MatcherStats stats;
  std::shared_lock lock(mu_);
  stats.items = static_cast<int64_t>(items_.size());
  stats.pdq_signals = static_cast<int64_t>(pdq_->size());
  stats.digest_signals = static_cast<int64_t>(digests_.size());
  stats.local_signals = static_cast<int64_t>(local_->size());
  stats.local_index_bytes = local_->memory_bytes();
  stats.banks =
      std::count_if(banks_.begin(), banks_.end(), [](const BankInfo& b) { return b.alive; });
  stats.last_seq = last_seq_.load();
  stats.index_bytes = pdq_->memory_bytes();
  return stats;
}

void MatcherImpl::StartRefresher() {
  if (options_.refresh_interval_ms <= 0) return;
  refresher_ = std::thread([this] {
    std::unique_lock lock(thread_mu_);
    while (!thread_cv_.wait_for(lock, std::chrono::milliseconds(options_.refresh_interval_ms),
                                [this] { return stopping_; })) {
      lock.unlock();
      Status status = Refresh().status();
      lock.lock();
      refresh_status_ = status;
    }
  });
}

}  // namespace

MatchQuery LocalMatchQuery(std::shared_ptr<const LocalFeatures> features) {
  MatchQuery query;
  query.signal.type = SignalType::kLocal;
  query.local = std::move(features);
  return query;
}

Result<std::unique_ptr<Matcher>> NewMatcher(BankStore* store, const MatcherOptions& options) {
  WARDEN_CHECK(store != nullptr);
  auto matcher = std::make_unique<MatcherImpl>(store, options);
  WARDEN_RETURN_IF_ERROR(matcher->Build());
  matcher->StartRefresher();
  return std::unique_ptr<Matcher>(std::move(matcher));
}

}  // namespace warden
