// StoreTxn: the few storage primitives a BankStore implements inside one transaction, and the
// item-write semantics (add, upsert, update, delete, remove-by-signal, dedupe, history) written
// once on top of them, so every store behaves the same by construction. The contract tests in
// bank_store_contract_test.cc check the result against each store.
//
// Thread safety: a StoreTxn belongs to one thread for the length of one transaction; the store
// holds its write lock around it.
#ifndef WARDEN_SRC_STORE_STORE_TXN_H_
#define WARDEN_SRC_STORE_STORE_TXN_H_

#include <cstdint>
#include <optional>
#include <string_view>

#include "warden/bank.h"
#include "warden/bank_store.h"
#include "warden/status.h"

namespace warden {

class StoreTxn {
 public:
  virtual ~StoreTxn() = default;
  // The bank named `name`, or nullopt.
  virtual Result<std::optional<Bank>> FindBank(std::string_view name) = 0;
  // The item with this id, or nullopt.
  virtual Result<std::optional<Item>> LoadItem(int64_t id) = 0;
  // The id of the item of `bank` holding signal (type, value), or 0.
  virtual Result<int64_t> FindItemIdBySignal(const Bank& bank, const Signal& signal) = 0;
  // Stores a new item of `bank` (item.bank == bank.name, validated, normalized) with
  // created_at = updated_at = now_ms (item's own times and id are ignored). Returns its new id.
  virtual Result<int64_t> InsertItem(const Bank& bank, const Item& item, int64_t now_ms) = 0;
  // Overwrites item `updated.id` (was `old`) with `updated`, signals included.
  virtual Status ReplaceItem(const Bank& bank, const Item& old, const Item& updated) = 0;
  // Removes `item` and its signals.
  virtual Status EraseItem(const Bank& bank, const Item& item) = 0;
  // Appends `entry` (seq is assigned); returns the seq.
  virtual Result<int64_t> AppendHistory(const HistoryEntry& entry) = 0;
};

// OK iff actor is 1..kMaxShortFieldLength bytes. Errors: kInvalidArgument.
Status ValidateActor(std::string_view actor);

// True if NormalizeItem would change `item` (a signal without algorithm or version).
bool NeedsNormalize(const Item& item);

// Validates the fields `op.kind` reads (no storage access). REQUIRES: op.item normalized.
// Errors: kInvalidArgument naming the field.
Status ValidateWriteOp(const WriteOp& op);

// Applies one validated op at `now_ms` through `txn`, appending history as actor.
// Errors: kNotFound (unknown bank), kInvalidArgument (kUpdate moving banks), kAlreadyExists
// (kUpdate signal held by another item), storage errors. On error the caller must roll the
// whole transaction back.
Result<OpResult> ApplyWriteOp(StoreTxn& txn, const WriteOp& op, std::string_view actor,
                              int64_t now_ms);

// NormalizeItem + ValidateWriteOp + ApplyWriteOp over every op of `batch`, then the summary history
// entry. Errors name the op index ("op 3 (add): ...") when `name_ops`; single-item calls (AddItem,
// UpdateItem, DeleteItem) pass false. The caller rolls back on any error.
// last_seq is left 0 (the store fills it in).
Result<BatchResult> ApplyWriteBatch(StoreTxn& txn, const WriteBatch& batch, std::string_view actor,
                                    int64_t now_ms, bool name_ops = true);

// The single-item writes every store offers, each a one-op batch run by `apply` (the store's
// transaction around ApplyWriteBatch with name_ops = false): written once so both stores
// answer alike. UpdateItemAsBatch returns only the status; the store reads the item back.
template <typename ApplyFn>
Result<AddItemResult> AddItemAsBatch(ApplyFn&& apply, const Item& item) {
  WriteBatch batch;
  batch.Add(item);
  WARDEN_ASSIGN_OR_RETURN(BatchResult r, apply(batch));
  return AddItemResult{r.ops[0].item_id, r.ops[0].outcome == WriteOutcome::kDuplicate};
}

// Errors: apply's, or kNotFound naming `id` when the batch found no such item.
Status ItemNotFoundUnlessApplied(const BatchResult& r, int64_t id);

template <typename ApplyFn>
Status UpdateItemAsBatch(ApplyFn&& apply, const Item& item) {
  WriteBatch batch;
  batch.Update(item);
  WARDEN_ASSIGN_OR_RETURN(BatchResult r, apply(batch));
  return ItemNotFoundUnlessApplied(r, item.id);
}

template <typename ApplyFn>
Status DeleteItemAsBatch(ApplyFn&& apply, int64_t id) {
  WriteBatch batch;
  batch.Delete(id);
  WARDEN_ASSIGN_OR_RETURN(BatchResult r, apply(batch));
  return ItemNotFoundUnlessApplied(r, id);
}

// "pdq:ab12...,md5:..." — the detail recorded when an item is deleted, so the history still
// says which hashes went.
std::string SignalsDetail(const Item& item);

}  // namespace warden

#endif  // WARDEN_SRC_STORE_STORE_TXN_H_
