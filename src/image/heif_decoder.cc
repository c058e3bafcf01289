// HEIF/HEIC and AVIF through libheif: the primary image, decoded to interleaved 8-bit RGB.
// Alpha is dropped. The container's geometry transforms (irot/imir/clap) are applied, as they
// define the image; EXIF orientation is not.
#include <libheif/heif.h>

#include <cstring>
#include <memory>
#include <string>

#include "src/image/decoders.h"

namespace warden::image_internal {
namespace {

struct ContextFree {
  void operator()(heif_context* p) const { heif_context_free(p); }
};
struct HandleRelease {
  void operator()(heif_image_handle* p) const { heif_image_handle_release(p); }
};
struct ImageRelease {
  void operator()(heif_image* p) const { heif_image_release(p); }
};
struct OptionsFree {
  void operator()(heif_decoding_options* p) const { heif_decoding_options_free(p); }
};

Status FromHeifError(const heif_error& error, const char* label, const char* what) {
  const std::string message = std::string(label) + ": " + what + ": " +
                              (error.message != nullptr ? error.message : "unknown error");
  switch (error.code) {
    case heif_error_Ok:
      return Status::Ok();
    case heif_error_Unsupported_filetype:
    case heif_error_Unsupported_feature:
      return Status::UnsupportedFormat(message);
    case heif_error_Memory_allocation_error:
      return Status::TooLarge(message);
    default:
      break;
  }
  if (error.subcode == heif_suberror_End_of_data) return Status::Truncated(message);
  if (error.subcode == heif_suberror_Security_limit_exceeded) return Status::TooLarge(message);
  return Status::CorruptData(message);
}

}  // namespace

Result<Image> DecodeHeif(std::span<const uint8_t> bytes, ImageFormat format,
                         const DecodeOptions& options) {
  const char* label = format == ImageFormat::kAvif ? "AVIF" : "HEIF";
  std::unique_ptr<heif_context, ContextFree> context(heif_context_alloc());
  if (context == nullptr) return Status::Internal(std::string(label) + ": cannot allocate");
  WARDEN_RETURN_IF_ERROR(FromHeifError(heif_context_read_from_memory_without_copy(
                                           context.get(), bytes.data(), bytes.size(), nullptr),
                                       label, "reading the container"));
  heif_image_handle* raw_handle = nullptr;
  WARDEN_RETURN_IF_ERROR(
      FromHeifError(heif_context_get_primary_image_handle(context.get(), &raw_handle), label,
                    "finding the primary image"));
  std::unique_ptr<heif_image_handle, HandleRelease> handle(raw_handle);
  const int declared_width = heif_image_handle_get_width(handle.get());
  const int declared_height = heif_image_handle_get_height(handle.get());
  if (declared_width < 0 || declared_height < 0) {
    return Status::CorruptData(std::string(label) + ": negative image size");
  }
  WARDEN_RETURN_IF_ERROR(CheckDimensions(label, static_cast<uint64_t>(declared_width),
                                         static_cast<uint64_t>(declared_height), options));

  std::unique_ptr<heif_decoding_options, OptionsFree> decoding(heif_decoding_options_alloc());
  if (decoding == nullptr) return Status::Internal(std::string(label) + ": cannot allocate");
  heif_image* raw_image = nullptr;
  WARDEN_RETURN_IF_ERROR(
      FromHeifError(heif_decode_image(handle.get(), &raw_image, heif_colorspace_RGB,
                                      heif_chroma_interleaved_RGB, decoding.get()),
                    label, "decoding"));
  std::unique_ptr<heif_image, ImageRelease> decoded(raw_image);

  const int width = heif_image_get_width(decoded.get(), heif_channel_interleaved);
  const int height = heif_image_get_height(decoded.get(), heif_channel_interleaved);
  if (width <= 0 || height <= 0) {
    return Status::CorruptData(std::string(label) + ": decoded image has no pixels");
  }
  WARDEN_RETURN_IF_ERROR(
      CheckDimensions(label, static_cast<uint64_t>(width), static_cast<uint64_t>(height), options));
  if (heif_image_get_bits_per_pixel_range(decoded.get(), heif_channel_interleaved) != 8) {
    return Status::UnsupportedFormat(std::string(label) + ": decoded samples are not 8-bit");
  }
  int stride = 0;
  const uint8_t* plane =
      heif_image_get_plane_readonly(decoded.get(), heif_channel_interleaved, &stride);
  const size_t row_bytes = static_cast<size_t>(width) * 3;
  if (plane == nullptr || stride < 0 || static_cast<size_t>(stride) < row_bytes) {
    return Status::Internal(std::string(label) + ": decoded plane is missing or too narrow");
  }
  Image image;
  AllocateImage(image, format, width, height, 3, options);
  for (int y = 0; y < height; ++y) {
    std::memcpy(image.pixels.data() + y * row_bytes, plane + static_cast<size_t>(y) * stride,
                row_bytes);
  }
  return image;
}

}  // namespace warden::image_internal
