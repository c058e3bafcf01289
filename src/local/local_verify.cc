// Geometric verification of local features (warden/local_features.h).
//
// 1. Pairing (local_pairing.h): every reference keypoint's nearest query descriptor, kept when
//    close (Hamming distance) and distinct (Lowe's ratio test); parameters in
//    local_verify_params.h. The query's first kLocalQueryHeadKeypoints and the rest are
//    searched separately, so a reference keypoint may get one pair from each.
// 2. RANSAC (Fischler and Bolles 1981) on a similarity transform, whose minimal sample is two
//    pairs. A pair agrees with a hypothesis only if, besides landing within the tolerance, its
//    keypoints' orientation difference equals the hypothesis' rotation and its keypoints'
//    scale ratio equals the sample's: the orientation and scale every keypoint carries make
//    chance agreement between unrelated images rare (the weak geometric consistency of Jegou,
//    Douze and Schmid 2008, applied inside RANSAC). Small sets are enumerated exhaustively;
//    larger ones are sampled with a fixed-seed generator, so the result is deterministic.
// 3. Refinement: least-squares similarity on the inliers and a recount, repeated while the
//    count grows; then a least-squares affine transform, kept if it is well-shaped and keeps at
//    least as many inliers (it absorbs an uneven resize or a slight perspective).
// 4. Decision: the score is the number of cells of a score_grid x score_grid grid over the
//    REFERENCE image that hold a STRONG inlier: one whose two descriptors are nearly equal and
//    which lands close to where the transform predicts. A derived image shows the registered
//    PIXELS again (crop, border, overlay, regenerated region): the same corners re-detected
//    with near-identical descriptors at near-exact positions, over the face AND its
//    surroundings. Two different photos of one face (aligned face crops) also agree on a
//    similarity, but only through features of the face that resemble each other: their
//    descriptors differ by 20-40 bits and their positions scatter to about half the tolerance
//    (measured on the corpus' distinct-photos pairs, docs/local-features.md). Counting cells,
//    not inliers, makes the score measure how much of the registered picture reappears. A
//    rotation or a resize resamples every patch and flips more bits, so the distance allowed
//    grows with the transform's rotation, scale change and anisotropy (an uneven resize warps
//    every patch; a different photo of an aligned face has none of these to speak of). A pair
//    with fewer than min_strong_inliers strong inliers (distinct reference keypoints) scores 0:
//    at the eval's operating point the cells alone left the trap's best pairs (3-4 strong
//    inliers, in 3 cells) at the threshold. EXACT inliers lower that minimum: descriptors
//    within 8 bits and positions within a quarter of the tolerance are the untouched
//    registered pixels themselves, what survives a regenerated 60% of the picture or three
//    lines of text; every exact inlier after the first stands for two more strong ones. Two
//    photos of one face give at most one exact inlier.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numbers>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "src/local/local_geometry.h"
#include "src/local/local_pairing.h"
#include "src/local/local_verify_params.h"
#include "warden/local_features.h"

namespace warden {
namespace {

constexpr uint64_t kSeed = 0x57415244454e4c56ull;  // fixed: the same answer every time
constexpr int kCoverageGrid = 8;

// splitmix64 (Steele, Lea and Flood 2014): a tiny generator that is the same everywhere.
class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n) for n >= 1 (the modulo bias is irrelevant for n <= 500).
  int Below(int n) { return static_cast<int>(Next() % static_cast<uint64_t>(n)); }

 private:
  uint64_t state_;
};

double WrapAngle(double a) {
  constexpr double kTwoPi = 2 * std::numbers::pi;
  a = std::fmod(a, kTwoPi);
  if (a > std::numbers::pi) a -= kTwoPi;
  if (a <= -std::numbers::pi) a += kTwoPi;
  return a;
}

// One tentative pair with what the inlier test needs.
struct Candidate {
  PointPair points;
  int query = 0, reference = 0, distance = 0;
  double turn = 0;       // query angle - reference angle, wrapped
  double log_scale = 0;  // log(query scale / reference scale)
};

// What a hypothesis predicts for every pair.
struct Hypothesis {
  PlaneTransform transform{};
  double turn = 0;        // rotation, radians
  double log_scale = 0;   // expected keypoint log-scale ratio
  double tolerance2 = 0;  // squared position tolerance, query pixels
};

