#include "src/local/local_index.h"

#include <pthread.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <mutex>
#include <numbers>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <utility>

#include <fmt/format.h>

#include "src/local/local_posting_list.h"

namespace warden {
namespace {

// Descriptor slots of image slot s are s * kSlotsPerImage + k, k < kLocalStoredKeypoints, so a
// hit's image is one division away and no per-descriptor owner array is needed. uint32 slots
// cap an index at 42.9M images (docs/local-features.md shards long before that).
constexpr uint32_t kSlotsPerImage = kLocalStoredKeypoints;
constexpr uint64_t kMaxImageSlots = 0xFFFFFFFFull / kSlotsPerImage;
// A vote's full weight in the integer units of CandidatesLocked (a query descriptor that hit
// one image); 2^20 keeps 1/n exact enough for any n and sums of 500 votes far from overflow.
constexpr uint32_t kVoteWeightOne = uint32_t{1} << 20;

// Registered descriptors are read on every table hit, so they live in one array of
// 32-byte-aligned words: a hit costs one cache line.
struct alignas(32) Descriptor {
  uint64_t w[4];
};

Descriptor LoadDescriptor(const std::array<uint8_t, kLocalDescriptorBytes>& bytes) {
  Descriptor d;
  std::memcpy(d.w, bytes.data(), sizeof(d.w));
  return d;
}

// A keypoint's geometry packed into 12 bytes (16 as floats): the verifier needs position,
// scale and orientation, never the detector response. Quantisation steps (1/1024 of a level's
// scale, 2^-15 pi radians) are far below what the extractor itself resolves.
struct PackedGeometry {
  float x;
  float y;
  uint16_t scale;  // scale * 1024, clamped to 1..65535
  int16_t angle;   // angle * 32767 / pi
};
static_assert(sizeof(PackedGeometry) == 12);

PackedGeometry Pack(const LocalKeypoint& kp) {
  PackedGeometry g;
  g.x = kp.x;
  g.y = kp.y;
  g.scale = static_cast<uint16_t>(std::clamp(std::lround(kp.scale * 1024.0f), 1L, 65535L));
  g.angle = static_cast<int16_t>(
      std::clamp(std::lround(kp.angle * (32767.0 / std::numbers::pi)), -32767L, 32767L));
  return g;
}

LocalKeypoint Unpack(const PackedGeometry& g, const Descriptor& d) {
  LocalKeypoint kp;
  kp.x = g.x;
  kp.y = g.y;
  kp.scale = static_cast<float>(g.scale / 1024.0);
  kp.angle = static_cast<float>(g.angle * (std::numbers::pi / 32767.0));
  std::memcpy(kp.descriptor.data(), d.w, kLocalDescriptorBytes);
  return kp;
}

struct ImageRecord {
  uint64_t id = 0;
  int32_t width = 0;
  int32_t height = 0;
  uint16_t count = 0;  // keypoints
  bool live = false;
};

// The descriptor's bits from the most balanced (P(1) closest to 1/2) to the least, measured
// on the benign corpus's 142,856 registered descriptors (`local_bench --print-bit-order`).
// The extractor's steered, fixed-pattern BRIEF bits are far from balanced (median |P(1) - 1/2|
// 0.205, worst 0.416), and a key of biased bits fills a few buckets with most descriptors: a
// bucket's expected share is the product over its bits of p^2 + (1-p)^2, 0.5 for a balanced
// bit but 0.58 at bias 0.2 and 0.85 at 0.42. Keys are therefore made of the best bits only.
// A property of the extractor's pattern: if that pattern changes, this table should be
// measured again (stale, it costs speed, never correctness: every hit is checked on all 256
// bits). Changing it needs a re-index, like any change of the table geometry.
constexpr uint8_t kBitsByBalance[256] = {
    242, 130, 24,  97,  26,  170, 56,  184, 77,  16,  123, 225, 227, 3,   145, 17,  117, 220, 122,
    186, 99,  53,  15,  72,  246, 132, 6,   204, 79,  214, 174, 253, 111, 167, 207, 71,  216, 62,
    211, 141, 66,  129, 153, 213, 194, 42,  151, 52,  103, 212, 139, 101, 131, 13,  162, 41,  229,
    164, 202, 185, 128, 126, 45,  245, 125, 94,  40,  60,  115, 198, 231, 142, 208, 173, 70,  116,
    158, 239, 89,  191, 18,  222, 210, 65,  106, 188, 112, 219, 171, 1,   235, 34,  147, 192, 73,
    100, 49,  87,  25,  148, 137, 95,  248, 201, 136, 249, 105, 124, 247, 172, 44,  166, 20,  64,
    224, 163, 47,  90,  236, 217, 50,  114, 178, 197, 113, 2,   118, 127, 93,  107, 51,  177, 254,
    165, 33,  31,  84,  58,  144, 46,  230, 240, 74,  155, 154, 189, 120, 223, 19,  138, 250, 255,
    200, 48,  32,  206, 233, 104, 98,  218, 159, 160, 68,  43,  241, 80,  203, 81,  140, 108, 91,
    251, 30,  182, 7,   169, 234, 179, 85,  92,  39,  82,  37,  195, 232, 161, 180, 4,   199, 38,
    228, 35,  152, 102, 110, 157, 0,   209, 27,  187, 21,  22,  8,   215, 149, 193, 168, 96,  86,
    14,  243, 205, 9,   78,  150, 134, 36,  67,  181, 143, 176, 135, 76,  237, 88,  238, 221, 133,
    23,  121, 146, 244, 196, 55,  61,  12,  28,  190, 156, 69,  175, 83,  29,  75,  109, 59,  63,
    119, 252, 226, 183, 5,   57,  11,  10,  54,
};

// The voting scan over one query descriptor's buckets, compiled twice: once for POPCNT (one
// instruction per 64 bits) and once plain. `lists` are the descriptor's buckets, one per table.
// Appends the image slot of every registered descriptor within `radius`; duplicates (the same
// descriptor found through several tables) are left for the caller to remove.
struct ScanInput {
  const Descriptor* descriptors;
  const LocalPostingList* const* lists;
  int list_count;
  Descriptor query;
  int radius;
};

[[gnu::always_inline]] inline void ScanBody(const ScanInput& in, std::vector<uint32_t>& hits) {
  // Prefetch a few entries ahead: the descriptors array is far larger than the caches, and
  // independent misses in flight are what keep a hit at a few ns instead of ~100.
  constexpr uint32_t kAhead = 8;
  const uint64_t q0 = in.query.w[0], q1 = in.query.w[1], q2 = in.query.w[2], q3 = in.query.w[3];
  for (int t = 0; t < in.list_count; ++t) {
    const uint32_t* slots = in.lists[t]->data();
    const uint32_t n = in.lists[t]->size();
    for (uint32_t i = 0; i < n && i < kAhead; ++i) __builtin_prefetch(&in.descriptors[slots[i]]);
    for (uint32_t i = 0; i < n; ++i) {
      if (i + kAhead < n) __builtin_prefetch(&in.descriptors[slots[i + kAhead]]);
      const uint64_t* w = in.descriptors[slots[i]].w;
      int d = __builtin_popcountll(w[0] ^ q0) + __builtin_popcountll(w[1] ^ q1) +
              __builtin_popcountll(w[2] ^ q2) + __builtin_popcountll(w[3] ^ q3);
      if (d <= in.radius) hits.push_back(slots[i] / kSlotsPerImage);
    }
  }
}

#if defined(__x86_64__) || defined(__i386__)
__attribute__((target("popcnt"))) void ScanPopcnt(const ScanInput& in,
                                                  std::vector<uint32_t>& hits) {
  ScanBody(in, hits);
}
#endif
void ScanPlain(const ScanInput& in, std::vector<uint32_t>& hits) { ScanBody(in, hits); }

using ScanFn = void (*)(const ScanInput&, std::vector<uint32_t>&);
ScanFn PickScan() {
#if defined(__x86_64__) || defined(__i386__)
  if (__builtin_cpu_supports("popcnt")) return &ScanPopcnt;
#endif
  return &ScanPlain;
}

#if defined(__GLIBC__)
// A reader/writer lock that lets a waiting writer in before new readers. glibc's default
// rwlock (what std::shared_mutex is built on) prefers readers, so under a steady query load an
// Add can wait for as long as the load lasts (the concurrency test saw minutes for 300 Adds).
// Non-recursive: no thread takes the read lock twice.
class WriterPreferringMutex {
 public:
  WriterPreferringMutex() {
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&lock_, &attr);
    pthread_rwlockattr_destroy(&attr);
  }
  ~WriterPreferringMutex() { pthread_rwlock_destroy(&lock_); }
  WriterPreferringMutex(const WriterPreferringMutex&) = delete;
  WriterPreferringMutex& operator=(const WriterPreferringMutex&) = delete;

