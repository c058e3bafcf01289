#include "src/local/local_geometry.h"

#include <cmath>

namespace warden {

double Similarity::Scale() const { return std::hypot(a, b); }
double Similarity::Angle() const { return std::atan2(b, a); }

std::optional<Similarity> SimilarityFromTwoPairs(const PointPair& p1, const PointPair& p2) {
  // In complex numbers q = z p + t with z = a + ib: z = (q2 - q1) / (p2 - p1).
  const double dx = p2.rx - p1.rx, dy = p2.ry - p1.ry;
  const double ex = p2.qx - p1.qx, ey = p2.qy - p1.qy;
  const double norm = dx * dx + dy * dy;
  if (norm < 1e-12) return std::nullopt;
  Similarity s;
  s.a = (ex * dx + ey * dy) / norm;
  s.b = (ey * dx - ex * dy) / norm;
  s.tx = p1.qx - (s.a * p1.rx - s.b * p1.ry);
  s.ty = p1.qy - (s.b * p1.rx + s.a * p1.ry);
  return s;
}

namespace {

struct Means {
  double rx = 0, ry = 0, qx = 0, qy = 0;
};

Means MeansOf(std::span<const PointPair> pairs) {
  Means m;
  for (const PointPair& p : pairs) {
    m.rx += p.rx;
    m.ry += p.ry;
    m.qx += p.qx;
    m.qy += p.qy;
  }
  const double n = static_cast<double>(pairs.size());
  m.rx /= n;
  m.ry /= n;
  m.qx /= n;
  m.qy /= n;
  return m;
}

}  // namespace

std::optional<Similarity> FitSimilarity(std::span<const PointPair> pairs) {
  if (pairs.size() < 2) return std::nullopt;
  // Centring separates the translation; the rotation-scale z then minimises
  // sum |q_c - z p_c|^2, i.e. z = sum(conj(p_c) q_c) / sum |p_c|^2.
  const Means m = MeansOf(pairs);
  double num_a = 0, num_b = 0, den = 0;
  for (const PointPair& p : pairs) {
    const double x = p.rx - m.rx, y = p.ry - m.ry, u = p.qx - m.qx, v = p.qy - m.qy;
    num_a += x * u + y * v;
    num_b += x * v - y * u;
    den += x * x + y * y;
  }
  if (den < 1e-12) return std::nullopt;
  Similarity s;
  s.a = num_a / den;
  s.b = num_b / den;
  s.tx = m.qx - (s.a * m.rx - s.b * m.ry);
  s.ty = m.qy - (s.b * m.rx + s.a * m.ry);
  return s;
}

std::optional<PlaneTransform> FitAffine(std::span<const PointPair> pairs) {
  if (pairs.size() < 3) return std::nullopt;
  // Centred normal equations: the 2x2 scatter of the reference points, solved once for each
  // output coordinate.
  const Means m = MeansOf(pairs);
  double sxx = 0, sxy = 0, syy = 0, sxu = 0, syu = 0, sxv = 0, syv = 0;
  for (const PointPair& p : pairs) {
    const double x = p.rx - m.rx, y = p.ry - m.ry, u = p.qx - m.qx, v = p.qy - m.qy;
    sxx += x * x;
    sxy += x * y;
    syy += y * y;
    sxu += x * u;
    syu += y * u;
    sxv += x * v;
    syv += y * v;
  }
  const double det = sxx * syy - sxy * sxy;
  const double trace = sxx + syy;
  if (trace < 1e-12 || det < 1e-6 * trace * trace) return std::nullopt;  // collinear
  PlaneTransform t;
  t[0] = (syy * sxu - sxy * syu) / det;
  t[1] = (sxx * syu - sxy * sxu) / det;
  t[3] = (syy * sxv - sxy * syv) / det;
  t[4] = (sxx * syv - sxy * sxv) / det;
  t[2] = m.qx - (t[0] * m.rx + t[1] * m.ry);
  t[5] = m.qy - (t[3] * m.rx + t[4] * m.ry);
  return t;
}

LinearShape ShapeOf(const PlaneTransform& t) {
  // Closed-form singular values of [[p q] [r s]] (Blinn, "Consider the lowly 2x2 matrix").
  const double p = t[0], q = t[1], r = t[3], s = t[4];
  const double e = (p + s) / 2, f = (p - s) / 2, g = (r + q) / 2, h = (r - q) / 2;
  const double big = std::hypot(e, h), small = std::hypot(f, g);
  LinearShape shape;
  shape.max_scale = big + small;
  shape.min_scale = std::abs(big - small);
  shape.keeps_orientation = p * s - q * r > 0;
  return shape;
}

}  // namespace warden
