#include "src/index/mih_index.h"

#include <fmt/core.h>
#include <sys/mman.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cstring>
#include <memory>
#include <mutex>
#include <numeric>

#include "src/index/hamming_kernels.h"

namespace warden {
namespace {

// Slots per chunk: 2^18, so a chunk of hashes (8 MiB) and of ids + next pointers (2^18 * 4 *
// (2 + m) bytes) are whole numbers of 2 MiB huge pages.
constexpr int kChunkShift = 18;
constexpr size_t kHugePage = size_t{2} << 20;
constexpr uint32_t kChunkSlots = uint32_t{1} << kChunkShift;
constexpr uint32_t kChunkMask = kChunkSlots - 1;

// Cost model, in units of one random memory access (the paper's section 4 argument: a
// search costs its bucket probes plus its candidate verifications). A sequential scan
// reads 32 bytes per hash at memory bandwidth, roughly a quarter of a random access.
constexpr double kScanCostPerHash = 0.25;

// Zeroed, page-aligned memory straight from the kernel: untouched pages cost no RAM, so a
// 128 MiB head table holding a few thousand hashes stays small. Huge pages cut the TLB
// misses of random probes. Returns nullptr on failure.
// The region is aligned to 2 MiB by over-mapping and trimming: the kernel only backs a
// huge-page-aligned range with a huge page, and without it every random probe of a 1 GB index
// is also a TLB miss (measured: 10M-hash searches 2-3x slower with 4 KiB pages).
// Unmap with munmap(p, bytes).
void* MapZeroed(size_t bytes) {
  bytes = (bytes + 4095) & ~size_t{4095};  // whole pages, so the trimmed tail is page-aligned
  const size_t span = bytes + kHugePage;
  void* raw = mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) return nullptr;
  const uintptr_t start = reinterpret_cast<uintptr_t>(raw);
  const uintptr_t aligned = (start + kHugePage - 1) & ~(uintptr_t{kHugePage} - 1);
  if (aligned > start) munmap(raw, aligned - start);
  const uintptr_t end = start + span;
  if (end > aligned + bytes)
    munmap(reinterpret_cast<void*>(aligned + bytes), end - aligned - bytes);
  void* p = reinterpret_cast<void*>(aligned);
#ifdef MADV_HUGEPAGE
  madvise(p, bytes, MADV_HUGEPAGE);  // advice only; failure is harmless
#endif
  return p;
}

void* MapZeroedOrDie(size_t bytes) {
  void* p = MapZeroed(bytes);
  // Out of address space is not an expected failure of an in-memory index.
  WARDEN_CHECK(p != nullptr);
  return p;
}

// C(n, k) for 0 <= k <= n <= 28 (substrings are at most 28 bits wide), exact in a double.
double Binomial(int n, int k) {
  static const auto table = [] {
    std::array<std::array<double, 29>, 29> c{};
    for (int i = 0; i <= 28; ++i) {
      c[i][0] = 1;
      for (int j = 1; j <= i; ++j) c[i][j] = c[i - 1][j - 1] + (j < i ? c[i - 1][j] : 0);
    }
    return c;
  }();
  return table[static_cast<size_t>(n)][static_cast<size_t>(k)];
}

// Calls f(mask) for every `bits`-bit mask with at most `radius` bits set, in order of
// popcount, each combination from Gosper's hack (HAKMEM item 175). Its division is by c, the
// lowest set bit of v, a power of two, so it is a shift by ctz(c): a 64-bit divide costs tens of
// cycles and sits on the loop's dependency chain, once for each of a search's ~2,000 probes.
template <typename F>
void ForEachMaskWithin(int bits, int radius, F&& f) {
  const uint64_t limit = uint64_t{1} << bits;
  f(uint32_t{0});
  for (int k = 1; k <= std::min(radius, bits); ++k) {
    for (uint64_t v = (uint64_t{1} << k) - 1; v < limit;) {
      f(static_cast<uint32_t>(v));
      uint64_t c = v & (~v + 1);
      uint64_t r = v + c;
      v = (((r ^ v) >> 2) >> std::countr_zero(c)) | r;
    }
  }
}

// The probes of one table at one radius, enumerated once for the whole process: `all` holds
// every `bits`-bit mask with at most `radius` bits set, ascending, so that cells sharing a cache
// line (16 uint32 cells: masks equal but for their low 4 bits) come one after another; `lines`
// holds each of those lines once (the mask with its low 4 bits cleared), for the prefetch pass.
// A search then walks two flat arrays instead of running the enumeration twice or storing its
// ~2,000 probes (at 1M hashes 18-21% less CPU per search; docs/index.md).
struct ProbeMasks {
  std::vector<uint32_t> all;
  std::vector<uint32_t> lines;
};

// Radii up to 4 cover every search up to max_distance 48 with the default geometry (threshold
// 31 needs 1 and 2); a list holds at most C(28, <= 4) = 24,158 masks. Wider radii (searches up
// to kPdqMihMaxDistance, or forced probes of small indexes) enumerate on the fly.
constexpr int kMaxKeptRadius = 4;

// The kept lists for (bits, radius), or nullptr above kMaxKeptRadius.
const ProbeMasks* KeptProbeMasks(int bits, int radius) {
  constexpr size_t kRadii = kMaxKeptRadius + 1;
  static std::array<std::atomic<const ProbeMasks*>, 29 * kRadii> kept{};
  // Never destroyed, so that a search still running while the process exits cannot meet
  // freed lists.
  static auto& owned = *new std::array<std::unique_ptr<ProbeMasks>, 29 * kRadii>();
  static std::mutex mu;
  if (radius > kMaxKeptRadius) return nullptr;
  const size_t at = static_cast<size_t>(bits) * kRadii + static_cast<size_t>(radius);
  if (const ProbeMasks* m = kept[at].load(std::memory_order_acquire)) return m;
  std::lock_guard lock(mu);
  if (owned[at] == nullptr) {
    auto m = std::make_unique<ProbeMasks>();
    ForEachMaskWithin(bits, radius, [&](uint32_t mask) {
      m->all.push_back(mask);
      m->lines.push_back(mask & ~uint32_t{15});
    });
    std::sort(m->all.begin(), m->all.end());
    std::sort(m->lines.begin(), m->lines.end());
    m->lines.erase(std::unique(m->lines.begin(), m->lines.end()), m->lines.end());
    owned[at] = std::move(m);
    kept[at].store(owned[at].get(), std::memory_order_release);
  }
  return owned[at].get();
}

struct Cursor {
  uint32_t slot;
  uint32_t table;
};

struct ProbeView {
  void* const* hash_chunks;
  void* const* link_chunks;
};

// A link chunk holds, for kChunkSlots slots, their ids (uint64) and then one array of "next
// slot + 1" (uint32) per table: following table t's list touches only table t's array, so a
// list node costs two cache lines (its hash and its next pointer), not a whole record.
inline const PdqHash& HashIn(const ProbeView& v, uint32_t slot) {
  return static_cast<const PdqHash*>(v.hash_chunks[slot >> kChunkShift])[slot & kChunkMask];
}
inline uint64_t IdIn(void* const* link_chunks, uint32_t slot) {
  return static_cast<const uint64_t*>(link_chunks[slot >> kChunkShift])[slot & kChunkMask];
}
inline uint32_t* NextIn(void* const* link_chunks, uint32_t slot, uint32_t table) {
  return static_cast<uint32_t*>(link_chunks[slot >> kChunkShift]) +
         (2 + size_t{table}) * kChunkSlots + (slot & kChunkMask);
}
inline void PrefetchSlot(const ProbeView& v, uint32_t slot, uint32_t table) {
  __builtin_prefetch(&HashIn(v, slot));
  __builtin_prefetch(NextIn(v.link_chunks, slot, table));
}

// Walks all bucket lists in lock step, one node of every list per round: the lists are
// short (a few nodes) and each node is a cache miss, so advancing thousands of independent
// cursors with prefetches keeps many misses in flight instead of chasing one chain at a
// time. Compiled twice (function multiversioning) so the verification uses POPCNT where the
// CPU has it; the loader picks the clone.
__attribute__((target_clones("popcnt", "default"))) void WalkBuckets(
    const ProbeView& v, const PdqHash& query, int max_distance, std::vector<Cursor>* cursors,
    std::vector<PdqNeighbor>* out) {
  size_t live = cursors->size();
  Cursor* c = cursors->data();
  while (live > 0) {
    size_t kept = 0;
    for (size_t i = 0; i < live; ++i) {
      const uint32_t slot = c[i].slot;
      const int d = HammingDistance(query, HashIn(v, slot));
      if (d <= max_distance) out->push_back({IdIn(v.link_chunks, slot), d});
      const uint32_t next = *NextIn(v.link_chunks, slot, c[i].table);
      if (next != 0) {
        PrefetchSlot(v, next - 1, c[i].table);
        c[kept++] = {next - 1, c[i].table};
      }
    }
    live = kept;
  }
}

void SortAndDedupe(std::vector<PdqNeighbor>* v) {
  std::sort(v->begin(), v->end(), [](const PdqNeighbor& a, const PdqNeighbor& b) {
    return a.distance != b.distance ? a.distance < b.distance : a.id < b.id;
  });
  // A hash close to the query can sit in several probed buckets; its copies are adjacent.
  v->erase(std::unique(v->begin(), v->end()), v->end());
}

}  // namespace

