// The geometric verifier's parameters (local_verify.cc), as a value, so that benchmarks and
// the tuning runs behind docs/local-features.md can try other settings. The defaults are the
// measured operating point; VerifyLocalMatch (warden/local_features.h) always uses them.
//
// Thread safety: a plain value; VerifyLocalMatchWith is reentrant.
#ifndef WARDEN_SRC_LOCAL_LOCAL_VERIFY_PARAMS_H_
#define WARDEN_SRC_LOCAL_LOCAL_VERIFY_PARAMS_H_

#include <vector>

#include "warden/local_features.h"

namespace warden {

struct LocalVerifyParams {
  // Descriptor pairing (local_pairing.h): Hamming distance <= max_distance (inclusive) and
  // distance < max_ratio * second nearest.
  int max_distance = 64;
  double max_ratio = 0.8;
  // RANSAC: up to this many pairs every 2-pair sample is tried; above, at most
  // max_iterations seeded samples (fewer once 99% confidence is reached).
  int exhaustive_max_pairs = 25;
  int max_iterations = 300;
  // A sample's reference points lie at least this far apart (fraction of the reference's
  // longer side).
  double min_sample_separation = 0.03;
  // Accepted transform scales, query pixels per reference pixel (inclusive).
  double min_scale = 0.1;
  double max_scale = 10;
  // An inlier lands within max(min_tolerance_px, position_tolerance * the reference's longer
  // side as mapped into the query) of its predicted position, its orientation within
  // angle_tolerance_deg of the transform's rotation, and its keypoint-scale log-ratio within
  // log_scale_tolerance of the hypothesis'.
  double position_tolerance = 0.016;
  double min_tolerance_px = 2.0;
  double angle_tolerance_deg = 25;
  double log_scale_tolerance = 0.45;
  // Affine refinement after the similarity: tried with at least min_affine_inliers inliers,
  // kept when its two axis scales differ by at most max_anisotropy and it keeps as many
  // inliers. false: similarity only.
  bool affine = true;
  double max_anisotropy = 1.6;
  int min_affine_inliers = 6;
  // Decision: fewer inliers than this score 0; the score counts the cells of a
  // score_grid x score_grid grid over the reference that hold a STRONG inlier: one whose
  // descriptors differ by at most strong_distance bits, plus up to strong_distance_turn bits
  // as the transform's rotation grows to strong_full_turn_deg, up to strong_distance_scale
  // bits as its scale departs from 1 up to a factor strong_full_scale and up to
  // strong_distance_aniso bits as the ratio of its two axis scales grows to strong_full_aniso
  // (resampling, and an uneven resize more so, flips descriptor bits), and which lands within
  // strong_residual times the position tolerance.
  int min_inliers = 4;
  int score_grid = 12;
  int strong_distance = 16;
  int strong_distance_turn = 8;
  double strong_full_turn_deg = 5;
  int strong_distance_scale = 8;
  double strong_full_scale = 2;
  int strong_distance_aniso = 4;
  double strong_full_aniso = 1.25;
  double strong_residual = 0.5;
  // ... and a pair with fewer strong inliers than this scores 0 (two different photos of one
  // aligned face reach 5 in the corpus' 271 distinct-photos pairs with 1000-keypoint queries,
  // 4 with 500).
  int min_strong_inliers = 6;
  // EXACT inliers (descriptors within exact_distance bits, no allowance, landing within
  // exact_residual times the position tolerance) are the registered pixels themselves,
  // untouched: the part a regenerated region or an overlay left alone, re-encoded. Every exact
  // inlier after the first counts exact_bonus more towards min_strong_inliers (2 exact: 4
  // strong are enough; 3: any). Two different photos of one face give at most one exact
  // inlier, also through the eval's transforms, so the trap still needs 6 strong ones
  // (docs/local-features.md, "Exact inliers").
  int exact_distance = 8;
  double exact_residual = 0.25;
  int exact_bonus = 2;
  // A small query's enlarged view (LocalFeatures::enlarged_begin) is verified with these in
  // place of min_strong_inliers and exact_bonus: its smooth, interpolated pixels let different
  // photos of one face agree more. With the ordinary minimum, transformed copies of one man's
  // photo matched his other photos 101 times on the eval's saved queries instead of 66 without
  // the view (with 10 and 3: 67), for one point more of quarter-size copies
  // (docs/local-features.md, "Small queries").
  int enlarged_min_strong_inliers = 10;
  int enlarged_exact_bonus = 3;
  // The two views are also verified pooled (one geometry over the pairs of both: since
  // algorithm version 2 their keypoint scales share one unit, and a small registered picture
  // holds keypoints of both its views), with this minimum (or min_strong_inliers, the larger)
  // and enlarged_exact_bonus. The plain view's pairs may add nothing, so an enlarged view with
  // 8 strong inliers can match this way; lowering enlarged_min_strong_inliers itself to 8
  // matched one of the 271 distinct-photos pairs (the quick eval), the pool none. Measured on
  // the quick eval (docs/local-features.md, "Small registered pictures"): a pool minimum of 6
  // matched 2 distinct-photos pairs, 7 and 8 none; 8 won back the 4 points of rotated and
  // cropped copies that registering both views had cost.
  int pooled_views_min_strong_inliers = 8;
  // The overlay-removed picture (LocalFeatures::without_overlay) is verified with this minimum
  // in place of min_strong_inliers (its enlarged view with the larger of this and
  // enlarged_min_strong_inliers): its filled-in pixels are guesses. Measured on the eval's 300
  // `text3` copies and the 854 references as queries: with 6, 254 copies matched and 6
  // reference pairs matched through the view only (stereo pairs of one chessboard, whose
  // squares the mask takes); with 8, 246 and 1 (docs/local-features.md, "Text across the
  // picture"). With the view pooled with the query's own keypoints (the full eval of 28 Nov
  // 14:08 UTC against a run with 7): 7 caught 3 more `text3` copies (86.0 -> 87.0%) and 2 more
  // `thorn_noise0.2` ones, for 3 more negatives scoring >= 1 (561 -> 564). With small pictures
  // registered from both views (version 2), on the 300 saved `text3` copies: 8 matched 280, 7
  // 284, 6 285; the full eval at 6 had fewer negatives scoring >= 1 than version 1 at 8 (531
  // against 561) and no distinct-photos pair. The view's pooled enlarged and plain views still
  // need pooled_views_min_strong_inliers.
  int overlay_min_strong_inliers = 6;
};

// VerifyLocalMatch with explicit parameters. REQUIRES: every field in a sensible range
// (positive sizes and tolerances, 0 < max_ratio <= 1, 1 <= score_grid <= 64).
LocalMatch VerifyLocalMatchWith(const LocalFeatures& query, const LocalFeatures& reference,
                                const LocalVerifyOptions& options, const LocalVerifyParams& params);

// One inlier of the final geometry, for diagnostics and tuning runs.
struct LocalInlier {
  // Index into the query's keypoints; i >= query.keypoints.size() names keypoint
  // i - query.keypoints.size() of its without_overlay view.
  int query = 0;
  int reference = 0;                     // index into the reference's keypoints
  int distance = 0;                      // Hamming distance of the two descriptors, 0..256
  float rx = 0, ry = 0, qx = 0, qy = 0;  // positions, pixels
  float residual = 0;  // distance of the transformed reference point to the query point, px
};

// VerifyLocalMatchWith that also lists the final inliers in `inliers` (cleared first; empty
// when fewer than params.min_inliers agree). `inliers` must not be null.
LocalMatch VerifyLocalMatchDetailed(const LocalFeatures& query, const LocalFeatures& reference,
                                    const LocalVerifyOptions& options,
                                    const LocalVerifyParams& params,
                                    std::vector<LocalInlier>* inliers);

}  // namespace warden

#endif  // WARDEN_SRC_LOCAL_LOCAL_VERIFY_PARAMS_H_
