// The per-format decoders behind DecodeImage, and the checks they share.
//
// Each Decode<Format> function takes the whole file in memory, assumes nothing about it
// beyond what SniffImageFormat saw (the bytes are hostile), and returns an Image with
// `format` set, or a Status whose message starts with the format name ("PNG: ...").
// Error codes follow DecodeImage's contract in warden/image.h.
//
// Thread safety: every function is reentrant; none keeps state between calls.
#ifndef WARDEN_SRC_IMAGE_DECODERS_H_
#define WARDEN_SRC_IMAGE_DECODERS_H_

#include <cstdint>
#include <span>

#include "warden/image.h"
#include "warden/status.h"

namespace warden::image_internal {

// Longest side any decoder accepts, whatever max_pixels says: keeps width * channels and
// libraries' row-size arithmetic far away from int overflow.
inline constexpr uint64_t kMaxImageSide = uint64_t{1} << 26;

// Checks header dimensions before anything is allocated. Errors: kCorruptData for a zero
// side, kTooLarge for a side over kMaxImageSide or width * height over options.max_pixels.
// `format_label` is the prefix of the message, e.g. "PNG".
Status CheckDimensions(const char* format_label, uint64_t width, uint64_t height,
                       const DecodeOptions& options);

// Sizes `image` for width x height x channels pixels (zero-filled, in options.pixel_storage's
// allocation when one is given) and sets its size fields; source size = output size.
// REQUIRES: CheckDimensions passed for width x height.
void AllocateImage(Image& image, ImageFormat format, int width, int height, int channels,
                   const DecodeOptions& options);

Result<Image> DecodePng(std::span<const uint8_t> bytes, const DecodeOptions& options);
Result<Image> DecodeJpeg(std::span<const uint8_t> bytes, const DecodeOptions& options);
Result<Image> DecodeWebp(std::span<const uint8_t> bytes, const DecodeOptions& options);
Result<Image> DecodeGif(std::span<const uint8_t> bytes, const DecodeOptions& options);
Result<Image> DecodeBmp(std::span<const uint8_t> bytes, const DecodeOptions& options);
Result<Image> DecodeTiff(std::span<const uint8_t> bytes, const DecodeOptions& options);
// HEIF and AVIF share libheif; `format` is what the ftyp brand announced.
Result<Image> DecodeHeif(std::span<const uint8_t> bytes, ImageFormat format,
                         const DecodeOptions& options);

}  // namespace warden::image_internal

#endif  // WARDEN_SRC_IMAGE_DECODERS_H_
