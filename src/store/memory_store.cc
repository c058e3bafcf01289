// MemoryStore: the in-memory reference BankStore. Item writes go through the shared
// semantics of store_txn.cc; atomicity of a batch comes from an undo log that replays the
// inverse of every primitive in reverse order when an op fails.
#include <fmt/core.h>

#include <algorithm>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "src/store/store_txn.h"
#include "warden/bank_store.h"

namespace warden {
namespace {

struct BankState {
  Bank bank;
  std::set<int64_t> item_ids;
  std::unordered_map<std::string, int64_t> by_signal;  // Signal::ToTagged() -> item id
};

class MemoryStore final : public BankStore {
 public:
  explicit MemoryStore(const Clock* clock)
      : clock_(clock != nullptr ? clock : SystemClock::Default()) {}

  Result<Bank> CreateBank(const Bank& in, std::string_view actor) override {
    WARDEN_RETURN_IF_ERROR(ValidateActor(actor));
    WARDEN_RETURN_IF_ERROR(ValidateBank(in));
    std::unique_lock lock(mu_);
    if (banks_.count(in.name) != 0) {
      return Status::AlreadyExists(fmt::format("bank {} already exists", in.name));
    }
    int64_t now = clock_->NowMs();
    Bank bank = in;
    bank.id = next_bank_id_++;
    bank.created_at_ms = now;
    bank.updated_at_ms = now;
    banks_[bank.name].bank = bank;
    AppendHistoryLocked(now, actor, HistoryAction::kBankCreated, bank.name, 0, "");
    return bank;
  }

  Result<Bank> GetBank(std::string_view name) override {
    std::shared_lock lock(mu_);
    auto it = banks_.find(name);
    if (it == banks_.end()) return Status::NotFound(fmt::format("bank {} not found", name));
    return it->second.bank;
  }

  Result<std::vector<Bank>> ListBanks() override {
    std::shared_lock lock(mu_);
    std::vector<Bank> out;
    for (const auto& [name, state] : banks_) out.push_back(state.bank);
    return out;
  }

  Result<Bank> UpdateBank(const Bank& in, std::string_view actor) override {
    WARDEN_RETURN_IF_ERROR(ValidateActor(actor));
    WARDEN_RETURN_IF_ERROR(ValidateBank(in));
    std::unique_lock lock(mu_);
    auto it = banks_.find(in.name);
    if (it == banks_.end()) return Status::NotFound(fmt::format("bank {} not found", in.name));
    int64_t now = clock_->NowMs();
    Bank& bank = it->second.bank;
    bank.description = in.description;
    bank.enabled = in.enabled;
    bank.matching_ratio = in.matching_ratio;
    bank.kind = in.kind;
    bank.source = in.source;
    bank.updated_at_ms = now;
    AppendHistoryLocked(now, actor, HistoryAction::kBankUpdated, bank.name, 0, "");
    return bank;
  }

  Status DeleteBank(std::string_view name, std::string_view actor) override {
    WARDEN_RETURN_IF_ERROR(ValidateActor(actor));
    std::unique_lock lock(mu_);
    auto it = banks_.find(name);
    if (it == banks_.end()) return Status::NotFound(fmt::format("bank {} not found", name));
    for (int64_t id : it->second.item_ids) items_.erase(id);
    banks_.erase(it);
    AppendHistoryLocked(clock_->NowMs(), actor, HistoryAction::kBankDeleted, name, 0, "");
    return Status::Ok();
  }

  Result<AddItemResult> AddItem(const Item& item, std::string_view actor) override {
    return AddItemAsBatch(SingleItemApply(actor), item);
  }

  Result<Item> GetItem(int64_t id) override {
    std::shared_lock lock(mu_);
    auto it = items_.find(id);
    if (it == items_.end()) return Status::NotFound(fmt::format("item {} not found", id));
    return it->second;
  }

  Result<Item> UpdateItem(const Item& item, std::string_view actor) override {
    WARDEN_RETURN_IF_ERROR(UpdateItemAsBatch(SingleItemApply(actor), item));
    return GetItem(item.id);
  }

  Status DeleteItem(int64_t id, std::string_view actor) override {
    return DeleteItemAsBatch(SingleItemApply(actor), id);
  }

  Result<std::vector<Item>> FindItemsBySignal(std::optional<std::string_view> bank,
                                              const Signal& signal) override {
    WARDEN_RETURN_IF_ERROR(Signal::Make(signal.type, signal.value).status());
    std::string key = signal.ToTagged();
    std::shared_lock lock(mu_);
    std::vector<Item> out;
    for (const auto& [name, state] : banks_) {
      if (bank && name != *bank) continue;
      auto hit = state.by_signal.find(key);
      if (hit != state.by_signal.end()) out.push_back(items_.at(hit->second));
    }
    std::sort(out.begin(), out.end(), [](const Item& a, const Item& b) { return a.id < b.id; });
    return out;
  }