  void lock() { pthread_rwlock_wrlock(&lock_); }
  void unlock() { pthread_rwlock_unlock(&lock_); }
  void lock_shared() { pthread_rwlock_rdlock(&lock_); }
  void unlock_shared() { pthread_rwlock_unlock(&lock_); }

 private:
  pthread_rwlock_t lock_;
};
#else
using WriterPreferringMutex = std::shared_mutex;
#endif

class MultiTableLocalIndex final : public LocalIndex {
 public:
  explicit MultiTableLocalIndex(const LocalIndexOptions& options)
      : options_(options),
        buckets_per_table_(size_t{1} << options.key_bits),
        chunks_((static_cast<size_t>(options.tables) << options.key_bits) / kChunkBuckets),
        scan_(PickScan()) {
    WARDEN_CHECK(options.tables >= 1 && options.tables <= 32);
    WARDEN_CHECK(options.key_bits >= 8 && options.key_bits <= 24);
    WARDEN_CHECK(options.tables * options.key_bits <= 256);
    WARDEN_CHECK(options.radius >= 0 && options.radius <= 256);
    // Table t takes the bits of rank t, t + tables, t + 2 tables, ...: every table gets an
    // equal share of good and less good bits, and bits of neighbouring rank (often pairs of
    // the pattern that share a point, hence correlated) land in different tables.
    key_positions_.resize(static_cast<size_t>(options.tables) * options.key_bits);
    for (int t = 0; t < options.tables; ++t) {
      for (int j = 0; j < options.key_bits; ++j) {
        key_positions_[static_cast<size_t>(t) * options.key_bits + j] =
            kBitsByBalance[(t + j * options.tables) % 256];
      }
    }
  }

