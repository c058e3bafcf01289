#include "src/index/flat_index.h"

#include <fmt/core.h>

#include <algorithm>
#include <mutex>

namespace warden {

FlatIndex::FlatIndex(ScanFn kernel) : kernel_(kernel != nullptr ? kernel : ScanKernel()) {}

Status FlatIndex::Add(uint64_t id, const PdqHash& hash) {
  std::unique_lock lock(mu_);
  return AddLocked(id, hash);
}

Status FlatIndex::AddBatch(std::span<const uint64_t> ids, std::span<const PdqHash> hashes) {
  WARDEN_CHECK(ids.size() == hashes.size());
  std::unique_lock lock(mu_);
  auto id_of = [this](uint32_t slot) { return ids_[slot]; };
  size_t want = std::min(hashes_.size() + hashes.size(), kPdqIndexMaxSize);
  hashes_.reserve(want);
  ids_.reserve(want);
  slots_.Reserve(want, id_of);
  for (size_t i = 0; i < ids.size(); ++i) WARDEN_RETURN_IF_ERROR(AddLocked(ids[i], hashes[i]));
  return Status::Ok();
}

Status FlatIndex::AddLocked(uint64_t id, const PdqHash& hash) {
  auto id_of = [this](uint32_t slot) { return ids_[slot]; };
  uint32_t slot = slots_.Find(id, id_of);
  if (slot != IdSlotMap::kNoSlot) {
    hashes_[slot] = hash;
    return Status::Ok();
  }
  if (hashes_.size() >= kPdqIndexMaxSize) {
    return Status::ResourceExhausted(
        fmt::format("PDQ index: full at {} hashes, cannot add id {}", hashes_.size(), id));
  }
  slot = static_cast<uint32_t>(hashes_.size());
  hashes_.push_back(hash);
  ids_.push_back(id);
  slots_.Insert(id, slot, id_of);
  return Status::Ok();
}

bool FlatIndex::Remove(uint64_t id) {
  std::unique_lock lock(mu_);
  auto id_of = [this](uint32_t slot) { return ids_[slot]; };
  uint32_t slot = slots_.Find(id, id_of);
  if (slot == IdSlotMap::kNoSlot) return false;
  // Keep the array dense for the scan: the last entry moves into the hole.
  uint32_t last = static_cast<uint32_t>(hashes_.size() - 1);
  slots_.Erase(id, id_of);
  if (slot != last) {
    slots_.Relocate(ids_[last], slot, id_of);
    hashes_[slot] = hashes_[last];
    ids_[slot] = ids_[last];
  }
  hashes_.pop_back();
  ids_.pop_back();
  return true;
}

bool FlatIndex::Contains(uint64_t id) const {
  std::shared_lock lock(mu_);
  return slots_.Find(id, [this](uint32_t slot) { return ids_[slot]; }) != IdSlotMap::kNoSlot;
}

size_t FlatIndex::size() const {
  std::shared_lock lock(mu_);
  return hashes_.size();
}

size_t FlatIndex::memory_bytes() const {
  std::shared_lock lock(mu_);
  return hashes_.capacity() * sizeof(PdqHash) + ids_.capacity() * sizeof(uint64_t) +
         slots_.memory_bytes();
}

Result<std::vector<PdqNeighbor>> FlatIndex::Search(const PdqHash& query, int max_distance) const {
  WARDEN_RETURN_IF_ERROR(ValidatePdqMaxDistance(max_distance));
  thread_local std::vector<ScanHit> hits;
  hits.clear();
  std::vector<PdqNeighbor> result;
  {
    std::shared_lock lock(mu_);
    kernel_(hashes_.data(), hashes_.size(), query, max_distance, &hits);
    result.reserve(hits.size());
    for (const ScanHit& h : hits) {
      result.push_back({ids_[h.index], static_cast<int>(h.distance)});
    }
  }
  std::sort(result.begin(), result.end(), [](const PdqNeighbor& a, const PdqNeighbor& b) {
    return a.distance != b.distance ? a.distance < b.distance : a.id < b.id;
  });
  return result;
}

}  // namespace warden