  Result<std::vector<Item>> ListItems(std::string_view bank, int64_t after_id, int limit) override {
    WARDEN_RETURN_IF_ERROR(CheckLimit(limit));
    std::shared_lock lock(mu_);
    auto it = banks_.find(bank);
    if (it == banks_.end()) return Status::NotFound(fmt::format("bank {} not found", bank));
    std::vector<Item> out;
    const std::set<int64_t>& ids = it->second.item_ids;
    for (auto id = ids.upper_bound(after_id);
         id != ids.end() && static_cast<int>(out.size()) < limit; ++id) {
      out.push_back(items_.at(*id));
    }
    return out;
  }

  Status ForEachItem(const std::function<Status(const Item&)>& fn) override {
    constexpr size_t kPage = 1024;
    int64_t after = 0;
    while (true) {
      std::vector<Item> page;
      {
        std::shared_lock lock(mu_);
        for (auto it = items_.upper_bound(after); it != items_.end() && page.size() < kPage; ++it) {
          page.push_back(it->second);
        }
      }
      if (page.empty()) return Status::Ok();
      for (const Item& item : page) WARDEN_RETURN_IF_ERROR(fn(item));
      after = page.back().id;
    }
  }

  Result<BatchResult> ApplyBatch(const WriteBatch& batch, std::string_view actor) override {
    return Apply(batch, actor, /*name_ops=*/true);
  }

  // Apply for the single-item calls: their errors carry no "op 0" prefix.
  std::function<Result<BatchResult>(const WriteBatch&)> SingleItemApply(std::string_view actor) {
    return [this, actor](const WriteBatch& batch) { return Apply(batch, actor, false); };
  }

  Result<StoreStats> Stats() override {
    std::shared_lock lock(mu_);
    int64_t now = clock_->NowMs();
    StoreStats stats;
    stats.banks = static_cast<int64_t>(banks_.size());
    for (const auto& [name, state] : banks_) {
      BankStats& b = stats.by_bank[name];
      for (int64_t id : state.item_ids) {
        const Item& item = items_.at(id);
        ++b.items;
        if (!item.IsEnabledAt(now)) ++b.disabled_items;
        for (const BankSignal& s : item.signals) {
          ++b.signals[s.signal.type];
          ++stats.signals[s.signal.type];
        }
      }
      stats.items += b.items;
    }
    return stats;
  }

  Result<std::vector<HistoryEntry>> History(const HistoryFilter& filter, int limit) override {
    WARDEN_RETURN_IF_ERROR(CheckLimit(limit));
    std::shared_lock lock(mu_);
    std::vector<HistoryEntry> out;
    for (auto it = history_.rbegin(); it != history_.rend() && static_cast<int>(out.size()) < limit;
         ++it) {
      const HistoryEntry& e = *it;
      if (filter.before_seq > 0 && e.seq >= filter.before_seq) continue;
      if (filter.bank && e.bank != *filter.bank) continue;
      if (filter.item_id && e.item_id != *filter.item_id) continue;
      if (filter.actor && e.actor != *filter.actor) continue;
      if (filter.action && e.action != *filter.action) continue;
      out.push_back(e);
    }
    return out;
  }

  Result<std::vector<HistoryEntry>> ChangesSince(int64_t after_seq, int limit) override {
    WARDEN_RETURN_IF_ERROR(CheckLimit(limit));
    std::shared_lock lock(mu_);
    // seq = index + 1: history is append-only and never rolled back once visible.
    std::vector<HistoryEntry> out;
    size_t start = after_seq < 0 ? 0 : static_cast<size_t>(after_seq);
    for (size_t i = start; i < history_.size() && static_cast<int>(out.size()) < limit; ++i) {
      out.push_back(history_[i]);
    }
    return out;
  }

  Result<int64_t> LastSeq() override {
    std::shared_lock lock(mu_);
    return static_cast<int64_t>(history_.size());
  }

  const Clock* clock() const override { return clock_; }

 private:
  // The StoreTxn over this store's maps, with an undo log for rollback. REQUIRES: mu_ held
  // exclusively for the transaction's whole life.
  class Txn final : public StoreTxn {
   public:
    explicit Txn(MemoryStore* store) : s_(store) {}

