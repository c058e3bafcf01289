#include "src/eval/regeneration.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <memory>
#include <vector>

#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>
#include <opencv2/photo.hpp>

namespace warden::eval {

const char* RegenFillName(RegenFill fill) {
  switch (fill) {
    case RegenFill::kTexture:
      return "texture";
    case RegenFill::kShade:
      return "shade";
    case RegenFill::kInpaint:
      return "inpaint";
    case RegenFill::kSeeded:
      return "seeded";
  }
  return "?";
}

cv::Mat BodyRegionMask(cv::Size size, const std::optional<cv::Rect>& face, double area_fraction) {
  WARDEN_CHECK(area_fraction > 0 && area_fraction < 1 && size.area() > 0);
  double ax, ay, unit;
  if (face.has_value() && face->area() > 0) {
    // The top of the torso: just under the chin, centred on the face; shoulders are about a
    // face width either side.
    ax = face->x + face->width / 2.0;
    ay = face->y + face->height * 1.15;
    unit = face->width * 1.1;
  } else {
    ax = size.width / 2.0;
    ay = size.height * 0.4;
    unit = std::min(size.width, size.height) / 4.0;
  }
  unit = std::max(unit, 1.0);
  std::vector<float> priority(static_cast<size_t>(size.area()));
  for (int y = 0; y < size.height; ++y) {
    const double dy = (y + 0.5 - ay) / unit;
    float* row = priority.data() + static_cast<size_t>(y) * size.width;
    for (int x = 0; x < size.width; ++x) {
      const double dx = (x + 0.5 - ax) / unit;
      double p;
      if (dy >= 0) {
        // Neck (half-width 0.55) widening to the shoulders (1.0) over 0.6 units, then a torso
        // that reaches down faster than it widens.
        const double half_width = 0.55 + 0.45 * std::min(1.0, dy / 0.6);
        p = std::abs(dx) / half_width + 0.15 * dy;
      } else {
        // Above the shoulders the region grows four times slower: the face goes last.
        p = std::sqrt((dx / 0.55) * (dx / 0.55) + (4 * dy) * (4 * dy));
      }
      row[x] = static_cast<float>(p);
    }
  }
  const size_t k = static_cast<size_t>(std::llround(area_fraction * size.area()));
  std::vector<float> sorted = priority;
  const size_t nth = std::clamp<size_t>(k, 1, sorted.size()) - 1;
  std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(nth), sorted.end());
  const float cut = sorted[nth];
  cv::Mat mask(size, CV_8UC1);
  for (int y = 0; y < size.height; ++y) {
    const float* row = priority.data() + static_cast<size_t>(y) * size.width;
    uint8_t* m = mask.ptr<uint8_t>(y);
    for (int x = 0; x < size.width; ++x) m[x] = row[x] <= cut ? 255 : 0;
  }
  return mask;
}

