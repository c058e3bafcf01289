// Pixel-level steps: encoders, resizing, crops, geometry, colour, filters and borders.
#include "src/eval/transform_steps.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include <opencv2/imgproc.hpp>

#include "src/eval/cv_image.h"

namespace warden::eval {

uint64_t MixSeed(uint64_t a, uint64_t b) {
  // splitmix64 of a combination: small changes of either input scatter the result.
  uint64_t z = a + 0x9e3779b97f4a7c15ULL * (b + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

Result<cv::Mat> StagedPixels(Staged& staged) {
  if (staged.pixels.empty() && !staged.bytes.empty()) {
    WARDEN_ASSIGN_OR_RETURN(staged.pixels, DecodeWithOpenCv(staged.bytes));
  }
  if (staged.pixels.empty()) return Status::InvalidArgument("transform step on an empty image");
  if (staged.pixels.channels() == 1) {
    cv::Mat bgr;
    cv::cvtColor(staged.pixels, bgr, cv::COLOR_GRAY2BGR);
    return bgr;
  }
  return staged.pixels;
}

void SetPixels(Staged& staged, cv::Mat pixels) {
  staged.pixels = std::move(pixels);
  staged.bytes.clear();
  staged.format.clear();
}

namespace {

int Round(double v) { return std::max(1, static_cast<int>(std::lround(v))); }

// A step that maps 3-channel pixels to new pixels and drops the mask's meaning (colour and
// filter steps keep the geometry, so the mask stays valid).
Step PixelStep(std::function<cv::Mat(const cv::Mat&, uint64_t)> op) {
  return [op = std::move(op)](Staged& s, const TransformContext&, uint64_t seed) -> Status {
    WARDEN_ASSIGN_OR_RETURN(cv::Mat in, StagedPixels(s));
    SetPixels(s, op(in, seed));
    return Status::Ok();
  };
}

// Crops pixels and mask to `rect`.
void CropTo(Staged& s, const cv::Mat& pixels, cv::Rect rect) {
  rect &= cv::Rect(0, 0, pixels.cols, pixels.rows);
  if (!s.mask.empty() && s.mask.size() == pixels.size()) s.mask = s.mask(rect).clone();
  SetPixels(s, pixels(rect).clone());
}

Step CropStep(std::function<cv::Rect(cv::Size, uint64_t)> pick) {
  return [pick = std::move(pick)](Staged& s, const TransformContext&, uint64_t seed) -> Status {
    WARDEN_ASSIGN_OR_RETURN(cv::Mat in, StagedPixels(s));
    CropTo(s, in, pick(in.size(), seed));
    return Status::Ok();
  };
}

cv::Mat Lut(const cv::Mat& in, const std::function<double(double)>& f) {
  cv::Mat table(1, 256, CV_8UC1);
  for (int i = 0; i < 256; ++i) table.at<uint8_t>(i) = cv::saturate_cast<uint8_t>(f(i));
  cv::Mat out;
  cv::LUT(in, table, out);
  return out;
}

}  // namespace

Step EncodeStep(std::string format, int quality) {
  return [format, quality](Staged& s, const TransformContext&, uint64_t) -> Status {
    WARDEN_ASSIGN_OR_RETURN(cv::Mat in, StagedPixels(s));
    WARDEN_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, Encode(in, format, quality));
    s.bytes = std::move(bytes);
    s.format = format;
    s.pixels.release();  // decoded again only if another step follows
    return Status::Ok();
  };
}

Step ScaleStep(double sx, double sy, int interpolation) {
  return PixelStep([sx, sy, interpolation](const cv::Mat& in, uint64_t) {
    cv::Mat out;
    const cv::Size size(Round(in.cols * sx), Round(in.rows * sy));
    // Area averaging is the honest way to shrink (no aliasing); the asked filter to enlarge.
    const bool shrink = size.width <= in.cols && size.height <= in.rows;
    cv::resize(in, out, size, 0, 0,
               shrink && interpolation != cv::INTER_CUBIC ? cv::INTER_AREA : interpolation);
    return out;
  });
}

Step ThumbnailStep(int longest_side) {
  return PixelStep([longest_side](const cv::Mat& in, uint64_t) {
    const int longest = std::max(in.cols, in.rows);
    if (longest <= longest_side) return in.clone();
    const double s = static_cast<double>(longest_side) / longest;
    cv::Mat out;
    cv::resize(in, out, cv::Size(Round(in.cols * s), Round(in.rows * s)), 0, 0, cv::INTER_AREA);
    return out;
  });
}

Step CropAreaStep(double area_fraction, bool centred) {
  return CropStep([area_fraction, centred](cv::Size size, uint64_t seed) {
    const double side = std::sqrt(area_fraction);
    const int w = Round(size.width * side), h = Round(size.height * side);
    int x = (size.width - w) / 2, y = (size.height - h) / 2;
    if (!centred) {
      // Off-centre: flush against a seeded corner, the farthest a crop can drift.
      const uint64_t corner = seed % 4;
      x = (corner & 1) ? size.width - w : 0;
      y = (corner & 2) ? size.height - h : 0;
    }
    return cv::Rect(x, y, w, h);
  });
}

Step CropAspectStep(int aspect_w, int aspect_h) {
  return CropStep([aspect_w, aspect_h](cv::Size size, uint64_t) {
    int w = size.width, h = Round(static_cast<double>(size.width) * aspect_h / aspect_w);
    if (h > size.height) {
      h = size.height;
      w = Round(static_cast<double>(size.height) * aspect_w / aspect_h);
    }
    return cv::Rect((size.width - w) / 2, (size.height - h) / 2, w, h);
  });
}

Step CropSidesStep(double fraction) {
  return CropStep([fraction](cv::Size size, uint64_t) {
    const int dx = static_cast<int>(std::lround(size.width * fraction));
    const int dy = static_cast<int>(std::lround(size.height * fraction));
    return cv::Rect(dx, dy, std::max(1, size.width - 2 * dx), std::max(1, size.height - 2 * dy));
  });
}

Step Rotate90Step(int quarter_turns) {
  return PixelStep([quarter_turns](const cv::Mat& in, uint64_t) {
    cv::Mat out;
    switch (((quarter_turns % 4) + 4) % 4) {
      case 1:
        cv::rotate(in, out, cv::ROTATE_90_COUNTERCLOCKWISE);
        break;
      case 2:
        cv::rotate(in, out, cv::ROTATE_180);
        break;
      case 3:
        cv::rotate(in, out, cv::ROTATE_90_CLOCKWISE);
        break;
      default:
        out = in.clone();
    }
    return out;
  });
}

Step MirrorStep() {
  return PixelStep([](const cv::Mat& in, uint64_t) {
    cv::Mat out;
    cv::flip(in, out, 1);
    return out;
  });
}

Step RotateStep(double degrees, bool cropped) {
  return PixelStep([degrees, cropped](const cv::Mat& in, uint64_t) {
    const cv::Point2f centre(in.cols / 2.0f, in.rows / 2.0f);
    const cv::Mat m = cv::getRotationMatrix2D(centre, degrees, 1.0);
    cv::Mat out;
    cv::warpAffine(in, out, m, in.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar());
    if (!cropped) return out;
    // Largest centred W*s x H*s rectangle inside the rotated W x H one: its corners must
    // satisfy w|cos| + h|sin| <= W and w|sin| + h|cos| <= H.
    const double r = degrees * CV_PI / 180.0, c = std::abs(std::cos(r)), sn = std::abs(std::sin(r));
    const double w0 = in.cols, h0 = in.rows;
    const double s = std::min(w0 / (w0 * c + h0 * sn), h0 / (w0 * sn + h0 * c));
    // One pixel less on each side: bilinear sampling blends the black border into the edge.
    const int w = std::max(1, static_cast<int>(std::floor(w0 * s)) - 2);
    const int h = std::max(1, static_cast<int>(std::floor(h0 * s)) - 2);
    return out(cv::Rect((in.cols - w) / 2, (in.rows - h) / 2, w, h)).clone();
  });
}

Step PerspectiveStep(double fraction) {
  return PixelStep([fraction](const cv::Mat& in, uint64_t seed) {
    const float w = static_cast<float>(in.cols), h = static_cast<float>(in.rows);
    const cv::Point2f src[4] = {{0, 0}, {w, 0}, {w, h}, {0, h}};
    cv::Point2f dst[4] = {src[0], src[1], src[2], src[3]};
    const float dx = static_cast<float>(fraction) * w, dy = static_cast<float>(fraction) * h;
    switch (seed % 4) {  // which edge recedes, as if the camera tilted that way
      case 0:
        dst[0].x += dx;
        dst[1].x -= dx;
        break;  // top
      case 1:
        dst[3].x += dx;
        dst[2].x -= dx;
        break;  // bottom
      case 2:
        dst[0].y += dy;
        dst[3].y -= dy;
        break;  // left
      default:
        dst[1].y += dy;
        dst[2].y -= dy;
        break;  // right
    }
    cv::Mat out;
    cv::warpPerspective(in, out, cv::getPerspectiveTransform(src, dst), in.size(), cv::INTER_LINEAR,
                        cv::BORDER_CONSTANT, cv::Scalar());
    return out;
  });
}

Step GammaStep(double gamma) {
  return PixelStep([gamma](const cv::Mat& in, uint64_t) {
    return Lut(in, [gamma](double v) { return 255.0 * std::pow(v / 255.0, gamma); });
  });
}

Step BrightnessStep(double factor) {
  return PixelStep([factor](const cv::Mat& in, uint64_t) {
    return Lut(in, [factor](double v) { return v * factor; });
  });
}

Step ContrastStep(double factor) {
  return PixelStep([factor](const cv::Mat& in, uint64_t) {
    cv::Mat grey;
    cv::cvtColor(in, grey, cv::COLOR_BGR2GRAY);
    const double mean = cv::mean(grey)[0];
    return Lut(in, [factor, mean](double v) { return mean + (v - mean) * factor; });
  });
}

Step GreyscaleStep() {
  return PixelStep([](const cv::Mat& in, uint64_t) {
    cv::Mat grey;
    cv::cvtColor(in, grey, cv::COLOR_BGR2GRAY);
    return grey;
  });
}

Step SaturationStep(double factor) {
  return PixelStep([factor](const cv::Mat& in, uint64_t) {
    cv::Mat grey, grey3, out;
    cv::cvtColor(in, grey, cv::COLOR_BGR2GRAY);
    cv::cvtColor(grey, grey3, cv::COLOR_GRAY2BGR);
    cv::addWeighted(in, factor, grey3, 1.0 - factor, 0.0, out);  // saturates to 0..255
    return out;
  });
}

Step HueStep(double degrees) {
  return PixelStep([degrees](const cv::Mat& in, uint64_t) {
    cv::Mat hsv;
    cv::cvtColor(in, hsv, cv::COLOR_BGR2HSV);  // 8-bit hue is 0..179, 2 degrees a step
    const int shift = static_cast<int>(std::lround(degrees / 2.0));
    for (int y = 0; y < hsv.rows; ++y) {
      auto* p = hsv.ptr<cv::Vec3b>(y);
      for (int x = 0; x < hsv.cols; ++x)
        p[x][0] = static_cast<uint8_t>((p[x][0] + shift + 180) % 180);
    }
    cv::Mat out;
    cv::cvtColor(hsv, out, cv::COLOR_HSV2BGR);
    return out;
  });
}

Step InvertStep() {
  return PixelStep([](const cv::Mat& in, uint64_t) {
    cv::Mat out;
    cv::bitwise_not(in, out);
    return out;
  });
}

Step GaussianBlurStep(double sigma) {
  return PixelStep([sigma](const cv::Mat& in, uint64_t) {
    cv::Mat out;
    cv::GaussianBlur(in, out, cv::Size(), sigma, sigma, cv::BORDER_REFLECT_101);
    return out;
  });
}

Step MedianStep(int kernel) {
  return PixelStep([kernel](const cv::Mat& in, uint64_t) {
    cv::Mat out;
    cv::medianBlur(in, out, kernel);
    return out;
  });
}

Step SharpenStep() {
  return PixelStep([](const cv::Mat& in, uint64_t) {
    cv::Mat blurred, out;
    cv::GaussianBlur(in, blurred, cv::Size(), 1.5);
    cv::addWeighted(in, 2.0, blurred, -1.0, 0.0, out);  // in + 1.0 * (in - blurred)
    return out;
  });
}

Step NoiseStep(double sigma, bool per_channel) {
  return PixelStep([sigma, per_channel](const cv::Mat& in, uint64_t seed) {
    cv::RNG rng(seed);
    cv::Mat noise(in.size(), per_channel ? CV_32FC3 : CV_32FC1);
    rng.fill(noise, cv::RNG::NORMAL, 0.0, sigma);
    if (!per_channel) cv::cvtColor(noise, noise, cv::COLOR_GRAY2BGR);  // one sample, 3 channels
    cv::Mat f, out;
    in.convertTo(f, CV_32FC3);
    f += noise;
    f.convertTo(out, CV_8UC3);  // rounds and saturates
    return out;
  });
}

Step SaltPepperStep(double fraction) {
  return PixelStep([fraction](const cv::Mat& in, uint64_t seed) {
    cv::Mat out = in.clone();
    cv::RNG rng(seed);
    cv::Mat u(in.size(), CV_32FC1);
    rng.fill(u, cv::RNG::UNIFORM, 0.0, 1.0);
    for (int y = 0; y < out.rows; ++y) {
      const float* pu = u.ptr<float>(y);
      auto* p = out.ptr<cv::Vec3b>(y);
      for (int x = 0; x < out.cols; ++x) {
        if (pu[x] < fraction / 2)
          p[x] = cv::Vec3b(0, 0, 0);
        else if (pu[x] < fraction)
          p[x] = cv::Vec3b(255, 255, 255);
      }
    }
    return out;
  });
}

Step VignetteStep() {
  return PixelStep([](const cv::Mat& in, uint64_t) {
    cv::Mat out(in.size(), in.type());
    const double cx = in.cols / 2.0, cy = in.rows / 2.0;
    for (int y = 0; y < in.rows; ++y) {
      const auto* p = in.ptr<cv::Vec3b>(y);
      auto* q = out.ptr<cv::Vec3b>(y);
      const double ny = (y + 0.5 - cy) / cy;
      for (int x = 0; x < in.cols; ++x) {
        const double nx = (x + 0.5 - cx) / cx;
        const double g = 1.0 - 0.25 * (nx * nx + ny * ny);  // 1 at the centre, 0.5 in corners
        for (int c = 0; c < 3; ++c) q[x][c] = cv::saturate_cast<uint8_t>(p[x][c] * g);
      }
    }
    return out;
  });
}

Step ThornVignetteStep() {
  return PixelStep([](const cv::Mat& in, uint64_t) {
    // Thorn's recipe: the outer product of two Gaussian windows with sigma half of each side,
    // scaled so its peak is 1, multiplied in, truncated to 8 bits.
    const cv::Mat a = cv::getGaussianKernel(in.rows, in.rows / 2.0, CV_64F);
    const cv::Mat b = cv::getGaussianKernel(in.cols, in.cols / 2.0, CV_64F);
    cv::Mat window = a * b.t();
    double peak = 0;
    cv::minMaxLoc(window, nullptr, &peak);
    window /= peak;
    cv::Mat out(in.size(), in.type());
    for (int y = 0; y < in.rows; ++y) {
      const auto* p = in.ptr<cv::Vec3b>(y);
      const double* g = window.ptr<double>(y);
      auto* q = out.ptr<cv::Vec3b>(y);
      for (int x = 0; x < in.cols; ++x) {
        for (int c = 0; c < 3; ++c) q[x][c] = static_cast<uint8_t>(p[x][c] * g[x]);
      }
    }
    return out;
  });
}

Step PadStep(double fraction, PadFill fill) {
  return PixelStep([fraction, fill](const cv::Mat& in, uint64_t) {
    const int dx = static_cast<int>(std::lround(in.cols * fraction));
    const int dy = static_cast<int>(std::lround(in.rows * fraction));
    const cv::Size canvas_size(in.cols + 2 * dx, in.rows + 2 * dy);
    cv::Mat canvas;
    if (fill == PadFill::kBlurred) {
      // The "blurred copy" background of phone apps: the picture stretched to the canvas and
      // blurred hard. Blurring a small version is as good and far cheaper.
      cv::Mat small, big;
      const double s = 64.0 / std::max(canvas_size.width, canvas_size.height);
      cv::resize(in, small, cv::Size(Round(canvas_size.width * s), Round(canvas_size.height * s)),
                 0, 0, cv::INTER_AREA);
      cv::GaussianBlur(small, small, cv::Size(), 3.0);
      cv::resize(small, canvas, canvas_size, 0, 0, cv::INTER_LINEAR);
    } else {
      canvas = cv::Mat(canvas_size, in.type(),
                       fill == PadFill::kWhite ? cv::Scalar::all(255) : cv::Scalar::all(0));
    }
    in.copyTo(canvas(cv::Rect(dx, dy, in.cols, in.rows)));
    return canvas;
  });
}

Step PadTopBottomStep(double fraction) {
  return PixelStep([fraction](const cv::Mat& in, uint64_t) {
    const int dy = static_cast<int>(std::lround(in.rows * fraction));
    cv::Mat out;
    cv::copyMakeBorder(in, out, dy, dy, 0, 0, cv::BORDER_CONSTANT, cv::Scalar());
    return out;
  });
}

}  // namespace warden::eval
