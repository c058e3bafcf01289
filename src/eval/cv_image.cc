#include "src/eval/cv_image.h"

#include <png.h>

#include <csetjmp>
#include <cstring>
#include <string>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace warden::eval {
namespace {

// A PNG writer for queries: no row filter and stored (level 0) deflate blocks. The pixels
// are exactly those of any other PNG; only the file is bigger. With OpenCV's defaults, zlib
// and libpng filtering took over half of a full evaluation run. libpng reports errors by
// longjmp to WriteRows, whose frame holds nothing with a destructor.
struct PngWriter {
  std::vector<uint8_t>* out = nullptr;
  std::string error;
  std::jmp_buf jump;
};

[[noreturn]] void OnWriteError(png_structp png, png_const_charp message) {
  auto* w = static_cast<PngWriter*>(png_get_error_ptr(png));
  w->error = message != nullptr ? message : "unknown error";
  std::longjmp(w->jump, 1);
}
void OnWriteWarning(png_structp, png_const_charp) {}
void WriteToVector(png_structp png, png_bytep data, png_size_t length) {
  auto* w = static_cast<PngWriter*>(png_get_io_ptr(png));
  w->out->insert(w->out->end(), data, data + length);
}
void FlushNothing(png_structp) {}

// REQUIRES: rows holds pixels.rows pointers to RGB or grey rows. Returns false on a libpng
// error (writer.error says which).
bool WriteRows(png_structp png, png_infop info, PngWriter& writer, int width, int height,
               int channels, png_bytep* rows) {
  if (setjmp(writer.jump) != 0) return false;
  png_set_write_fn(png, &writer, WriteToVector, FlushNothing);
  png_set_IHDR(png, info, static_cast<png_uint_32>(width), static_cast<png_uint_32>(height), 8,
               channels == 1 ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_NONE);
  png_set_compression_level(png, 0);
  png_write_info(png, info);
  png_write_image(png, rows);
  png_write_end(png, info);
  return true;
}

Result<std::vector<uint8_t>> EncodePng(const cv::Mat& pixels) {
  cv::Mat rgb;
  if (pixels.channels() == 3) {
    cv::cvtColor(pixels, rgb, cv::COLOR_BGR2RGB);
  } else if (pixels.channels() == 1) {
    rgb = pixels.isContinuous() ? pixels : pixels.clone();
  } else {
    return Status::InvalidArgument("PNG writer: " + std::to_string(pixels.channels()) +
                                   " channels");
  }
  std::vector<png_bytep> rows(static_cast<size_t>(rgb.rows));
  for (int y = 0; y < rgb.rows; ++y) rows[y] = rgb.ptr<uint8_t>(y);
  std::vector<uint8_t> out;
  out.reserve(rgb.total() * rgb.elemSize() + static_cast<size_t>(rgb.rows) + 1024);
  PngWriter writer;
  writer.out = &out;
  png_structp png =
      png_create_write_struct(PNG_LIBPNG_VER_STRING, &writer, OnWriteError, OnWriteWarning);
  if (png == nullptr) return Status::Internal("PNG writer: out of memory");
  png_infop info = png_create_info_struct(png);
  const bool ok = info != nullptr &&
                  WriteRows(png, info, writer, rgb.cols, rgb.rows, rgb.channels(), rows.data());
  png_destroy_write_struct(&png, info != nullptr ? &info : nullptr);
  if (!ok) return Status::Internal("PNG writer: " + writer.error);
  return out;
}

}  // namespace

cv::Mat ToBgr(const Image& image) {
  WARDEN_CHECK(image.channels == 1 || image.channels == 3);
  // The Mat header borrows the pixels; cvtColor writes a new, owned matrix.
  const cv::Mat view(image.height, image.width, image.channels == 1 ? CV_8UC1 : CV_8UC3,
                     const_cast<uint8_t*>(image.pixels.data()));
  cv::Mat bgr;
  cv::cvtColor(view, bgr, image.channels == 1 ? cv::COLOR_GRAY2BGR : cv::COLOR_RGB2BGR);
  return bgr;
}

Result<cv::Mat> DecodeToBgr(std::span<const uint8_t> bytes) {
  WARDEN_ASSIGN_OR_RETURN(Image image, DecodeImage(bytes));
  try {
    return ToBgr(image);
  } catch (const cv::Exception& e) {
    return Status::Internal(std::string("OpenCV: ") + e.what());
  }
}

Result<std::vector<uint8_t>> Encode(const cv::Mat& pixels, std::string_view format, int quality) {
  if (pixels.empty()) return Status::InvalidArgument("cannot encode an empty image");
  std::string ext;
  std::vector<int> params;
  if (format == "jpeg") {
    ext = ".jpg";
    params = {cv::IMWRITE_JPEG_QUALITY, quality};
  } else if (format == "webp") {
    ext = ".webp";
    params = {cv::IMWRITE_WEBP_QUALITY, quality};
  } else if (format == "png") {
    return EncodePng(pixels);
  } else {
    return Status::InvalidArgument("unknown encoding \"" + std::string(format) + "\"");
  }
  std::vector<uint8_t> bytes;
  try {
    if (!cv::imencode(ext, pixels, bytes, params)) {
      return Status::Internal("OpenCV could not encode a " + std::to_string(pixels.cols) + "x" +
                              std::to_string(pixels.rows) + " image as " + std::string(format));
    }
  } catch (const cv::Exception& e) {
    return Status::Internal(std::string("OpenCV: ") + e.what());
  }
  return bytes;
}

Result<cv::Mat> DecodeWithOpenCv(std::span<const uint8_t> bytes) {
  cv::Mat out;
  try {
    const cv::Mat buffer(1, static_cast<int>(bytes.size()), CV_8UC1,
                         const_cast<uint8_t*>(bytes.data()));
    out = cv::imdecode(buffer, cv::IMREAD_UNCHANGED);
  } catch (const cv::Exception& e) {
    return Status::CorruptData(std::string("OpenCV: ") + e.what());
  }
  if (out.empty()) return Status::CorruptData("OpenCV could not decode the bytes it encoded");
  return out;
}

}  // namespace warden::eval
