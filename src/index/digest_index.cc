#include "src/index/digest_index.h"

#include <fmt/core.h>

#include <algorithm>
#include <mutex>

#include "src/base/hex.h"

namespace warden {
namespace {

// The map key: one byte for the type, then the raw digest, so equal digests of different
// types never collide and upper/lower-case hex give the same key.
Result<std::string> KeyOf(const Signal& signal) {
  if (signal.type == SignalType::kPdq) {
    return Status::InvalidArgument("digest index: pdq signals belong in a PDQ index");
  }
  if (signal.type == SignalType::kLocal) {
    // Two photos never share a local value byte for byte unless they are the same file; local
    // signals are matched by geometric verification (src/local/local_index.h) instead.
    return Status::InvalidArgument("digest index: local signals belong in a local index");
  }
  const size_t want = static_cast<size_t>(SignalHexLength(signal.type));
  if (signal.value.size() != want) {
    return Status::InvalidArgument(
        fmt::format("digest index: {} value has {} hex digits, expected {}",
                    SignalTypeName(signal.type), signal.value.size(), want));
  }
  std::string key(1 + want / 2, '\0');
  key[0] = static_cast<char>(signal.type);
  for (size_t i = 0; i < want; i += 2) {
    int hi = HexDigitValue(signal.value[i]), lo = HexDigitValue(signal.value[i + 1]);
    if (hi < 0 || lo < 0) {
      return Status::InvalidArgument(
          fmt::format("digest index: {} value has a non-hex character at {}",
                      SignalTypeName(signal.type), hi < 0 ? i : i + 1));
    }
    key[1 + i / 2] = static_cast<char>(hi * 16 + lo);
  }
  return key;
}

}  // namespace

Status DigestIndex::Add(const Signal& signal, uint64_t id) {
  WARDEN_ASSIGN_OR_RETURN(std::string key, KeyOf(signal));
  std::unique_lock lock(mu_);
  std::vector<uint64_t>& ids = ids_[std::move(key)];
  auto it = std::lower_bound(ids.begin(), ids.end(), id);
  if (it == ids.end() || *it != id) {
    ids.insert(it, id);
    ++pairs_;
  }
  return Status::Ok();
}

bool DigestIndex::Remove(const Signal& signal, uint64_t id) {
  Result<std::string> key = KeyOf(signal);
  if (!key.ok()) return false;
  std::unique_lock lock(mu_);
  auto entry = ids_.find(*key);
  if (entry == ids_.end()) return false;
  std::vector<uint64_t>& ids = entry->second;
  auto it = std::lower_bound(ids.begin(), ids.end(), id);
  if (it == ids.end() || *it != id) return false;
  ids.erase(it);
  --pairs_;
  if (ids.empty()) ids_.erase(entry);
  return true;
}

Result<std::vector<uint64_t>> DigestIndex::Lookup(const Signal& signal) const {
  WARDEN_ASSIGN_OR_RETURN(std::string key, KeyOf(signal));
  std::shared_lock lock(mu_);
  auto entry = ids_.find(key);
  if (entry == ids_.end()) return std::vector<uint64_t>{};
  return entry->second;
}

size_t DigestIndex::size() const {
  std::shared_lock lock(mu_);
  return pairs_;
}

}  // namespace warden
