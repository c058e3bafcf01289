#include "src/local/local_orb.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "warden/status.h"

namespace warden::local {
namespace {

constexpr double kPi = 3.14159265358979323846;

// The FAST circle, clockwise from the top (Rosten & Drummond): 16 pixels at radius 3.
constexpr int kCircleX[16] = {0, 1, 2, 3, 3, 3, 2, 1, 0, -1, -2, -3, -3, -3, -2, -1};
constexpr int kCircleY[16] = {-3, -3, -2, -1, 0, 1, 2, 3, 3, 3, 2, 1, 0, -1, -2, -3};

// True iff the 16-bit cyclic mask has 9 contiguous set bits.
inline bool HasArcOf9(uint32_t mask) {
  uint32_t m = mask | (mask << 16);
  uint32_t run = m;
  for (int i = 1; i < 9; ++i) run &= m >> i;
  return run != 0;
}

// splitmix64 (Steele, Lea & Flood 2014): a small generator whose output is fixed by its seed
// on every platform, so the descriptor pattern is part of the algorithm, not of the machine.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, 1) with 53 bits.
  double Uniform() { return static_cast<double>(Next() >> 11) * (1.0 / 9007199254740992.0); }
  // Approximately standard normal: the Irwin-Hall sum of 12 uniforms minus 6 (no libm).
  double Normal() {
    double s = 0;
    for (int i = 0; i < 12; ++i) s += Uniform();
    return s - 6.0;
  }

 private:
  uint64_t state_;
};

struct PairOffsets {
  int8_t x1, y1, x2, y2;
};
using RotatedPattern = std::array<std::array<PairOffsets, 256>, kAngleBins>;

// BRIEF's sampling G II: both points of a pair i.i.d. Gaussian around the centre with sigma =
// patch size / 5, here kept inside a disc of radius 13.5 so that every rotation, rounded,
// stays within the kPatchRadius disc; pairs closer than 2 pixels carry little and are redrawn.
RotatedPattern BuildPattern() {
  constexpr double kSigma = (2 * kPatchRadius + 1) / 5.0;
  constexpr double kMaxRadius = 13.5;
  SplitMix64 rng(0x57415244454E4C46ull);  // "WARDENLF"
  std::array<std::array<double, 4>, 256> base{};
  auto draw_point = [&](double* px, double* py) {
    while (true) {
      const double x = rng.Normal() * kSigma;
      const double y = rng.Normal() * kSigma;
      if (x * x + y * y <= kMaxRadius * kMaxRadius) {
        *px = x;
        *py = y;
        return;
      }
    }
  };
  for (auto& p : base) {
    do {
      draw_point(&p[0], &p[1]);
      draw_point(&p[2], &p[3]);
    } while ((p[0] - p[2]) * (p[0] - p[2]) + (p[1] - p[3]) * (p[1] - p[3]) < 4.0);
  }
  RotatedPattern table{};
  for (int bin = 0; bin < kAngleBins; ++bin) {
    double s = 0;
    double c = 1;
    DeterministicSinCos(2 * kPi * bin / kAngleBins, &s, &c);
    auto rot = [&](double x, double y, int8_t* ox, int8_t* oy) {
      *ox = static_cast<int8_t>(std::floor(c * x - s * y + 0.5));
      *oy = static_cast<int8_t>(std::floor(s * x + c * y + 0.5));
    };
    for (int i = 0; i < 256; ++i) {
      PairOffsets& o = table[bin][i];
      rot(base[i][0], base[i][1], &o.x1, &o.y1);
      rot(base[i][2], base[i][3], &o.x2, &o.y2);
    }
  }
  return table;
}

const RotatedPattern& Pattern() {
  static const RotatedPattern table = BuildPattern();
  return table;
}

// Half-widths of the orientation disc's rows: |dx| <= kDiscHalf[dy + kPatchRadius].
std::array<int, 2 * kPatchRadius + 1> DiscHalfWidths() {
  std::array<int, 2 * kPatchRadius + 1> h{};
  for (int dy = -kPatchRadius; dy <= kPatchRadius; ++dy) {
    int dx = 0;
    while ((dx + 1) * (dx + 1) + dy * dy <= kPatchRadius * kPatchRadius) ++dx;
    h[dy + kPatchRadius] = dx;
  }
  return h;
}

// atan on [0, 1]: two argument halvings (atan z = 2 atan(z / (1 + sqrt(1 + z^2)))) bring z
// under tan(pi/16) ~ 0.199, where the Taylor series to z^23 is exact to ~1e-17.
double AtanUnit(double z) {
  for (int i = 0; i < 2; ++i) z = z / (1.0 + std::sqrt(1.0 + z * z));
  const double z2 = z * z;
  double term = z;
  double sum = 0;
  for (int k = 0; k < 12; ++k) {
    sum += ((k & 1) ? -term : term) / (2 * k + 1);
    term *= z2;
  }
  return 4 * sum;
}

}  // namespace

