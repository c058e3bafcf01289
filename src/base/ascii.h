// ASCII case folding: the one place Warden lower-cases protocol text (HTTP header names and
// tokens, URL schemes and hosts, multipart parameters, signal type names, record field values).
// Only 'A'..'Z' change; every other byte, UTF-8 included, is kept as it is, whatever the C locale.
//
// Thread safety: pure functions.
#ifndef WARDEN_SRC_BASE_ASCII_H_
#define WARDEN_SRC_BASE_ASCII_H_

#include <string>
#include <string_view>

namespace warden {

// c with 'A'..'Z' mapped to 'a'..'z'.
constexpr char AsciiLower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// A copy of s with AsciiLower applied to every byte.
inline std::string AsciiLowered(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = AsciiLower(c);
  return out;
}

// True iff a and b have the same length and are equal after AsciiLower of every byte.
constexpr bool AsciiEqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
  }
  return true;
}

}  // namespace warden

#endif  // WARDEN_SRC_BASE_ASCII_H_