// The parameters in the units the tests use.
struct Tolerances {
  explicit Tolerances(const LocalVerifyParams& p)
      : params(p), angle(p.angle_tolerance_deg * std::numbers::pi / 180) {}
  const LocalVerifyParams& params;
  double angle;  // radians
};

bool Agrees(const Hypothesis& h, const Candidate& c, const Tolerances& t) {
  if (std::abs(WrapAngle(c.turn - h.turn)) > t.angle) return false;
  if (std::abs(c.log_scale - h.log_scale) > t.params.log_scale_tolerance) return false;
  double x, y;
  ApplyTransform(h.transform, c.points.rx, c.points.ry, &x, &y);
  const double dx = x - c.points.qx, dy = y - c.points.qy;
  return dx * dx + dy * dy <= h.tolerance2;
}

int CountAgreeing(const Hypothesis& h, const std::vector<Candidate>& cs, const Tolerances& t,
                  std::vector<uint8_t>* mask) {
  int n = 0;
  for (size_t k = 0; k < cs.size(); ++k) {
    const bool in = Agrees(h, cs[k], t);
    if (mask != nullptr) (*mask)[k] = in ? 1 : 0;
    n += in ? 1 : 0;
  }
  return n;
}

double Tolerance2(double scale, double reference_side, const LocalVerifyParams& p) {
  const double tol = std::max(p.min_tolerance_px, p.position_tolerance * scale * reference_side);
  return tol * tol;
}

// The hypothesis of the similarity through candidates i and j, or nullopt when the sample
// is degenerate or its own keypoints disagree with it.
std::optional<Hypothesis> FromSample(const Candidate& ci, const Candidate& cj,
                                     double min_separation2, double reference_side,
                                     const Tolerances& t) {
  const LocalVerifyParams& p = t.params;
  const double dx = ci.points.rx - cj.points.rx, dy = ci.points.ry - cj.points.ry;
  if (dx * dx + dy * dy < min_separation2) return std::nullopt;
  const std::optional<Similarity> s = SimilarityFromTwoPairs(ci.points, cj.points);
  if (!s) return std::nullopt;
  const double scale = s->Scale();
  if (scale < p.min_scale || scale > p.max_scale) return std::nullopt;
  if (std::abs(ci.log_scale - cj.log_scale) > p.log_scale_tolerance) return std::nullopt;
  Hypothesis h;
  h.transform = s->ToTransform();
  h.turn = s->Angle();
  h.log_scale = 0.5 * (ci.log_scale + cj.log_scale);
  h.tolerance2 = Tolerance2(scale, reference_side, p);
  if (std::abs(WrapAngle(ci.turn - h.turn)) > t.angle ||
      std::abs(WrapAngle(cj.turn - h.turn)) > t.angle) {
    return std::nullopt;
  }
  return h;
}

// The hypothesis of a least-squares fit over the pairs in `mask`: its rotation and scale,
// and the inliers' mean keypoint log-scale ratio.
std::optional<Hypothesis> Refit(const std::vector<Candidate>& cs, const std::vector<uint8_t>& mask,
                                double reference_side, bool affine, const LocalVerifyParams& p) {
  std::vector<PointPair> points;
  double log_scale_sum = 0;
  for (size_t k = 0; k < cs.size(); ++k) {
    if (!mask[k]) continue;
    points.push_back(cs[k].points);
    log_scale_sum += cs[k].log_scale;
  }
  if (points.size() < 2) return std::nullopt;
  Hypothesis h;
  h.log_scale = log_scale_sum / static_cast<double>(points.size());
  if (!affine) {
    const std::optional<Similarity> s = FitSimilarity(points);
    if (!s || s->Scale() < p.min_scale || s->Scale() > p.max_scale) return std::nullopt;
    h.transform = s->ToTransform();
    h.turn = s->Angle();
    h.tolerance2 = Tolerance2(s->Scale(), reference_side, p);
    return h;
  }
  if (points.size() < static_cast<size_t>(p.min_affine_inliers)) return std::nullopt;
  const std::optional<PlaneTransform> t = FitAffine(points);
  if (!t) return std::nullopt;
  const LinearShape shape = ShapeOf(*t);
  if (!shape.keeps_orientation || shape.min_scale < p.min_scale || shape.max_scale > p.max_scale ||
      shape.max_scale > p.max_anisotropy * shape.min_scale) {
    return std::nullopt;
  }
  h.transform = *t;
  // The rotation of the nearest similarity (the conformal part of the linear map).
  h.turn = std::atan2((*t)[3] - (*t)[1], (*t)[0] + (*t)[4]);
  h.tolerance2 = Tolerance2(std::sqrt(shape.max_scale * shape.min_scale), reference_side, p);
  return h;
}

