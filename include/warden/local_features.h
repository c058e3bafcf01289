// Local features: Warden's second image signal, which recognises the part of an image that
// was NOT changed (the face, the hair, the room) after crops, borders, rotations, screenshots,
// overlays or a regenerated body region, where a global hash such as PDQ fails.
//
// An image's local features are up to a few hundred keypoints (position, scale, orientation)
// each with a 256-bit binary descriptor of the patch around it, computed by Warden's own code
// (no OpenCV), deterministically (the same pixels give the same features on every machine and
// in WebAssembly). Two images are matched by pairing descriptors and then confirming the pairs
// with one consistent geometric transform (robust estimation); the decision rests on how much
// of the query the agreeing pairs cover, not only on how many there are, so two different
// photos of one face (which share keypoints only on the face) do not match.
//
// Stored form ("signal type local"): a versioned byte string of at most kLocalMaxStoredBytes
// holding at most kLocalStoredKeypoints keypoints (quantised positions, no pixels). A query is
// extracted with more keypoints (kLocalQueryKeypoints); it is never stored. What the stored
// form reveals about the image is documented in docs/local-features.md.
//
// Thread safety: value types and reentrant functions; nothing here keeps state between calls.
#ifndef WARDEN_LOCAL_FEATURES_H_
#define WARDEN_LOCAL_FEATURES_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "warden/image.h"
#include "warden/status.h"