  Status Add(uint64_t id, const LocalFeatures& features) override {
    WARDEN_RETURN_IF_ERROR(Validate(features));
    std::unique_lock lock(mutex_);
    auto it = slot_of_.find(id);
    if (it != slot_of_.end()) {
      Unlink(it->second);
      free_slots_.push_back(it->second);
      slot_of_.erase(it);
    }
    uint32_t slot;
    if (!free_slots_.empty()) {
      slot = free_slots_.back();
      free_slots_.pop_back();
    } else {
      if (records_.size() >= kMaxImageSlots) {
        return Status::ResourceExhausted(
            fmt::format("local index: full at {} images", records_.size()));
      }
      slot = static_cast<uint32_t>(records_.size());
      records_.emplace_back();
      descriptors_.resize(descriptors_.size() + kSlotsPerImage);
      geometry_.resize(geometry_.size() + kSlotsPerImage);
    }
    ImageRecord& record = records_[slot];
    record.id = id;
    record.width = features.width;
    record.height = features.height;
    record.count = static_cast<uint16_t>(features.keypoints.size());
    record.live = true;
    const size_t base = static_cast<size_t>(slot) * kSlotsPerImage;
    for (size_t k = 0; k < features.keypoints.size(); ++k) {
      descriptors_[base + k] = LoadDescriptor(features.keypoints[k].descriptor);
      geometry_[base + k] = Pack(features.keypoints[k]);
      for (int t = 0; t < options_.tables; ++t) {
        Bucket(t, descriptors_[base + k]).Push(static_cast<uint32_t>(base + k));
      }
    }
    slot_of_.emplace(id, slot);
    return Status::Ok();
  }

