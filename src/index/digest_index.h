// DigestIndex: exact-match index for MD5, SHA-1 and SHA-256 signals: a hash map from
// (signal type, digest bytes) to the ids holding that digest.
//
// Like PdqIndex it knows only ids; the matcher above maps ids to items and banks.
// Several ids may hold the same digest (one item per bank); one id may hold many digests.
//
// Thread safety: every method may be called from many threads at once (std::shared_mutex:
// Lookup, Contains and size share; Add and Remove exclude). A write is visible to every
// Lookup that starts after it returns.
#ifndef WARDEN_SRC_INDEX_DIGEST_INDEX_H_
#define WARDEN_SRC_INDEX_DIGEST_INDEX_H_

#include <cstdint>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "warden/signal.h"
#include "warden/status.h"

namespace warden {

class DigestIndex {
 public:
  // Records that `id` holds `signal`. Adding the same pair twice changes nothing.
  // Errors: kInvalidArgument if the signal is PDQ (use a PdqIndex) or local (use a LocalIndex:
  // the matcher skips such signals here) or its value is not hex
  // of the type's length (32 for md5, 40 for sha1, 64 for sha256; either case).
  Status Add(const Signal& signal, uint64_t id);

  // Forgets that `id` holds `signal`. Returns true if it did, false if not (or if the signal
  // is malformed: nothing malformed is ever stored).
  bool Remove(const Signal& signal, uint64_t id);

  // The ids holding exactly this digest, ascending; empty if none.
  // Errors: as Add.
  Result<std::vector<uint64_t>> Lookup(const Signal& signal) const;

  // Number of (digest, id) pairs.
  size_t size() const;

 private:
  std::unordered_map<std::string, std::vector<uint64_t>> ids_;  // key: type byte + raw bytes
  size_t pairs_ = 0;
  mutable std::shared_mutex mu_;
};

}  // namespace warden

#endif  // WARDEN_SRC_INDEX_DIGEST_INDEX_H_