int Cell(double v, double extent, int cells) {
  const int c = static_cast<int>(v / extent * cells);
  return std::clamp(c, 0, cells - 1);
}

}  // namespace

LocalMatch VerifyLocalMatch(const LocalFeatures& query, const LocalFeatures& reference,
                            const LocalVerifyOptions& options) {
  static const LocalVerifyParams kDefaults;
  return VerifyLocalMatchWith(query, reference, options, kDefaults);
}

LocalMatch VerifyLocalMatchWith(const LocalFeatures& query, const LocalFeatures& reference,
                                const LocalVerifyOptions& options,
                                const LocalVerifyParams& params) {
  return VerifyLocalMatchDetailed(query, reference, options, params, nullptr);
}

namespace {

// Appends the pairs of one extraction of the query (`keypoints`, numbered from `offset` in the
// view) with the reference. Its head and its spread tail are paired separately: the tail's many
// weak corners must not take a head keypoint's pair away (as the nearest, or as a close second
// that fails the ratio test), so every pair the head alone finds is still tried.
void PairExtraction(std::span<const LocalKeypoint> keypoints, size_t offset,
                    const LocalFeatures& reference, const PairingOptions& pairing,
                    std::vector<DescriptorPair>& pairs) {
  const size_t head = std::min(keypoints.size(), static_cast<size_t>(kLocalQueryHeadKeypoints));
  for (DescriptorPair p : PairDescriptors(keypoints.first(head), reference.keypoints, pairing)) {
    p.query += static_cast<int>(offset);
    pairs.push_back(p);
  }
  if (keypoints.size() > head) {
    for (DescriptorPair p :
         PairDescriptors(keypoints.subspan(head), reference.keypoints, pairing)) {
      p.query += static_cast<int>(offset + head);
      pairs.push_back(p);
    }
  }
}

// One view of the query: `keypoints` (a span into the query's, which starts at
// `first_index` there) of a width x height image, and optionally `also`: a second extraction
// of the same picture in the same pixel coordinates (the overlay-removed one), paired on its
// own and verified together with the first. VerifyLocalMatchDetailed splits a small query's
// enlarged view off; inliers name query keypoints as LocalInlier::query says (`also`'s from
// `also_first_index`).
LocalMatch VerifyView(std::span<const LocalKeypoint> keypoints, int width, int height,
                      size_t first_index, const LocalFeatures& reference,
                      const LocalVerifyOptions& options, const LocalVerifyParams& params,
                      std::vector<LocalInlier>* inliers, std::span<const LocalKeypoint> also = {},
                      size_t also_first_index = 0) {
  if (inliers != nullptr) inliers->clear();
  WARDEN_CHECK(params.score_grid >= 1 && params.score_grid <= 64);
  const Tolerances tol(params);
  LocalMatch m;
  if (keypoints.empty() || reference.keypoints.empty() || width <= 0 || height <= 0 ||
      reference.width <= 0 || reference.height <= 0) {
    return m;
  }
  const PairingOptions pairing{params.max_distance, params.max_ratio};
  std::vector<DescriptorPair> pairs;
  PairExtraction(keypoints, 0, reference, pairing, pairs);
  if (!also.empty()) PairExtraction(also, keypoints.size(), reference, pairing, pairs);
  m.tentative = static_cast<int>(pairs.size());
  if (m.tentative < std::max(2, params.min_inliers)) return m;

  std::vector<Candidate> cs;
  cs.reserve(pairs.size());
  for (const DescriptorPair& p : pairs) {
    const size_t qi = static_cast<size_t>(p.query);
    const LocalKeypoint& q = qi < keypoints.size() ? keypoints[qi] : also[qi - keypoints.size()];
    const LocalKeypoint& r = reference.keypoints[p.reference];
    Candidate c;
    c.points = {r.x, r.y, q.x, q.y};
    c.query = p.query;
    c.reference = p.reference;
    c.distance = p.distance;
    c.turn = WrapAngle(static_cast<double>(q.angle) - r.angle);
    c.log_scale = std::log(std::max(q.scale, 1e-3f) / std::max(r.scale, 1e-3f));
    cs.push_back(c);
  }
  const int n = static_cast<int>(cs.size());
  const double reference_side = std::max(reference.width, reference.height);
  const double min_separation2 = std::pow(params.min_sample_separation * reference_side, 2);

  // RANSAC: the hypothesis with the most agreeing pairs (the first found on ties).
  std::optional<Hypothesis> best;
  int best_count = 0;
  auto consider = [&](int i, int j) {
    const std::optional<Hypothesis> h =
        FromSample(cs[i], cs[j], min_separation2, reference_side, tol);
    if (!h) return;
    const int count = CountAgreeing(*h, cs, tol, nullptr);
    if (count > best_count) {
      best_count = count;
      best = h;
    }
  };
  if (n <= params.exhaustive_max_pairs) {
    for (int i = 0; i < n && best_count < n; ++i) {
      for (int j = i + 1; j < n && best_count < n; ++j) consider(i, j);
    }
  } else {
    Random random(kSeed);
    int needed = params.max_iterations;
    for (int it = 0; it < needed && best_count < n; ++it) {
      const int i = random.Below(n);
      int j = random.Below(n - 1);
      if (j >= i) ++j;
      const int before = best_count;
      consider(i, j);
      if (best_count > before) {
        // Samples needed for 99% confidence of one all-inlier sample (inlier share w).
        const double w = static_cast<double>(best_count) / n;
        const double miss = 1 - w * w;
        if (miss <= 0) break;
        needed = static_cast<int>(
            std::min<double>(params.max_iterations, std::ceil(std::log(0.01) / std::log(miss))));
      }
    }
  }
  if (!best || best_count < params.min_inliers) return m;

  // Refinement: similarity by least squares while the count grows, then affine.
  std::vector<uint8_t> mask(cs.size()), trial(cs.size());
  CountAgreeing(*best, cs, tol, &mask);
  for (int round = 0; round < 4; ++round) {
    const std::optional<Hypothesis> h = Refit(cs, mask, reference_side, false, params);
    if (!h) break;
    const int count = CountAgreeing(*h, cs, tol, &trial);
    if (count < best_count) break;
    const bool grew = count > best_count;
    best = h;
    best_count = count;
    mask.swap(trial);
    if (!grew) break;
  }
  if (params.affine) {
    if (const std::optional<Hypothesis> h = Refit(cs, mask, reference_side, true, params)) {
      const int count = CountAgreeing(*h, cs, tol, &trial);
      if (count >= best_count) {
        best = h;
        best_count = count;
        mask.swap(trial);
      }
    }
  }
  if (best_count < params.min_inliers) return m;

  m.inliers = best_count;
  m.transform = best->transform;
  // The strong-inlier tests (step 4) for this transform.
  const LinearShape shape = ShapeOf(best->transform);
  const double turn_deg = std::abs(WrapAngle(best->turn)) * 180 / std::numbers::pi;
  const double log_scale =
      std::abs(std::log(std::max(1e-9, std::sqrt(shape.max_scale * shape.min_scale))));
  const double strong_distance =
      params.strong_distance +
      params.strong_distance_turn * std::min(1.0, turn_deg / params.strong_full_turn_deg) +
      params.strong_distance_scale *
          std::min(1.0, log_scale / std::log(std::max(1.0001, params.strong_full_scale))) +
      params.strong_distance_aniso *
          std::min(1.0, std::log(shape.max_scale / std::max(1e-9, shape.min_scale)) /
                            std::log(std::max(1.0001, params.strong_full_aniso)));
  const double strong_residual2 =
      params.strong_residual * params.strong_residual * best->tolerance2;
  const double exact_residual2 = params.exact_residual * params.exact_residual * best->tolerance2;
  std::vector<uint8_t> score_cells(params.score_grid * params.score_grid);
  // A reference keypoint may be paired twice (head and tail): it counts once.
  std::vector<uint8_t> counted(reference.keypoints.size(), 0), strong_ref(counted.size(), 0),
      exact_ref(counted.size(), 0);
  int distinct = 0;
  bool coverage_cells[kCoverageGrid][kCoverageGrid] = {};
  int score = 0, covered = 0, strong = 0, exact = 0;
  LocalBox box{1e30f, 1e30f, -1e30f, -1e30f};
  for (size_t k = 0; k < cs.size(); ++k) {
    if (!mask[k]) continue;
    const PointPair& p = cs[k].points;
    double px, py;
    ApplyTransform(best->transform, p.rx, p.ry, &px, &py);
    const double residual2 = (px - p.qx) * (px - p.qx) + (py - p.qy) * (py - p.qy);
    distinct += counted[cs[k].reference] ? 0 : 1;
    counted[cs[k].reference] = 1;
    if (cs[k].distance <= strong_distance && residual2 <= strong_residual2) {
      strong += strong_ref[cs[k].reference] ? 0 : 1;
      strong_ref[cs[k].reference] = 1;
      uint8_t& s = score_cells[Cell(p.ry, reference.height, params.score_grid) * params.score_grid +
                               Cell(p.rx, reference.width, params.score_grid)];
      score += s ? 0 : 1;
      s = 1;
    }
    if (cs[k].distance <= params.exact_distance && residual2 <= exact_residual2) {
      exact += exact_ref[cs[k].reference] ? 0 : 1;
      exact_ref[cs[k].reference] = 1;
    }
    bool& c = coverage_cells[Cell(p.qy, height, kCoverageGrid)][Cell(p.qx, width, kCoverageGrid)];
    covered += c ? 0 : 1;
    c = true;
    box.x0 = std::min(box.x0, static_cast<float>(p.qx));
    box.y0 = std::min(box.y0, static_cast<float>(p.qy));
    box.x1 = std::max(box.x1, static_cast<float>(p.qx));
    box.y1 = std::max(box.y1, static_cast<float>(p.qy));
    if (inliers != nullptr) {
      const size_t qi = static_cast<size_t>(cs[k].query);
      const size_t named =
          qi < keypoints.size() ? qi + first_index : qi - keypoints.size() + also_first_index;
      inliers->push_back({static_cast<int>(named), cs[k].reference, cs[k].distance,
                          static_cast<float>(p.rx), static_cast<float>(p.ry),
                          static_cast<float>(p.qx), static_cast<float>(p.qy),
                          static_cast<float>(std::sqrt(residual2))});
    }
  }
  m.inliers = distinct;
  // An exact inlier is also strong at the defaults (exact_distance <= strong_distance,
  // exact_residual <= strong_residual), so a pair accepted through its exact inliers has a
  // strong inlier's cell and scores >= 1.
  m.score =
      strong + params.exact_bonus * std::max(0, exact - 1) >= params.min_strong_inliers ? score : 0;
  m.coverage = static_cast<double>(covered) / (kCoverageGrid * kCoverageGrid);
  m.query_box = box;
  m.matched = m.score >= options.min_score;
  return m;
}

// The parameters for a small query's two views pooled: their own minimum, and the enlarged
// view's exact bonus.
LocalVerifyParams PooledViewParams(const LocalVerifyParams& params) {
  LocalVerifyParams out = params;
  out.min_strong_inliers =
      std::max(params.min_strong_inliers, params.pooled_views_min_strong_inliers);
  out.exact_bonus = params.enlarged_exact_bonus;
  return out;
}

// The query's plain view and, for a small query, its enlarged view, each verified on its own
// and the two pooled; the best answers.
LocalMatch VerifyViews(const LocalFeatures& query, const LocalFeatures& reference,
                       const LocalVerifyOptions& options, const LocalVerifyParams& params,
                       std::vector<LocalInlier>* inliers) {
  const std::span<const LocalKeypoint> all(query.keypoints);
  const size_t split = PlainKeypointCount(query);
  if (split == all.size()) {
    return VerifyView(all, query.width, query.height, 0, reference, options, params, inliers);
  }
  // A small query's two views are verified on their own, and the better one answers...
  LocalVerifyParams enlarged_params = params;
  enlarged_params.min_strong_inliers = params.enlarged_min_strong_inliers;
  enlarged_params.exact_bonus = params.enlarged_exact_bonus;
  std::vector<LocalInlier> enlarged_inliers;
  const LocalMatch a = VerifyView(all.first(split), query.width, query.height, 0, reference,
                                  options, params, inliers);
  const LocalMatch b =
      VerifyView(all.subspan(split), query.width, query.height, split, reference, options,
                 enlarged_params, inliers != nullptr ? &enlarged_inliers : nullptr);
  LocalMatch best = a;
  if (b.score > a.score || (b.score == a.score && b.inliers > a.inliers)) {
    if (inliers != nullptr) *inliers = std::move(enlarged_inliers);
    best = b;
  }
  // ... and pooled, with a minimum of their own (LocalVerifyParams::pooled_views_*).
  std::vector<LocalInlier> pooled_inliers;
  const LocalMatch c = VerifyView(
      all.first(split), query.width, query.height, 0, reference, options, PooledViewParams(params),
      inliers != nullptr ? &pooled_inliers : nullptr, all.subspan(split), split);
  if (c.score > best.score || (c.score == best.score && c.inliers > best.inliers)) {
    if (inliers != nullptr) *inliers = std::move(pooled_inliers);
    best = c;
  }
  return best;
}

}  // namespace

