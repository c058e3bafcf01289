#include "src/eval/bar_chart.h"

#include <algorithm>
#include <cstdio>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "src/eval/cv_image.h"

namespace warden::eval {

Result<std::vector<uint8_t>> RenderBarChartPng(const BarChart& chart) {
  if (chart.values.size() != chart.groups.size()) {
    return Status::InvalidArgument("bar chart: " + std::to_string(chart.values.size()) +
                                   " value rows for " + std::to_string(chart.groups.size()) +
                                   " groups");
  }
  for (const auto& row : chart.values) {
    if (row.size() != chart.series.size()) {
      return Status::InvalidArgument("bar chart: a value row does not have one value per series");
    }
  }
  const int n_groups = std::max<int>(1, static_cast<int>(chart.groups.size()));
  const int n_series = std::max<int>(1, static_cast<int>(chart.series.size()));
  const int bar_w = 22, group_gap = 26;
  const int group_w = n_series * bar_w + group_gap;
  const int left = 90, right = 40, top = 90, bottom = 150;
  const int plot_h = 720 - top - bottom;
  const int width = std::max(720, left + right + n_groups * group_w);
  cv::Mat img(720, width, CV_8UC3, cv::Scalar::all(255));
  const cv::Scalar ink(40, 40, 40), grid(225, 225, 225);
  // Colour-blind-safe palette (Okabe-Ito), BGR.
  static const cv::Scalar kColours[] = {{0, 159, 230}, {178, 114, 0},   {115, 158, 0},
                                        {0, 94, 213},  {167, 121, 204}, {233, 180, 86},
                                        {66, 228, 240}};
  const int font = cv::FONT_HERSHEY_SIMPLEX;

  cv::putText(img, chart.title, cv::Point(left, 40), font, 0.8, ink, 2, cv::LINE_AA);
  // Y axis: gridlines every 10%.
  for (int pct = 0; pct <= 100; pct += 10) {
    const int y = top + plot_h - plot_h * pct / 100;
    cv::line(img, cv::Point(left, y), cv::Point(width - right, y), pct == 0 ? ink : grid, 1);
    char label[8];
    std::snprintf(label, sizeof(label), "%d", pct);
    cv::putText(img, label, cv::Point(left - 40, y + 5), font, 0.45, ink, 1, cv::LINE_AA);
  }
  cv::putText(img, chart.y_label, cv::Point(10, top - 20), font, 0.5, ink, 1, cv::LINE_AA);
  // Bars.
  for (int g = 0; g < static_cast<int>(chart.groups.size()); ++g) {
    const int x0 = left + group_gap / 2 + g * group_w;
    for (int s = 0; s < static_cast<int>(chart.series.size()); ++s) {
      const double v = std::clamp(chart.values[g][s], 0.0, 1.0);
      const int h = static_cast<int>(plot_h * v + 0.5);
      const cv::Rect bar(x0 + s * bar_w, top + plot_h - h, bar_w - 3, std::max(h, 1));
      cv::rectangle(img, bar, kColours[s % 7], cv::FILLED);
    }
    // Group label, rotated by drawing on a strip and turning it.
    const std::string& text = chart.groups[g];
    int baseline = 0;
    const cv::Size ts = cv::getTextSize(text, font, 0.5, 1, &baseline);
    cv::Mat strip(ts.height + baseline + 4, ts.width + 4, CV_8UC3, cv::Scalar::all(255));
    cv::putText(strip, text, cv::Point(2, ts.height + 2), font, 0.5, ink, 1, cv::LINE_AA);
    cv::Mat turned;
    cv::rotate(strip, turned, cv::ROTATE_90_COUNTERCLOCKWISE);
    const int lx = x0 + (n_series * bar_w - turned.cols) / 2, ly = top + plot_h + 8;
    const cv::Rect dst(lx, ly, std::min(turned.cols, width - lx),
                       std::min(turned.rows, img.rows - ly));
    if (dst.width > 0 && dst.height > 0 && lx >= 0) {
      turned(cv::Rect(0, 0, dst.width, dst.height)).copyTo(img(dst));
    }
  }
  // Legend.
  int lx = left + 420;
  for (int s = 0; s < static_cast<int>(chart.series.size()); ++s) {
    cv::rectangle(img, cv::Rect(lx, 55, 16, 16), kColours[s % 7], cv::FILLED);
    cv::putText(img, chart.series[s], cv::Point(lx + 22, 69), font, 0.55, ink, 1, cv::LINE_AA);
    int baseline = 0;
    lx += 40 + cv::getTextSize(chart.series[s], font, 0.55, 1, &baseline).width;
  }
  // A chart is committed to the repository: compress it (the queries' stored-block PNG writer
  // would make it 2 MB).
  std::vector<uint8_t> png;
  try {
    if (!cv::imencode(".png", img, png, {cv::IMWRITE_PNG_COMPRESSION, 9})) {
      return Status::Internal("bar chart: OpenCV could not encode the PNG");
    }
  } catch (const cv::Exception& e) {
    return Status::Internal(std::string("bar chart: OpenCV: ") + e.what());
  }
  return png;
}

}  // namespace warden::eval