double DeterministicAtan2(double y, double x) {
  if (x == 0 && y == 0) return 0;
  const double ax = std::fabs(x);
  const double ay = std::fabs(y);
  double a = ay <= ax ? AtanUnit(ay / ax) : kPi / 2 - AtanUnit(ax / ay);
  if (x < 0) a = kPi - a;
  return y < 0 ? -a : a;
}

void DeterministicSinCos(double angle, double* sin_out, double* cos_out) {
  // Reduce to [-pi, pi]; the Taylor series to x^29 is then accurate to ~1e-15.
  const double turns = std::floor(angle / (2 * kPi) + 0.5);
  const double x = angle - turns * 2 * kPi;
  double s = 0;
  double c = 0;
  double term = 1;  // x^n / n!
  for (int n = 0; n < 30; ++n) {
    switch (n & 3) {
      case 0:
        c += term;
        break;
      case 1:
        s += term;
        break;
      case 2:
        c -= term;
        break;
      default:
        s -= term;
        break;
    }
    term *= x / (n + 1);
  }
  *sin_out = s;
  *cos_out = c;
}

std::vector<FastCorner> DetectFastCorners(const GreyImage& image, int threshold, int margin) {
  WARDEN_CHECK(margin >= 3 && threshold >= 1);
  const int w = image.width;
  const int h = image.height;
  std::vector<FastCorner> out;
  if (w < 2 * margin + 1 || h < 2 * margin + 1) return out;
  int offsets[16];
  for (int i = 0; i < 16; ++i) offsets[i] = kCircleY[i] * w + kCircleX[i];
  // Scores of the last three rows (row y in slot y % 3, untested pixels 0): the 3x3
  // suppression of row y - 1 runs once row y is scored. A whole-image score map would cost
  // more in clearing and page faults than the detection itself.
  std::vector<int> ring(static_cast<size_t>(3) * w, 0);
  auto score_row = [&](int yy) { return ring.data() + static_cast<size_t>(yy % 3) * w; };
  // Keeps the corners of a row that no neighbour beats.
  auto suppress = [&](const std::vector<FastCorner>& corners, const int* above, const int* mid,
                      const int* below) {
    for (const FastCorner& c : corners) {
      const int x = c.x;
      const int s = c.score;
      // Ties go to the earlier pixel in raster order: beaten by >= before, by > after.
      const bool beaten = above[x - 1] >= s || above[x] >= s || above[x + 1] >= s ||
                          mid[x - 1] >= s || mid[x + 1] > s || below[x - 1] > s || below[x] > s ||
                          below[x + 1] > s;
      if (!beaten) out.push_back(c);
    }
  };
  std::vector<FastCorner> prev;
  std::vector<FastCorner> raw;
  std::vector<uint8_t> maybe(w, 0);
  for (int y = margin; y < h - margin; ++y) {
    const uint8_t* row = image.row(y);
    const uint8_t* up = image.row(y - 3);
    const uint8_t* down = image.row(y + 3);
    int* srow = score_row(y);
    std::fill(srow, srow + w, 0);
    raw.clear();
    // A 9-pixel arc covers at least two adjacent compass points (circle pixels 0, 4, 8, 12),
    // so fewer than two compass points beyond the threshold on one side rules a pixel out.
    // This pass has no branches, so the compiler vectorises it; it rejects most pixels.
    for (int x = margin; x < w - margin; ++x) {
      const int v = row[x];
      const int c0 = up[x] - v;
      const int c4 = row[x + 3] - v;
      const int c8 = down[x] - v;
      const int c12 = row[x - 3] - v;
      const int bright = (c0 > threshold) + (c4 > threshold) + (c8 > threshold) + (c12 > threshold);
      const int dark =
          (c0 < -threshold) + (c4 < -threshold) + (c8 < -threshold) + (c12 < -threshold);
      maybe[x] = static_cast<uint8_t>((bright >= 2) | (dark >= 2));
    }
    for (int x = margin; x < w - margin; ++x) {
      if (!maybe[x]) continue;
      const uint8_t* p = row + x;
      const int hi = p[0] + threshold;
      const int lo = p[0] - threshold;
      uint32_t bmask = 0;
      uint32_t dmask = 0;
      for (int i = 0; i < 16; ++i) {
        const int c = p[offsets[i]];
        bmask |= static_cast<uint32_t>(c > hi) << i;
        dmask |= static_cast<uint32_t>(c < lo) << i;
      }
      const bool is_bright = HasArcOf9(bmask);
      const bool is_dark = HasArcOf9(dmask);
      if (!is_bright && !is_dark) continue;
      int bsum = 0;
      int dsum = 0;
      for (int i = 0; i < 16; ++i) {
        const int c = p[offsets[i]];
        bsum += std::max(c - hi, 0);
        dsum += std::max(lo - c, 0);
      }
      const int sc = std::max(is_bright ? bsum : 0, is_dark ? dsum : 0);
      srow[x] = sc;
      raw.push_back({x, y, sc});
    }
    if (!prev.empty()) suppress(prev, score_row(y - 2), score_row(y - 1), srow);
    prev.swap(raw);
  }
  if (!prev.empty()) {
    const int last = h - margin - 1;
    int* below = score_row(last + 1);
    std::fill(below, below + w, 0);
    suppress(prev, score_row(last - 1), score_row(last), below);
  }
  return out;
}

