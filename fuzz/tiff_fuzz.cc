// Fuzz target: the TIFF decoder on arbitrary bytes (see fuzz/README.md).
#include <cstddef>
#include <cstdint>

#include "fuzz/image_fuzz_target.h"
#include "src/image/decoders.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  warden::DecodeOptions options;
  options.max_pixels = warden::fuzz::kFuzzMaxPixels;
  warden::fuzz::CheckDecoded(
      warden::image_internal::DecodeTiff(std::span<const uint8_t>(data, size), options),
      warden::ImageFormat::kTiff);
  return 0;
}
