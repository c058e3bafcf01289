#include "warden/local_features.h"

namespace warden {

// Placeholder until the stored form lands.
std::vector<uint8_t> EncodeLocalFeatures(const LocalFeatures& features) {
  (void)features;
  return {};
}

Result<LocalFeatures> DecodeLocalFeatures(std::span<const uint8_t> bytes) {
  (void)bytes;
  return Status::CorruptData("local features: decoder not built yet");
}

}  // namespace warden