std::vector<int> MihIndex::DefaultSubstringBits() {
  return {22, 22, 22, 22, 21, 21, 21, 21, 21, 21, 21, 21};
}

MihIndex::MihIndex() : MihIndex(Options{}) {}

MihIndex::MihIndex(Options options) : always_probe_(options.always_probe) {
  const std::vector<int>& bits = options.substring_bits;
  WARDEN_CHECK(!bits.empty() && bits.size() <= 64);
  WARDEN_CHECK(std::accumulate(bits.begin(), bits.end(), 0) == 256);
  int start = 0;
  size_t cells = 0;
  for (int b : bits) {
    WARDEN_CHECK(b >= 1 && b <= 28);
    Substring s;
    s.start = start;
    s.bits = b;
    s.mask = (uint32_t{1} << b) - 1;
    s.heads_offset = cells;
    substrings_.push_back(s);
    start += b;
    cells += size_t{1} << b;
  }
  link_words_ = 2 + bits.size();
  heads_bytes_ = cells * sizeof(uint32_t);
  heads_ = static_cast<uint32_t*>(MapZeroedOrDie(heads_bytes_));
}

MihIndex::~MihIndex() {
  munmap(heads_, heads_bytes_);
  for (void* p : hash_chunks_) munmap(p, kChunkSlots * sizeof(PdqHash));
  for (void* p : link_chunks_) munmap(p, kChunkSlots * link_words_ * sizeof(uint32_t));
}

