// Synthetic photographs for the eval tests: a colour gradient with seeded shapes and fine
// texture, so PDQ sees real structure (quality well above 50) and no two seeds look alike.
#ifndef WARDEN_SRC_EVAL_EVAL_TEST_UTIL_H_
#define WARDEN_SRC_EVAL_EVAL_TEST_UTIL_H_

#include <cstdint>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

namespace warden::eval {

inline cv::Mat MakeTestPhoto(int width, int height, uint64_t seed) {
  cv::Mat img(height, width, CV_8UC3);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      img.at<cv::Vec3b>(y, x) =
          cv::Vec3b(static_cast<uint8_t>(255 * x / width), static_cast<uint8_t>(255 * y / height),
                    static_cast<uint8_t>((seed * 53) % 256));
    }
  }
  cv::RNG rng(seed + 1);
  for (int i = 0; i < 12; ++i) {
    const cv::Point c(rng.uniform(0, width), rng.uniform(0, height));
    const int r = rng.uniform(height / 12 + 1, height / 3 + 2);
    const cv::Scalar colour(rng.uniform(0, 256), rng.uniform(0, 256), rng.uniform(0, 256));
    if (i % 2 == 0)
      cv::circle(img, c, r, colour, cv::FILLED, cv::LINE_AA);
    else
      cv::rectangle(img, cv::Rect(c.x - r, c.y - r / 2, 2 * r, r), colour, cv::FILLED);
  }
  cv::Mat noise(img.size(), CV_8UC3);
  rng.fill(noise, cv::RNG::UNIFORM, 0, 12);
  img += noise;
  return img;
}

}  // namespace warden::eval

#endif  // WARDEN_SRC_EVAL_EVAL_TEST_UTIL_H_
