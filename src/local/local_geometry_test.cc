#include "src/local/local_geometry.h"

#include <cmath>
#include <numbers>
#include <vector>

#include <gtest/gtest.h>

namespace warden {
namespace {

PointPair Map(const PlaneTransform& t, double x, double y) {
  PointPair p{x, y, 0, 0};
  ApplyTransform(t, x, y, &p.qx, &p.qy);
  return p;
}

TEST(LocalGeometryTest, SimilarityFromTwoPairsIsExact) {
  const double angle = 10 * std::numbers::pi / 180, scale = 1.4;
  Similarity truth{scale * std::cos(angle), scale * std::sin(angle), 35, -12};
  const PlaneTransform t = truth.ToTransform();
  const auto s = SimilarityFromTwoPairs(Map(t, 10, 20), Map(t, 300, 140));
  ASSERT_TRUE(s.has_value());
  EXPECT_NEAR(s->Scale(), scale, 1e-12);
  EXPECT_NEAR(s->Angle(), angle, 1e-12);
  EXPECT_NEAR(s->tx, 35, 1e-9);
  EXPECT_NEAR(s->ty, -12, 1e-9);
}

TEST(LocalGeometryTest, SimilarityFromCoincidentPointsIsNone) {
  PointPair a{5, 5, 1, 1}, b{5, 5, 9, 9};
  EXPECT_FALSE(SimilarityFromTwoPairs(a, b).has_value());
}

TEST(LocalGeometryTest, FitSimilarityAveragesNoise) {
  Similarity truth{0.7 * std::cos(-0.2), 0.7 * std::sin(-0.2), -40, 80};
  const PlaneTransform t = truth.ToTransform();
  std::vector<PointPair> pairs;
  for (int i = 0; i < 40; ++i) {
    PointPair p = Map(t, 13.0 * i, 400.0 - (7 * (i % 9) * i) % 300);
    p.qx += (i % 2 ? 0.5 : -0.5);  // symmetric noise
    p.qy += (i % 3 == 0 ? 0.4 : -0.2);
    pairs.push_back(p);
  }
  const auto s = FitSimilarity(pairs);
  ASSERT_TRUE(s.has_value());
  EXPECT_NEAR(s->Scale(), 0.7, 0.005);
  EXPECT_NEAR(s->Angle(), -0.2, 0.005);
  EXPECT_FALSE(FitSimilarity(std::vector<PointPair>(1)).has_value());
}

TEST(LocalGeometryTest, FitAffineRecoversUnevenScale) {
  const PlaneTransform truth{0.8, 0.05, 10, -0.02, 1.0, 3};
  std::vector<PointPair> pairs{Map(truth, 0, 0), Map(truth, 100, 0), Map(truth, 0, 100),
                               Map(truth, 70, 30)};
  const auto t = FitAffine(pairs);
  ASSERT_TRUE(t.has_value());
  for (int i = 0; i < 6; ++i) EXPECT_NEAR((*t)[i], truth[i], 1e-9) << i;
  const LinearShape shape = ShapeOf(*t);
  EXPECT_TRUE(shape.keeps_orientation);
  EXPECT_GT(shape.max_scale, shape.min_scale);
}

TEST(LocalGeometryTest, FitAffineRejectsCollinearPoints) {
  const PlaneTransform id{1, 0, 0, 0, 1, 0};
  std::vector<PointPair> pairs{Map(id, 0, 0), Map(id, 10, 10), Map(id, 20, 20), Map(id, 35, 35)};
  EXPECT_FALSE(FitAffine(pairs).has_value());
}

TEST(LocalGeometryTest, ShapeOfKnownMatrices) {
  const LinearShape rot =
      ShapeOf(Similarity{2 * std::cos(1.0), 2 * std::sin(1.0), 0, 0}.ToTransform());
  EXPECT_NEAR(rot.max_scale, 2, 1e-12);
  EXPECT_NEAR(rot.min_scale, 2, 1e-12);
  EXPECT_TRUE(rot.keeps_orientation);
  const LinearShape mirror = ShapeOf({-1, 0, 0, 0, 3, 0});
  EXPECT_NEAR(mirror.max_scale, 3, 1e-12);
  EXPECT_NEAR(mirror.min_scale, 1, 1e-12);
  EXPECT_FALSE(mirror.keeps_orientation);
}

}  // namespace
}  // namespace warden
