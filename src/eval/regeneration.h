// Regeneration: the edit offenders make to an ordinary photo, replacing the body region with
// other texture. Warden imitates only its effect on a hash: texture inside a mask changes.
// Nothing here synthesises a body or uses a generative model.
//
// The region: torso and shoulders under the largest face, or a lower-centre region when no
// face is found. It is the level set of a priority map shaped like a bust (narrow at the neck,
// widening to the shoulders, growing downwards faster than upwards) cut at exactly the asked
// share of the pixels, so its area is the asked 20/40/60% up to ties.
//
// The fills: another corpus photo's texture colour-matched to the region (mean and standard
// deviation per channel); a smooth skin-toned shade that keeps the original's low-pass
// lighting plus grain; OpenCV's Navier-Stokes diffusion inpainting (at reduced resolution,
// then scaled up). The edge is feathered over a few pixels.
//
// Thread safety: reentrant. FindLargestFace keeps one detector per thread.
#ifndef WARDEN_SRC_EVAL_REGENERATION_H_
#define WARDEN_SRC_EVAL_REGENERATION_H_

#include <cstdint>
#include <optional>
#include <string>

#include <opencv2/core.hpp>

#include "src/eval/transform_steps.h"
#include "warden/status.h"

namespace warden::eval {

// CV_8UC1 mask of `size`, 255 on round(area_fraction * pixels) pixels (up to ties of the
// priority map), 0 elsewhere. `face` in the same pixel coordinates, or nullopt for the
// lower-centre rule. REQUIRES: 0 < area_fraction < 1, non-empty size.
cv::Mat BodyRegionMask(cv::Size size, const std::optional<cv::Rect>& face, double area_fraction);

// `bgr` with the masked region replaced by `fill`. `donor` (BGR) is used by kTexture; without
// one the texture comes from the picture itself turned half a turn. REQUIRES: fill is not
// kSeeded; mask is CV_8UC1 of bgr's size.
cv::Mat FillRegion(const cv::Mat& bgr, const cv::Mat& mask, RegenFill fill, const cv::Mat* donor,
                   uint64_t seed);

// "texture", "shade", "inpaint", "seeded".
const char* RegenFillName(RegenFill fill);

// Path of the Haar frontal-face cascade Debian's opencv-data ships, or "" when missing.
std::string FaceCascadePath();
// The largest frontal face (Haar cascade, on a copy at most 800 px wide), or nullopt when none
// is found or no cascade is installed.
std::optional<cv::Rect> FindLargestFace(const cv::Mat& bgr);

}  // namespace warden::eval

#endif  // WARDEN_SRC_EVAL_REGENERATION_H_