  bool Remove(uint64_t id) override {
    std::unique_lock lock(mutex_);
    auto it = slot_of_.find(id);
    if (it == slot_of_.end()) return false;
    Unlink(it->second);
    free_slots_.push_back(it->second);
    slot_of_.erase(it);
    return true;
  }

  bool Contains(uint64_t id) const override {
    std::shared_lock lock(mutex_);
    return slot_of_.count(id) != 0;
  }

  std::vector<LocalCandidate> Candidates(const LocalFeatures& query,
                                         int max_candidates) const override {
    std::shared_lock lock(mutex_);
    return CandidatesLocked(query, max_candidates);
  }

  std::vector<LocalIndexMatch> Search(const LocalFeatures& query,
                                      const LocalSearchOptions& options) const override {
    const int max_candidates = std::clamp(options.max_candidates, 1, 1000);
    std::vector<std::pair<uint64_t, LocalFeatures>> references;
    {
      // Copy the candidates' features out (a few KB each) so that verification, the
      // expensive part, runs without holding the lock against writers.
      std::shared_lock lock(mutex_);
      for (const LocalCandidate& c : CandidatesLocked(query, max_candidates)) {
        references.emplace_back(c.id, FeaturesOf(slot_of_.at(c.id)));
      }
    }
    std::vector<LocalIndexMatch> matches;
    for (const auto& [id, reference] : references) {
      LocalMatch match = VerifyLocalMatch(query, reference, options.verify);
      if (match.matched) matches.push_back({id, match});
    }
    std::sort(matches.begin(), matches.end(),
              [](const LocalIndexMatch& a, const LocalIndexMatch& b) {
                if (a.match.score != b.match.score) return a.match.score > b.match.score;
                return a.id < b.id;
              });
    return matches;
  }

  size_t size() const override {
    std::shared_lock lock(mutex_);
    return slot_of_.size();
  }

  size_t memory_bytes() const override {
    std::shared_lock lock(mutex_);
    size_t bytes = chunks_.capacity() * sizeof(chunks_[0]);
    for (const auto& chunk : chunks_) {
      if (!chunk) continue;
      bytes += kChunkBuckets * sizeof(LocalPostingList);
      for (size_t i = 0; i < kChunkBuckets; ++i) bytes += chunk[i].memory_bytes();
    }
    bytes += records_.capacity() * sizeof(ImageRecord);
    bytes += descriptors_.capacity() * sizeof(Descriptor);
    bytes += geometry_.capacity() * sizeof(PackedGeometry);
    bytes += free_slots_.capacity() * sizeof(uint32_t);
    // unordered_map: a bucket pointer per bucket plus a heap node (next pointer, key, value,
    // cached hash) per entry.
    bytes += slot_of_.bucket_count() * sizeof(void*) + slot_of_.size() * 32;
    return bytes;
  }

 private:
  static Status Validate(const LocalFeatures& features) {
    if (features.keypoints.size() > static_cast<size_t>(kLocalStoredKeypoints)) {
      return Status::InvalidArgument(
          fmt::format("local index: {} keypoints, over the limit of {} for a registered image",
                      features.keypoints.size(), kLocalStoredKeypoints));
    }
    if (features.width <= 0 || features.height <= 0) {
      return Status::InvalidArgument(fmt::format("local index: image size {}x{} is not positive",
                                                 features.width, features.height));
    }
    for (size_t k = 0; k < features.keypoints.size(); ++k) {
      const LocalKeypoint& kp = features.keypoints[k];
      if (!std::isfinite(kp.x) || !std::isfinite(kp.y) || !std::isfinite(kp.scale) ||
          !std::isfinite(kp.angle) || kp.scale <= 0) {
        return Status::InvalidArgument(fmt::format(
            "local index: keypoint {} has a non-finite position, scale or angle, or a scale "
            "that is not positive",
            k));
      }
    }
    return Status::Ok();
  }

