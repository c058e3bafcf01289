// The PDQ core, step by step as ../shared/docs/PDQ.md specifies it (float32 throughout).
//
// Bit-exactness with Meta's reference rests on doing every float operation in the same
// order as the reference: the running-sum box filter keeps its drift, the DCT accumulates
// with k ascending. Speed comes only from doing independent work side by side: each 1-D box
// runs down the columns of a buffer so that the compiler vectorises across columns (every
// column still sees exactly the reference's sequence of operations), horizontal boxes run
// on a transposed buffer, and the last two boxes compute outputs only where the 64x64
// decimation samples them. Built with -ffp-contract=off (no fused multiply-add).
#include "warden/pdq.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <immintrin.h>
#include <memory>
#include <numbers>
#include <vector>

namespace warden {
namespace {

constexpr int kSide = 64;       // decimated image side
constexpr int kDctSide = 16;    // DCT coefficients kept per axis (frequencies 1..16)
constexpr int kMinSide = 5;     // images with a side under this hash to zero (step 2)

using Matrix16 = std::array<std::array<float, kDctSide>, kDctSide>;

// D[i][j] = sqrt(2/64) * cos(pi/2/64 * (i+1) * (2j+1)), as float, for i < 16, j < 64 (step 6).
struct DctMatrix {
  alignas(64) float d[kDctSide][kSide];
  DctMatrix() {
    const float scale = static_cast<float>(std::sqrt(2.0 / kSide));
    for (int i = 0; i < kDctSide; ++i) {
      for (int j = 0; j < kSide; ++j) {
        d[i][j] = static_cast<float>(
            scale * std::cos((std::numbers::pi / 2 / kSide) * (i + 1) * (2 * j + 1)));
      }
    }
  }
};

const DctMatrix& Dct() {
  static const DctMatrix matrix;
  return matrix;
}

// Transposes `rows` x `cols` (stride `in_stride`) into `cols` x `rows` (stride `out_stride`).
// Works in 64x64 tiles (they stay in L1) made of 4x4 register transposes, so every load and
// store moves 4 contiguous floats; a plain element loop was the core's bottleneck on large
// images because each store touched a new cache line.
void Transpose(const float* in, int rows, int cols, size_t in_stride, float* out,
               size_t out_stride) {
  constexpr int kTile = 64;
  const int rows4 = rows & ~3, cols4 = cols & ~3;
  for (int r0 = 0; r0 < rows4; r0 += kTile) {
    const int r1 = std::min(rows4, r0 + kTile);
    for (int c0 = 0; c0 < cols4; c0 += kTile) {
      const int c1 = std::min(cols4, c0 + kTile);
      for (int r = r0; r < r1; r += 4) {
        const float* src = in + r * in_stride;
        for (int c = c0; c < c1; c += 4) {
          __m128 x0 = _mm_loadu_ps(src + c);
          __m128 x1 = _mm_loadu_ps(src + in_stride + c);
          __m128 x2 = _mm_loadu_ps(src + 2 * in_stride + c);
          __m128 x3 = _mm_loadu_ps(src + 3 * in_stride + c);
          _MM_TRANSPOSE4_PS(x0, x1, x2, x3);
          float* dst = out + c * out_stride + r;
          _mm_storeu_ps(dst, x0);
          _mm_storeu_ps(dst + out_stride, x1);
          _mm_storeu_ps(dst + 2 * out_stride, x2);
          _mm_storeu_ps(dst + 3 * out_stride, x3);
        }
      }
    }
  }
  // The ragged right and bottom edges, element by element.
  for (int r = 0; r < rows; ++r) {
    const int c_start = r < rows4 ? cols4 : 0;
    for (int c = c_start; c < cols; ++c) out[c * out_stride + r] = in[r * in_stride + c];
  }
}

// One 1-D box filter of window `window` applied down each of `width` columns of `in`
// (`n` rows, row stride `in_stride`). Output row i is the mean of input rows
// [max(0, i - (window - half)), min(n - 1, i + half - 1)] with half = (window + 2) / 2,
// computed as the reference does: a float running sum that first adds the new sample,
// then subtracts the old one, then divides by the number of samples summed (step 3).
// Only output rows with keep[i] set are written, packed in order into `out`
// (row stride `out_stride`); keep == nullptr writes all n rows.
// REQUIRES: 1 <= window <= n; sum has room for width floats.
// Cloned for AVX2 (8 lanes; the divisions dominate) with a plain x86-64 fallback.
__attribute__((target_clones("avx2", "default")))
void BoxDown(const float* in, size_t in_stride, int n, int width, int window, const bool* keep,
             float* out, size_t out_stride, float* sum) {
  const int half = (window + 2) / 2;
  const int lead = half - 1;             // samples summed before the first output
  const int grow = window - half + 1;    // outputs while the window still grows
  const int full = n - window;           // outputs with a full window
  const int shrink = half - 1;           // outputs while the window shrinks at the end
  std::fill(sum, sum + width, 0.0f);
  int right = 0, left = 0, out_index = 0, count = 0;
  float* out_row = out;
  auto next_out_row = [&]() -> float* {
    bool take = keep == nullptr || keep[out_index];
    ++out_index;
    if (!take) return nullptr;
    float* row = out_row;
    out_row += out_stride;
    return row;
  };

  for (int k = 0; k < lead; ++k, ++right, ++count) {
    const float* a = in + right * in_stride;
    for (int c = 0; c < width; ++c) sum[c] += a[c];
  }
  for (int k = 0; k < grow; ++k, ++right) {
    const float* a = in + right * in_stride;
    ++count;
    const float fcount = static_cast<float>(count);
    float* o = next_out_row();
    if (o != nullptr) {
      for (int c = 0; c < width; ++c) {
        sum[c] += a[c];
        o[c] = sum[c] / fcount;
      }
    } else {
      for (int c = 0; c < width; ++c) sum[c] += a[c];
    }
  }
  const float fwindow = static_cast<float>(count);
  for (int k = 0; k < full; ++k, ++right, ++left) {
    const float* a = in + right * in_stride;
    const float* b = in + left * in_stride;
    float* o = next_out_row();
    if (o != nullptr) {
      for (int c = 0; c < width; ++c) {
        float s = sum[c] + a[c];
        s = s - b[c];
        sum[c] = s;
        o[c] = s / fwindow;
      }
    } else {
      for (int c = 0; c < width; ++c) {
        float s = sum[c] + a[c];
        sum[c] = s - b[c];
      }
    }
  }
  for (int k = 0; k < shrink; ++k, ++left) {
    const float* b = in + left * in_stride;
    --count;
    const float fcount = static_cast<float>(count);
    float* o = next_out_row();
    if (o != nullptr) {
      for (int c = 0; c < width; ++c) {
        sum[c] -= b[c];
        o[c] = sum[c] / fcount;
      }
    } else {
      for (int c = 0; c < width; ++c) sum[c] -= b[c];
    }
  }
}

// Which of n rows (or columns) the 64-sample decimation reads: index (int)((i + 0.5) * n / 64).
std::vector<int> DecimationIndices(int n) {
  std::vector<int> idx(kSide);
  for (int i = 0; i < kSide; ++i) idx[i] = static_cast<int>(((i + 0.5) * n) / kSide);
  return idx;
}

// Row stride (in floats) for a buffer `width` floats wide: a multiple of 16 that is not a
// multiple of 256, so that the columns a transpose writes do not all land in the same few
// cache sets (power-of-two strides made the transposes 10x slower).
size_t PaddedStride(int width) {
  size_t stride = (static_cast<size_t>(width) + 15) / 16 * 16;
  if (stride % 256 == 0) stride += 16;
  return stride;
}

// Float storage that only grows, without copying or zero-filling: callers overwrite what
// they use, so std::vector's resize (memmove of old contents, memset of the new) is waste.
class GrowOnlyBuffer {
 public:
  float* Get(size_t n) {
    if (n > size_) {
      data_.reset();  // release before allocating: peak memory is what counts
      data_.reset(new float[n]);
      size_ = n;
    }
    return data_.get();
  }

