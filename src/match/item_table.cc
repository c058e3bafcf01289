#include "src/match/item_table.h"

#include "warden/status.h"

namespace warden {

const ItemEntry* ItemTable::Find(int64_t id) const {
  auto it = chunks_.find(id >> kChunkBits);
  if (it == chunks_.end()) return nullptr;
  const ItemEntry& entry = it->second->entries[id & (kChunkSize - 1)];
  return entry.bank_slot == 0 ? nullptr : &entry;
}

void ItemTable::Put(int64_t id, const ItemEntry& entry) {
  WARDEN_CHECK(id > 0 && entry.bank_slot != 0);
  std::unique_ptr<Chunk>& chunk = chunks_[id >> kChunkBits];
  if (chunk == nullptr) chunk = std::make_unique<Chunk>();
  ItemEntry& slot = chunk->entries[id & (kChunkSize - 1)];
  if (slot.bank_slot == 0) {
    ++chunk->live;
    ++size_;
  }
  slot = entry;
}

bool ItemTable::Erase(int64_t id) {
  auto it = chunks_.find(id >> kChunkBits);
  if (it == chunks_.end()) return false;
  ItemEntry& slot = it->second->entries[id & (kChunkSize - 1)];
  if (slot.bank_slot == 0) return false;
  slot = ItemEntry{};
  --size_;
  // Free a chunk as soon as it is empty, so deleting old items gives memory back.
  if (--it->second->live == 0) chunks_.erase(it);
  return true;
}

void ItemTable::ForEach(const std::function<void(int64_t, const ItemEntry&)>& fn) const {
  for (const auto& [chunk_id, chunk] : chunks_) {
    for (int64_t i = 0; i < kChunkSize; ++i) {
      if (chunk->entries[i].bank_slot != 0) fn((chunk_id << kChunkBits) | i, chunk->entries[i]);
    }
  }
}

size_t ItemTable::memory_bytes() const {
  return chunks_.size() * (sizeof(Chunk) + 4 * sizeof(void*)) +
         chunks_.bucket_count() * sizeof(void*);
}

}  // namespace warden
