#include "src/local/local_overlay.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <tuple>
#include <utility>
#include <vector>

#include "src/local/block_lettering.h"
#include "warden/image.h"
#include "warden/local_features.h"

namespace warden {
namespace {

using local::FillMasked;
using local::GreyImage;
using local::OverlayMask;
using local::WithoutOverlay;

GreyImage Ramp(int w, int h) {
  GreyImage g;
  g.width = w;
  g.height = h;
  g.pixels.resize(static_cast<size_t>(w) * h);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) g.pixels[static_cast<size_t>(y) * w + x] = 80 + (x + y) / 4;
  }
  return g;
}

void FillRect(std::vector<uint8_t>& pixels, int w, int h, int x0, int y0, int x1, int y1,
              uint8_t v) {
  for (int y = std::max(0, y0); y < std::min(h, y1); ++y) {
    for (int x = std::max(0, x0); x < std::min(w, x1); ++x) {
      pixels[static_cast<size_t>(y) * w + x] = v;
    }
  }
}

// A white bar [x0, x1) x [y0, y1) with a black outline `outline` pixels wide: one stroke of
// outlined lettering.
void OutlinedBar(std::vector<uint8_t>& pixels, int w, int h, int x0, int y0, int x1, int y1,
                 int outline) {
  FillRect(pixels, w, h, x0 - outline, y0 - outline, x1 + outline, y1 + outline, 0);
  FillRect(pixels, w, h, x0, y0, x1, y1, 255);
}

// Three lines of block lettering (src/local/block_lettering.h), outlined one pixel wide.
void DrawLettering(std::vector<uint8_t>& pixels, int w, int h, uint32_t seed,
                   int size_divisor = 12) {
  for (const local::LetteringBar& b : local::BlockLettering(w, h, seed, size_divisor)) {
    OutlinedBar(pixels, w, h, b.x0, b.y0, b.x1, b.y1, 1);
  }
}

// Random rectangles and ellipses in mid greys (90..179) over a ramp: a picture full of
// corners with no near-white or near-black pixel, so no overlay mask of its own.
Image MidGreyScene(int w, int h, uint32_t seed) {
  Image img;
  img.width = img.source_width = w;
  img.height = img.source_height = h;
  img.channels = 1;
  img.pixels.resize(static_cast<size_t>(w) * h);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) img.pixels[static_cast<size_t>(y) * w + x] = 100 + (x + y) % 50;
  }
  std::mt19937 rng(seed);
  for (int s = 0; s < 260; ++s) {
    const int cx = static_cast<int>(rng() % w), cy = static_cast<int>(rng() % h);
    const int rx = 3 + static_cast<int>(rng() % 30), ry = 3 + static_cast<int>(rng() % 30);
    const uint8_t v = static_cast<uint8_t>(90 + rng() % 90);
    const bool ellipse = rng() % 2 == 0;
    for (int y = std::max(0, cy - ry); y < std::min(h, cy + ry); ++y) {
      for (int x = std::max(0, cx - rx); x < std::min(w, cx + rx); ++x) {
        const double dx = static_cast<double>(x - cx) / rx, dy = static_cast<double>(y - cy) / ry;
        if (!ellipse || dx * dx + dy * dy <= 1) img.pixels[static_cast<size_t>(y) * w + x] = v;
      }
    }
  }
  return img;
}

TEST(OverlayMaskTest, MarksAnOutlinedStrokeAndItsEdgeOnly) {
  // The fill, the outline and two pixels of edge beyond it; one pixel in a picture whose
  // shorter side is under 200.
  for (const auto& [w, h, edge] : {std::tuple{300, 220, 2}, std::tuple{200, 120, 1}}) {
    GreyImage g = Ramp(w, h);
    OutlinedBar(g.pixels, g.width, g.height, 40, 50, 160, 56, 2);  // outline: rows 48..57
    const std::vector<uint8_t> mask = OverlayMask(g);
    ASSERT_EQ(mask.size(), g.pixels.size());
    auto at = [&](int x, int y) { return mask[static_cast<size_t>(y) * g.width + x]; };
    for (int y = 48 - edge; y <= 57 + edge; ++y) {
      for (int x = 40; x < 160; ++x) EXPECT_EQ(at(x, y), 1) << w << ": " << x << "," << y;
    }
    for (int x = 0; x < g.width; ++x) {
      EXPECT_EQ(at(x, 47 - edge), 0) << w << ": " << x;
      EXPECT_EQ(at(x, 58 + edge), 0) << w << ": " << x;
    }
    for (int y = 0; y < g.height; ++y) EXPECT_EQ(at(10, y), 0) << w << ": " << y;
  }
}