uint32_t MihIndex::Key(const PdqHash& hash, const Substring& s) const {
  const int word = s.start >> 6;
  const int offset = s.start & 63;
  uint64_t v = hash.words[word] >> offset;
  if (offset + s.bits > 64) v |= hash.words[word + 1] << (64 - offset);
  return static_cast<uint32_t>(v) & s.mask;
}

const PdqHash& MihIndex::HashAt(uint32_t slot) const {
  return static_cast<const PdqHash*>(hash_chunks_[slot >> kChunkShift])[slot & kChunkMask];
}

uint64_t MihIndex::IdAt(uint32_t slot) const { return IdIn(link_chunks_.data(), slot); }

uint32_t* MihIndex::NextAt(uint32_t slot, size_t table) const {
  return NextIn(link_chunks_.data(), slot, static_cast<uint32_t>(table));
}

void MihIndex::Link(uint32_t slot, const PdqHash& hash) {
  for (size_t t = 0; t < substrings_.size(); ++t) {
    uint32_t& head = heads_[substrings_[t].heads_offset + Key(hash, substrings_[t])];
    *NextAt(slot, t) = head;
    head = slot + 1;
  }
}

void MihIndex::Unlink(uint32_t slot, const PdqHash& hash) {
  for (size_t t = 0; t < substrings_.size(); ++t) {
    uint32_t* link = &heads_[substrings_[t].heads_offset + Key(hash, substrings_[t])];
    while (*link != slot + 1) {
      WARDEN_CHECK(*link != 0);  // the slot must be on its bucket's list
      link = NextAt(*link - 1, t);
    }
    *link = *NextAt(slot, t);
  }
}

Status MihIndex::Add(uint64_t id, const PdqHash& hash) {
  std::unique_lock lock(mu_);
  return AddLocked(id, hash);
}

