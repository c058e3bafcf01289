// A grouped bar chart rendered to PNG bytes: recall.png of `warden eval`, one group of bars
// per transform family, one bar per signal. Drawn with OpenCV's rasteriser (rectangles and
// Hershey text) and written by its libpng encoder; no plotting stack.
//
// Thread safety: reentrant.
#ifndef WARDEN_SRC_EVAL_BAR_CHART_H_
#define WARDEN_SRC_EVAL_BAR_CHART_H_

#include <cstdint>
#include <string>
#include <vector>

#include "warden/status.h"

namespace warden::eval {

struct BarChart {
  std::string title;
  std::string y_label;                      // e.g. "recall at FPR 1e-4 (%)"
  std::vector<std::string> groups;          // x axis, e.g. families
  std::vector<std::string> series;          // legend, e.g. signals
  std::vector<std::vector<double>> values;  // [group][series], each in 0..1
};

// Width grows with the number of groups; height is fixed (720 px). Values outside 0..1 are
// clamped. Errors: kInvalidArgument when values' shape does not match groups x series;
// kInternal when the encoder fails.
Result<std::vector<uint8_t>> RenderBarChartPng(const BarChart& chart);

}  // namespace warden::eval

#endif  // WARDEN_SRC_EVAL_BAR_CHART_H_
