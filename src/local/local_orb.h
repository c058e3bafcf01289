// The per-level pieces of Warden's ORB-style local features (after Rublee et al., "ORB: an
// efficient alternative to SIFT or SURF", ICCV 2011): FAST-9 corners (Rosten & Drummond,
// 2006), the Harris corner response used to rank them, the intensity-centroid orientation, and
// a rotated 256-bit BRIEF-style descriptor (Calonder et al., 2010) whose point-pair pattern is
// drawn once from Warden's own fixed-seed generator.
//
// Determinism: detection, ranking and the descriptor's pixel comparisons are integer
// arithmetic; angles come from DeterministicAtan2, built only from IEEE-exact operations
// (+ - * / sqrt), so results do not depend on the platform's libm (WebAssembly included).
//
// Thread safety: pure functions; the rotated pattern table is built once, thread-safely.
#ifndef WARDEN_SRC_LOCAL_LOCAL_ORB_H_
#define WARDEN_SRC_LOCAL_LOCAL_ORB_H_

#include <cstdint>
#include <vector>

#include "src/local/local_pyramid.h"

namespace warden::local {

// Radius of the orientation disc and of the descriptor patch (a 31x31 patch).
inline constexpr int kPatchRadius = 15;
// Distance from every image edge inside which keypoints are kept, so that the orientation
// disc, the rotated descriptor pattern and the Harris window stay inside the level image.
inline constexpr int kBorder = kPatchRadius + 1;
// The descriptor's rotation is quantised to this many steps of 2 pi / kAngleBins.
inline constexpr int kAngleBins = 32;

struct FastCorner {
  int x = 0;  // pixel column and row in the level image
  int y = 0;
  int score = 0;  // summed contrast beyond the threshold over the circle (> 0)
};

// FAST-9 corners of `image`: pixels p whose 16-pixel Bresenham circle of radius 3 has 9
// contiguous pixels all brighter than p + threshold or all darker than p - threshold, kept
// after 3x3 non-maximum suppression on the score (ties go to the earlier pixel in raster
// order). Only pixels at least `margin` (>= 3) from every edge are tested. Raster order.
std::vector<FastCorner> DetectFastCorners(const GreyImage& image, int threshold, int margin);

// Harris corner response det(M) - 0.04 trace(M)^2, scaled by 25 to stay integer, over the 7x7
// window of Sobel gradients centred on (x, y). REQUIRES: (x, y) at least 4 pixels inside.
int64_t HarrisResponse(const GreyImage& image, int x, int y);

// Orientation of the patch at (x, y): the angle, radians in [-pi, pi], of the vector from
// the centre to the intensity centroid of the disc of radius kPatchRadius (0 when the disc is
// flat). REQUIRES: (x, y) at least kPatchRadius pixels inside.
float IntensityCentroidAngle(const GreyImage& image, int x, int y);

// The 256-bit descriptor at (x, y) of `smoothed` (the level after SmoothBinomial5): bit i is
// 1 iff the pattern's first point of pair i, rotated by `angle` (quantised to kAngleBins
// steps), is darker than its second point. Bits are packed LSB first into out[0..31].
// REQUIRES: (x, y) at least kBorder - 1 pixels inside.
void ComputeDescriptor(const GreyImage& smoothed, int x, int y, float angle, uint8_t* out);

// atan2 and sin/cos from IEEE-exact operations only; |error| < 1e-12 radians.
double DeterministicAtan2(double y, double x);
void DeterministicSinCos(double angle, double* sin_out, double* cos_out);

}  // namespace warden::local

#endif  // WARDEN_SRC_LOCAL_LOCAL_ORB_H_
