// PNG through libpng. libpng reports fatal errors by calling an error function that must not
// return; ours records the message and longjmps back to DecodeRows, the one frame that calls
// setjmp. Nothing with a destructor lives in that frame, so the jump skips no C++ cleanup.
#include <png.h>

#include <csetjmp>
#include <cstring>
#include <string>
#include <vector>

#include "src/image/decoders.h"

namespace warden::image_internal {
namespace {

constexpr char kSignature[] = "\x89PNG\r\n\x1A\n";

struct PngReader {
  std::span<const uint8_t> bytes;
  size_t offset = 0;
  bool ran_out = false;  // the read callback hit the end of the data
  std::string error;     // libpng's message for the error that ended decoding
  std::jmp_buf jump;
};

[[noreturn]] void OnPngError(png_structp png, png_const_charp message) {
  auto* reader = static_cast<PngReader*>(png_get_error_ptr(png));
  reader->error = message != nullptr ? message : "unknown error";
  std::longjmp(reader->jump, 1);
}

// Warnings (bad ancillary chunks, unknown chunks) do not stop decoding and must not reach
// stderr of a server.
void OnPngWarning(png_structp, png_const_charp) {}

void ReadFromMemory(png_structp png, png_bytep out, png_size_t length) {
  auto* reader = static_cast<PngReader*>(png_get_io_ptr(png));
  if (length > reader->bytes.size() - reader->offset) {
    reader->ran_out = true;
    png_error(png, "premature end of data");
  }
  std::memcpy(out, reader->bytes.data() + reader->offset, length);
  reader->offset += length;
}

uint32_t ReadBigEndian32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

// Decodes the rows of an image whose header was already checked. Returns false after a libpng
// error (reader.error says which). `image` and `rows` are owned by the caller so that a longjmp
// out of libpng leaves them to be destroyed normally.
bool DecodeRows(png_structp png, png_infop info, PngReader& reader, const DecodeOptions& options,
                Image& image, std::vector<png_bytep>& rows, Status& limit_status) {
  if (setjmp(reader.jump) != 0) return false;
  png_set_read_fn(png, &reader, ReadFromMemory);
  // The header was checked against max_pixels already; these only keep libpng from refusing
  // images that Warden's own limit allows (its default cap is 1,000,000 per side).
  png_set_user_limits(png, static_cast<png_uint_32>(kMaxImageSide),
                      static_cast<png_uint_32>(kMaxImageSide));
  png_read_info(png, info);

  const png_uint_32 width = png_get_image_width(png, info);
  const png_uint_32 height = png_get_image_height(png, info);
  limit_status = CheckDimensions("PNG", width, height, options);
  if (!limit_status.ok()) return true;

  // Transforms to the pixels the reference pipelines hashed (warden/image.h): 8-bit samples
  // (high byte of 16-bit), palette to RGB, 1/2/4-bit grey to 0..255, alpha dropped without
  // compositing, tRNS ignored (palette expansion adds alpha from tRNS, which is stripped).
  png_set_strip_16(png);
  png_set_palette_to_rgb(png);
  png_set_expand_gray_1_2_4_to_8(png);
  png_set_strip_alpha(png);
  png_set_interlace_handling(png);
  png_read_update_info(png, info);

  const int channels = png_get_channels(png, info);
  if (channels != 1 && channels != 3) {
    limit_status = Status::Internal("PNG: transforms left " + std::to_string(channels) +
                                    " channels, expected 1 or 3");
    return true;
  }
  if (png_get_rowbytes(png, info) != static_cast<size_t>(width) * channels) {
    limit_status = Status::Internal("PNG: unexpected row size after transforms");
    return true;
  }
  AllocateImage(image, ImageFormat::kPng, static_cast<int>(width), static_cast<int>(height),
                channels, options);
  rows.resize(height);
  for (png_uint_32 y = 0; y < height; ++y) {
    rows[y] = image.pixels.data() + static_cast<size_t>(y) * width * channels;
  }
  png_read_image(png, rows.data());
  // png_read_end is skipped on purpose: chunks after the pixel data cannot change them, and a
  // broken trailer should not reject an image whose pixels decoded completely.
  return true;
}

}  // namespace

Result<Image> DecodePng(std::span<const uint8_t> bytes, const DecodeOptions& options) {
  // IHDR must be the first chunk (PNG spec 11.2.2): signature, length, "IHDR", width, height.
  // Checking it here refuses oversized images before libpng allocates anything.
  if (bytes.size() < 8 || std::memcmp(bytes.data(), kSignature, 8) != 0) {
    return Status::UnsupportedFormat("PNG: missing PNG signature");
  }
  if (bytes.size() < 24) return Status::Truncated("PNG: premature end of data in the header");
  if (std::memcmp(bytes.data() + 12, "IHDR", 4) != 0) {
    return Status::CorruptData("PNG: first chunk is not IHDR");
  }
  WARDEN_RETURN_IF_ERROR(CheckDimensions("PNG", ReadBigEndian32(bytes.data() + 16),
                                         ReadBigEndian32(bytes.data() + 20), options));

  PngReader reader;
  reader.bytes = bytes;
  png_structp png =
      png_create_read_struct(PNG_LIBPNG_VER_STRING, &reader, OnPngError, OnPngWarning);
  if (png == nullptr) return Status::Internal("PNG: cannot create libpng read struct");
  png_infop info = png_create_info_struct(png);
  if (info == nullptr) {
    png_destroy_read_struct(&png, nullptr, nullptr);
    return Status::Internal("PNG: cannot create libpng info struct");
  }
  Image image;
  std::vector<png_bytep> rows;
  Status status;
  const bool decoded = DecodeRows(png, info, reader, options, image, rows, status);
  png_destroy_read_struct(&png, &info, nullptr);
  if (!decoded) {
    if (reader.ran_out) return Status::Truncated("PNG: premature end of data");
    return Status::CorruptData("PNG: " + reader.error);
  }
  if (!status.ok()) return status;
  return image;
}

}  // namespace warden::image_internal
