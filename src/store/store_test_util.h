// Helpers shared by the store tests: deterministic random signals, and a temporary directory
// removed at the end of a test.
//
// Thread safety: none needed (tests).
#ifndef WARDEN_SRC_STORE_STORE_TEST_UTIL_H_
#define WARDEN_SRC_STORE_STORE_TEST_UTIL_H_

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>

#include "warden/bank.h"
#include "warden/signal.h"

namespace warden {

// A canonical random value of `type` (lower-case hex), drawn from `rng`.
inline std::string RandomHex(std::mt19937_64& rng, SignalType type) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex(static_cast<size_t>(SignalHexLength(type)), '0');
  for (char& c : hex) c = kDigits[rng() & 15];
  return hex;
}

// A random PDQ signal with the given quality.
inline Signal RandomPdq(std::mt19937_64& rng, int quality = 90) {
  Signal s;
  s.type = SignalType::kPdq;
  s.value = RandomHex(rng, SignalType::kPdq);
  s.quality = quality;
  return s;
}

// A fresh directory under the system temp dir; removed (with its contents) on destruction.
class TempDir {
 public:
  TempDir() {
    std::string templ = (std::filesystem::temp_directory_path() / "warden_store_XXXXXX").string();
    char* made = mkdtemp(templ.data());
    path_ = made != nullptr ? made : "";
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace warden

#endif  // WARDEN_SRC_STORE_STORE_TEST_UTIL_H_
