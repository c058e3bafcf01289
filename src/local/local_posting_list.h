// LocalPostingList: one bucket of LocalIndex's hash tables, an unordered array of uint32
// descriptor slots held in one contiguous allocation (a scan reads it sequentially; a linked
// list would cost a cache miss per entry).
//
// 16 bytes when empty, so a table of 2^16..2^20 buckets costs 1..16 MiB before any entry.
// Erase swaps the last entry into the hole (order is irrelevant to the index), and the array
// shrinks when it falls under a quarter full, so churn never leaves memory behind.
//
// Thread safety: none; LocalIndex serialises writers against readers.
#ifndef WARDEN_SRC_LOCAL_LOCAL_POSTING_LIST_H_
#define WARDEN_SRC_LOCAL_LOCAL_POSTING_LIST_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace warden {

class LocalPostingList {
 public:
  const uint32_t* data() const { return data_.get(); }
  uint32_t size() const { return size_; }
  // Heap bytes held by the entries (the 16-byte header is the owner's).
  size_t memory_bytes() const { return static_cast<size_t>(capacity_) * sizeof(uint32_t); }

  void Push(uint32_t value) {
    if (size_ == capacity_) Resize(capacity_ == 0 ? 4 : capacity_ + capacity_ / 2 + 1);
    data_[size_++] = value;
  }

  // Removes one occurrence of `value`; returns whether it was present.
  bool Erase(uint32_t value) {
    for (uint32_t i = 0; i < size_; ++i) {
      if (data_[i] != value) continue;
      data_[i] = data_[--size_];
      if (size_ == 0) {
        data_.reset();
        capacity_ = 0;
      } else if (capacity_ > 8 && size_ * 4 < capacity_) {
        Resize(size_ * 2);
      }
      return true;
    }
    return false;
  }

 private:
  void Resize(uint32_t capacity) {
    auto grown = std::make_unique_for_overwrite<uint32_t[]>(capacity);
    std::copy(data_.get(), data_.get() + size_, grown.get());
    data_ = std::move(grown);
    capacity_ = capacity;
  }

  std::unique_ptr<uint32_t[]> data_;
  uint32_t size_ = 0;
  uint32_t capacity_ = 0;
};

}  // namespace warden

#endif  // WARDEN_SRC_LOCAL_LOCAL_POSTING_LIST_H_
