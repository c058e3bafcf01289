#include "warden/local_features.h"

namespace warden {

// Placeholder until the extractor lands.
Result<LocalFeatures> ExtractLocalFeatures(const Image& image, const LocalExtractOptions& options) {
  (void)image;
  (void)options;
  return Status::Internal("local features: extractor not built yet");
}

Result<LocalFeatures> ExtractLocalFeaturesFromBytes(std::span<const uint8_t> bytes,
                                                    const LocalExtractOptions& options,
                                                    const DecodeOptions& decode) {
  WARDEN_ASSIGN_OR_RETURN(Image image, DecodeImage(bytes, decode));
  return ExtractLocalFeatures(image, options);
}

}  // namespace warden
