// Decoded images and the decoders that make them.
//
// An Image is 8-bit pixels, row-major, tightly packed: 1 channel (grey) or 3 (RGB). Decoding
// follows what the PDQ reference pipelines fed their hasher (PDQ.md, "Decoding as the
// reference did it"): alpha is dropped without compositing, EXIF orientation is ignored,
// CMYK/YCCK is converted to RGB, bilevel images become 0/255, palette images become RGB,
// 16-bit samples are reduced to their high byte.
//
// Per format: JPEG via libjpeg-turbo with its defaults (ISLOW IDCT, fancy upsampling), so RGB
// and grey pixels equal PIL's and ImageMagick's; CMYK/YCCK -> R = round((255-C)(255-K)/255)
// after undoing Adobe's inversion. PNG via libpng (tRNS ignored). WebP via libwebp; animations
// give their first frame on a black canvas. GIF via giflib: the first frame drawn through its
// colour map over the background colour on a canvas of the logical screen size. BMP parsed by
// Warden (palette, 16/24/32-bit, bit fields, RLE4/8; palettes that are exactly the grey ramp
// give 1 channel, as PIL does). TIFF via libtiff's RGBA interface (first directory; 16-bit
// reduced by libtiff, CMYK converted by libtiff). HEIF/AVIF via libheif (primary image, its
// irot/imir/clap transforms applied).
//
// Every decoder checks the pixel count in the header against DecodeOptions::max_pixels
// before it allocates, and turns its library's failures (libjpeg's exit(), libpng's longjmp)
// into a Status. Nothing here keeps or writes the bytes it is given.
//
// Thread safety: DecodeImage is reentrant; concurrent calls share no state.
#ifndef WARDEN_IMAGE_H_
#define WARDEN_IMAGE_H_

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "warden/status.h"

namespace warden {

enum class ImageFormat { kUnknown, kJpeg, kPng, kWebp, kGif, kBmp, kTiff, kHeif, kAvif };

// "jpeg", "png", "webp", "gif", "bmp", "tiff", "heif", "avif", or "unknown".
const char* ImageFormatName(ImageFormat format);

// The format the leading bytes announce (magic numbers only; nothing is decoded).
ImageFormat SniffImageFormat(std::span<const uint8_t> bytes);

struct Image {
  int width = 0;     // pixels
  int height = 0;    // pixels
  int channels = 0;  // 1 (grey) or 3 (RGB)
  std::vector<uint8_t> pixels;  // height * width * channels bytes
  ImageFormat format = ImageFormat::kUnknown;
  // Size stored in the file, before any DCT-domain scaling (equal to width/height unless
  // DecodeOptions::jpeg_scale_denom > 1).
  int source_width = 0;
  int source_height = 0;

  const uint8_t* row(int y) const { return pixels.data() + static_cast<size_t>(y) * width * channels; }
};

// Default cap on width * height: 100 megapixels.
inline constexpr uint64_t kDefaultMaxPixels = 100'000'000;

struct DecodeOptions {
  // Refuse (kTooLarge) any image whose header declares more pixels than this, before any
  // pixel buffer is allocated.
  uint64_t max_pixels = kDefaultMaxPixels;
  // JPEG only: decode at 1/1, 1/2, 1/4 or 1/8 scale in the DCT domain (libjpeg-turbo
  // scale_denom). Other formats ignore it. Changes pixels: not for the bit-exact pipelines.
  int jpeg_scale_denom = 1;
  // JPEG only: when jpeg_scale_denom > 1, the decoder may lower it so that neither side of
  // the result drops below this many pixels.
  int jpeg_min_side = 0;
  // JPEG only: trade exactness for speed (fast integer IDCT, no fancy upsampling, Y channel
  // only for YCbCr images so the result has 1 channel). Not for the bit-exact pipelines.
  bool jpeg_fast = false;
  // Optional storage to reuse: when set, the decoder takes this vector's allocation for
  // Image::pixels (leaving it empty) instead of allocating afresh; the caller may move the
  // pixels back into it when done. A hasher on one thread then maps its pixel memory once,
  // not per image: fresh 36 MB buffers cost more in page faults than decoding a 12 MP JPEG.
  // Not owned; REQUIRES: used by one decode at a time.
  std::vector<uint8_t>* pixel_storage = nullptr;
};

// Decodes a whole image file held in memory (first frame of an animation).
// Errors: kUnsupportedFormat (not a format Warden reads, including an empty input),
// kTruncated (the data ends early), kCorruptData (broken content), kTooLarge (over
// max_pixels). Messages name the format and the problem, e.g. "JPEG: premature end of data".
Result<Image> DecodeImage(std::span<const uint8_t> bytes, const DecodeOptions& options = {});

}  // namespace warden

#endif  // WARDEN_IMAGE_H_
