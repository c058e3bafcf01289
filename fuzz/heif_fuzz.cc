// Fuzz target: the libheif-based HEIF/AVIF decoder, through DecodeImage so the ftyp brand
// decides HEIF or AVIF as in production (see fuzz/README.md).
#include <cstddef>
#include <cstdint>

#include "fuzz/image_fuzz_target.h"
#include "warden/image.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> bytes(data, size);
  const warden::ImageFormat format = warden::SniffImageFormat(bytes);
  if (format != warden::ImageFormat::kHeif && format != warden::ImageFormat::kAvif) return 0;
  warden::DecodeOptions options;
  options.max_pixels = warden::fuzz::kFuzzMaxPixels;
  warden::fuzz::CheckDecoded(warden::DecodeImage(bytes, options), format);
  return 0;
}