TEST(OverlayMaskTest, LeavesWhiteOrBlackAloneWithoutTheOther) {
  GreyImage g = Ramp(200, 120);
  FillRect(g.pixels, g.width, g.height, 20, 20, 80, 60, 255);   // a white patch
  FillRect(g.pixels, g.width, g.height, 120, 60, 180, 100, 0);  // a black one, far from it
  for (uint8_t m : OverlayMask(g)) ASSERT_EQ(m, 0);
  EXPECT_FALSE(WithoutOverlay(g).has_value());
}

// The mask by its definition, pixel by pixel (the library uses sliding windows).
std::vector<uint8_t> BruteForceMask(const GreyImage& g) {
  const int w = g.width, h = g.height;
  const int r = std::max(2, std::min(w, h) / local::kOverlayRadiusDivisor);
  auto v = [&](int x, int y) { return static_cast<int>(g.pixels[static_cast<size_t>(y) * w + x]); };
  std::vector<uint8_t> m(g.pixels.size());
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      bool near_dark = false, near_bright = false;
      for (int yy = std::max(0, y - r); yy <= std::min(h - 1, y + r); ++yy) {
        for (int xx = std::max(0, x - r); xx <= std::min(w - 1, x + r); ++xx) {
          near_dark = near_dark || v(xx, yy) <= local::kOverlayDark;
          near_bright = near_bright || v(xx, yy) >= local::kOverlayBright;
        }
      }
      m[static_cast<size_t>(y) * w + x] = (v(x, y) >= local::kOverlayBright && near_dark) ||
                                          (v(x, y) <= local::kOverlayDark && near_bright);
    }
  }
  // Two widening steps, one when the shorter side is under 200 pixels.
  for (int step = 0; step < (std::min(w, h) < 200 ? 1 : 2); ++step) {
    std::vector<uint8_t> next = m;
    for (int y = 0; y < h; ++y) {
      for (int x = 0; x < w; ++x) {
        const size_t i = static_cast<size_t>(y) * w + x;
        if ((x > 0 && m[i - 1]) || (x + 1 < w && m[i + 1]) || (y > 0 && m[i - w]) ||
            (y + 1 < h && m[i + w])) {
          next[i] = 1;
        }
      }
    }
    m.swap(next);
  }
  return m;
}

TEST(OverlayMaskTest, EqualsItsDefinitionOnRandomPictures) {
  std::mt19937 rng(9);
  for (auto [w, h] : {std::pair{37, 23}, std::pair{160, 90}, std::pair{450, 320}}) {
    GreyImage g;
    g.width = w;
    g.height = h;
    g.pixels.resize(static_cast<size_t>(w) * h);
    // Mostly mid grey, with sparse bright and dark pixels: every case of the windows.
    for (uint8_t& p : g.pixels) {
      const uint32_t k = rng() % 100;
      p = k < 3 ? 255 : k < 6 ? 0 : static_cast<uint8_t>(100 + rng() % 60);
    }
    EXPECT_EQ(OverlayMask(g), BruteForceMask(g)) << w << "x" << h;
  }
}

TEST(OutlinedStrokePixelsTest, CountsFillsDarkOnBothSidesNotAPhotosEdge) {
  // A photo's own high-contrast edge: a white area beside a wide black one. The mask takes
  // the edge, but no white pixel has dark on both sides: no view.
  GreyImage edge = Ramp(200, 120);
  FillRect(edge.pixels, edge.width, edge.height, 0, 0, 100, 120, 230);
  FillRect(edge.pixels, edge.width, edge.height, 100, 0, 160, 120, 20);
  EXPECT_EQ(local::OutlinedStrokePixels(edge), 0u);
  size_t masked = 0;
  for (uint8_t m : OverlayMask(edge)) masked += m;
  EXPECT_GT(masked * local::kOverlayMinFractionInverse, edge.pixels.size());
  EXPECT_FALSE(WithoutOverlay(edge).has_value());
  // An outlined bar: every pixel of its 3-pixel-high fill has the outline above and below.
  GreyImage bar = Ramp(200, 120);
  OutlinedBar(bar.pixels, bar.width, bar.height, 40, 50, 160, 53, 1);
  EXPECT_EQ(local::OutlinedStrokePixels(bar), 120u * 3);
}

