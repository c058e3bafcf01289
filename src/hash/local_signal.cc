#include "warden/local_signal.h"

#include <fmt/core.h>

#include <string>

namespace warden {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Signal LocalSignalFromFeatures(const LocalFeatures& features) {
  WARDEN_CHECK(features.keypoints.size() <= static_cast<size_t>(kLocalStoredKeypoints));
  static constexpr char kDigits[] = "0123456789abcdef";
  const std::vector<uint8_t> bytes = EncodeLocalFeatures(features);
  Signal s;
  s.type = SignalType::kLocal;
  s.value.resize(bytes.size() * 2);
  for (size_t i = 0; i < bytes.size(); ++i) {
    s.value[2 * i] = kDigits[bytes[i] >> 4];
    s.value[2 * i + 1] = kDigits[bytes[i] & 15];
  }
  return s;
}

Result<std::vector<uint8_t>> LocalSignalBytes(const Signal& signal) {
  if (signal.type != SignalType::kLocal) {
    return Status::InvalidArgument(
        fmt::format("expected a local signal, got {}", SignalTypeName(signal.type)));
  }
  if (signal.value.size() % 2 != 0) {
    return Status::InvalidArgument(
        fmt::format("local signal has an odd number of hex digits ({})", signal.value.size()));
  }
  std::vector<uint8_t> bytes(signal.value.size() / 2);
  for (size_t i = 0; i < bytes.size(); ++i) {
    const int hi = HexValue(signal.value[2 * i]);
    const int lo = HexValue(signal.value[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      return Status::InvalidArgument(fmt::format(
          "local signal has a non-hex character at position {}", hi < 0 ? 2 * i : 2 * i + 1));
    }
    bytes[i] = static_cast<uint8_t>(hi * 16 + lo);
  }
  return bytes;
}

Result<LocalFeatures> LocalFeaturesFromSignal(const Signal& signal) {
  WARDEN_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, LocalSignalBytes(signal));
  return DecodeLocalFeatures(bytes);
}

}  // namespace warden
