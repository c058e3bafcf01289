// Plane transforms for the local-feature verifier: similarity (rotation, uniform scale,
// translation) from two point pairs or by least squares, affine by least squares.
//
// All coordinates are pixels. A transform maps a REFERENCE point to a QUERY point, stored as
// [a11 a12 t1 a21 a22 t2] (the layout of LocalMatch::transform):
//   x' = a11 x + a12 y + t1,   y' = a21 x + a22 y + t2.
//
// Thread safety: pure functions on values.
#ifndef WARDEN_SRC_LOCAL_LOCAL_GEOMETRY_H_
#define WARDEN_SRC_LOCAL_LOCAL_GEOMETRY_H_

#include <array>
#include <optional>
#include <span>

namespace warden {

struct PointPair {
  double rx = 0, ry = 0;  // reference point
  double qx = 0, qy = 0;  // query point
};

using PlaneTransform = std::array<double, 6>;

// Similarity x' = a x - b y + tx, y' = b x + a y + ty (scale hypot(a, b), angle atan2(b, a)).
struct Similarity {
  double a = 1, b = 0, tx = 0, ty = 0;
  double Scale() const;
  double Angle() const;  // radians, (-pi, pi]
  PlaneTransform ToTransform() const { return {a, -b, tx, b, a, ty}; }
};

// The similarity taking p1 -> q1 and p2 -> q2 exactly. nullopt when the two reference
// points are closer than 1e-6 pixels (no unique answer).
std::optional<Similarity> SimilarityFromTwoPairs(const PointPair& p1, const PointPair& p2);

// Least-squares similarity over `pairs` (closed form on centred points). nullopt for fewer
// than 2 pairs or when all reference points coincide.
std::optional<Similarity> FitSimilarity(std::span<const PointPair> pairs);

// Least-squares affine transform over `pairs` (normal equations, 3x3). nullopt for fewer
// than 3 pairs or when the reference points are (nearly) collinear.
std::optional<PlaneTransform> FitAffine(std::span<const PointPair> pairs);

// Applies `t` to (x, y).
inline void ApplyTransform(const PlaneTransform& t, double x, double y, double* ox, double* oy) {
  *ox = t[0] * x + t[1] * y + t[2];
  *oy = t[3] * x + t[4] * y + t[5];
}

// The singular values of t's 2x2 linear part, larger first, and whether it keeps orientation
// (determinant > 0). Used to reject degenerate or mirrored estimates.
struct LinearShape {
  double max_scale = 0, min_scale = 0;
  bool keeps_orientation = false;
};
LinearShape ShapeOf(const PlaneTransform& t);

}  // namespace warden

#endif  // WARDEN_SRC_LOCAL_LOCAL_GEOMETRY_H_
