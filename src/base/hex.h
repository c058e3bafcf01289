// Hexadecimal digits: the one place Warden turns bytes into lower-case hex and back, shared by
// the signal values (PDQ, digests, local features), the indexes and the store.
//
// Thread safety: pure functions.
#ifndef WARDEN_SRC_BASE_HEX_H_
#define WARDEN_SRC_BASE_HEX_H_

#include <cstdint>
#include <span>
#include <string>

namespace warden {

inline constexpr char kLowerHexDigits[] = "0123456789abcdef";

// The value 0..15 of a hex digit (either case), or -1 for any other character.
constexpr int HexDigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// `bytes` as lower-case hex, two digits a byte, most significant nibble first.
inline std::string BytesToHex(std::span<const uint8_t> bytes) {
  std::string hex(bytes.size() * 2, '0');
  for (size_t i = 0; i < bytes.size(); ++i) {
    hex[2 * i] = kLowerHexDigits[bytes[i] >> 4];
    hex[2 * i + 1] = kLowerHexDigits[bytes[i] & 15];
  }
  return hex;
}

}  // namespace warden

#endif  // WARDEN_SRC_BASE_HEX_H_
