#include "src/index/id_slot_map.h"

#include <gtest/gtest.h>

#include <random>
#include <unordered_map>

namespace warden {
namespace {

// Models an index: slot -> id in a vector; free slots hold a sentinel id.
TEST(IdSlotMapTest, AgreesWithUnorderedMapUnderChurn) {
  std::vector<uint64_t> id_at;
  auto id_of = [&](uint32_t slot) { return id_at[slot]; };
  IdSlotMap map;
  std::unordered_map<uint64_t, uint32_t> model;
  std::vector<uint32_t> free_slots;
  std::mt19937_64 rng(3);
  for (int step = 0; step < 20000; ++step) {
    // Small id range so inserts, hits and erases all happen often; ids collide in the
    // low bits to exercise probe runs and backward shifts.
    uint64_t id = (rng() % 3000) << 20;
    auto it = model.find(id);
    ASSERT_EQ(map.Find(id, id_of), it == model.end() ? IdSlotMap::kNoSlot : it->second);
    if (it == model.end()) {
      uint32_t slot;
      if (!free_slots.empty()) {
        slot = free_slots.back();
        free_slots.pop_back();
        id_at[slot] = id;
      } else {
        slot = static_cast<uint32_t>(id_at.size());
        id_at.push_back(id);
      }
      map.Insert(id, slot, id_of);
      model[id] = slot;
    } else if (rng() % 2 == 0) {
      map.Erase(id, id_of);
      id_at[it->second] = ~uint64_t{0};
      free_slots.push_back(it->second);
      model.erase(it);
    }
    ASSERT_EQ(map.size(), model.size());
  }
  for (const auto& [id, slot] : model) EXPECT_EQ(map.Find(id, id_of), slot);
  EXPECT_EQ(map.Find(12345, id_of), IdSlotMap::kNoSlot);
  EXPECT_GE(map.memory_bytes(), map.size() * 2 * sizeof(uint32_t));
}

TEST(IdSlotMapTest, RelocateAndReserve) {
  std::vector<uint64_t> id_at = {10, 20, 30};
  auto id_of = [&](uint32_t slot) { return id_at[slot]; };
  IdSlotMap map;
  map.Reserve(1000, id_of);
  EXPECT_GE(map.memory_bytes(), 2000 * sizeof(uint32_t));
  for (uint32_t s = 0; s < 3; ++s) map.Insert(id_at[s], s, id_of);
  map.Relocate(30, 0, id_of);  // 30 moves into slot 0
  id_at[0] = 30;
  EXPECT_EQ(map.Find(30, id_of), 0u);
  EXPECT_EQ(map.Find(20, id_of), 1u);
}

}  // namespace
}  // namespace warden
