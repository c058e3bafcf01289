#include "warden/local_signal.h"

#include <fmt/core.h>

#include <string>

#include "src/base/hex.h"

namespace warden {

Signal LocalSignalFromFeatures(const LocalFeatures& features) {
  WARDEN_CHECK(PlainKeypointCount(features) <= static_cast<size_t>(kLocalStoredKeypoints));
  Signal s;
  s.type = SignalType::kLocal;
  s.value = BytesToHex(EncodeLocalFeatures(features));
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
    const int hi = HexDigitValue(signal.value[2 * i]);
    const int lo = HexDigitValue(signal.value[2 * i + 1]);
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