 private:
  std::unique_ptr<float[]> data_;
  size_t size_ = 0;
};

// Scratch buffers reused across calls on one thread: fresh multi-megabyte allocations cost
// page faults on every hash.
struct Scratch {
  GrowOnlyBuffer a, b, sum, luma;
};

Scratch& ThreadScratch() {
  thread_local Scratch scratch;
  return scratch;
}

// Blurs (two Jarosz passes) and decimates `luma` (rows x cols) into a 64x64 buffer.
void BlurAndDecimate(const float* luma, int rows, int cols, float* a64) {
  const int window_along_rows = (cols + 127) / 128;
  const int window_along_cols = (rows + 127) / 128;
  const std::vector<int> row_idx = DecimationIndices(rows);
  const std::vector<int> col_idx = DecimationIndices(cols);
  // The decimation may read the same row twice when rows < 64; keep flags say which rows
  // are read, and `slot` maps each sample to its packed output row.
  std::unique_ptr<bool[]> keep_rows(new bool[rows]()), keep_cols(new bool[cols]());
  for (int i : row_idx) keep_rows[i] = true;
  for (int j : col_idx) keep_cols[j] = true;
  std::vector<int> row_slot(rows, -1), col_slot(cols, -1);
  int kept_rows = 0, kept_cols = 0;
  for (int r = 0; r < rows; ++r) {
    if (keep_rows[r]) row_slot[r] = kept_rows++;
  }
  for (int c = 0; c < cols; ++c) {
    if (keep_cols[c]) col_slot[c] = kept_cols++;
  }

  // Two buffers, each large enough for the image in either orientation.
  const size_t s_rows = PaddedStride(rows), s_cols = PaddedStride(cols);
  const size_t plane = std::max({static_cast<size_t>(rows) * s_cols, static_cast<size_t>(cols) * s_rows,
                                 static_cast<size_t>(rows) * (kSide + 16)});
  Scratch& scratch = ThreadScratch();
  float* a = scratch.a.Get(plane);
  float* b = scratch.b.Get(plane);
  float* sum = scratch.sum.Get(std::max(rows, cols));

  // Pass 1, box along rows: transpose (cols x rows), box down, transpose back.
  Transpose(luma, rows, cols, cols, a, s_rows);
  BoxDown(a, s_rows, cols, rows, window_along_rows, nullptr, b, s_rows, sum);
  Transpose(b, cols, rows, s_rows, a, s_cols);
  // Pass 1, box along columns.
  BoxDown(a, s_cols, rows, cols, window_along_cols, nullptr, b, s_cols, sum);
  // Pass 2, box along rows, only the columns the decimation reads: (kept_cols x rows).
  Transpose(b, rows, cols, s_cols, a, s_rows);
  BoxDown(a, s_rows, cols, rows, window_along_rows, keep_cols.get(), b, s_rows, sum);
  // Pass 2, box along columns, only at the rows the decimation reads: (kept_rows x kept_cols).
  Transpose(b, kept_cols, rows, s_rows, a, kSide + 16);
  BoxDown(a, kSide + 16, rows, kept_cols, window_along_cols, keep_rows.get(), b, kSide + 16, sum);

  for (int i = 0; i < kSide; ++i) {
    const float* src = b + static_cast<size_t>(row_slot[row_idx[i]]) * (kSide + 16);
    for (int j = 0; j < kSide; ++j) a64[i * kSide + j] = src[col_slot[col_idx[j]]];
  }
}

// Decimation without blur, for exactly 64x64 inputs (step 3: they skip the blur).
void CopyDecimate(const float* luma, int rows, int cols, float* a64) {
  const std::vector<int> row_idx = DecimationIndices(rows);
  const std::vector<int> col_idx = DecimationIndices(cols);
  for (int i = 0; i < kSide; ++i) {
    for (int j = 0; j < kSide; ++j) {
      a64[i * kSide + j] = luma[static_cast<size_t>(row_idx[i]) * cols + col_idx[j]];
    }
  }
}

// Step 5: gradient sum over vertical and horizontal neighbours, scaled to 0..100.
int Quality(const float* a64) {
  int gradient_sum = 0;
  for (int i = 0; i < kSide - 1; ++i) {
    for (int j = 0; j < kSide; ++j) {
      const float u = a64[i * kSide + j];
      const float v = a64[(i + 1) * kSide + j];
      const int d = static_cast<int>(((u - v) * 100) / 255);
      gradient_sum += std::abs(d);
    }
  }
  for (int i = 0; i < kSide; ++i) {
    for (int j = 0; j < kSide - 1; ++j) {
      const float u = a64[i * kSide + j];
      const float v = a64[i * kSide + j + 1];
      const int d = static_cast<int>(((u - v) * 100) / 255);
      gradient_sum += std::abs(d);
    }
  }
  return std::min(100, gradient_sum / 90);
}

// Step 6: B = D * A * D^T, float accumulators, k ascending.
Matrix16 Dct16(const float* a64) {
  const DctMatrix& dct = Dct();
  alignas(64) float t[kDctSide][kSide];
  for (int i = 0; i < kDctSide; ++i) {
    float acc[kSide] = {};
    for (int k = 0; k < kSide; ++k) {
      const float dik = dct.d[i][k];
      const float* row = a64 + k * kSide;
      for (int j = 0; j < kSide; ++j) acc[j] += dik * row[j];
    }
    std::memcpy(t[i], acc, sizeof acc);
  }
  Matrix16 out{};
  for (int i = 0; i < kDctSide; ++i) {
    for (int j = 0; j < kDctSide; ++j) {
      float acc = 0.0f;
      for (int k = 0; k < kSide; ++k) acc += t[i][k] * dct.d[j][k];
      out[i][j] = acc;
    }
  }
  return out;
}

// Step 7: bit 16*i + j set iff B[i][j] is above the lower median (the 128th smallest).
PdqHash Threshold(const Matrix16& b) {
  std::array<float, kDctSide * kDctSide> values;
  for (int i = 0; i < kDctSide; ++i) {
    for (int j = 0; j < kDctSide; ++j) values[i * kDctSide + j] = b[i][j];
  }
  std::nth_element(values.begin(), values.begin() + 127, values.end());
  const float median = values[127];
  PdqHash hash;
  for (int i = 0; i < kDctSide; ++i) {
    for (int j = 0; j < kDctSide; ++j) {
      if (b[i][j] > median) hash.set_bit(i * kDctSide + j);
    }
  }
  return hash;
}

// Step 8: the seven other orientations from the same coefficients.
std::array<PdqHash, kDihedralCount> DihedralHashes(const Matrix16& b) {
  std::array<PdqHash, kDihedralCount> out;
  Matrix16 m{};
  out[0] = Threshold(b);
  auto odd = [](int v) { return (v & 1) != 0; };
  for (int i = 0; i < kDctSide; ++i)  // rot90
    for (int j = 0; j < kDctSide; ++j) m[j][i] = (odd(j) ? 1 : -1) * b[i][j];
  out[1] = Threshold(m);
  for (int i = 0; i < kDctSide; ++i)  // rot180
    for (int j = 0; j < kDctSide; ++j) m[i][j] = (odd(i + j) ? -1 : 1) * b[i][j];
  out[2] = Threshold(m);
  for (int i = 0; i < kDctSide; ++i)  // rot270
    for (int j = 0; j < kDctSide; ++j) m[j][i] = (odd(i) ? 1 : -1) * b[i][j];
  out[3] = Threshold(m);
  for (int i = 0; i < kDctSide; ++i)  // flipx
    for (int j = 0; j < kDctSide; ++j) m[i][j] = (odd(i) ? 1 : -1) * b[i][j];
  out[4] = Threshold(m);
  for (int i = 0; i < kDctSide; ++i)  // flipy
    for (int j = 0; j < kDctSide; ++j) m[i][j] = (odd(j) ? 1 : -1) * b[i][j];
  out[5] = Threshold(m);
  for (int i = 0; i < kDctSide; ++i)  // flipplus1 (transpose)
    for (int j = 0; j < kDctSide; ++j) m[j][i] = b[i][j];
  out[6] = Threshold(m);
  for (int i = 0; i < kDctSide; ++i)  // flipminus1
    for (int j = 0; j < kDctSide; ++j) m[j][i] = (odd(i + j) ? -1 : 1) * b[i][j];
  out[7] = Threshold(m);
  return out;
}

}  // namespace

const char* DihedralName(Dihedral d) {
  switch (d) {
    case Dihedral::kOriginal: return "orig";
    case Dihedral::kRot90: return "rot90";
    case Dihedral::kRot180: return "rot180";
    case Dihedral::kRot270: return "rot270";
    case Dihedral::kFlipX: return "flipx";
    case Dihedral::kFlipY: return "flipy";
    case Dihedral::kFlipPlus1: return "flipplus1";
    case Dihedral::kFlipMinus1: return "flipminus1";
  }
  return "orig";
}

PdqResult ComputePdqFromLuma(const float* luma, int rows, int cols, bool with_dihedral) {
  PdqResult result;
  if (rows < kMinSide || cols < kMinSide) {
    result.too_small = true;
    result.has_dihedral = with_dihedral;
    return result;  // all-zero hashes, quality 0 (step 2)
  }
  alignas(64) float a64[kSide * kSide];
  if (rows == kSide && cols == kSide) {
    CopyDecimate(luma, rows, cols, a64);
  } else {
    BlurAndDecimate(luma, rows, cols, a64);
  }
  result.quality = Quality(a64);
  const Matrix16 b = Dct16(a64);
  if (with_dihedral) {
    result.dihedral = DihedralHashes(b);
    result.hash = result.dihedral[0];
    result.has_dihedral = true;
  } else {
    result.hash = Threshold(b);
  }
  return result;
}

PdqResult ComputePdq(const Image& image, bool with_dihedral) {
  const size_t n = static_cast<size_t>(image.width) * image.height;
  WARDEN_CHECK(image.pixels.size() >= n * static_cast<size_t>(image.channels));
  // Reused per thread, like the blur's scratch: a fresh 48 MB buffer for a 12 MP photo
  // would cost page faults on every hash.
  float* y = ThreadScratch().luma.Get(n);
  const uint8_t* p = image.pixels.data();
  if (image.channels == 1) {
    for (size_t i = 0; i < n; ++i) y[i] = static_cast<float>(p[i]);
  } else {
    WARDEN_CHECK(image.channels == 3);
    // Step 1, in float, left to right as the reference evaluates it.
    for (size_t i = 0; i < n; ++i) {
      y[i] = 0.299f * p[3 * i] + 0.587f * p[3 * i + 1] + 0.114f * p[3 * i + 2];
    }
  }
  return ComputePdqFromLuma(y, image.height, image.width, with_dihedral);
}

}  // namespace warden
