#include "src/match/item_table.h"

#include <map>

#include <gtest/gtest.h>

namespace warden {
namespace {

TEST(ItemTableTest, PutFindEraseAcrossChunks) {
  ItemTable table;
  EXPECT_EQ(table.Find(1), nullptr);
  table.Put(1, ItemEntry{5, 2, 1, 0, 0});
  table.Put(4096, ItemEntry{0, 3, 0, 1, 0});
  table.Put(1'000'000'007, ItemEntry{0, 4, 0, 0, 0});
  ASSERT_NE(table.Find(1), nullptr);
  EXPECT_EQ(table.Find(1)->disable_until_ms, 5);
  EXPECT_EQ(table.Find(1)->bank_slot, 2u);
  EXPECT_EQ(table.Find(4096)->bank_slot, 3u);
  EXPECT_EQ(table.Find(1'000'000'007)->bank_slot, 4u);
  EXPECT_EQ(table.Find(2), nullptr);
  EXPECT_EQ(table.size(), 3u);
  table.Put(1, ItemEntry{7, 2, 1, 0, 0});  // replace, not a new entry
  EXPECT_EQ(table.size(), 3u);
  EXPECT_EQ(table.Find(1)->disable_until_ms, 7);

  std::map<int64_t, uint32_t> seen;
  table.ForEach([&](int64_t id, const ItemEntry& e) { seen[id] = e.bank_slot; });
  EXPECT_EQ(seen, (std::map<int64_t, uint32_t>{{1, 2}, {4096, 3}, {1'000'000'007, 4}}));

  EXPECT_TRUE(table.Erase(4096));
  EXPECT_FALSE(table.Erase(4096));
  EXPECT_EQ(table.Find(4096), nullptr);
  EXPECT_EQ(table.size(), 2u);
  size_t before = table.memory_bytes();
  EXPECT_TRUE(table.Erase(1'000'000'007));  // its chunk is freed
  EXPECT_LT(table.memory_bytes(), before);
}

}  // namespace
}  // namespace warden
