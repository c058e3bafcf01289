// WebP through libwebp. Still images decode straight into the output buffer as RGB (alpha
// dropped). Animations: the first frame, decoded alone and placed at its offset on a black
// canvas of the animation's size (alpha dropped, no blending: there is nothing under it yet).
#include <webp/decode.h>
#include <webp/demux.h>

#include <string>

#include "src/image/decoders.h"

namespace warden::image_internal {
namespace {

Status StatusFromVp8(VP8StatusCode code, const char* what) {
  const std::string where = std::string("WebP: ") + what + ": ";
  switch (code) {
    case VP8_STATUS_OK:
      return Status::Ok();
    case VP8_STATUS_NOT_ENOUGH_DATA:
      return Status::Truncated(where + "premature end of data");
    case VP8_STATUS_UNSUPPORTED_FEATURE:
      return Status::UnsupportedFormat(where + "unsupported feature");
    case VP8_STATUS_OUT_OF_MEMORY:
      return Status::TooLarge(where + "out of memory");
    case VP8_STATUS_INVALID_PARAM:
      return Status::CorruptData(where + "invalid parameter");
    case VP8_STATUS_BITSTREAM_ERROR:
      return Status::CorruptData(where + "bitstream error");
    case VP8_STATUS_SUSPENDED:
    case VP8_STATUS_USER_ABORT:
      break;
  }
  return Status::CorruptData(where + "decoding failed");
}

// Decodes a still bitstream (a whole file, or one animation frame) as RGB into `out`, whose
// rows are `stride` bytes apart. REQUIRES: `out` holds width x height RGB pixels at `stride`.
Status DecodeRgbInto(const uint8_t* data, size_t size, uint8_t* out, int stride, int height) {
  WebPDecoderConfig config;
  if (!WebPInitDecoderConfig(&config)) return Status::Internal("WebP: library version mismatch");
  config.output.colorspace = MODE_RGB;
  config.output.is_external_memory = 1;
  config.output.u.RGBA.rgba = out;
  config.output.u.RGBA.stride = stride;
  config.output.u.RGBA.size = static_cast<size_t>(stride) * height;
  const VP8StatusCode code = WebPDecode(data, size, &config);
  WebPFreeDecBuffer(&config.output);  // frees nothing for external memory; kept for symmetry
  return StatusFromVp8(code, "pixels");
}

Status DecodeFirstFrame(std::span<const uint8_t> bytes, Image& image) {
  WebPData data = {bytes.data(), bytes.size()};
  WebPDemuxer* demux = WebPDemux(&data);
  if (demux == nullptr) return Status::CorruptData("WebP: cannot parse the animation container");
  WebPIterator frame;
  Status status;
  if (!WebPDemuxGetFrame(demux, 1, &frame)) {
    status = Status::Truncated("WebP: animation has no complete first frame");
  } else {
    const int stride = image.width * 3;
    if (frame.x_offset < 0 || frame.y_offset < 0 || frame.width <= 0 || frame.height <= 0 ||
        frame.x_offset + frame.width > image.width ||
        frame.y_offset + frame.height > image.height) {
      status = Status::CorruptData("WebP: first frame lies outside the canvas");
    } else {
      uint8_t* origin = image.pixels.data() + static_cast<size_t>(frame.y_offset) * stride +
                        static_cast<size_t>(frame.x_offset) * 3;
      // The frame's rows are `stride` apart inside the canvas; the buffer size libwebp checks
      // is counted from `origin` to the end of the canvas.
      WebPDecoderConfig config;
      if (!WebPInitDecoderConfig(&config)) {
        status = Status::Internal("WebP: library version mismatch");
      } else {
        config.output.colorspace = MODE_RGB;
        config.output.is_external_memory = 1;
        config.output.u.RGBA.rgba = origin;
        config.output.u.RGBA.stride = stride;
        config.output.u.RGBA.size =
            image.pixels.size() - static_cast<size_t>(origin - image.pixels.data());
        status = StatusFromVp8(WebPDecode(frame.fragment.bytes, frame.fragment.size, &config),
                               "first frame");
        WebPFreeDecBuffer(&config.output);
      }
    }
    WebPDemuxReleaseIterator(&frame);
  }
  WebPDemuxDelete(demux);
  return status;
}

}  // namespace

Result<Image> DecodeWebp(std::span<const uint8_t> bytes, const DecodeOptions& options) {
  WebPBitstreamFeatures features;
  WARDEN_RETURN_IF_ERROR(
      StatusFromVp8(WebPGetFeatures(bytes.data(), bytes.size(), &features), "header"));
  WARDEN_RETURN_IF_ERROR(CheckDimensions("WebP", static_cast<uint64_t>(features.width),
                                         static_cast<uint64_t>(features.height), options));
  Image image;
  AllocateImage(image, ImageFormat::kWebp, features.width, features.height, 3, options);
  if (features.has_animation) {
    WARDEN_RETURN_IF_ERROR(DecodeFirstFrame(bytes, image));
  } else {
    WARDEN_RETURN_IF_ERROR(DecodeRgbInto(bytes.data(), bytes.size(), image.pixels.data(),
                                         image.width * 3, image.height));
  }
  return image;
}

}  // namespace warden::image_internal
