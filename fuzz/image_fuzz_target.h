// The body shared by the image decoder fuzz targets: decode the input with one decoder under
// a small pixel cap and check the invariants every successful decode must hold. A violated
// invariant traps, so libFuzzer and the replay runner both report it as a crash.
#ifndef WARDEN_FUZZ_IMAGE_FUZZ_TARGET_H_
#define WARDEN_FUZZ_IMAGE_FUZZ_TARGET_H_

#include <cstddef>
#include <cstdint>
#include <span>

#include "warden/image.h"

namespace warden::fuzz {

// 4 megapixels: big enough for every code path, small enough that a fuzzer's claimed sizes
// cannot exhaust memory or time.
inline constexpr uint64_t kFuzzMaxPixels = uint64_t{1} << 22;

inline void CheckDecoded(const Result<Image>& result, ImageFormat format) {
  if (!result.ok()) {
    if (result.status().message().empty()) __builtin_trap();  // errors must say what was wrong
    return;
  }
  const Image& image = *result;
  const bool valid =
      image.width > 0 && image.height > 0 && (image.channels == 1 || image.channels == 3) &&
      image.pixels.size() == static_cast<size_t>(image.width) * image.height * image.channels &&
      static_cast<uint64_t>(image.width) * image.height <= kFuzzMaxPixels && image.format == format;
  if (!valid) __builtin_trap();
}

}  // namespace warden::fuzz

#endif  // WARDEN_FUZZ_IMAGE_FUZZ_TARGET_H_
