#include "src/hash/fast_grid.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>

#if defined(__SSE2__)
#include <emmintrin.h>
#define WARDEN_FAST_GRID_SSE 1
#endif

namespace warden {
namespace {

constexpr int kGrid = 64;

// Weights of one grid value over a run of scaled pixels starting at `first`.
struct Taps {
  int first = 0;
  std::vector<float> weights;
};

// Inclusive input range [lo, hi] that output i of PDQ's 1-D box of window w averages over a
// line of n samples (PDQ.md step 3).
void BoxRange(int n, int w, int i, int& lo, int& hi) {
  const int half = (w + 2) / 2;
  lo = std::max(0, i - (w - half));
  hi = std::min(n - 1, i + half - 1);
}

// The scaled-pixel weights of grid value i along an axis of n full-resolution samples whose
// decoded image has ns samples, each the average of `denom` full-resolution ones.
Taps AxisTaps(int n, int ns, double denom, int i) {
  const int w = (n + 127) / 128;
  const int k = static_cast<int>(((i + 0.5) * n) / kGrid);
  // Row k of box * box: out2[k] = sum_m box[k][m] * sum_x box[m][x] * in[x].
  int lo, hi;
  BoxRange(n, w, k, lo, hi);
  int first_x = n, last_x = -1;
  for (int m = lo; m <= hi; ++m) {
    int l2, h2;
    BoxRange(n, w, m, l2, h2);
    first_x = std::min(first_x, l2);
    last_x = std::max(last_x, h2);
  }
  std::vector<double> full(static_cast<size_t>(last_x - first_x + 1), 0.0);
  for (int m = lo; m <= hi; ++m) {
    int l2, h2;
    BoxRange(n, w, m, l2, h2);
    const double each = 1.0 / (hi - lo + 1) / (h2 - l2 + 1);
    for (int x = l2; x <= h2; ++x) full[x - first_x] += each;
  }
  // Full-resolution sample x is centred at x + 0.5; in scaled coordinates that is
  // (x + 0.5) / denom - 0.5, between two scaled pixel centres: split its weight linearly.
  auto scaled_of = [&](int x) { return (x + 0.5) / denom - 0.5; };
  const int first_j = std::clamp(static_cast<int>(std::floor(scaled_of(first_x))), 0, ns - 1);
  const int last_j = std::clamp(static_cast<int>(std::floor(scaled_of(last_x))) + 1, 0, ns - 1);
  Taps taps;
  taps.first = first_j;
  taps.weights.assign(static_cast<size_t>(last_j - first_j + 1), 0.0f);
  for (int x = first_x; x <= last_x; ++x) {
    const double u = scaled_of(x);
    const double j0 = std::floor(u);
    const double f = u - j0;
    const int a = std::clamp(static_cast<int>(j0), 0, ns - 1);
    const int b = std::clamp(static_cast<int>(j0) + 1, 0, ns - 1);
    taps.weights[a - first_j] += static_cast<float>(full[x - first_x] * (1 - f));
    taps.weights[b - first_j] += static_cast<float>(full[x - first_x] * f);
  }
  return taps;
}

// The DCT-domain scale: libjpeg makes ceil(n / d) samples for d in 1, 2, 4, 8.
double ScaleDenom(int n, int ns) {
  for (int d : {1, 2, 4, 8}) {
    if ((n + d - 1) / d == ns) return d;
  }
  return static_cast<double>(n) / ns;
}

// One axis' 64 taps in a flat layout: every grid value reads the same number k of consecutive
// scaled samples (zero weights pad the shorter runs), so the passes below run fixed-length
// loops over contiguous memory instead of walking 64 small vectors.
struct AxisPlan {
  int n = -1, ns = -1;
  double denom = 0;
  int k = 0;
  std::array<int, kGrid> first{};
  std::vector<float> weights;  // kGrid * k, grid value i's taps at [i * k, (i + 1) * k)
};

void BuildPlan(int n, int ns, double denom, AxisPlan& plan) {
  std::array<Taps, kGrid> taps;
  int k = 1;
  for (int i = 0; i < kGrid; ++i) {
    taps[i] = AxisTaps(n, ns, denom, i);
    k = std::max(k, static_cast<int>(taps[i].weights.size()));
  }
  // Every run lies inside [0, ns), so k <= ns and a run can always be slid left to fit.
  plan.n = n;
  plan.ns = ns;
  plan.denom = denom;
  plan.k = k;
  plan.weights.assign(static_cast<size_t>(kGrid) * k, 0.0f);
  for (int i = 0; i < kGrid; ++i) {
    const int first = std::min(taps[i].first, ns - k);
    plan.first[i] = first;
    const int offset = taps[i].first - first;
    for (size_t t = 0; t < taps[i].weights.size(); ++t) {
      plan.weights[static_cast<size_t>(i) * k + offset + t] = taps[i].weights[t];
    }
  }
}

// The plans of the last few (n, ns, denom) seen, per thread: photos come in few sizes, and
// building taps would otherwise be most of the grid's cost for small images.
const AxisPlan& CachedPlan(int n, int ns, double denom) {
  constexpr int kEntries = 4;
  thread_local std::array<AxisPlan, kEntries> cache;
  thread_local int next = 0;
  // The entry returned last is never evicted, so the x and y lookups of one grid can both
  // hold their references.
  thread_local int last = -1;
  for (int e = 0; e < kEntries; ++e) {
    const AxisPlan& plan = cache[e];
    if (plan.n == n && plan.ns == ns && plan.denom == denom) {
      last = e;
      return plan;
    }
  }
  if (next == last) next = (next + 1) % kEntries;
  last = next;
  AxisPlan& plan = cache[next];
  next = (next + 1) % kEntries;
  BuildPlan(n, ns, denom, plan);
  return plan;
}

// Down the columns first: out row i = sum over t of weight(i, t) * input row (first_i + t),
// 64 rows of `width` values. Whole rows at a time, so the compiler vectorises the inner loops,
// and the 8-bit samples are converted as they are read (no float copy of the image). K is the
// tap count when it is a small constant: then each output row is written once, every tap fused.
template <int K, typename Sample>
void VerticalPassFixed(const Sample* in, int width, const AxisPlan& py, float* out) {
  for (int i = 0; i < kGrid; ++i) {
    float* __restrict dst = out + static_cast<size_t>(i) * width;
    const float* w = py.weights.data() + static_cast<size_t>(i) * K;
    const Sample* __restrict src = in + static_cast<size_t>(py.first[i]) * width;
    float wt[K];
    for (int t = 0; t < K; ++t) wt[t] = w[t];
    for (int x = 0; x < width; ++x) {
      float acc = wt[0] * static_cast<float>(src[x]);
      for (int t = 1; t < K; ++t) acc += wt[t] * static_cast<float>(src[t * width + x]);
      dst[x] = acc;
    }
  }
}

template <typename Sample>
void VerticalPassAny(const Sample* in, int width, const AxisPlan& py, float* out) {
  const int k = py.k;
  for (int i = 0; i < kGrid; ++i) {
    float* __restrict dst = out + static_cast<size_t>(i) * width;
    const float* w = py.weights.data() + static_cast<size_t>(i) * k;
    const Sample* __restrict src = in + static_cast<size_t>(py.first[i]) * width;
    const float w0 = w[0];
    for (int x = 0; x < width; ++x) dst[x] = w0 * static_cast<float>(src[x]);
    for (int t = 1; t < k; ++t) {
      const float wt = w[t];
      const Sample* __restrict row = src + static_cast<size_t>(t) * width;
      for (int x = 0; x < width; ++x) dst[x] += wt * static_cast<float>(row[x]);
    }
  }
}

template <typename Sample>
void VerticalPass(const Sample* in, int width, const AxisPlan& py, float* out) {
  switch (py.k) {
    case 1:
      return VerticalPassFixed<1>(in, width, py, out);
    case 2:
      return VerticalPassFixed<2>(in, width, py, out);
    case 3:
      return VerticalPassFixed<3>(in, width, py, out);
    case 4:
      return VerticalPassFixed<4>(in, width, py, out);
    default:
      return VerticalPassAny(in, width, py, out);
  }
}

#if !WARDEN_FAST_GRID_SSE
// Then along the 64 rows: grid(i, j) = sum over t of weight(j, t) * row i at (first_j + t).
// K is the tap count when it is a small constant, so the dot product is fully unrolled.
template <int K>
void HorizontalPassFixed(const float* in, int width, const AxisPlan& px, float* grid) {
  for (int i = 0; i < kGrid; ++i) {
    const float* row = in + static_cast<size_t>(i) * width;
    float* out = grid + i * kGrid;
    for (int j = 0; j < kGrid; ++j) {
      const float* w = px.weights.data() + j * K;
      const float* s = row + px.first[j];
      float acc = w[0] * s[0];
      for (int t = 1; t < K; ++t) acc += w[t] * s[t];
      out[j] = acc;
    }
  }
}

void HorizontalPassAny(const float* in, int width, const AxisPlan& px, float* grid) {
  const int k = px.k;
  for (int i = 0; i < kGrid; ++i) {
    const float* row = in + static_cast<size_t>(i) * width;
    float* out = grid + i * kGrid;
    for (int j = 0; j < kGrid; ++j) {
      const float* w = px.weights.data() + static_cast<size_t>(j) * k;
      const float* s = row + px.first[j];
      float acc = w[0] * s[0];
      for (int t = 1; t < k; ++t) acc += w[t] * s[t];
      out[j] = acc;
    }
  }
}

#endif

#if WARDEN_FAST_GRID_SSE
// The same sums with 4 rows i per SSE register: the 64 x width rows are transposed first
// (4x4 register transposes), so the samples a tap reads for rows i..i+3 are adjacent. Each
// lane computes w[0]*s[0] + w[1]*s[1] + ... in the scalar order, so the grid is bit for bit
// the scalar one; the outputs of 4 grid columns are transposed back before they are stored.
void TransposeToColumns(const float* in, int width, float* out) {
  // out[x * 64 + i] = in[i * width + x]
  const int w4 = width & ~3;
  for (int i = 0; i < kGrid; i += 4) {
    const float* r0 = in + static_cast<size_t>(i) * width;
    const float* r1 = r0 + width;
    const float* r2 = r1 + width;
    const float* r3 = r2 + width;
    for (int x = 0; x < w4; x += 4) {
      __m128 a = _mm_loadu_ps(r0 + x), b = _mm_loadu_ps(r1 + x);
      __m128 c = _mm_loadu_ps(r2 + x), d = _mm_loadu_ps(r3 + x);
      _MM_TRANSPOSE4_PS(a, b, c, d);
      float* o = out + static_cast<size_t>(x) * kGrid + i;
      _mm_storeu_ps(o, a);
      _mm_storeu_ps(o + kGrid, b);
      _mm_storeu_ps(o + 2 * kGrid, c);
      _mm_storeu_ps(o + 3 * kGrid, d);
    }
    for (int x = w4; x < width; ++x) {
      float* o = out + static_cast<size_t>(x) * kGrid + i;
      o[0] = r0[x];
      o[1] = r1[x];
      o[2] = r2[x];
      o[3] = r3[x];
    }
  }
}

// Grid value (i..i+3, j) from the transposed rows.
inline __m128 TapSum(const float* columns, const float* w, int first, int k, int i) {
  const float* s = columns + static_cast<size_t>(first) * kGrid + i;
  __m128 acc = _mm_mul_ps(_mm_set1_ps(w[0]), _mm_loadu_ps(s));
  for (int t = 1; t < k; ++t) {
    acc = _mm_add_ps(acc, _mm_mul_ps(_mm_set1_ps(w[t]), _mm_loadu_ps(s + t * kGrid)));
  }
  return acc;
}

template <int K>
void HorizontalPassSse(const float* columns, const AxisPlan& px, float* grid) {
  const int k = K > 0 ? K : px.k;
  for (int j = 0; j < kGrid; j += 4) {
    const float* w0 = px.weights.data() + static_cast<size_t>(j) * k;
    for (int i = 0; i < kGrid; i += 4) {
      __m128 a = TapSum(columns, w0, px.first[j], k, i);
      __m128 b = TapSum(columns, w0 + k, px.first[j + 1], k, i);
      __m128 c = TapSum(columns, w0 + 2 * k, px.first[j + 2], k, i);
      __m128 d = TapSum(columns, w0 + 3 * k, px.first[j + 3], k, i);
      _MM_TRANSPOSE4_PS(a, b, c, d);
      float* o = grid + i * kGrid + j;
      _mm_storeu_ps(o, a);
      _mm_storeu_ps(o + kGrid, b);
      _mm_storeu_ps(o + 2 * kGrid, c);
      _mm_storeu_ps(o + 3 * kGrid, d);
    }
  }
}
#endif

void HorizontalPass(const float* in, int width, const AxisPlan& px, float* grid) {
#if WARDEN_FAST_GRID_SSE
  thread_local std::vector<float> columns;
  columns.resize(static_cast<size_t>(width) * kGrid);
  TransposeToColumns(in, width, columns.data());
  switch (px.k) {
    case 2:
      return HorizontalPassSse<2>(columns.data(), px, grid);
    case 3:
      return HorizontalPassSse<3>(columns.data(), px, grid);
    case 4:
      return HorizontalPassSse<4>(columns.data(), px, grid);
    default:
      return HorizontalPassSse<0>(columns.data(), px, grid);
  }
#else
  switch (px.k) {
    case 1:
      return HorizontalPassFixed<1>(in, width, px, grid);
    case 2:
      return HorizontalPassFixed<2>(in, width, px, grid);
    case 3:
      return HorizontalPassFixed<3>(in, width, px, grid);
    case 4:
      return HorizontalPassFixed<4>(in, width, px, grid);
    case 5:
      return HorizontalPassFixed<5>(in, width, px, grid);
    case 6:
      return HorizontalPassFixed<6>(in, width, px, grid);
    default:
      return HorizontalPassAny(in, width, px, grid);
  }
#endif
}

}  // namespace

void EmulateFullresGrid(const Image& scaled, int source_width, int source_height, float* grid) {
  const int ws = scaled.width, hs = scaled.height;
  const double dx = ScaleDenom(source_width, ws), dy = ScaleDenom(source_height, hs);
  const AxisPlan& px = CachedPlan(source_width, ws, dx);
  const AxisPlan& py = CachedPlan(source_height, hs, dy);
  // Per-thread buffers: this runs once per image on the fast path.
  thread_local std::vector<float> columns;
  columns.resize(static_cast<size_t>(kGrid) * ws);
  if (scaled.channels == 1) {
    VerticalPass(scaled.pixels.data(), ws, py, columns.data());
  } else {
    // RGB (the fast decode outputs grey for YCbCr JPEGs; this is for CMYK ones): luma as PDQ
    // computes it, then the same passes.
    thread_local std::vector<float> luma;
    const size_t n = static_cast<size_t>(ws) * hs;
    luma.resize(n);
    const uint8_t* p = scaled.pixels.data();
    for (size_t k = 0; k < n; ++k) {
      luma[k] = 0.299f * p[3 * k] + 0.587f * p[3 * k + 1] + 0.114f * p[3 * k + 2];
    }
    VerticalPass(luma.data(), ws, py, columns.data());
  }
  HorizontalPass(columns.data(), ws, px, grid);
}

std::vector<float> EmulateFullresGrid(const Image& scaled, int source_width, int source_height) {
  std::vector<float> grid(kGrid * kGrid);
  EmulateFullresGrid(scaled, source_width, source_height, grid.data());
  return grid;
}

}  // namespace warden
