#include "src/local/local_overlay.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace warden::local {
namespace {

// 1 where some pixel within Chebyshev distance `r` has flag 1: a sliding window along each row,
// then down the columns with a running count per column (row by row, so memory is read in
// order).
std::vector<uint8_t> Near(const std::vector<uint8_t>& flag, int w, int h, int r) {
  std::vector<uint8_t> rows(flag.size()), out(flag.size());
  std::vector<int> prefix(static_cast<size_t>(w) + 1);
  for (int y = 0; y < h; ++y) {
    const uint8_t* f = flag.data() + static_cast<size_t>(y) * w;
    uint8_t* o = rows.data() + static_cast<size_t>(y) * w;
    for (int x = 0; x < w; ++x) prefix[x + 1] = prefix[x] + f[x];
    for (int x = 0; x < w; ++x) {
      o[x] = prefix[std::min(w - 1, x + r) + 1] - prefix[std::max(0, x - r)] > 0;
    }
  }
  // count[x]: rows y - r .. y + r (within the image) of column x with a row hit.
  std::vector<int> count(static_cast<size_t>(w), 0);
  for (int y = 0; y <= std::min(h - 1, r); ++y) {
    const uint8_t* row = rows.data() + static_cast<size_t>(y) * w;
    for (int x = 0; x < w; ++x) count[x] += row[x];
  }
  for (int y = 0; y < h; ++y) {
    uint8_t* o = out.data() + static_cast<size_t>(y) * w;
    for (int x = 0; x < w; ++x) o[x] = count[x] > 0;
    if (y + r + 1 < h) {
      const uint8_t* add = rows.data() + static_cast<size_t>(y + r + 1) * w;
      for (int x = 0; x < w; ++x) count[x] += add[x];
    }
    if (y - r >= 0) {
      const uint8_t* drop = rows.data() + static_cast<size_t>(y - r) * w;
      for (int x = 0; x < w; ++x) count[x] -= drop[x];
    }
  }
  return out;
}

// One 4-neighbour dilation step.
void Widen(std::vector<uint8_t>& mask, int w, int h) {
  std::vector<uint8_t> next = mask;
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const size_t i = static_cast<size_t>(y) * w + x;
      if (mask[i] != 0) continue;
      if ((x > 0 && mask[i - 1] != 0) || (x + 1 < w && mask[i + 1] != 0) ||
          (y > 0 && mask[i - w] != 0) || (y + 1 < h && mask[i + w] != 0)) {
        next[i] = 1;
      }
    }
  }
  mask.swap(next);
}

}  // namespace

std::vector<uint8_t> OverlayMask(const GreyImage& image) {
  const int w = image.width, h = image.height;
  const size_t n = image.pixels.size();
  std::vector<uint8_t> bright(n), dark(n);
  for (size_t i = 0; i < n; ++i) {
    bright[i] = image.pixels[i] >= kOverlayBright;
    dark[i] = image.pixels[i] <= kOverlayDark;
  }
  const int r = std::max(2, std::min(w, h) / kOverlayRadiusDivisor);
  const std::vector<uint8_t> near_dark = Near(dark, w, h, r);
  const std::vector<uint8_t> near_bright = Near(bright, w, h, r);
  std::vector<uint8_t> mask(n);
  for (size_t i = 0; i < n; ++i) {
    mask[i] = (bright[i] != 0 && near_dark[i] != 0) || (dark[i] != 0 && near_bright[i] != 0);
  }
  for (int step = 0; step < OverlayWidening(w, h); ++step) Widen(mask, w, h);
  return mask;
}

