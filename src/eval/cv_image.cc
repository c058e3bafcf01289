#include "src/eval/cv_image.h"

#include <string>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace warden::eval {

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
    ext = ".png";
    params = {cv::IMWRITE_PNG_COMPRESSION, 1};
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
