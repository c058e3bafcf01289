// ItemTable: the matcher's compact per-item record (16 bytes an item), keyed by item id.
//
// Item ids are assigned by the store in increasing order and never reused, so they are dense:
// the table keeps them in chunks of 4096 consecutive ids (64 KiB), allocated on first use and
// freed when their last entry goes. That costs 16 bytes an item where ids are dense, against
// ~60 for a node-based hash map, which matters at 10M items (issue 4: under 2 GiB in all).
//
// Thread safety: none; the matcher guards it with its reader/writer lock.
#ifndef WARDEN_SRC_MATCH_ITEM_TABLE_H_
#define WARDEN_SRC_MATCH_ITEM_TABLE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>

namespace warden {

struct ItemEntry {
  int64_t disable_until_ms = 0;  // Item::disable_until_ms
  uint32_t bank_slot = 0;        // the matcher's bank slot; 0 = no entry
  uint16_t pdq_positions = 0;    // bit k set: item.signals[k] is indexed as PDQ id (id << 4 | k)
  uint8_t has_digests = 0;       // 1: the item has digest signals in the digest index
  uint8_t has_local = 0;         // 1: some item.signals[k] is in the local index as (id << 4 | k)
};
static_assert(sizeof(ItemEntry) == 16);

class ItemTable {
 public:
  // The entry of `id`, or nullptr. Valid until the next Put/Erase.
  const ItemEntry* Find(int64_t id) const;
  // Sets the entry of `id` (creating it). REQUIRES: id > 0, entry.bank_slot != 0.
  void Put(int64_t id, const ItemEntry& entry);
  // Removes `id`'s entry; returns whether there was one.
  bool Erase(int64_t id);
  // Calls fn(id, entry) for every entry, in no particular order. fn must not modify the table.
  void ForEach(const std::function<void(int64_t, const ItemEntry&)>& fn) const;

  size_t size() const { return size_; }
  size_t memory_bytes() const;

 private:
  static constexpr int kChunkBits = 12;
  static constexpr int64_t kChunkSize = int64_t{1} << kChunkBits;
  struct Chunk {
    ItemEntry entries[kChunkSize];
    int64_t live = 0;
  };
  std::unordered_map<int64_t, std::unique_ptr<Chunk>> chunks_;
  size_t size_ = 0;
};

}  // namespace warden

#endif  // WARDEN_SRC_MATCH_ITEM_TABLE_H_