int64_t HarrisResponse(const GreyImage& image, int x, int y) {
  const int w = image.width;
  int64_t a = 0;
  int64_t b = 0;
  int64_t c = 0;
  for (int dy = -3; dy <= 3; ++dy) {
    const uint8_t* r0 = image.row(y + dy - 1) + x;
    const uint8_t* r1 = r0 + w;
    const uint8_t* r2 = r1 + w;
    for (int dx = -3; dx <= 3; ++dx) {
      const int gx =
          (r0[dx + 1] + 2 * r1[dx + 1] + r2[dx + 1]) - (r0[dx - 1] + 2 * r1[dx - 1] + r2[dx - 1]);
      const int gy =
          (r2[dx - 1] + 2 * r2[dx] + r2[dx + 1]) - (r0[dx - 1] + 2 * r0[dx] + r0[dx + 1]);
      a += gx * gx;
      b += gy * gy;
      c += gx * gy;
    }
  }
  return 25 * (a * b - c * c) - (a + b) * (a + b);
}

float IntensityCentroidAngle(const GreyImage& image, int x, int y) {
  static const std::array<int, 2 * kPatchRadius + 1> half = DiscHalfWidths();
  int64_t m10 = 0;
  int64_t m01 = 0;
  for (int dy = -kPatchRadius; dy <= kPatchRadius; ++dy) {
    const uint8_t* r = image.row(y + dy) + x;
    const int hw = half[dy + kPatchRadius];
    int row_sum = 0;
    int row_m = 0;
    for (int dx = -hw; dx <= hw; ++dx) {
      row_sum += r[dx];
      row_m += dx * r[dx];
    }
    m10 += row_m;
    m01 += static_cast<int64_t>(dy) * row_sum;
  }
  return static_cast<float>(DeterministicAtan2(static_cast<double>(m01), static_cast<double>(m10)));
}

void ComputeDescriptor(const GreyImage& smoothed, int x, int y, float angle, uint8_t* out) {
  const RotatedPattern& table = Pattern();
  int bin =
      static_cast<int>(std::floor(static_cast<double>(angle) * (kAngleBins / (2 * kPi)) + 0.5));
  bin %= kAngleBins;
  if (bin < 0) bin += kAngleBins;
  const std::array<PairOffsets, 256>& pairs = table[bin];
  const int w = smoothed.width;
  const uint8_t* centre = smoothed.row(y) + x;
  for (int byte = 0; byte < 32; ++byte) {
    uint8_t v = 0;
    for (int bit = 0; bit < 8; ++bit) {
      const PairOffsets& o = pairs[byte * 8 + bit];
      const int a = centre[o.y1 * w + o.x1];
      const int b = centre[o.y2 * w + o.x2];
      v |= static_cast<uint8_t>((a < b) << bit);
    }
    out[byte] = v;
  }
}

}  // namespace warden::local
