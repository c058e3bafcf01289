#include "warden/signal.h"

#include <fmt/core.h>
#include <openssl/evp.h>

#include <array>
#include <vector>

#include "src/base/ascii.h"
#include "src/base/hex.h"
#include "warden/local_features.h"

namespace warden {
namespace {

bool IsHexDigit(char c) { return HexDigitValue(c) >= 0; }

// A printable rendering of one character for error messages: control bytes and non-ASCII
// bytes from user input are shown as \xNN so they never corrupt a terminal or a log line.
std::string Printable(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7f) return fmt::format("'{}'", c);
  return fmt::format("\\x{:02x}", u);
}

// A local value has no fixed length: it is the hex of the stored form, so besides being hex it
// must decode; otherwise a bank could hold a "local" value the matcher can never use.
Result<Signal> MakeLocal(std::string_view value, int quality) {
  constexpr size_t kMaxDigits = 2 * kLocalMaxStoredBytes;
  if (value.empty() || value.size() % 2 != 0 || value.size() > kMaxDigits) {
    return Status::InvalidArgument(
        fmt::format("local signal must be an even number of hex digits, 2..{}, got {}", kMaxDigits,
                    value.size()));
  }
  Signal s;
  s.type = SignalType::kLocal;
  s.value.resize(value.size());
  std::vector<uint8_t> bytes(value.size() / 2);
  for (size_t i = 0; i < value.size(); ++i) {
    if (!IsHexDigit(value[i])) {
      return Status::InvalidArgument(fmt::format(
          "local signal has a non-hex character {} at position {}", Printable(value[i]), i));
    }
    s.value[i] = AsciiLower(value[i]);
    if (i % 2 == 1) {
      bytes[i / 2] =
          static_cast<uint8_t>(HexDigitValue(value[i - 1]) * 16 + HexDigitValue(value[i]));
    }
  }
  Result<LocalFeatures> decoded = DecodeLocalFeatures(bytes);
  if (!decoded.ok()) {
    return Status::InvalidArgument(
        fmt::format("local signal does not decode: {}", decoded.status().message()));
  }
  if (quality < -1 || quality > 100) {
    return Status::InvalidArgument(
        fmt::format("local quality must be 0..100 (or -1 for unknown), got {}", quality));
  }
  s.quality = quality;
  return s;
}

}  // namespace

const char* SignalTypeName(SignalType type) {
  switch (type) {
    case SignalType::kPdq:
      return "pdq";
    case SignalType::kMd5:
      return "md5";
    case SignalType::kSha1:
      return "sha1";
    case SignalType::kSha256:
      return "sha256";
    case SignalType::kLocal:
      return "local";
  }
  return "pdq";
}

int SignalHexLength(SignalType type) {
  switch (type) {
    case SignalType::kPdq:
      return 64;
    case SignalType::kMd5:
      return 32;
    case SignalType::kSha1:
      return 40;
    case SignalType::kSha256:
      return 64;
    case SignalType::kLocal:
      return 0;
  }
  return 64;
}

Result<SignalType> ParseSignalType(std::string_view name) {
  std::string lower;
  lower.reserve(name.size());
  for (char c : name) lower.push_back(AsciiLower(c));
  for (SignalType t : {SignalType::kPdq, SignalType::kMd5, SignalType::kSha1, SignalType::kSha256,
                       SignalType::kLocal}) {
    if (lower == SignalTypeName(t)) return t;
  }
  std::string shown;
  for (char c : name.substr(0, 32)) {
    auto u = static_cast<unsigned char>(c);
    shown += (u >= 0x20 && u < 0x7f) ? std::string(1, c) : fmt::format("\\x{:02x}", u);
  }
  return Status::InvalidArgument(
      fmt::format("unknown signal type \"{}\" (expected pdq, md5, sha1, sha256 or local)", shown));
}

Result<Signal> Signal::Make(SignalType type, std::string_view value, int quality) {
  if (type == SignalType::kLocal) return MakeLocal(value, quality);
  const int want = SignalHexLength(type);
  if (value.size() != static_cast<size_t>(want)) {
    return Status::InvalidArgument(fmt::format("{} hash must be {} hex digits, got {}",
                                               SignalTypeName(type), want, value.size()));
  }
  Signal s;
  s.type = type;
  s.value.resize(value.size());
  for (size_t i = 0; i < value.size(); ++i) {
    if (!IsHexDigit(value[i])) {
      return Status::InvalidArgument(
          fmt::format("{} hash has a non-hex character {} at position {}", SignalTypeName(type),
                      Printable(value[i]), i));
    }
    s.value[i] = AsciiLower(value[i]);
  }
  if (quality < -1 || quality > 100) {
    return Status::InvalidArgument(fmt::format(
        "{} quality must be 0..100 (or -1 for unknown), got {}", SignalTypeName(type), quality));
  }
  s.quality = quality;
  return s;
}

Result<Signal> Signal::ParseTagged(std::string_view tagged) {
  size_t colon = tagged.find(':');
  if (colon == std::string_view::npos) {
    return Status::InvalidArgument("tagged signal must look like type:hex, e.g. pdq:<64 hex>");
  }
  WARDEN_ASSIGN_OR_RETURN(SignalType type, ParseSignalType(tagged.substr(0, colon)));
  return Make(type, tagged.substr(colon + 1));
}

std::string Signal::ToTagged() const {
  std::string out = SignalTypeName(type);
  out += ':';
  out += value;
  return out;
}

std::string DigestHex(SignalType type, std::span<const uint8_t> bytes) {
  const EVP_MD* md = nullptr;
  switch (type) {
    case SignalType::kMd5:
      md = EVP_md5();
      break;
    case SignalType::kSha1:
      md = EVP_sha1();
      break;
    case SignalType::kSha256:
      md = EVP_sha256();
      break;
    case SignalType::kPdq:
      break;
    case SignalType::kLocal:
      break;
  }
  WARDEN_CHECK(md != nullptr);
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  unsigned int len = 0;
  // EVP_Digest handles context setup and teardown; it fails only on allocation failure or
  // a broken OpenSSL install, which is not a property of the user's bytes.
  int ok = EVP_Digest(bytes.data(), bytes.size(), out.data(), &len, md, nullptr);
  WARDEN_CHECK(ok == 1);
  return BytesToHex(std::span<const uint8_t>(out.data(), len));
}

}  // namespace warden