namespace warden {

// Algorithm name and version stored with every local signal (the store's algorithm columns).
inline constexpr std::string_view kLocalAlgorithm = "warden-local";
// Version 2: a registered picture under kLocalEnlargeBelow holds keypoints of both its views
// (LocalExtractOptions); version 1's forms still decode and match.
inline constexpr int kLocalAlgorithmVersion = 2;

inline constexpr int kLocalDescriptorBytes = 32;  // 256-bit binary descriptor
// The encoded form of a registered (stored) image never exceeds this many bytes.
inline constexpr size_t kLocalMaxStoredBytes = 4096;
// Keypoints kept for a registered image, and extracted from a query (queries are not stored,
// so they may carry more; more query keypoints raise recall at a small cost). A query's first
// 500 keypoints are ordered as they always were; the rest are spread evenly over the picture
// (docs/local-features.md), and the retrieval index votes with the first 700 only.
inline constexpr int kLocalStoredKeypoints = 100;
inline constexpr int kLocalQueryKeypoints = 1000;
// A query's first keypoints, in the order of version 1 (strongest corners, spread over a coarse
// grid); the verifier pairs them as one group and the spread tail after them as another.
inline constexpr int kLocalQueryHeadKeypoints = 500;

struct LocalKeypoint {
  // Position in the pixel coordinates of the image as stored in its file (Image::source_width
  // x source_height): 0 <= x < width, 0 <= y < height, pixel centres at +0.5.
  float x = 0;
  float y = 0;
  // Patch size relative to the detector's base level at working size (1 = finest level; 1.2^k
  // at level k; 1.2^k / the enlargement in an enlarged view).
  float scale = 1;
  // Dominant orientation of the patch, radians in [-pi, pi).
  float angle = 0;
  // Detector response (corner strength); used to rank keypoints, not stored.
  float response = 0;
  std::array<uint8_t, kLocalDescriptorBytes> descriptor{};
};

struct LocalFeatures {
  int width = 0;  // the source image's width and height in pixels
  int height = 0;
  std::vector<LocalKeypoint> keypoints;  // strongest first after spatial spreading
  // A QUERY of a small image (LocalExtractOptions::enlarged_view) also carries a second view:
  // keypoints[enlarged_begin..] are those of the image enlarged up to 4 times (to
  // kLocalEnlargeBelow pixels on its longer side), in the same pixel coordinates. The
  // verifier matches each view on its own and keeps the better; the index votes with both.
  // 0: no second view. Never stored as such (a registered form mixes the views:
  // RegisteredLocalFeatures).
  size_t enlarged_begin = 0;
  // A QUERY whose picture carries bright lettering outlined in dark (captions, meme text;
  // LocalExtractOptions::overlay_view) also carries the features of the picture with those
  // strokes filled in from their surroundings: its own plain view and, for a small query, its
  // own enlarged view. The verifier pools its plain view with the query's (the same picture in
  // the same geometry, each keeping corners the other lost), tries its views on their own too,
  // and keeps the best answer; the index votes with it too. Null: no such view. Never stored.
  std::shared_ptr<const LocalFeatures> without_overlay = nullptr;
};

// Queries whose longer side is under this many pixels get the enlarged view.
inline constexpr int kLocalEnlargeBelow = 320;

// The number of keypoints of the plain view: enlarged_begin if there is an enlarged view, else
// all of them.
inline size_t PlainKeypointCount(const LocalFeatures& f) {
  return f.enlarged_begin > 0 && f.enlarged_begin < f.keypoints.size() ? f.enlarged_begin
                                                                       : f.keypoints.size();
}

struct LocalExtractOptions {
  // At most this many keypoints (kLocalStoredKeypoints for registration, kLocalQueryKeypoints
  // for a query). 1..2000.
  int max_keypoints = kLocalStoredKeypoints;
  // For a query: when the image's longer side is under kLocalEnlargeBelow, append the
  // enlarged view's keypoints (at most max_keypoints more; LocalFeatures::enlarged_begin). A
  // thumbnail of a registered photo has too few pixels for the registered corners' patches at
  // its own size; enlarged, the pyramid reaches them.
  // false (a registration): such a small image gives its plain view's first 50 keypoints,
  // then those of its enlarged view's first kLocalQueryKeypoints that are finer than the plain
  // view's finest level, then the plain view's rest, as one list (algorithm version 2).
  // Text across a small picture leaves only narrow patches free, which the enlarged view's
  // finer keypoints still describe (docs/local-features.md, "Small registered pictures").
  bool enlarged_view = false;
  // For a query: when the picture has enough overlay strokes (src/local/local_overlay.h), also
  // extract it with them filled in (LocalFeatures::without_overlay). Text across a registered
  // photo covers the corners that were registered and spoils the descriptors its strokes
  // cross; filled in, most of them come back (docs/local-features.md, "Text across the
  // picture").
  bool overlay_view = false;
};

// Extracts local features from decoded pixels (1 or 3 channels; RGB is reduced to luma).
// Images smaller than 32x32 give no keypoints (not an error). Deterministic.
// Errors: kInvalidArgument for an empty image, bad channel count or max_keypoints outside 1..2000.
Result<LocalFeatures> ExtractLocalFeatures(const Image& image, const LocalExtractOptions& options);

// Decodes `bytes` (any format warden reads; JPEG at a DCT-reduced scale when that is enough for
// the detector's working size) and extracts. Coordinates are in the file's full-size pixels.
// Errors: the decoder's (kUnsupportedFormat, kCorruptData, kTruncated, kTooLarge), or as above.
Result<LocalFeatures> ExtractLocalFeaturesFromBytes(std::span<const uint8_t> bytes,
                                                    const LocalExtractOptions& options,
                                                    const DecodeOptions& decode = {});

// The registered form of a picture from its query extraction (enlarged_view, max_keypoints at
// least kLocalQueryKeypoints): equal to its extraction with max_keypoints =
// kLocalStoredKeypoints and without enlarged_view (each view's order is prefix-consistent),
// without a second decode. The overlay-removed view is dropped.
LocalFeatures RegisteredLocalFeatures(const LocalFeatures& query);

// The stored form: a magic/version header, width, height, then per keypoint its quantised
// position, scale and angle and its descriptor, of the plain view only. REQUIRES
// PlainKeypointCount(features) <= kLocalStoredKeypoints (so the result is at most
// kLocalMaxStoredBytes). Deterministic.
std::vector<uint8_t> EncodeLocalFeatures(const LocalFeatures& features);
// Parses the stored form. Errors: kCorruptData naming what is wrong (bad magic, unknown
// version, size not matching the keypoint count, a coordinate outside the image, too many
// keypoints, more than kLocalMaxStoredBytes).
Result<LocalFeatures> DecodeLocalFeatures(std::span<const uint8_t> bytes);

// Axis-aligned box in query pixels, x0 <= x1, y0 <= y1.
struct LocalBox {
  float x0 = 0;
  float y0 = 0;
  float x1 = 0;
  float y1 = 0;
};

// The default LocalVerifyOptions::min_score: the operating point calibrated with `warden eval`
// at a false-positive rate of 1e-4 per pair (docs/eval/summary.md, docs/local-features.md).
inline constexpr double kLocalDefaultMinScore = 1;

struct LocalVerifyOptions {
  // Matched iff LocalMatch::score >= min_score.
  double min_score = kLocalDefaultMinScore;
};

struct LocalMatch {
  int tentative = 0;  // descriptor pairs that passed the descriptor tests
  int inliers = 0;    // reference keypoints paired consistently with the estimated transform
  // Fraction (0..1) of the query's area, on a coarse grid, that the inliers cover.
  double coverage = 0;
  // The decision score (higher = more shared content in the same geometry); 0 when nothing
  // agrees. Compared with LocalVerifyOptions::min_score.
  double score = 0;
  // query_point = A * reference_point + t, as [a11 a12 t1 a21 a22 t2], in pixels.
  std::array<double, 6> transform{1, 0, 0, 0, 1, 0};
  LocalBox query_box;  // bounding box of the inliers in the query's pixels
  bool matched = false;
};

// Verifies whether `query` shows content of `reference` in one consistent geometry.
// Deterministic (a fixed-seed estimator). Cost: tens of microseconds for 500 x 100 keypoints.
LocalMatch VerifyLocalMatch(const LocalFeatures& query, const LocalFeatures& reference,
                            const LocalVerifyOptions& options);

}  // namespace warden

#endif  // WARDEN_LOCAL_FEATURES_H_