TEST(FillMaskedTest, RebuildsARampFromTheEdgeInwardsAndKeepsTheRest) {
  const GreyImage original = Ramp(100, 80);
  GreyImage g = original;
  std::vector<uint8_t> mask(g.pixels.size(), 0);
  for (int y = 30; y < 50; ++y) {
    for (int x = 20; x < 70; ++x) {
      mask[static_cast<size_t>(y) * g.width + x] = 1;
      g.pixels[static_cast<size_t>(y) * g.width + x] = 255;  // the overlay's white
    }
  }
  FillMasked(g, mask);
  int worst = 0;
  for (size_t i = 0; i < g.pixels.size(); ++i) {
    if (mask[i] == 0) {
      ASSERT_EQ(g.pixels[i], original.pixels[i]) << i;
    } else {
      worst = std::max(worst, std::abs(g.pixels[i] - original.pixels[i]));
    }
  }
  // A ramp of slope 1/4 per pixel across a 20-pixel-high hole: the inward means stay close.
  EXPECT_LE(worst, 4);
}

TEST(FillMaskedTest, AFullyMaskedImageIsLeftAsItIs) {
  const GreyImage original = Ramp(40, 40);
  GreyImage g = original;
  FillMasked(g, std::vector<uint8_t>(g.pixels.size(), 1));
  EXPECT_EQ(g.pixels, original.pixels);
}

TEST(WithoutOverlayTest, FillsLetteringAcrossThePicture) {
  const Image scene = MidGreyScene(480, 320, 7);
  GreyImage g{scene.width, scene.height, scene.pixels};
  DrawLettering(g.pixels, g.width, g.height, 11);
  const std::optional<GreyImage> cleaned = WithoutOverlay(g);
  ASSERT_TRUE(cleaned.has_value());
  // Every near-white or near-black pixel was the lettering's, and none is left.
  for (uint8_t v : cleaned->pixels) {
    ASSERT_GT(v, local::kOverlayDark);
    ASSERT_LT(v, local::kOverlayBright);
  }
}

// A small picture (the size of the eval's face crops) under three lines of large lettering:
// its own keypoints no longer match the registered ones; the filled-in picture's do.
TEST(OverlayViewTest, LetteredCopyMatchesItsRegisteredPictureThroughTheView) {
  // (Scene and lettering seeds where the lettering defeats the query's own views: since a
  // small registered picture also holds its enlarged view's keypoints, many do not.)
  const Image original = MidGreyScene(200, 150, 1);
  Image lettered = original;
  DrawLettering(lettered.pixels, lettered.width, lettered.height, 7, 6);

  LocalExtractOptions reg;
  reg.max_keypoints = kLocalStoredKeypoints;
  Result<LocalFeatures> registered = ExtractLocalFeatures(original, reg);
  ASSERT_TRUE(registered.ok());
  // A registered picture never carries the view, even when asked for a query's.
  EXPECT_EQ(registered->without_overlay, nullptr);

  LocalExtractOptions query;
  query.max_keypoints = kLocalQueryKeypoints;
  query.enlarged_view = true;
  Result<LocalFeatures> plain = ExtractLocalFeatures(lettered, query);
  query.overlay_view = true;
  Result<LocalFeatures> with_view = ExtractLocalFeatures(lettered, query);
  ASSERT_TRUE(plain.ok() && with_view.ok());
  EXPECT_EQ(plain->without_overlay, nullptr);
  ASSERT_NE(with_view->without_overlay, nullptr);
  // The view does not change the plain keypoints.
  ASSERT_EQ(with_view->keypoints.size(), plain->keypoints.size());
  for (size_t k = 0; k < plain->keypoints.size(); ++k) {
    ASSERT_EQ(with_view->keypoints[k].descriptor, plain->keypoints[k].descriptor) << k;
  }

  const LocalMatch without = VerifyLocalMatch(*plain, *registered, {});
  const LocalMatch with = VerifyLocalMatch(*with_view, *registered, {});
  EXPECT_TRUE(with.matched) << with.score;
  EXPECT_GT(with.score, without.score);
  EXPECT_FALSE(without.matched) << without.score;
  // The identity, found through the filled-in picture.
  EXPECT_NEAR(with.transform[0], 1, 0.02);
  EXPECT_NEAR(with.transform[2], 0, 2);
  EXPECT_NEAR(with.transform[5], 0, 2);

  // A picture without lettering gets no view: nothing changes for it.
  Result<LocalFeatures> clean_query = ExtractLocalFeatures(original, query);
  ASSERT_TRUE(clean_query.ok());
  EXPECT_EQ(clean_query->without_overlay, nullptr);
}

}  // namespace
}  // namespace warden
