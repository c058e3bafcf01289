// Fuzz target: what runs on decoded pixels of any size and content, past the decoders: the PDQ
// core and the local-feature extractor. The first four bytes give the image's size (1..512 on
// each side) and channel count (1 or 3); the rest are the pixels, repeated to fill the image.
// Checked:
//  - the optimised PDQ (ComputePdq, dihedral variants included) equals the direct
//    transcription of PDQ.md (NaivePdqFromLuma) bit for bit, quality included;
//  - local features, registration-sized and query-sized with the enlarged and overlay-removed
//    views, are deterministic, keep at most the keypoints asked for (twice that with the
//    enlarged view, in each of the plain and overlay-removed pictures), lie inside the image
//    with finite scale and angle, and a registration-sized set survives the stored form
//    (decoding its encoding gives the same positions to within half a bin) and equals the one
//    RegisteredLocalFeatures derives from the query-sized extraction.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "src/hash/pdq_naive.h"
#include "warden/image.h"
#include "warden/local_features.h"
#include "warden/pdq.h"

namespace {

void CheckPdq(const warden::Image& image) {
  const size_t n = static_cast<size_t>(image.width) * image.height;
  std::vector<float> luma(n);
  const uint8_t* p = image.pixels.data();
  for (size_t i = 0; i < n; ++i) {
    luma[i] = image.channels == 1
                  ? static_cast<float>(p[i])
                  : 0.299f * p[3 * i] + 0.587f * p[3 * i + 1] + 0.114f * p[3 * i + 2];
  }
  const warden::PdqResult fast = warden::ComputePdq(image, true);
  const warden::PdqResult naive =
      warden::NaivePdqFromLuma(luma.data(), image.height, image.width, true);
  if (!(fast.hash == naive.hash) || fast.quality != naive.quality ||
      fast.too_small != naive.too_small || fast.quality < 0 || fast.quality > 100) {
    __builtin_trap();
  }
  for (int k = 0; k < warden::kDihedralCount; ++k) {
    if (!(fast.dihedral[k] == naive.dihedral[k])) __builtin_trap();
  }
}

bool SameFeatures(const warden::LocalFeatures& a, const warden::LocalFeatures& b) {
  if (a.width != b.width || a.height != b.height || a.enlarged_begin != b.enlarged_begin ||
      a.keypoints.size() != b.keypoints.size() ||
      (a.without_overlay == nullptr) != (b.without_overlay == nullptr)) {
    return false;
  }
  if (a.without_overlay != nullptr && !SameFeatures(*a.without_overlay, *b.without_overlay)) {
    return false;
  }
  for (size_t i = 0; i < a.keypoints.size(); ++i) {
    const warden::LocalKeypoint& x = a.keypoints[i];
    const warden::LocalKeypoint& y = b.keypoints[i];
    if (x.x != y.x || x.y != y.y || x.scale != y.scale || x.angle != y.angle ||
        x.descriptor != y.descriptor) {
      return false;
    }
  }
  return true;
}

// The bounds every extraction keeps, for one picture's views.
void CheckViews(const warden::Image& image, const warden::LocalFeatures& f,
                const warden::LocalExtractOptions& options) {
  const size_t max = static_cast<size_t>(options.max_keypoints);
  if (warden::PlainKeypointCount(f) > max || f.keypoints.size() > 2 * max) __builtin_trap();
  if (f.enlarged_begin > 0 && !options.enlarged_view) __builtin_trap();
  for (const warden::LocalKeypoint& kp : f.keypoints) {
    if (!(kp.x >= 0 && kp.x < image.width && kp.y >= 0 && kp.y < image.height)) __builtin_trap();
    // Scales are in the plain view's units: an enlarged view's (up to 4x) go down to 1/4.
    if (!std::isfinite(kp.scale) || !(kp.scale >= 0.25f) || !std::isfinite(kp.angle)) {
      __builtin_trap();
    }
  }
}

void CheckLocal(const warden::Image& image, const warden::LocalExtractOptions& options) {
  auto f = warden::ExtractLocalFeatures(image, options);
  if (!f.ok()) __builtin_trap();  // a valid image never fails
  auto again = warden::ExtractLocalFeatures(image, options);
  if (!again.ok() || !SameFeatures(*f, *again)) __builtin_trap();
  CheckViews(image, *f, options);
  if (f->without_overlay != nullptr) {
    if (!options.overlay_view || f->without_overlay->without_overlay != nullptr) __builtin_trap();
    CheckViews(image, *f->without_overlay, options);
  }
  if (options.enlarged_view) return;
  auto decoded = warden::DecodeLocalFeatures(warden::EncodeLocalFeatures(*f));
  if (!decoded.ok() || decoded->keypoints.size() != f->keypoints.size()) __builtin_trap();
  const double bin_x = image.width / 65536.0;
  const double bin_y = image.height / 65536.0;
  for (size_t i = 0; i < f->keypoints.size(); ++i) {
    const warden::LocalKeypoint& a = f->keypoints[i];
    const warden::LocalKeypoint& b = decoded->keypoints[i];
    if (std::abs(a.x - b.x) > bin_x + 1e-3 || std::abs(a.y - b.y) > bin_y + 1e-3 ||
        a.descriptor != b.descriptor) {
      __builtin_trap();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 4) return 0;
  warden::Image image;
  image.width = 1 + (data[0] | ((data[1] & 1) << 8));
  image.height = 1 + (data[2] | ((data[3] & 1) << 8));
  image.channels = (data[3] & 2) ? 3 : 1;
  image.source_width = image.width;
  image.source_height = image.height;
  image.format = warden::ImageFormat::kBmp;
  const size_t bytes = static_cast<size_t>(image.width) * image.height * image.channels;
  image.pixels.resize(bytes);
  const size_t given = size - 4;
  for (size_t i = 0; i < bytes; ++i) image.pixels[i] = given == 0 ? 0 : data[4 + i % given];

  CheckPdq(image);
  CheckLocal(image, {warden::kLocalStoredKeypoints, false});
  CheckLocal(image, {warden::kLocalQueryKeypoints, true, true});
  // The registered form derived from a query's extraction is the registration's own.
  auto registered = warden::ExtractLocalFeatures(image, {warden::kLocalStoredKeypoints, false});
  auto query = warden::ExtractLocalFeatures(image, {warden::kLocalQueryKeypoints, true, true});
  if (!registered.ok() || !query.ok() ||
      !SameFeatures(*registered, warden::RegisteredLocalFeatures(*query))) {
    __builtin_trap();
  }
  return 0;
}