    Result<std::optional<Bank>> FindBank(std::string_view name) override {
      auto it = s_->banks_.find(name);
      if (it == s_->banks_.end()) return std::optional<Bank>();
      return std::optional<Bank>(it->second.bank);
    }
    Result<std::optional<Item>> LoadItem(int64_t id) override {
      auto it = s_->items_.find(id);
      if (it == s_->items_.end()) return std::optional<Item>();
      return std::optional<Item>(it->second);
    }
    Result<int64_t> FindItemIdBySignal(const Bank& bank, const Signal& signal) override {
      const BankState& state = s_->banks_.find(bank.name)->second;
      auto it = state.by_signal.find(signal.ToTagged());
      return it == state.by_signal.end() ? int64_t{0} : it->second;
    }
    Result<int64_t> InsertItem(const Bank&, const Item& item, int64_t now_ms) override {
      Item stored = item;
      stored.id = s_->next_item_id_++;
      stored.created_at_ms = now_ms;
      stored.updated_at_ms = now_ms;
      s_->InsertLocked(stored);
      int64_t id = stored.id;
      undo_.push_back([this, id] { s_->EraseLocked(id); });
      return id;
    }
    Status ReplaceItem(const Bank&, const Item& old, const Item& updated) override {
      s_->EraseLocked(old.id);
      s_->InsertLocked(updated);
      undo_.push_back([this, old] {
        s_->EraseLocked(old.id);
        s_->InsertLocked(old);
      });
      return Status::Ok();
    }
    Status EraseItem(const Bank&, const Item& item) override {
      s_->EraseLocked(item.id);
      undo_.push_back([this, item] { s_->InsertLocked(item); });
      return Status::Ok();
    }
    Result<int64_t> AppendHistory(const HistoryEntry& entry) override {
      HistoryEntry e = entry;
      e.seq = static_cast<int64_t>(s_->history_.size()) + 1;
      s_->history_.push_back(std::move(e));
      undo_.push_back([this] { s_->history_.pop_back(); });
      return static_cast<int64_t>(s_->history_.size());
    }

    void Rollback() {
      for (auto it = undo_.rbegin(); it != undo_.rend(); ++it) (*it)();
      undo_.clear();
    }

   private:
    MemoryStore* s_;
    std::vector<std::function<void()>> undo_;
  };

  static Status CheckLimit(int limit) {
    if (limit < 1 || limit > kMaxPageSize) {
      return Status::InvalidArgument(
          fmt::format("page limit {} is outside 1..{}", limit, kMaxPageSize));
    }
    return Status::Ok();
  }

  // Every item write is a batch; single-item calls pass name_ops = false so that their errors
  // carry no "op 0" prefix.
  Result<BatchResult> Apply(const WriteBatch& batch, std::string_view actor, bool name_ops) {
    std::unique_lock lock(mu_);
    Txn txn(this);
    Result<BatchResult> r = ApplyWriteBatch(txn, batch, actor, clock_->NowMs(), name_ops);
    if (!r.ok()) {
      txn.Rollback();
      return r.status();
    }
    r->last_seq = static_cast<int64_t>(history_.size());
    return r;
  }

  void InsertLocked(const Item& item) {
    BankState& state = banks_.find(item.bank)->second;
    state.item_ids.insert(item.id);
    for (const BankSignal& s : item.signals) state.by_signal[s.signal.ToTagged()] = item.id;
    items_[item.id] = item;
  }

  void EraseLocked(int64_t id) {
    auto it = items_.find(id);
    WARDEN_CHECK(it != items_.end());
    BankState& state = banks_.find(it->second.bank)->second;
    state.item_ids.erase(id);
    for (const BankSignal& s : it->second.signals) state.by_signal.erase(s.signal.ToTagged());
    items_.erase(it);
  }

  void AppendHistoryLocked(int64_t now, std::string_view actor, HistoryAction action,
                           std::string_view bank, int64_t item_id, std::string detail) {
    HistoryEntry e;
    e.seq = static_cast<int64_t>(history_.size()) + 1;
    e.at_ms = now;
    e.actor = std::string(actor);
    e.action = action;
    e.bank = std::string(bank);
    e.item_id = item_id;
    e.detail = std::move(detail);
    history_.push_back(std::move(e));
  }

  const Clock* clock_;
  std::shared_mutex mu_;
  std::map<std::string, BankState, std::less<>> banks_;
  std::map<int64_t, Item> items_;
  std::vector<HistoryEntry> history_;  // history_[i].seq == i + 1
  int64_t next_bank_id_ = 1;
  int64_t next_item_id_ = 1;
};

}  // namespace

std::unique_ptr<BankStore> NewMemoryStore(const Clock* clock) {
  return std::make_unique<MemoryStore>(clock);
}

}  // namespace warden