void FillMasked(GreyImage& image, const std::vector<uint8_t>& mask) {
  const int w = image.width, h = image.height;
  // layer: 0 unmasked, k >= 1 filled in layer k, -1 not reached yet.
  std::vector<int32_t> layer(mask.size());
  for (size_t i = 0; i < mask.size(); ++i) layer[i] = mask[i] != 0 ? -1 : 0;
  auto for_neighbours = [&](int x, int y, auto&& f) {
    for (int dy = -1; dy <= 1; ++dy) {
      for (int dx = -1; dx <= 1; ++dx) {
        const int xx = x + dx, yy = y + dy;
        if ((dx == 0 && dy == 0) || xx < 0 || yy < 0 || xx >= w || yy >= h) continue;
        f(static_cast<size_t>(yy) * w + xx);
      }
    }
  };
  std::vector<size_t> frontier;
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const size_t i = static_cast<size_t>(y) * w + x;
      if (layer[i] != -1) continue;
      bool edge = false;
      for_neighbours(x, y, [&](size_t j) { edge = edge || layer[j] == 0; });
      if (edge) frontier.push_back(i);
    }
  }
  for (size_t i : frontier) layer[i] = 1;
  for (int32_t k = 1; !frontier.empty(); ++k) {
    // Every pixel of layer k reads only layers < k, which are final: the order within a layer
    // does not matter.
    for (size_t i : frontier) {
      const int x = static_cast<int>(i % w), y = static_cast<int>(i / w);
      int sum = 0, count = 0;
      for_neighbours(x, y, [&](size_t j) {
        if (layer[j] >= 0 && layer[j] < k) {
          sum += image.pixels[j];
          ++count;
        }
      });
      image.pixels[i] = static_cast<uint8_t>((sum + count / 2) / count);
    }
    std::vector<size_t> next;
    for (size_t i : frontier) {
      const int x = static_cast<int>(i % w), y = static_cast<int>(i / w);
      for_neighbours(x, y, [&](size_t j) {
        if (layer[j] == -1) {
          layer[j] = k + 1;
          next.push_back(j);
        }
      });
    }
    frontier.swap(next);
  }
}

size_t OutlinedStrokePixels(const GreyImage& image) {
  const int w = image.width, h = image.height;
  const int r = std::max(kOverlayStrokeMinRadius, std::min(w, h) / kOverlayRadiusDivisor);
  std::vector<uint8_t> dark(image.pixels.size());
  for (size_t i = 0; i < dark.size(); ++i) dark[i] = image.pixels[i] <= kOverlayDark;
  // Only a bright pixel with a dark one within r at all can have one on both sides: the
  // directional walks below run at a photo's edges only, not over its bright areas.
  const std::vector<uint8_t> near_dark = Near(dark, w, h, r);
  auto is_dark = [&](int x, int y) {
    return x >= 0 && y >= 0 && x < w && y < h && dark[static_cast<size_t>(y) * w + x] != 0;
  };
  // Horizontal, vertical and both diagonals: dark within r on one side AND on the other.
  static constexpr int kDirections[4][2] = {{1, 0}, {0, 1}, {1, 1}, {1, -1}};
  size_t count = 0;
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const size_t i = static_cast<size_t>(y) * w + x;
      if (near_dark[i] == 0 || image.pixels[i] < kOverlayBright) continue;
      for (const auto& d : kDirections) {
        bool ahead = false, behind = false;
        for (int k = 1; k <= r && !ahead; ++k) ahead = is_dark(x + d[0] * k, y + d[1] * k);
        if (!ahead) continue;
        for (int k = 1; k <= r && !behind; ++k) behind = is_dark(x - d[0] * k, y - d[1] * k);
        if (behind) {
          ++count;
          break;
        }
      }
    }
  }
  return count;
}

std::optional<GreyImage> WithoutOverlay(const GreyImage& image) {
  if (image.width <= 0 || image.height <= 0) return std::nullopt;
  const size_t pixels = image.pixels.size();
  if (OutlinedStrokePixels(image) * kOverlayMinStrokeInverse < pixels) return std::nullopt;
  const std::vector<uint8_t> mask = OverlayMask(image);
  size_t masked = 0;
  for (uint8_t m : mask) masked += m;
  if (masked * kOverlayMinFractionInverse < pixels) return std::nullopt;
  GreyImage out = image;
  FillMasked(out, mask);
  return out;
}

}  // namespace warden::local