  uint32_t Key(int table, const Descriptor& d) const {
    const uint8_t* positions = &key_positions_[static_cast<size_t>(table) * options_.key_bits];
    uint32_t key = 0;
    for (int j = 0; j < options_.key_bits; ++j) {
      const int bit = positions[j];
      key |= static_cast<uint32_t>((d.w[bit >> 6] >> (bit & 63)) & 1u) << j;
    }
    return key;
  }

  // Buckets live in chunks of kChunkBuckets allocated on first use, so an index of a few
  // images does not pay 16 bytes for each of tables * 2^key_bits buckets (134 MB at 8 x 20).
  LocalPostingList& Bucket(int table, const Descriptor& d) {
    const size_t b = static_cast<size_t>(table) * buckets_per_table_ + Key(table, d);
    std::unique_ptr<LocalPostingList[]>& chunk = chunks_[b / kChunkBuckets];
    if (!chunk) chunk = std::make_unique<LocalPostingList[]>(kChunkBuckets);
    return chunk[b % kChunkBuckets];
  }
  const LocalPostingList& Bucket(int table, const Descriptor& d) const {
    static const LocalPostingList kEmpty;
    const size_t b = static_cast<size_t>(table) * buckets_per_table_ + Key(table, d);
    const std::unique_ptr<LocalPostingList[]>& chunk = chunks_[b / kChunkBuckets];
    return chunk ? chunk[b % kChunkBuckets] : kEmpty;
  }

  // Takes image slot `slot`'s descriptors out of every table. REQUIRES: writer lock; live.
  void Unlink(uint32_t slot) {
    ImageRecord& record = records_[slot];
    const size_t base = static_cast<size_t>(slot) * kSlotsPerImage;
    for (size_t k = 0; k < record.count; ++k) {
      for (int t = 0; t < options_.tables; ++t) {
        bool erased = Bucket(t, descriptors_[base + k]).Erase(static_cast<uint32_t>(base + k));
        WARDEN_CHECK(erased);
      }
    }
    record = ImageRecord{};
  }

  LocalFeatures FeaturesOf(uint32_t slot) const {
    const ImageRecord& record = records_[slot];
    LocalFeatures f;
    f.width = record.width;
    f.height = record.height;
    f.keypoints.reserve(record.count);
    const size_t base = static_cast<size_t>(slot) * kSlotsPerImage;
    for (size_t k = 0; k < record.count; ++k) {
      f.keypoints.push_back(Unpack(geometry_[base + k], descriptors_[base + k]));
    }
    return f;
  }

