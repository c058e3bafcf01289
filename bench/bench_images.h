// The benchmark's test images: benign photos from ../shared/testdata, resized and encoded
// deterministically in memory so every run times the same bytes.
//
//   jpeg-256      256x256 JPEG: centre square of bridge-mods/aaa-orig.jpg, area-resized, q90 4:2:0
//   jpeg-1600     1600x1004 JPEG: bridge-mods/aaa-orig.jpg as it is
//   jpeg-2560     2560x1600 JPEG: 16:10 centre crop of exif-rotn-1.jpg, area-resized, q90 4:2:0
//   jpeg-4032     4032x3024 JPEG: reg-test-input/exif-rotn/exif-rotn-1.jpg as it is
//   png-2560      2560x1600 PNG: the pixels of jpeg-2560's source, RGB 8-bit, zlib default level
//
// Thread safety: every function is reentrant.
#ifndef WARDEN_BENCH_BENCH_IMAGES_H_
#define WARDEN_BENCH_BENCH_IMAGES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "warden/image.h"
#include "warden/status.h"

namespace warden::bench {

struct BenchImage {
  std::string name;  // e.g. "jpeg-1600"
  ImageFormat format = ImageFormat::kUnknown;
  int width = 0;  // pixels
  int height = 0;
  std::vector<uint8_t> bytes;  // the whole encoded file
  // Meta's reference CLI on one core of this machine, images/s (PDQ.md, "Reference cost").
  double reference_cli_per_s = 0;
};

// Builds the five images above from `testdata_dir` (the shared/testdata directory).
// Errors: whatever reading or decoding the source photos returns.
Result<std::vector<BenchImage>> MakeBenchImages(const std::string& testdata_dir);

// Area-averaging resize of the rectangle [x0, x0 + w) x [y0, y0 + h) of a 3-channel image to
// out_w x out_h. REQUIRES: the rectangle lies inside `src`, src.channels == 3, sizes > 0.
Image ResizeArea(const Image& src, int x0, int y0, int w, int h, int out_w, int out_h);

// Baseline JPEG, YCbCr 4:2:0, the given quality (1..100), of an RGB or grey image.
// Errors: kInternal with libjpeg's message.
Result<std::vector<uint8_t>> EncodeJpeg(const Image& image, int quality);

// 8-bit PNG (RGB or grey), no interlace, zlib's default level. Errors: kInternal.
Result<std::vector<uint8_t>> EncodePng(const Image& image);

}  // namespace warden::bench

#endif  // WARDEN_BENCH_BENCH_IMAGES_H_
