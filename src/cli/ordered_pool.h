// Parallel work with in-order results: `warden hash --jobs N` hashes files on N threads and
// prints them in the order they were given.
//
// RunOrdered runs work(i) for every i in [0, count) on up to `jobs` worker threads and calls
// emit(i) on the calling thread in increasing i, each as soon as work(0..i) have all finished.
// work(i) typically fills slot i of a caller-owned vector; emit(i) prints and frees it. A slot
// is written by exactly one worker and read by the caller only after that worker is done with
// it, under the pool's mutex, so the slots need no locking of their own.
//
// Thread safety: work must be safe to call concurrently for distinct i; emit is only ever
// called from the calling thread. An exception from work or emit stops the pool (no new
// items start), joins every worker and is rethrown to the caller.
#ifndef WARDEN_SRC_CLI_ORDERED_POOL_H_
#define WARDEN_SRC_CLI_ORDERED_POOL_H_

#include <cstddef>
#include <functional>

namespace warden {

// REQUIRES: jobs >= 1. With jobs == 1 everything runs on the calling thread:
// work(0), emit(0), work(1), emit(1), ...
void RunOrdered(size_t count, int jobs, const std::function<void(size_t)>& work,
                const std::function<void(size_t)>& emit);

}  // namespace warden

#endif  // WARDEN_SRC_CLI_ORDERED_POOL_H_
