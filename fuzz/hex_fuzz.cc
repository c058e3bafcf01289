// Fuzz target: hex parsing of PDQ hashes and typed signals (see fuzz/README.md). Whatever is
// accepted must round-trip to its canonical lower-case form.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "warden/pdq.h"
#include "warden/signal.h"

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  auto hash = warden::PdqHash::FromHex(text);
  if (hash.ok()) {
    if (hash->ToHex() != Lower(text)) __builtin_trap();
  } else if (hash.status().message().empty()) {
    __builtin_trap();
  }

  for (auto type : {warden::SignalType::kPdq, warden::SignalType::kMd5, warden::SignalType::kSha1,
                    warden::SignalType::kSha256, warden::SignalType::kLocal}) {
    auto signal = warden::Signal::Make(type, text);
    // SignalHexLength is 0 for the variable-length local signal.
    const int want = warden::SignalHexLength(type);
    if (signal.ok() && (signal->value != Lower(text) ||
                        (want != 0 && static_cast<int>(signal->value.size()) != want))) {
      __builtin_trap();
    }
  }
  auto tagged = warden::Signal::ParseTagged(text);
  if (tagged.ok()) {
    auto again = warden::Signal::ParseTagged(tagged->ToTagged());
    if (!again.ok() || !(*again == *tagged)) __builtin_trap();
  }
  return 0;
}