  // REQUIRES: reader (or writer) lock.
  std::vector<LocalCandidate> CandidatesLocked(const LocalFeatures& query,
                                               int max_candidates) const {
    std::vector<LocalCandidate> out;
    if (max_candidates <= 0 || slot_of_.empty()) return out;
    std::vector<const LocalPostingList*> lists(options_.tables);
    std::vector<uint32_t> hits;  // image slots hit by the current query descriptor
    // One vote per (query descriptor, image), weighted by 1 / the number of images the
    // descriptor hit (in 1/2^20 units, so that the sums are exact integers): a descriptor near
    // something in many images (a common corner shape, an overlay's strokes) says little about
    // which one the query derives from, a rare one says much (the inverse document frequency
    // of text retrieval). Measured on the eval's saved queries (854 references, top 32): the
    // source was among the candidates for 299 instead of 265 of 300 40%-shade regenerations,
    // 273 instead of 157 at 60% (docs/local-features.md).
    std::vector<std::pair<uint32_t, uint32_t>> votes;  // (image slot, weight)
    // The first kLocalIndexVoteKeypoints of each view (a small query's enlarged view votes
    // too, and so do the overlay-removed picture's views).
    std::vector<const LocalKeypoint*> voters;
    for (const LocalFeatures* f : {&query, query.without_overlay.get()}) {
      if (f == nullptr) continue;
      const size_t n = f->keypoints.size();
      const size_t split = PlainKeypointCount(*f);
      for (size_t k = 0; k < std::min(split, size_t{kLocalIndexVoteKeypoints}); ++k) {
        voters.push_back(&f->keypoints[k]);
      }
      for (size_t k = split; k < std::min(n, split + kLocalIndexVoteKeypoints); ++k) {
        voters.push_back(&f->keypoints[k]);
      }
    }
    for (const LocalKeypoint* voter : voters) {
      const LocalKeypoint& kp = *voter;
      ScanInput in;
      in.query = LoadDescriptor(kp.descriptor);
      for (int t = 0; t < options_.tables; ++t) lists[t] = &Bucket(t, in.query);
      in.descriptors = descriptors_.data();
      in.lists = lists.data();
      in.list_count = options_.tables;
      in.radius = options_.radius;
      hits.clear();
      scan_(in, hits);
      // One vote per (query descriptor, image): several of an image's descriptors near one
      // query descriptor (repeated texture) must not outvote distinct agreeing descriptors.
      std::sort(hits.begin(), hits.end());
      hits.erase(std::unique(hits.begin(), hits.end()), hits.end());
      if (hits.empty()) continue;
      const uint32_t weight = kVoteWeightOne / static_cast<uint32_t>(hits.size());
      for (uint32_t slot : hits) votes.emplace_back(slot, weight);
    }
    std::sort(votes.begin(), votes.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<uint64_t> weights;  // parallel to `out`
    for (size_t i = 0; i < votes.size();) {
      size_t j = i;
      uint64_t sum = 0;
      while (j < votes.size() && votes[j].first == votes[i].first) sum += votes[j++].second;
      out.push_back({records_[votes[i].first].id, static_cast<int>(j - i),
                     static_cast<double>(sum) / kVoteWeightOne});
      weights.push_back(sum);
      i = j;
    }
    std::vector<size_t> rank(out.size());
    for (size_t i = 0; i < rank.size(); ++i) rank[i] = i;
    auto better = [&](size_t a, size_t b) {
      if (weights[a] != weights[b]) return weights[a] > weights[b];
      return out[a].id < out[b].id;
    };
    const size_t keep = std::min(out.size(), static_cast<size_t>(max_candidates));
    std::partial_sort(rank.begin(), rank.begin() + keep, rank.end(), better);
    std::vector<LocalCandidate> best;
    best.reserve(keep);
    for (size_t i = 0; i < keep; ++i) best.push_back(out[rank[i]]);
    return best;
  }

  const LocalIndexOptions options_;
  const size_t buckets_per_table_;
  std::vector<uint8_t> key_positions_;  // tables * key_bits bit indexes

  mutable WriterPreferringMutex mutex_;
  static constexpr size_t kChunkBuckets = 256;  // divides 2^key_bits (key_bits >= 8)
  // tables * 2^key_bits buckets, table-major, in chunks (null: all empty).
  std::vector<std::unique_ptr<LocalPostingList[]>> chunks_;
  std::vector<ImageRecord> records_;      // per image slot
  std::vector<Descriptor> descriptors_;   // kSlotsPerImage per image slot
  std::vector<PackedGeometry> geometry_;  // kSlotsPerImage per image slot
  std::vector<uint32_t> free_slots_;      // image slots of removed images, reused first
  std::unordered_map<uint64_t, uint32_t> slot_of_;
  const ScanFn scan_;
};

}  // namespace

std::unique_ptr<LocalIndex> NewLocalIndex() { return NewLocalIndex(LocalIndexOptions{}); }

std::unique_ptr<LocalIndex> NewLocalIndex(const LocalIndexOptions& options) {
  return std::make_unique<MultiTableLocalIndex>(options);
}

}  // namespace warden
