// Format sniffing by magic numbers and dispatch to the per-format decoders.
#include <algorithm>
#include <cstring>
#include <string>

#include "src/image/decoders.h"
#include "warden/image.h"

namespace warden {

const char* ImageFormatName(ImageFormat format) {
  switch (format) {
    case ImageFormat::kJpeg:
      return "jpeg";
    case ImageFormat::kPng:
      return "png";
    case ImageFormat::kWebp:
      return "webp";
    case ImageFormat::kGif:
      return "gif";
    case ImageFormat::kBmp:
      return "bmp";
    case ImageFormat::kTiff:
      return "tiff";
    case ImageFormat::kHeif:
      return "heif";
    case ImageFormat::kAvif:
      return "avif";
    case ImageFormat::kUnknown:
      return "unknown";
  }
  return "unknown";
}

namespace {

bool StartsWith(std::span<const uint8_t> bytes, size_t offset, const char* magic, size_t n) {
  return bytes.size() >= offset + n && std::memcmp(bytes.data() + offset, magic, n) == 0;
}

// ISO-BMFF (ISO/IEC 14496-12 4.3): the first box is `ftyp`, holding a major brand at offset 8
// and compatible brands from offset 16 to the end of the box. AVIF is checked first because
// AVIF files also list the generic HEIF brand mif1.
ImageFormat SniffIsoBmff(std::span<const uint8_t> bytes) {
  if (!StartsWith(bytes, 4, "ftyp", 4) || bytes.size() < 16) return ImageFormat::kUnknown;
  uint64_t box_size = (uint64_t{bytes[0]} << 24) | (uint64_t{bytes[1]} << 16) |
                      (uint64_t{bytes[2]} << 8) | uint64_t{bytes[3]};
  if (box_size < 16) box_size = 16;
  const size_t end = static_cast<size_t>(std::min<uint64_t>(box_size, bytes.size()));
  auto has_brand = [&](const char* brand) {
    if (StartsWith(bytes, 8, brand, 4)) return true;
    for (size_t i = 16; i + 4 <= end; i += 4) {
      if (std::memcmp(bytes.data() + i, brand, 4) == 0) return true;
    }
    return false;
  };
  // The major brand decides when it is one of ours; otherwise the compatible brands do.
  for (const char* brand : {"avif", "avis"}) {
    if (StartsWith(bytes, 8, brand, 4)) return ImageFormat::kAvif;
  }
  for (const char* brand : {"heic", "heix", "hevc", "hevx", "heim", "heis"}) {
    if (StartsWith(bytes, 8, brand, 4)) return ImageFormat::kHeif;
  }
  if (has_brand("avif") || has_brand("avis")) return ImageFormat::kAvif;
  for (const char* brand : {"heic", "heix", "hevc", "mif1", "msf1"}) {
    if (has_brand(brand)) return ImageFormat::kHeif;
  }
  return ImageFormat::kUnknown;
}

}  // namespace

ImageFormat SniffImageFormat(std::span<const uint8_t> bytes) {
  if (StartsWith(bytes, 0, "\xFF\xD8\xFF", 3)) return ImageFormat::kJpeg;
  if (StartsWith(bytes, 0, "\x89PNG\r\n\x1A\n", 8)) return ImageFormat::kPng;
  if (StartsWith(bytes, 0, "RIFF", 4) && StartsWith(bytes, 8, "WEBP", 4)) {
    return ImageFormat::kWebp;
  }
  if (StartsWith(bytes, 0, "GIF87a", 6) || StartsWith(bytes, 0, "GIF89a", 6)) {
    return ImageFormat::kGif;
  }
  if (StartsWith(bytes, 0, "BM", 2)) return ImageFormat::kBmp;
  if (StartsWith(bytes, 0, "II*\0", 4) || StartsWith(bytes, 0, "MM\0*", 4)) {
    return ImageFormat::kTiff;
  }
  return SniffIsoBmff(bytes);
}

Result<Image> DecodeImage(std::span<const uint8_t> bytes, const DecodeOptions& options) {
  if (bytes.empty()) return Status::UnsupportedFormat("empty file");
  const ImageFormat format = SniffImageFormat(bytes);
  switch (format) {
    case ImageFormat::kJpeg:
      return image_internal::DecodeJpeg(bytes, options);
    case ImageFormat::kPng:
      return image_internal::DecodePng(bytes, options);
    case ImageFormat::kWebp:
      return image_internal::DecodeWebp(bytes, options);
    case ImageFormat::kGif:
      return image_internal::DecodeGif(bytes, options);
    case ImageFormat::kBmp:
      return image_internal::DecodeBmp(bytes, options);
    case ImageFormat::kTiff:
      return image_internal::DecodeTiff(bytes, options);
    case ImageFormat::kHeif:
    case ImageFormat::kAvif:
      return image_internal::DecodeHeif(bytes, format, options);
    case ImageFormat::kUnknown:
      break;
  }
  return Status::UnsupportedFormat("not an image (unknown format)");
}

namespace image_internal {

Status CheckDimensions(const char* format_label, uint64_t width, uint64_t height,
                       const DecodeOptions& options) {
  if (width == 0 || height == 0) {
    return Status::CorruptData(std::string(format_label) + ": image is " + std::to_string(width) +
                               "x" + std::to_string(height) + ", which has no pixels");
  }
  if (width > kMaxImageSide || height > kMaxImageSide) {
    return Status::TooLarge(std::string(format_label) + ": image is " + std::to_string(width) +
                            "x" + std::to_string(height) + ", a side is over the limit of " +
                            std::to_string(kMaxImageSide) + " pixels");
  }
  // Both sides are under 2^26, so the product cannot overflow.
  if (width * height > options.max_pixels) {
    return Status::TooLarge(std::string(format_label) + ": image is " + std::to_string(width) +
                            "x" + std::to_string(height) + ", over the limit of " +
                            std::to_string(options.max_pixels) + " pixels");
  }
  return Status::Ok();
}

void AllocateImage(Image& image, ImageFormat format, int width, int height, int channels,
                   const DecodeOptions& options) {
  image.format = format;
  image.width = width;
  image.height = height;
  image.source_width = width;
  image.source_height = height;
  image.channels = channels;
  if (options.pixel_storage != nullptr) {
    image.pixels = std::move(*options.pixel_storage);
    options.pixel_storage->clear();
  }
  // Zero-filled even when reused: some decoders (BMP RLE skips, GIF canvases) leave pixels
  // untouched, and a hash must not depend on the previous image. Filling mapped memory is
  // cheap; mapping fresh memory is what costs.
  image.pixels.assign(static_cast<size_t>(width) * height * channels, 0);
}

}  // namespace image_internal
}  // namespace warden
