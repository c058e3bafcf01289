// Overlay strokes: bright lettering outlined in dark (meme captions, "three lines of text"
// across a picture) finds no registered keypoint, and it spoils every registered descriptor
// whose patch it crosses. A query's overlay-removed view (LocalFeatures::without_overlay) is
// extracted from the picture with those strokes filled in from their surroundings, so that the
// photo's own corners under and beside the text come back close to what was registered.
//
// The mask is deliberately generous (any near-white pixel with a near-black one close by, and
// the reverse, widened by two pixels): it also takes high-contrast edges of the photo itself,
// which the plain view still has. Integer arithmetic only, so the browser build gives the same
// bytes. docs/local-features.md, "Text across the picture", has the measurements.
//
// Thread safety: reentrant.
#ifndef WARDEN_SRC_LOCAL_LOCAL_OVERLAY_H_
#define WARDEN_SRC_LOCAL_LOCAL_OVERLAY_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "src/local/local_pyramid.h"

namespace warden::local {

// Grey levels of the lettering's fill and outline: a pixel at or above kOverlayBright with one
// at or below kOverlayDark within the search radius (or the reverse) is a stroke pixel.
inline constexpr int kOverlayBright = 200;
inline constexpr int kOverlayDark = 70;
// The search radius is max(2, shorter side / kOverlayRadiusDivisor) pixels (Chebyshev).
inline constexpr int kOverlayRadiusDivisor = 150;
// Stroke pixels are widened by this many 4-neighbour steps (the lettering's anti-aliased edge
// and, in a JPEG, its ringing)...
inline constexpr int kOverlayWiden = 2;
// ... and by one step only in a picture whose shorter side is under kOverlaySmallSide: there a
// letter's strokes and the gaps between them are a few pixels wide, and two steps merge whole
// lines of text into one filled band. Measured on the eval's 300 `text3` copies (verified
// against their sources, with the pooled verification): 2 steps everywhere 250 matched (227 of
// the same copies saved as JPEG 75), 1 step everywhere 257 (235), 1 step under 200 px and 2
// above 257 (236); 1 step everywhere also lost the service test's 1344x843 lettered JPEG.
inline constexpr int kOverlayWidenSmall = 1;
inline constexpr int kOverlaySmallSide = 200;
inline int OverlayWidening(int width, int height) {
  return std::min(width, height) < kOverlaySmallSide ? kOverlayWidenSmall : kOverlayWiden;
}
// No overlay-removed view when the mask covers less than 1/kOverlayMinFractionInverse of the
// picture: nothing worth a second extraction.
inline constexpr int kOverlayMinFractionInverse = 50;
// ... nor when fewer than 1/kOverlayMinStrokeInverse of its pixels are OUTLINED strokes
// (OutlinedStrokePixels): the mask also takes a photo's own high-contrast edges, but those are
// dark on one side only, while a letter's fill has its outline on both. Measured at full size
// on the eval's `text3` copies and references (radius 4): 95% of the copies have at least
// 1.3% of such pixels, 95% of the 854 photos at most 0.64%.
inline constexpr int kOverlayMinStrokeInverse = 100;
inline constexpr int kOverlayStrokeMinRadius = 4;

// 1 where `image` has overlay strokes (as above), else 0; width * height bytes.
std::vector<uint8_t> OverlayMask(const GreyImage& image);

// Replaces every masked pixel by the rounded mean of its 8 neighbours that are unmasked or
// were filled in an earlier layer (layer k: 8-connected distance k from the unmasked pixels),
// so the fill grows inwards from the stroke's edge. A fully masked image is left unchanged.
// REQUIRES: mask.size() == width * height.
void FillMasked(GreyImage& image, const std::vector<uint8_t>& mask);

// Bright pixels (>= kOverlayBright) with a dark one (<= kOverlayDark) within
// max(kOverlayStrokeMinRadius, shorter side / kOverlayRadiusDivisor) pixels on BOTH sides along
// a row, a column or a diagonal: the fill of outlined lettering.
size_t OutlinedStrokePixels(const GreyImage& image);

// `image` with its overlay strokes filled in, or nothing when it has too few outlined strokes
// or the mask is under the minimum.
std::optional<GreyImage> WithoutOverlay(const GreyImage& image);

}  // namespace warden::local

#endif  // WARDEN_SRC_LOCAL_LOCAL_OVERLAY_H_
