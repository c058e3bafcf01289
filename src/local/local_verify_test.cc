#include <algorithm>
#include <cmath>
#include <memory>
#include <numbers>
#include <ostream>
#include <random>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "src/local/local_verify_params.h"
#include "warden/local_features.h"

namespace warden {
namespace {

constexpr double kDeg = std::numbers::pi / 180;

float Wrap(double a) {
  while (a >= std::numbers::pi) a -= 2 * std::numbers::pi;
  while (a < -std::numbers::pi) a += 2 * std::numbers::pi;
  return static_cast<float>(a);
}

void RandomDescriptor(std::mt19937& rng, LocalKeypoint& k) {
  for (uint8_t& b : k.descriptor) b = static_cast<uint8_t>(rng());
}

// A reference image's features: `n` keypoints spread over width x height, pyramid scales
// 1.2^0..1.2^5, random orientations and descriptors.
LocalFeatures MakeReference(std::mt19937& rng, int n, int width, int height) {
  LocalFeatures f;
  f.width = width;
  f.height = height;
  std::uniform_real_distribution<double> ux(0, width), uy(0, height),
      ua(-std::numbers::pi, std::numbers::pi);
  for (int i = 0; i < n; ++i) {
    LocalKeypoint k;
    k.x = static_cast<float>(ux(rng));
    k.y = static_cast<float>(uy(rng));
    k.scale = static_cast<float>(std::pow(1.2, static_cast<int>(rng() % 6)));
    k.angle = Wrap(ua(rng));
    RandomDescriptor(rng, k);
    f.keypoints.push_back(k);
  }
  return f;
}

struct Warp {
  double angle_deg = 0, scale = 1, tx = 0, ty = 0;
  void Apply(double x, double y, double* ox, double* oy) const {
    const double c = scale * std::cos(angle_deg * kDeg), s = scale * std::sin(angle_deg * kDeg);
    *ox = c * x - s * y + tx;
    *oy = s * x + c * y + ty;
  }
};

// The query a copy of `reference` under `warp` would give: the reference keypoints for which
// keep(x, y) holds (and a seeded 70% of them: detection is not perfect) moved by the warp with
// pixel noise, 8 descriptor bits flipped, orientation turned and scale multiplied, plus
// `outliers` unrelated keypoints, in random order.
template <typename Keep>
LocalFeatures MakeQuery(std::mt19937& rng, const LocalFeatures& reference, const Warp& warp,
                        int outliers, Keep keep) {
  LocalFeatures q;
  q.width = static_cast<int>(reference.width * warp.scale + 2 * std::abs(warp.tx) + 200);
  q.height = static_cast<int>(reference.height * warp.scale + 2 * std::abs(warp.ty) + 200);
  std::normal_distribution<double> noise(0, 0.7);
  for (const LocalKeypoint& r : reference.keypoints) {
    if (!keep(r.x, r.y) || rng() % 10 >= 7) continue;
    LocalKeypoint k = r;
    double x, y;
    warp.Apply(r.x, r.y, &x, &y);
    k.x = static_cast<float>(std::clamp<double>(x + noise(rng), 0, q.width - 1));
    k.y = static_cast<float>(std::clamp<double>(y + noise(rng), 0, q.height - 1));
    k.angle = Wrap(r.angle + warp.angle_deg * kDeg + noise(rng) * 0.05);
    k.scale = static_cast<float>(r.scale * warp.scale);
    // A copy re-detects its corners with near-identical descriptors (the corpus' copies
    // differ by a median of 2-20 bits): flip 8.
    for (int b = 0; b < 8; ++b) {
      const int bit = static_cast<int>(rng() % 256);
      k.descriptor[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    }
    q.keypoints.push_back(k);
  }
  const LocalFeatures noise_kps = MakeReference(rng, outliers, q.width, q.height);
  q.keypoints.insert(q.keypoints.end(), noise_kps.keypoints.begin(), noise_kps.keypoints.end());
  std::shuffle(q.keypoints.begin(), q.keypoints.end(), rng);
  return q;
}

LocalFeatures MakeQuery(std::mt19937& rng, const LocalFeatures& reference, const Warp& warp,
                        int outliers) {
  return MakeQuery(rng, reference, warp, outliers, [](double, double) { return true; });
}

struct WarpCase {
  double angle_deg, scale, tx, ty;
};
void PrintTo(const WarpCase& c, std::ostream* os) {
  *os << c.angle_deg << " deg, scale " << c.scale << ", shift " << c.tx << "," << c.ty;
}

class LocalVerifyWarpTest : public ::testing::TestWithParam<WarpCase> {};

TEST_P(LocalVerifyWarpTest, RecoversTheSimilarity) {
  const WarpCase c = GetParam();
  const Warp warp{c.angle_deg, c.scale, c.tx, c.ty};
  std::mt19937 rng(static_cast<unsigned>(1000 * c.scale + c.angle_deg + 50));
  const LocalFeatures reference = MakeReference(rng, kLocalStoredKeypoints, 1000, 750);
  const LocalFeatures query = MakeQuery(rng, reference, warp, 400);
  ASSERT_LE(query.keypoints.size(), static_cast<size_t>(kLocalQueryKeypoints));

  const LocalMatch m = VerifyLocalMatch(query, reference, {});
  EXPECT_TRUE(m.matched);
  EXPECT_GE(m.score, 25);
  EXPECT_GE(m.inliers, 50);  // ~70 planted
  EXPECT_LE(m.inliers, m.tentative);
  EXPECT_GT(m.coverage, 0.1);
  // The estimate maps reference points where the warp does, to within a couple of pixels.
  for (const auto& [x, y] : {std::pair{0.0, 0.0}, {1000.0, 0.0}, {500.0, 375.0}, {0.0, 750.0}}) {
    double wx, wy;
    warp.Apply(x, y, &wx, &wy);
    const double ex = m.transform[0] * x + m.transform[1] * y + m.transform[2];
    const double ey = m.transform[3] * x + m.transform[4] * y + m.transform[5];
    EXPECT_NEAR(ex, wx, 2.5) << x << "," << y;
    EXPECT_NEAR(ey, wy, 2.5) << x << "," << y;
  }
  EXPECT_LE(m.query_box.x0, m.query_box.x1);
  EXPECT_LE(m.query_box.y0, m.query_box.y1);
  EXPECT_GE(m.query_box.x0, 0);
  EXPECT_LE(m.query_box.x1, query.width);
}

INSTANTIATE_TEST_SUITE_P(Warps, LocalVerifyWarpTest,
                         ::testing::Values(WarpCase{0, 1, 0, 0}, WarpCase{10, 1, 120, 40},
                                           WarpCase{-10, 1, 150, 30}, WarpCase{4, 0.7, 60, 90},
                                           WarpCase{-7, 1.4, 200, 100}, WarpCase{10, 0.7, 300, 10},
                                           WarpCase{-10, 1.4, 50, 250}));

TEST(LocalVerifyTest, UnrelatedImagesScoreBelowTheThreshold) {
  std::mt19937 rng(99);
  double worst = 0;
  for (int trial = 0; trial < 40; ++trial) {
    const LocalFeatures reference = MakeReference(rng, kLocalStoredKeypoints, 900, 600);
    const LocalFeatures query = MakeReference(rng, kLocalQueryKeypoints, 1200, 800);
    const LocalMatch m = VerifyLocalMatch(query, reference, {});
    EXPECT_FALSE(m.matched);
    worst = std::max(worst, m.score);
  }
  EXPECT_LT(worst, kLocalDefaultMinScore);
}

TEST(LocalVerifyTest, PartOfTheImageSurvivesAndTheBoxCoversIt) {
  // Only the left 45% of the picture is left (the rest regenerated): still a match, and the
  // inliers lie in the kept part.
  std::mt19937 rng(5);
  const LocalFeatures reference = MakeReference(rng, kLocalStoredKeypoints, 1000, 800);
  const Warp warp{3, 0.9, 40, 20};
  const LocalFeatures query =
      MakeQuery(rng, reference, warp, 450, [](double x, double) { return x < 450; });
  const LocalMatch m = VerifyLocalMatch(query, reference, {});
  EXPECT_TRUE(m.matched);
  EXPECT_GE(m.score, 12);
  double right_edge, unused;
  warp.Apply(450, 0, &right_edge, &unused);
  EXPECT_LE(m.query_box.x1, right_edge + 5);
}

TEST(LocalVerifyTest, AgreementInOnePlaceScoresLow) {
  // Many agreeing keypoints, but all inside one small patch (as when two photos share only a
  // logo or one facial feature): the score counts grid cells, so it stays low.
  std::mt19937 rng(8);
  const LocalFeatures reference = MakeReference(rng, kLocalStoredKeypoints, 800, 800);
  const LocalFeatures query = MakeQuery(rng, reference, Warp{0, 1, 0, 0}, 450,
                                        [](double x, double y) { return x < 100 && y < 100; });
  const LocalMatch m = VerifyLocalMatch(query, reference, {});
  EXPECT_LE(m.score, 1);
  EXPECT_FALSE(m.matched);
}

TEST(LocalVerifyTest, SameGeometryWithDifferentDescriptorsIsTheFaceTrap) {
  // Two different photos of one aligned face: the keypoints sit where the reference's do (a
  // similarity agrees, all over the picture) but their descriptors differ by ~30 bits and
  // their positions scatter by about half the tolerance. Many inliers, no strong one: no match.
  std::mt19937 rng(31);
  const LocalFeatures reference = MakeReference(rng, kLocalStoredKeypoints, 150, 150);
  LocalFeatures query{150, 150, {}};
  std::normal_distribution<double> scatter(0, 1.0);
  for (const LocalKeypoint& r : reference.keypoints) {
    LocalKeypoint k = r;
    k.x = static_cast<float>(std::clamp<double>(r.x + scatter(rng), 0, 149));
    k.y = static_cast<float>(std::clamp<double>(r.y + scatter(rng), 0, 149));
    for (int b = 0; b < 30; ++b) {
      const int bit = static_cast<int>(rng() % 256);
      k.descriptor[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    }
    query.keypoints.push_back(k);
  }
  const LocalMatch m = VerifyLocalMatch(query, reference, {});
  EXPECT_GE(m.inliers, 20);
  EXPECT_LT(m.score, kLocalDefaultMinScore);
  EXPECT_FALSE(m.matched);

  // The same picture again (identical descriptors, exact positions) is a strong match.
  const LocalMatch self = VerifyLocalMatch(reference, reference, {});
  EXPECT_TRUE(self.matched);
  EXPECT_GE(self.score, 40);
}

TEST(LocalVerifyTest, TurnedOrResizedCopiesAllowMoreDescriptorBits) {
  // Resampling flips descriptor bits: 22 flipped bits are too many for an unturned copy at
  // the same scale, not for one turned by 10 degrees.
  std::mt19937 rng(17);
  const LocalFeatures reference = MakeReference(rng, kLocalStoredKeypoints, 900, 700);
  auto copy = [&](const Warp& warp) {
    LocalFeatures q{1400, 1200, {}};
    for (const LocalKeypoint& r : reference.keypoints) {
      LocalKeypoint k = r;
      double x, y;
      warp.Apply(r.x, r.y, &x, &y);
      k.x = static_cast<float>(x);
      k.y = static_cast<float>(y);
      k.angle = Wrap(r.angle + warp.angle_deg * kDeg);
      k.scale = static_cast<float>(r.scale * warp.scale);
      for (int b = 0; b < 22; ++b) k.descriptor[b] ^= 0x01;  // 22 distinct bits
      q.keypoints.push_back(k);
    }
    return q;
  };
  const LocalMatch straight = VerifyLocalMatch(copy(Warp{0, 1, 100, 100}), reference, {});
  const LocalMatch turned = VerifyLocalMatch(copy(Warp{10, 1, 300, 100}), reference, {});
  EXPECT_GE(straight.inliers, 90);
  EXPECT_EQ(straight.score, 0);
  EXPECT_GE(turned.inliers, 90);
  EXPECT_GE(turned.score, 40);
}

TEST(LocalVerifyTest, AnUnevenResizeAllowsMoreDescriptorBits) {
  // Width to 0.8, height kept: the affine fit finds axis scales 0.8 and 1; 19 flipped bits
  // are over the allowance of an even copy at that mean scale (16 + 1.3) and within the one
  // that also follows the anisotropy (+ 4 at a ratio of 1.25).
  std::mt19937 rng(23);
  const LocalFeatures reference = MakeReference(rng, kLocalStoredKeypoints, 900, 700);
  auto copy = [&](double sx) {
    LocalFeatures q{static_cast<int>(900 * sx), 700, {}};
    for (const LocalKeypoint& r : reference.keypoints) {
      LocalKeypoint k = r;
      k.x = static_cast<float>(r.x * sx);
      k.scale = static_cast<float>(r.scale * std::sqrt(sx));
      for (int b = 0; b < 19; ++b) k.descriptor[b] ^= 0x02;  // 19 distinct bits
      q.keypoints.push_back(k);
    }
    return q;
  };
  const LocalMatch even = VerifyLocalMatch(copy(1.0), reference, {});
  EXPECT_GE(even.inliers, 90);
  EXPECT_EQ(even.score, 0);
  const LocalMatch uneven = VerifyLocalMatch(copy(0.8), reference, {});
  EXPECT_GE(uneven.inliers, 90);
  EXPECT_NEAR(uneven.transform[0], 0.8, 0.01);
  EXPECT_NEAR(uneven.transform[4], 1.0, 0.01);
  EXPECT_GE(uneven.score, 40);
  LocalVerifyParams no_allowance;
  no_allowance.strong_distance_aniso = 0;
  EXPECT_EQ(VerifyLocalMatchWith(copy(0.8), reference, {}, no_allowance).score, 0);
}

TEST(LocalVerifyTest, TheQuerysTailCannotTakeItsHeadsPairs) {
  // The head (first kLocalQueryHeadKeypoints) holds 30 copies of reference keypoints, 10 bits
  // off; the tail holds, for each, a decoy 12 bits off at a random place. Paired together the
  // decoys would fail every copy's ratio test (10 < 0.8 * 12 does not hold); the head is paired
  // on its own, so the copies still match. Without a tail the answer is the same.
  std::mt19937 rng(29);
  const LocalFeatures reference = MakeReference(rng, kLocalStoredKeypoints, 1000, 700);
  LocalFeatures head = MakeReference(rng, kLocalQueryHeadKeypoints - 30, 1000, 700);
  LocalFeatures tail = MakeReference(rng, 100, 1000, 700);
  for (int i = 0; i < 30; ++i) {
    LocalKeypoint copy = reference.keypoints[i * 3];
    for (int b = 0; b < 10; ++b) copy.descriptor[b] ^= 0x04;
    head.keypoints.push_back(copy);
    LocalKeypoint decoy = copy;
    decoy.x = tail.keypoints[i].x;
    decoy.y = tail.keypoints[i].y;
    for (int b = 10; b < 12; ++b) decoy.descriptor[b] ^= 0x04;
    tail.keypoints[i] = decoy;
  }
  const LocalMatch alone = VerifyLocalMatch(head, reference, {});
  LocalFeatures query = head;
  query.keypoints.insert(query.keypoints.end(), tail.keypoints.begin(), tail.keypoints.end());
  ASSERT_GT(query.keypoints.size(), static_cast<size_t>(kLocalQueryHeadKeypoints));
  const LocalMatch both = VerifyLocalMatch(query, reference, {});
  EXPECT_GE(alone.inliers, 30);
  EXPECT_TRUE(alone.matched);
  EXPECT_EQ(both.inliers, alone.inliers);
  EXPECT_EQ(both.score, alone.score);
  EXPECT_TRUE(both.matched);
}

// A query holding copies of reference keypoints at their exact positions: `exact` of them
// with 4 descriptor bits flipped (exact inliers), `strong` with 12 (strong, not exact) and
// `weak` with 24 (inliers, not strong), among 200 unrelated keypoints.
LocalFeatures CopiesWithFlippedBits(std::mt19937& rng, const LocalFeatures& reference, int exact,
                                    int strong, int weak, int first = 0) {
  LocalFeatures q = MakeReference(rng, 200, reference.width, reference.height);
  int next = first;
  const std::pair<int, int> groups[] = {{exact, 4}, {strong, 12}, {weak, 24}};
  for (const auto& [count, bits] : groups) {
    for (int i = 0; i < count; ++i, next += 7) {
      LocalKeypoint copy = reference.keypoints[next % reference.keypoints.size()];
      for (int b = 0; b < bits; ++b) copy.descriptor[b] ^= 0x10;  // `bits` distinct bits
      q.keypoints.push_back(copy);
    }
  }
  std::shuffle(q.keypoints.begin(), q.keypoints.end(), rng);
  return q;
}

TEST(LocalVerifyTest, ExactInliersLowerTheStrongMinimum) {
  // Five strong inliers are one short of min_strong_inliers (6); exact ones (descriptors within
  // 8 bits, positions within a quarter of the tolerance: the registered pixels untouched, as
  // outside a regenerated region) each count two more after the first.
  std::mt19937 rng(37);
  const LocalFeatures reference = MakeReference(rng, kLocalStoredKeypoints, 1000, 700);
  const LocalMatch one_exact =
      VerifyLocalMatch(CopiesWithFlippedBits(rng, reference, 1, 4, 6), reference, {});
  EXPECT_EQ(one_exact.inliers, 11);
  EXPECT_EQ(one_exact.score, 0);
  const LocalMatch two_exact =
      VerifyLocalMatch(CopiesWithFlippedBits(rng, reference, 2, 2, 6), reference, {});
  EXPECT_EQ(two_exact.inliers, 10);
  EXPECT_GE(two_exact.score, 3);
  EXPECT_TRUE(two_exact.matched);
  const LocalMatch three_exact =
      VerifyLocalMatch(CopiesWithFlippedBits(rng, reference, 3, 0, 6), reference, {});
  EXPECT_EQ(three_exact.inliers, 9);
  EXPECT_GE(three_exact.score, 2);
  EXPECT_TRUE(three_exact.matched);
  // Without the bonus (the rule before exact inliers) neither matches.
  LocalVerifyParams no_bonus;
  no_bonus.exact_bonus = 0;
  EXPECT_EQ(
      VerifyLocalMatchWith(CopiesWithFlippedBits(rng, reference, 2, 2, 6), reference, {}, no_bonus)
          .score,
      0);
  EXPECT_EQ(
      VerifyLocalMatchWith(CopiesWithFlippedBits(rng, reference, 3, 0, 6), reference, {}, no_bonus)
          .score,
      0);
  // Copies 7 px off (the tolerance is 16 px at 1000 px; the fit, anchored by 12 unmoved
  // copies, leaves them ~5.6 px off: over a quarter, within half) are strong but not exact:
  // three of them, with identical descriptors, are three strong inliers only.
  LocalFeatures shifted = CopiesWithFlippedBits(rng, reference, 0, 0, 12);
  for (int i = 0; i < 3; ++i) {
    LocalKeypoint copy = reference.keypoints[3 + 7 * i];
    copy.x += 7.0f;
    shifted.keypoints.push_back(copy);
  }
  const LocalMatch near = VerifyLocalMatch(shifted, reference, {});
  EXPECT_EQ(near.inliers, 15);
  EXPECT_EQ(near.score, 0);
}

// `f` as a quarter-size copy would give it: positions scaled, a 250x175 image.
LocalFeatures Quarter(LocalFeatures f) {
  for (LocalKeypoint& k : f.keypoints) {
    k.x *= 0.25f;
    k.y *= 0.25f;
  }
  f.width = 250;
  f.height = 175;
  return f;
}

// A small query: `plain` as its own view, then `enlarged` as its enlarged view.
LocalFeatures WithEnlargedView(LocalFeatures plain, const LocalFeatures& enlarged) {
  plain.enlarged_begin = plain.keypoints.size();
  plain.keypoints.insert(plain.keypoints.end(), enlarged.keypoints.begin(),
                         enlarged.keypoints.end());
  return plain;
}

TEST(LocalVerifyTest, AnEnlargedViewIsVerifiedOnItsOwnAndPooledMoreStrictly) {
  const LocalVerifyParams defaults;
  ASSERT_EQ(defaults.min_strong_inliers, 6);
  ASSERT_EQ(defaults.enlarged_min_strong_inliers, 10);
  std::mt19937 rng(43);
  const LocalFeatures reference = MakeReference(rng, kLocalStoredKeypoints, 1000, 700);
  // Quarter-size copies (the resize allows 8 more bits, so the 12-bit copies are strong and
  // no weak ones are added); every view holds 200 unrelated keypoints besides.
  const LocalFeatures nothing = Quarter(MakeReference(rng, 200, 1000, 700));
  auto copies = [&](int strong) {
    return Quarter(CopiesWithFlippedBits(rng, reference, 0, strong, 0));
  };
  // Nine strong inliers in the plain view match (6 needed)...
  const LocalMatch in_plain = VerifyLocalMatch(WithEnlargedView(copies(9), nothing), reference, {});
  EXPECT_TRUE(in_plain.matched);
  EXPECT_EQ(in_plain.inliers, 9);
  // ... in the enlarged view on its own they do not (10 needed; pooling switched off here)...
  LocalVerifyParams unpooled = defaults;
  unpooled.pooled_views_min_strong_inliers = 1000;
  const LocalFeatures nine = WithEnlargedView(nothing, copies(9));
  EXPECT_EQ(VerifyLocalMatchWith(nine, reference, {}, unpooled).score, 0);
  // ... while the pooled views need 8, and the plain view's pairs may add nothing.
  EXPECT_TRUE(VerifyLocalMatch(nine, reference, {}).matched);
  // Ten match in the enlarged view on its own.
  const LocalFeatures ten = WithEnlargedView(nothing, copies(10));
  std::vector<LocalInlier> inliers;
  const LocalMatch in_view = VerifyLocalMatchDetailed(ten, reference, {}, unpooled, &inliers);
  EXPECT_TRUE(in_view.matched);
  EXPECT_EQ(in_view.inliers, 10);
  // The inliers name the query's keypoints by their index in the whole query.
  ASSERT_EQ(inliers.size(), 10u);
  for (const LocalInlier& in : inliers) {
    EXPECT_GE(static_cast<size_t>(in.query), ten.enlarged_begin);
    // (12 bits flipped in bytes 0-11; the rest of a copy's descriptor is its reference's.)
    EXPECT_EQ(ten.keypoints[in.query].descriptor[20],
              reference.keypoints[in.reference].descriptor[20]);
  }
  // Seven copies in the enlarged view do not match; without the view marker the same
  // keypoints are one plain view, and seven are enough.
  LocalFeatures pooled = WithEnlargedView(nothing, copies(7));
  EXPECT_EQ(VerifyLocalMatch(pooled, reference, {}).score, 0);
  pooled.enlarged_begin = 0;
  EXPECT_TRUE(VerifyLocalMatch(pooled, reference, {}).matched);
  // The two views are also pooled, with 8 needed: copies of 4 registered keypoints in the
  // plain view and of 4 others in the enlarged one match (neither view would alone), 4 + 3 do
  // not, and a registered keypoint found in both counts once.
  ASSERT_EQ(defaults.pooled_views_min_strong_inliers, 8);
  auto some = [&](int strong, int first) {
    return Quarter(CopiesWithFlippedBits(rng, reference, 0, strong, 0, first));
  };
  std::vector<LocalInlier> both_inliers;
  const LocalFeatures four_four = WithEnlargedView(some(4, 0), some(4, 3));
  const LocalMatch both =
      VerifyLocalMatchDetailed(four_four, reference, {}, defaults, &both_inliers);
  EXPECT_TRUE(both.matched);
  EXPECT_EQ(both.inliers, 8);
  int in_enlarged = 0;
  for (const LocalInlier& in : both_inliers) {
    in_enlarged += static_cast<size_t>(in.query) >= four_four.enlarged_begin ? 1 : 0;
  }
  EXPECT_EQ(in_enlarged, 4);
  EXPECT_EQ(VerifyLocalMatch(WithEnlargedView(some(4, 0), some(3, 3)), reference, {}).score, 0);
  EXPECT_EQ(VerifyLocalMatch(WithEnlargedView(some(4, 0), some(4, 0)), reference, {}).score, 0);
}

TEST(LocalVerifyTest, TheOverlayRemovedPictureIsPooledWithTheQuery) {
  // The filled-in picture needs as many strong inliers as the query's own (6; 8 before the
  // registered forms of small pictures held their enlarged view, docs/local-features.md).
  ASSERT_EQ(LocalVerifyParams{}.overlay_min_strong_inliers, 6);
  ASSERT_EQ(LocalVerifyParams{}.min_strong_inliers, 6);
  std::mt19937 rng(44);
  const LocalFeatures reference = MakeReference(rng, kLocalStoredKeypoints, 1000, 700);
  const LocalFeatures nothing = MakeReference(rng, 300, 1000, 700);
  auto copies = [&](int strong) { return CopiesWithFlippedBits(rng, reference, 0, strong, 0); };
  // The lettered picture itself holds nothing of the reference; filled in, it holds 6 copies.
  LocalFeatures query = nothing;
  query.without_overlay = std::make_shared<const LocalFeatures>(copies(6));
  std::vector<LocalInlier> inliers;
  const LocalMatch m =
      VerifyLocalMatchDetailed(query, reference, {}, LocalVerifyParams{}, &inliers);
  EXPECT_TRUE(m.matched);
  EXPECT_EQ(m.inliers, 6);
  // The inliers name the overlay-removed picture's keypoints after the query's own.
  ASSERT_EQ(inliers.size(), 6u);
  for (const LocalInlier& in : inliers) {
    ASSERT_GE(static_cast<size_t>(in.query), query.keypoints.size());
    EXPECT_EQ(query.without_overlay->keypoints[in.query - query.keypoints.size()].descriptor[20],
              reference.keypoints[in.reference].descriptor[20]);
  }
  EXPECT_EQ(VerifyLocalMatch(nothing, reference, {}).score, 0);
  // Five copies match in neither.
  LocalFeatures five = nothing;
  five.without_overlay = std::make_shared<const LocalFeatures>(copies(5));
  EXPECT_EQ(VerifyLocalMatch(five, reference, {}).score, 0);
  EXPECT_EQ(VerifyLocalMatch(copies(5), reference, {}).score, 0);
  // A stricter minimum for the filled-in picture applies to it alone.
  LocalVerifyParams strict;
  strict.overlay_min_strong_inliers = 8;
  EXPECT_EQ(VerifyLocalMatchWith(query, reference, {}, strict).score, 0);
  EXPECT_TRUE(VerifyLocalMatchWith(copies(6), reference, {}, strict).matched);
  // It is pooled with the picture's own keypoints (the same picture, the same geometry):
  // copies of 3 registered keypoints in the lettered picture and of 3 others in the filled-in
  // one make 6, and the inliers come from both...
  LocalFeatures split = CopiesWithFlippedBits(rng, reference, 0, 3, 0, 0);
  split.without_overlay =
      std::make_shared<const LocalFeatures>(CopiesWithFlippedBits(rng, reference, 0, 3, 0, 3));
  std::vector<LocalInlier> pooled_inliers;
  const LocalMatch pooled =
      VerifyLocalMatchDetailed(split, reference, {}, LocalVerifyParams{}, &pooled_inliers);
  EXPECT_TRUE(pooled.matched);
  EXPECT_EQ(pooled.inliers, 6);
  int from_own = 0;
  for (const LocalInlier& in : pooled_inliers) {
    const size_t q = static_cast<size_t>(in.query);
    const bool own = q < split.keypoints.size();
    from_own += own ? 1 : 0;
    const LocalKeypoint& kp =
        own ? split.keypoints[q] : split.without_overlay->keypoints[q - split.keypoints.size()];
    EXPECT_EQ(kp.descriptor[20], reference.keypoints[in.reference].descriptor[20]);
  }
  EXPECT_EQ(from_own, 3);
  // ... 3 + 2 do not make 6, and a registered keypoint found in both counts once (copies of
  // the same 3 do not make 6).
  LocalFeatures short_split = CopiesWithFlippedBits(rng, reference, 0, 3, 0, 0);
  short_split.without_overlay =
      std::make_shared<const LocalFeatures>(CopiesWithFlippedBits(rng, reference, 0, 2, 0, 3));
  EXPECT_EQ(VerifyLocalMatch(short_split, reference, {}).score, 0);
  LocalFeatures same = copies(3);
  same.without_overlay = std::make_shared<const LocalFeatures>(copies(3));
  EXPECT_EQ(VerifyLocalMatch(same, reference, {}).score, 0);
  // When both answer, the better one does.
  LocalFeatures both = copies(7);
  both.without_overlay = std::make_shared<const LocalFeatures>(copies(12));
  EXPECT_EQ(VerifyLocalMatch(both, reference, {}).inliers, 12);
}

TEST(LocalVerifyTest, Deterministic) {
  std::mt19937 rng(21);
  const LocalFeatures reference = MakeReference(rng, kLocalStoredKeypoints, 1000, 700);
  // Many outliers and a low inlier share: the sampled (not enumerated) path.
  const LocalFeatures query = MakeQuery(rng, reference, Warp{-6, 1.1, 30, 30}, 450);
  const LocalMatch a = VerifyLocalMatch(query, reference, {});
  for (int i = 0; i < 3; ++i) {
    const LocalMatch b = VerifyLocalMatch(query, reference, {});
    EXPECT_EQ(a.score, b.score);
    EXPECT_EQ(a.inliers, b.inliers);
    EXPECT_EQ(a.tentative, b.tentative);
    EXPECT_EQ(a.transform, b.transform);
  }
  EXPECT_GT(a.tentative, 25);  // over kExhaustiveMaxPairs: the sampled path ran
}

TEST(LocalVerifyTest, EmptyInputsGiveNoMatch) {
  std::mt19937 rng(2);
  const LocalFeatures some = MakeReference(rng, 50, 400, 300);
  const LocalFeatures none{400, 300, {}};
  LocalFeatures zero_size = some;
  zero_size.width = 0;
  for (const auto& [q, r] : {std::pair{&none, &some},
                             {&some, &none},
                             {&none, &none},
                             {&zero_size, &some},
                             {&some, &zero_size}}) {
    const LocalMatch m = VerifyLocalMatch(*q, *r, {});
    EXPECT_EQ(m.score, 0);
    EXPECT_EQ(m.inliers, 0);
    EXPECT_FALSE(m.matched);
  }
  // Identical features do match themselves.
  EXPECT_TRUE(VerifyLocalMatch(some, some, {}).matched);
}

TEST(LocalVerifyTest, MinScoreDecides) {
  std::mt19937 rng(4);
  const LocalFeatures reference = MakeReference(rng, kLocalStoredKeypoints, 800, 600);
  const LocalFeatures query = MakeQuery(rng, reference, Warp{0, 1, 10, 10}, 300);
  const LocalMatch m = VerifyLocalMatch(query, reference, {});
  ASSERT_GT(m.score, 2);
  EXPECT_TRUE(VerifyLocalMatch(query, reference, {m.score}).matched);
  EXPECT_FALSE(VerifyLocalMatch(query, reference, {m.score + 1}).matched);
}

}  // namespace
}  // namespace warden