Status MihIndex::AddBatch(std::span<const uint64_t> ids, std::span<const PdqHash> hashes) {
  WARDEN_CHECK(ids.size() == hashes.size());
  std::unique_lock lock(mu_);
  slots_.Reserve(std::min(slots_.size() + ids.size(), kPdqIndexMaxSize),
                 [this](uint32_t slot) { return IdAt(slot); });
  for (size_t i = 0; i < ids.size(); ++i) WARDEN_RETURN_IF_ERROR(AddLocked(ids[i], hashes[i]));
  return Status::Ok();
}

Status MihIndex::AddLocked(uint64_t id, const PdqHash& hash) {
  auto id_of = [this](uint32_t s) { return IdAt(s); };
  uint32_t slot = slots_.Find(id, id_of);
  if (slot != IdSlotMap::kNoSlot) {  // replace: move the entry to its new buckets
    PdqHash& stored = const_cast<PdqHash&>(HashAt(slot));
    if (stored == hash) return Status::Ok();
    Unlink(slot, stored);
    stored = hash;
    Link(slot, hash);
    return Status::Ok();
  }
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    if (slot_count_ >= kPdqIndexMaxSize) {
      return Status::ResourceExhausted(
          fmt::format("PDQ index: full at {} hashes, cannot add id {}", slot_count_, id));
    }
    slot = slot_count_++;
    if ((slot & kChunkMask) == 0) {
      hash_chunks_.push_back(MapZeroedOrDie(kChunkSlots * sizeof(PdqHash)));
      link_chunks_.push_back(MapZeroedOrDie(kChunkSlots * link_words_ * sizeof(uint32_t)));
    }
    if ((slot >> 6) >= live_.size()) live_.push_back(0);
  }
  const_cast<PdqHash&>(HashAt(slot)) = hash;
  static_cast<uint64_t*>(link_chunks_[slot >> kChunkShift])[slot & kChunkMask] = id;
  Link(slot, hash);
  live_[slot >> 6] |= uint64_t{1} << (slot & 63);
  slots_.Insert(id, slot, id_of);
  return Status::Ok();
}

bool MihIndex::Remove(uint64_t id) {
  std::unique_lock lock(mu_);
  auto id_of = [this](uint32_t s) { return IdAt(s); };
  uint32_t slot = slots_.Find(id, id_of);
  if (slot == IdSlotMap::kNoSlot) return false;
  Unlink(slot, HashAt(slot));
  slots_.Erase(id, id_of);
  live_[slot >> 6] &= ~(uint64_t{1} << (slot & 63));
  free_slots_.push_back(slot);
  return true;
}

bool MihIndex::Contains(uint64_t id) const {
  std::shared_lock lock(mu_);
  return slots_.Find(id, [this](uint32_t s) { return IdAt(s); }) != IdSlotMap::kNoSlot;
}

size_t MihIndex::size() const {
  std::shared_lock lock(mu_);
  return slots_.size();
}

size_t MihIndex::memory_bytes() const {
  std::shared_lock lock(mu_);
  return heads_bytes_ + hash_chunks_.size() * kChunkSlots * sizeof(PdqHash) +
         link_chunks_.size() * kChunkSlots * link_words_ * sizeof(uint32_t) +
         live_.capacity() * sizeof(uint64_t) + free_slots_.capacity() * sizeof(uint32_t) +
         slots_.memory_bytes() +
         (hash_chunks_.capacity() + link_chunks_.capacity()) * sizeof(void*);
}

std::vector<int> MihIndex::ProbePlan(int max_distance) const {
  std::shared_lock lock(mu_);
  std::vector<int> radii;
  if (!PlanLocked(max_distance, &radii)) radii.clear();
  return radii;
}

bool MihIndex::PlanLocked(int max_distance, std::vector<int>* radii) const {
  if (max_distance < 0 || max_distance > kPdqMihMaxDistance) return false;
  const double n = static_cast<double>(slots_.size());
  radii->assign(substrings_.size(), -1);
  // Expected entries per probe plus the probe itself, per table (at most 64 tables).
  std::array<double, 64> per_probe;
  for (size_t t = 0; t < substrings_.size(); ++t) {
    per_probe[t] = 1.0 + n / static_cast<double>(substrings_[t].mask + 1.0);
  }
  // Greedy: raise the radius whose next step adds the least cost until the radii cover
  // max_distance, i.e. sum (s_t + 1) = max_distance + 1. A step's cost C(b, s + 1) grows
  // with s, so greedy yields the cheapest cover under the model.
  double cost = 0;
  for (int step = 0; step <= max_distance; ++step) {
    size_t best = 0;
    double best_cost = -1;
    for (size_t t = 0; t < substrings_.size(); ++t) {
      const Substring& s = substrings_[t];
      if ((*radii)[t] >= s.bits) continue;  // this table cannot widen further
      const double c = Binomial(s.bits, (*radii)[t] + 1) * per_probe[t];
      if (best_cost < 0 || c < best_cost) {
        best_cost = c;
        best = t;
      }
    }
    if (best_cost < 0) return false;  // every table fully open: a scan is simpler
    ++(*radii)[best];
    cost += best_cost;
  }
  return always_probe_ || cost < kScanCostPerHash * static_cast<double>(slot_count_) + 64.0;
}

