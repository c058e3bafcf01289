#include "warden/bank_store.h"

#include <utility>

namespace warden {

const char* WriteOpKindName(WriteOpKind kind) {
  switch (kind) {
    case WriteOpKind::kAdd:
      return "add";
    case WriteOpKind::kUpsert:
      return "upsert";
    case WriteOpKind::kUpdate:
      return "update";
    case WriteOpKind::kDelete:
      return "delete";
    case WriteOpKind::kRemoveBySignal:
      return "remove_by_signal";
  }
  return "add";
}

const char* WriteOutcomeName(WriteOutcome outcome) {
  switch (outcome) {
    case WriteOutcome::kAdded:
      return "added";
    case WriteOutcome::kUpdated:
      return "updated";
    case WriteOutcome::kRemoved:
      return "removed";
    case WriteOutcome::kDuplicate:
      return "duplicate";
    case WriteOutcome::kNotFound:
      return "not_found";
  }
  return "added";
}

WriteOp WriteOp::Delete(int64_t item_id) {
  WriteOp op;
  op.kind = WriteOpKind::kDelete;
  op.item.id = item_id;
  return op;
}

WriteOp WriteOp::RemoveBySignal(std::string bank, Signal signal) {
  WriteOp op;
  op.kind = WriteOpKind::kRemoveBySignal;
  op.item = MakeItem(std::move(bank), std::move(signal));
  return op;
}

}  // namespace warden
