// Fuzz target: the JPEG decoder on arbitrary bytes (see fuzz/README.md). The last input byte
// also picks the decode options, so DCT scaling and fast mode are fuzzed too.
#include <cstddef>
#include <cstdint>

#include "fuzz/image_fuzz_target.h"
#include "src/image/decoders.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  warden::DecodeOptions options;
  options.max_pixels = warden::fuzz::kFuzzMaxPixels;
  if (size > 0) {
    const uint8_t knobs = data[size - 1];
    options.jpeg_scale_denom = 1 << (knobs & 3);
    options.jpeg_min_side = (knobs & 4) != 0 ? 16 : 0;
    options.jpeg_fast = (knobs & 8) != 0;
  }
  warden::fuzz::CheckDecoded(
      warden::image_internal::DecodeJpeg(std::span<const uint8_t>(data, size), options),
      warden::ImageFormat::kJpeg);
  return 0;
}
