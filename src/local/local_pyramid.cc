#include "src/local/local_pyramid.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "warden/status.h"

namespace warden::local {
namespace {

// Fixed-point weights sum to 1 << kWeightBits per output sample.
constexpr int kWeightBits = 14;

// The source samples one output sample of an area resampler reads.
struct Taps {
  int first = 0;
  std::vector<int32_t> weights;
};

// Output sample i covers the source interval [i * in / out, (i + 1) * in / out). Measured in
// units of 1/out of a source pixel everything is an integer, so the weights are exact
// rationals rounded once, and the rounding remainder goes to the largest weight so that every
// output's weights sum to exactly 1 << kWeightBits (a flat image stays flat).
std::vector<Taps> AreaTaps(int in, int out) {
  std::vector<Taps> taps(out);
  const int64_t total = in;  // an output interval is `in` units long
  for (int i = 0; i < out; ++i) {
    const int64_t start = static_cast<int64_t>(i) * in;
    const int64_t end = start + in;
    const int first = static_cast<int>(start / out);
    const int last = static_cast<int>(std::min<int64_t>((end - 1) / out, in - 1));
    Taps& t = taps[i];
    t.first = first;
    int32_t sum = 0;
    size_t largest = 0;
    for (int j = first; j <= last; ++j) {
      const int64_t lo = std::max<int64_t>(start, static_cast<int64_t>(j) * out);
      const int64_t hi = std::min<int64_t>(end, static_cast<int64_t>(j + 1) * out);
      const int32_t w =
          static_cast<int32_t>(((hi - lo) * (int64_t{1} << kWeightBits) + total / 2) / total);
      t.weights.push_back(w);
      if (w > t.weights[largest]) largest = t.weights.size() - 1;
      sum += w;
    }
    t.weights[largest] += (1 << kWeightBits) - sum;
  }
  return taps;
}

}  // namespace

GreyImage ToLuma(const Image& image) {
  WARDEN_CHECK(image.channels == 1 || image.channels == 3);
  GreyImage out;
  out.width = image.width;
  out.height = image.height;
  const size_t n = static_cast<size_t>(image.width) * image.height;
  WARDEN_CHECK(image.pixels.size() >= n * image.channels);
  if (image.channels == 1) {
    out.pixels.assign(image.pixels.begin(), image.pixels.begin() + static_cast<ptrdiff_t>(n));
    return out;
  }
  out.pixels.resize(n);
  const uint8_t* p = image.pixels.data();
  for (size_t i = 0; i < n; ++i, p += 3) {
    out.pixels[i] = static_cast<uint8_t>((77 * p[0] + 150 * p[1] + 29 * p[2] + 128) >> 8);
  }
  return out;
}

GreyImage ResampleArea(const GreyImage& src, int width, int height) {
  WARDEN_CHECK(src.width >= 1 && src.height >= 1 && width >= 1 && height >= 1);
  const std::vector<Taps> xt = AreaTaps(src.width, width);
  const std::vector<Taps> yt = AreaTaps(src.height, height);
  // Horizontal pass keeps 8 fractional bits (value * 256 fits uint16).
  std::vector<uint16_t> mid(static_cast<size_t>(width) * src.height);
  for (int y = 0; y < src.height; ++y) {
    const uint8_t* s = src.row(y);
    uint16_t* m = mid.data() + static_cast<size_t>(y) * width;
    for (int x = 0; x < width; ++x) {
      const Taps& t = xt[x];
      int32_t acc = 0;
      const uint8_t* sp = s + t.first;
      for (size_t k = 0; k < t.weights.size(); ++k) acc += t.weights[k] * sp[k];
      m[x] = static_cast<uint16_t>((acc + (1 << (kWeightBits - 9))) >> (kWeightBits - 8));
    }
  }
  GreyImage out;
  out.width = width;
  out.height = height;
  out.pixels.resize(static_cast<size_t>(width) * height);
  std::vector<int32_t> acc(width);
  for (int y = 0; y < height; ++y) {
    const Taps& t = yt[y];
    std::fill(acc.begin(), acc.end(), 0);
    for (size_t k = 0; k < t.weights.size(); ++k) {
      const uint16_t* m = mid.data() + static_cast<size_t>(t.first + static_cast<int>(k)) * width;
      const int32_t w = t.weights[k];
      for (int x = 0; x < width; ++x) acc[x] += w * m[x];
    }
    uint8_t* o = out.pixels.data() + static_cast<size_t>(y) * width;
    constexpr int kShift = kWeightBits + 8;
    for (int x = 0; x < width; ++x) {
      o[x] = static_cast<uint8_t>(std::min(255, (acc[x] + (1 << (kShift - 1))) >> kShift));
    }
  }
  return out;
}

namespace {

// One output coordinate's two source samples and the second one's weight, 8 fractional bits.
struct Lerp {
  int a = 0;
  int b = 0;
  int32_t wb = 0;
};

// Output pixel centre i maps to source coordinate (i + 0.5) * in / out - 0.5, clamped to
// [0, in - 1]; computed in units of 1/(2 out) so it is exact before the one rounding.
std::vector<Lerp> LerpTaps(int in, int out) {
  std::vector<Lerp> taps(out);
  for (int i = 0; i < out; ++i) {
    const int64_t num = (2 * static_cast<int64_t>(i) + 1) * in - out;  // source x * 2 out
    const int64_t den = 2 * static_cast<int64_t>(out);
    Lerp& t = taps[i];
    if (num <= 0) {
      t.a = t.b = 0;
    } else {
      t.a = static_cast<int>(num / den);
      t.wb = static_cast<int32_t>(((num % den) * 256 + den / 2) / den);
      if (t.wb == 256) {
        ++t.a;
        t.wb = 0;
      }
      if (t.a >= in - 1) {
        t.a = in - 1;
        t.wb = 0;
      }
      t.b = std::min(t.a + 1, in - 1);
    }
  }
  return taps;
}

}  // namespace

GreyImage EnlargeBilinear(const GreyImage& src, int width, int height) {
  WARDEN_CHECK(src.width >= 1 && src.height >= 1 && width >= src.width && height >= src.height);
  const std::vector<Lerp> xt = LerpTaps(src.width, width);
  const std::vector<Lerp> yt = LerpTaps(src.height, height);
  // Horizontal pass keeps 8 fractional bits.
  std::vector<uint16_t> mid(static_cast<size_t>(width) * src.height);
  for (int y = 0; y < src.height; ++y) {
    const uint8_t* s = src.row(y);
    uint16_t* m = mid.data() + static_cast<size_t>(y) * width;
    for (int x = 0; x < width; ++x) {
      const Lerp& t = xt[x];
      m[x] = static_cast<uint16_t>(s[t.a] * (256 - t.wb) + s[t.b] * t.wb);
    }
  }
  GreyImage out;
  out.width = width;
  out.height = height;
  out.pixels.resize(static_cast<size_t>(width) * height);
  for (int y = 0; y < height; ++y) {
    const Lerp& t = yt[y];
    const uint16_t* ma = mid.data() + static_cast<size_t>(t.a) * width;
    const uint16_t* mb = mid.data() + static_cast<size_t>(t.b) * width;
    uint8_t* o = out.pixels.data() + static_cast<size_t>(y) * width;
    for (int x = 0; x < width; ++x) {
      const int32_t v = ma[x] * (256 - t.wb) + mb[x] * t.wb;  // 16 fractional bits
      o[x] = static_cast<uint8_t>(std::min(255, (v + (1 << 15)) >> 16));
    }
  }
  return out;
}

GreyImage SmoothBinomial5(const GreyImage& src) {
  const int w = src.width;
  const int h = src.height;
  GreyImage out;
  out.width = w;
  out.height = h;
  out.pixels.resize(static_cast<size_t>(w) * h);
  if (w == 0 || h == 0) return out;
  std::vector<uint16_t> mid(static_cast<size_t>(w) * h);
  auto clamp_x = [w](int x) { return std::clamp(x, 0, w - 1); };
  for (int y = 0; y < h; ++y) {
    const uint8_t* s = src.row(y);
    uint16_t* m = mid.data() + static_cast<size_t>(y) * w;
    for (int x = 0; x < w; ++x) {
      if (x >= 2 && x + 2 < w) {
        m[x] = static_cast<uint16_t>(s[x - 2] + 4 * s[x - 1] + 6 * s[x] + 4 * s[x + 1] + s[x + 2]);
      } else {
        m[x] = static_cast<uint16_t>(s[clamp_x(x - 2)] + 4 * s[clamp_x(x - 1)] + 6 * s[x] +
                                     4 * s[clamp_x(x + 1)] + s[clamp_x(x + 2)]);
      }
    }
  }
  for (int y = 0; y < h; ++y) {
    const uint16_t* r[5];
    for (int k = 0; k < 5; ++k) {
      r[k] = mid.data() + static_cast<size_t>(std::clamp(y + k - 2, 0, h - 1)) * w;
    }
    uint8_t* o = out.pixels.data() + static_cast<size_t>(y) * w;
    for (int x = 0; x < w; ++x) {
      const int v = r[0][x] + 4 * r[1][x] + 6 * r[2][x] + 4 * r[3][x] + r[4][x];
      o[x] = static_cast<uint8_t>((v + 128) >> 8);
    }
  }
  return out;
}

}  // namespace warden::local