Result<std::vector<PdqNeighbor>> MihIndex::Search(const PdqHash& query, int max_distance) const {
  WARDEN_RETURN_IF_ERROR(ValidatePdqMaxDistance(max_distance));
  thread_local std::vector<int> radii;
  std::vector<PdqNeighbor> out;
  {
    std::shared_lock lock(mu_);
    if (PlanLocked(max_distance, &radii)) {
      ProbeLocked(query, max_distance, radii, &out);
    } else {
      ScanLocked(query, max_distance, &out);
    }
  }
  SortAndDedupe(&out);
  return out;
}

void MihIndex::ScanLocked(const PdqHash& query, int max_distance,
                          std::vector<PdqNeighbor>* out) const {
  thread_local std::vector<ScanHit> hits;
  const ScanFn scan = ScanKernel();
  for (size_t c = 0; c < hash_chunks_.size(); ++c) {
    const uint32_t first = static_cast<uint32_t>(c << kChunkShift);
    const uint32_t n = std::min(kChunkSlots, slot_count_ - first);
    hits.clear();
    scan(static_cast<const PdqHash*>(hash_chunks_[c]), n, query, max_distance, &hits);
    for (const ScanHit& h : hits) {
      const uint32_t slot = first + h.index;
      if ((live_[slot >> 6] >> (slot & 63)) & 1) {
        out->push_back({IdAt(slot), static_cast<int>(h.distance)});
      }
    }
  }
}

void MihIndex::ProbeLocked(const PdqHash& query, int max_distance, const std::vector<int>& radii,
                           std::vector<PdqNeighbor>* out) const {
  thread_local std::vector<Cursor> cursors;
  cursors.clear();
  // Pass 1: prefetch each cache line of head cells to probe, once. A line holds 16 cells of
  // one table when the table starts on a line, as every table of 4 bits or more does after
  // tables of 4 bits or more (heads_ is 2 MiB aligned); a prefetch is only a hint either way.
  for (size_t t = 0; t < substrings_.size(); ++t) {
    if (radii[t] < 0) continue;
    const Substring& s = substrings_[t];
    const uint32_t key = Key(query, s);
    const uint32_t* table = heads_ + s.heads_offset;
    auto prefetch = [&](uint32_t mask) { __builtin_prefetch(table + (key ^ mask)); };
    if (const ProbeMasks* m = KeptProbeMasks(s.bits, radii[t])) {
      for (uint32_t mask : m->lines) prefetch(mask);
    } else {
      ForEachMaskWithin(s.bits, radii[t], prefetch);
    }
  }
  const ProbeView view{hash_chunks_.data(), link_chunks_.data()};
  // Pass 2: the same cells, in the same order; the first node of every non-empty bucket
  // becomes a cursor.
  for (size_t t = 0; t < substrings_.size(); ++t) {
    if (radii[t] < 0) continue;
    const Substring& s = substrings_[t];
    const uint32_t key = Key(query, s);
    const uint32_t* table = heads_ + s.heads_offset;
    auto visit = [&](uint32_t mask) {
      const uint32_t head = table[key ^ mask];
      if (head != 0) {
        PrefetchSlot(view, head - 1, static_cast<uint32_t>(t));
        cursors.push_back({head - 1, static_cast<uint32_t>(t)});
      }
    };
    if (const ProbeMasks* m = KeptProbeMasks(s.bits, radii[t])) {
      for (uint32_t mask : m->all) visit(mask);
    } else {
      ForEachMaskWithin(s.bits, radii[t], visit);
    }
  }
  // Pass 3: verify every node on all 256 bits.
  WalkBuckets(view, query, max_distance, &cursors, out);
}

}  // namespace warden
