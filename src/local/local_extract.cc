// The local-feature extractor: luma at a fixed working size, a scale pyramid, FAST-9 corners
// ranked by Harris response, spatially spread selection, then orientation and descriptor for
// the selected keypoints only (src/local/local_orb.h has the per-level pieces).
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "src/local/local_orb.h"
#include "src/local/local_overlay.h"
#include "src/local/local_pyramid.h"
#include "warden/image.h"
#include "warden/local_features.h"

namespace warden {
namespace {

using local::FastCorner;
using local::GreyImage;

// The detector works on images whose longer side is at most this many pixels: enough detail
// for corners that survive re-encoding and screenshots, and cheap (a 1600x1004 photo becomes
// 640x402). Smaller images are used as they are; a query's enlarged view (below) is the one
// exception.
constexpr int kWorkingLongSide = 640;
// A query's enlarged view: the image enlarged towards kLocalEnlargeBelow on its longer side by
// at most kMaxEnlargement, bilinearly. On a 150-pixel thumbnail a descriptor's 31-pixel patch
// covers a fifth of the side, while the registered photo's patches at its own working size
// map to a few pixels there: enlarged, the pyramid's levels reach the registered corners'
// scale. Measured on the eval's saved queries (docs/local-features.md, "Small queries"): a
// quarter-size copy 24.7 -> 81.0%, no transform lower.
// Up to 4x since algorithm version 2: a quarter-size copy of a 150-pixel picture (37 px) then
// still reaches the registered enlarged keypoints (below).
constexpr double kMaxEnlargement = 4.0;
// Images with a side below this give no keypoints (the header's contract).
constexpr int kMinImageSide = 32;
// Pyramid: each level 1/1.2 of the previous one (keypoint scale 1.2^level), while its shorter
// side keeps room for a few keypoints inside the border.
constexpr double kLevelScale = 1.2;
constexpr int kMaxLevels = 7;
constexpr int kMinLevelSide = 2 * local::kBorder + 8;
// FAST thresholds: the usual 20 grey levels; an image with fewer than kMinCandidates corners
// at that contrast (soft focus, low light) is detected again at the lower threshold. The
// choice depends on the image only, never on max_keypoints (prefix consistency).
constexpr int kFastThreshold = 20;
constexpr int kFastThresholdLow = 8;
constexpr size_t kMinCandidates = 800;
// Spatial spreading: a grid of about kGridCells square-ish cells over the working image; the
// first kSpreadRounds rounds take each cell's strongest remaining candidate, so that a crop or
// a regenerated region still leaves registered keypoints elsewhere, then the rest follow by
// response alone.
constexpr int kGridCells = 35;
constexpr int kSpreadRounds = 2;
constexpr int kMaxKeypointsLimit = 2000;
// Keypoints past the first kBalancedTailStart are
// taken round-robin over a finer grid of about kTailGridCells cells: each cell's strongest
// remaining candidate, then each cell's next, ... (a cell's count includes what the earlier
// phases took there). Ranking by response alone lets an overlay's high-contrast strokes (text
// across the picture) fill the query, while the registered keypoints they did not cover are
// weaker corners of the photo elsewhere. Measured on the eval's saved queries (300 per
// transform), verifying with 1000 query keypoints ordered so: three lines of text 40 -> 53%,
// screenshot 90 -> 95%; ranked by response instead: 43% and 89%. The first
// kBalancedTailStart keypoints keep the order they always had (those of version 1), so
// registered forms (the first kLocalStoredKeypoints) do not change.
constexpr size_t kBalancedTailStart = kLocalQueryHeadKeypoints;
constexpr int kTailGridCells = 100;
// Ranking favours coarser levels: each level's Harris responses are multiplied by this to the
// power of the level. Both sides normalise to the working size, so a query shows the content
// SMALLER than the reference when it was padded or embedded (a phone screenshot shrinks a
// photo to ~0.45 of the reference's scale): only the reference's coarse keypoints can match
// there, and unweighted Harris ranking keeps mostly fine ones. Powers of 1.5 and 2 are exact
// in double, so the products are the same everywhere.
constexpr double kLevelWeight = 1.5;
// A registered picture under kLocalEnlargeBelow (algorithm version 2) keeps this many keypoints
// of its plain view, then its enlarged view's. Text across a small picture leaves a few
// patches of it free, too narrow for its own pyramid's 31-pixel patches but not for the
// enlarged view's; measured in docs/local-features.md, "Small registered pictures".
constexpr size_t kRegisteredPlainKeypoints = 50;
// ... of which it keeps those under this scale (in the plain view's units): the enlarged
// pyramid's levels at or above the enlargement repeat the plain view's levels (under 1, not at
// 1, for the rounding of the enlarged size).
constexpr float kRegisteredEnlargedMaxScale = 0.99f;

struct Level {
  GreyImage image;
  GreyImage smoothed;  // built on first use
};

struct Candidate {
  double response = 0;  // Harris response times kLevelWeight^level
  int level = 0;
  int x = 0;  // pixel in the level image
  int y = 0;
  int cell = 0;
};

// Strongest first; ties by level, row, column, so the order never depends on how a sort
// implementation visits equal elements.
bool Stronger(const Candidate& a, const Candidate& b) {
  if (a.response != b.response) return a.response > b.response;
  if (a.level != b.level) return a.level < b.level;
  if (a.y != b.y) return a.y < b.y;
  return a.x < b.x;
}

int RoundPositive(double v) { return static_cast<int>(v + 0.5); }

std::vector<Level> BuildPyramid(GreyImage working) {
  std::vector<Level> levels;
  const int w0 = working.width;
  const int h0 = working.height;
  levels.push_back({std::move(working), {}});
  double scale = 1;
  for (int k = 1; k < kMaxLevels; ++k) {
    scale *= kLevelScale;
    const int w = RoundPositive(w0 / scale);
    const int h = RoundPositive(h0 / scale);
    if (std::min(w, h) < kMinLevelSide) break;
    levels.push_back({local::ResampleArea(levels.back().image, w, h), {}});
  }
  return levels;
}

std::vector<Candidate> DetectCandidates(const std::vector<Level>& levels, int threshold) {
  std::vector<Candidate> out;
  double weight = 1;
  for (size_t k = 0; k < levels.size(); ++k, weight *= kLevelWeight) {
    const GreyImage& img = levels[k].image;
    for (const FastCorner& c : local::DetectFastCorners(img, threshold, local::kBorder)) {
      const double r = static_cast<double>(local::HarrisResponse(img, c.x, c.y)) * weight;
      out.push_back({r, static_cast<int>(k), c.x, c.y, 0});
    }
  }
  return out;
}

// Cell of a candidate's centre mapped to level 0 on a cols x rows grid, in exact integer
// arithmetic.
int CellOf(const Candidate& c, const std::vector<Level>& levels, int cols, int rows) {
  const GreyImage& img = levels[c.level].image;
  const int64_t cx = (2 * int64_t{c.x} + 1) * cols / (2 * int64_t{img.width});
  const int64_t cy = (2 * int64_t{c.y} + 1) * rows / (2 * int64_t{img.height});
  return static_cast<int>(std::min<int64_t>(cy, rows - 1) * cols + std::min<int64_t>(cx, cols - 1));
}

// Columns and rows of a grid of about `cells` square-ish cells over a w0 x h0 image.
std::pair<int, int> GridShape(int cells, int w0, int h0) {
  int cols = std::max(1, RoundPositive(std::sqrt(static_cast<double>(cells) * w0 / h0)));
  cols = std::min(cols, cells);
  const int rows = std::max(1, RoundPositive(static_cast<double>(cells) / cols));
  return {cols, rows};
}

// The selection order described at kGridCells and kBalancedTailStart. Only the first `limit`
// entries are produced. Every phase is a fixed order of all candidates, so a shorter limit
// gives a prefix of a longer one.
std::vector<Candidate> SelectSpread(std::vector<Candidate> candidates, const Level& base,
                                    const std::vector<Level>& levels, size_t limit) {
  const int w0 = base.image.width;
  const int h0 = base.image.height;
  const auto [cols, rows] = GridShape(kGridCells, w0, h0);
  for (Candidate& c : candidates) c.cell = CellOf(c, levels, cols, rows);
  // One sort; walking it, a candidate's rank within its cell says which round takes it, and
  // what no round takes is already in the order of the response phase.
  std::sort(candidates.begin(), candidates.end(), Stronger);
  const size_t head = std::min(limit, kBalancedTailStart);
  std::vector<int> taken_in_cell(static_cast<size_t>(cols) * rows, 0);
  std::vector<size_t> rounds[kSpreadRounds];  // indexes into `candidates`
  std::vector<size_t> rest;
  for (size_t i = 0; i < candidates.size(); ++i) {
    int& rank = taken_in_cell[candidates[i].cell];
    if (rank < kSpreadRounds) {
      rounds[rank++].push_back(i);
    } else if (rest.size() < head) {
      rest.push_back(i);
    }
  }
  std::vector<size_t> order;
  order.reserve(std::min(limit, candidates.size()));
  for (const std::vector<size_t>& round : rounds) {
    for (size_t i : round) {
      if (order.size() == head) break;
      order.push_back(i);
    }
  }
  for (size_t i : rest) {
    if (order.size() == head) break;
    order.push_back(i);
  }
  if (order.size() == head && limit > head && candidates.size() > head) {
    // The balanced tail: rank of each remaining candidate within its fine cell, counting
    // what the head took there; by rank, then by strength (the stable sort keeps that).
    const auto [tail_cols, tail_rows] = GridShape(kTailGridCells, w0, h0);
    std::vector<uint8_t> used(candidates.size(), 0);
    std::vector<int> count(static_cast<size_t>(tail_cols) * tail_rows, 0);
    for (size_t i : order) {
      used[i] = 1;
      ++count[CellOf(candidates[i], levels, tail_cols, tail_rows)];
    }
    std::vector<std::pair<int, size_t>> tail;  // (rank in cell, index)
    tail.reserve(candidates.size() - order.size());
    for (size_t i = 0; i < candidates.size(); ++i) {
      if (used[i]) continue;
      tail.emplace_back(count[CellOf(candidates[i], levels, tail_cols, tail_rows)]++, i);
    }
    std::stable_sort(tail.begin(), tail.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [rank, i] : tail) {
      if (order.size() == limit) break;
      order.push_back(i);
    }
  }
  std::vector<Candidate> out;
  out.reserve(order.size());
  for (size_t i : order) out.push_back(candidates[i]);
  return out;
}

// The working-size picture (the longer side at most kWorkingLongSide): what every view starts
// from.
GreyImage WorkingImage(GreyImage grey) {
  const int long_side = std::max(grey.width, grey.height);
  if (long_side <= kWorkingLongSide) return grey;
  const double f = static_cast<double>(kWorkingLongSide) / long_side;
  const int w = std::max(1, RoundPositive(grey.width * f));
  const int h = std::max(1, RoundPositive(grey.height * f));
  return local::ResampleArea(grey, w, h);
}

// One view: `grey` is the working-size picture (WorkingImage), enlarged first for a small
// query's enlarged view.
LocalFeatures ExtractFromGrey(GreyImage grey, int source_width, int source_height,
                              int max_keypoints, bool enlarge) {
  LocalFeatures features;
  features.width = source_width;
  features.height = source_height;

  const int long_side = std::max(grey.width, grey.height);
  // Keypoint scales are in the working picture's units: an enlarged view's level k is
  // 1.2^k / the enlargement, so that one geometry fits the keypoints of both views.
  double unit = 1;
  if (enlarge) {
    const double f = std::min(kMaxEnlargement, static_cast<double>(kLocalEnlargeBelow) / long_side);
    const int w = std::max(grey.width, RoundPositive(grey.width * f));
    const int h = std::max(grey.height, RoundPositive(grey.height * f));
    unit = static_cast<double>(grey.width) / w;
    grey = local::EnlargeBilinear(grey, w, h);
  }
  std::vector<Level> levels = BuildPyramid(std::move(grey));

  std::vector<Candidate> candidates = DetectCandidates(levels, kFastThreshold);
  if (candidates.size() < kMinCandidates) candidates = DetectCandidates(levels, kFastThresholdLow);

  const std::vector<Candidate> chosen =
      SelectSpread(std::move(candidates), levels[0], levels, static_cast<size_t>(max_keypoints));

  features.keypoints.reserve(chosen.size());
  double level_scale[kMaxLevels];
  level_scale[0] = 1;
  for (int k = 1; k < kMaxLevels; ++k) level_scale[k] = level_scale[k - 1] * kLevelScale;
  for (const Candidate& c : chosen) {
    Level& level = levels[c.level];
    if (level.smoothed.pixels.empty()) level.smoothed = local::SmoothBinomial5(level.image);
    LocalKeypoint kp;
    kp.x = static_cast<float>((c.x + 0.5) * source_width / level.image.width);
    kp.y = static_cast<float>((c.y + 0.5) * source_height / level.image.height);
    kp.scale = static_cast<float>(level_scale[c.level] * unit);
    kp.angle = local::IntensityCentroidAngle(level.image, c.x, c.y);
    // DeterministicAtan2 returns [-pi, pi]; the contract is [-pi, pi).
    if (kp.angle >= 3.14159265f) kp.angle = -kp.angle;
    kp.response = static_cast<float>(c.response);
    local::ComputeDescriptor(level.smoothed, c.x, c.y, kp.angle, kp.descriptor.data());
    features.keypoints.push_back(kp);
  }
  return features;
}

// The keypoints a small picture registers, up to `limit`: the plain view's first
// kRegisteredPlainKeypoints, then the enlarged view's keypoints finer than the plain view's
// finest level, then the plain view's rest. Each view's order is a prefix-consistent ranking,
// so this is one too.
std::vector<LocalKeypoint> MixViews(std::span<const LocalKeypoint> plain,
                                    std::span<const LocalKeypoint> enlarged, size_t limit) {
  std::vector<LocalKeypoint> finer;
  for (const LocalKeypoint& kp : enlarged) {
    if (kp.scale < kRegisteredEnlargedMaxScale) finer.push_back(kp);
  }
  const size_t head = std::min({plain.size(), limit, kRegisteredPlainKeypoints});
  const size_t from_enlarged = std::min(finer.size(), limit - head);
  const size_t rest = std::min(plain.size() - head, limit - head - from_enlarged);
  std::vector<LocalKeypoint> out(plain.begin(), plain.begin() + head);
  out.insert(out.end(), finer.begin(), finer.begin() + from_enlarged);
  out.insert(out.end(), plain.begin() + head, plain.begin() + head + rest);
  return out;
}

// The plain extraction, then for a small query its enlarged view after it (LocalFeatures::
// enlarged_begin); for a small picture without options.enlarged_view (a registration), both
// views mixed into one list (MixViews). `grey` is at working size.
LocalFeatures ExtractViews(GreyImage grey, int source_width, int source_height,
                           const LocalExtractOptions& options) {
  const bool small = std::max(source_width, source_height) < kLocalEnlargeBelow &&
                     std::max(grey.width, grey.height) < kLocalEnlargeBelow;
  if (!small) {
    return ExtractFromGrey(std::move(grey), source_width, source_height, options.max_keypoints,
                           false);
  }
  LocalFeatures features =
      ExtractFromGrey(grey, source_width, source_height, options.max_keypoints, false);
  if (features.keypoints.empty()) return features;  // too small or flat: enlarged too
  // A registration mixes in the finer of the enlarged view's first kLocalQueryKeypoints, as
  // RegisteredLocalFeatures finds them in a query's extraction.
  LocalFeatures enlarged =
      ExtractFromGrey(std::move(grey), source_width, source_height,
                      options.enlarged_view ? options.max_keypoints : kLocalQueryKeypoints, true);
  if (enlarged.keypoints.empty()) return features;
  if (!options.enlarged_view) {
    features.keypoints = MixViews(features.keypoints, enlarged.keypoints,
                                  static_cast<size_t>(options.max_keypoints));
    return features;
  }
  features.enlarged_begin = features.keypoints.size();
  features.keypoints.insert(features.keypoints.end(), enlarged.keypoints.begin(),
                            enlarged.keypoints.end());
  return features;
}

// ExtractViews, and for a query with overlay strokes the same views of the picture without
// them (LocalFeatures::without_overlay).
LocalFeatures ExtractFromGrey(GreyImage grey, int source_width, int source_height,
                              const LocalExtractOptions& options) {
  if (grey.width < kMinImageSide || grey.height < kMinImageSide) {
    LocalFeatures none;
    none.width = source_width;
    none.height = source_height;
    return none;
  }
  GreyImage working = WorkingImage(std::move(grey));
  std::optional<GreyImage> cleaned;
  if (options.overlay_view && working.width >= kMinImageSide && working.height >= kMinImageSide) {
    cleaned = local::WithoutOverlay(working);
  }
  LocalFeatures features = ExtractViews(std::move(working), source_width, source_height, options);
  if (cleaned.has_value() && !features.keypoints.empty()) {
    LocalFeatures other = ExtractViews(std::move(*cleaned), source_width, source_height, options);
    if (!other.keypoints.empty()) {
      features.without_overlay = std::make_shared<const LocalFeatures>(std::move(other));
    }
  }
  return features;
}

Status CheckOptions(const LocalExtractOptions& options) {
  if (options.max_keypoints < 1 || options.max_keypoints > kMaxKeypointsLimit) {
    return Status::InvalidArgument("local features: max_keypoints " +
                                   std::to_string(options.max_keypoints) + " is outside 1.." +
                                   std::to_string(kMaxKeypointsLimit));
  }
  return Status::Ok();
}

// Width and height from a JPEG's SOFn marker, or nothing if the markers before the first scan
// do not hold one (the decoder then reports the real problem).
std::optional<std::pair<int, int>> JpegSize(std::span<const uint8_t> b) {
  if (b.size() < 4 || b[0] != 0xFF || b[1] != 0xD8) return std::nullopt;
  size_t i = 2;
  while (i + 1 < b.size()) {
    if (b[i] != 0xFF) return std::nullopt;
    while (i + 1 < b.size() && b[i + 1] == 0xFF) ++i;  // fill bytes
    if (i + 1 >= b.size()) return std::nullopt;
    const uint8_t m = b[i + 1];
    i += 2;
    if (m == 0x01 || (m >= 0xD0 && m <= 0xD8)) continue;  // markers without a length
    if (m == 0xD9 || m == 0xDA || i + 2 > b.size()) return std::nullopt;
    const size_t len = (size_t{b[i]} << 8) | b[i + 1];
    if (len < 2 || i + len > b.size()) return std::nullopt;
    const bool sof = m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
    if (sof) {
      if (len < 7) return std::nullopt;
      const int h = (b[i + 3] << 8) | b[i + 4];
      const int w = (b[i + 5] << 8) | b[i + 6];
      return std::make_pair(w, h);
    }
    i += len;
  }
  return std::nullopt;
}
Status CheckImage(const Image& image) {
  if (image.width <= 0 || image.height <= 0) {
    return Status::InvalidArgument("local features: the image is empty (" +
                                   std::to_string(image.width) + "x" +
                                   std::to_string(image.height) + ")");
  }
  if (image.channels != 1 && image.channels != 3) {
    return Status::InvalidArgument("local features: " + std::to_string(image.channels) +
                                   " channels; expected 1 (grey) or 3 (RGB)");
  }
  const size_t need = static_cast<size_t>(image.width) * image.height * image.channels;
  if (image.pixels.size() < need) {
    return Status::InvalidArgument("local features: the pixel buffer holds " +
                                   std::to_string(image.pixels.size()) + " bytes, " +
                                   std::to_string(need) + " needed");
  }
  return Status::Ok();
}

int SourceWidth(const Image& image) {
  return image.source_width > 0 ? image.source_width : image.width;
}
int SourceHeight(const Image& image) {
  return image.source_height > 0 ? image.source_height : image.height;
}

}  // namespace

LocalFeatures RegisteredLocalFeatures(const LocalFeatures& query) {
  LocalFeatures out;
  out.width = query.width;
  out.height = query.height;
  const std::span<const LocalKeypoint> all(query.keypoints);
  const size_t plain = PlainKeypointCount(query);
  const size_t limit = kLocalStoredKeypoints;
  if (plain < all.size()) {
    const std::span<const LocalKeypoint> enlarged = all.subspan(plain);
    out.keypoints = MixViews(
        all.first(plain),
        enlarged.first(std::min(enlarged.size(), static_cast<size_t>(kLocalQueryKeypoints))),
        limit);
  } else {
    out.keypoints.assign(all.begin(), all.begin() + std::min(plain, limit));
  }
  return out;
}

Result<LocalFeatures> ExtractLocalFeatures(const Image& image, const LocalExtractOptions& options) {
  WARDEN_RETURN_IF_ERROR(CheckOptions(options));
  WARDEN_RETURN_IF_ERROR(CheckImage(image));
  return ExtractFromGrey(local::ToLuma(image), SourceWidth(image), SourceHeight(image), options);
}

// JPEG: the largest DCT scale-down that still leaves the longer side at the working size, and
// libjpeg's fast path (integer IDCT, luma only): the detector needs nothing more, and the
// decode is most of the cost. The caller's max_pixels and pixel_storage are kept.
Result<LocalFeatures> ExtractLocalFeaturesFromBytes(std::span<const uint8_t> bytes,
                                                    const LocalExtractOptions& options,
                                                    const DecodeOptions& decode) {
  WARDEN_RETURN_IF_ERROR(CheckOptions(options));
  DecodeOptions opts = decode;
  if (SniffImageFormat(bytes) == ImageFormat::kJpeg) {
    opts.jpeg_fast = true;
    opts.jpeg_scale_denom = 1;
    opts.jpeg_min_side = 0;
    if (const auto size = JpegSize(bytes)) {
      const int long_side = std::max(size->first, size->second);
      for (int d = 8; d > 1; d /= 2) {
        if ((long_side + d - 1) / d >= kWorkingLongSide) {
          opts.jpeg_scale_denom = d;
          break;
        }
      }
    }
  }
  WARDEN_ASSIGN_OR_RETURN(Image image, DecodeImage(bytes, opts));
  WARDEN_RETURN_IF_ERROR(CheckImage(image));
  if (image.channels != 1 || decode.pixel_storage != nullptr) {
    return ExtractFromGrey(local::ToLuma(image), SourceWidth(image), SourceHeight(image), options);
  }
  // Grey pixels we own (libjpeg's fast path gives luma only): used in place, not copied.
  local::GreyImage grey;
  grey.width = image.width;
  grey.height = image.height;
  grey.pixels = std::move(image.pixels);
  grey.pixels.resize(static_cast<size_t>(grey.width) * grey.height);
  return ExtractFromGrey(std::move(grey), SourceWidth(image), SourceHeight(image), options);
}

}  // namespace warden
