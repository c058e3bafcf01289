#include "warden/hasher.h"

#include <fmt/core.h>

#include <cstdint>
#include <vector>

#include "src/hash/fast_grid.h"
#include "warden/local_features.h"
#include "warden/local_signal.h"

namespace warden {
namespace {

// Luma of the pixel at (x, y), exactly as the PDQ core's conversion (PDQ.md step 1):
// float products summed left to right; grey used directly. The build uses
// -ffp-contract=off so no fused multiply-add can change the rounding.
inline float LumaAt(const Image& image, int x, int y) {
  const uint8_t* p = image.row(y) + static_cast<size_t>(x) * image.channels;
  if (image.channels == 1) return static_cast<float>(p[0]);
  return 0.299f * p[0] + 0.587f * p[1] + 0.114f * p[2];
}

// Meta's pdq-photo-hasher squashes images with a side over 512 px to exactly 512x512 by
// nearest neighbour (aspect not kept): destination (x, y) reads source
// (floor(x * width / 512), floor(y * height / 512)) (PDQ.md, "Pipelines"). Converting to
// luma while sampling reads only 512*512 source pixels instead of the whole image.
PdqResult HashSquashed(const Image& image, bool dihedral) {
  constexpr int kSide = kCli512Side;
  std::vector<int> src_x(kSide);
  for (int x = 0; x < kSide; ++x) {
    src_x[x] = static_cast<int>(static_cast<int64_t>(x) * image.width / kSide);
  }
  std::vector<float> luma(static_cast<size_t>(kSide) * kSide);
  for (int y = 0; y < kSide; ++y) {
    const int sy = static_cast<int>(static_cast<int64_t>(y) * image.height / kSide);
    float* out = luma.data() + static_cast<size_t>(y) * kSide;
    for (int x = 0; x < kSide; ++x) out[x] = LumaAt(image, src_x[x], sy);
  }
  return ComputePdqFromLuma(luma.data(), kSide, kSide, dihedral);
}

}  // namespace

const char* PipelineName(Pipeline pipeline) {
  switch (pipeline) {
    case Pipeline::kFullres: return "fullres";
    case Pipeline::kCli512: return "cli512";
    case Pipeline::kFast: return "fast";
  }
  return "fullres";
}

Result<Pipeline> ParsePipeline(std::string_view name) {
  for (Pipeline p : {Pipeline::kFullres, Pipeline::kCli512, Pipeline::kFast}) {
    if (name == PipelineName(p)) return p;
  }
  std::string shown;
  for (char c : name.substr(0, 32)) {
    auto u = static_cast<unsigned char>(c);
    shown += (u >= 0x20 && u < 0x7f) ? std::string(1, c) : fmt::format("\\x{:02x}", u);
  }
  return Status::InvalidArgument(
      fmt::format("unknown pipeline \"{}\" (expected fullres, cli512 or fast)", shown));
}

std::vector<Signal> HashRecord::Signals() const {
  std::vector<Signal> out;
  out.push_back(Signal{SignalType::kPdq, pdq.hash.ToHex(), pdq.quality});
  if (!md5.empty()) out.push_back(Signal{SignalType::kMd5, md5, -1});
  if (!sha1.empty()) out.push_back(Signal{SignalType::kSha1, sha1, -1});
  if (!sha256.empty()) out.push_back(Signal{SignalType::kSha256, sha256, -1});
  if (!local.empty()) out.push_back(Signal{SignalType::kLocal, local, -1});
  return out;
}

Result<HashRecord> HashImageBytes(std::span<const uint8_t> bytes, const HashOptions& options) {
  DecodeOptions decode = options.decode;
  if (options.pipeline == Pipeline::kFast) {
    // Only JPEG decoders honour these; every other format decodes at full resolution, so
    // the fast pipeline equals fullres for them.
    decode.jpeg_scale_denom = options.fast_jpeg_scale_denom;
    decode.jpeg_min_side = options.fast_jpeg_min_side;
    decode.jpeg_fast = options.fast_jpeg_fast_decode;
  } else {
    // The bit-exact pipelines must see the pixels the reference saw.
    decode.jpeg_scale_denom = 1;
    decode.jpeg_min_side = 0;
    decode.jpeg_fast = false;
  }
  // Pixel memory is reused per thread (see DecodeOptions::pixel_storage), up to a cap so an
  // occasional huge image does not pin its memory to the thread.
  constexpr size_t kMaxReusedPixelBytes = size_t{64} << 20;
  thread_local std::vector<uint8_t> pixel_storage;
  decode.pixel_storage = &pixel_storage;
  WARDEN_ASSIGN_OR_RETURN(Image image, DecodeImage(bytes, decode));

  HashRecord record;
  record.format = image.format;
  record.width = image.source_width > 0 ? image.source_width : image.width;
  record.height = image.source_height > 0 ? image.source_height : image.height;
  record.pipeline = options.pipeline;
  if (options.pipeline == Pipeline::kCli512 &&
      (image.width > kCli512Side || image.height > kCli512Side)) {
    record.pdq = HashSquashed(image, options.dihedral);
    record.hashed_width = kCli512Side;
    record.hashed_height = kCli512Side;
  } else if (options.pipeline == Pipeline::kFast &&
             (image.width != record.width || image.height != record.height)) {
    // A JPEG decoded at reduced scale: build the 64x64 grid fullres would have decimated to
    // (src/hash/fast_grid.h); an exact 64x64 input skips the core's blur.
    float grid[64 * 64];  // 16 KB on the stack: no allocation per image
    EmulateFullresGrid(image, record.width, record.height, grid);
    record.pdq = ComputePdqFromLuma(grid, 64, 64, options.dihedral);
    record.hashed_width = image.width;
    record.hashed_height = image.height;
  } else {
    record.pdq = ComputePdq(image, options.dihedral);
    record.hashed_width = image.width;
    record.hashed_height = image.height;
  }
  // Release the pixels (back to this thread's storage) before hashing the bytes: with many
  // jobs, peak memory is what counts.
  if (image.pixels.capacity() <= kMaxReusedPixelBytes) {
    pixel_storage = std::move(image.pixels);
  }
  image = Image{};
  if (options.digests) {
    record.md5 = DigestHex(SignalType::kMd5, bytes);
    record.sha1 = DigestHex(SignalType::kSha1, bytes);
    record.sha256 = DigestHex(SignalType::kSha256, bytes);
  }
  if (options.local) {
    // Its own decode (a DCT-reduced JPEG when the detector's working size allows), so the
    // keypoints are the same whichever PDQ pipeline ran. Extraction is prefix-consistent: these
    // are the first keypoints a query extraction of the same bytes finds.
    DecodeOptions local_decode;
    local_decode.max_pixels = options.decode.max_pixels;
    WARDEN_ASSIGN_OR_RETURN(LocalFeatures features,
                            ExtractLocalFeaturesFromBytes(
                                bytes, LocalExtractOptions{kLocalStoredKeypoints}, local_decode));
    record.local_keypoints = static_cast<int>(features.keypoints.size());
    if (!features.keypoints.empty()) record.local = LocalSignalFromFeatures(features).value;
  }
  return record;
}

}  // namespace warden
