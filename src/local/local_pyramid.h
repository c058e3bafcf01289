// Grey working images for the local-feature extractor: luma conversion, area resampling and
// the binomial smoothing the descriptor samples from.
//
// Everything here is integer arithmetic (fixed-point weights), so a given input gives the same
// pixels on every machine, compiler and in WebAssembly; the extractor's determinism rests on it.
//
// Thread safety: pure functions on values.
#ifndef WARDEN_SRC_LOCAL_LOCAL_PYRAMID_H_
#define WARDEN_SRC_LOCAL_LOCAL_PYRAMID_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "warden/image.h"

namespace warden::local {

// 8-bit grey pixels, row-major, tightly packed (stride == width).
struct GreyImage {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> pixels;  // width * height bytes

  uint8_t at(int x, int y) const { return pixels[static_cast<size_t>(y) * width + x]; }
  const uint8_t* row(int y) const { return pixels.data() + static_cast<size_t>(y) * width; }
};

// Luma of `image` (1 channel copied; 3 channels: Y = (77 R + 150 G + 29 B + 128) >> 8, the
// BT.601 weights in 8-bit fixed point). REQUIRES: image.channels is 1 or 3 and the pixel
// buffer holds width * height * channels bytes.
GreyImage ToLuma(const Image& image);

// Resamples `src` to width x height by area averaging (each output pixel is the mean of the
// source area it covers, fractional overlaps weighted). Meant for shrinking; when enlarging it
// degrades to nearest-neighbour-like replication. REQUIRES: all sizes >= 1.
GreyImage ResampleArea(const GreyImage& src, int width, int height);

// Enlarges `src` to width x height by bilinear interpolation between pixel centres (edges
// clamped), in integer arithmetic so that every platform gives the same bytes.
// REQUIRES: width >= src.width, height >= src.height, src non-empty.
GreyImage EnlargeBilinear(const GreyImage& src, int width, int height);

// Separable [1 4 6 4 1] / 16 blur (a 5x5 binomial, close to a Gaussian of sigma 1), edges
// clamped. The descriptor compares smoothed pixels so that single-pixel noise and JPEG
// ringing flip fewer bits.
GreyImage SmoothBinomial5(const GreyImage& src);

}  // namespace warden::local

#endif  // WARDEN_SRC_LOCAL_LOCAL_PYRAMID_H_
