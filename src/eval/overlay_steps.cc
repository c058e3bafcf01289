// Steps that draw over or around the picture: captions, text, a sticker, watermarks, a
// collage and a phone screenshot. Text uses OpenCV's Hershey fonts; every choice of words,
// colour and position comes from the step's seed.
#include <algorithm>
#include <cmath>
#include <string>

#include <opencv2/imgproc.hpp>

#include "src/eval/transform_steps.h"

namespace warden::eval {
namespace {

constexpr const char* kPhrases[] = {
    "WHEN THE WIFI COMES BACK", "MONDAY MOOD",       "NOBODY:",
    "ME AFTER ONE COFFEE",      "WEEKEND PLANS",     "THIS IS FINE",
    "SEND THIS TO A FRIEND",    "LOOK AT THIS VIEW", "BEST DAY EVER",
};
constexpr int kPhraseCount = sizeof(kPhrases) / sizeof(kPhrases[0]);

struct FittedText {
  double scale = 1;
  int thickness = 1;
  cv::Size size;
  int baseline = 0;
};

// The largest Hershey text that fits max_w x max_h, with a stroke that grows with it.
FittedText FitText(const std::string& text, int font, double max_w, double max_h) {
  FittedText f;
  int baseline = 0;
  const cv::Size unit = cv::getTextSize(text, font, 1.0, 2, &baseline);
  f.scale = std::max(0.1, std::min(max_w / unit.width, max_h / (unit.height + baseline)));
  f.thickness = std::max(1, static_cast<int>(std::lround(f.scale * 2)));
  f.size = cv::getTextSize(text, font, f.scale, f.thickness, &f.baseline);
  return f;
}

void DrawCentred(cv::Mat& img, const std::string& text, int font, cv::Rect box, cv::Scalar colour,
                 int outline, cv::Scalar outline_colour) {
  const FittedText f = FitText(text, font, box.width * 0.9, box.height * 0.8);
  const cv::Point org(box.x + (box.width - f.size.width) / 2,
                      box.y + (box.height + f.size.height) / 2 - f.baseline / 2);
  if (outline > 0) {
    cv::putText(img, text, org, font, f.scale, outline_colour, f.thickness + 2 * outline,
                cv::LINE_AA);
  }
  cv::putText(img, text, org, font, f.scale, colour, f.thickness, cv::LINE_AA);
}

// Moves a regeneration mask with pixels placed into a larger canvas: `rect` is where the old
// image now lies, scaled to rect's size.
void PlaceMask(Staged& s, cv::Size old_size, cv::Size canvas, cv::Rect rect) {
  if (s.mask.empty() || s.mask.size() != old_size) return;
  cv::Mat moved = cv::Mat::zeros(canvas, CV_8UC1), scaled;
  cv::resize(s.mask, scaled, rect.size(), 0, 0, cv::INTER_NEAREST);
  scaled.copyTo(moved(rect));
  s.mask = moved;
}

// Blends `colour` into `img` where `alpha` (CV_8UC1, 0..255) says, by alpha * opacity.
void BlendColour(cv::Mat& img, const cv::Mat& alpha, cv::Scalar colour, double opacity) {
  for (int y = 0; y < img.rows; ++y) {
    const uint8_t* a = alpha.ptr<uint8_t>(y);
    auto* p = img.ptr<cv::Vec3b>(y);
    for (int x = 0; x < img.cols; ++x) {
      if (a[x] == 0) continue;
      const double t = a[x] / 255.0 * opacity;
      for (int c = 0; c < 3; ++c) {
        p[x][c] = cv::saturate_cast<uint8_t>(p[x][c] * (1 - t) + colour[c] * t);
      }
    }
  }
}

}  // namespace

Step CaptionStep() {
  return [](Staged& s, const TransformContext&, uint64_t seed) -> Status {
    WARDEN_ASSIGN_OR_RETURN(cv::Mat in, StagedPixels(s));
    const int bar = std::max(1, static_cast<int>(std::lround(in.rows * 0.2)));
    cv::Mat out(in.rows + bar, in.cols, CV_8UC3, cv::Scalar::all(255));
    in.copyTo(out(cv::Rect(0, bar, in.cols, in.rows)));
    DrawCentred(out, kPhrases[seed % kPhraseCount], cv::FONT_HERSHEY_DUPLEX,
                cv::Rect(0, 0, in.cols, bar), cv::Scalar::all(0), 0, cv::Scalar());
    PlaceMask(s, in.size(), out.size(), cv::Rect(0, bar, in.cols, in.rows));
    SetPixels(s, out);
    return Status::Ok();
  };
}

Step TextLinesStep() {
  return [](Staged& s, const TransformContext&, uint64_t seed) -> Status {
    WARDEN_ASSIGN_OR_RETURN(cv::Mat in, StagedPixels(s));
    cv::Mat out = in.clone();
    const int band = std::max(1, in.rows / 4);
    for (int line = 0; line < 3; ++line) {
      const std::string text = kPhrases[(seed + line * 3) % kPhraseCount];
      const cv::Rect box(0, (line + 1) * in.rows / 4 - band / 2, in.cols, band);
      DrawCentred(out, text, cv::FONT_HERSHEY_SIMPLEX, box, cv::Scalar::all(255),
                  std::max(1, in.rows / 200), cv::Scalar::all(0));
    }
    SetPixels(s, out);
    return Status::Ok();
  };
}

Step StickerStep(double area_fraction) {
  return [area_fraction](Staged& s, const TransformContext&, uint64_t seed) -> Status {
    WARDEN_ASSIGN_OR_RETURN(cv::Mat in, StagedPixels(s));
    cv::Mat out = in.clone();
    const double area = area_fraction * in.cols * in.rows;
    // A round sticker when it fits, else an ellipse with the picture's proportions (which
    // always fits: its axes are 17.8% of each side for 10%).
    double rx = std::sqrt(area / CV_PI), ry = rx;
    if (2 * rx > 0.95 * std::min(in.cols, in.rows)) {
      rx = in.cols * std::sqrt(area_fraction / CV_PI);
      ry = in.rows * std::sqrt(area_fraction / CV_PI);
    }
    const uint64_t a = MixSeed(seed, 1), b = MixSeed(seed, 2);
    const double free_x = std::max(0.0, in.cols - 2 * rx), free_y = std::max(0.0, in.rows - 2 * ry);
    const cv::Point centre(static_cast<int>(rx + free_x * (a % 1000) / 999.0),
                           static_cast<int>(ry + free_y * (b % 1000) / 999.0));
    const cv::Size axes(std::max(1, static_cast<int>(rx)), std::max(1, static_cast<int>(ry)));
    cv::ellipse(out, centre, axes, 0, 0, 360, cv::Scalar(40, 210, 250), cv::FILLED, cv::LINE_AA);
    cv::ellipse(out, centre, axes, 0, 0, 360, cv::Scalar(20, 60, 90), std::max(1, axes.width / 20),
                cv::LINE_AA);
    // Eyes and a smile, so it reads as the emoji stickers people put on photos.
    const cv::Size eye(std::max(1, axes.width / 8), std::max(1, axes.height / 5));
    for (int side : {-1, 1}) {
      cv::ellipse(out, centre + cv::Point(side * axes.width / 3, -axes.height / 4), eye, 0, 0, 360,
                  cv::Scalar(30, 30, 30), cv::FILLED, cv::LINE_AA);
    }
    cv::ellipse(out, centre + cv::Point(0, axes.height / 8),
                cv::Size(std::max(1, axes.width / 2), std::max(1, axes.height / 2)), 0, 20, 160,
                cv::Scalar(30, 30, 30), std::max(1, axes.width / 15), cv::LINE_AA);
    SetPixels(s, out);
    return Status::Ok();
  };
}

Step WatermarkStep() {
  return [](Staged& s, const TransformContext&, uint64_t) -> Status {
    WARDEN_ASSIGN_OR_RETURN(cv::Mat in, StagedPixels(s));
    cv::Mat out = in.clone();
    cv::Mat alpha = cv::Mat::zeros(in.size(), CV_8UC1);
    DrawCentred(alpha, "(c) PHOTOSHARE", cv::FONT_HERSHEY_DUPLEX,
                cv::Rect(0, in.rows / 3, in.cols, in.rows / 3), cv::Scalar(255), 0, cv::Scalar());
    BlendColour(out, alpha, cv::Scalar::all(255), 0.5);
    SetPixels(s, out);
    return Status::Ok();
  };
}

Step ThornWatermarkStep() {
  return [](Staged& s, const TransformContext&, uint64_t) -> Status {
    WARDEN_ASSIGN_OR_RETURN(cv::Mat in, StagedPixels(s));
    // Thorn's parameters: "TEST" in FONT_HERSHEY_SIMPLEX, thickness 5, scaled so the text is
    // 20% of the width, drawn at (text height, height - text height) in black at alpha 200.
    int baseline = 0;
    const cv::Size unit = cv::getTextSize("TEST", cv::FONT_HERSHEY_SIMPLEX, 5, 5, &baseline);
    const double corr = 0.2 * in.cols / unit.width;
    const double text_h = unit.height * corr;
    cv::Mat alpha = cv::Mat::zeros(in.size(), CV_8UC1);
    cv::putText(alpha, "TEST",
                cv::Point(static_cast<int>(text_h), static_cast<int>(in.rows - text_h)),
                cv::FONT_HERSHEY_SIMPLEX, 5 * corr, cv::Scalar(200), 5);
    cv::Mat out(in.size(), in.type());
    for (int y = 0; y < in.rows; ++y) {
      const uint8_t* a = alpha.ptr<uint8_t>(y);
      const auto* p = in.ptr<cv::Vec3b>(y);
      auto* q = out.ptr<cv::Vec3b>(y);
      for (int x = 0; x < in.cols; ++x) {
        for (int c = 0; c < 3; ++c) q[x][c] = static_cast<uint8_t>(p[x][c] * (255 - a[x]) / 255);
      }
    }
    SetPixels(s, out);
    return Status::Ok();
  };
}

Step CollageStep() {
  return [](Staged& s, const TransformContext& ctx, uint64_t seed) -> Status {
    WARDEN_ASSIGN_OR_RETURN(cv::Mat in, StagedPixels(s));
    cv::Mat other;
    if (ctx.donor != nullptr && !ctx.donor->empty()) {
      // The other photo, scaled to cover the same size and centre-cropped.
      const cv::Mat& d = *ctx.donor;
      const double k =
          std::max(static_cast<double>(in.cols) / d.cols, static_cast<double>(in.rows) / d.rows);
      cv::Mat scaled;
      cv::resize(d, scaled,
                 cv::Size(std::max(in.cols, static_cast<int>(std::ceil(d.cols * k))),
                          std::max(in.rows, static_cast<int>(std::ceil(d.rows * k)))),
                 0, 0, cv::INTER_AREA);
      other = scaled(cv::Rect((scaled.cols - in.cols) / 2, (scaled.rows - in.rows) / 2, in.cols,
                              in.rows))
                  .clone();
      s.used_donor = true;
    } else {
      other = cv::Mat(in.size(), CV_8UC3, cv::Scalar::all(128));
    }
    cv::Mat out;
    if (seed % 2 == 0)
      cv::hconcat(in, other, out);
    else
      cv::hconcat(other, in, out);
    SetPixels(s, out);
    return Status::Ok();
  };
}

Step ScreenshotStep() {
  return [](Staged& s, const TransformContext&, uint64_t seed) -> Status {
    WARDEN_ASSIGN_OR_RETURN(cv::Mat in, StagedPixels(s));
    constexpr int kW = 720, kH = 1560, kStatus = 72, kHeader = 112, kNav = 120;
    const bool dark = seed % 2 == 1;
    const cv::Scalar bg = dark ? cv::Scalar::all(18) : cv::Scalar::all(250);
    const cv::Scalar fg = dark ? cv::Scalar::all(235) : cv::Scalar::all(20);
    cv::Mat out(kH, kW, CV_8UC3, bg);
    // Status bar: clock, signal bars, battery.
    cv::rectangle(out, cv::Rect(0, 0, kW, kStatus),
                  dark ? cv::Scalar::all(0) : cv::Scalar::all(235), cv::FILLED);
    cv::putText(out, "9:41", cv::Point(28, 48), cv::FONT_HERSHEY_SIMPLEX, 1.0, fg, 2, cv::LINE_AA);
    for (int i = 0; i < 4; ++i) {
      cv::rectangle(out, cv::Rect(560 + i * 12, 48 - 8 * (i + 1), 8, 8 * (i + 1)), fg, cv::FILLED);
    }
    cv::rectangle(out, cv::Rect(625, 26, 56, 26), fg, 2);
    cv::rectangle(out, cv::Rect(629, 30, 38, 18), fg, cv::FILLED);
    // App header: a back arrow and a title.
    cv::line(out, cv::Point(30, kStatus + 56), cv::Point(60, kStatus + 30), fg, 4, cv::LINE_AA);
    cv::line(out, cv::Point(30, kStatus + 56), cv::Point(60, kStatus + 82), fg, 4, cv::LINE_AA);
    cv::putText(out, "Photos", cv::Point(90, kStatus + 70), cv::FONT_HERSHEY_DUPLEX, 1.3, fg, 2,
                cv::LINE_AA);
    // Navigation bar: back, home, recents.
    const int nav_y = kH - kNav;
    cv::rectangle(out, cv::Rect(0, nav_y, kW, kNav), cv::Scalar::all(0), cv::FILLED);
    const cv::Scalar icon = cv::Scalar::all(220);
    const cv::Point tri[3] = {{150, nav_y + 60}, {185, nav_y + 40}, {185, nav_y + 80}};
    cv::polylines(out, std::vector<cv::Point>(tri, tri + 3), true, icon, 3, cv::LINE_AA);
    cv::circle(out, cv::Point(kW / 2, nav_y + 60), 22, icon, 3, cv::LINE_AA);
    cv::rectangle(out, cv::Rect(535, nav_y + 40, 40, 40), icon, 3, cv::LINE_AA);
    // The picture, fitted into the content area with its proportions.
    const int top = kStatus + kHeader, avail_h = nav_y - top;
    const double k =
        std::min(static_cast<double>(kW) / in.cols, static_cast<double>(avail_h) / in.rows);
    const int w = std::max(1, static_cast<int>(std::lround(in.cols * k)));
    const int h = std::max(1, static_cast<int>(std::lround(in.rows * k)));
    const cv::Rect place((kW - w) / 2, top + (avail_h - h) / 2, w, h);
    cv::Mat scaled;
    cv::resize(in, scaled, place.size(), 0, 0, k < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
    scaled.copyTo(out(place));
    PlaceMask(s, in.size(), out.size(), place);
    SetPixels(s, out);
    return Status::Ok();
  };
}

}  // namespace warden::eval
