// Signals: a hash value always carried with its algorithm name, never as bare hex.
//
// Warden's signal types follow python-threatexchange / HMA names: "pdq", "md5", "sha1",
// "sha256". Values are canonical lower-case hex of the algorithm's exact length.
// Warden adds "local": the local-feature signal (warden/local_features.h); its value is the
// lower-case hex of the stored form (EncodeLocalFeatures), of variable length (at most
// 2 * kLocalMaxStoredBytes hex digits), and it is matched by geometric verification, never by
// equality or Hamming distance.
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

enum class SignalType { kPdq, kMd5, kSha1, kSha256, kLocal };

// "pdq", "md5", "sha1", "sha256", "local".
const char* SignalTypeName(SignalType type);
// Hex digits in a value of this type: 64, 32, 40, 64; 0 for kLocal, meaning "variable length"
// (a local value has an even number of digits, at most 2 * kLocalMaxStoredBytes).
int SignalHexLength(SignalType type);
// Accepts the names above (case-insensitive). Errors: kInvalidArgument naming the input.
Result<SignalType> ParseSignalType(std::string_view name);

struct Signal {
  SignalType type = SignalType::kPdq;
  std::string value;  // canonical lower-case hex
  int quality = -1;   // PDQ quality 0..100; -1 when unknown or not PDQ

  // Validates `value` as hex of the type's length and lower-cases it. A kLocal value must be
  // non-empty, even-length hex of at most 2 * kLocalMaxStoredBytes digits whose bytes
  // DecodeLocalFeatures accepts.
  // Errors: kInvalidArgument naming the type, the length found, the bad character or (kLocal)
  // the decoder's complaint.
  static Result<Signal> Make(SignalType type, std::string_view value, int quality = -1);
  // Parses "type:hex", e.g. "pdq:f8f8...". Errors: kInvalidArgument.
  static Result<Signal> ParseTagged(std::string_view tagged);
  // "type:hex".
  std::string ToTagged() const;

  friend bool operator==(const Signal&, const Signal&) = default;
};

// Lower-case hex digest of `bytes` (OpenSSL EVP). REQUIRES: type is kMd5, kSha1 or kSha256.
std::string DigestHex(SignalType type, std::span<const uint8_t> bytes);

}  // namespace warden

#endif  // WARDEN_SIGNAL_H_
