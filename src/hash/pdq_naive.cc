#include "src/hash/pdq_naive.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

namespace warden {
namespace {

// Step 3: one 1-D box of window w over n samples spaced `stride` apart.
void Box1D(const float* in, float* out, int n, int stride, int w) {
  const int half = (w + 2) / 2;
  float sum = 0;
  int count = 0, right = 0, left = 0, o = 0;
  for (int k = 0; k < half - 1; ++k) {
    sum += in[right++ * stride];
    ++count;
  }
  for (int k = 0; k < w - half + 1; ++k) {
    sum += in[right++ * stride];
    ++count;
    out[o++ * stride] = sum / count;
  }
  for (int k = 0; k < n - w; ++k) {
    sum += in[right++ * stride];
    sum -= in[left++ * stride];
    out[o++ * stride] = sum / count;
  }
  for (int k = 0; k < half - 1; ++k) {
    sum -= in[left++ * stride];
    --count;
    out[o++ * stride] = sum / count;
  }
}

PdqHash NaiveThreshold(const float b[16][16]) {
  std::vector<float> v;
  for (int i = 0; i < 16; ++i)
    for (int j = 0; j < 16; ++j) v.push_back(b[i][j]);
  std::sort(v.begin(), v.end());
  const float median = v[127];
  PdqHash h;
  for (int i = 0; i < 16; ++i)
    for (int j = 0; j < 16; ++j)
      if (b[i][j] > median) h.set_bit(16 * i + j);
  return h;
}

}  // namespace

PdqResult NaivePdqFromLuma(const float* luma, int rows, int cols, bool with_dihedral) {
  PdqResult r;
  r.has_dihedral = with_dihedral;
  if (rows < 5 || cols < 5) {
    r.too_small = true;
    return r;
  }
  std::vector<float> x(luma, luma + static_cast<size_t>(rows) * cols), y(x.size());
  if (!(rows == 64 && cols == 64)) {
    const int wr = (cols + 127) / 128, wc = (rows + 127) / 128;
    for (int pass = 0; pass < 2; ++pass) {
      for (int i = 0; i < rows; ++i) Box1D(&x[i * cols], &y[i * cols], cols, 1, wr);
      for (int j = 0; j < cols; ++j) Box1D(&y[j], &x[j], rows, cols, wc);
    }
  }
  float a[64][64];
  for (int i = 0; i < 64; ++i)
    for (int j = 0; j < 64; ++j)
      a[i][j] = x[static_cast<int>(((i + 0.5) * rows) / 64) * cols +
                  static_cast<int>(((j + 0.5) * cols) / 64)];
  int sum = 0;
  for (int i = 0; i < 63; ++i)
    for (int j = 0; j < 64; ++j) sum += std::abs(static_cast<int>(((a[i][j] - a[i + 1][j]) * 100) / 255));
  for (int i = 0; i < 64; ++i)
    for (int j = 0; j < 63; ++j) sum += std::abs(static_cast<int>(((a[i][j] - a[i][j + 1]) * 100) / 255));
  r.quality = std::min(100, sum / 90);

  float d[16][64];
  for (int i = 0; i < 16; ++i)
    for (int j = 0; j < 64; ++j)
      d[i][j] = static_cast<float>(static_cast<float>(std::sqrt(2.0 / 64)) *
                                   std::cos((std::numbers::pi / 2 / 64) * (i + 1) * (2 * j + 1)));
  float t[16][64], b[16][16];
  for (int i = 0; i < 16; ++i)
    for (int j = 0; j < 64; ++j) {
      float s = 0;
      for (int k = 0; k < 64; ++k) s += d[i][k] * a[k][j];
      t[i][j] = s;
    }
  for (int i = 0; i < 16; ++i)
    for (int j = 0; j < 16; ++j) {
      float s = 0;
      for (int k = 0; k < 64; ++k) s += t[i][k] * d[j][k];
      b[i][j] = s;
    }
  r.hash = NaiveThreshold(b);
  if (with_dihedral) {
    // Each variant as PDQ.md step 8 writes it: B'[p][q] from B[i][j].
    auto variant = [&](int which) {
      float m[16][16];
      for (int i = 0; i < 16; ++i)
        for (int j = 0; j < 16; ++j) {
          const float v = b[i][j];
          const bool io = i % 2 == 1, jo = j % 2 == 1, ijo = (i + j) % 2 == 1;
          switch (which) {
            case 0: m[i][j] = v; break;
            case 1: m[j][i] = jo ? v : -v; break;
            case 2: m[i][j] = ijo ? -v : v; break;
            case 3: m[j][i] = io ? v : -v; break;
            case 4: m[i][j] = io ? v : -v; break;
            case 5: m[i][j] = jo ? v : -v; break;
            case 6: m[j][i] = v; break;
            default: m[j][i] = ijo ? -v : v; break;
          }
        }
      return NaiveThreshold(m);
    };
    for (int k = 0; k < 8; ++k) r.dihedral[k] = variant(k);
  }
  return r;
}

}  // namespace warden
