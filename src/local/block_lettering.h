// Block lettering for the tests and benchmarks of the overlay-removed view
// (src/local/local_overlay.h): three lines of "glyphs" of two or three bars each across a
// picture, at a quarter, half and three quarters of its height, as meme captions are laid out.
// Only the geometry: callers draw every bar as a white fill in a black outline (into pixels, or
// as ImageMagick rectangles). Deterministic for a seed.
#ifndef WARDEN_SRC_LOCAL_BLOCK_LETTERING_H_
#define WARDEN_SRC_LOCAL_BLOCK_LETTERING_H_

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

namespace warden::local {

struct LetteringBar {
  int x0 = 0, y0 = 0, x1 = 0, y1 = 0;  // [x0, x1) x [y0, y1), pixels
};

// Glyphs height / size_divisor high (at least 8 pixels), strokes a sixth of that (at least 2),
// between 5% margins; about one glyph in six is a space.
inline std::vector<LetteringBar> BlockLettering(int width, int height, uint32_t seed,
                                                int size_divisor) {
  std::mt19937 rng(seed);
  const int glyph_h = std::max(8, height / size_divisor), stroke = std::max(2, glyph_h / 6);
  const int glyph_w = glyph_h * 2 / 3, pitch = glyph_w + glyph_h / 3;
  std::vector<LetteringBar> bars;
  for (int line = 1; line <= 3; ++line) {
    const int top = line * height / 4 - glyph_h / 2;
    for (int x = width / 20; x + glyph_w < width - width / 20; x += pitch) {
      if (rng() % 6 == 0) continue;                         // a space
      bars.push_back({x, top, x + stroke, top + glyph_h});  // stem
      if (rng() % 2 == 0) bars.push_back({x, top, x + glyph_w, top + stroke});
      if (rng() % 2 == 0) {
        bars.push_back({x, top + glyph_h - stroke, x + glyph_w, top + glyph_h});
      } else {
        bars.push_back({x + glyph_w - stroke, top, x + glyph_w, top + glyph_h});
      }
    }
  }
  return bars;
}

}  // namespace warden::local

#endif  // WARDEN_SRC_LOCAL_BLOCK_LETTERING_H_
