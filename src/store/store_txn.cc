#include "src/store/store_txn.h"

#include <fmt/core.h>

#include <algorithm>
#include <utility>
#include <vector>

namespace warden {
namespace {

Result<Bank> RequireBank(StoreTxn& txn, std::string_view name) {
  WARDEN_ASSIGN_OR_RETURN(std::optional<Bank> bank, txn.FindBank(name));
  if (!bank) return Status::NotFound(fmt::format("bank {} not found", name));
  return std::move(*bank);
}

HistoryEntry Entry(int64_t now_ms, std::string_view actor, HistoryAction action,
                   std::string_view bank, int64_t item_id, std::string detail = {}) {
  HistoryEntry e;
  e.at_ms = now_ms;
  e.actor = std::string(actor);
  e.action = action;
  e.bank = std::string(bank);
  e.item_id = item_id;
  e.detail = std::move(detail);
  return e;
}

// The fields an update or upsert replaces; signals are handled by the caller.
void CopyMutableFields(const Item& from, Item* to) {
  to->classification = from.classification;
  to->provenance = from.provenance;
  to->note = from.note;
  to->disable_until_ms = from.disable_until_ms;
}

Result<OpResult> Add(StoreTxn& txn, const Bank& bank, const Item& in, std::string_view actor,
                     int64_t now_ms) {
  for (const BankSignal& s : in.signals) {
    WARDEN_ASSIGN_OR_RETURN(int64_t existing, txn.FindItemIdBySignal(bank, s.signal));
    if (existing != 0) return OpResult{WriteOutcome::kDuplicate, existing};
  }
  WARDEN_ASSIGN_OR_RETURN(int64_t id, txn.InsertItem(bank, in, now_ms));
  WARDEN_RETURN_IF_ERROR(
      txn.AppendHistory(Entry(now_ms, actor, HistoryAction::kItemAdded, bank.name, id)).status());
  return OpResult{WriteOutcome::kAdded, id};
}

// Writes `updated` over `old` unless nothing changed (then kDuplicate, no history).
Result<OpResult> Replace(StoreTxn& txn, const Bank& bank, const Item& old, Item updated,
                         std::string_view actor, int64_t now_ms) {
  if (updated == old) return OpResult{WriteOutcome::kDuplicate, old.id};
  updated.updated_at_ms = now_ms;
  WARDEN_RETURN_IF_ERROR(txn.ReplaceItem(bank, old, updated));
  WARDEN_RETURN_IF_ERROR(
      txn.AppendHistory(Entry(now_ms, actor, HistoryAction::kItemUpdated, bank.name, old.id))
          .status());
  return OpResult{WriteOutcome::kUpdated, old.id};
}

Result<OpResult> Upsert(StoreTxn& txn, const Bank& bank, const Item& in, std::string_view actor,
                        int64_t now_ms) {
  int64_t existing = 0;
  std::vector<BankSignal> fresh;
  for (const BankSignal& s : in.signals) {
    WARDEN_ASSIGN_OR_RETURN(int64_t id, txn.FindItemIdBySignal(bank, s.signal));
    if (id == 0) {
      fresh.push_back(s);
    } else if (existing == 0) {
      existing = id;
    }
  }
  if (existing == 0) return Add(txn, bank, in, actor, now_ms);
  WARDEN_ASSIGN_OR_RETURN(std::optional<Item> old, txn.LoadItem(existing));
  if (!old) return Status::Internal(fmt::format("signal index names missing item {}", existing));
  Item updated = *old;
  CopyMutableFields(in, &updated);
  for (BankSignal& s : fresh) updated.signals.push_back(std::move(s));
  if (updated.signals.size() > kMaxSignalsPerItem) {
    return Status::InvalidArgument(fmt::format("upsert would give item {} {} signals, over {}",
                                               existing, updated.signals.size(),
                                               kMaxSignalsPerItem));
  }
  return Replace(txn, bank, *old, std::move(updated), actor, now_ms);
}

Result<OpResult> Update(StoreTxn& txn, const Item& in, std::string_view actor, int64_t now_ms) {
  WARDEN_ASSIGN_OR_RETURN(std::optional<Item> old, txn.LoadItem(in.id));
  if (!old) return OpResult{WriteOutcome::kNotFound, in.id};
  if (!in.bank.empty() && in.bank != old->bank) {
    return Status::InvalidArgument(
        fmt::format("item {} is in bank {}, not {}; items cannot move between banks", in.id,
                    old->bank, in.bank));
  }
  WARDEN_ASSIGN_OR_RETURN(Bank bank, RequireBank(txn, old->bank));
  for (const BankSignal& s : in.signals) {
    WARDEN_ASSIGN_OR_RETURN(int64_t holder, txn.FindItemIdBySignal(bank, s.signal));
    if (holder != 0 && holder != old->id) {
      return Status::AlreadyExists(fmt::format("bank {} already holds {} in item {}", bank.name,
                                               s.signal.ToTagged(), holder));
    }
  }
  Item updated = *old;
  CopyMutableFields(in, &updated);
  updated.signals = in.signals;
  return Replace(txn, bank, *old, std::move(updated), actor, now_ms);
}

Result<OpResult> Erase(StoreTxn& txn, const Bank& bank, const Item& item, std::string_view actor,
                       int64_t now_ms) {
  WARDEN_RETURN_IF_ERROR(txn.EraseItem(bank, item));
  WARDEN_RETURN_IF_ERROR(txn.AppendHistory(Entry(now_ms, actor, HistoryAction::kItemDeleted,
                                                 bank.name, item.id, SignalsDetail(item)))
                             .status());
  return OpResult{WriteOutcome::kRemoved, item.id};
}

Result<OpResult> Delete(StoreTxn& txn, int64_t id, std::string_view actor, int64_t now_ms) {
  WARDEN_ASSIGN_OR_RETURN(std::optional<Item> old, txn.LoadItem(id));
  if (!old) return OpResult{WriteOutcome::kNotFound, id};
  WARDEN_ASSIGN_OR_RETURN(Bank bank, RequireBank(txn, old->bank));
  return Erase(txn, bank, *old, actor, now_ms);
}

Result<OpResult> RemoveBySignal(StoreTxn& txn, const Bank& bank, const Item& in,
                                std::string_view actor, int64_t now_ms) {
  std::vector<int64_t> ids;
  for (const BankSignal& s : in.signals) {
    WARDEN_ASSIGN_OR_RETURN(int64_t id, txn.FindItemIdBySignal(bank, s.signal));
    if (id != 0 && std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
  }
  if (ids.empty()) return OpResult{WriteOutcome::kNotFound, 0};
  for (int64_t id : ids) {
    WARDEN_ASSIGN_OR_RETURN(std::optional<Item> old, txn.LoadItem(id));
    if (!old) return Status::Internal(fmt::format("signal index names missing item {}", id));
    WARDEN_RETURN_IF_ERROR(Erase(txn, bank, *old, actor, now_ms).status());
  }
  return OpResult{WriteOutcome::kRemoved, ids.front()};
}

}  // namespace

Status ValidateActor(std::string_view actor) {
  if (actor.empty())
    return Status::InvalidArgument("actor is empty; every change names who made it");
  if (actor.size() > kMaxShortFieldLength) {
    return Status::InvalidArgument(
        fmt::format("actor is {} bytes, over the limit of {}", actor.size(), kMaxShortFieldLength));
  }
  return Status::Ok();
}

std::string SignalsDetail(const Item& item) {
  std::string out;
  for (const BankSignal& s : item.signals) {
    if (!out.empty()) out += ',';
    out += s.signal.ToTagged();
  }
  return out;
}

bool NeedsNormalize(const Item& item) {
  for (const BankSignal& s : item.signals) {
    if (s.algorithm.empty() || s.algorithm_version == 0) return true;
  }
  return false;
}

Status ValidateWriteOp(const WriteOp& op) {
  const Item& item = op.item;
  switch (op.kind) {
    case WriteOpKind::kAdd:
    case WriteOpKind::kUpsert:
    case WriteOpKind::kRemoveBySignal:
      return ValidateItem(item);
    case WriteOpKind::kUpdate: {
      if (item.id <= 0)
        return Status::InvalidArgument(fmt::format("item id {} is not > 0", item.id));
      if (!item.bank.empty()) return ValidateItem(item);
      // The bank is optional here; validate everything else under a placeholder name.
      Item copy = item;
      copy.bank.assign(1, 'X');
      return ValidateItem(copy);
    }
    case WriteOpKind::kDelete:
      if (item.id <= 0)
        return Status::InvalidArgument(fmt::format("item id {} is not > 0", item.id));
      return Status::Ok();
  }
  return Status::InvalidArgument("unknown write op kind");
}

Result<OpResult> ApplyWriteOp(StoreTxn& txn, const WriteOp& op, std::string_view actor,
                              int64_t now_ms) {
  switch (op.kind) {
    case WriteOpKind::kAdd: {
      WARDEN_ASSIGN_OR_RETURN(Bank bank, RequireBank(txn, op.item.bank));
      return Add(txn, bank, op.item, actor, now_ms);
    }
    case WriteOpKind::kUpsert: {
      WARDEN_ASSIGN_OR_RETURN(Bank bank, RequireBank(txn, op.item.bank));
      return Upsert(txn, bank, op.item, actor, now_ms);
    }
    case WriteOpKind::kUpdate:
      return Update(txn, op.item, actor, now_ms);
    case WriteOpKind::kDelete:
      return Delete(txn, op.item.id, actor, now_ms);
    case WriteOpKind::kRemoveBySignal: {
      WARDEN_ASSIGN_OR_RETURN(Bank bank, RequireBank(txn, op.item.bank));
      return RemoveBySignal(txn, bank, op.item, actor, now_ms);
    }
  }
  return Status::InvalidArgument("unknown write op kind");
}

Result<BatchResult> ApplyWriteBatch(StoreTxn& txn, const WriteBatch& batch, std::string_view actor,
                                    int64_t now_ms, bool name_ops) {
  WARDEN_RETURN_IF_ERROR(ValidateActor(actor));
  if (batch.summary.size() > kMaxNoteLength) {
    return Status::InvalidArgument(fmt::format("batch summary is {} bytes, over the limit of {}",
                                               batch.summary.size(), kMaxNoteLength));
  }
  BatchResult result;
  result.ops.reserve(batch.ops.size());
  for (size_t i = 0; i < batch.ops.size(); ++i) {
    // Most ops arrive normalized only when the caller filled in every algorithm; copy the op
    // only when there is something to fill in.
    const WriteOp* op = &batch.ops[i];
    WriteOp normalized;
    if (NeedsNormalize(op->item)) {
      normalized = *op;
      NormalizeItem(&normalized.item);
      op = &normalized;
    }
    auto named = [&](const Status& s) {
      return name_ops ? s.WithContext(fmt::format("op {} ({})", i, WriteOpKindName(op->kind))) : s;
    };
    Status valid = ValidateWriteOp(*op);
    if (!valid.ok()) return named(valid);
    Result<OpResult> r = ApplyWriteOp(txn, *op, actor, now_ms);
    if (!r.ok()) return named(r.status());
    switch (r->outcome) {
      case WriteOutcome::kAdded:
        ++result.added;
        break;
      case WriteOutcome::kUpdated:
        ++result.updated;
        break;
      case WriteOutcome::kRemoved:
        ++result.removed;
        break;
      case WriteOutcome::kDuplicate:
        ++result.duplicate;
        break;
      case WriteOutcome::kNotFound:
        ++result.not_found;
        break;
    }
    result.ops.push_back(*r);
  }
  if (!batch.summary.empty()) {
    WARDEN_RETURN_IF_ERROR(txn.AppendHistory(Entry(now_ms, actor, HistoryAction::kImport,
                                                   batch.summary_bank, 0, batch.summary))
                               .status());
  }
  return result;
}

Status ItemNotFoundUnlessApplied(const BatchResult& r, int64_t id) {
  if (r.ops[0].outcome == WriteOutcome::kNotFound) {
    return Status::NotFound(fmt::format("item {} not found", id));
  }
  return Status::Ok();
}

}  // namespace warden