LocalMatch VerifyLocalMatchDetailed(const LocalFeatures& query, const LocalFeatures& reference,
                                    const LocalVerifyOptions& options,
                                    const LocalVerifyParams& params,
                                    std::vector<LocalInlier>* inliers) {
  const LocalMatch a = VerifyViews(query, reference, options, params, inliers);
  if (query.without_overlay == nullptr) return a;
  // The overlay-removed picture, pooled with the query and on its own, with its stricter
  // minimum (LocalVerifyParams::overlay_min_strong_inliers); the best answer wins, the query's
  // own on a tie.
  LocalVerifyParams overlay_params = params;
  overlay_params.min_strong_inliers = params.overlay_min_strong_inliers;
  overlay_params.enlarged_min_strong_inliers =
      std::max(params.enlarged_min_strong_inliers, params.overlay_min_strong_inliers);
  const LocalFeatures& cleaned = *query.without_overlay;
  const std::span<const LocalKeypoint> own(query.keypoints), other(cleaned.keypoints);
  const size_t own_plain = PlainKeypointCount(query), other_plain = PlainKeypointCount(cleaned);
  LocalMatch best = a;
  auto consider = [&](const LocalMatch& m, std::vector<LocalInlier>& m_inliers) {
    if (m.score > best.score || (m.score == best.score && m.inliers > best.inliers)) {
      best = m;
      if (inliers != nullptr) *inliers = std::move(m_inliers);
    }
  };
  std::vector<LocalInlier> other_inliers;
  // Its plain view is pooled with the query's: the two are the same picture in the same
  // geometry, and each keeps corners the other lost (the fill erases the photo's own corners
  // that the mask took; the lettering spoils the descriptors its strokes cross). Each
  // extraction is paired on its own, so neither takes the other's pairs.
  consider(VerifyView(own.first(own_plain), query.width, query.height, 0, reference, options,
                      overlay_params, inliers != nullptr ? &other_inliers : nullptr,
                      other.first(other_plain), own.size()),
           other_inliers);
  // ... and on its own: RANSAC over the pooled pairs can settle on a different geometry.
  consider(VerifyView(other.first(other_plain), query.width, query.height, own.size(), reference,
                      options, overlay_params, inliers != nullptr ? &other_inliers : nullptr),
           other_inliers);
  if (other_plain < other.size()) {
    // Its enlarged view (a small query) on its own, as the query's own enlarged view.
    LocalVerifyParams enlarged_params = overlay_params;
    enlarged_params.min_strong_inliers = overlay_params.enlarged_min_strong_inliers;
    enlarged_params.exact_bonus = overlay_params.enlarged_exact_bonus;
    consider(VerifyView(other.subspan(other_plain), query.width, query.height,
                        own.size() + other_plain, reference, options, enlarged_params,
                        inliers != nullptr ? &other_inliers : nullptr),
             other_inliers);
    // ... and its two views pooled, as the query's own.
    consider(VerifyView(other.first(other_plain), query.width, query.height, own.size(), reference,
                        options, PooledViewParams(overlay_params),
                        inliers != nullptr ? &other_inliers : nullptr, other.subspan(other_plain),
                        own.size() + other_plain),
             other_inliers);
  }
  return best;
}

}  // namespace warden
