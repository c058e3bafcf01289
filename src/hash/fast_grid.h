// The `fast` pipeline's PDQ grid: from a JPEG decoded at 1/d scale in the DCT domain, build
// the 64x64 luma grid that the fullres pipeline would have decimated to (PDQ.md steps 3 and 4),
// instead of running PDQ's blur on the small image with windows computed for the small size.
//
// Fullres' blur and decimation are linear and separable: each of the 64 grid values along an axis
// is a weighted sum of full-resolution samples (two passes of the 1-D box of window
// (n + 127) / 128, read at (int)((i + 0.5) * n / 64)). This computes those weights exactly for the
// full size and spreads each full-resolution sample's weight over the scaled pixels around it
// (linear interpolation between scaled pixel centres), so the grid approximates fullres' own.
// Feeding the 64x64 grid to ComputePdqFromLuma skips the core's blur (an exact 64x64 input is
// not blurred) and its decimation is the identity. Running PDQ's own blur on the small image
// instead (windows sized for the small image) missed distance 10 on 4-60% of the corpus
// photos, whatever the scale (docs/performance.md); this grid keeps 99.5% within 10.
//
// The two passes run down the columns first (64 weighted sums of whole rows, vectorised, reading
// the 8-bit samples directly) and then along the 64 resulting rows (on x86, 4 rows per SSE
// register after a transpose; bit for bit the scalar sums), each axis with a fixed number of
// taps per grid value.
//
// Thread safety: reentrant (the per-thread caches are thread_local).
#ifndef WARDEN_SRC_HASH_FAST_GRID_H_
#define WARDEN_SRC_HASH_FAST_GRID_H_

#include <vector>

#include "warden/image.h"

namespace warden {

// `scaled` is the decoded image (1 or 3 channels, RGB converted to luma as PDQ does);
// source_width x source_height is the size stored in the file. Writes 64 * 64 floats, row-major,
// to `grid` (caller-owned). Allocates nothing once this thread has seen the image's sizes (the
// axis weights and a 64 x width buffer are kept per thread). REQUIRES: scaled is non-empty,
// source sides >= scaled sides, `grid` holds 4096 floats.
void EmulateFullresGrid(const Image& scaled, int source_width, int source_height, float* grid);

// The same, returning a new 64 * 64 vector.
std::vector<float> EmulateFullresGrid(const Image& scaled, int source_width, int source_height);

}  // namespace warden

#endif  // WARDEN_SRC_HASH_FAST_GRID_H_
