#include "src/hash/fast_grid.h"

#include <algorithm>
#include <array>
#include <cmath>

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

// The 64 taps of one axis, kept per thread for the last few (n, ns, denom) seen: photos come
// in few sizes, and building taps is most of the grid's cost for small images (for a 256 px
// JPEG, 35 of 46 us).
const std::vector<Taps>& CachedAxisTaps(int n, int ns, double denom) {
  struct Entry {
    int n = -1, ns = -1;
    double denom = 0;
    std::vector<Taps> taps;
  };
  constexpr int kEntries = 4;
  thread_local std::array<Entry, kEntries> cache;
  thread_local int next = 0;
  // The entry returned last is never evicted, so the x and y lookups of one grid can both
  // hold their references.
  thread_local int last = -1;
  for (int k = 0; k < kEntries; ++k) {
    const Entry& e = cache[k];
    if (e.n == n && e.ns == ns && e.denom == denom) {
      last = k;
      return e.taps;
    }
  }
  if (next == last) next = (next + 1) % kEntries;
  last = next;
  Entry& e = cache[next];
  next = (next + 1) % kEntries;
  e.n = n;
  e.ns = ns;
  e.denom = denom;
  e.taps.resize(kGrid);
  for (int i = 0; i < kGrid; ++i) e.taps[i] = AxisTaps(n, ns, denom, i);
  return e.taps;
}

}  // namespace

std::vector<float> EmulateFullresGrid(const Image& scaled, int source_width, int source_height) {
  const int ws = scaled.width, hs = scaled.height;
  // Per-thread buffers: this runs once per image on the fast path.
  thread_local std::vector<float> luma, rows;
  luma.resize(static_cast<size_t>(ws) * hs);
  const size_t n = luma.size();
  const uint8_t* p = scaled.pixels.data();
  if (scaled.channels == 1) {
    for (size_t k = 0; k < n; ++k) luma[k] = static_cast<float>(p[k]);
  } else {
    for (size_t k = 0; k < n; ++k) {
      luma[k] = 0.299f * p[3 * k] + 0.587f * p[3 * k + 1] + 0.114f * p[3 * k + 2];
    }
  }
  const double dx = ScaleDenom(source_width, ws), dy = ScaleDenom(source_height, hs);
  const std::vector<Taps>& tx = CachedAxisTaps(source_width, ws, dx);
  const std::vector<Taps>& ty = CachedAxisTaps(source_height, hs, dy);
  // Along the rows first (hs x 64), then down the columns (64 x 64).
  rows.resize(static_cast<size_t>(hs) * kGrid);
  for (int y = 0; y < hs; ++y) {
    const float* in = luma.data() + static_cast<size_t>(y) * ws;
    for (int i = 0; i < kGrid; ++i) {
      float acc = 0;
      for (size_t t = 0; t < tx[i].weights.size(); ++t)
        acc += tx[i].weights[t] * in[tx[i].first + t];
      rows[static_cast<size_t>(y) * kGrid + i] = acc;
    }
  }
  std::vector<float> grid(kGrid * kGrid);
  for (int i = 0; i < kGrid; ++i) {
    for (int c = 0; c < kGrid; ++c) {
      float acc = 0;
      for (size_t t = 0; t < ty[i].weights.size(); ++t) {
        acc += ty[i].weights[t] * rows[(ty[i].first + t) * kGrid + c];
      }
      grid[i * kGrid + c] = acc;
    }
  }
  return grid;
}

}  // namespace warden
