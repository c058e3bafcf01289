#include "src/hash/fast_grid.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace warden {
namespace {

constexpr int kGrid = 64;

Image GreyImage(int width, int height, uint32_t seed) {
  Image image;
  image.width = width;
  image.height = height;
  image.channels = 1;
  image.format = ImageFormat::kJpeg;
  image.pixels.resize(static_cast<size_t>(width) * height);
  std::mt19937 rng(seed);
  // Smooth structure plus noise, so neighbouring taps see different values.
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const double v =
          128 + 60 * std::sin(x * 0.21) * std::cos(y * 0.13) + static_cast<double>(rng() % 61) - 30;
      image.pixels[static_cast<size_t>(y) * width + x] =
          static_cast<uint8_t>(std::clamp(v, 0.0, 255.0));
    }
  }
  return image;
}

// PDQ.md step 3's 1-D box of window w over one line, in double.
std::vector<double> Box(const std::vector<double>& in, int w) {
  const int n = static_cast<int>(in.size());
  const int half = (w + 2) / 2;
  std::vector<double> out(in.size());
  for (int i = 0; i < n; ++i) {
    const int lo = std::max(0, i - (w - half));
    const int hi = std::min(n - 1, i + half - 1);
    double sum = 0;
    for (int x = lo; x <= hi; ++x) sum += in[x];
    out[i] = sum / (hi - lo + 1);
  }
  return out;
}

// What the grid stands for, computed the slow way: upsample the scaled image to the full size
// by linear interpolation between scaled pixel centres, blur it as fullres does (two passes of
// the box along both axes) and read the 64 x 64 decimation points.
std::vector<double> ReferenceGrid(const Image& scaled, int full_w, int full_h, int denom) {
  const int ws = scaled.width, hs = scaled.height;
  auto interp = [denom](int x, int ns, int& a, int& b) {
    const double u = (x + 0.5) / denom - 0.5;
    const double j0 = std::floor(u);
    a = std::clamp(static_cast<int>(j0), 0, ns - 1);
    b = std::clamp(static_cast<int>(j0) + 1, 0, ns - 1);
    return u - j0;
  };
  std::vector<std::vector<double>> rows(full_h, std::vector<double>(full_w));
  for (int y = 0; y < full_h; ++y) {
    int ya, yb;
    const double fy = interp(y, hs, ya, yb);
    for (int x = 0; x < full_w; ++x) {
      int xa, xb;
      const double fx = interp(x, ws, xa, xb);
      auto at = [&](int yy, int xx) { return static_cast<double>(scaled.row(yy)[xx]); };
      const double top = (1 - fx) * at(ya, xa) + fx * at(ya, xb);
      const double bottom = (1 - fx) * at(yb, xa) + fx * at(yb, xb);
      rows[y][x] = (1 - fy) * top + fy * bottom;
    }
  }
  const int wx = (full_w + 127) / 128, wy = (full_h + 127) / 128;
  for (auto& row : rows) row = Box(Box(row, wx), wx);
  std::vector<double> grid(kGrid * kGrid);
  for (int j = 0; j < kGrid; ++j) {
    const int x = static_cast<int>(((j + 0.5) * full_w) / kGrid);
    std::vector<double> column(full_h);
    for (int y = 0; y < full_h; ++y) column[y] = rows[y][x];
    column = Box(Box(column, wy), wy);
    for (int i = 0; i < kGrid; ++i) {
      grid[i * kGrid + j] = column[static_cast<int>(((i + 0.5) * full_h) / kGrid)];
    }
  }
  return grid;
}

struct Case {
  int full_w, full_h, denom;
};

TEST(FastGridTest, MatchesTheFullresOperatorOnTheUpsampledImage) {
  // 1/2 of a 256 px square (the benchmark's small JPEG), 1/8 of a photo, odd sizes whose last
  // scaled pixel covers a partial block, and a 1/4 case.
  const Case cases[] = {
      {256, 256, 2}, {1000, 700, 8}, {300, 130, 2}, {517, 263, 4}, {1201, 803, 8}};
  uint32_t seed = 1;
  for (const Case& c : cases) {
    const int ws = (c.full_w + c.denom - 1) / c.denom, hs = (c.full_h + c.denom - 1) / c.denom;
    const Image scaled = GreyImage(ws, hs, seed++);
    float grid[kGrid * kGrid];
    EmulateFullresGrid(scaled, c.full_w, c.full_h, grid);
    const std::vector<double> expected = ReferenceGrid(scaled, c.full_w, c.full_h, c.denom);
    double worst = 0;
    for (int k = 0; k < kGrid * kGrid; ++k)
      worst = std::max(worst, std::fabs(grid[k] - expected[k]));
    EXPECT_LT(worst, 2e-3) << c.full_w << "x" << c.full_h << " at 1/" << c.denom;
  }
}

TEST(FastGridTest, ConstantImageGivesConstantGrid) {
  Image scaled = GreyImage(160, 90, 7);
  std::fill(scaled.pixels.begin(), scaled.pixels.end(), uint8_t{77});
  const std::vector<float> grid = EmulateFullresGrid(scaled, 1280, 720);
  ASSERT_EQ(grid.size(), static_cast<size_t>(kGrid * kGrid));
  for (float v : grid) EXPECT_NEAR(v, 77.0f, 1e-3f);
}

TEST(FastGridTest, RgbIsConvertedToLuma) {
  const Image grey = GreyImage(128, 128, 3);
  Image rgb = grey;
  rgb.channels = 3;
  rgb.pixels.resize(grey.pixels.size() * 3);
  for (size_t k = 0; k < grey.pixels.size(); ++k) {
    rgb.pixels[3 * k] = rgb.pixels[3 * k + 1] = rgb.pixels[3 * k + 2] = grey.pixels[k];
  }
  const std::vector<float> a = EmulateFullresGrid(grey, 256, 256);
  const std::vector<float> b = EmulateFullresGrid(rgb, 256, 256);
  for (int k = 0; k < kGrid * kGrid; ++k) EXPECT_NEAR(a[k], b[k], 1e-3f) << k;
}

TEST(FastGridTest, CachedAxisPlansGiveTheSameGridAfterEviction) {
  // More sizes than the per-thread cache holds, twice over: every grid must equal the first
  // one computed for its size, bit for bit.
  const Case cases[] = {{256, 256, 2}, {1000, 700, 8}, {300, 130, 2},
                        {517, 263, 4}, {640, 480, 4},  {1201, 803, 8}};
  std::vector<Image> images;
  std::vector<std::vector<float>> first;
  uint32_t seed = 11;
  for (const Case& c : cases) {
    images.push_back(
        GreyImage((c.full_w + c.denom - 1) / c.denom, (c.full_h + c.denom - 1) / c.denom, seed++));
    first.push_back(EmulateFullresGrid(images.back(), c.full_w, c.full_h));
  }
  for (int round = 0; round < 2; ++round) {
    for (size_t n = 0; n < images.size(); ++n) {
      float grid[kGrid * kGrid];
      EmulateFullresGrid(images[n], cases[n].full_w, cases[n].full_h, grid);
      EXPECT_TRUE(std::equal(grid, grid + kGrid * kGrid, first[n].begin())) << n;
    }
  }
}

}  // namespace
}  // namespace warden