namespace {

// Per-channel mean and standard deviation of `img` under `mask`.
void Stats(const cv::Mat& img, const cv::Mat& mask, cv::Scalar& mean, cv::Scalar& stddev) {
  cv::meanStdDev(img, mean, stddev, mask);
}

cv::Mat TextureFill(const cv::Mat& bgr, const cv::Mat& mask, const cv::Mat* donor, uint64_t seed) {
  cv::Mat source;
  if (donor != nullptr && !donor->empty()) {
    source = *donor;
  } else {
    cv::rotate(bgr, source, cv::ROTATE_180);
  }
  // Cover the picture with the donor (scale up as needed) and take a seeded window of it.
  const double k = std::max(static_cast<double>(bgr.cols) / source.cols,
                            static_cast<double>(bgr.rows) / source.rows);
  cv::Mat scaled;
  cv::resize(source, scaled,
             cv::Size(std::max(bgr.cols, static_cast<int>(std::ceil(source.cols * k))),
                      std::max(bgr.rows, static_cast<int>(std::ceil(source.rows * k)))),
             0, 0, k < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
  const int ox = static_cast<int>(seed % static_cast<uint64_t>(scaled.cols - bgr.cols + 1));
  const int oy = static_cast<int>((seed >> 20) % static_cast<uint64_t>(scaled.rows - bgr.rows + 1));
  const cv::Mat window = scaled(cv::Rect(ox, oy, bgr.cols, bgr.rows));
  // Colour-match the donor to the region it replaces: same mean and spread per channel.
  cv::Scalar m_src, s_src, m_don, s_don;
  Stats(bgr, mask, m_src, s_src);
  Stats(window, mask, m_don, s_don);
  cv::Mat out(bgr.size(), CV_8UC3);
  for (int y = 0; y < bgr.rows; ++y) {
    const auto* w = window.ptr<cv::Vec3b>(y);
    auto* o = out.ptr<cv::Vec3b>(y);
    for (int x = 0; x < bgr.cols; ++x) {
      for (int c = 0; c < 3; ++c) {
        const double gain = s_don[c] > 1e-6 ? s_src[c] / s_don[c] : 1.0;
        o[x][c] = cv::saturate_cast<uint8_t>((w[x][c] - m_don[c]) * gain + m_src[c]);
      }
    }
  }
  return out;
}

// Low-pass luminance of `bgr`: a blur over about a tenth of the picture, computed small.
cv::Mat LowPassLuma(const cv::Mat& bgr) {
  cv::Mat grey, small, blurred, full;
  cv::cvtColor(bgr, grey, cv::COLOR_BGR2GRAY);
  const double s = std::min(1.0, 128.0 / std::max(bgr.cols, bgr.rows));
  cv::resize(grey, small,
             cv::Size(std::max(1, static_cast<int>(bgr.cols * s)),
                      std::max(1, static_cast<int>(bgr.rows * s))),
             0, 0, cv::INTER_AREA);
  small.convertTo(small, CV_32F);
  cv::GaussianBlur(small, blurred, cv::Size(),
                   std::max(1.0, 0.05 * std::max(small.cols, small.rows)));
  cv::resize(blurred, full, bgr.size(), 0, 0, cv::INTER_LINEAR);
  return full;
}

cv::Mat ShadeFill(const cv::Mat& bgr, const cv::Mat& mask, uint64_t seed) {
  // A range of skin tones (BGR), from light to dark.
  static const cv::Vec3d kTones[] = {{189, 224, 255}, {134, 192, 234}, {105, 172, 224},
                                     {66, 134, 198},  {36, 85, 141},   {40, 58, 92}};
  const cv::Vec3d tone = kTones[seed % 6];
  const cv::Mat light = LowPassLuma(bgr);
  const double mean_light = std::max(1.0, cv::mean(light, mask)[0]);
  cv::Mat grain(bgr.size(), CV_32FC1);
  cv::RNG rng(seed);
  rng.fill(grain, cv::RNG::NORMAL, 0.0, 5.0);
  cv::Mat out(bgr.size(), CV_8UC3);
  for (int y = 0; y < bgr.rows; ++y) {
    const float* l = light.ptr<float>(y);
    const float* g = grain.ptr<float>(y);
    auto* o = out.ptr<cv::Vec3b>(y);
    for (int x = 0; x < bgr.cols; ++x) {
      const double k = std::clamp(l[x] / mean_light, 0.35, 1.6);
      for (int c = 0; c < 3; ++c) o[x][c] = cv::saturate_cast<uint8_t>(tone[c] * k + g[x]);
    }
  }
  return out;
}

cv::Mat InpaintFill(const cv::Mat& bgr, const cv::Mat& mask) {
  // Diffusion fills from the boundary inwards; at full size a 60% mask costs seconds, and the
  // result is smooth anyway, so inpaint a copy at most 384 px long and scale it back.
  const double s = std::min(1.0, 384.0 / std::max(bgr.cols, bgr.rows));
  const cv::Size small_size(std::max(1, static_cast<int>(bgr.cols * s)),
                            std::max(1, static_cast<int>(bgr.rows * s)));
  cv::Mat small, small_mask, filled, full;
  cv::resize(bgr, small, small_size, 0, 0, cv::INTER_AREA);
  cv::resize(mask, small_mask, small_size, 0, 0, cv::INTER_AREA);
  cv::threshold(small_mask, small_mask, 0, 255, cv::THRESH_BINARY);  // cover every touched pixel
  cv::inpaint(small, small_mask, filled, 3.0, cv::INPAINT_NS);
  cv::resize(filled, full, bgr.size(), 0, 0, cv::INTER_CUBIC);
  return full;
}

}  // namespace

cv::Mat FillRegion(const cv::Mat& bgr, const cv::Mat& mask, RegenFill fill, const cv::Mat* donor,
                   uint64_t seed) {
  WARDEN_CHECK(fill != RegenFill::kSeeded && mask.size() == bgr.size() && mask.type() == CV_8UC1);
  cv::Mat replacement;
  switch (fill) {
    case RegenFill::kTexture:
      replacement = TextureFill(bgr, mask, donor, seed);
      break;
    case RegenFill::kShade:
      replacement = ShadeFill(bgr, mask, seed);
      break;
    default:
      replacement = InpaintFill(bgr, mask);
      break;
  }
  // Feather the seam over a few pixels, as editing tools blend their fill.
  cv::Mat alpha;
  mask.convertTo(alpha, CV_32F, 1.0 / 255);
  cv::GaussianBlur(alpha, alpha, cv::Size(), std::max(1.0, 0.004 * std::min(bgr.cols, bgr.rows)));
  cv::Mat out(bgr.size(), CV_8UC3);
  for (int y = 0; y < bgr.rows; ++y) {
    const float* a = alpha.ptr<float>(y);
    const auto* p = bgr.ptr<cv::Vec3b>(y);
    const auto* r = replacement.ptr<cv::Vec3b>(y);
    auto* o = out.ptr<cv::Vec3b>(y);
    for (int x = 0; x < bgr.cols; ++x) {
      for (int c = 0; c < 3; ++c) {
        o[x][c] = cv::saturate_cast<uint8_t>(p[x][c] * (1 - a[x]) + r[x][c] * a[x]);
      }
    }
  }
  return out;
}

std::string FaceCascadePath() {
  for (const char* path : {"/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml",
                           "/usr/share/opencv/haarcascades/haarcascade_frontalface_default.xml"}) {
    std::error_code ec;
    if (std::filesystem::is_regular_file(path, ec)) return path;
  }
  return "";
}

std::optional<cv::Rect> FindLargestFace(const cv::Mat& bgr) {
  // CascadeClassifier is not safe to share between threads: one per thread, loaded once.
  thread_local std::unique_ptr<cv::CascadeClassifier> detector;
  thread_local bool tried = false;
  if (!tried) {
    tried = true;
    const std::string path = FaceCascadePath();
    if (!path.empty()) {
      auto d = std::make_unique<cv::CascadeClassifier>();
      if (d->load(path)) detector = std::move(d);
    }
  }
  if (detector == nullptr || bgr.empty()) return std::nullopt;
  const double s = std::min(1.0, 800.0 / bgr.cols);
  cv::Mat grey, small;
  cv::cvtColor(bgr, grey, cv::COLOR_BGR2GRAY);
  cv::resize(grey, small, cv::Size(), s, s, cv::INTER_AREA);
  cv::equalizeHist(small, small);
  std::vector<cv::Rect> faces;
  detector->detectMultiScale(small, faces, 1.1, 5, 0, cv::Size(24, 24));
  if (faces.empty()) return std::nullopt;
  const cv::Rect best =
      *std::max_element(faces.begin(), faces.end(),
                        [](const cv::Rect& a, const cv::Rect& b) { return a.area() < b.area(); });
  return cv::Rect(static_cast<int>(best.x / s), static_cast<int>(best.y / s),
                  static_cast<int>(best.width / s), static_cast<int>(best.height / s));
}

Step RegenerationStep(RegenFill fill, double area_fraction) {
  return [fill, area_fraction](Staged& s, const TransformContext& ctx, uint64_t seed) -> Status {
    WARDEN_ASSIGN_OR_RETURN(cv::Mat in, StagedPixels(s));
    RegenFill chosen = fill;
    if (chosen == RegenFill::kSeeded) {
      chosen = static_cast<RegenFill>(MixSeed(seed, 7) % 3);  // texture, shade or inpaint
    }
    std::optional<cv::Rect> face = ctx.face;
    s.mask = BodyRegionMask(in.size(), face, area_fraction);
    s.mask_fraction = area_fraction;
    SetPixels(s, FillRegion(in, s.mask, chosen, ctx.donor, seed));
    // The texture fill takes the donor's pixels (colour-matched) when there is one.
    if (chosen == RegenFill::kTexture && ctx.donor != nullptr && !ctx.donor->empty()) {
      s.used_donor = true;
    }
    return Status::Ok();
  };
}

}  // namespace warden::eval
