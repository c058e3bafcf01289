#include "warden/pdq_index.h"

#include <fmt/core.h>

#include <algorithm>
#include <thread>

#include "src/index/flat_index.h"
#include "src/index/mih_index.h"

namespace warden {

Status ValidatePdqMaxDistance(int max_distance) {
  if (max_distance < 0 || max_distance > kPdqMaxDistance) {
    return Status::InvalidArgument(
        fmt::format("PDQ index: max distance {} is outside 0..{}", max_distance, kPdqMaxDistance));
  }
  return Status::Ok();
}

Result<std::vector<std::vector<PdqNeighbor>>> PdqIndex::SearchBatch(
    std::span<const PdqHash> queries, int max_distance, int num_threads) const {
  WARDEN_RETURN_IF_ERROR(ValidatePdqMaxDistance(max_distance));
  std::vector<std::vector<PdqNeighbor>> results(queries.size());
  size_t threads = std::clamp<size_t>(static_cast<size_t>(std::max(num_threads, 1)), 1,
                                      std::max<size_t>(queries.size(), 1));
  // Each worker takes a contiguous share; every Search takes its own reader lock, so a
  // writer may slip in between two queries of a batch (each result is still consistent).
  auto work = [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      Result<std::vector<PdqNeighbor>> r = Search(queries[i], max_distance);
      if (r.ok()) results[i] = std::move(r).value();  // cannot fail: validated above
    }
  };
  if (threads == 1) {
    work(0, queries.size());
  } else {
    std::vector<std::thread> pool;
    size_t per = (queries.size() + threads - 1) / threads;
    for (size_t t = 0; t < threads; ++t) {
      size_t begin = std::min(queries.size(), t * per);
      size_t end = std::min(queries.size(), begin + per);
      pool.emplace_back(work, begin, end);
    }
    for (std::thread& th : pool) th.join();
  }
  return results;
}

std::unique_ptr<PdqIndex> NewFlatPdqIndex() { return std::make_unique<FlatIndex>(); }

std::unique_ptr<PdqIndex> NewMihPdqIndex() { return std::make_unique<MihIndex>(); }

}  // namespace warden
