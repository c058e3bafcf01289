// PDQ hex form (PDQ.md step 9): 16-bit words, w[15] printed first, %04x each.
#include <fmt/core.h>

#include "src/base/hex.h"
#include "warden/pdq.h"

namespace warden {

std::string PdqHash::ToHex() const {
  std::string out(64, '0');
  // Nibble n (0 = least significant) of the 256-bit integer sum(bit_k << k) goes to
  // character 63 - n.
  for (int n = 0; n < 64; ++n) {
    const int v = static_cast<int>((words[n >> 4] >> ((n & 15) * 4)) & 0xF);
    out[63 - n] = kLowerHexDigits[v];
  }
  return out;
}

Result<PdqHash> PdqHash::FromHex(std::string_view hex) {
  if (hex.size() != 64) {
    return Status::InvalidArgument(
        fmt::format("a PDQ hash is 64 hex digits, got {} characters", hex.size()));
  }
  PdqHash hash;
  for (int n = 0; n < 64; ++n) {
    const char c = hex[63 - n];
    const int v = HexDigitValue(c);
    if (v < 0) {
      const unsigned char uc = static_cast<unsigned char>(c);
      return Status::InvalidArgument(
          (uc >= 0x20 && uc < 0x7f)
              ? fmt::format("PDQ hash has a non-hex character '{}' at position {}", c, 64 - n)
              : fmt::format("PDQ hash has a non-hex byte 0x{:02x} at position {}", uc, 64 - n));
    }
    hash.words[n >> 4] |= static_cast<uint64_t>(v) << ((n & 15) * 4);
  }
  return hash;
}

}  // namespace warden
