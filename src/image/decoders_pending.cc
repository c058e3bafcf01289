// Temporary: formats whose decoders are not written yet.
#include "src/image/decoders.h"

namespace warden::image_internal {

Result<Image> DecodeWebp(std::span<const uint8_t>, const DecodeOptions&) {
  return Status::UnsupportedFormat("WebP: decoder not built yet");
}
Result<Image> DecodeGif(std::span<const uint8_t>, const DecodeOptions&) {
  return Status::UnsupportedFormat("GIF: decoder not built yet");
}
Result<Image> DecodeBmp(std::span<const uint8_t>, const DecodeOptions&) {
  return Status::UnsupportedFormat("BMP: decoder not built yet");
}
Result<Image> DecodeTiff(std::span<const uint8_t>, const DecodeOptions&) {
  return Status::UnsupportedFormat("TIFF: decoder not built yet");
}
Result<Image> DecodeHeif(std::span<const uint8_t>, ImageFormat, const DecodeOptions&) {
  return Status::UnsupportedFormat("HEIF: decoder not built yet");
}

}  // namespace warden::image_internal
