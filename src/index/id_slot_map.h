// IdSlotMap: maps a caller's 64-bit id to the 32-bit slot where an index keeps its entry.
//
// Compact by design (4 bytes per cell, load factor at most 1/2, so 8-16 bytes per id): the
// table stores only slots; the id of a slot is read back from the owning index through an
// `id_of(slot)` callable that every method takes. Open addressing with linear probing;
// erasing shifts later cells back (no tombstones), so lookups never slow down with churn.
//
// Thread safety: none; the owning index serialises writers and readers.
#ifndef WARDEN_SRC_INDEX_ID_SLOT_MAP_H_
#define WARDEN_SRC_INDEX_ID_SLOT_MAP_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "warden/status.h"

namespace warden {

class IdSlotMap {
 public:
  static constexpr uint32_t kNoSlot = 0xFFFFFFFFu;

  IdSlotMap() : cells_(kMinCells, kNoSlot), mask_(kMinCells - 1) {}

  size_t size() const { return size_; }
  size_t memory_bytes() const { return cells_.capacity() * sizeof(uint32_t); }

  // The slot of `id`, or kNoSlot.
  template <typename IdOf>
  uint32_t Find(uint64_t id, const IdOf& id_of) const {
    for (size_t i = Home(id);; i = (i + 1) & mask_) {
      uint32_t slot = cells_[i];
      if (slot == kNoSlot) return kNoSlot;
      if (id_of(slot) == id) return slot;
    }
  }

  // Records id -> slot. REQUIRES: id is absent, slot != kNoSlot, id_of(slot) == id already.
  template <typename IdOf>
  void Insert(uint64_t id, uint32_t slot, const IdOf& id_of) {
    if ((size_ + 1) * 2 > cells_.size()) Rehash(cells_.size() * 2, id_of);
    size_t i = Home(id);
    while (cells_[i] != kNoSlot) i = (i + 1) & mask_;
    cells_[i] = slot;
    ++size_;
  }

  // Makes room for `n` ids without rehashing on the way.
  template <typename IdOf>
  void Reserve(size_t n, const IdOf& id_of) {
    size_t want = cells_.size();
    while (n * 2 > want) want *= 2;
    if (want != cells_.size()) Rehash(want, id_of);
  }

  // Points `id` at `new_slot`. REQUIRES: id is present and id_of still finds it at its old
  // slot (call before moving the entry).
  template <typename IdOf>
  void Relocate(uint64_t id, uint32_t new_slot, const IdOf& id_of) {
    cells_[CellOf(id, id_of)] = new_slot;
  }

  // Forgets `id`. REQUIRES: id is present and id_of still finds it.
  template <typename IdOf>
  void Erase(uint64_t id, const IdOf& id_of) {
    size_t hole = CellOf(id, id_of);
    // Backward-shift deletion (Knuth, TAOCP vol. 3, algorithm 6.4R): move each later cell of
    // the probe run into the hole unless its home lies cyclically in (hole, j].
    for (size_t j = (hole + 1) & mask_; cells_[j] != kNoSlot; j = (j + 1) & mask_) {
      size_t home = Home(id_of(cells_[j]));
      if (((j - home) & mask_) >= ((j - hole) & mask_)) {
        cells_[hole] = cells_[j];
        hole = j;
      }
    }
    cells_[hole] = kNoSlot;
    --size_;
  }

 private:
  static constexpr size_t kMinCells = 16;

  // splitmix64's finaliser: ids are often sequential, so mix every bit into the low ones.
  size_t Home(uint64_t id) const {
    id ^= id >> 30;
    id *= 0xbf58476d1ce4e5b9ull;
    id ^= id >> 27;
    id *= 0x94d049bb133111ebull;
    id ^= id >> 31;
    return static_cast<size_t>(id) & mask_;
  }

  template <typename IdOf>
  size_t CellOf(uint64_t id, const IdOf& id_of) const {
    for (size_t i = Home(id);; i = (i + 1) & mask_) {
      WARDEN_CHECK(cells_[i] != kNoSlot);  // the caller promised the id is present
      if (id_of(cells_[i]) == id) return i;
    }
  }

  template <typename IdOf>
  void Rehash(size_t cells, const IdOf& id_of) {
    std::vector<uint32_t> old(cells, kNoSlot);
    old.swap(cells_);
    mask_ = cells - 1;
    for (uint32_t slot : old) {
      if (slot == kNoSlot) continue;
      size_t i = Home(id_of(slot));
      while (cells_[i] != kNoSlot) i = (i + 1) & mask_;
      cells_[i] = slot;
    }
  }

  std::vector<uint32_t> cells_;
  size_t mask_;
  size_t size_ = 0;
};

}  // namespace warden

#endif  // WARDEN_SRC_INDEX_ID_SLOT_MAP_H_
