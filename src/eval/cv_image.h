// The bridge between Warden's Image and OpenCV's cv::Mat, and the encoders the transforms
// use. Transforms work on 8-bit BGR (or 1-channel grey) cv::Mat, OpenCV's own order, so that
// cv::imencode writes JPEG and WebP colour as a real upload would carry it.
//
// OpenCV reports failures by throwing cv::Exception; these functions catch it and return a
// Status instead (STYLE.md: exceptions stop at the edges).
//
// Thread safety: reentrant.
#ifndef WARDEN_SRC_EVAL_CV_IMAGE_H_
#define WARDEN_SRC_EVAL_CV_IMAGE_H_

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include <opencv2/core.hpp>

#include "warden/image.h"
#include "warden/status.h"

namespace warden::eval {

// An 8-bit BGR copy of `image` (grey is spread to three channels). REQUIRES: channels 1 or 3.
cv::Mat ToBgr(const Image& image);

// Decodes a file with Warden's decoders (the same pixels the hasher sees) into BGR.
// Errors: DecodeImage's.
Result<cv::Mat> DecodeToBgr(std::span<const uint8_t> bytes);

// Encodes `pixels` (CV_8UC1 or CV_8UC3 BGR). `format` is "jpeg", "webp" or "png"; quality
// 1..100 for jpeg and webp; ignored for png, which is written unfiltered with stored
// deflate blocks (same pixels, bigger file, a tenth of the time).
// Errors: kInvalidArgument for an unknown format or an empty image, kInternal when OpenCV
// refuses.
Result<std::vector<uint8_t>> Encode(const cv::Mat& pixels, std::string_view format, int quality);

// Decodes bytes with OpenCV, keeping grey as one channel. Errors: kCorruptData.
Result<cv::Mat> DecodeWithOpenCv(std::span<const uint8_t> bytes);

}  // namespace warden::eval

#endif  // WARDEN_SRC_EVAL_CV_IMAGE_H_
