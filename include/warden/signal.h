// Signals: a hash value always carried with its algorithm name, never as bare hex.
//
// Warden's signal types follow python-threatexchange / HMA names: "pdq", "md5", "sha1",
// "sha256". Values are canonical lower-case hex of the algorithm's exact length.
//
// Thread safety: value types and reentrant functions.
#ifndef WARDEN_SIGNAL_H_
#define WARDEN_SIGNAL_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "warden/status.h"

namespace warden {

enum class SignalType { kPdq, kMd5, kSha1, kSha256 };

// "pdq", "md5", "sha1", "sha256".
const char* SignalTypeName(SignalType type);
// Hex digits in a value of this type: 64, 32, 40, 64.
int SignalHexLength(SignalType type);
// Accepts the names above (case-insensitive). Errors: kInvalidArgument naming the input.
Result<SignalType> ParseSignalType(std::string_view name);

struct Signal {
  SignalType type = SignalType::kPdq;
  std::string value;  // canonical lower-case hex
  int quality = -1;   // PDQ quality 0..100; -1 when unknown or not PDQ

  // Validates `value` as hex of the type's length and lower-cases it.
  // Errors: kInvalidArgument naming the type, the length found or the bad character.
  static Result<Signal> Make(SignalType type, std::string_view value, int quality = -1);
  // Parses "type:hex", e.g. "pdq:f8f8...". Errors: kInvalidArgument.
  static Result<Signal> ParseTagged(std::string_view tagged);
  // "type:hex".
  std::string ToTagged() const;

  friend bool operator==(const Signal&, const Signal&) = default;
};

// Lower-case hex digest of `bytes` (OpenSSL EVP). REQUIRES: type is not kPdq.
std::string DigestHex(SignalType type, std::span<const uint8_t> bytes);

}  // namespace warden

#endif  // WARDEN_SIGNAL_H_
